"""Checks of the built site (_build/site): both books, the language switch, internal
links, Chinese search, math and the kernel-free interactive figures.

`make test` builds the site first; run alone, these tests build it if it is missing
(tests/site/conftest.py)."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest


class Page(HTMLParser):
    def __init__(self, path: Path):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.switch: list[str] = []
        self.lang = None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "html":
            self.lang = attrs.get("lang")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
            if "lbdl-lang-switch" in (attrs.get("class") or ""):
                self.switch.append(attrs["href"])


def pages(root: Path, lang: str) -> list[Path]:
    return sorted(p for p in (root / lang).rglob("*.html") if "_static" not in p.parts and "_sources" not in p.parts)


def test_landing_page_offers_both_languages(site):
    landing = Page(site / "index.html")
    assert {"en/index.html", "zh/index.html"} <= set(landing.links)


@pytest.mark.parametrize(("lang", "html_lang", "other"), [("en", "en", "zh"), ("zh", "zh-CN", "en")])
def test_every_page_switches_to_the_same_page_in_the_other_language(site, lang, html_lang, other):
    content = [p for p in pages(site, lang) if p.name not in ("genindex.html", "search.html")]
    assert len(content) >= 8
    for path in content:
        page = Page(path)
        assert page.lang == html_lang, path
        assert len(page.switch) == 1, f"{path} has no language switch"
        target = (path.parent / page.switch[0]).resolve()
        assert target == (site / other / path.relative_to(site / lang)).resolve() and target.exists(), path


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_internal_links_and_anchors_resolve(site, lang):
    broken = []
    cache: dict[Path, Page] = {}
    for path in pages(site, lang):
        for href in Page(path).links:
            if re.match(r"^[a-z]+:", href) or href.startswith("//"):
                continue
            target, anchor = urldefrag(unquote(href))
            file = (path.parent / target).resolve() if target else path
            if not file.exists():
                broken.append(f"{path.relative_to(site)} -> {href}")
                continue
            if anchor and file.suffix == ".html":
                page = cache.setdefault(file, Page(file))
                if anchor not in page.ids:
                    broken.append(f"{path.relative_to(site)} -> {href} (no such anchor)")
    assert not broken, "\n".join(broken[:20])


def search_index(site, lang):
    text = (site / lang / "searchindex.js").read_text(encoding="utf-8")
    return json.loads(text[text.index("(") + 1: text.rindex(")")])


def test_chinese_search_finds_the_basis_function_section(site):
    index = search_index(site, "zh")

    def pages_for(term):
        # Sphinx indexes a page's title words under titleterms, other words under terms.
        found = set()
        for table in ("terms", "titleterms"):
            hits = index[table].get(term, [])
            found |= {index["docnames"][i] for i in ([hits] if isinstance(hits, int) else hits)}
        return found

    assert pages_for("基函数"), "基函数 is not a search term: jieba segmentation is missing"
    assert "ch01/basis-function-regression" in pages_for("基函数")
    assert "ch01/under-and-overfitting" in pages_for("欠拟合")


def test_pages_have_math_figures_and_hidden_solutions(site):
    for lang in ("en", "zh"):
        html = (site / lang / "ch01" / "basis-function-regression.html").read_text(encoding="utf-8")
        assert "mathjax" in html.lower() and r"\Phi^\top" in html
        assert html.count('id="fig-1-1"') == 1
        assert html.count('class="solution dropdown') >= 3
        assert "output traceback" not in html and "output error" not in html


def test_interactive_figure_works_without_a_kernel(site):
    for lang in ("en", "zh"):
        html = (site / lang / "ch01" / "basis-function-regression.html").read_text(encoding="utf-8")
        explorer = html[html.index('class="lbdl-explorer"'):]
        assert explorer.count('type="range"') >= 2
        frames = re.search(r"var frames=(\{.*?\});", explorer).group(1)
        assert len(json.loads(frames)) == 8 * 5
        assert "@jupyter-widgets/html-manager" not in html    # nothing fetched from a CDN


def test_figure_labels_are_in_the_book_language(site):
    en = (site / "en" / "ch01" / "basis-function-regression.html").read_text(encoding="utf-8")
    zh = (site / "zh" / "ch01" / "basis-function-regression.html").read_text(encoding="utf-8")
    assert "train MSE" in en and "训练 MSE" in zh and "train MSE" not in zh


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_each_book_ships_a_font_covering_its_chinese_text(site, lang):
    from fontTools.ttLib import TTFont

    covered = set(TTFont(site / lang / "_static" / "lbdl-noto-sans-sc.woff").getBestCmap())
    for page in pages(site, lang):
        text = page.read_text(encoding="utf-8")
        missing = {c for c in text if "\u4e00" <= c <= "\u9fff" and ord(c) not in covered}
        assert not missing, (page, sorted(missing)[:20])
    assert 'href="../_static/lbdl-cjk.css' in (site / lang / "ch01" / "under-and-overfitting.html").read_text(encoding="utf-8")
