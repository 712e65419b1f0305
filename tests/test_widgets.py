import re

import matplotlib.pyplot as plt
import pytest

from lbdl_book import plot
from lbdl_book.widgets import MAX_FRAMES, Slider, explore


def draw(a, b):
    fig, ax = plot.subplots(width=2, height=1.5)
    ax.plot([0, 1], [0, a * b])
    ax.set_title(f"{a}-{b}")
    return fig


def test_live_widget_redraws_when_a_slider_moves():
    explorer = explore(draw, Slider("a", "a", [1, 2, 3]), Slider("b", "b", [0.5, 1.0], value=1.0))
    first = explorer._image.value
    assert explorer.index == (1, 1)
    explorer.controls[0].value = 2          # what the reader does in Jupyter
    assert explorer.index == (2, 1)
    assert explorer._image.value != first
    assert explorer._image.value == explorer.frame((2, 1))


def test_bundle_has_live_and_static_versions():
    explorer = explore(draw, Slider("a", "a", [1, 2, 3]), Slider("b", "b", [0.5, 1.0]))
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    html = bundle["text/html"]
    assert len(re.findall(r'"\d,\d": "data:image/png;base64,', html)) == 6   # every combination
    assert html.count('type="range"') == 2
    assert "addEventListener('input'" in html
    assert not plt.get_fignums()            # every frame's figure was closed


def test_bad_arguments():
    with pytest.raises(ValueError, match="at least 2 values"):
        Slider("a", "a", [1])
    with pytest.raises(ValueError, match="not in"):
        Slider("a", "a", [1, 2], value=3)
    with pytest.raises(ValueError, match="identifier"):
        Slider("a b", "a", [1, 2])
    with pytest.raises(TypeError, match="Slider"):
        explore(draw)
    with pytest.raises(ValueError, match="distinct"):
        explore(draw, Slider("a", "a", [1, 2]), Slider("a", "b", [1, 2]))
    big = list(range(MAX_FRAMES // 2 + 1))
    with pytest.raises(ValueError, match="combinations"):
        explore(draw, Slider("a", "a", big), Slider("b", "b", [1, 2]))
    with pytest.raises(TypeError, match="Figure"):
        explore(lambda a: "nope", Slider("a", "a", [1, 2]))
