"""The two books stay in step: same pages, same code, same labels, Chinese not behind."""

import shutil

import pytest

import parity


def test_english_and_chinese_books_are_in_step():
    problems = parity.check()
    assert not problems, "\n".join(problems)


@pytest.fixture
def book_copy(tmp_path, monkeypatch):
    shutil.copytree(parity.BOOK / "en", tmp_path / "en")
    shutil.copytree(parity.BOOK / "zh", tmp_path / "zh")
    monkeypatch.setattr(parity, "BOOK", tmp_path)
    return tmp_path


def test_a_changed_chinese_code_cell_is_reported(book_copy):
    page = book_copy / "zh" / "ch01" / "basis-function-regression.md"
    page.write_text(page.read_text(encoding="utf-8").replace("steps=600", "steps=601", 1), encoding="utf-8")
    assert any("code cell" in p and "basis-function-regression" in p for p in parity.check())


def test_a_missing_label_or_page_is_reported(book_copy):
    page = book_copy / "zh" / "ch01" / "under-and-overfitting.md"
    page.write_text(page.read_text(encoding="utf-8").replace("(sec-capacity)=\n", "", 1), encoding="utf-8")
    (book_copy / "zh" / "preface.md").unlink()
    problems = parity.check()
    assert any("labels differ" in p for p in problems)
    assert "only in book/en: preface.md" in problems


def test_an_edited_english_page_marks_its_translation_behind(book_copy):
    page = book_copy / "en" / "ch01" / "learning-from-data.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    assert [str(p) for p in parity.behind()] == ["ch01/learning-from-data.md"]
    parity.stamp(page.relative_to(book_copy / "en"))
    assert parity.behind() == []


def test_every_notebook_page_has_a_check_key_points_and_exercises():
    import notebooks
    for lang in ("en", "zh"):
        for page in notebooks.notebooks(lang):
            path = notebooks.BOOK / lang / page
            text = path.read_text(encoding="utf-8")
            name = path.relative_to(parity.BOOK)
            assert "assert " in text, f"{name} asserts nothing"
            if "ch0" in str(name):
                assert ":class: tip" in text and "{exercise" in text, f"{name} lacks key points or exercises"


def test_labels_figures_exercises_and_equations_are_unique_in_each_book():
    """Sphinx refuses a target defined twice (the build treats the warning as an error):
    catch it here, in seconds, with the two pages that define it."""
    import collections

    for lang in ("en", "zh"):
        where = collections.defaultdict(list)
        for page in sorted(parity.pages(lang)):
            s = parity.structure((parity.BOOK / lang / page).read_text(encoding="utf-8"))
            for target in (*s.labels, *s.figures, *s.exercises, *s.equations):
                where[target].append(str(page))
        repeated = {target: pages for target, pages in where.items() if len(pages) > 1}
        assert not repeated, f"{lang}: targets defined more than once: {repeated}"
