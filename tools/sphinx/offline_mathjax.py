"""Sphinx extension: serve MathJax 3 with the site, so math renders without a network.

The MathJax files come from the ``sphinx-mathjax-offline`` wheel (a pinned
requirement); that package's own extension cannot be imported (its folder name has
hyphens), so this one copies the few parts a ``tex-chtml`` page needs.
"""

from __future__ import annotations

import shutil
from importlib.metadata import distribution
from pathlib import Path

PARTS = ("tex-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions", "ui", "a11y")


def mathjax_folder() -> Path:
    folder = Path(distribution("sphinx-mathjax-offline").locate_file("sphinx-mathjax-offline/static/mathjax"))
    if not (folder / "tex-chtml.js").is_file():
        raise RuntimeError(f"MathJax not found in {folder}: pip install -r requirements.txt")
    return folder


def use_local_mathjax(app, config) -> None:
    config.mathjax_path = "mathjax/tex-chtml.js"


def copy_mathjax(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source, target = mathjax_folder(), Path(app.outdir) / "_static" / "mathjax"
    for part in PARTS:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)


def setup(app):
    app.connect("config-inited", use_local_mathjax)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
