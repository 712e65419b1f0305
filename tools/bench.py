"""How long the notebooks and the phases of `make test` take, against the budgets.

    python tools/bench.py                  # print the tables
    python tools/bench.py --check          # exit 1 if a notebook exceeds its budget
    python tools/bench.py --write README.md

A notebook's time is what ``tools/execute.py`` recorded when it last executed it
(kernel start included, two notebooks at a time, as `make test` runs them). The phase
times are those ``tools/timed.py`` recorded during the last `make test`
(``_build/phases.json``). Budgets (DESIGN.md, on a 2-core CPU): at most 30 s per
notebook, a median of at most 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebooks import LANGUAGES, notebooks, read_execution  # noqa: E402
from timed import PHASES  # noqa: E402

BUDGET_SECONDS = 30.0
MEDIAN_BUDGET_SECONDS = 10.0
START, END = "<!-- bench:start -->", "<!-- bench:end -->"
PHASE_NAMES = {"install": "install (`.venv` from `requirements.txt`)", "unit": "unit and parity tests",
               "notebooks": "notebooks (nbval, each page once per language)", "book": "both book builds",
               "site": "site and browser checks"}


def notebook_times() -> dict[str, dict[str, float]]:
    """{page: {lang: seconds}} from the execution records; SystemExit if one is missing."""
    times: dict[str, dict[str, float]] = {}
    for lang in LANGUAGES:
        for page in notebooks(lang):
            execution = read_execution(lang, page)
            if execution is None:
                raise SystemExit(f"{lang}/{page} was never executed: run `make nbtest` first")
            times.setdefault(page.with_suffix("").as_posix(), {})[lang] = execution["seconds"]
    return times


def tables(times: dict[str, dict[str, float]], phases: dict[str, float]) -> str:
    rows = ["| notebook | en (s) | zh (s) |", "| --- | ---: | ---: |"]
    for name in sorted(times):
        rows.append(f"| `{name}` | {times[name].get('en', float('nan')):.1f} | {times[name].get('zh', float('nan')):.1f} |")
    every = [s for by_lang in times.values() for s in by_lang.values()]
    rows.append(f"| **{len(every)} runs: median / max** | {statistics.median(every):.1f} | {max(every):.1f} |")
    machine = f"{platform.machine()}, {os.cpu_count()} cores"
    text = "\n".join(rows) + (
        f"\n\nPer notebook: kernel start and every cell, two notebooks at a time (as `make test` runs them), "
        f"on {machine}; budget {BUDGET_SECONDS:.0f} s each, median {MEDIAN_BUDGET_SECONDS:.0f} s.\n")
    if phases:
        text += "\n| phase of `make test` | seconds |\n| --- | ---: |\n"
        text += "".join(f"| {PHASE_NAMES.get(name, name)} | {seconds:.0f} |\n" for name, seconds in phases.items())
        text += f"| **total** | {sum(phases.values()):.0f} |\n"
    return text


def over_budget(times: dict[str, dict[str, float]]) -> list[str]:
    problems = [f"{lang}/{name}: {s:.1f} s > {BUDGET_SECONDS:.0f} s"
                for name, by_lang in times.items() for lang, s in by_lang.items() if s > BUDGET_SECONDS]
    median = statistics.median(s for by_lang in times.values() for s in by_lang.values())
    if median > MEDIAN_BUDGET_SECONDS:
        problems.append(f"median {median:.1f} s > {MEDIAN_BUDGET_SECONDS:.0f} s")
    return problems


def write_between_markers(path: Path, start: str, end: str, text: str) -> None:
    """Replace what stands between the lines ``start`` and ``end`` of ``path`` by ``text``."""
    document = path.read_text(encoding="utf-8")
    if start not in document or end not in document:
        raise SystemExit(f"{path} has no {start} ... {end} markers")
    head, rest = document.split(start, 1)
    path.write_text(head + start + "\n" + text + end + rest.split(end, 1)[1], encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a notebook exceeds the budget")
    parser.add_argument("--write", type=Path, help="replace the tables between the bench markers of this file")
    args = parser.parse_args(argv)
    times = notebook_times()
    phases = json.loads(PHASES.read_text()) if PHASES.exists() else {}
    text = tables(times, phases)
    print(text)
    if args.write:
        write_between_markers(args.write, START, END, text)
    if args.check and (problems := over_budget(times)):
        raise SystemExit("over budget: " + ", ".join(problems))


if __name__ == "__main__":
    main()
