# The LBDL interactive edition. `make help` lists the targets.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
# Quiet, repeatable notebook runs: no progress bars, no bytecode in the tree.
export LBDL_PROGRESS := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install browser book test unit nbtest site-test lab notebooks bench freeze clean

help:
	@echo "make install    virtual environment in $(VENV) with requirements.txt and lbdl_book"
	@echo "make book       build the English and Chinese books: _build/site/index.html"
	@echo "make test       everything CI runs: unit, parity, notebooks (nbval), both builds, site checks"
	@echo "make browser    headless Chromium and chromedriver for the site checks (apt-get, as root)"
	@echo "make lab        JupyterLab, with the MyST chapters opening as notebooks"
	@echo "make notebooks  export every chapter to .ipynb in _build/notebooks (Colab, classrooms)"
	@echo "make bench      time every notebook and update the table in README.md"
	@echo "make clean      remove _build and caches (keeps $(VENV))"

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lbdl)" >/dev/null
	touch $(STAMP)

# The site checks drive headless Chromium (tests/site/test_browser.py).
browser:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium and chromium-driver with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	  else \
	    echo "The site checks need Chromium and chromedriver (Debian: sudo apt-get install chromium chromium-driver)"; \
	    exit 1; \
	  fi; \
	fi

book: install
	$(BIN)/python tools/site.py

unit: install
	$(BIN)/python -m pytest tests --ignore=tests/site -q -n 2 --durations=10

nbtest: install
	$(BIN)/python tools/notebooks.py ipynb --out _build/nbtest
	# One notebook at a time: two kernels started at once can race for the same ports
	# (a kernel then dies at start), and one notebook per core thrashes small tensor ops.
	cd _build/nbtest && ../../$(BIN)/python -m pytest --nbval-lax --nbval-current-env \
	    --nbval-cell-timeout=120 -p no:cacheprovider --durations=0 --durations-min=0 -q . \
	    | tee ../nbtest.log

site-test: install browser
	$(BIN)/python -m pytest tests/site -q

test: unit nbtest book site-test
	$(BIN)/python tools/bench.py --from-log _build/nbtest.log --check

lab: install
	$(BIN)/python tools/notebooks.py lab-settings
	$(BIN)/jupyter lab book $(if $(filter 0,$(shell id -u)),--allow-root)

notebooks: install
	$(BIN)/python tools/notebooks.py ipynb --out _build/notebooks
	@echo "notebooks: _build/notebooks/{en,zh}"

bench: nbtest
	$(BIN)/python tools/bench.py --from-log _build/nbtest.log --write README.md

freeze: install
	{ head -n 2 requirements.txt; $(BIN)/python -m pip freeze --exclude-editable \
	    | sed 's/^torch==\(.*\)+cpu/torch==\1/'; } > requirements.new && mv requirements.new requirements.txt

clean:
	rm -rf _build .pytest_cache
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
