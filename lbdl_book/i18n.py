"""English and Chinese strings for figure labels and printed output.

Code cells are byte-identical in ``book/en`` and ``book/zh``; what they show in the
reader's language comes from a catalogue, looked up with :func:`t`. The catalogue is
split by chapter: every module of ``lbdl_book/strings`` defines a ``STRINGS`` dict
``{key: (English, 中文)}``, and keys must be unique across modules. Entries are
``str.format`` templates: write a literal brace of LaTeX as ``{{`` or ``}}``.
"""

from __future__ import annotations

import importlib
import pkgutil

from . import strings as _strings
from .config import lang


def _load_catalogue() -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """All entries, and the module that defines each key."""
    catalogue: dict[str, tuple[str, str]] = {}
    origin: dict[str, str] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(_strings.__path__)):
        name = f"{_strings.__name__}.{module}"
        entries = importlib.import_module(name).STRINGS
        clashes = catalogue.keys() & entries.keys()
        if clashes:
            raise RuntimeError(f"lbdl_book/strings/{module}.py redefines {sorted(clashes)}")
        catalogue.update(entries)
        origin.update(dict.fromkeys(entries, name))
    return catalogue, origin


STRINGS, _ORIGIN = _load_catalogue()
_used_catalogues: set[str] = set()


def catalogues_used() -> set[str]:
    """The modules of ``lbdl_book/strings`` whose entries :func:`t` has returned in this
    process: what a page's printed text depends on (``tools/execute.py`` re-executes a
    page when one of these changes, and not for the others)."""
    return set(_used_catalogues)


def t(key: str, **values) -> str:
    """The catalogue entry ``key`` in the current :func:`~lbdl_book.config.lang`,
    formatted with ``values`` (``t("class_k", k=2)`` → ``"class 2"`` / ``"类别 2"``)."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, got {type(key).__name__}")
    if key not in STRINGS:
        raise ValueError(f"key must name an entry of lbdl_book.i18n.STRINGS: no string {key!r}")
    _used_catalogues.add(_ORIGIN[key])
    text = STRINGS[key][0 if lang() == "en" else 1]
    try:
        return text.format(**values)
    except KeyError as error:
        raise ValueError(f"string {key!r} needs the value {error.args[0]!r}") from None
