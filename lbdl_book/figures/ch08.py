"""Figures of Chapter 8 (the compute schism): quantization (§8.2), adapters (§8.3) and
model merging (§8.4), one function per figure or demo plot.

Each function takes what a page computed and returns a matplotlib figure in the house
style of :mod:`lbdl_book.plot`; its docstring names the figure and the shapes of its
inputs. Labels come from ``lbdl_book/strings/ch08_*.py`` through :func:`lbdl_book.t`.
"""

from __future__ import annotations

from .. import plot
from ..i18n import t

# §8.2 Quantization ----------------------------------------------------------------------

# §8.3 Adapters --------------------------------------------------------------------------

# §8.4 Model merging ---------------------------------------------------------------------
