"""Chinese text is drawn, not boxes: the pixels on screen, in headless Chromium on a
machine without a Chinese font (conftest.py gives the browser the DejaVu fonts only).

For each place where the site shows Chinese (body text, headings, the sidebars, the
search page, the 中文 button of the English pages, captions, boxes, code output, math,
the landing page), the test takes up to 12 distinct Chinese characters that share one
font, crops each character's box from a screenshot, then sets that text in the same
font stack minus the site's web fonts (what a browser that never reaches the shipped
font draws) and crops again. The second rendering must be tofu: the same box (or
nothing) for every character, which proves the browser has no Chinese font of its own.
The first must differ from it for every character, and its characters must not all
look the same (as a font's "missing glyph" box would): real glyphs.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

MAX_GLYPHS = 12

# (page, CSS selector of the element, what it is). The first matching element that
# shows Chinese is checked.
PLACES = [
    ("zh/ch01/under-and-overfitting.html", "article h1", "page title"),
    ("zh/ch01/under-and-overfitting.html", "article section > p", "body text"),
    ("zh/ch01/under-and-overfitting.html", "article h2", "section heading"),
    ("zh/ch01/under-and-overfitting.html", ".bd-sidebar-primary .navbar-brand", "book title in the sidebar"),
    ("zh/ch01/under-and-overfitting.html", ".bd-sidebar-primary nav.bd-links", "chapter list in the sidebar"),
    ("zh/ch01/under-and-overfitting.html", ".bd-sidebar-secondary", "page contents sidebar"),
    ("zh/ch01/under-and-overfitting.html", ".bd-header .search-button-field", "search button"),
    ("zh/ch01/under-and-overfitting.html", ".lbdl-figure-caption", "figure caption"),
    ("zh/ch01/under-and-overfitting.html", ".admonition", "box (key points)"),
    ("zh/ch01/under-and-overfitting.html", ".cell_output pre", "printed output of a code cell"),
    ("zh/ch01/under-and-overfitting.html", "footer", "footer (licence)"),
    ("zh/ch05/gpt.html", "mjx-container[display]", "Chinese inside a formula"),
    ("zh/search.html?q=基函数", "main h1", "search page: title"),
    ("zh/search.html?q=基函数", "#search-results p.search-summary", "search page: summary"),
    ("zh/search.html?q=基函数", "#search-results ul.search li", "search page: a result"),
    ("en/ch01/learning-from-data.html", "a.lbdl-lang-switch", "中文 button of an English page"),
    ("en/ch01/learning-from-data.html", ".admonition table", "Chinese terms of an English page"),
    ("en/glossary.html", "article", "glossary of the English book"),
    ("index.html", "h1 [lang|=zh], h1:lang(zh)", "landing page: title"),
    ("index.html", "header .pair > :lang(zh)", "landing page: introduction"),
    ("index.html", "nav.lbdl-toc li.chapter ol", "landing page: contents"),
    ("index.html", "section .pair > :lang(zh)", "landing page: how to run it"),
    ("index.html", "figure figcaption :lang(zh), figure figcaption:lang(zh)", "landing page: figure caption"),
    ("index.html", "footer", "landing page: licences"),
]

SETTLE = """
const done = arguments[arguments.length - 1];
const frames = () => requestAnimationFrame(() => requestAnimationFrame(() => done(document.fonts.status)));
document.fonts.ready.then(frames);
"""

# Picks the glyphs: distinct Chinese characters of the element, on screen, not covered,
# all in the font of the first one. They stay in window.lbdlGlyphs for the second pass.
PICK = """
const [selector, limit] = arguments;
const han = /[\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff]/;
const element = [...document.querySelectorAll(selector)].find(e => han.test(e.textContent) && e.getClientRects().length);
if (!element) return null;
element.scrollIntoView({block: "center", inline: "nearest"});
const glyphs = [], seen = new Set();
let font = null;
const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
for (let node; (node = walker.nextNode()) && glyphs.length < limit;) {
  const style = getComputedStyle(node.parentElement);
  const key = [style.fontFamily, style.fontSize, style.fontWeight, style.fontStyle, style.color].join("|");
  for (let i = 0; i < node.data.length && glyphs.length < limit; i++) {
    const char = node.data[i];
    if (!han.test(char) || seen.has(char) || (font !== null && key !== font)) continue;
    const range = document.createRange();
    range.setStart(node, i); range.setEnd(node, i + 1);
    const r = range.getBoundingClientRect();
    // the whole box that RECTS will crop (1.45 em around the middle of the line) must be on screen
    const half = Math.max(r.height, 1.45 * parseFloat(style.fontSize)) / 2, middle = (r.top + r.bottom) / 2;
    if (r.width < 4 || r.height < 4 || middle - half < 0 || r.left < 0 || middle + half > innerHeight
        || r.right > innerWidth) continue;
    // not covered (e.g. by the sticky header): the middle, top and bottom of the glyph show this text
    const owns = y => {
      const hit = document.elementFromPoint(r.left + r.width / 2, y);
      return hit && (hit === node.parentElement || node.parentElement.contains(hit) || hit.contains(node.parentElement));
    };
    if (!owns(middle) || !owns(r.top + 1) || !owns(r.bottom - 1)) continue;
    font = key; seen.add(char);
    glyphs.push({node, offset: i, char});
  }
}
window.lbdlGlyphs = glyphs;
return {text: element.innerText.slice(0, 80), font, chars: glyphs.map(g => g.char).join("")};
"""

# Each glyph's box: its advance, and at least the height of a Chinese font's ascent and
# descent (1.45 em for Noto Sans CJK) around the middle of its line box, which can be
# flatter than the glyph (MathJax sets its text with line-height 0).
RECTS = """
return window.lbdlGlyphs.map(g => {
  const range = document.createRange();
  range.setStart(g.node, g.offset); range.setEnd(g.node, g.offset + 1);
  const r = range.getBoundingClientRect();
  const half = Math.max(r.height, 1.45 * parseFloat(getComputedStyle(g.node.parentElement).fontSize)) / 2;
  const middle = (r.top + r.bottom) / 2;
  return [r.left, middle - half, r.right, middle + half];
});
"""

# The same text in the same font stack without the fonts the site ships (every family
# declared by an @font-face rule): what a browser that never reaches them shows.
WITHOUT_WEB_FONTS = """
const shipped = new Set([...document.fonts].map(f => f.family.replace(/^["']|["']$/g, "")));
for (const parent of new Set(window.lbdlGlyphs.map(g => g.node.parentElement))) {
  const families = getComputedStyle(parent).fontFamily.split(",").map(f => f.trim())
    .filter(f => !shipped.has(f.replace(/^["']|["']$/g, "")));
  parent.style.setProperty("font-family", families.join(", ") || "sans-serif", "important");
}
"""


def settle(browser):
    WebDriverWait(browser, 30).until(lambda b: b.execute_async_script(SETTLE) == "loaded")


def crops(browser) -> list[np.ndarray]:
    """Each picked character's box, cut from a screenshot, in grey levels."""
    settle(browser)
    rects = browser.execute_script(RECTS)
    shot = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("L")
    scale = shot.width / browser.execute_script("return window.innerWidth")
    return [np.asarray(shot.crop(tuple(round(v * scale) for v in rect)), dtype=float) for rect in rects]


def ink(crop: np.ndarray) -> np.ndarray:
    """The pixels that differ from the background (the median of the crop's border),
    cut to their bounding box; an empty array for a blank box."""
    border = np.concatenate([crop[0], crop[-1], crop[:, 0], crop[:, -1]])
    mask = np.abs(crop - np.median(border)) > 64
    if not mask.any():
        return np.zeros((0, 0), dtype=bool)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def same_shape(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two inked glyphs are the same drawing, up to a pixel of anti-aliasing."""
    if a.size == 0 or b.size == 0:
        return a.size == b.size
    if abs(a.shape[0] - b.shape[0]) > 1 or abs(a.shape[1] - b.shape[1]) > 1:
        return False
    h, w = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    pa, pb = (np.pad(x, ((0, h - x.shape[0]), (0, w - x.shape[1]))) for x in (a, b))
    return (pa ^ pb).sum() <= 0.2 * (pa | pb).sum()


def glyph_report(browser, selector: str) -> dict:
    picked = browser.execute_script(PICK, selector, MAX_GLYPHS)
    if picked is None:
        return {"missing": True}
    shown = [ink(c) for c in crops(browser)]
    browser.execute_script(WITHOUT_WEB_FONTS)
    reference = [ink(c) for c in crops(browser)]
    chars = picked["chars"]
    return {
        "missing": False, "text": picked["text"], "chars": chars,
        "reference_is_tofu": all(same_shape(reference[0], r) for r in reference[1:]),
        "boxes": [c for c, s, r in zip(chars, shown, reference) if same_shape(s, r) or s.size == 0],
        "all_alike": all(same_shape(shown[0], s) for s in shown[1:]),
    }


def open_page(browser, base_url, page):
    if browser.current_url != f"{base_url}/{page}":
        browser.get(f"{base_url}/{page}")
    else:
        browser.refresh()
    if page.startswith("zh/search.html"):
        WebDriverWait(browser, 30).until(lambda b: b.execute_script(
            "const p = document.querySelector('#search-results p.search-summary'); return p && p.textContent.trim()"))
    if "mjx-container" in page or page.endswith("gpt.html"):
        WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, "mjx-container[display] mjx-utext"))


@pytest.mark.parametrize(("page", "selector", "what"), PLACES, ids=[f"{p}::{w}" for p, _, w in PLACES])
def test_chinese_is_drawn_with_real_glyphs(browser, base_url, page, selector, what):
    open_page(browser, base_url, page)
    report = glyph_report(browser, selector)
    assert not report["missing"], f"{page}: no element {selector!r} ({what}) shows Chinese"
    chars = report["chars"]
    assert len(chars) >= 2, f"{page}, {what}: fewer than two Chinese characters on screen ({report['text']!r})"
    assert report["reference_is_tofu"], (
        f"{page}, {what}: without the site's fonts the browser still draws {chars} as distinct glyphs: "
        "it found a Chinese font of its own, and this check cannot tell the shipped font from it")
    assert not report["boxes"], (
        f"{page}, {what}: {''.join(report['boxes'])} of {chars} are drawn as without the site's font "
        f"(boxes or nothing) in {report['text']!r}")
    assert not report["all_alike"], f"{page}, {what}: the distinct characters {chars} are all drawn alike"


def test_landing_figure_alt_text_is_drawn(browser, base_url):
    """The figure of the landing page, when the image cannot be shown: its alt text (in
    both languages) is drawn in the page's fonts; without the site's font it differs."""
    open_page(browser, base_url, "index.html")
    image = browser.find_element(By.CSS_SELECTOR, "figure img")
    alt = image.get_attribute("alt")
    assert any("\u4e00" <= c <= "\u9fff" for c in alt) and any(c.isascii() and c.isalpha() for c in alt), alt
    browser.execute_script("""
        const img = arguments[0], r = img.getBoundingClientRect();
        img.style.width = r.width + "px"; img.style.height = Math.max(r.height, 200) + "px";
        img.scrollIntoView({block: "center"});
        img.src = "missing-on-purpose.png";""", image)
    WebDriverWait(browser, 10).until(lambda b: b.execute_script("return arguments[0].complete", image))
    settle(browser)
    shown = image.screenshot_as_png
    browser.execute_script(WITHOUT_WEB_FONTS.replace("window.lbdlGlyphs.map(g => g.node.parentElement)", "[arguments[0]]"),
                           image)
    settle(browser)
    reference = image.screenshot_as_png
    assert shown != reference, "the alt text of the landing figure is drawn as without the site's font"
