"""Architecture diagrams in the book's style (LBDL §4.1).

LBDL draws a model as a vertical stack of operators, the data flowing from top to bottom:

* every layer is a box, filled dark if it has trainable parameters, light if not;
* its hyper-parameters (those not left at their default value) are written in blue to
  the right of the box;
* the shape of a tensor is written to the right of the arrow that carries it, where it
  differs from the shape that entered the layer before;
* a group of layers repeated K times in series, each copy with its own parameters, is
  drawn once inside a dashed frame marked ×K;
* a layer with a complex inner structure is drawn taller.

This module draws such stacks, :func:`draw_stack`, from four kinds of items: :class:`Box`
(a layer), :class:`Signal` (a named tensor such as the input X, drawn without a box),
:class:`Repeat` (the ×K frame) and :class:`Residual` (layers whose output is added to
their input, with an optional shortcut path, for the blocks of Chapter 5). It also
reads them off a model: :func:`describe` runs the model once on an example input, with
forward hooks that record every leaf module it calls and the shape it returns, so
``draw_stack(*describe(model, x))`` draws any model whose leaf modules run one after
the other. Operations done with functions rather than modules (``x.flatten(1)``,
``x + y``) are invisible to hooks: use ``nn.Flatten`` and the like, or draw by hand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from numbers import Real

import matplotlib.axes
import matplotlib.figure
import matplotlib.pyplot as plt
import torch
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.textpath import TextToPath
from torch import nn

from .plot import BLACK, BLUE
from .train import eval_mode

__all__ = [
    "LABELS", "Box", "Repeat", "Residual", "Signal", "describe", "draw_stack", "format_shape", "layer_label",
]

DARK = "#8fa8d4"      # fill of a layer with trainable parameters
LIGHT = "#eef2f9"     # fill of a layer without
EDGE = "#4d4d4d"


# --- the items of a stack --------------------------------------------------------------

def _check_text(value, name: str, empty_ok: bool = False) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__}: {value!r}")
    if not empty_ok and not value:
        raise ValueError(f"{name} must be a non-empty str, got {value!r}")


@dataclass(frozen=True)
class Box:
    """One layer: ``name`` in the box, ``hyper`` (its hyper-parameters) in blue on its
    right, dark if ``trainable``; ``height`` > 1 draws a layer with inner structure taller."""

    name: str
    hyper: str = ""
    trainable: bool = False
    height: float = 1.0

    def __post_init__(self):
        _check_text(self.name, "Box name")
        _check_text(self.hyper, "Box hyper", empty_ok=True)
        if not isinstance(self.trainable, bool):
            raise TypeError(f"Box trainable must be a bool, got {self.trainable!r}")
        if isinstance(self.height, bool) or not isinstance(self.height, Real) or not 0 < self.height <= 10:
            raise ValueError(f"Box height must be a number in (0, 10], got {self.height!r}")


@dataclass(frozen=True)
class Signal:
    """A named tensor (the input X, the output Y), drawn as its name without a box."""

    name: str

    def __post_init__(self):
        _check_text(self.name, "Signal name")


def _check_items(items, name: str, allow_signals: bool) -> tuple:
    if isinstance(items, (str, bytes)) or not isinstance(items, Sequence) or len(items) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of Box, Signal, Repeat or Residual, got {items!r}")
    kinds = (Box, Signal, Repeat, Residual) if allow_signals else (Box, Repeat, Residual)
    for item in items:
        if not isinstance(item, kinds):
            raise TypeError(f"{name} must contain only {', '.join(k.__name__ for k in kinds)}, "
                            f"got {type(item).__name__}: {item!r}")
    return tuple(items)


def _check_shapes(shapes, count: int, name: str):
    if shapes is None:
        return None
    if isinstance(shapes, (str, bytes)) or not isinstance(shapes, Sequence) or len(shapes) != count:
        raise ValueError(f"{name} must be None or a sequence of {count} shapes (one per item, None to skip), "
                         f"got {shapes!r}")
    for shape in shapes:
        format_shape(shape)                           # raises on anything that is not a shape
    return tuple(shapes)


@dataclass(frozen=True)
class Repeat:
    """``items`` repeated ``times`` in series, each copy with its own parameters: drawn
    once, in a dashed frame marked ×``times`` (an int, or a symbol such as ``"K"``, set in math italics).
    ``shapes``: optional output shapes of the items inside, as in :func:`draw_stack`."""

    items: Sequence
    times: int | str
    shapes: Sequence | None = None

    def __post_init__(self):
        object.__setattr__(self, "items", _check_items(self.items, "Repeat items", allow_signals=False))
        if isinstance(self.times, bool) or not (isinstance(self.times, int) and self.times >= 1
                                                 or isinstance(self.times, str) and self.times):
            raise ValueError(f"Repeat times must be a positive int or a non-empty str, got {self.times!r}")
        object.__setattr__(self, "shapes", _check_shapes(self.shapes, len(self.items), "Repeat shapes"))


@dataclass(frozen=True)
class Residual:
    """``items`` whose output is added to their input (a residual connection). With a
    ``shortcut`` (layers, e.g. a 1×1 convolution), that path transforms the input before
    the sum. ``shapes``: optional output shapes of the items inside."""

    items: Sequence
    shortcut: Sequence = ()
    shapes: Sequence | None = None

    def __post_init__(self):
        object.__setattr__(self, "items", _check_items(self.items, "Residual items", allow_signals=False))
        if self.shortcut:
            object.__setattr__(self, "shortcut", _check_items(self.shortcut, "Residual shortcut",
                                                              allow_signals=False))
            if any(not isinstance(item, Box) for item in self.shortcut):
                raise TypeError("Residual shortcut must contain only Box items")
        else:
            object.__setattr__(self, "shortcut", ())
        object.__setattr__(self, "shapes", _check_shapes(self.shapes, len(self.items), "Residual shapes"))


def format_shape(shape) -> str | None:
    """``(32, 32)`` → ``"32×32"``; a str is kept as is, None stays None (nothing written)."""
    if shape is None or isinstance(shape, str):
        return shape
    if isinstance(shape, int) and not isinstance(shape, bool):
        if shape < 0:
            raise ValueError(f"a shape must have sizes >= 0, got {shape!r}")
        return str(shape)
    if isinstance(shape, (tuple, list, torch.Size)) and all(isinstance(d, int) and not isinstance(d, bool)
                                                            for d in shape):
        if any(d < 0 for d in shape):
            raise ValueError(f"a shape must have sizes >= 0, got {shape!r}")
        return "×".join(map(str, shape)) if len(shape) else "scalar"
    raise TypeError(f"a shape must be a tuple of ints, an int, a str or None, got {shape!r}")


# --- layout ----------------------------------------------------------------------------
# Coordinates are inches, y pointing up; the stack grows downwards from y = 0.

NAME_SIZE, NOTE_SIZE, SIGNAL_SIZE = 10, 9, 11        # font sizes in points
UNIT_HEIGHT = 0.30          # height of a box of height 1
GAP = 0.30                  # length of an arrow between two items
PAD = 0.10                  # space between a frame and what it surrounds
TEXT_GAP = 0.08             # space between a box and the text beside it
_TEXT = TextToPath()


def _text_width(text: str, size: float) -> float:
    """Width in inches of ``text`` set at ``size`` points in the house font."""
    if not text:
        return 0.0
    ismath = text.count("$") >= 2 and text.count("$") % 2 == 0
    width, _, _ = _TEXT.get_text_width_height_descent(text, FontProperties(size=size), ismath=ismath)
    return float(width) / 72


@dataclass
class _Placed:
    """Where an item ended up: its vertical extent and where arrows attach to it."""

    top: float              # extent (frames included)
    bottom: float
    enter: float            # y where the incoming arrow ends
    leave: float            # y where the outgoing arrow starts
    right: float            # right-most x used by the item and its texts
    left: float             # left-most x
    junction: bool = False  # the incoming arrow ends at a junction (no arrowhead)


class _Canvas:
    """Records drawing operations and their bounding box, then replays them on an Axes."""

    def __init__(self, width: float):
        self.width = width                     # width of the boxes
        self.ops: list[Callable[[matplotlib.axes.Axes], None]] = []
        self.xmin = self.ymin = math.inf
        self.xmax = self.ymax = -math.inf

    def extend(self, x0, x1, y0, y1):
        self.xmin, self.xmax = min(self.xmin, x0, x1), max(self.xmax, x0, x1)
        self.ymin, self.ymax = min(self.ymin, y0, y1), max(self.ymax, y0, y1)

    def text(self, x, y, s, size, color=BLACK, ha="left"):
        width = _text_width(s, size)
        x0 = x - width / 2 if ha == "center" else x
        self.extend(x0, x0 + width, y - size / 144, y + size / 144)
        self.ops.append(lambda ax: ax.text(x, y, s, fontsize=size, color=color, ha=ha, va="center"))
        return x0 + width

    def arrow(self, points, head=True):
        xs, ys = zip(*points)
        self.extend(min(xs), max(xs), min(ys), max(ys))
        segments = list(zip(points[:-1], points[1:]))

        def draw(ax):
            for k, (start, end) in enumerate(segments):
                last = k == len(segments) - 1
                ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>" if head and last else "-",
                                             mutation_scale=9, color=BLACK, lw=0.9, shrinkA=0, shrinkB=0))
        self.ops.append(draw)

    def box(self, cx, top, height, trainable):
        w = self.width
        self.extend(cx - w / 2, cx + w / 2, top - height, top)
        self.ops.append(lambda ax: ax.add_patch(FancyBboxPatch(
            (cx - w / 2, top - height), w, height, boxstyle="round,pad=0,rounding_size=0.05",
            fc=DARK if trainable else LIGHT, ec=EDGE, lw=0.8)))

    def frame(self, x0, x1, top, bottom):
        self.extend(x0, x1, bottom, top)
        self.ops.append(lambda ax: ax.add_patch(Rectangle((x0, bottom), x1 - x0, top - bottom, fill=False,
                                                          ec=EDGE, lw=0.9, ls=(0, (4, 3)))))

    def plus(self, cx, cy, r):
        self.extend(cx - r, cx + r, cy - r, cy + r)

        def draw(ax):
            ax.add_patch(Circle((cx, cy), r, fc="white", ec=BLACK, lw=0.9))
            ax.plot([cx - 0.6 * r, cx + 0.6 * r], [cy, cy], color=BLACK, lw=0.9)
            ax.plot([cx, cx], [cy - 0.6 * r, cy + 0.6 * r], color=BLACK, lw=0.9)
        self.ops.append(draw)


def _shape_changes(shape, previous) -> bool:
    return shape is not None and format_shape(shape) != format_shape(previous)


def _place_sequence(canvas: _Canvas, items, shapes, cx: float, top: float, incoming,
                    last_note: bool) -> tuple[_Placed, object]:
    """Place ``items`` one below the other from ``top``, joined by arrows. ``incoming`` is
    the shape that enters the sequence. A layer's output shape is written on the arrow
    below it where it changes, unless the next item is a Signal, which shows its own;
    ``last_note``: write the last item's shape on a stub arrow below it if it changes.
    Returns the placement of the whole and the shape that leaves it."""
    shapes = shapes if shapes is not None else (None,) * len(items)
    placed: list[_Placed] = []
    y = top
    current = incoming
    for k, (item, shape) in enumerate(zip(items, shapes)):
        p = _place(canvas, item, shape, cx, y, current)
        if placed:
            previous = placed[-1]
            canvas.arrow([(cx, previous.leave), (cx, p.enter)], head=not p.junction)
        placed.append(p)
        y = p.bottom - GAP
        nxt = items[k + 1] if k + 1 < len(items) else None
        changed = not isinstance(item, Signal) and _shape_changes(shape, current)
        if nxt is None and last_note and not isinstance(item, Signal):      # an arrow out of the stack
            canvas.arrow([(cx, p.leave), (cx, p.bottom - GAP)])
            if changed:
                canvas.text(cx + TEXT_GAP, p.bottom - GAP / 2, format_shape(shape), NOTE_SIZE)
            p = _Placed(p.top, p.bottom - GAP, p.enter, p.bottom - GAP, p.right, p.left)
            placed[-1] = p
        elif changed and nxt is not None and not isinstance(nxt, Signal):
            canvas.text(cx + TEXT_GAP, p.bottom - GAP / 2, format_shape(shape), NOTE_SIZE)
        if shape is not None:
            current = shape
    whole = _Placed(placed[0].top, placed[-1].bottom, placed[0].enter, placed[-1].leave,
                    max(p.right for p in placed), min(p.left for p in placed), placed[0].junction)
    return whole, current


def _place(canvas: _Canvas, item, shape, cx: float, top: float, incoming) -> _Placed:
    w = canvas.width
    if isinstance(item, Signal):
        height = UNIT_HEIGHT * 0.9
        right = canvas.text(cx, top - height / 2, item.name, SIGNAL_SIZE, ha="center")
        left = 2 * cx - right
        if shape is not None:
            right = canvas.text(right + TEXT_GAP, top - height / 2, format_shape(shape), NOTE_SIZE)
        return _Placed(top, top - height, top, top - height, right, left)
    if isinstance(item, Box):
        height = UNIT_HEIGHT * item.height
        canvas.box(cx, top, height, item.trainable)
        canvas.text(cx, top - height / 2, item.name, NAME_SIZE, ha="center")
        right = cx + w / 2
        if item.hyper:
            right = canvas.text(right + TEXT_GAP, top - height / 2, item.hyper, NOTE_SIZE, color=BLUE)
        return _Placed(top, top - height, top, top - height, right, cx - w / 2)
    if isinstance(item, Repeat):
        inner, _ = _place_sequence(canvas, item.items, item.shapes, cx, top - PAD, incoming, last_note=False)
        x0, x1 = inner.left - PAD, inner.right + PAD
        bottom = inner.bottom - PAD
        canvas.frame(x0, x1, top, bottom)
        label = f"×{item.times}" if isinstance(item.times, int) else f"$\\times {item.times}$"
        right = canvas.text(x1 + TEXT_GAP, (top + bottom) / 2, label, NAME_SIZE)
        return _Placed(top, bottom, inner.enter, inner.leave, right, x0, inner.junction)
    # Residual: a junction, the main path, a "+" where the two paths meet
    radius = 0.075
    main, _ = _place_sequence(canvas, item.items, item.shapes, cx, top - GAP, incoming, last_note=False)
    canvas.arrow([(cx, top), (cx, main.enter)], head=not main.junction)
    bottom_of_paths = main.bottom
    side = cx - w / 2 - 0.25
    if item.shortcut:
        widest = max(_text_width(b.hyper, NOTE_SIZE) for b in item.shortcut)
        side = cx - w / 2 - 0.3 - widest - TEXT_GAP - w / 2   # centre of the shortcut column
        short, _ = _place_sequence(canvas, item.shortcut, None, side, top - GAP, incoming, last_note=False)
        canvas.arrow([(cx, top), (side, top), (side, short.enter)], head=not short.junction)
        bottom_of_paths = min(bottom_of_paths, short.bottom)
        side_start = short.leave
    else:
        side_start = top
    cy = bottom_of_paths - GAP - radius
    canvas.arrow([(cx, main.leave), (cx, cy + radius)])
    canvas.arrow([(cx, top), (side, top), (side, cy)] if not item.shortcut else [(side, side_start), (side, cy)],
                 head=False)
    canvas.arrow([(side, cy), (cx - radius, cy)])
    canvas.plus(cx, cy, radius)
    canvas.extend(cx, cx, top, top)
    left = min(main.left, side - (w / 2 if item.shortcut else 0))
    return _Placed(top, cy - radius, top, cy - radius, main.right, left, junction=True)


def _all_boxes(items):
    for item in items:
        if isinstance(item, Box):
            yield item
        elif isinstance(item, (Repeat, Residual)):
            yield from _all_boxes(item.items)
            if isinstance(item, Residual):
                yield from _all_boxes(item.shortcut)


def draw_stack(items: Sequence, shapes: Sequence | None = None,
               ax: matplotlib.axes.Axes | None = None) -> matplotlib.figure.Figure:
    """Draw ``items`` (Box, Signal, Repeat, Residual) from top to bottom, in the style of LBDL.

    ``shapes``: None, or one entry per item, the shape of the tensor the item outputs
    (a tuple of ints, an int, a str such as ``"32×32"``, or None for nothing). A Signal
    shows its shape beside its name; a layer's shape is written on the arrow below it
    where it differs from its input's. Draws on ``ax`` if given (its limits and aspect are
    set), else on a new figure sized to the stack. Returns the Figure."""
    items = _check_items(items, "items", allow_signals=True)
    shapes = _check_shapes(shapes, len(items), "shapes")
    if ax is not None and not isinstance(ax, matplotlib.axes.Axes):
        raise TypeError(f"ax must be a matplotlib Axes or None, got {type(ax).__name__}")
    names = [b.name for b in _all_boxes(items)]
    width = max([0.9] + [_text_width(n, NAME_SIZE) + 0.3 for n in names])
    canvas = _Canvas(width)
    placed, _ = _place_sequence(canvas, items, shapes, 0.0, 0.0, None, last_note=True)
    if not isinstance(items[0], Signal):                       # an arrow into the first layer
        canvas.arrow([(0.0, placed.top + GAP), (0.0, placed.enter)], head=not placed.junction)
    margin = 0.08
    x0, x1 = canvas.xmin - margin, canvas.xmax + margin
    y0, y1 = canvas.ymin - margin, canvas.ymax + margin
    if ax is None:
        fig = plt.figure(figsize=(x1 - x0, y1 - y0), layout="none")
        ax = fig.add_axes((0, 0, 1, 1))
    for op in canvas.ops:
        op(ax)
    ax.set(xlim=(x0, x1), ylim=(y0, y1), aspect="equal")
    ax.axis("off")
    return ax.figure


# --- reading a stack off a model -------------------------------------------------------

def _pair(value) -> str:
    """Kernel sizes, strides...: 3 for (3, 3), "3×1" for (3, 1)."""
    if isinstance(value, (tuple, list)):
        return str(value[0]) if len(set(value)) == 1 else "×".join(map(str, value))
    return str(value)


def _is(value, default) -> bool:
    """Whether a hyper-parameter is at its default (3 and (3, 3) count as equal)."""
    if isinstance(value, (tuple, list)):
        return all(v == default for v in value)
    return value == default


def _conv_label(kind: str) -> Callable[[nn.Module], tuple[str, str]]:
    def label(m):
        parts = [f"k={_pair(m.kernel_size)}"]
        parts += [f"s={_pair(m.stride)}"] if not _is(m.stride, 1) else []
        padding = m.padding if isinstance(m.padding, str) else _pair(m.padding)
        parts += [f"p={padding}"] if not _is(m.padding, 0) else []
        parts += [f"d={_pair(m.dilation)}"] if not _is(m.dilation, 1) else []
        parts += [f"groups={m.groups}"] if getattr(m, "groups", 1) != 1 else []
        parts += ["bias=False"] if getattr(m, "bias", None) is None else []
        return kind, " ".join(parts)
    return label


def _pool_label(kind: str) -> Callable[[nn.Module], tuple[str, str]]:
    def label(m):
        parts = [f"k={_pair(m.kernel_size)}"]
        stride = m.stride if m.stride is not None else m.kernel_size
        parts += [f"s={_pair(stride)}"] if _pair(stride) != _pair(m.kernel_size) else []
        parts += [f"p={_pair(m.padding)}"] if not _is(m.padding, 0) else []
        return kind, " ".join(parts)
    return label


# class name → (name in the box, hyper-parameters that differ from their defaults).
# Keyed by class name, so that torch.nn.Linear and lbdl_book.nn's Linear (same interface)
# are drawn alike.
LABELS: dict[str, Callable[[nn.Module], tuple[str, str]]] = {
    "Linear": lambda m: ("fully-conn", "" if m.bias is not None else "bias=False"),
    "Conv1d": _conv_label("conv-1d"),
    "Conv2d": _conv_label("conv-2d"),
    "ConvTranspose1d": _conv_label("tr-conv-1d"),
    "ConvTranspose2d": _conv_label("tr-conv-2d"),
    "MaxPool1d": _pool_label("maxpool"),
    "MaxPool2d": _pool_label("maxpool"),
    "AvgPool1d": _pool_label("avgpool"),
    "AvgPool2d": _pool_label("avgpool"),
    "AdaptiveAvgPool2d": lambda m: ("avgpool", f"out={_pair(m.output_size)}"),
    "ReLU": lambda m: ("relu", ""),
    "LeakyReLU": lambda m: ("leaky-relu", "" if m.negative_slope == 0.01 else f"a={m.negative_slope:g}"),
    "GELU": lambda m: ("gelu", "" if m.approximate == "none" else "tanh approx."),
    "Tanh": lambda m: ("tanh", ""),
    "Sigmoid": lambda m: ("sigmoid", ""),
    "Softmax": lambda m: ("softargmax", ""),
    "Dropout": lambda m: ("dropout", "" if m.p == 0.5 else f"p={m.p:g}"),
    "Dropout2d": lambda m: ("dropout-2d", "" if m.p == 0.5 else f"p={m.p:g}"),
    "BatchNorm1d": lambda m: ("batchnorm", ""),
    "BatchNorm2d": lambda m: ("batchnorm", ""),
    "LayerNorm": lambda m: ("layernorm", ""),
    "Flatten": lambda m: ("reshape", ""),
    "Unflatten": lambda m: ("reshape", ""),
    "Embedding": lambda m: ("embed", f"V={m.num_embeddings}"),
    "MultiheadAttention": lambda m: ("mha", f"H={m.num_heads}"),
    "MultiHeadAttention": lambda m: ("mha", f"H={m.num_heads}"),        # lbdl_book.nn.attention's (capital H)
    "Identity": lambda m: ("identity", ""),
}


def layer_label(module: nn.Module, labels: Mapping | None = None) -> tuple[str, str]:
    """(name in the box, hyper-parameter text) of ``module``: from ``labels`` (a mapping
    from class or class name to a function of the module), else from :data:`LABELS`, else
    the class name in lower case and no hyper-parameters."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    cls = type(module)
    for table in (labels or {}, LABELS):
        for key in (cls, cls.__name__):
            if key in table:
                name, hyper = table[key](module)
                return name, hyper
    return cls.__name__.lower(), ""


