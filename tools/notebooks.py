"""The MyST notebooks of the book, as Jupyter sees them.

    python tools/notebooks.py ipynb --out DIR   # book/<lang>/X.md → DIR/<lang>/X.ipynb
    python tools/notebooks.py lab-settings      # JupyterLab opens .md chapters as notebooks

Only MyST files with a jupytext header are notebooks; plain pages (index pages,
references) are skipped. The exported notebooks keep the folder of their language,
so lbdl_book.lang() picks the right language when they run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
LANGUAGES = ("en", "zh")


def is_notebook(path: Path) -> bool:
    """A MyST file is a notebook when its front matter has a ``jupytext`` entry."""
    text = path.read_text(encoding="utf-8")
    return text.startswith("---\n") and "\njupytext:" in text.split("\n---", 1)[0]


def notebooks(lang: str) -> list[Path]:
    return sorted(p for p in (BOOK / lang).rglob("*.md") if is_notebook(p))


def export(out: Path) -> list[Path]:
    """Write every notebook of both languages as .ipynb under ``out``; return the paths."""
    written = []
    for lang in LANGUAGES:
        for source in notebooks(lang):
            target = out / source.relative_to(BOOK).with_suffix(".ipynb")
            target.parent.mkdir(parents=True, exist_ok=True)
            jupytext.write(jupytext.read(source), target, fmt="ipynb")
            written.append(target)
    stale = {p for p in out.rglob("*.ipynb")} - set(written) if out.exists() else set()
    for path in stale:  # a chapter renamed or removed since the last export
        path.unlink()
    return written


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
    command = commands.add_parser("ipynb", help="export the notebooks as .ipynb")
    command.add_argument("--out", type=Path, required=True)
    commands.add_parser("lab-settings", help="JupyterLab default viewer for .md")
    args = parser.parse_args(argv)
    if args.command == "ipynb":
        written = export(args.out.resolve())
        print(f"{len(written)} notebooks written to {args.out}")
    else:
        print(f"JupyterLab settings: {lab_settings()}")


if __name__ == "__main__":
    main()
