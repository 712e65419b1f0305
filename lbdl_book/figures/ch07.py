"""Figures of Chapter 7 (synthesis): text generation (§7.1) and image generation
(§7.2), one function per figure or demo plot.

Each function takes what a page computed and returns a matplotlib figure in the house
style of :mod:`lbdl_book.plot`; its docstring names the figure and the shapes of its
inputs. Labels come from ``lbdl_book/strings/ch07_*.py`` through :func:`lbdl_book.t`.
"""

from __future__ import annotations

from .. import plot
from ..i18n import t

# §7.1 Text generation: sampling and decoding, knowledge in the weights ------------------

# §7.1 Few-shot prediction ---------------------------------------------------------------

# §7.1 Reinforcement learning from human feedback ----------------------------------------

# §7.2 Image generation: denoising diffusion ---------------------------------------------

# §7.2 Conditioning and guidance ---------------------------------------------------------
