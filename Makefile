# The LBDL interactive edition. `make help` lists the targets.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TIMED  := $(PYTHON) tools/timed.py
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
# Quiet, repeatable notebook runs: no progress bars, no bytecode in the tree.
export LBDL_PROGRESS := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help install browser book test unit nbtest site-test lab notebooks bench bench-models cpu-paths weights freeze clean

help:
	@echo "make install    virtual environment in $(VENV) with requirements.txt and lbdl_book"
	@echo "make book       build the English and Chinese books: _build/site/index.html"
	@echo "make test       everything CI runs: unit, parity, notebooks (nbval), both builds, site checks"
	@echo "make nbtest     execute the notebooks whose code or lbdl_book code changed (ALL=1: every one)"
	@echo "make browser    headless Chromium and chromedriver for the site checks (apt-get, as root)"
	@echo "make lab        JupyterLab, with the MyST chapters opening as notebooks"
	@echo "make notebooks  export every chapter to .ipynb in _build/notebooks (Colab, classrooms)"
	@echo "make bench      write the measured notebook and phase times of the last make test into README.md"
	@echo "make bench-models  time a training step of each model against its torch.nn twin, into README.md"
	@echo "make cpu-paths  the unit tests through other CPU code paths (AVX2, AVX-512, MKL, 1-2 threads)"
	@echo "make weights    train the weights shipped in lbdl_book/weights (minutes)"
	@echo "make clean      remove _build and caches (keeps $(VENV))"

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(TIMED) install -- sh -ec '\
	  test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt; \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .; \
	  $(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (lbdl)" >/dev/null'
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

# The books render the outputs recorded by the notebook test: pages whose code, or the
# lbdl_book code they ran, changed are executed first (tools/execute.py), never twice.
book: install
	$(TIMED) book -- $(BIN)/python tools/site.py

unit: install
	$(TIMED) unit -- $(BIN)/python -m pytest tests --ignore=tests/site -q -n 2 --durations=10

# nbval on every page whose record is stale (ALL=1: every page), two at a time.
nbtest: install
	$(TIMED) notebooks -- $(BIN)/python tools/execute.py $(if $(ALL),--all)

site-test: install browser
	$(TIMED) site -- $(BIN)/python -m pytest tests/site -q

test: unit nbtest book site-test
	$(BIN)/python tools/bench.py --check

lab: install
	$(BIN)/python tools/notebooks.py lab-settings
	$(BIN)/jupyter lab book $(if $(filter 0,$(shell id -u)),--allow-root)

notebooks: install
	$(BIN)/python tools/execute.py
	$(BIN)/python tools/notebooks.py export --out _build/notebooks
	@echo "notebooks: _build/notebooks/{en,zh}/{clean,outputs} and a zip of each"

bench: install
	$(BIN)/python tools/execute.py --check
	$(BIN)/python tools/bench.py --write README.md

# A training step of each model of the book against its torch.nn twin (same weights, one
# thread, interleaved): the table "Model speed" of README.md.
bench-models: install
	$(BIN)/python tools/bench_models.py --write README.md

# The unit tests under PyTorch's default, AVX2 and AVX-512 kernels, MKL's COMPATIBLE and
# AVX2 paths, and 1 or 2 threads: what CI and readers' machines may run.
cpu-paths: install
	$(BIN)/python tools/cpu_paths.py

weights: install
	$(BIN)/python tools/weights.py

freeze: install
	{ head -n 2 requirements.txt; $(BIN)/python -m pip freeze --exclude-editable \
	    | sed 's/^torch==\(.*\)+cpu/torch==\1/'; } > requirements.new && mv requirements.new requirements.txt

clean:
	rm -rf _build .pytest_cache
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +
