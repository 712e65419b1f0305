"""The landing page of the site: both books side by side.

    python tools/landing.py [SITE]      # writes SITE/index.html (default: _build/site)

It offers, in English and Chinese side by side: the contents of both books (parts,
chapters and sections, each linking into both languages), one figure of the book
drawn by ``lbdl_book`` at build time, how to run the notebooks (``make lab``, the
``.ipynb`` downloads, the GPU), and the licences.

Everything it lists comes from the sources of the books, so it cannot drift from them:
the parts and pages from ``_toc.yml``, the Chinese part captions from ``book/zh.yml``,
each page's title from the first ``# `` heading of ``book/en/<file>.md`` and
``book/zh/<file>.md``. It is a static page that needs no network: its Chinese is set in
a subset of the books' web font (``tools/sphinx/cjk_webfont.py``) for the page's own
characters, written next to it with the figure.
"""

from __future__ import annotations

import html
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "sphinx"))

import cjk_webfont  # noqa: E402  (tools/sphinx is not a package)

FIGURE_FILE = "lbdl-figure-1-1.png"
FONT_FILE = cjk_webfont.FONT_FILE
ZH = "zh-CN"

# Figure 1.1 of the book (kernel regression), with the settings of its page
# (book/en/ch01/basis-function-regression.md).
FIGURE = dict(points=30, noise=0.2, seed=0, bases=10, width=0.07)
NUMBERS_EN = {10: "ten", 30: "thirty"}
NUMBERS_ZH = {10: "十", 30: "30"}


@dataclass
class Entry:
    """A page of the books: its file (without .md), its titles, its sub-pages."""
    file: str
    titles: dict[str, str]
    children: list[Entry] = field(default_factory=list)


@dataclass
class Part:
    captions: dict[str, str]
    entries: list[Entry]


def page_title(lang: str, file: str) -> str:
    """The first level-1 heading of ``book/<lang>/<file>.md``, without MyST markup."""
    path = ROOT / "book" / lang / f"{file}.md"
    text = path.read_text(encoding="utf-8")
    in_code = False
    for line in text.splitlines():
        if line.startswith("```") or line.startswith("~~~"):
            in_code = not in_code
        elif not in_code and line.startswith("# "):
            title = re.sub(r"\{[a-z:]+\}`([^`<]*?)(?:\s*<[^>]*>)?`", r"\1", line[2:])  # {role}`text <target>`
            return re.sub(r"[`*]", "", title).replace("$", "").strip()
    raise ValueError(f"{path.relative_to(ROOT)} has no '# ' heading: the landing page needs its title")


def entry(item: dict) -> Entry:
    children = [entry(child) for child in item.get("sections", [])]
    return Entry(item["file"], {lang: page_title(lang, item["file"]) for lang in ("en", "zh")}, children)