def _first_tensor(value):
    if isinstance(value, torch.Tensor):
        return value
    if isinstance(value, (tuple, list)):
        for v in value:
            found = _first_tensor(v)
            if found is not None:
                return found
    if isinstance(value, Mapping):
        return _first_tensor(list(value.values()))
    return None


@dataclass
class _Call:
    module: nn.Module
    enter: tuple | None
    leave: tuple | None = None
    inner: bool = False


def _record(module: nn.Module, example_input, atomic: tuple) -> tuple[list[_Call], object]:
    """The leaf module calls of one forward pass, in the order they start, and the output."""
    calls: list[_Call] = []
    stack: list[_Call | None] = []        # None: a call hidden inside an atomic module

    def pre(m, args):
        if any(c is None or isinstance(c.module, atomic) for c in stack):
            stack.append(None)
            return
        if stack:
            stack[-1].inner = True
        tensor = _first_tensor(args)
        call = _Call(m, tuple(tensor.shape) if tensor is not None else None)
        calls.append(call)
        stack.append(call)

    def post(m, args, output):
        call = stack.pop()
        if call is not None:
            tensor = _first_tensor(output)
            call.leave = tuple(tensor.shape) if tensor is not None else None

    handles = []
    try:
        for m in module.modules():
            handles.append(m.register_forward_pre_hook(pre))
            handles.append(m.register_forward_hook(post))
        with eval_mode(module):           # no dropout, no update of batchnorm statistics
            args = example_input if isinstance(example_input, tuple) else (example_input,)
            output = module(*args)
    finally:
        for h in handles:
            h.remove()
    return [c for c in calls if not c.inner], output


