"""Sphinx extension: the bilingual glossary of the book, from ``book/glossary.yml``.

``book/glossary.yml`` is the one source of the book's terms. This module

- loads and validates it (``load()``), for the build and for ``tests/test_zh_style.py``;
- provides the directive ``lbdl-glossary`` that renders it as a Sphinx glossary, so that
  ``{term}`` roles work: in the English book every English term, alphabetically, with its
  Chinese term, the section that introduces it and the English definition; in the Chinese
  book every Chinese term, grouped by chapter in the order of the book, with its English
  term, its section and the Chinese definition;
- generates the jieba dictionary of the Chinese search (``search_terms()``)::

      python tools/sphinx/lbdl_glossary.py search-terms           # print it
      python tools/sphinx/lbdl_glossary.py search-terms --write   # rewrite book/zh-search-terms.txt
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
GLOSSARY = ROOT / "book" / "glossary.yml"
SEARCH_TERMS = ROOT / "book" / "zh-search-terms.txt"
FIELDS = {"en", "zh", "section", "def_en", "def_zh", "banned", "regex", "unused", "search"}
REQUIRED = ("en", "zh", "section", "def_en", "def_zh")
LABEL = re.compile(r"^\(([\w-]+)\)=\s*$", re.M)
HEADING_NUMBER = re.compile(r"^# (\d+)(?:\.(\d+))?\s", re.M)
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Banned:
    """A Chinese variant that must not appear in the prose of book/zh."""

    text: str                  # as written in the yml (a literal, or a regex when ``regex``)
    pattern: re.Pattern
    pages: tuple[str, ...]     # globs relative to book/zh; empty: every page
    why: str

    def applies_to(self, page: str) -> bool:
        return not self.pages or any(fnmatch.fnmatch(page, glob) for glob in self.pages)

    @property
    def latin(self) -> bool:
        """A variant without Chinese characters ("one-hot"): allowed as a gloss in （…）."""
        return not CJK.search(self.text)


@dataclass(frozen=True)
class Entry:
    en: tuple[str, ...]
    zh: str
    section: str
    def_en: str
    def_zh: str
    banned: tuple[Banned, ...] = ()
    unused: str = ""
    search: bool = True

    @property
    def term(self) -> str:
        return self.en[0]


def _entry(raw: dict, index: int) -> Entry:
    where = f"book/glossary.yml, entry {index + 1} ({raw.get('en')!r})"
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected a mapping, got {type(raw).__name__}")
    if unknown := set(raw) - FIELDS:
        raise ValueError(f"{where}: unknown field(s) {sorted(unknown)}; expected some of {sorted(FIELDS)}")
    if missing := [f for f in REQUIRED if not raw.get(f)]:
        raise ValueError(f"{where}: missing field(s) {missing}")
    en = raw["en"] if isinstance(raw["en"], list) else [raw["en"]]
    for field in ("zh", "section", "def_en", "def_zh"):
        if not isinstance(raw[field], str) or "\n" in raw[field].strip():
            raise ValueError(f"{where}: {field} must be one line of text, got {raw[field]!r}")
    if not raw["section"].startswith("sec-"):
        raise ValueError(f"{where}: section must be a page label such as sec-gradient-descent, got {raw['section']!r}")
    banned = []
    for item in raw.get("banned") or []:
        item = {"text": item} if isinstance(item, str) else dict(item)
        if set(item) - {"text", "pages", "why"} or not item.get("text"):
            raise ValueError(f"{where}: a banned item is a string or {{text, pages, why}}, got {item!r}")
        text = str(item["text"])
        try:
            pattern = re.compile(text if raw.get("regex") else re.escape(text))
        except re.error as error:
            raise ValueError(f"{where}: banned regex {text!r}: {error}") from None
        banned.append(Banned(text, pattern, tuple(item.get("pages") or ()), str(item.get("why", ""))))
    return Entry(
        en=tuple(str(t) for t in en), zh=raw["zh"].strip(), section=raw["section"].strip(),
        def_en=raw["def_en"].strip(), def_zh=raw["def_zh"].strip(), banned=tuple(banned),
        unused=str(raw.get("unused") or ""), search=bool(raw.get("search", True)),
    )


def load(path: Path = GLOSSARY) -> list[Entry]:
    """The entries of the glossary, validated: ValueError names the entry at fault."""
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of entries, got {type(raw).__name__}")
    entries = [_entry(item, i) for i, item in enumerate(raw)]
    seen: dict[str, str] = {}
    for entry in entries:
        for key in [("en", t.casefold()) for t in entry.en] + [("zh", entry.zh.casefold())]:
            if key in seen:
                raise ValueError(f"book/glossary.yml: the {key[0]} term {key[1]!r} is in two entries "
                                 f"({seen[key]!r} and {entry.term!r}); merge them")
            seen[key] = entry.term
    return entries


def search_terms(entries: list[Entry] | None = None) -> str:
    """The jieba user dictionary of the Chinese search: one "word n" line per Chinese
    term of the glossary of two or more Chinese characters (jieba's format cannot hold a
    space; Latin words and single characters are indexed anyway). No frequency is given,
    so jieba computes one just high enough to keep the term whole, and never lowers the
    frequency of a word it already knows."""
    lines = [f"{e.zh} n" for e in entries or load()
             if e.search and len(e.zh) > 1 and all(CJK.match(c) for c in e.zh)]
    return "\n".join(lines) + "\n"


def page_labels(book: Path) -> dict[str, str]:
    """Every ``(label)=`` of a book folder, mapped to its page (relative path, no suffix)."""
    labels = {}
    for page in sorted(book.rglob("*.md")):
        for label in LABEL.findall(page.read_text(encoding="utf-8")):
            labels[label] = page.relative_to(book).with_suffix("").as_posix()
    return labels


# --------------------------------------------------------------------------- Sphinx

def _chapter(page: str) -> str:
    return page.split("/")[0] if "/" in page else page


def _section_order(book: Path, page: str) -> tuple[int, int]:
    """(chapter, section) from the page's title "# 3.3 ...", (0, 0) for the preface."""
    match = HEADING_NUMBER.search((book / f"{page}.md").read_text(encoding="utf-8"))
    return (int(match.group(1)), int(match.group(2) or 0)) if match else (0, 0)


