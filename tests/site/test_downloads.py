"""The notebooks a reader downloads from the site.

Every notebook page of both books links to itself as .ipynb, with the outputs the page
shows and without outputs; both files exist, carry the page's code after one cell that
sets the notebook's language, and one of each language runs top to bottom in a fresh
kernel, in a folder that says nothing of its language, as in Colab or a Downloads folder.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
from notebooks import LANGUAGE_CELL, LANGUAGES, notebooks, read_page, zip_name  # noqa: E402

KINDS = ("outputs", "clean")


def code_of(notebook) -> list[str]:
    return [cell.source for cell in notebook.cells if cell.cell_type == "code"]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_notebook_page_links_to_both_downloads(site, lang):
    missing = []
    for page in notebooks(lang):
        name = page.with_suffix("").as_posix()
        html = (site / lang / f"{name}.html").read_text(encoding="utf-8")
        up = "../" * name.count("/")
        for kind in KINDS:
            if f'href="{up}notebooks/{kind}/{name}.ipynb"' not in html:
                missing.append(f"{lang}/{name}.html has no link to notebooks/{kind}/{name}.ipynb")
            if not (site / lang / "notebooks" / kind / f"{name}.ipynb").exists():
                missing.append(f"{lang}/notebooks/{kind}/{name}.ipynb does not exist")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_downloads_carry_the_page_code_with_and_without_outputs(site, lang):
    for page in notebooks(lang):
        code = code_of(read_page(lang, page))
        clean, executed = (nbformat.read(site / lang / "notebooks" / kind / page.with_suffix(".ipynb"), as_version=4)
                           for kind in ("clean", "outputs"))
        for notebook in (clean, executed):
            assert code_of(notebook) == [LANGUAGE_CELL[lang], *code], f"{lang}/{page}: a download differs from the page's code"
        assert not any(cell.get("outputs") for cell in clean.cells), f"{lang}/{page}: the clean notebook has outputs"
        assert any(cell.get("outputs") for cell in executed.cells), f"{lang}/{page}: the executed notebook has none"
        assert "jupytext" not in clean.metadata and "lbdl_execution" not in executed.metadata


@pytest.mark.parametrize("lang", LANGUAGES)
def test_archives_hold_every_notebook(site, lang):
    expected = {f"lbdl-{lang}/{page.with_suffix('.ipynb').as_posix()}" for page in notebooks(lang)}
    for kind in KINDS:
        with zipfile.ZipFile(site / lang / "notebooks" / zip_name(lang, kind)) as archive:
            assert set(archive.namelist()) == expected


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_downloaded_notebook_runs_in_a_fresh_kernel_and_speaks_its_language(site, lang, tmp_path, monkeypatch):
    """The clean download of §1.1, run top to bottom by nbclient in a new kernel, from a
    folder whose name says nothing of the language: its first cell sets it."""
    from nbclient import NotebookClient

    page = Path("ch01/learning-from-data.ipynb")
    shutil.copy(site / lang / "notebooks" / "clean" / page, tmp_path / page.name)
    notebook = nbformat.read(tmp_path / page.name, as_version=4)
    monkeypatch.delenv("LBDL_LANG", raising=False)
    monkeypatch.setenv("LBDL_PROGRESS", "0")
    NotebookClient(notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert all(cell.execution_count for cell in notebook.cells if cell.cell_type == "code")
    printed = "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outputs)
    has_chinese = any("\u4e00" <= c <= "\u9fff" for c in printed)
    assert has_chinese == (lang == "zh"), f"the {lang} notebook printed: {printed[:300]!r}"
