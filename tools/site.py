"""Build the two books and the landing page that links them.

    python tools/site.py            # both languages → _build/site/{index.html,en/,zh/}
    python tools/site.py --lang zh  # one language

The books never execute a notebook: they render the outputs that the notebook test
recorded (``tools/execute.py``, run first by ``make book`` and ``make test``). For each
language, a source tree ``_build/src/<lang>`` holds every page of ``book/<lang>``, the
notebooks as .ipynb with their recorded outputs merged into their current text
(``tools/notebooks.py``). Only files whose content changed are rewritten, so Sphinx
reads again only the pages that changed: a rebuild of an unchanged tree takes seconds.

The English book uses _config.yml and _toc.yml; the Chinese book the same pair with the
overrides of book/zh.yml (title, language, search, part captions). Both languages build
at the same time, with warnings as errors, each with LBDL_LANG set.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from execute import main as execute_stale  # noqa: E402
from landing import build_landing  # noqa: E402
from notebooks import (BOOK, BUILD, LANGUAGES, ROOT, Stamps, executed_page, export, is_notebook,  # noqa: E402
                       notebook_text, page_digest, write_if_changed)

SITE = BUILD / "site"
SOURCES = BUILD / "src"
DOWNLOADS = BUILD / "notebooks"
SEARCH_DICT = ROOT / "book" / "zh-search-terms.txt"


def merge(base: dict, update: dict) -> dict:
    """``base`` with ``update`` merged in, recursively for nested dicts."""
    merged = dict(base)
    for key, value in update.items():
        merged[key] = merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def config_files(lang: str) -> tuple[Path, Path]:
    """The (_config.yml, _toc.yml) pair of a language's book, written to _build/config/<lang>."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    # The sources are .ipynb files with their outputs: do read them.
    config["exclude_patterns"] = [p for p in config["exclude_patterns"] if not p.endswith(".ipynb")]
    if lang != "en":
        overrides = yaml.safe_load((ROOT / "book" / "zh.yml").read_text(encoding="utf-8"))
        config = merge(config, overrides["config"])
        config["sphinx"]["config"]["html_search_options"] = {"dict": str(SEARCH_DICT)}
        for part in toc.get("parts", []):
            if part["caption"] not in overrides["captions"]:
                raise SystemExit(f"book/zh.yml has no Chinese caption for the part {part['caption']!r}")
            part["caption"] = overrides["captions"][part["caption"]]
    out = BUILD / "config" / lang
    out.mkdir(parents=True, exist_ok=True)
    dump = dict(allow_unicode=True, sort_keys=False)
    for name, content in (("_config.yml", config), ("_toc.yml", toc)):
        path = out / name
        text = yaml.safe_dump(content, **dump)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return out / "_config.yml", out / "_toc.yml"


def assemble(lang: str) -> Path:
    """``_build/src/<lang>``: the pages of ``book/<lang>``, notebooks as executed .ipynb.

    What ``book/`` holds beside the two languages (``_static``, ``_templates``, the
    bibliography, the glossary) is linked from ``_build/src``, so the paths of
    ``_config.yml`` (``../_static`` …) resolve as they do from ``book/<lang>``."""
    SOURCES.mkdir(parents=True, exist_ok=True)
    for shared in BOOK.iterdir():
        if shared.name not in LANGUAGES:
            link = SOURCES / shared.name
            if not link.is_symlink():
                link.symlink_to(shared)
    source, target = BOOK / lang, SOURCES / lang
    stamps = Stamps(SOURCES / f"{lang}.stamps.json")
    wanted = set()
    for path in sorted(p for p in source.rglob("*") if p.is_file() and p.suffix != ".ipynb"):
        page = path.relative_to(source)
        if path.suffix == ".md" and is_notebook(path):
            copy, digest = target / page.with_suffix(".ipynb"), page_digest(lang, page)
            if not stamps.fresh(copy, digest):
                write_if_changed(copy, notebook_text(executed_page(lang, page)))
                stamps.record(copy, digest)
        else:
            copy = target / page
            if not copy.exists() or not filecmp.cmp(path, copy, shallow=False):
                copy.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, copy)  # a new modification time: Sphinx reads it again
        wanted.add(copy)
    for path in target.rglob("*"):
        if path.is_file() and path not in wanted:  # a page renamed or removed
            path.unlink()
    stamps.save()
    return target


def start_build(lang: str) -> subprocess.Popen:
    """Start building one language's book (warnings are errors); return the process."""
    config, toc = config_files(lang)
    command = [
        str(Path(sys.executable).parent / "jupyter-book"), "build", str(assemble(lang)),
        "--config", str(config), "--toc", str(toc), "--path-output", str(BUILD / lang),
        "-W", "-n", "--keep-going",
    ]
    # tools/sphinx holds the book's own Sphinx extensions (offline_mathjax, cjk_webfont, ...).
    python_path = os.pathsep.join(filter(None, [str(ROOT / "tools" / "sphinx"), os.environ.get("PYTHONPATH")]))
    env = dict(os.environ, LBDL_LANG=lang, PYTHONPATH=python_path, PYTHONWARNINGS="ignore::DeprecationWarning")
    print("+", " ".join(command), flush=True)
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def sync(source: Path, target: Path, keep: tuple[str, ...] = ()) -> None:
    """Make ``target`` a copy of ``source``, copying only the files that differ; the
    top-level entries of ``target`` named in ``keep`` are left alone."""
    for path in source.rglob("*"):
        copy = target / path.relative_to(source)
        if path.is_dir():
            copy.mkdir(parents=True, exist_ok=True)
        elif not copy.exists() or not filecmp.cmp(path, copy, shallow=True):
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, copy)
    for path in sorted(target.rglob("*"), reverse=True):
        relative = path.relative_to(target)
        if relative.parts[0] not in keep and not (source / relative).exists():
            path.unlink() if path.is_file() or path.is_symlink() else path.rmdir()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=LANGUAGES, action="append", help="build only this language")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    execute_stale([])  # the book shows no output older than the code that printed it
    languages = args.lang or LANGUAGES
    builds = {lang: start_build(lang) for lang in languages}
    export(DOWNLOADS)  # meanwhile: the .ipynb downloads, with and without outputs
    failed = []
    for lang, process in builds.items():
        log = process.communicate()[0]
        print("".join(f"[{lang}] {line}\n" for line in log.splitlines()), end="", flush=True)
        if process.returncode:
            failed.append(lang)
    if failed:
        raise SystemExit(f"the {' and '.join(failed)} build failed (warnings are errors): see the log above")
    for lang in languages:
        sync(BUILD / lang / "_build" / "html", SITE / lang, keep=("notebooks",))
        sync(DOWNLOADS / lang, SITE / lang / "notebooks")
    build_landing(SITE)
    print(f"site: {SITE / 'index.html'} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
