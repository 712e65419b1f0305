"""Checks of the built site (_build/site): both books, the landing page, the language
switch, internal links, Chinese search, math and the kernel-free interactive figures.

`make test` builds the site first; run alone, these tests build it if it is missing
(tests/site/conftest.py), or check the site given by `--site PATH` / `LBDL_SITE`."""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


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


class Landing(HTMLParser):
    """The landing page's links, with their text, and whether they are in its contents."""

    def __init__(self, path: Path):
        super().__init__()
        self.links: list[dict] = []
        self.images: list[dict] = []
        self._open: list[str] = []
        self._nav_depth = None
        self._link = None
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and "lbdl-toc" in (attrs.get("class") or ""):
            self._nav_depth = len(self._open)
        if tag == "img":
            self.images.append(attrs)
        if tag in ("img", "meta", "link", "br", "hr", "input", "source", "wbr"):
            return                                  # void elements: no end tag
        self._open.append(tag)
        if tag == "a":
            self._link = dict(attrs, text="", in_toc=self._nav_depth is not None)
            self.links.append(self._link)

    def handle_endtag(self, tag):
        while self._open and self._open.pop() != tag:
            pass
        if tag == "a":
            self._link = None
        if self._nav_depth is not None and len(self._open) <= self._nav_depth:
            self._nav_depth = None

    def handle_data(self, data):
        if self._link is not None:
            self._link["text"] += data


class Title(HTMLParser):
    """The text of a built page's first <h1>, without its permalink."""

    def __init__(self, path: Path):
        super().__init__()
        self.text, self._state, self._skip = "", "before", 0
        self.feed(path.read_text(encoding="utf-8"))

    def handle_starttag(self, tag, attrs):
        if tag == "h1" and self._state == "before":
            self._state = "in"
        elif self._state == "in" and tag == "a" and "headerlink" in (dict(attrs).get("class") or ""):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "h1" and self._state == "in":
            self._state = "after"
        elif tag == "a" and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._state == "in" and not self._skip:
            self.text += data


def toc_files(items) -> list[str]:
    files = []
    for item in items:
        files.append(item["file"])
        files += toc_files(item.get("sections", []))
    return files


def test_landing_page_offers_both_languages(site):
    landing = Page(site / "index.html")
    assert {"en/index.html", "zh/index.html"} <= set(landing.links)


def test_landing_page_links_resolve(site):
    """Every link of the landing page leads to a file of the site (the notebook archives
    included), or to an https page elsewhere; so does its figure."""
    landing = Landing(site / "index.html")
    broken = []
    for href in [link["href"] for link in landing.links] + [image["src"] for image in landing.images]:
        if re.match(r"^[a-z]+:", href):
            if not href.startswith("https://"):
                broken.append(f"{href} (not https)")
            continue
        target, anchor = urldefrag(unquote(href))
        file = site / target
        if not file.is_file():
            broken.append(f"{href} (no such file)")
        elif anchor and anchor not in Page(file).ids:
            broken.append(f"{href} (no such anchor)")
    assert not broken, "\n".join(broken)
    for lang in ("en", "zh"):
        for archive in (f"lbdl-notebooks-{lang}.zip", f"lbdl-notebooks-{lang}-outputs.zip"):
            assert f"{lang}/notebooks/{archive}" in {link["href"] for link in landing.links}


def test_landing_page_lists_every_page_of_both_books(site):
    """The landing page's contents: every page of _toc.yml, in both languages, under the
    title that the page itself shows, and every part caption of both books."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    captions = yaml.safe_load((ROOT / "book" / "zh.yml").read_text(encoding="utf-8"))["captions"]
    files = [toc["root"]] + toc_files(chapter for part in toc["parts"] for chapter in part["chapters"])
    landing = Landing(site / "index.html")
    listed = {link["href"]: " ".join(link["text"].split()) for link in landing.links if link["in_toc"]}
    problems = []
    for file in files:
        if file == toc["root"]:
            continue          # the books' first pages: the "read" buttons above the contents
        for lang in ("en", "zh"):
            href = f"{lang}/{file}.html"
            shown = " ".join(Title(site / href).text.split()) if (site / href).exists() else None
            if href not in listed:
                problems.append(f"{href} is not in the contents")
            elif listed[href] != shown:
                problems.append(f"{href} is listed as {listed[href]!r}, its page says {shown!r}")
    assert not problems, "\n".join(problems)
    assert not set(listed) - {f"{lang}/{file}.html" for file in files for lang in ("en", "zh")}
    text = (site / "index.html").read_text(encoding="utf-8")
    for part in toc["parts"]:
        assert f">{part['caption']}<" in text and f">{captions[part['caption']]}<" in text, part["caption"]


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
                if file not in cache:      # parse each target page once
                    cache[file] = Page(file)
                page = cache[file]
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


CHINESE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


@pytest.mark.parametrize("lang", ["en", "zh", "landing"])
def test_each_book_ships_a_font_covering_its_chinese_text(site, lang):
    """Each book, and the landing page, ship a subset of Noto Sans CJK SC with every
    Chinese character and punctuation mark of their pages (whether the browser uses it
    is checked on screen by test_fonts.py)."""
    from fontTools.ttLib import TTFont

    static = site if lang == "landing" else site / lang / "_static"
    covered = set(TTFont(static / "lbdl-noto-sans-sc.woff").getBestCmap())
    for page in [site / "index.html"] if lang == "landing" else pages(site, lang):
        text = page.read_text(encoding="utf-8")
        missing = {c for c in CHINESE.findall(text) if ord(c) not in covered}
        assert not missing, (page, sorted(missing)[:20])
    if lang != "landing":
        page = (site / lang / "ch01" / "under-and-overfitting.html").read_text(encoding="utf-8")
        assert 'href="../_static/lbdl-cjk.css' in page
        assert 'rel="preload" href="../_static/lbdl-noto-sans-sc.woff"' in page
