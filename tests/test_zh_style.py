"""The Chinese book follows the glossary and the typesetting rules of the project.

The terms come from ``book/glossary.yml`` (one source for both books); the rules are
those of README.md ("Writing a section"). Every check reads the *prose* of the pages:
code cells and code blocks, math (``$…$``, ``$$…$$``), inline code, front matter,
directive options, labels, URLs and the targets of roles are left out.

Each rule is one test per page, and a failing test lists every violation of its page
as ``book/zh/PAGE:LINE: what → suggestion``. One page, all rules:

    .venv/bin/python -m pytest tests/test_zh_style.py -q -k gradient-descent
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools" / "sphinx"))
import lbdl_glossary  # noqa: E402

BOOK = ROOT / "book"
GLOSSARY = lbdl_glossary.load()


def pages(lang: str) -> list[str]:
    return sorted(p.relative_to(BOOK / lang).as_posix() for p in (BOOK / lang).rglob("*.md"))


# Mistranslations that stay banned whatever the glossary says (tested to be in it too).
MISTRANSLATIONS = {
    "变压器": "Transformer（保留英文）",
    "变换器": "Transformer（保留英文）",
    "逻辑回归": "logits（保留英文；logistic regression 写作“逻辑斯谛回归”）",
    "接受域": "感受野",
    "感受域": "感受野",
}
# Roles of sphinxcontrib-bibtex that print the authors' names in English, mid-sentence.
AUTHOR_TEXT_CITES = {"cite:t", "cite:ts", "cite:ct", "cite:cts", "cite:author", "cite:authors",
                     "cite:cauthor", "cite:cauthors"}
# Inside （…）, a banned variant named as a synonym after one of these is allowed.
SYNONYM = re.compile(r"也称|又称|亦称|或称|也叫|又叫|常叫|俗称")
# English words that must not stay in \text{...} of a Chinese formula (names such as
# post-norm may).
ENGLISH_IN_TEXT = re.compile(r"\b(?:for|every|all|if|otherwise|and|or|where|with|when|else|the|of|"
                             r"to|is|are|such|that|then|each|some|any|not)\b", re.I)

IDEOGRAPH = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_PUNCT = "\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u2018\u2019\u201c\u201d\u2026\u00b7"
MATH, CODE, ROLE, URL = "\ue000", "\ue001", "\ue002", "\ue003"
SHOWN = {MATH: "$…$", CODE: "`…`", ROLE: "{role}`…`", URL: "<url>"}
CODE_DIRECTIVES = {"code-cell", "code-block", "code", "sourcecode", "literalinclude", "math", "raw",
                   "bibliography", "eval-rst", "mermaid", "glue:figure", "lbdl-glossary"}

FENCE = re.compile(r"^\s*(`{3,}|~{3,}|:{3,})\s*(\{([^}]*)\})?(.*)$")
OPTION = re.compile(r"^\s*:[\w-]+:")
ROLE_RE = re.compile(r"\{([\w:.-]+)\}(`+)(.+?)\2")
CODE_RE = re.compile(r"(`+)(.+?)\1")
MATH_RE = re.compile(r"(?<![\\$])\$(?!\$)((?:\\.|[^$\\])+?)\$")
LINK_RE = re.compile(r"\[([^\]\n]*)\]\(([^)\s]*)\)")
URL_RE = re.compile(r"<https?://[^>\s]+>|https?://[^\s)）]+")
TAG_RE = re.compile(r"</?[A-Za-z][^>\n]*>")


@dataclass
class Line:
    """One line of prose of a page."""

    number: int        # 1-based line number in the file
    raw: str           # the line as written
    text: str          # the prose: math, code, roles and URLs replaced by one placeholder each
    roles: list[tuple[str, str]]  # (name, target) of the roles on the line
    block_start: bool  # starts a new block (list item, heading, table row, quote)

    def shown(self, start: int = 0, end: int | None = None, margin: int = 12) -> str:
        """The text around [start, end), placeholders spelt out, for a message."""
        end = len(self.text) if end is None else end
        piece = self.text[max(0, start - margin): end + margin]
        return "".join(SHOWN.get(c, c) for c in piece).strip()


LONE_DOLLAR = re.compile(r"(?<![\\$])\$(?!\$)")


def mask(line: str, in_math: bool = False) -> tuple[str, list[tuple[str, str]], bool]:
    """The prose of a line with placeholders, its roles, and whether inline math is
    still open at its end (``$…`` continued on the next line)."""
    roles = []

    def role(match):
        roles.append((match.group(1), match.group(3)))
        return ROLE

    text = ROLE_RE.sub(role, line)
    text = CODE_RE.sub(CODE, text)
    if in_math:  # the end of an inline formula begun on the line before
        end = LONE_DOLLAR.search(text)
        if not end:
            return MATH, roles, True
        text = MATH + text[end.end():]
    text = MATH_RE.sub(MATH, text)
    if start := LONE_DOLLAR.search(text):  # an inline formula that goes on after the line break
        text, in_math = text[: start.start()] + MATH, True
    else:
        in_math = False
    text = LINK_RE.sub(lambda m: m.group(1), text)
    text = URL_RE.sub(URL, text)
    text = TAG_RE.sub("", text)
    return text, roles, in_math


def prose_lines(source: str) -> list[Line]:
    """The prose lines of a MyST page, masked (see ``Line``)."""
    lines = source.split("\n")
    out: list[Line] = []
    i = 0
    if lines and lines[0].strip() == "---":  # front matter
        i = next((j for j in range(1, len(lines)) if lines[j].strip() == "---"), len(lines) - 1) + 1
    stack: list[tuple[str, int, bool]] = []  # open fences: (character, length, is_code)
    options = False                           # skipping the options of a directive
    in_math = in_comment = inline_math = False
    while i < len(lines):
        line, number = lines[i], i + 1
        i += 1
        stripped = line.strip()
        if stack and stack[-1][2]:  # inside code: only its closing fence matters
            char, count, _ = stack[-1]
            if re.fullmatch(rf"{re.escape(char)}{{{count},}}", stripped):
                stack.pop()
            continue
        if in_comment:
            in_comment = "-->" not in line
            continue
        if in_math:
            in_math = not stripped.startswith("$$") and not stripped.endswith("$$")
            continue
        if options:
            if OPTION.match(line):
                continue
            options = False
        fence = FENCE.match(line)
        if fence:
            char, count = fence.group(1)[0], len(fence.group(1))
            if stack and stack[-1][0] == char and count >= stack[-1][1] and not fence.group(2) and not fence.group(4).strip():
                stack.pop()
                continue
            name = (fence.group(3) or "").strip()
            if char == ":" and not name:  # a stray ::: closes nothing we know of
                continue
            is_code = not name or name in CODE_DIRECTIVES
            stack.append((char, count, is_code))
            options = not is_code
            continue
        if not stripped or stripped == "+++" or re.fullmatch(r"\([\w-]+\)=", stripped):
            inline_math = False  # a formula never crosses a paragraph
            continue
        if stripped.startswith("<!--"):
            in_comment = "-->" not in stripped
            continue
        if stripped.startswith("$$"):
            in_math = not (len(stripped) > 2 and stripped.endswith("$$")) and not re.fullmatch(r"\$\$.*\$\$.*", stripped)
            continue
        text, roles, inline_math = mask(line, inline_math)
        block_start = bool(re.match(r"\s*(?:[-*+] |\d+[.)] |#{1,6} |\||>)", line))
        out.append(Line(number, line, text, roles, block_start))
    return out


def read(lang: str, page: str) -> list[Line]:
    return prose_lines((BOOK / lang / page).read_text(encoding="utf-8"))


def parentheses(text: str) -> list[tuple[int, int]]:
    """Spans of the full-width parentheses （…） of a line, nested ones included."""
    spans, opened = [], []
    for k, c in enumerate(text):
        if c == "（":
            opened.append(k)
        elif c == "）" and opened:
            spans.append((opened.pop(), k + 1))
    return spans


# ----------------------------------------------------------------------------- rules

def check_terms(page: str, lines: list[Line], lang: str = "zh") -> list[str]:
    """Banned variants of the glossary's terms, and the known mistranslations."""
    rules = [(b, e.zh, e.term) for e in GLOSSARY for b in e.banned if b.applies_to(page)]
    known = {b.text for b, _, _ in rules}
    rules += [(lbdl_glossary.Banned(text, re.compile(re.escape(text)), (), ""), zh, "mistranslation")
              for text, zh in MISTRANSLATIONS.items() if text not in known]
    problems = []
    for line in lines:
        spans = parentheses(line.text)
        for banned, preferred, term in rules:
            if lang != "zh" and banned.latin:
                continue  # English pages: only the Chinese glosses are checked
            for match in banned.pattern.finditer(line.text):
                around = [line.text[a:b] for a, b in spans if a < match.start() and match.end() < b]
                if banned.latin and around:
                    continue  # an English gloss: **独热向量**（one-hot vector）
                if any(SYNONYM.search(p) for p in around):
                    continue  # named as a synonym: （也称扩张）
                why = f" ({banned.why})" if banned.why else ""
                problems.append(f"book/{lang}/{page}:{line.number}: “{match.group()}” → “{preferred}” "
                                f"[{term}]{why}: {line.shown(match.start(), match.end())}")
    return problems


