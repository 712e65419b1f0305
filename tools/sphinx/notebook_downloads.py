"""Sphinx extension: every notebook page offers itself as .ipynb, with and without outputs.

The theme's download menu offers a page's source file. The books are built from
notebooks that carry the outputs of the notebook test (tools/site.py), so for a
notebook page the menu is replaced by the two versions that ``make notebooks`` writes
and tools/site.py publishes beside each book (``notebooks/outputs/<page>.ipynb`` and
``notebooks/clean/<page>.ipynb``), plus the theme's "print to PDF".
"""

from __future__ import annotations

LABELS = {
    "en": {"outputs": (".ipynb", "Download this page as a notebook, with the outputs shown here"),
           "clean": (".ipynb (no outputs)", "Download this page as a notebook, without outputs, to run it yourself"),
           "menu": "Download this page"},
    "zh": {"outputs": (".ipynb（含输出）", "下载本页的 Jupyter 笔记本，含本页显示的输出"),
           "clean": (".ipynb（无输出）", "下载本页的 Jupyter 笔记本，不含输出，自己从头运行"),
           "menu": "下载本页"},
}


def notebook_buttons(app, pagename, templatename, context, doctree) -> None:
    if context.get("page_source_suffix") != ".ipynb":
        return
    labels = LABELS["zh" if (app.config.language or "en").startswith("zh") else "en"]
    pathto = context["pathto"]
    links = [
        {"type": "link", "url": pathto(f"notebooks/{kind}/{pagename}.ipynb", 1), "text": labels[kind][0],
         "tooltip": labels[kind][1], "icon": "fas fa-code", "label": f"download-notebook-{kind}-button"}
        for kind in ("outputs", "clean")
    ]
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            pdf = [b for b in button["buttons"] if b.get("label") == "download-pdf-button"]
            button["buttons"] = links + pdf
            button["tooltip"] = labels["menu"]


def setup(app):
    # After sphinx-book-theme has filled the header buttons (default priority 500).
    app.connect("html-page-context", notebook_buttons, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