def read_toc() -> tuple[Entry, list[Part]]:
    """The root page and the parts of the books, from _toc.yml and book/zh.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    captions = yaml.safe_load((ROOT / "book" / "zh.yml").read_text(encoding="utf-8"))["captions"]
    parts = []
    for part in toc.get("parts", []):
        if part["caption"] not in captions:
            raise ValueError(f"book/zh.yml has no Chinese caption for the part {part['caption']!r}")
        parts.append(Part({"en": part["caption"], "zh": captions[part["caption"]]},
                          [entry(chapter) for chapter in part["chapters"]]))
    return entry({"file": toc["root"]}), parts


def draw_figure(path: Path) -> tuple[int, int]:
    """Figure 1.1 (kernel regression) drawn by lbdl_book, labels in both languages.
    Returns the size at which the page shows it, in CSS pixels."""
    import matplotlib

    matplotlib.use("Agg")
    import torch

    from lbdl_book import plot
    from lbdl_book.data import sine_regression
    from lbdl_book.i18n import STRINGS
    from lbdl_book.models import BasisFunctionRegression

    def both(key: str) -> str:
        english, chinese = STRINGS[key]
        if english == chinese:
            return english
        math = english[english.find(" $"):] if " $" in english else ""     # a shared symbol, once
        if math and chinese.endswith(math):
            english = english[:-len(math)]
        return f"{english} · {chinese}"

    plot.use_style()
    x, y = sine_regression(FIGURE["points"], noise=FIGURE["noise"], seed=FIGURE["seed"])
    model = BasisFunctionRegression(num_basis=FIGURE["bases"], width=FIGURE["width"]).fit_least_squares(x, y)
    grid = torch.linspace(0, 1, 400, dtype=torch.float64)
    with torch.no_grad():
        weighted_bases, prediction = model.features(grid) * model.weight, model(grid)
    width, height = 6.4, 3.6
    figure, axes = plot.subplots(width=width, height=height)
    axes.plot(grid, weighted_bases, color=plot.BLUE, lw=1, alpha=0.8)
    axes.plot([], [], color=plot.BLUE, lw=1, label=both("weighted_basis"))
    axes.plot(grid, prediction, color=plot.RED, lw=2.2, label=both("fit"))
    axes.scatter(x, y, color=plot.BLACK, s=14, zorder=3, label=both("train_points"))
    axes.set(xlabel=both("x"), ylabel=both("y"))
    figure.legend(loc="outside lower center", ncols=3, scatterpoints=1, handlelength=1.5)
    dpi = 100       # the page shows it at 100 px per inch; the file has twice that
    path.write_bytes(plot.to_png(figure, dpi=2 * dpi))
    return round(width * dpi), round(height * dpi)


# The page's own text, English and Chinese. {…} fields are filled in by render().
TEXT = {
    "title": ("The Little Book of Deep Learning — interactive edition", "深度学习小书 · 交互版"),
    "intro": (
        "An executable companion to François Fleuret’s <cite>The Little Book of Deep Learning</cite>. "
        "Every section of the book is a notebook that explains the ideas in its own words, "
        "draws the book’s figures from code, lets you change the settings of each demo, "
        "and checks every claim it makes.",
        "François Fleuret 所著《The Little Book of Deep Learning》的可执行配套读本。"
        "书中的每一节都是一个笔记本：用自己的话讲解其中的概念，用代码画出书中的图，"
        "每个演示的设置都可以改动，文中的每个结论都由代码检验。"),
    "read": ("Read the English book", "阅读中文版"),
    "figure": (
        "Figure 1.1 of the book, drawn by <code>lbdl_book</code> when this page was built: "
        "{bases_en} Gaussian basis functions (blue), each multiplied by the weight that least "
        "squares gives it, add up to the fit (red) of {points_en} noisy samples of "
        "sin(2πx) (black). Every figure of the books is made this way, labelled in the "
        "reader’s language.",
        "书中的图 1.1，由 <code>lbdl_book</code> 在生成本页时绘制：{bases_zh}个高斯基函数（蓝色）"
        "各乘以最小二乘法给出的权重，相加得到对 sin(2πx) 的 {points_zh} 个带噪声样本（黑色）的"
        "拟合（红色）。两本书中的每一幅图都这样由代码生成，标注使用读者的语言。"),
    "alt": (
        "A plot over x from 0 to 1: {points_en} black training points scattered around a sine "
        "wave, {bases_en} blue bell-shaped curves (the weighted basis functions), and a red "
        "curve, their sum, which follows the sine through the noise.",
        "x 从 0 到 1 的曲线图：{points_zh} 个黑色训练点散布在一条正弦曲线周围；{bases_zh}条蓝色"
        "钟形曲线是加权后的基函数；红色曲线是它们的和，穿过噪声贴合正弦曲线。"),
    "contents": ("Contents", "目录"),
    "run": ("Run it yourself", "自己动手运行"),
    "lab": (
        "With the sources, <code>make lab</code> opens JupyterLab on <code>book/</code>: every "
        "chapter opens as a notebook and runs top to bottom on a laptop CPU. "
        "(<code>make book</code> builds this site, <code>make test</code> runs every check.)",
        "获取源代码后，运行 <code>make lab</code> 即可在 <code>book/</code> 目录上打开 "
        "JupyterLab：每一章都作为笔记本打开，在笔记本电脑的 CPU 上就能从头运行到尾。"
        "（<code>make book</code> 生成本网站，<code>make test</code> 运行全部检查。）"),
    "downloads": (
        "Or download every page as a Jupyter notebook (<code>.ipynb</code>), to run in "
        "Jupyter, Colab or a classroom:",
        "也可以下载全部页面的 Jupyter 笔记本（<code>.ipynb</code>），在 Jupyter、Colab "
        "或课堂上运行："),
    "zip_clean": ("English notebooks, without outputs (.zip)", "中文笔记本，不含输出（.zip）"),
    "zip_outputs": ("English notebooks, executed, with outputs (.zip)", "中文笔记本，已执行，含输出（.zip）"),
    "per_page": (
        "Each page of the book also offers its own notebook, with or without outputs, in "
        "its download menu.",
        "书中每一页的下载菜单里也有该页的笔记本（含输出或不含输出）。"),
    "gpu": (
        "No GPU is needed. When CUDA is present, the demos use the GPU automatically "
        "(the <code>gpu</code> profile: bigger models, more data, same time budget); "
        "<code>LBDL_PROFILE=cpu</code> or <code>LBDL_PROFILE=gpu</code> overrides the choice. "
        "Nothing is downloaded while the notebooks run: their data are generated or ship "
        "with the package.",
        "不需要 GPU。检测到 CUDA 时，演示会自动使用 GPU（gpu 配置（profile）：同样的时间预算下，"
        "更大的模型、更多的数据）；设置 <code>LBDL_PROFILE=cpu</code> 或 "
        "<code>LBDL_PROFILE=gpu</code> 可以改变这一选择。运行笔记本时不下载任何东西："
        "数据由代码生成，或随软件包提供。"),
    "licences": ("Licences", "许可"),
    "licence_text": (
        "Code (the <code>lbdl_book</code> package, the code cells, the tools and tests): MIT. "
        "Text of this edition, in both languages: "
        '<a href="https://creativecommons.org/licenses/by-nc-sa/4.0/" hreflang="en">CC BY-NC-SA 4.0</a>. '
        '<a href="https://fleuret.org/francois/lbdl.html" hreflang="en"><cite>The Little Book of Deep Learning</cite></a> '
        "© François Fleuret, CC BY-NC-SA 4.0; this edition copies none of its sentences or figures.",
        "代码（<code>lbdl_book</code> 软件包、代码单元、工具与测试）：MIT 许可。"
        "本版正文（中英文）："
        '<a href="https://creativecommons.org/licenses/by-nc-sa/4.0/deed.zh-hans" hreflang="zh-Hans">CC BY-NC-SA 4.0</a>。'
        '<a href="https://fleuret.org/francois/lbdl.html" hreflang="en">《The Little Book of Deep Learning》</a>'
        "© François Fleuret，CC BY-NC-SA 4.0；本版没有复制原书的任何句子或图。"),
}

CSS = """
:root { color-scheme: light dark; --fg: #1d2330; --muted: #596273; --accent: #1f5fbf;
        --bg: #ffffff; --card: #f4f6fa; --line: #d9dfe8; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e4e8ef; --muted: #a4adbb; --accent: #8ab4f8; --bg: #15181d; --card: #1d2129; --line: #323a46; }
}
* { box-sizing: border-box; }
html { font-synthesis-style: none; }
body { margin: 0; background: var(--bg); color: var(--fg); line-height: 1.6;
       font-family: "LBDL CJK", system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, sans-serif; }
