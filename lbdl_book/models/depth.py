"""The value of depth (LBDL §3.5, Figure 3.4).

A deep model is a long composition of simple maps. In :class:`DeepTanhClassifier` each
map, a *layer*, multiplies its input by a small matrix, adds a bias and applies tanh to
every component:

    x⁽ᵈ⁾ = tanh(W_d x⁽ᵈ⁻¹⁾ + b_d),   d = 1, …, D,      logits = A x⁽ᴰ⁾ + c.

With the book's sizes, D = 8 layers of width 2, every representation x⁽ᵈ⁾ is a point of
the plane and can be drawn; the last affine map is a linear classifier. Trained end to
end with the cross-entropy, the layers bend the plane until a straight line separates
the two classes.

Also here, to measure and to illustrate what depth buys:

* :func:`best_linear_accuracy`: the best accuracy that any straight line reaches on
  labelled points of the plane, computed exactly (is a set linearly separable?);
* :func:`grid_lines` and :func:`decision_boundary`: a grid of lines and the curves where
  the two logits are equal, to push through the layers with the data;
* :func:`tent`, :func:`sawtooth` and :func:`count_linear_pieces`: Telgarsky's example
  of the benefit of depth, a 2-unit ReLU layer composed k times has 2^k linear pieces.
"""

from __future__ import annotations

import copy
import math
from numbers import Real

import numpy as np
import torch
from contourpy import contour_generator
from torch import nn

from .._checks import positive_int

__all__ = ["DeepTanhClassifier", "best_linear_accuracy", "count_linear_pieces", "decision_boundary", "grid_lines",
           "sawtooth", "tent"]


def _check_limits(lim, name: str) -> None:
    """``lim`` must be a pair (low, high) of finite real numbers with low < high."""
    if (isinstance(lim, (str, bytes)) or not isinstance(lim, (tuple, list)) or len(lim) != 2
            or not all(isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v) for v in lim)
            or not lim[0] < lim[1]):
        raise ValueError(f"{name} must be a pair (low, high) with low < high, got {lim!r}")


def _random_orthogonal(depth: int, width: int, g: torch.Generator) -> torch.Tensor:
    """``depth`` random orthogonal width × width matrices (uniform on the orthogonal group)."""
    q, r = torch.linalg.qr(torch.randn(depth, width, width, generator=g))
    return q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1))[:, None, :]