def check_line_breaks(page: str, lines: list[Line]) -> list[str]:
    """One paragraph per line: no line break between two Chinese characters."""
    cjk = f"[{IDEOGRAPH}{CJK_PUNCT}]"
    problems = []
    for before, after in zip(lines, lines[1:]):
        if after.number != before.number + 1 or after.block_start or before.raw.lstrip().startswith("#"):
            continue
        end, start = before.text.rstrip().rstrip("*_"), after.text.lstrip().lstrip("*_")
        if re.search(f"{cjk}$", end) and re.match(cjk, start):
            problems.append(f"book/zh/{page}:{before.number}: line break inside a Chinese paragraph "
                            f"(“…{end[-6:]}⏎{start[:6]}…”) → join the paragraph into one line")
    return problems


ITALIC_STAR = re.compile(r"(?<!\*)\*(?![\s*])([^*\n]*?[^\s*])\*(?!\*)")
ITALIC_UNDERSCORE = re.compile(r"(?<![\w\\])_(?![\s_])([^_\n]*?[^\s_])_(?!\w)")


def check_italics(page: str, lines: list[Line]) -> list[str]:
    """No italics on Chinese text: Chinese fonts have none; use bold."""
    problems = []
    for line in lines:
        for pattern in (ITALIC_STAR, ITALIC_UNDERSCORE):
            for match in pattern.finditer(line.text):
                if re.search(f"[{IDEOGRAPH}]", match.group(1)):
                    inner = "".join(SHOWN.get(c, c) for c in match.group(1))
                    problems.append(f"book/zh/{page}:{line.number}: italic Chinese “*{inner}*” → **{inner}** (bold) "
                                    f"or no emphasis")
    return problems


