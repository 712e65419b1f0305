"""The house style of the book's figures.

Chinese labels need a CJK font, and most laptops and CI machines have none installed.
The ``mplfonts`` package ships Noto Sans CJK SC (SIL Open Font License); we register
that file with Matplotlib and use it for all text, in both languages, so English and
Chinese figures look alike. Its Latin letters are those of Source Sans.
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
from matplotlib import font_manager

# Colours of LBDL's figures: blue for the ingredients, red for the result, black for data.
BLUE = "#1f5fbf"
RED = "#d62728"
BLACK = "#111111"
GREY = "#8c8c8c"
GREEN = "#2ca02c"
ORANGE = "#ff7f0e"
CLASS_COLORS = ("#1f5fbf", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")

CJK_FONT_NAME = "Noto Sans CJK SC"
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK SC font shipped by the ``mplfonts`` package."""
    try:
        from mplfonts.conf import FONT_DIR
    except ImportError as error:  # the font provider is a declared dependency
        raise RuntimeError(
            "lbdl_book needs the 'mplfonts' package for Chinese figure labels: "
            "pip install -r requirements.txt"
        ) from error
    path = Path(FONT_DIR) / CJK_FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"the CJK font {path} is missing from the mplfonts package")
    return path


def use_style() -> None:
    """Apply the house style and register the CJK font (safe to call many times)."""
    path = cjk_font_path()
    if CJK_FONT_NAME not in {font.name for font in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(path))
    matplotlib.rcParams.update(
        {
            # Noto Sans CJK covers Latin and Chinese; DejaVu Sans fills in other symbols.
            "font.family": "sans-serif",
            "font.sans-serif": [CJK_FONT_NAME, "DejaVu Sans"],
            # Mathtext has no glyph fallback: the text around $...$ is set in its
            # upright font, so that font must be the CJK one; variables stay italic.
            "mathtext.fontset": "custom",
            "mathtext.rm": CJK_FONT_NAME,
            "mathtext.sf": CJK_FONT_NAME,
            "mathtext.it": "DejaVu Sans:italic",
            "mathtext.bf": "DejaVu Sans:bold",
            "mathtext.bfit": "DejaVu Sans:italic:bold",
            "mathtext.cal": "DejaVu Sans",
            "mathtext.fallback": "stixsans",
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "figure.figsize": (6.0, 3.6),
            "figure.constrained_layout.use": True,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.25,
            "axes.titlesize": 11,
            "axes.labelsize": 10,
            "legend.fontsize": 9,
            "legend.frameon": False,
            "image.cmap": "viridis",
        }
    )


def subplots(nrows: int = 1, ncols: int = 1, *, width: float = 6.0, height: float = 3.6, **kwargs):
    """``plt.subplots`` with the house size: ``width`` and ``height`` in inches for the
    whole figure. Returns ``(figure, axes)`` like Matplotlib."""
    for name, value in (("nrows", nrows), ("ncols", ncols)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if width <= 0 or height <= 0:
        raise ValueError(f"width and height must be positive, got {width} x {height}")
    return plt.subplots(nrows, ncols, figsize=(width, height), **kwargs)


def to_png(figure: matplotlib.figure.Figure, dpi: int = 80) -> bytes:
    """The figure rendered as PNG bytes; the figure is then closed."""
    if not isinstance(figure, matplotlib.figure.Figure):
        raise TypeError(f"figure must be a matplotlib Figure, got {type(figure).__name__}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return buffer.getvalue()
