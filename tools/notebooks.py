"""The MyST notebooks of the book, as Jupyter sees them, and their executed versions.

    python tools/notebooks.py export --out DIR  # DIR/<lang>/{clean,outputs}/X.ipynb and two zips per language
    python tools/notebooks.py lab-settings      # JupyterLab opens .md chapters as notebooks

Only MyST files with a jupytext header are notebooks; plain pages (index pages,
references) are skipped. Every notebook exists in two versions for readers:

* ``clean``: the page as a notebook, without outputs (what a class runs from scratch);
* ``outputs``: the same page with the outputs of its execution by the notebook test
  (``tools/execute.py``), exactly what the HTML book shows.

The outputs of a page are kept in a *record* (``_build/executed/<lang>/X.ipynb``),
keyed by :func:`code_key`: the code cells and the kernel, not the prose, so that an
edit to the text of a page reuses its outputs and an edit to its code re-executes it.
"""

from __future__ import annotations

import argparse
import copy
import functools
import hashlib
import json
import sys
import zipfile
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
BUILD = ROOT / "_build"
RECORDS = BUILD / "executed"
LANGUAGES = ("en", "zh")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def is_notebook(path: Path) -> bool:
    """A MyST file is a notebook when its front matter has a ``jupytext`` entry."""
    text = path.read_text(encoding="utf-8")
    return text.startswith("---\n") and "\njupytext:" in text.split("\n---", 1)[0]


def notebooks(lang: str) -> list[Path]:
    """The notebook pages of a language's book, as paths relative to ``book/<lang>``."""
    return sorted(p.relative_to(BOOK / lang) for p in (BOOK / lang).rglob("*.md") if is_notebook(p))


@functools.cache
def read_page(lang: str, page: Path) -> nbformat.NotebookNode:
    """``book/<lang>/<page>`` (a MyST file) as a notebook without outputs. Cells get ids
    from their position (jupytext draws random ones), so the same page always gives
    the same file and an unchanged page is not rebuilt. Cached: do not modify it."""
    notebook = jupytext.read(BOOK / lang / page)
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
    return notebook