def check_citations(page: str, lines: list[Line]) -> list[str]:
    """No author-text citation roles: they print "Kaplan et al." in the middle of Chinese."""
    return [f"book/zh/{page}:{line.number}: {{{role}}}`{target}` prints English author names → "
            f"“<作者> 等人 {{cite}}`{target}`”"
            for line in lines for role, target in line.roles if role in AUTHOR_TEXT_CITES]


CAPTION = re.compile(r"^\s*\*\*[图表]\s*\d")
CAPTION_OK = re.compile(r"^\s*\*\*[图表] \d+(?:\.\d+)?\u3000[^\s\u3000—–:：]")
CAPTION_START = re.compile(r"^\*\*([图表])\s*(\d+(?:\.\d+)?)\s*(?:——|—|–|:|：)?\s*")
DASH_AFTER_NUMBER = re.compile(r"[图表]\s*\d+(?:\.\d+)?\s*(?:——|—|–)(?!\s*\d)")  # 图 4.1–4.4 is a range


def check_captions(page: str, lines: list[Line]) -> list[str]:
    """Captions read **图 3.2　标题。** (ideographic space U+3000); no dash after the number."""
    problems = []
    for line in lines:
        if CAPTION.match(line.text) and not CAPTION_OK.match(line.text):
            fixed = CAPTION_START.sub(lambda m: f"**{m.group(1)} {m.group(2)}\u3000", line.text.lstrip(), count=1)
            problems.append(f"book/zh/{page}:{line.number}: caption “{line.shown(0, 14, 0)}…” → “{fixed[:14]}…” "
                            f"(图, a space, the number, an ideographic space U+3000, the title)")
        elif not CAPTION.match(line.text):
            for match in DASH_AFTER_NUMBER.finditer(line.text):
                problems.append(f"book/zh/{page}:{line.number}: dash after a figure number "
                                f"“{match.group()}” → rephrase, e.g. “图 3.2 中…”")
    return problems