class DeepTanhClassifier(nn.Module):
    """D layers x ↦ tanh(W_d x + b_d) of R^W → R^W, then a linear classifier R^W → C logits.

    Input (..., W) → logits (..., C). Parameters: ``weight`` (D, W, W), ``bias`` (D, W),
    ``classifier_weight`` (C, W), ``classifier_bias`` (C,): D(W² + W) + CW + C in all,
    8 · (4 + 2) + (4 + 2) = 54 with the defaults of Figure 3.4.

    Initialisation (seeded by ``seed``): each W_d is ``gain`` times a random orthogonal
    matrix, so that no layer starts by crushing the plane onto a line; biases are small
    (standard deviation 0.1); the classifier is Gaussian with variance 1/W."""

    def __init__(self, depth: int = 8, width: int = 2, num_classes: int = 2, *, seed: int = 0, gain: float = 1.0):
        super().__init__()
        positive_int(depth, "depth")
        positive_int(width, "width")
        if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
        if isinstance(gain, bool) or not isinstance(gain, Real) or not gain > 0:
            raise ValueError(f"gain must be a number > 0, got {gain!r}")
        g = torch.Generator().manual_seed(seed)
        self.weight = nn.Parameter(gain * _random_orthogonal(depth, width, g))
        self.bias = nn.Parameter(0.1 * torch.randn(depth, width, generator=g))
        self.classifier_weight = nn.Parameter(torch.randn(num_classes, width, generator=g) / math.sqrt(width))
        self.classifier_bias = nn.Parameter(torch.zeros(num_classes))

    @property
    def depth(self) -> int:
        return self.weight.shape[0]

    @property
    def width(self) -> int:
        return self.weight.shape[1]

    def _check_input(self, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
        if x.dim() == 0 or x.shape[-1] != self.width:
            raise ValueError(f"x must have shape (..., {self.width}), got {tuple(x.shape)}")
        if x.dtype != self.weight.dtype:
            raise TypeError(f"x must have the dtype of the model's parameters, {self.weight.dtype}, got {x.dtype}")

    def representations(self, x: torch.Tensor) -> torch.Tensor:
        """x⁽⁰⁾ = x, x⁽¹⁾, …, x⁽ᴰ⁾ stacked: input (..., W) → output (D + 1, ..., W).

        Any leading shape works, so a whole grid of lines (L, P, W) goes through at once."""
        self._check_input(x)
        outputs = [x]
        for w, b in zip(self.weight, self.bias):
            x = torch.tanh(x @ w.T + b)
            outputs.append(x)
        return torch.stack(outputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits A x⁽ᴰ⁾ + c: input (..., W) → output (..., C)."""
        return self.representations(x)[-1] @ self.classifier_weight.T + self.classifier_bias

    def decision_line(self) -> tuple[torch.Tensor, torch.Tensor]:
        """For two classes: ``(normal, offset)`` with l₁ − l₀ = normal · x⁽ᴰ⁾ + offset, so the
        model predicts class 1 where this is > 0. ``normal`` (W,), ``offset`` 0-d."""
        if self.classifier_weight.shape[0] != 2:
            raise ValueError(f"decision_line needs num_classes = 2, got {self.classifier_weight.shape[0]}")
        a, c = self.classifier_weight, self.classifier_bias
        return a[1] - a[0], c[1] - c[0]


def best_linear_accuracy(points: torch.Tensor, labels: torch.Tensor) -> float:
    """The highest accuracy that a straight line reaches on two-class points of the plane.

    ``points``: (N, 2) float; ``labels``: (N,) int64 in {0, 1}. Returns a float in
    [1/2, 1], equal to 1 exactly when the classes are linearly separable.

    Exact, not a search: a line with unit normal u classifies by thresholding the
    projections ⟨u, x_n⟩. As u turns, what a threshold can achieve changes only when two
    points of different classes swap order, that is where u is orthogonal to x_i − x_j
    with y_i ≠ y_j. Trying one u inside each of the resulting arcs of directions (at most
    N²/4 + 1 of them), every threshold between distinct projections and both
    orientations covers every possible line. Cost O(N³ log N): about a tenth of a second
    for 200 points, fine up to a thousand."""
    if not isinstance(points, torch.Tensor) or not points.is_floating_point():
        raise TypeError(f"points must be a floating-point torch.Tensor, got {type(points).__name__}"
                        + (f" of dtype {points.dtype}" if isinstance(points, torch.Tensor) else ""))
    if points.dim() != 2 or points.shape[1] != 2 or len(points) == 0:
        raise ValueError(f"points must have shape (N, 2) with N >= 1, got {tuple(points.shape)}")
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64:
        raise TypeError("labels must be an int64 torch.Tensor")
    if labels.shape != (len(points),):
        raise ValueError(f"labels must have shape ({len(points)},), got {tuple(labels.shape)}")
    if ((labels != 0) & (labels != 1)).any():
        raise ValueError(f"labels must be 0 or 1, got values {torch.unique(labels).tolist()}")
    # NumPy rather than torch here: its sorts and cumulative sums run on one thread, which
    # avoids thread contention on a busy machine (a tenfold slowdown with torch's defaults).
    x = points.detach().cpu().double().numpy()
    y = labels.cpu().numpy().astype(np.int32)
    n = len(x)
    diff = (x[y == 1][:, None, :] - x[y == 0][None, :, :]).reshape(-1, 2)
    diff = diff[np.abs(diff).sum(axis=1) > 0]                  # coincident points never split
    # Directions of u are angles modulo π; critical ones are orthogonal to a difference.
    critical = (np.arctan2(diff[:, 1], diff[:, 0]) + np.pi / 2) % np.pi
    critical = np.unique(np.concatenate([critical, [0.0, np.pi]]))
    middles = (critical[1:] + critical[:-1]) / 2                 # one direction per arc
    best = 0
    for angles in np.array_split(middles, max(1, len(middles) // 1024)):
        projection = np.cos(angles)[:, None] * x[:, 0] + np.sin(angles)[:, None] * x[:, 1]   # (K, N)
        order = np.argsort(projection, axis=1)
        projection = np.take_along_axis(projection, order, axis=1)
        # Predict 0 for the first k points (k = 0..N) and 1 for the others. With c_k ones
        # among the first k, the hits are (k − c_k) + (total − c_k).
        ones_before = np.zeros((len(angles), n + 1), dtype=np.int32)
        np.cumsum(y[order], axis=1, out=ones_before[:, 1:])
        hits = np.arange(n + 1, dtype=np.int32) + y.sum() - 2 * ones_before
        hits = np.maximum(hits, n - hits)                        # or the other way round
        hits[:, 1:-1][projection[:, 1:] == projection[:, :-1]] = 0   # no threshold between ties
        best = max(best, int(hits.max()))
    return best / n


def grid_lines(xlim: tuple[float, float], ylim: tuple[float, float], *, count: int = 11,
               resolution: int = 100) -> torch.Tensor:
    """A grid over the rectangle ``xlim`` × ``ylim``: ``count`` vertical and ``count``
    horizontal lines, each sampled at ``resolution`` points. Returns (2·count, resolution, 2)
    float32, vertical lines first; push it through :meth:`DeepTanhClassifier.representations`."""
    _check_limits(xlim, "xlim")
    _check_limits(ylim, "ylim")
    if isinstance(count, bool) or not isinstance(count, int) or count < 2:
        raise ValueError(f"count must be an int >= 2, got {count!r}")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"resolution must be an int >= 2, got {resolution!r}")
    xs, ys = torch.linspace(*xlim, count), torch.linspace(*ylim, count)
    along_x, along_y = torch.linspace(*xlim, resolution), torch.linspace(*ylim, resolution)
    vertical = torch.stack([xs[:, None].expand(count, resolution), along_y.expand(count, resolution)], dim=-1)
    horizontal = torch.stack([along_x.expand(count, resolution), ys[:, None].expand(count, resolution)], dim=-1)
    return torch.cat([vertical, horizontal])


def decision_boundary(model: DeepTanhClassifier, xlim: tuple[float, float], ylim: tuple[float, float], *,
                      resolution: tuple[int, int] = (160, 100)) -> list[torch.Tensor]:
    """Where a two-class model of the plane hesitates: the curves of ``xlim`` × ``ylim``
    on which its two logits are equal, as a list of (P, 2) tensors of input points.

    The curves are traced on a grid of ``resolution`` = (columns, rows) points by
    marching squares (``contourpy``, Matplotlib's contouring library), which places each
    point on a grid edge where l₁ − l₀ changes sign. Each point is then moved along its
    edge by bisection, in float64, until l₁ − l₀ = 0 to machine precision: a trained
    deep model stretches the neighbourhood of its boundary so much that the small
    interpolation error of marching squares would show, after the layers, as a zigzag.
    Push the points through :meth:`DeepTanhClassifier.representations` to see the
    boundary after d layers."""
    if not isinstance(model, DeepTanhClassifier) or model.width != 2 or model.classifier_bias.shape[0] != 2:
        raise TypeError("model must be a DeepTanhClassifier of width 2 with 2 classes")
    _check_limits(xlim, "xlim")
    _check_limits(ylim, "ylim")
    if len(resolution) != 2 or not all(isinstance(r, int) and not isinstance(r, bool) and r >= 2 for r in resolution):
        raise ValueError(f"resolution must be a pair of ints >= 2 (columns, rows), got {resolution!r}")
    exact = copy.deepcopy(model).to("cpu", torch.float64)

    def margin(points: torch.Tensor) -> torch.Tensor:           # l_1 − l_0, float64
        with torch.no_grad():
            logits = exact(points)
        return logits[..., 1] - logits[..., 0]

    low = torch.tensor([xlim[0], ylim[0]], dtype=torch.float64)
    step = (torch.tensor([xlim[1], ylim[1]], dtype=torch.float64) - low) / (torch.tensor(resolution) - 1)
    u, v = torch.meshgrid(torch.linspace(*xlim, resolution[0], dtype=torch.float64),
                          torch.linspace(*ylim, resolution[1], dtype=torch.float64), indexing="xy")
    curves = contour_generator(u.numpy(), v.numpy(), margin(torch.stack([u, v], dim=-1)).numpy()).lines(0.0)
    refined = []
    for curve in curves:
        points = torch.as_tensor(curve, dtype=torch.float64)
        if len(points) < 2:
            continue
        # The grid edge of each point: along x if its y is on a grid row, else along y.
        cell = (points - low) / step                              # position in grid steps
        axis = torch.where((cell[:, 1] - cell[:, 1].round()).abs() < 1e-6, 0, 1)
        rows = torch.arange(len(points))
        start, end = points.clone(), points.clone()
        start[rows, axis] = low[axis] + cell[rows, axis].floor() * step[axis]
        end[rows, axis] = start[rows, axis] + step[axis]
        start_sign = margin(start) > 0
        for _ in range(60):
            middle = (start + end) / 2
            same = ((margin(middle) > 0) == start_sign)[:, None]
            start, end = torch.where(same, middle, start), torch.where(same, end, middle)
        refined.append(((start + end) / 2).to(model.weight.dtype))
    return refined


def tent(x: torch.Tensor) -> torch.Tensor:
    """The tent map 2 relu(x) − 4 relu(x − 1/2), any shape: on [0, 1] it rises from 0 to 1
    and falls back to 0, 2x then 2 − 2x. A ReLU layer of 2 units followed by a sum:
    7 parameters (4 in the hidden layer, 3 in the output)."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError("x must be a floating-point torch.Tensor")
    return 2 * torch.relu(x) - 4 * torch.relu(x - 0.5)


def sawtooth(x: torch.Tensor, k: int) -> torch.Tensor:
    """The tent map composed ``k`` times (k >= 0; k = 0 is the identity), any shape.

    On [0, 1] it has 2^(k−1) teeth, that is 2^k linear pieces, from a network of k
    ReLU layers of width 2 [Telgarsky 2016]."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be an int >= 0, got {k!r}")
    for _ in range(k):
        x = tent(x)
    return x


def count_linear_pieces(x: torch.Tensor, y: torch.Tensor, *, rtol: float = 1e-6) -> int:
    """Number of linear pieces of a piecewise-linear function sampled as ``y`` at sorted
    ``x``, both (P,): one plus the number of slope changes larger than ``rtol`` times
    the largest slope. Exact when every kink of the function is one of the ``x``."""
    for name, v in (("x", x), ("y", y)):
        if not isinstance(v, torch.Tensor) or not v.is_floating_point() or v.dim() != 1:
            raise TypeError(f"{name} must be a 1-D floating-point torch.Tensor")
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"x and y must have the same length >= 2, got {len(x)} and {len(y)}")
    if not (x[1:] > x[:-1]).all():
        raise ValueError("x must be strictly increasing")
    slope = (y[1:] - y[:-1]) / (x[1:] - x[:-1])
    scale = slope.abs().max().clamp_min(torch.finfo(slope.dtype).tiny)
    return 1 + int(((slope[1:] - slope[:-1]).abs() > rtol * scale).sum())
