"""pytest plugin loaded by tools/execute.py next to nbval: keep what a notebook printed.

nbval executes each notebook in a fresh kernel and fails on the first cell that raises,
showing that cell. This plugin adds two things:

* when every cell of a notebook passed, it writes the notebook with the outputs nbval
  collected to ``--nbrecord DIR`` (same relative path), with ``metadata.lbdl_execution``
  (also written beside it as ``<page>.json``):
  the code key of the page (tools/notebooks.py), the files of every ``lbdl_book`` module
  the kernel had loaded at the end, with their hashes, the environment and the time the
  notebook took (kernel start included). The book is rendered from these records, so a
  page is executed once per test run, and ``tools/execute.py`` knows when a record is stale;
* kernels start one at a time (a file lock held until the kernel answers): two kernels
  started at once pick their ports at the same moment and may pick the same ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from filelock import FileLock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebooks import code_key  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lbdl_book"

# Run in the kernel after the last cell: which lbdl_book files the page used.
# String catalogues count only when the page printed one of their strings.
DEPENDENCIES = """
def _lbdl_dependencies():
    import json, sys
    i18n = sys.modules.get("lbdl_book.i18n")
    used = i18n.catalogues_used() if i18n else set()
    files = sorted(
        module.__file__ for name, module in list(sys.modules.items())
        if (name == "lbdl_book" or name.startswith("lbdl_book.")) and getattr(module, "__file__", None)
        and (not name.startswith("lbdl_book.strings.") or name in used))
    weights = sys.modules.get("lbdl_book.weights")
    files += weights.files_used() if weights else []
    config = sys.modules.get("lbdl_book.config")
    environment = {"profile": config.profile(), "device": config.device().type} if config else {}
    print(json.dumps({"files": files, "environment": environment}))
_lbdl_dependencies()
"""


def pytest_addoption(parser):
    parser.addoption("--nbrecord", type=Path, default=None,
                     help="folder where notebooks whose cells all passed are written with their outputs")


def pytest_configure(config):
    import nbval.kernel

    lock = FileLock(str(Path(os.environ.get("TMPDIR", "/tmp")) / f"lbdl-kernel-start-{os.getuid()}.lock"))
    start = nbval.kernel.start_new_kernel

    def start_one_at_a_time(*args, **kwargs):
        with lock:
            return start(*args, **kwargs)

    nbval.kernel.start_new_kernel = start_one_at_a_time
    config._nbrecord = {}


def _is_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    if _is_cell(item):
        item.config._nbrecord.setdefault(item.parent.nodeid, {"start": time.perf_counter(), "failed": False, "count": 0})
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if not _is_cell(item):
        return
    state = item.config._nbrecord.get(item.parent.nodeid)
    if state is None:  # the teardown of the last cell, after the record was written
        return
    report = outcome.get_result()
    if report.failed:
        state["failed"] = True
    if call.when == "call":
        state["count"] += 1
        item.cell.outputs = list(item.test_outputs or [])
        item.cell.execution_count = state["count"]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item, nextitem):
    """After the last cell of a notebook, while its kernel still runs: write the record."""
    if not _is_cell(item) or (nextitem is not None and nextitem.parent is item.parent):
        return
    folder = item.config.getoption("nbrecord")
    state = item.config._nbrecord.pop(item.parent.nodeid)
    if folder is None or state["failed"] or state["count"] != sum(c.cell_type == "code" for c in item.parent.nb.cells):
        return
    seconds = time.perf_counter() - state["start"]
    used = _kernel_dependencies(item.parent.kernel)
    notebook = item.parent.nb
    execution = notebook.metadata["lbdl_execution"] = {
        "code_key": code_key(notebook),
        "dependencies": {_relative(path): file_hash(Path(path)) for path in used["files"]},
        "environment": {**used["environment"], **environment()},
        "seconds": round(seconds, 2),
    }
    target = Path(folder) / Path(str(item.parent.path)).relative_to(item.config.invocation_params.dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    for path, text in ((target, nbformat.writes(notebook)), (target.with_suffix(".json"), json.dumps(execution, indent=1))):
        partial = path.with_suffix(".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)


def _kernel_dependencies(kernel) -> dict:
    printed = []

    def keep(message):
        if message["msg_type"] == "stream":
            printed.append(message["content"]["text"])

    reply = kernel.kc.execute_interactive(DEPENDENCIES, timeout=60, output_hook=keep, store_history=False)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"could not list the modules the notebook used: {reply['content']}")
    return json.loads("".join(printed))


def _relative(path: str) -> str:
    return Path(path).resolve().relative_to(ROOT).as_posix()


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def environment() -> dict[str, str]:
    """What, outside the page and lbdl_book, decides what the page prints: the Python
    version and the pinned environment (``requirements.txt``)."""
    return {
        "python": ".".join(map(str, sys.version_info[:2])),
        "requirements": file_hash(ROOT / "requirements.txt"),
        "package_data": package_data_hash(),
    }


def package_data_hash() -> str:
    """One hash of the data files shipped in lbdl_book (CSV, text): a page that reads them
    depends on them, which the list of imported modules does not show. Weights files are
    left out: the pages that load one list it among their dependencies (weights.files_used)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc", ".safetensors")
                       and "__pycache__" not in p.parts):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]
