"""Per-notebook execution times, from the durations that pytest (nbval) reports.

    python tools/bench.py --from-log _build/nbtest.log            # print the table
    python tools/bench.py --from-log _build/nbtest.log --check    # fail above the budget
    python tools/bench.py --from-log _build/nbtest.log --write README.md

A notebook's time is the sum of the setup, call and teardown durations of its cells,
kernel start included. The budget (DESIGN.md) is 30 s per notebook on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
from collections import defaultdict
from pathlib import Path

import torch

BUDGET_SECONDS = 30.0
DURATION = re.compile(r"^([\d.]+)s (?:setup|call|teardown)\s+(?:\S*/)?(en|zh)/(\S+)\.ipynb::")
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def notebook_times(log: str) -> dict[str, dict[str, float]]:
    """{notebook: {lang: seconds}} from the ``--durations=0`` section of a pytest log."""
    times: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for line in log.splitlines():
        match = DURATION.match(line.strip())
        if match:
            seconds, lang, name = match.groups()
            times[name][lang] += float(seconds)
    if not times:
        raise SystemExit("no notebook durations in the log: run pytest with --durations=0 --durations-min=0")
    return times


def table(times: dict[str, dict[str, float]]) -> str:
    rows = ["| notebook | en (s) | zh (s) |", "| --- | ---: | ---: |"]
    for name in sorted(times):
        rows.append(f"| `{name}` | {times[name].get('en', float('nan')):.1f} | {times[name].get('zh', float('nan')):.1f} |")
    every = [s for by_lang in times.values() for s in by_lang.values()]
    rows.append(f"| **all {len(every)} runs: total / max** | {sum(every):.0f} | {max(every):.1f} |")
    machine = f"{platform.machine()} with {os.cpu_count()} cores, torch {torch.__version__}"
    return "\n".join(rows) + (f"\n\nMeasured by `make bench` on {machine}, one notebook at a time "
                              f"(as `make test` runs them); budget {BUDGET_SECONDS:.0f} s per notebook.\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from-log", type=Path, required=True)
    parser.add_argument("--check", action="store_true", help="exit 1 if a notebook exceeds the budget")
    parser.add_argument("--write", type=Path, help="replace the table between the bench markers of this file")
    args = parser.parse_args(argv)
    times = notebook_times(args.from_log.read_text(encoding="utf-8"))
    text = table(times)
    print(text)
    if args.write:
        document = args.write.read_text(encoding="utf-8")
        if START not in document or END not in document:
            raise SystemExit(f"{args.write} has no {START} ... {END} markers")
        head, rest = document.split(START, 1)
        args.write.write_text(head + START + "\n" + text + END + rest.split(END, 1)[1], encoding="utf-8")
    if args.check:
        over = [f"{lang}/{name}: {s:.1f} s" for name, by_lang in times.items() for lang, s in by_lang.items() if s > BUDGET_SECONDS]
        if over:
            raise SystemExit(f"over the {BUDGET_SECONDS:.0f} s budget: " + ", ".join(over))


if __name__ == "__main__":
    main()
