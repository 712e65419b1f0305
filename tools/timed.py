"""Run a command and record how long it took, as one phase of `make test`.

    python3 tools/timed.py PHASE -- COMMAND ...

The seconds are written to _build/phases.json under PHASE (the README's table of CI
phases comes from that file: `make bench`). Standard library only: it also times the
installation, before the virtual environment exists. Exits with the command's status.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

PHASES = Path(__file__).resolve().parent.parent / "_build" / "phases.json"


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[1] != "--":
        raise SystemExit(__doc__.strip().splitlines()[2].strip())
    phase, command = argv[0], argv[2:]
    start = time.perf_counter()
    code = subprocess.call(command)
    if code == 0:
        PHASES.parent.mkdir(parents=True, exist_ok=True)
        phases = json.loads(PHASES.read_text()) if PHASES.exists() else {}
        phases[phase] = round(time.perf_counter() - start, 1)
        PHASES.write_text(json.dumps(phases, indent=1) + "\n")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
