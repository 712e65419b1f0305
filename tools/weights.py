"""Train the weights that ship with lbdl_book (``make weights``).

    python tools/weights.py                 # every recipe of lbdl_book.weights.RECIPES
    python tools/weights.py detector        # one
    python tools/weights.py --quick --out /tmp/w   # a few steps of each, elsewhere (the tests)

Each recipe is the ``train_shipped(quick)`` function of a module of lbdl_book; it returns
the trained model and a dict saying how it was trained and what it reached, which is
stored in the metadata of ``lbdl_book/weights/<name>.safetensors``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lbdl_book import weights


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="recipes to run (default: all)")
    parser.add_argument("--quick", action="store_true", help="a few steps only: checks that a recipe runs")
    parser.add_argument("--out", type=Path, default=None, help="folder to write to (default: lbdl_book/weights)")
    args = parser.parse_args(argv)
    for name in args.names or sorted(weights.RECIPES):
        start = time.perf_counter()
        model, info = weights.recipe(name)(quick=args.quick)
        info = {**info, "quick": args.quick, "seconds": round(time.perf_counter() - start, 1)}
        path = weights.save(model, name, info, folder=args.out)
        print(f"{path}: {info}")


if __name__ == "__main__":
    main()
