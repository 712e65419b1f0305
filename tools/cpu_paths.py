"""Run the unit tests through several CPU code paths, and print a table.

    python tools/cpu_paths.py                       # every path this CPU has
    python tools/cpu_paths.py --paths default mkl-compatible
    python tools/cpu_paths.py --margins             # also the largest |difference| / bound per path
    python tools/cpu_paths.py --hogs 2              # with 2 CPU hogs running (a busy machine)
    python tools/cpu_paths.py --notebooks book/en/ch04/pooling.md book/zh/ch04/pooling.md

The tolerances of the tests are rounding bounds (tests/_bounds.py), meant to hold on any
CPU. One machine can check a good part of that claim by itself, because PyTorch and MKL
choose their kernels at run time:

* ``ATEN_CPU_CAPABILITY`` = default, avx2, avx512: PyTorch's vectorised kernels
  (elementwise functions, reductions, softmax, normalizations...) compiled for each
  instruction set; a path the CPU lacks is skipped, and the table says so;
* ``MKL_CBWR`` = COMPATIBLE, AVX2: MKL's matrix products (and LAPACK) restricted to a
  generic or an AVX2 code path, as on an older or an AMD CPU;
* ``LBDL_THREADS`` = 1, 2 (and ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` to match): one
  thread per test worker, or two, whose parallel reductions split the sums differently
  (tests/conftest.py applies ``LBDL_THREADS`` in every worker; with two threads each,
  one worker runs, so that the threads match the cores).

Each path runs ``pytest tests --ignore=tests/site -q -n 2`` (``--workers``) in a fresh
process with that environment; the table gives the outcome, the time, and the
instruction set PyTorch reports it actually used. The exit status is 1 if any path fails.

``--notebooks PATHS``: also execute these MyST pages on every path, converted with
jupytext into a scratch folder (``en/`` and ``zh/`` kept, so each page speaks its
language) and run by nbval, one after the other. ``--margins``: every bound checked by
``tests/_bounds.assert_within`` logs |actual − expected| / bound (``LBDL_BOUNDS_LOG``);
the table shows the largest per path and the closest tests are listed. ``--hogs N``:
N busy-looping processes run during the whole measurement, to show that the timing
tests (``compare_times``, medians) keep their margins on a loaded machine.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

# name: (environment overrides, what it needs: "avx2", "avx512", "mkl" or None)
PATHS = {
    "default": ({"ATEN_CPU_CAPABILITY": "default"}, None),
    "avx2": ({"ATEN_CPU_CAPABILITY": "avx2"}, "avx2"),
    "avx512": ({"ATEN_CPU_CAPABILITY": "avx512"}, "avx512"),
    "mkl-compatible": ({"MKL_CBWR": "COMPATIBLE"}, "mkl"),
    "mkl-avx2": ({"MKL_CBWR": "AVX2"}, "mkl-avx2"),
    "threads-1": ({"LBDL_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}, None),
    "threads-2": ({"LBDL_THREADS": "2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}, None),
}
# A path whose workers use k threads runs workers // k of them, so as not to put more
# threads than cores to work (OpenMP threads then wait for each other and time out tests).

PROBE = """
import json, torch
print(json.dumps({"capability": torch.backends.cpu.get_cpu_capability(), "mkl": torch.backends.mkl.is_available()}))
"""


def cpu_flags() -> set[str]:
    """The instruction-set flags of this CPU (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    match = re.search(r"^flags\s*:(.*)$", text, flags=re.MULTILINE)
    return set(match.group(1).split()) if match else set()


def probe(env: dict[str, str]) -> dict:
    """What PyTorch reports in a process with ``env``: its instruction set, and MKL."""
    out = subprocess.run([PYTHON, "-c", PROBE], env=env, capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def missing(requirement: str | None, flags: set[str], mkl: bool) -> str | None:
    """Why this CPU cannot run a path, or None."""
    avx2 = {"avx2", "fma"} <= flags
    avx512 = {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags
    if requirement == "avx2" and not avx2:
        return "the CPU has no AVX2"
    if requirement == "avx512" and not avx512:
        return "the CPU has no AVX-512 (F, BW, VL, DQ)"
    if requirement in ("mkl", "mkl-avx2") and not mkl:
        return "PyTorch is not built with MKL"
    if requirement == "mkl-avx2" and not avx2:
        return "the CPU has no AVX2"
    return None


def summary(output: str) -> str:
    """pytest's last line: '1592 passed, 2 failed in 30.1s' → '1592 passed, 2 failed'."""
    lines = [line for line in output.strip().splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    return re.sub(r"\s+in [\d.]+s.*$", "", lines[-1].strip("= ")) if lines else "no summary (see the log)"


def notebook_copies(pages: list[str], scratch: Path) -> list[Path]:
    """The pages as .ipynb under ``scratch``, with their path below ``book/`` kept."""
    import jupytext

    copies = []
    for page in pages:
        source = Path(page).resolve()
        try:
            relative = source.relative_to(ROOT / "book")
        except ValueError:                  # outside book/: keep <lang>/<chapter>/<page> for the language
            relative = Path(*source.parts[-3:])
        target = (scratch / relative).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(jupytext.read(source), target)
        copies.append(target)
    return copies


def run_path(name: str, overrides: dict[str, str], args, log_dir: Path, notebooks: list[Path]) -> dict:
    env = {**os.environ, **overrides, "LBDL_PROGRESS": "0", "PYTHONDONTWRITEBYTECODE": "1"}
    margins = log_dir / f"{name}.bounds.jsonl"
    if args.margins:
        margins.unlink(missing_ok=True)
        env["LBDL_BOUNDS_LOG"] = str(margins)
    seen = probe(env)
    targets = [] if any((ROOT / a.split("::")[0]).exists() for a in args.pytest_args) else ["tests"]
    threads = int(overrides.get("LBDL_THREADS", "1"))            # per worker (tests/conftest.py)
    workers = max(1, args.workers // threads)
    command = [PYTHON, "-m", "pytest", *targets, "--ignore=tests/site", "-q", "-p", "no:cacheprovider",
               "-n", str(workers), *args.pytest_args]
    start = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    (log_dir / f"{name}.log").write_text(result.stdout + result.stderr)
    row = {"path": name, "env": " ".join(f"{k}={v}" for k, v in overrides.items() if k != "MKL_NUM_THREADS"),
           "capability": seen["capability"], "threads": threads, "workers": workers, "ok": result.returncode == 0,
           "summary": summary(result.stdout), "seconds": seconds}
    if notebooks:
        nb_start = time.perf_counter()
        scratch = log_dir / "notebooks"
        nb = subprocess.run([PYTHON, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
                             "-q", *(str(page.relative_to(scratch)) for page in notebooks)],
                            env=env, cwd=scratch, capture_output=True, text=True)
        (log_dir / f"{name}.notebooks.log").write_text(nb.stdout + nb.stderr)
        row["notebooks"] = f"{summary(nb.stdout)} ({time.perf_counter() - nb_start:.0f} s)"
        row["ok"] = row["ok"] and nb.returncode == 0
    if args.margins and margins.exists():
        worst: dict[str, float] = {}
        for line in margins.read_text().splitlines():
            record = json.loads(line)
            worst[record["test"]] = max(worst.get(record["test"], 0.0), record["ratio"])
        ranked = sorted(worst.items(), key=lambda item: -item[1])
        row["max_ratio"] = ranked[0][1] if ranked else 0.0
        row["closest"] = ranked[:args.margins]
    return row


def start_hogs(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def stop_hogs(hogs: list[subprocess.Popen]) -> None:
    for hog in hogs:                                  # only the processes started here, by handle
        hog.terminate()
    for hog in hogs:
        hog.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--paths", nargs="+", choices=list(PATHS), default=list(PATHS), help="paths to run")
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (default 2)")
    parser.add_argument("--notebooks", nargs="+", default=[], metavar="PAGE", help="MyST pages to execute too")
    parser.add_argument("--margins", type=int, nargs="?", const=5, default=0, metavar="N",
                        help="report the largest |difference| / bound, and the N closest tests (default 5)")
    parser.add_argument("--hogs", type=int, default=0, help="CPU-hogging processes to run meanwhile")
    parser.add_argument("--logs", type=Path, default=None, help="folder for the logs (default: a temporary one)")
    parser.add_argument("pytest_args", nargs="*",
                        help="extra pytest arguments, after -- (test files here replace the whole of tests/)")
    args = parser.parse_args(argv)

    flags = cpu_flags()
    base = probe(dict(os.environ))
    log_dir = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="cpu_paths."))
    log_dir.mkdir(parents=True, exist_ok=True)
    notebooks: list[Path] = []
    if args.notebooks:
        scratch = log_dir / "notebooks"
        shutil.rmtree(scratch, ignore_errors=True)
        notebooks = notebook_copies(args.notebooks, scratch)

    print(f"CPU: {base['capability']} by default, MKL {'yes' if base['mkl'] else 'no'}; logs in {log_dir}"
          + (f"; {args.hogs} CPU hogs running" if args.hogs else ""), flush=True)
    rows, hogs = [], start_hogs(args.hogs)
    try:
        for name in args.paths:
            overrides, requirement = PATHS[name]
            reason = missing(requirement, flags, base["mkl"])
            if reason:
                rows.append({"path": name, "skipped": reason})
                print(f"{name:15} skipped: {reason}", flush=True)
                continue
            row = run_path(name, overrides, args, log_dir, notebooks)
            rows.append(row)
            print(f"{name:15} {'passed' if row['ok'] else 'FAILED':7} {row['seconds']:6.0f} s  {row['summary']}",
                  flush=True)
    finally:
        stop_hogs(hogs)

    print()
    header = "| path | environment | PyTorch reports | result | time |" + (" max ratio |" if args.margins else "")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for row in rows:
        if "skipped" in row:
            print(f"| {row['path']} | | | skipped: {row['skipped']} | |" + (" |" if args.margins else ""))
            continue
        result = f"{'passed' if row['ok'] else 'FAILED'}: {row['summary']}" + (
            f"; notebooks {row['notebooks']}" if "notebooks" in row else "")
        line = (f"| {row['path']} | {row['env']} | {row['capability']}; {row['workers']} worker(s) × "
                f"{row['threads']} thread(s) | {result} | {row['seconds']:.0f} s |")
        if args.margins:
            line += f" {row.get('max_ratio', 0.0):.2g} |"
        print(line)
    if args.margins:
        print("\nclosest to their bounds (|difference| / bound):")
        for row in rows:
            for test, ratio in row.get("closest", []):
                print(f"  {row['path']:15} {ratio:6.3f}  {test}")
    failed = [row["path"] for row in rows if "skipped" not in row and not row["ok"]]
    if failed:
        print(f"\nfailed on: {', '.join(failed)} (logs in {log_dir})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
