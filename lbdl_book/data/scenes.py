"""Procedural scenes for Part III (§6.1-§6.6, §7.2): images with objects, boxes, masks
and captions, generated offline.

Real photographs cannot be downloaded here, so the chapters on prediction and synthesis
train on scenes drawn from a few rules. Each image is a square of ``size`` pixels: a
textured background (a smooth random field of one hue plus fine noise) and 1 to 4
objects, each of one of four shapes (disc, square, triangle, cross), one of five
colours, small or large, rotated, anywhere in the image, drawn in turn so that later
objects hide parts of earlier ones. For every image the generator gives:

* ``images`` (N, 3, S, S), float32 RGB values in [0, 1];
* ``masks`` (N, S, S), int64: the class of the object seen at each pixel (1 … 4, the
  index in :data:`SHAPES` plus one), 0 for the background (semantic segmentation, §6.4);
* ``instances`` (N, S, S), int64: the index of the object seen at each pixel, -1 for
  the background;
* per image, the visible objects: ``boxes`` (K_i, 4) float32 ``(x1, y1, x2, y2)`` in
  pixels, the tight box of the visible pixels (x1, y1 inclusive, x2, y2 exclusive, so a
  box one pixel wide has x2 − x1 = 1), ``labels`` (K_i,) classes 1 … 4, ``colours`` (K_i,)
  indices in :data:`COLOURS` and ``sizes`` (K_i,) 0 = small, 1 = large (§6.3);
* a caption in English or Chinese, "a small red triangle left of a blue disc", from the
  two largest visible objects (§6.6, §7.2): :func:`caption`.

An object hidden so much that fewer than ``min_visible`` of its pixels (and less than a
fifth of its own area) remain is dropped from the labels, and its pixels keep the class
and index of whatever covers them. All randomness comes from ``seed``: the same arguments
always give the same tensors. Everything is computed on whole batches of tensors, so a
few thousand 64 × 64 scenes take a fraction of a second.

What the toy data lacks: real textures, lighting, perspective, deformable objects, clutter
of thousands of classes, and the long tail of rare cases; what it keeps: several objects
per image, overlaps, variable scale and position, colour as a cue, and exact labels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .._checks import non_negative_int, positive_int
from ..config import lang as current_language

__all__ = ["SHAPES", "COLOURS", "Scenes", "generate_scenes", "caption", "describe_object"]

SHAPES = ("disc", "square", "triangle", "cross")
SHAPES_ZH = ("圆盘", "正方形", "三角形", "十字")
COLOURS = ("red", "green", "blue", "yellow", "purple")
COLOURS_ZH = ("红色", "绿色", "蓝色", "黄色", "紫色")
RGB = torch.tensor([[0.86, 0.18, 0.16], [0.20, 0.70, 0.25], [0.16, 0.36, 0.88], [0.95, 0.82, 0.15],
                    [0.62, 0.25, 0.78]])
# Half-extent of an object, as a fraction of the image side: small in [0.07, 0.12), large in [0.14, 0.22).
RADIUS_RANGES = ((0.07, 0.12), (0.14, 0.22))


@dataclass(frozen=True)
class Scenes:
    """A batch of scenes; see the module docstring for the meaning and shape of each field."""

    images: torch.Tensor
    masks: torch.Tensor
    instances: torch.Tensor
    boxes: list[torch.Tensor]
    labels: list[torch.Tensor]
    colours: list[torch.Tensor]
    sizes: list[torch.Tensor]
    areas: list[torch.Tensor]

    def __len__(self) -> int:
        return self.images.shape[0]


def _background(n: int, size: int, generator: torch.Generator) -> torch.Tensor:
    """(n, 3, size, size) textured backgrounds: a dim, desaturated hue per image, a smooth
    random field (a 6 × 6 grid of values, upsampled) and fine pixel noise."""
    hue = 0.25 + 0.25 * torch.rand(n, 3, 1, 1, generator=generator)
    grey = hue.mean(1, keepdim=True)
    base = grey + 0.35 * (hue - grey)
    field = F.interpolate(torch.rand(n, 1, 6, 6, generator=generator), size=(size, size), mode="bicubic",
                          align_corners=False)
    grain = 0.04 * torch.randn(n, 1, size, size, generator=generator)
    return (base + 0.18 * (field - 0.5) + grain).clamp(0, 1)


def _shape_masks(shapes, cx, cy, radius, angle, present, size: int) -> torch.Tensor:
    """(n, k, size, size) bool: the pixels (centres at integer + 0.5) covered by each
    present object, given (n, k) tensors of shape index, centre, half-extent and rotation
    (pixels, radians). Each object is tested against its own shape only."""
    covered = torch.zeros(*shapes.shape, size, size, dtype=torch.bool)
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    for kind in range(len(SHAPES)):
        which = present & (shapes == kind)
        dx = coords.view(1, 1, size) - cx[which].view(-1, 1, 1)
        dy = coords.view(1, size, 1) - cy[which].view(-1, 1, 1)
        cos, sin = torch.cos(angle[which]).view(-1, 1, 1), torch.sin(angle[which]).view(-1, 1, 1)
        u, v = cos * dx + sin * dy, cos * dy - sin * dx               # the object's own axes
        r = radius[which].view(-1, 1, 1)
        if SHAPES[kind] == "disc":
            inside = u.square_() + v.square_() <= r.square()
        elif SHAPES[kind] == "square":                                # about the area of the disc
            inside = torch.maximum(u.abs_(), v.abs_()) <= 0.8 * r
        elif SHAPES[kind] == "triangle":                              # circumradius 1.2 r: three half-planes
            inside = v >= -0.6 * r
            for a in (math.pi / 6, 5 * math.pi / 6):
                inside &= u * math.cos(a) + v * math.sin(a) <= 0.6 * r
        else:                                                         # cross: two bars of half-width 0.35 r
            u, v = u.abs_(), v.abs_()
            inside = ((u <= 0.35 * r) & (v <= r)) | ((v <= 0.35 * r) & (u <= r))
        covered[which] = inside
    return covered


def generate_scenes(n: int, *, size: int = 64, seed: int = 0, min_objects: int = 1, max_objects: int = 4,
                    min_visible: int = 12) -> Scenes:
    """``n`` scenes of ``size`` × ``size`` pixels with ``min_objects`` to ``max_objects``
    objects each (before occlusion); see the module docstring."""
    positive_int(n, "n")
    positive_int(size, "size")
    if size < 16:
        raise ValueError(f"size must be at least 16 pixels, got {size}")
    positive_int(min_objects, "min_objects")
    positive_int(max_objects, "max_objects")
    if min_objects > max_objects:
        raise ValueError(f"min_objects ({min_objects}) must not exceed max_objects ({max_objects})")
    non_negative_int(min_visible, "min_visible")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ValueError(f"seed must be an int in [0, 2**63), got {seed!r}")
    g = torch.Generator().manual_seed(seed)
    k = max_objects
    count = torch.randint(min_objects, max_objects + 1, (n, 1), generator=g)
    present = torch.arange(k).view(1, k) < count                        # (n, k)
    shapes = torch.randint(0, len(SHAPES), (n, k), generator=g)
    colours = torch.randint(0, len(COLOURS), (n, k), generator=g)
    large = torch.rand(n, k, generator=g) < 0.5
    low = torch.tensor([r[0] for r in RADIUS_RANGES])[large.long()]
    high = torch.tensor([r[1] for r in RADIUS_RANGES])[large.long()]
    radius = size * (low + (high - low) * torch.rand(n, k, generator=g))
    cx, cy = (size * (0.12 + 0.76 * torch.rand(2, n, k, generator=g))).unbind(0)
    angle = 2 * math.pi * torch.rand(n, k, generator=g)
    shade = 0.9 + 0.2 * torch.rand(n, k, 1, generator=g)                # a little variation of each colour

    covered = _shape_masks(shapes, cx, cy, radius, angle, present, size)
    # An object that later ones hide almost entirely is not drawn at all (its few pixels
    # would have no label); removing it only uncovers more of the objects below it.
    area = _seen_per_row(_paint(covered), k).sum(2)
    kept = present & (area >= min_visible) & (area * 5 >= covered.flatten(2).count_nonzero(2))
    covered &= kept[..., None, None]
    instances = _paint(covered)
    # Each pixel takes the colour and the class of the object seen there.
    seen = instances.clamp(min=0).flatten(1)                             # (n, S·S)
    rgb = (RGB[colours] * shade).clamp(0, 1)                             # (n, k, 3)
    painted = rgb.gather(1, seen[..., None].expand(-1, -1, 3)).transpose(1, 2).view(n, 3, size, size)
    images = torch.where(instances[:, None] >= 0, painted, _background(n, size, g))
    masks = torch.where(instances >= 0, shapes.gather(1, seen).view_as(instances) + 1, 0)
    # Tight boxes of the visible pixels: the first and last rows and columns where each object is seen.
    per_row, per_col = _seen_per_row(instances, k), _seen_per_row(instances.transpose(1, 2), k)   # (n, k, S)
    index = torch.arange(size)
    first_row, last_row = torch.where(per_row > 0, index, size).min(2).values, torch.where(per_row > 0, index, -1).max(2).values
    first_col, last_col = torch.where(per_col > 0, index, size).min(2).values, torch.where(per_col > 0, index, -1).max(2).values
    box_all = torch.stack([first_col, first_row, last_col + 1, last_row + 1], -1).float()
    counts = kept.sum(1).tolist()
    boxes, labels, colour_list, size_list, area_list = (
        list(torch.split(values[kept], counts)) for values in
        (box_all, shapes + 1, colours, large.long(), per_row.sum(2)))
    return Scenes(images, masks, instances, boxes, labels, colour_list, size_list, area_list)


def _paint(covered: torch.Tensor) -> torch.Tensor:
    """(n, S, S) index of the topmost object covering each pixel, -1 where none does, from
    the (n, k, S, S) coverage of the objects in drawing order."""
    instances = torch.full(covered.shape[:1] + covered.shape[2:], -1, dtype=torch.int64)
    for j in range(covered.shape[1]):                                    # later objects hide earlier ones
        instances.masked_fill_(covered[:, j], j)
    return instances


def _seen_per_row(instances: torch.Tensor, k: int) -> torch.Tensor:
    """(n, k, S): how many pixels of each row show each of the k objects, from the (n, S, S)
    index map (-1 = background). Transpose the map to count per column."""
    n, rows, cols = instances.shape
    counts = torch.zeros(n, rows, k + 1, dtype=torch.int64)
    counts.scatter_add_(2, instances + 1, torch.ones_like(instances))
    return counts[..., 1:].transpose(1, 2)


def _index(value, name: str, low: int, high: int) -> int:
    """``value`` (an int, or an integer tensor with one element) as an int in [low, high]."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an int in [{low}, {high}], got {value!r}")
    return value