:lang(zh) { font-family: "LBDL CJK zh", system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans", Arial, sans-serif; }
:lang(zh) em, :lang(zh) i { font-style: normal; font-weight: bold; }
code { font-family: "LBDL CJK", ui-monospace, "Cascadia Code", "Source Code Pro", Menlo, Consolas, "DejaVu Sans Mono", monospace;
       font-size: 0.9em; background: var(--card); border: 1px solid var(--line); border-radius: 4px; padding: 0 0.25em; }
a { color: var(--accent); text-underline-offset: 0.15em; }
a:hover { text-decoration-thickness: 2px; }
a:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; border-radius: 3px; }
main, header, footer { max-width: 72rem; margin: 0 auto; padding: 0 1.25rem; }
header { padding-top: 2.5rem; }
h1 { font-size: 1.9rem; line-height: 1.3; margin: 0 0 1rem; font-weight: 700; }
h1 span { display: block; }
h1 span + span { color: var(--muted); font-size: 0.8em; font-weight: 600; }
h2 { font-size: 1.35rem; margin: 2.5rem 0 0.75rem; padding-bottom: 0.3rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.6rem 0 0.4rem; color: var(--muted); }
.pair { display: grid; grid-template-columns: 1fr 1fr; column-gap: 2.5rem; }
.pair > * { min-width: 0; }
.read { display: inline-block; margin: 0.5rem 0 0; padding: 0.55rem 1.1rem; border-radius: 8px; font-weight: 600;
        background: var(--accent); color: var(--bg); text-decoration: none; }