def check_dashes(page: str, lines: list[Line]) -> list[str]:
    """No en dash (–) or lone em dash (—) between Chinese characters."""
    cjk = f"[{IDEOGRAPH}]"
    problems = []
    for line in lines:
        for match in re.finditer(f"{cjk}\\s*–\\s*{cjk}", line.text):
            problems.append(f"book/zh/{page}:{line.number}: en dash between Chinese words “{match.group()}” "
                            f"→ “{match.group()[0]}-{match.group()[-1]}” (hyphen, as in 查询-键对)")
        for match in re.finditer(f"[{IDEOGRAPH}{CJK_PUNCT}]\\s*(?<!—)—(?!—)\\s*[{IDEOGRAPH}{CJK_PUNCT}]", line.text):
            problems.append(f"book/zh/{page}:{line.number}: a single em dash in Chinese “{match.group()}” "
                            f"→ the Chinese dash “——”, or a comma, colon or parentheses")
    return problems


NEAR = f"A-Za-z0-9{MATH}{CODE}{ROLE}"
MISSING_SPACE = re.compile(f"[{IDEOGRAPH}][{NEAR}]|[{NEAR}][{IDEOGRAPH}]")
SPACE_BEFORE_PERCENT = re.compile(r"\d+(?:[.,]\d+)*[ \u00a0\u2009\u202f]+%")


def check_spacing(page: str, lines: list[Line]) -> list[str]:
    """A space between Chinese and Latin letters, digits, inline math, inline code and
    roles; none between a number and %."""
    problems = []
    for line in lines:
        for match in SPACE_BEFORE_PERCENT.finditer(line.text):
            problems.append(f"book/zh/{page}:{line.number}: space before % “{match.group()}” → "
                            f"“{match.group().rstrip('% ')}%”")
        text = line.text.replace("*", "")  # **cpu**配置 renders as cpu配置
        for match in MISSING_SPACE.finditer(text):
            a, b = match.group()
            problems.append(f"book/zh/{page}:{line.number}: no space between “{SHOWN.get(a, a)}” and “{SHOWN.get(b, b)}” "
                            f"→ “{SHOWN.get(a, a)} {SHOWN.get(b, b)}”: {''.join(SHOWN.get(c, c) for c in text[max(0, match.start() - 10): match.end() + 10])}")
    return problems


