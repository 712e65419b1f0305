"""The execute-once pipeline (tools/execute.py, tools/notebooks.py): a page's recorded
outputs are used only while its code, the lbdl_book files it ran and the environment
are those of the recording; prose edits do not re-execute it."""

import json

import nbformat
import pytest

import execute
import notebooks

PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# A page

Some prose.

```{code-cell} ipython3
x = 1 + 1
```
"""


@pytest.fixture
def book(tmp_path, monkeypatch):
    """A book with one English page, a record of its execution, and one lbdl_book file it ran."""
    root, records = tmp_path, tmp_path / "_build" / "executed"
    (root / "book" / "en").mkdir(parents=True)
    page = root / "book" / "en" / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    module = root / "lbdl_book" / "topic.py"
    module.parent.mkdir()
    module.write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.setattr(notebooks, "BOOK", root / "book")
    monkeypatch.setattr(notebooks, "RECORDS", records)
    monkeypatch.setattr(execute, "ROOT", root)
    now = {"profile": "cpu", "python": "3.x"}
    read = lambda lang, path: notebooks.jupytext.read(notebooks.BOOK / lang / path)  # noqa: E731 (uncached)
    monkeypatch.setattr(execute, "read_page", read)
    assert [cell.cell_type for cell in read("en", "page.md").cells] == ["markdown", "code"]
    (records / "en").mkdir(parents=True)
    nbformat.write(read("en", "page.md"), notebooks.record_path("en", notebooks.Path("page.md")))
    execution = {"code_key": notebooks.code_key(read("en", "page.md")), "environment": now,
                 "dependencies": {"lbdl_book/topic.py": execute.file_hash(module)}}
    notebooks.execution_path("en", notebooks.Path("page.md")).write_text(json.dumps(execution))
    return page, module, now


def test_an_unchanged_page_is_not_executed_again(book):
    _, _, now = book
    assert execute.staleness("en", notebooks.Path("page.md"), now) is None


def test_a_prose_edit_keeps_the_record(book):
    page, _, now = book
    page.write_text(page.read_text().replace("Some prose.", "Other prose, longer."), encoding="utf-8")
    assert execute.staleness("en", notebooks.Path("page.md"), now) is None


def test_a_code_edit_re_executes_the_page(book):
    page, _, now = book
    page.write_text(page.read_text().replace("1 + 1", "1 + 2"), encoding="utf-8")
    assert execute.staleness("en", notebooks.Path("page.md"), now) == "its code changed"


def test_an_edit_to_an_lbdl_book_file_it_ran_re_executes_the_page(book):
    _, module, now = book
    module.write_text("VALUE = 2\n", encoding="utf-8")
    assert execute.staleness("en", notebooks.Path("page.md"), now) == "lbdl_book/topic.py changed"


def test_another_environment_re_executes_the_page(book):
    _, _, now = book
    assert execute.staleness("en", notebooks.Path("page.md"), {**now, "profile": "gpu"}) == "the environment changed"


def test_a_page_never_executed_is_stale(book):
    _, _, now = book
    notebooks.execution_path("en", notebooks.Path("page.md")).unlink()
    assert execute.staleness("en", notebooks.Path("page.md"), now) == "never executed"