.read:hover { filter: brightness(1.1); }
figure { margin: 2rem 0 0; padding: 1rem; background: var(--card); border: 1px solid var(--line); border-radius: 10px; }
figure img { display: block; margin: 0 auto 0.8rem; max-width: 100%; height: auto; background: #fff; border-radius: 4px; }
figcaption { font-size: 0.92rem; color: var(--muted); }
figcaption p { margin: 0 0 0.4rem; }
nav.lbdl-toc ol { list-style: none; margin: 0; padding: 0; }
nav.lbdl-toc li.chapter { margin: 0.2rem 0 0.7rem; }
nav.lbdl-toc li.chapter > .pair a { font-weight: 600; }
nav.lbdl-toc ol ol { margin-left: 1.2rem; }
nav.lbdl-toc .pair { padding: 0.12rem 0; border-bottom: 1px dotted var(--line); }
nav.lbdl-toc .pair:hover { background: var(--card); }
ul.downloads { margin: 0.4rem 0 0.8rem; padding-left: 1.2rem; }
footer { margin-top: 3rem; padding-bottom: 2.5rem; font-size: 0.9rem; color: var(--muted); }
@media (max-width: 46rem) {
  .pair { grid-template-columns: 1fr; }
  nav.lbdl-toc .pair > :lang(zh) { margin-bottom: 0.15rem; }
  h1 { font-size: 1.5rem; }
}
"""


def link(lang: str, file: str, text: str) -> str:
    hreflang = "en" if lang == "en" else ZH
    return f'<a href="{lang}/{file}.html" lang="{hreflang}" hreflang="{hreflang}">{html.escape(text)}</a>'


def toc_item(item: Entry) -> str:
    links = "".join(link(lang, item.file, item.titles[lang]) for lang in ("en", "zh"))
    children = "".join(toc_item(child) for child in item.children)
    return (f'<li class="{"chapter" if item.children else "page"}"><div class="pair">{links}</div>'
            + (f"<ol>{children}</ol>" if children else "") + "</li>")


def render(root: Entry, parts: list[Part], figure_size: tuple[int, int]) -> str:
    numbers = dict(bases_en=NUMBERS_EN[FIGURE["bases"]], points_en=NUMBERS_EN[FIGURE["points"]],
                   bases_zh=NUMBERS_ZH[FIGURE["bases"]], points_zh=NUMBERS_ZH[FIGURE["points"]])
    text = {key: (en.format(**numbers), zh.format(**numbers)) for key, (en, zh) in TEXT.items()}
    title_en, title_zh = text["title"]
    alt = f"{text['alt'][0]} {text['alt'][1]}"
    contents = "".join(
        f'<section aria-labelledby="part-{n}">'
        f'<h3 id="part-{n}" class="pair"><span lang="en">{html.escape(part.captions["en"])}</span>'
        f'<span lang="{ZH}">{html.escape(part.captions["zh"])}</span></h3>'
        f'<ol>{"".join(toc_item(item) for item in part.entries)}</ol></section>'
        for n, part in enumerate(parts, 1))
    downloads = {
        lang: "".join(f'<li><a href="{lang}/notebooks/lbdl-notebooks-{lang}{suffix}.zip" download>{label}</a></li>'
                      for suffix, label in (("", text["zip_clean"][i]), ("-outputs", text["zip_outputs"][i])))
        for i, lang in enumerate(("en", "zh"))}
    width, height = figure_size
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title_en)} · {html.escape(title_zh)}</title>
<meta name="description" content="{html.escape(re.sub('<[^>]+>', '', text['intro'][0]))}">
<link rel="preload" href="{FONT_FILE}" as="font" type="font/woff" crossorigin>
<style>
/* Generated by tools/landing.py. The Chinese web font comes first in every font stack
   (tools/sphinx/cjk_webfont.py says why); Chinese-marked text also takes its punctuation. */
{cjk_webfont.font_face(FONT_FILE, "en", family="LBDL CJK")}\
{cjk_webfont.font_face(FONT_FILE, "zh", family="LBDL CJK zh")}\
{CSS.strip()}
</style>
</head>
<body>
<header>
<h1><span>{html.escape(title_en)}</span><span lang="{ZH}">{html.escape(title_zh)}</span></h1>
<div class="pair">
<div lang="en"><p>{text["intro"][0]}</p><a class="read" href="en/{root.file}.html" hreflang="en">{text["read"][0]}</a></div>
<div lang="{ZH}"><p>{text["intro"][1]}</p><a class="read" href="zh/{root.file}.html" hreflang="{ZH}">{text["read"][1]}</a></div>
</div>
</header>
<main>
<figure>
<img src="{FIGURE_FILE}" width="{width}" height="{height}" alt="{html.escape(alt)}">
<figcaption class="pair"><p lang="en">{text["figure"][0]}</p><p lang="{ZH}">{text["figure"][1]}</p></figcaption>
</figure>
<nav class="lbdl-toc" aria-labelledby="contents">
<h2 id="contents" class="pair"><span lang="en">{text["contents"][0]}</span><span lang="{ZH}">{text["contents"][1]}</span></h2>
{contents}
</nav>
<section aria-labelledby="run">
<h2 id="run" class="pair"><span lang="en">{text["run"][0]}</span><span lang="{ZH}">{text["run"][1]}</span></h2>
<div class="pair">
<div lang="en"><p>{text["lab"][0]}</p><p>{text["downloads"][0]}</p><ul class="downloads">{downloads["en"]}</ul><p>{text["per_page"][0]}</p><p>{text["gpu"][0]}</p></div>
<div lang="{ZH}"><p>{text["lab"][1]}</p><p>{text["downloads"][1]}</p><ul class="downloads">{downloads["zh"]}</ul><p>{text["per_page"][1]}</p><p>{text["gpu"][1]}</p></div>
</div>
</section>
</main>
<footer aria-labelledby="licences">
<h2 id="licences" class="pair"><span lang="en">{text["licences"][0]}</span><span lang="{ZH}">{text["licences"][1]}</span></h2>
<div class="pair"><p lang="en">{text["licence_text"][0]}</p><p lang="{ZH}">{text["licence_text"][1]}</p></div>
</footer>
</body>
</html>
"""


def build_landing(site: Path) -> Path:
    """Write ``site/index.html``, its figure and its font subset; return the page's path."""
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    root, parts = read_toc()
    page = render(root, parts, draw_figure(site / FIGURE_FILE))
    cjk_webfont.write_font({c for c in page if cjk_webfont.in_ranges(c, "zh")}, site / FONT_FILE)
    index = site / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


if __name__ == "__main__":
    print(build_landing(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "_build" / "site"))
