"""Keep the Chinese book in step with the English one.

    python tools/parity.py check          # report differences and Chinese files behind
    python tools/parity.py stamp FILE...  # after syncing book/zh/FILE with book/en/FILE

Each Chinese file records, in its front matter, the SHA-256 of the English file it was
last synced with (``lbdl: {en_sha256: ...}``). A Chinese file is *behind* when its
English twin has changed since. tests/test_parity.py runs the same checks.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"

CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n.*?^```$", re.M | re.S)
LABEL = re.compile(r"^\(([\w-]+)\)=$", re.M)
FIGURE = re.compile(r"^:name: (fig-[\w-]+)$", re.M)
EXERCISE = re.compile(r"^:label: (ex-[\w-]+)$", re.M)
SOLUTION = re.compile(r"^`{3,}\{solution(?:-start)?\} (ex-[\w-]+)$", re.M)
EQUATION = re.compile(r"^\$\$ \((eq-[\w-]+)\)$", re.M)
STAMP = re.compile(r"^lbdl:\n  en_sha256: ([0-9a-f]+)\n", re.M)


@dataclass(frozen=True)
class Structure:
    """What must be the same in both languages."""

    code_cells: tuple[str, ...]
    labels: tuple[str, ...]
    figures: tuple[str, ...]
    exercises: tuple[str, ...]
    solutions: tuple[str, ...]
    equations: tuple[str, ...]


def structure(text: str) -> Structure:
    return Structure(*(tuple(p.findall(text)) for p in (CODE_CELL, LABEL, FIGURE, EXERCISE, SOLUTION, EQUATION)))


def pages(lang: str) -> set[Path]:
    return {p.relative_to(BOOK / lang) for p in (BOOK / lang).rglob("*.md")}


def en_hash(relative: Path) -> str:
    return hashlib.sha256((BOOK / "en" / relative).read_bytes()).hexdigest()[:16]


def recorded_hash(relative: Path) -> str | None:
    match = STAMP.search((BOOK / "zh" / relative).read_text(encoding="utf-8").split("\n---\n", 1)[0] + "\n")
    return match.group(1) if match else None


def differences(relative: Path) -> list[str]:
    """What differs between the EN and ZH versions of one page, as readable lines."""
    en = structure((BOOK / "en" / relative).read_text(encoding="utf-8"))
    zh = structure((BOOK / "zh" / relative).read_text(encoding="utf-8"))
    problems = []
    for field in Structure.__dataclass_fields__:
        a, b = getattr(en, field), getattr(zh, field)
        if a == b:
            continue
        if field == "code_cells":
            if len(a) != len(b):
                problems.append(f"{relative}: {len(a)} code cells in en, {len(b)} in zh")
            else:
                first = next(i for i, (x, y) in enumerate(zip(a, b)) if x != y)
                problems.append(f"{relative}: code cell {first + 1} differs between en and zh")
        else:
            problems.append(f"{relative}: {field} differ: en {list(a)} zh {list(b)}")
    return problems


def behind() -> list[Path]:
    """Chinese pages whose recorded English hash is missing or out of date."""
    return sorted(r for r in pages("en") & pages("zh") if recorded_hash(r) != en_hash(r))


def stamp(relative: Path) -> None:
    """Record the current English hash in the Chinese page's front matter."""
    path = BOOK / "zh" / relative
    text = STAMP.sub("", path.read_text(encoding="utf-8"))
    record = f"lbdl:\n  en_sha256: {en_hash(relative)}\n"
    if text.startswith("---\n"):
        end = text.index("\n---\n", 3)
        text = text[: end + 1] + record + text[end + 1:]
    else:
        text = f"---\n{record}---\n\n{text}"
    path.write_text(text, encoding="utf-8")


def check() -> list[str]:
    en, zh = pages("en"), pages("zh")
    problems = [f"only in book/en: {p}" for p in sorted(en - zh)] + [f"only in book/zh: {p}" for p in sorted(zh - en)]
    for relative in sorted(en & zh):
        problems += differences(relative)
    problems += [f"behind its English version (sync it, then `python tools/parity.py stamp {p}`): book/zh/{p}" for p in behind()]
    return problems


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check")
    command = commands.add_parser("stamp")
    command.add_argument("files", nargs="+", type=Path, help="paths relative to book/en and book/zh, or book/zh/...")
    args = parser.parse_args(argv)
    if args.command == "stamp":
        for file in args.files:
            relative = file.relative_to("book/zh") if file.parts[:2] == ("book", "zh") else file
            stamp(relative)
            print(f"stamped book/zh/{relative}")
    else:
        problems = check()
        print("\n".join(problems) or "en and zh are in step")
        sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
