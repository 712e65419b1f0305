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


def _load_catalogue() -> dict[str, tuple[str, str]]:
    catalogue: dict[str, tuple[str, str]] = {}
    for module in sorted(m.name for m in pkgutil.iter_modules(_strings.__path__)):
        entries = importlib.import_module(f"{_strings.__name__}.{module}").STRINGS
        clashes = catalogue.keys() & entries.keys()
        if clashes:
            raise RuntimeError(f"lbdl_book/strings/{module}.py redefines {sorted(clashes)}")
        catalogue.update(entries)
    return catalogue


STRINGS: dict[str, tuple[str, str]] = _load_catalogue()


def t(key: str, **values) -> str:
    """The catalogue entry ``key`` in the current :func:`~lbdl_book.config.lang`,
    formatted with ``values`` (``t("class_k", k=2)`` → ``"class 2"`` / ``"类别 2"``)."""
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, got {type(key).__name__}")
    if key not in STRINGS:
        raise ValueError(f"no string {key!r} in lbdl_book.i18n.STRINGS")
    text = STRINGS[key][0 if lang() == "en" else 1]
    try:
        return text.format(**values)
    except KeyError as error:
        raise ValueError(f"string {key!r} needs the value {error.args[0]!r}") from None
