import warnings

import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.ft2font import FT2Font

from lbdl_book import plot
from lbdl_book.i18n import STRINGS


def test_cjk_font_comes_from_the_pip_dependency():
    path = plot.cjk_font_path()
    assert path.is_file() and "mplfonts" in str(path)
    assert plot.CJK_FONT_NAME in {f.name for f in font_manager.fontManager.ttflist}


def test_every_chinese_string_has_glyphs():
    """Each character of the Chinese catalogue is in DejaVu Sans or in the CJK font."""
    charmaps = [set(FT2Font(str(p)).get_charmap()) for p in (
        font_manager.findfont("DejaVu Sans", fallback_to_default=False), plot.cjk_font_path())]
    text = "".join(zh for _, zh in STRINGS.values()) + "训练集测试集欠拟合过拟合感受野词元"
    missing = {c for c in text if not c.isspace() and not any(ord(c) in cmap for cmap in charmaps)}
    assert not missing, f"no glyph for {sorted(missing)}"


def test_chinese_labels_render_without_missing_glyph_warnings(language, caplog):
    language("zh")
    fig, ax = plot.subplots()
    ax.set(title="基函数回归：欠拟合与过拟合", xlabel="容量：基函数个数 $K$", ylabel="均方误差")
    ax.legend(handles=ax.plot([0, 1], [0, 1], label="训练点（逻辑：$w^*$）"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = plot.to_png(fig)
    assert png.startswith(b"\x89PNG")
    assert not [w for w in caught if "missing from" in str(w.message)], [str(w.message) for w in caught]
    assert "does not have a glyph" not in caplog.text       # mathtext's own complaint


def test_to_png_closes_and_validates():
    fig, _ = plot.subplots(1, 2, width=4, height=2)
    plot.to_png(fig)
    assert not plt.fignum_exists(fig.number)
    import pytest
    with pytest.raises(TypeError, match="matplotlib Figure"):
        plot.to_png("not a figure")
    with pytest.raises(ValueError, match="ncols"):
        plot.subplots(1, 0)
