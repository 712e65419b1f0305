"""Execute the book's notebooks: the notebook test, and the outputs the book shows.

    python tools/execute.py                  # execute every page whose record is stale
    python tools/execute.py --all            # execute every page of both languages
    python tools/execute.py en/ch04/pooling  # these pages (language/page, .md optional)
    python tools/execute.py --check          # list stale pages; exit 1 if there are any

Each page is converted to .ipynb with jupytext (into ``_build/nbtest/<lang>/``) and
executed by nbval (``pytest --nbval-lax``), which fails on any cell that raises and
shows that cell. Pages run two at a time (``--jobs``), each kernel with its share of
the cores (``LBDL_THREADS``, applied by ``lbdl_book`` at import): more threads than
cores make OpenMP threads wait on each other, which is what made parallel runs thrash.

The plugin ``tools/nbrecord.py`` keeps the outputs of every page whose cells all passed
(``_build/executed/<lang>/<page>.ipynb``). A record is stale when the page's code
cells, a file of ``lbdl_book`` that the page ran, the pinned environment or the
profile changed; a change to a page's prose alone does not make it stale.
``tools/site.py`` renders the books from the records, so each page is executed once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import jupytext

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nbrecord import ROOT, environment, file_hash  # noqa: E402
from notebooks import (BOOK, BUILD, LANGUAGES, code_key, execution_path, notebooks, read_execution, read_page,  # noqa: E402
                       record_path)

NBTEST = BUILD / "nbtest"
LOG = BUILD / "nbtest.log"
CELL_TIMEOUT = 120  # seconds per cell; the budget is 30 s per notebook (tools/bench.py)


def current_environment() -> dict[str, str]:
    """:func:`nbrecord.environment` plus the profile and device a kernel would use now."""
    from lbdl_book import config

    return {"profile": config.profile(), "device": config.device().type, **environment()}


def staleness(lang: str, page: Path, now: dict[str, str]) -> str | None:
    """Why the record of ``lang/page`` cannot be used, or ``None`` if it is up to date."""
    execution = read_execution(lang, page)
    if execution is None or not record_path(lang, page).exists():
        return "never executed"
    if execution.get("code_key") != code_key(read_page(lang, page)):
        return "its code changed"
    if execution.get("environment") != now:
        return "the environment changed"
    for relative, digest in execution.get("dependencies", {}).items():
        path = ROOT / relative
        if not path.exists() or file_hash(path) != digest:
            return f"{relative} changed"
    return None


def all_pages() -> list[tuple[str, Path]]:
    return [(lang, page) for lang in LANGUAGES for page in notebooks(lang)]


def parse_page(text: str) -> tuple[str, Path]:
    lang, _, rest = text.strip("/").partition("/")
    page = Path(rest if rest.endswith(".md") else rest + ".md")
    if lang not in LANGUAGES or not (BOOK / lang / page).exists():
        raise SystemExit(f"no page {text!r}: give it as <lang>/<page>, e.g. en/ch04/pooling")
    return lang, page


def expected_seconds(lang: str, page: Path) -> float:
    execution = read_execution(lang, page)
    return execution.get("seconds", 10.0) if execution else 10.0


def run(pages: list[tuple[str, Path]], jobs: int) -> int:
    """Execute ``pages`` with nbval, ``jobs`` at a time; return pytest's exit code."""
    targets = []
    # Longest first, so that two workers finish together.
    for lang, page in sorted(pages, key=lambda p: -expected_seconds(*p)):
        target = NBTEST / lang / page.with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(read_page(lang, page), target, fmt="ipynb")
        for path in (record_path(lang, page), execution_path(lang, page)):
            path.unlink(missing_ok=True)  # a failing page leaves no record
        targets.append(target.relative_to(NBTEST).as_posix())
    threads = max(1, (os.cpu_count() or 1) // jobs)
    env = dict(os.environ, LBDL_THREADS=str(threads), OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               LBDL_PROGRESS="0", PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "tools"), os.environ.get("PYTHONPATH")])))
    env.pop("LBDL_LANG", None)  # each page speaks the language of its folder
    command = [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
               f"--nbval-cell-timeout={CELL_TIMEOUT}", "-p", "nbrecord", f"--nbrecord={BUILD / 'executed'}",
               "-p", "no:cacheprovider", "-q", "--durations=0", "--durations-min=0"]
    if jobs > 1 and len(targets) > 1:
        command += ["-n", str(min(jobs, len(targets))), "--dist", "loadfile"]
    print(f"executing {len(targets)} notebooks, {jobs} at a time, {threads} thread(s) each", flush=True)
    start = time.perf_counter()
    with open(LOG, "w", encoding="utf-8") as log:
        process = subprocess.Popen(command + targets, cwd=NBTEST, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:
            sys.stdout.write(line)
            log.write(line)
        code = process.wait()
    print(f"notebooks: {time.perf_counter() - start:.0f} s wall", flush=True)
    return code


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help="pages to execute, as <lang>/<page> (default: the stale ones)")
    parser.add_argument("--all", action="store_true", help="execute every page")
    parser.add_argument("--check", action="store_true", help="only list the stale pages; exit 1 if any")
    parser.add_argument("--jobs", type=int, default=2, help="notebooks executed at a time (default 2)")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    now = current_environment()
    if args.pages:
        chosen = [parse_page(text) for text in args.pages]
    else:
        reasons = {page: staleness(*page, now) for page in all_pages()}
        if args.check or not args.all:
            for (lang, page), reason in reasons.items():
                if reason:
                    print(f"stale: {lang}/{page.with_suffix('')} ({reason})")
        chosen = list(reasons) if args.all else [page for page, reason in reasons.items() if reason]
        if args.check:
            raise SystemExit(1 if chosen else 0)
    if not chosen:
        print("every notebook record is up to date")
        return
    code = run(chosen, args.jobs)
    missing = [f"{lang}/{page}" for lang, page in chosen if staleness(lang, page, now)]
    if code or missing:
        raise SystemExit(code or f"no up-to-date record for {', '.join(missing)}")


if __name__ == "__main__":
    main()