HALF_WIDTH = re.compile(f"[{IDEOGRAPH}][,;:!?]|[,;:!?] ?[{IDEOGRAPH}]|[{IDEOGRAPH}] ?\\(|\\) ?[{IDEOGRAPH}]")
EQUATION_NUMBER = re.compile(r"\(\d+(?:\.\d+)*\)")  # "式 (1.3)" of a paper keeps its parentheses


def check_punctuation(page: str, lines: list[Line]) -> list[str]:
    """Full-width punctuation in Chinese sentences: ，；：！？（）, not , ; : ! ? ( )."""
    problems = []
    for line in lines:
        text = EQUATION_NUMBER.sub("\ue004", line.text)
        problems += [f"book/zh/{page}:{line.number}: half-width punctuation in Chinese “{match.group()}” → "
                     f"，；：！？（）" for match in HALF_WIDTH.finditer(text)]
    return problems


def check_formula_text(page: str, source: str) -> list[str]:
    """No English words left in \\text{...} of the formulas of a Chinese page."""
    problems = []
    code = [(m.start(), m.end()) for m in re.finditer(r"^```\{code-cell\}.*?^```$", source, re.M | re.S)]
    for match in re.finditer(r"\\(?:text|mathrm|textrm)\{([^{}]*)\}", source):
        if any(a <= match.start() < b for a, b in code):
            continue
        words = ENGLISH_IN_TEXT.findall(match.group(1))
        if words:
            number = source.count("\n", 0, match.start()) + 1
            problems.append(f"book/zh/{page}:{number}: English in a formula “{match.group()}” → translate it, "
                            f"e.g. \\text{{对所有 }}")
    return problems


LINE_RULES = {
    "terms": check_terms,
    "line-breaks": check_line_breaks,
    "italics": check_italics,
    "citations": check_citations,
    "captions": check_captions,
    "dashes": check_dashes,
    "spacing": check_spacing,
    "punctuation": check_punctuation,
}


def fail_if(problems: list[str], header: str = "") -> None:
    """Fail with every problem listed, one per line (no assertion introspection)."""
    if problems:
        pytest.fail(f"{header or f'{len(problems)} problem(s)'}:\n" + "\n".join(problems), pytrace=False)


# ----------------------------------------------------------------------------- tests

@pytest.mark.parametrize("page", pages("zh"))
@pytest.mark.parametrize("rule", sorted(LINE_RULES))
def test_chinese_page_follows_the_style(rule, page):
    problems = LINE_RULES[rule](page, read("zh", page))
    fail_if(problems)


@pytest.mark.parametrize("page", pages("zh"))
def test_chinese_formulas_have_no_english_words(page):
    problems = check_formula_text(page, (BOOK / "zh" / page).read_text(encoding="utf-8"))
    fail_if(problems)


@pytest.mark.parametrize("page", pages("en"))
def test_chinese_glosses_of_english_pages_follow_the_glossary(page):
    """The “(中文)” of the English key points use the glossary's terms too."""
    problems = check_terms(page, read("en", page), lang="en")
    fail_if(problems)


def test_glossary_is_large_and_bans_the_known_mistranslations():
    assert len(GLOSSARY) >= 120
    banned = {b.text: e.term for e in GLOSSARY for b in e.banned}
    assert not set(MISTRANSLATIONS) - set(banned), f"not banned by book/glossary.yml: {set(MISTRANSLATIONS) - set(banned)}"
    for text, term in (("变压器", "Transformer"), ("变换器", "Transformer"), ("逻辑回归", "logits"),
                       ("接受域", "receptive field"), ("感受域", "receptive field")):
        assert banned[text] == term, f"{text} is banned for {banned[text]!r}, expected {term!r}"


def test_glossary_sections_exist_in_both_books():
    problems = []
    for lang in ("en", "zh"):
        labels = lbdl_glossary.page_labels(BOOK / lang)
        problems += [f"book/glossary.yml: {e.term!r}: section {e.section} is not a label of book/{lang}"
                     for e in GLOSSARY if e.section not in labels]
    fail_if(problems)


