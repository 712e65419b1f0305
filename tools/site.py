"""Build the two books and the landing page that links them.

    python tools/site.py            # both languages → _build/site/{index.html,en/,zh/}
    python tools/site.py --lang zh  # one language

The English book uses _config.yml and _toc.yml as they are. The Chinese book uses the
same pair with the overrides of book/zh.yml (title, language, search, part captions).
Warnings are errors. Each build runs with LBDL_LANG set, so figure labels and printed
output come out in the book's language.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
SITE = BUILD / "site"
LANGUAGES = ("en", "zh")
SEARCH_DICT = ROOT / "book" / "zh-search-terms.txt"


def merge(base: dict, update: dict) -> dict:
    """``base`` with ``update`` merged in, recursively for nested dicts."""
    merged = dict(base)
    for key, value in update.items():
        merged[key] = merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def config_files(lang: str) -> tuple[Path, Path]:
    """The (_config.yml, _toc.yml) pair of a language's book."""
    if lang == "en":
        return ROOT / "_config.yml", ROOT / "_toc.yml"
    overrides = yaml.safe_load((ROOT / "book" / "zh.yml").read_text(encoding="utf-8"))
    config = merge(yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8")), overrides["config"])
    config["sphinx"]["config"]["html_search_options"] = {"dict": str(SEARCH_DICT)}
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    for part in toc.get("parts", []):
        if part["caption"] not in overrides["captions"]:
            raise SystemExit(f"book/zh.yml has no Chinese caption for the part {part['caption']!r}")
        part["caption"] = overrides["captions"][part["caption"]]
    out = BUILD / "config" / lang
    out.mkdir(parents=True, exist_ok=True)
    dump = dict(allow_unicode=True, sort_keys=False)
    (out / "_config.yml").write_text(yaml.safe_dump(config, **dump), encoding="utf-8")
    (out / "_toc.yml").write_text(yaml.safe_dump(toc, **dump), encoding="utf-8")
    return out / "_config.yml", out / "_toc.yml"


def build(lang: str) -> Path:
    """Build one language's book with warnings as errors; return its HTML folder."""
    config, toc = config_files(lang)
    out = BUILD / lang
    command = [
        str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT / "book" / lang),
        "--config", str(config), "--toc", str(toc), "--path-output", str(out),
        "-W", "-n", "--keep-going", "--all",   # --all: no stale page after a config change
    ]
    # tools/sphinx holds the book's own Sphinx extensions (offline_mathjax).
    python_path = os.pathsep.join(filter(None, [str(ROOT / "tools" / "sphinx"), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, LBDL_LANG=lang, PYTHONPATH=python_path, PYTHONWARNINGS="ignore::DeprecationWarning")
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, env=env, cwd=ROOT)
    return out / "_build" / "html"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=LANGUAGES, action="append", help="build only this language")
    args = parser.parse_args(argv)
    SITE.mkdir(parents=True, exist_ok=True)
    for lang in args.lang or LANGUAGES:
        html = build(lang)
        shutil.rmtree(SITE / lang, ignore_errors=True)
        shutil.copytree(html, SITE / lang)
    shutil.copy(ROOT / "book" / "landing.html", SITE / "index.html")
    print(f"site: {SITE / 'index.html'}")


if __name__ == "__main__":
    main()