def code_key(notebook: nbformat.NotebookNode) -> str:
    """SHA-256 of what executing ``notebook`` depends on within the page: the source and
    metadata of its code cells, in order, and its kernel. Prose is left out."""
    cells = [[cell.source, cell.metadata] for cell in notebook.cells if cell.cell_type == "code"]
    kernel = notebook.metadata.get("kernelspec", {}).get("name")
    payload = json.dumps([kernel, cells], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record_path(lang: str, page: Path) -> Path:
    return RECORDS / lang / page.with_suffix(".ipynb")


def execution_path(lang: str, page: Path) -> Path:
    """The record's ``lbdl_execution`` metadata, also kept in a small file of its own so
    that checking whether a record is up to date does not parse the outputs."""
    return RECORDS / lang / page.with_suffix(".json")


def read_record(lang: str, page: Path) -> nbformat.NotebookNode | None:
    """The executed notebook of a page (written and validated by tools/nbrecord.py), or
    ``None`` if the page was never executed."""
    path = record_path(lang, page)
    return nbformat.from_dict(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


def read_execution(lang: str, page: Path) -> dict | None:
    """What the last successful execution of a page ran (see tools/nbrecord.py)."""
    path = execution_path(lang, page)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def with_outputs(notebook: nbformat.NotebookNode, record: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``notebook`` (the current page) with the outputs of ``record`` (its execution),
    matched code cell by code cell. The two must have the same :func:`code_key`."""
    if code_key(notebook) != record.metadata.get("lbdl_execution", {}).get("code_key"):
        raise ValueError("the record was executed from other code than this notebook's")
    merged = copy.deepcopy(notebook)
    executed = [cell for cell in record.cells if cell.cell_type == "code"]
    for cell, done in zip((c for c in merged.cells if c.cell_type == "code"), executed):
        cell.outputs = copy.deepcopy(done.outputs)
        cell.execution_count = done.execution_count
    return merged


LANGUAGE_CELL = {
    "en": "# The figures and printed text of this notebook are in English (lbdl_book.lang()).\n%env LBDL_LANG=en",
    "zh": "# 本笔记本的图和输出文字使用中文（lbdl_book.lang()）。\n%env LBDL_LANG=zh",
}


def for_readers(notebook: nbformat.NotebookNode, lang: str) -> nbformat.NotebookNode:
    """A copy to download. In the book, a page speaks the language of its folder; a
    downloaded notebook may run anywhere (Colab, a classroom folder), so it starts with
    a cell that sets its language. It has no bookkeeping metadata, and interactive
    figures keep their pre-computed HTML version rather than a widget view whose state
    is not saved (running the cell brings the live widget back)."""
    clean = copy.deepcopy(notebook)
    for key in ("jupytext", "lbdl", "lbdl_execution"):
        clean.metadata.pop(key, None)
    for cell in clean.cells:
        for output in cell.get("outputs", []):
            output.get("data", {}).pop(WIDGET_VIEW, None)
    clean.cells.insert(0, nbformat.v4.new_code_cell(LANGUAGE_CELL[lang]))
    return clean


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds it (keeps the modification
    time of unchanged files, so Sphinx does not read them again). True if written."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def notebook_text(notebook: nbformat.NotebookNode) -> str:
    """The .ipynb text of a notebook (nbformat's layout; the notebooks written here are
    made of validated pieces, so the validation of every write is skipped)."""
    return nbformat.v4.nbjson.writes(notebook) + "\n"


def page_digest(lang: str, page: Path) -> str:
    """A digest of what the files made from a page depend on: its MyST text and the
    record of its execution."""
    digest = hashlib.sha256((BOOK / lang / page).read_bytes())
    execution = execution_path(lang, page)
    digest.update(execution.read_bytes() if execution.exists() else b"")
    return digest.hexdigest()


class Stamps:
    """The digest of the inputs each file of a derived tree was made from, kept in a
    JSON file: a file is made again only when its inputs changed, so rebuilding an
    unchanged book reads no notebook."""

    def __init__(self, path: Path):
        self.path = path
        self.digests = json.loads(path.read_text()) if path.exists() else {}

    def fresh(self, target: Path, digest: str) -> bool:
        return target.exists() and self.digests.get(str(target)) == digest

    def record(self, target: Path, digest: str) -> None:
        self.digests[str(target)] = digest

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.digests, indent=0, sort_keys=True))


@functools.cache
def executed_page(lang: str, page: Path) -> nbformat.NotebookNode:
    """The current page with the outputs of its execution; ``SystemExit`` if the page has
    no up-to-date record (run ``tools/execute.py`` first). Cached: do not modify it."""
    notebook = read_page(lang, page)
    execution = read_execution(lang, page)
    if execution is None or execution.get("code_key") != code_key(notebook):
        raise SystemExit(f"{lang}/{page} has no up-to-date execution record: run tools/execute.py")
    return with_outputs(notebook, read_record(lang, page))


def export(out: Path) -> list[Path]:
    """Write every notebook of both languages, with and without outputs, under ``out``
    (``<lang>/clean/X.ipynb``, ``<lang>/outputs/X.ipynb``) and a zip of each set per
    language; return the paths written or kept."""
    kept = []
    stamps = Stamps(out / "stamps.json")
    makers = {"clean": lambda lang, page: read_page(lang, page),
              "outputs": lambda lang, page: executed_page(lang, page)}
    for lang in LANGUAGES:
        for kind, make in makers.items():
            files = {}
            for page in notebooks(lang):
                name = page.with_suffix(".ipynb").as_posix()
                target, digest = out / lang / kind / name, page_digest(lang, page)
                if stamps.fresh(target, digest):
                    files[name] = target.read_text(encoding="utf-8")
                else:
                    files[name] = notebook_text(for_readers(make(lang, page), lang))
                    write_if_changed(target, files[name])
                    stamps.record(target, digest)
                kept.append(target)
            archive = out / lang / zip_name(lang, kind)
            write_zip(archive, {f"lbdl-{lang}/{name}": text for name, text in files.items()})
            kept.append(archive)
    stamps.digests = {path: digest for path, digest in stamps.digests.items() if Path(path) in kept}
    stamps.save()
    kept.append(stamps.path)
    for path in set(out.rglob("*")) - set(kept):  # pages renamed or removed since the last export
        if path.is_file():
            path.unlink()
    return kept


def zip_name(lang: str, kind: str) -> str:
    return f"lbdl-notebooks-{lang}.zip" if kind == "clean" else f"lbdl-notebooks-{lang}-outputs.zip"


def write_zip(path: Path, files: dict[str, str]) -> None:
    """A zip of ``files`` (name → text) with fixed timestamps, rewritten only if its
    content changed (the archive's comment holds the digest of its content)."""
    entries = sorted(files.items())
    digest = hashlib.sha256(json.dumps(entries, ensure_ascii=False).encode()).hexdigest().encode()
    if path.exists():
        with zipfile.ZipFile(path) as archive:
            if archive.comment == digest:
                return
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in entries:
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
        archive.comment = digest


def lab_settings() -> Path:
    """Make JupyterLab open Markdown files with the Jupytext notebook view by default."""
    settings = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings"
    settings.mkdir(parents=True, exist_ok=True)
    path = settings / "overrides.json"
    overrides = json.loads(path.read_text()) if path.exists() else {}
    viewers = {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}
    overrides.setdefault("@jupyterlab/docmanager-extension:plugin", {})["defaultViewers"] = viewers
    path.write_text(json.dumps(overrides, indent=2))
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("export", help="the notebooks as .ipynb, with and without outputs")
    command.add_argument("--out", type=Path, required=True)
    commands.add_parser("lab-settings", help="JupyterLab default viewer for .md")
    args = parser.parse_args(argv)
    if args.command == "export":
        written = export(args.out.resolve())
        print(f"{len(written)} notebooks and archives in {args.out}")
    else:
        print(f"JupyterLab settings: {lab_settings()}")


if __name__ == "__main__":
    main()
