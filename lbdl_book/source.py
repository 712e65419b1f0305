"""Show the package's real source in the book (DESIGN rule 1: one source of truth)."""

from __future__ import annotations

import inspect

from IPython.display import Code


def show_source(obj) -> Code:
    """The source code of a function, class or module of ``lbdl_book``, highlighted.

    What the reader sees is the code the tests check, never a copy of it."""
    module = inspect.getmodule(obj)
    if module is None or not module.__name__.startswith("lbdl_book"):
        raise ValueError(f"obj must be a function, class or module of lbdl_book (show_source shows lbdl_book code "
                         f"only), got {obj!r}")
    return Code(inspect.getsource(obj), language="python")