def _repetition(units: list[tuple], i: int) -> tuple[int, int, int] | None:
    """The longest run of consecutive copies starting at ``i``: (layers covered, period,
    copies), the shortest period on ties; None if nothing repeats there. A run counts only
    if its trainable layers are distinct modules: the ×K convention means copies with
    their own parameters."""
    best = None
    for period in range(1, (len(units) - i) // 2 + 1):
        pattern = [u[2] for u in units[i:i + period]]
        count = 1
        while [u[2] for u in units[i + count * period:i + (count + 1) * period]] == pattern:
            count += 1
        ids = [x for u in units[i:i + count * period] for x in u[3]]
        if count >= 2 and len(ids) == len(set(ids)) and (best is None or count * period > best[0]):
            best = (count * period, period, count)
    return best


def _collapse(units: list[tuple]) -> tuple[list, list]:
    """Group consecutive copies of a run of layers into Repeat items, from left to right.

    ``units``: (Box, output shape, signature, ids of trainable modules). Where a run of
    copies could start at a parameter-free layer or at the trainable layer just after it,
    covering as much, the group starts at the trainable one (conv, relu, [conv, relu] ×2
    rather than conv, [relu, conv] ×2, relu). Returns (items, output shapes)."""
    items, shapes, i = [], [], 0
    while i < len(units):
        best = _repetition(units, i)
        if best is not None and not units[i][0].trainable and i + 1 < len(units) and units[i + 1][0].trainable:
            shifted = _repetition(units, i + 1)
            if shifted is not None and shifted[0] >= best[0]:
                best = None
        if best is None:
            items.append(units[i][0])
            shapes.append(units[i][1])
            i += 1
            continue
        covered, period, count = best
        inner_items, inner_shapes = _collapse(units[i:i + period])
        items.append(Repeat(inner_items, count, shapes=inner_shapes))
        shapes.append(units[i + covered - 1][1])
        i += covered
    return items, shapes


def describe(module: nn.Module, example_input, *, input_name: str | None = "$X$",
             output_name: str | None = "$Y$", atomic: tuple = (), labels: Mapping | None = None,
             collapse: bool = True, batch_dim: bool = True) -> tuple[list, list]:
    """The items and shapes of ``module`` for :func:`draw_stack`: ``draw_stack(*describe(m, x))``.

    Runs ``module`` once on ``example_input`` (a tensor, or a tuple of arguments), in eval
    mode and without gradients (the modes are restored afterwards), with forward hooks on
    every submodule. Each *leaf* call, a module that calls no other module, becomes a Box,
    in the order of the calls: dark if the module has parameters with ``requires_grad``,
    taller if it has submodules of its own. Modules of the classes in ``atomic`` count as
    leaves, whatever they call (to draw a residual block as one box). Names and
    hyper-parameters come from :func:`layer_label`. With ``collapse``, consecutive copies
    of a run of layers become one ``Repeat``. Shapes are the outputs' shapes, without
    the first (batch) dimension if ``batch_dim``. ``input_name`` and ``output_name``
    label the input and output Signals (None: no Signal).

    Returns ``(items, shapes)``, two lists of the same length."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if not (isinstance(example_input, torch.Tensor) or isinstance(example_input, tuple) and example_input):
        raise TypeError(f"example_input must be a tensor or a non-empty tuple of arguments, "
                        f"got {type(example_input).__name__}")
    if not isinstance(atomic, tuple) or not all(isinstance(a, type) for a in atomic):
        raise TypeError(f"atomic must be a tuple of module classes, got {atomic!r}")
    for name, value in (("input_name", input_name), ("output_name", output_name)):
        if value is not None:
            _check_text(value, name)
    try:
        calls, output = _record(module, example_input, atomic)  # never empty: the module itself is called
    except (TypeError, ValueError, RuntimeError, IndexError) as error:
        args = example_input if isinstance(example_input, tuple) else (example_input,)
        got = ", ".join(str(tuple(a.shape)) if isinstance(a, torch.Tensor) else type(a).__name__ for a in args)
        raise ValueError(f"module cannot run on example_input ({got}): {type(error).__name__}: {error}") from error
    first = _first_tensor(example_input)

    def cut(shape):
        if shape is None:
            return None
        return shape[1:] if batch_dim and len(shape) > 0 else shape

    units = []
    for call in calls:
        name, hyper = layer_label(call.module, labels)
        trainable = any(p.requires_grad for p in call.module.parameters())
        height = 1.6 if any(True for _ in call.module.children()) else 1.0
        box = Box(name, hyper, trainable, height)
        ids = [id(call.module)] if trainable else []
        units.append((box, cut(call.leave), (box, cut(call.enter), cut(call.leave)), ids))
    if collapse:
        items, shapes = _collapse(units)
    else:
        items, shapes = [u[0] for u in units], [u[1] for u in units]
    if input_name is not None:
        items.insert(0, Signal(input_name))
        shapes.insert(0, cut(tuple(first.shape)) if first is not None else None)
    if output_name is not None:
        last = _first_tensor(output)
        items.append(Signal(output_name))
        shapes.append(cut(tuple(last.shape)) if last is not None else None)
    return items, shapes
