"""Interactive figures that work with and without a Python kernel.

``explore(draw, Slider(...), ...)`` returns an :class:`Explorer`. Displayed in Jupyter
it is a live ipywidgets control: moving a slider calls ``draw`` again. Displayed in
the built HTML book, where no kernel runs, it is a pre-computed version: every
combination of slider values was drawn when the notebook executed, and a few lines
of JavaScript swap the pictures as the reader moves the sliders.

Both versions travel in one output (a MIME bundle): Jupyter shows the widget view,
the book's configuration (``nb_mime_priority_overrides`` in ``_config.yml``) makes
the HTML builder pick the ``text/html`` version.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import math
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets
import matplotlib.figure

from .plot import to_png

MAX_FRAMES = 64


@dataclass(frozen=True)
class Slider:
    """One control: ``name`` is the keyword passed to ``draw``, ``label`` is shown to
    the reader, ``values`` are the settings it can take and ``value`` the initial one."""

    name: str
    label: str
    values: Sequence
    value: object = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"Slider name must be a Python identifier, got {self.name!r}")
        if not isinstance(self.label, str):
            raise TypeError(f"Slider {self.name!r}: label must be a str, got {type(self.label).__name__}")
        if isinstance(self.values, (str, bytes)) or not isinstance(self.values, Sequence) or len(self.values) < 2:
            raise ValueError(f"Slider {self.name!r} needs a sequence of at least 2 values")
        if self.value is not None and self.value not in self.values:
            raise ValueError(f"Slider {self.name!r}: initial value {self.value!r} is not in {list(self.values)}")

    @property
    def initial_index(self) -> int:
        return list(self.values).index(self.value) if self.value is not None else len(self.values) // 2


class Explorer:
    """A figure driven by sliders; see the module docstring."""

    def __init__(self, draw: Callable[..., matplotlib.figure.Figure], sliders: Sequence[Slider], dpi: int = 80):
        if not callable(draw):
            raise TypeError(f"draw must be a callable returning a matplotlib Figure, got {type(draw).__name__}")
        if (isinstance(sliders, (str, bytes)) or not isinstance(sliders, Sequence) or not sliders
                or not all(isinstance(s, Slider) for s in sliders)):
            raise TypeError(f"sliders must be a non-empty sequence of Slider, got {sliders!r}")
        self.draw = draw
        self.sliders = tuple(sliders)
        self.dpi = dpi
        self._frames: dict[tuple[int, ...], bytes] = {}
        self.index = tuple(s.initial_index for s in self.sliders)
        self._image = ipywidgets.Image(format="png", value=self.frame(self.index))
        self.controls = [
            ipywidgets.SelectionSlider(
                options=[(str(v), i) for i, v in enumerate(s.values)], value=s.initial_index,
                description=s.label, continuous_update=False,
                style={"description_width": "initial"}, layout={"width": "420px"},
            )
            for s in self.sliders
        ]
        for control in self.controls:
            control.observe(self._on_change, names="value")
        self.widget = ipywidgets.VBox([*self.controls, self._image])

    def settings(self, index: tuple[int, ...]) -> dict:
        """The keyword arguments of ``draw`` for a tuple of slider positions."""
        return {s.name: s.values[i] for s, i in zip(self.sliders, index)}

    def frame(self, index: tuple[int, ...]) -> bytes:
        """The PNG drawn for slider positions ``index`` (computed once, then cached)."""
        if index not in self._frames:
            figure = self.draw(**self.settings(index))
            if not isinstance(figure, matplotlib.figure.Figure):
                raise TypeError(f"draw must return a matplotlib Figure, got {type(figure).__name__}")
            self._frames[index] = to_png(figure, dpi=self.dpi)
        return self._frames[index]

    def _on_change(self, _change) -> None:
        self.index = tuple(control.value for control in self.controls)
        self._image.value = self.frame(self.index)

    def static_html(self) -> str:
        """Kernel-free version: range inputs that swap pre-computed images."""
        ranges = [range(len(s.values)) for s in self.sliders]
        frames = {
            ",".join(map(str, index)): "data:image/png;base64," + base64.b64encode(self.frame(index)).decode()
            for index in itertools.product(*ranges)
        }
        uid = "lbdl-explorer-" + uuid.uuid4().hex[:8]
        rows = []
        for k, (s, i) in enumerate(zip(self.sliders, self.index)):
            labels = json.dumps([str(v) for v in s.values])
            # MathJax in the book typesets \( \) inside elements of class mathjax_process.
            label = re.sub(r"\$(.+?)\$", r"\\(\1\\)", html.escape(s.label))
            rows.append(
                f'<label class="mathjax_process" style="display:block;margin:2px 0">{label} '
                f'<input type="range" min="0" max="{len(s.values) - 1}" step="1" value="{i}" '
                f'data-slider="{k}" data-labels=\'{html.escape(labels)}\' style="vertical-align:middle;width:240px"> '
                f'<output>{html.escape(str(s.values[i]))}</output></label>'
            )
        first = frames[",".join(map(str, self.index))]
        return (
            f'<div class="lbdl-explorer" id="{uid}">{"".join(rows)}'
            f'<img alt="interactive figure" src="{first}" style="max-width:100%"></div>'
            f"<script>(function(){{var root=document.getElementById('{uid}');"
            f"var frames={json.dumps(frames)};"
            "var inputs=root.querySelectorAll('input[type=range]');var img=root.querySelector('img');"
            "function update(){var key=[];inputs.forEach(function(input){key.push(input.value);"
            "input.nextElementSibling.textContent=JSON.parse(input.dataset.labels)[input.value];});"
            "img.src=frames[key.join(',')];}"
            "inputs.forEach(function(input){input.addEventListener('input',update);});})();</script>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude) or {}
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = f"Explorer({', '.join(s.name for s in self.sliders)})"
        return bundle


def explore(draw: Callable[..., matplotlib.figure.Figure], *sliders: Slider, dpi: int = 80) -> Explorer:
    """An interactive figure: ``draw(**{slider.name: value, ...})`` returns a Figure.

    At most ``MAX_FRAMES`` combinations, since the HTML version stores them all."""
    if not callable(draw):
        raise TypeError("draw must be a callable returning a matplotlib Figure")
    if not sliders or not all(isinstance(s, Slider) for s in sliders):
        raise TypeError("explore needs one or more Slider arguments")
    if len({s.name for s in sliders}) != len(sliders):
        raise ValueError("slider names must be distinct")
    count = math.prod(len(s.values) for s in sliders)
    if count > MAX_FRAMES:
        raise ValueError(f"{count} slider combinations; at most {MAX_FRAMES} fit in the HTML book")
    return Explorer(draw, sliders, dpi=dpi)