def _sort_key(term: str) -> str:
    """Alphabetical, ignoring case and accents: "Adam" next to "activation"."""
    return "".join(c for c in unicodedata.normalize("NFKD", term.casefold()) if not unicodedata.combining(c))


def _directive():
    from docutils import nodes
    from sphinx import addnodes
    from sphinx.domains.std import make_glossary_term
    from sphinx.util.nodes import make_id
    from sphinx.util.docutils import SphinxDirective

    class LbdlGlossary(SphinxDirective):
        """``:::{lbdl-glossary}`` renders book/glossary.yml in the language of the book."""

        has_content = False

        def run(self):
            self.env.note_dependency(str(GLOSSARY))
            chinese = (self.config.language or "en").startswith("zh")
            # The pages of book/<lang> (the build may read them from elsewhere, as .ipynb).
            book = ROOT / "book" / ("zh" if chinese else "en")
            labels = page_labels(book)
            entries = load()
            missing = [f"{e.section} ({e.term})" for e in entries if e.section not in labels]
            if missing:
                raise self.error(f"book/glossary.yml: section labels not found in {book}: {', '.join(missing)}")
            if not chinese:
                return [self._glossary(sorted(entries, key=lambda e: _sort_key(e.term)), chinese)]
            # Chinese: by chapter, then in the order of the sections (no pinyin sort without a package).
            order = {e.section: _section_order(book, labels[e.section]) for e in entries}
            chapter_label = {}   # the first label of each chapter's opening page (or of the preface)
            for label, page in labels.items():
                if page.endswith("/index") or "/" not in page:
                    chapter_label.setdefault(_chapter(page), label)
            output, groups = [], {}
            for entry in sorted(entries, key=lambda e: order[e.section]):
                groups.setdefault(_chapter(labels[entry.section]), []).append(entry)
            for chapter, group in groups.items():
                rubric = nodes.rubric()
                rubric += self.parse_inline(f"{{ref}}`{chapter_label[chapter]}`", lineno=self.lineno)[0]
                output += [rubric, self._glossary(group, chinese)]
            return output

        def _glossary(self, entries, chinese):
            source, line = self.get_source_info()
            items = []
            for entry in entries:
                terms = [entry.zh] if chinese else list(entry.en)
                other = " / ".join(entry.en) if chinese else entry.zh
                item = nodes.definition_list_item()
                for text in terms:
                    # In both books a term's anchor comes from its English name (#term-gradient-descent),
                    # so that the language switch lands on the same entry.
                    node_id = make_id(self.env, self.state.document, "term", entry.term if chinese else text)
                    term = make_glossary_term(self.env, [nodes.Text(text)], None, source, line,
                                              node_id=node_id, document=self.state.document)
                    self.state.document.note_explicit_target(term)
                    item += term
                head = nodes.paragraph()
                head += nodes.strong(text=other)
                head += nodes.Text(" · ")
                head += self.parse_inline(f"{{ref}}`{entry.section}`", lineno=self.lineno)[0]
                body = nodes.paragraph()
                body += self.parse_inline(entry.def_zh if chinese else entry.def_en, lineno=self.lineno)[0]
                item += nodes.definition("", head, body)
                items.append(item)
            glossary = addnodes.glossary()
            glossary.document = self.state.document
            glossary["sorted"] = False
            listing = nodes.definition_list("", *items)
            listing["classes"].append("glossary")
            glossary += listing
            return glossary

    return LbdlGlossary


def setup(app):
    app.add_directive("lbdl-glossary", _directive())
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The book's glossary (book/glossary.yml).")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("search-terms", help="the jieba dictionary of the Chinese search")
    command.add_argument("--write", action="store_true", help=f"write it to {SEARCH_TERMS.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    text = search_terms()
    if args.write:
        SEARCH_TERMS.write_text(text, encoding="utf-8")
        print(f"wrote {SEARCH_TERMS.relative_to(ROOT)} ({text.count(chr(10))} terms)")
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