def describe_object(label, colour, large, lang: str | None = None, *, with_size: bool = True) -> str:
    """``"a small red triangle"`` / ``"红色小三角形"``: ``label`` in 1 … 4, ``colour`` an index
    of :data:`COLOURS`, ``large`` 0 or 1 (``with_size=False`` leaves the size out); ints or
    one-element integer tensors, as in a :class:`Scenes` batch."""
    shape = _index(label, "label", 1, len(SHAPES)) - 1
    colour, large = _index(colour, "colour", 0, len(COLOURS) - 1), _index(large, "large", 0, 1)
    lang = lang or current_language()
    if lang not in RELATIONS:
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    if lang == "zh":
        return COLOURS_ZH[colour] + (("大" if large else "小") if with_size else "") + SHAPES_ZH[shape]
    words = [("large" if large else "small")] if with_size else []
    return " ".join(["a", *words, COLOURS[colour], SHAPES[shape]])


RELATIONS = {"en": ("left of", "right of", "above", "below"), "zh": ("左边", "右边", "上方", "下方")}


def caption(scenes: Scenes, i: int, lang: str | None = None) -> str:
    """The caption of scene ``i``: its largest visible object, and where it lies relative to
    the second largest ("a small red triangle left of a blue disc" /
    "蓝色圆盘的左边有一个红色小三角形")."""
    if not isinstance(scenes, Scenes):
        raise TypeError(f"scenes must be a Scenes batch, got {type(scenes).__name__}")
    if isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < len(scenes):
        raise ValueError(f"i must be an int in [0, {len(scenes)}), got {i!r}")
    lang = lang or current_language()
    if lang not in RELATIONS:
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    order = torch.argsort(scenes.areas[i], descending=True, stable=True).tolist()
    if not order:
        return "an empty scene" if lang == "en" else "一个空白场景"
    first = order[0]
    a = describe_object(scenes.labels[i][first], scenes.colours[i][first], scenes.sizes[i][first], lang)
    if len(order) == 1:
        return a if lang == "en" else "一个" + a
    second = order[1]
    b = describe_object(scenes.labels[i][second], scenes.colours[i][second], 0, lang, with_size=False)
    box_a, box_b = scenes.boxes[i][first], scenes.boxes[i][second]
    dx = (box_a[0] + box_a[2] - box_b[0] - box_b[2]).item() / 2
    dy = (box_a[1] + box_a[3] - box_b[1] - box_b[3]).item() / 2
    relation = (0 if dx < 0 else 1) if abs(dx) >= abs(dy) else (2 if dy < 0 else 3)
    if lang == "zh":
        return f"{b}的{RELATIONS['zh'][relation]}有一个{a}"
    return f"{a} {RELATIONS['en'][relation]} {b}"