def test_glossary_is_consistent():
    """No entry bans its own term, and a variant banned everywhere is no other entry's term."""
    problems = []
    for entry in GLOSSARY:
        for banned in entry.banned:
            if banned.pattern.search(entry.zh):
                problems.append(f"{entry.term!r}: bans its own term {entry.zh!r} ({banned.text!r})")
            for other in GLOSSARY:
                if other is not entry and not banned.pages and banned.pattern.search(other.zh):
                    problems.append(f"{entry.term!r} bans {banned.text!r}, which is in the term {other.zh!r} "
                                    f"of {other.term!r}: limit it to some pages")
    fail_if(problems)


def test_every_chinese_term_of_the_glossary_is_used():
    """Each Chinese term appears in book/zh (glossary page aside), or the entry says why not."""
    prose = "\n".join(line.raw for page in pages("zh") if page != "glossary.md" for line in read("zh", page))
    prose = prose.replace("$", "")  # top-$k$ 采样
    unused = [f"{e.term!r}: {e.zh!r} ({e.section})" for e in GLOSSARY
              if not e.unused and e.zh.replace("$", "") not in prose]
    fail_if(unused, "Chinese terms of book/glossary.yml used nowhere in book/zh (use them, or give the entry "
                    "an `unused:` reason)")


def test_search_dictionary_is_generated_from_the_glossary():
    expected = lbdl_glossary.search_terms(GLOSSARY)
    actual = (BOOK / "zh-search-terms.txt").read_text(encoding="utf-8")
    assert actual == expected, ("book/zh-search-terms.txt is out of date: "
                                "python tools/sphinx/lbdl_glossary.py search-terms --write")


PLANTED = """---
lbdl:
  en_sha256: 0
---

(sec-x)=
# 1.1 标题

```{code-cell} ipython3
x = "变压器 批次 *只要*"  # code is not prose
```

$$
\\text{for every } s
$$ (eq-x)

每个批次都是一样的，见 `批次` 与 $批次$。

Leaky ReLU 和 **独热向量**（one-hot vector）以及膨胀（也称扩张）。

这是一个很长的
段落。

资源成*倍*增加。

{cite:t}`kaplan2020scaling` 训练了模型。

**图 3.2 — 梯度下降。** 左：……

查询–键对，见图 4.1–4.4。

准确率为 25 %，有1000万个参数，见{ref}`sec-x`。

注意:这里，式 (1.3) 不算。
"""


def test_each_rule_fires_on_a_planted_violation():
    lines = prose_lines(PLANTED)
    assert [line.number for line in lines][:2] == [7, 17]  # the heading, then past code and math
    found = {rule: "\n".join(check(page="ch01/x.md", lines=lines)) for rule, check in LINE_RULES.items()}
    assert "“批次” → “批量”" in found["terms"] and found["terms"].count("“批次”") == 1
    assert "“Leaky ReLU” → “泄漏 ReLU”" in found["terms"]
    assert "one-hot" not in found["terms"] and "扩张" not in found["terms"]
    assert ":21:" in found["line-breaks"] and found["line-breaks"].count("\n") == 0
    assert "倍" in found["italics"]
    assert "cite:t" in found["citations"]
    assert ":28:" in found["captions"] and found["captions"].count("\n") == 0
    assert "询–键" in found["dashes"] and "4.1–4.4" not in found["captions"]
    assert "“25 %” → “25%”" in found["spacing"] and "“有 1”" in found["spacing"] and "“0 万”" in found["spacing"]
    assert "见 {role}" in found["spacing"]
    assert "意:" in found["punctuation"] and "式 (" not in found["punctuation"]
    assert "for every" in "\n".join(check_formula_text("ch01/x.md", PLANTED))
    assert "变压器" not in found["terms"] and "只要" not in found["italics"]  # the code cell is skipped
