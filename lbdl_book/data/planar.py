"""Two-class toy problems in the plane (LBDL §3.5, Figure 3.4).

Points ``x`` of shape ``(n, 2)`` with labels ``y`` of shape ``(n,)`` (int64 in {0, 1}),
made so that no straight line separates the classes, yet a smooth deformation of the
plane can pull them apart. Every generator takes a ``seed`` and returns the same
tensors for the same arguments.
"""

from __future__ import annotations

import math
from numbers import Real

import torch

__all__ = ["moons", "rings"]


def _check_common(n: int, noise: float, dtype: torch.dtype) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2 (one point per class at least), got {n!r}")
    if isinstance(noise, bool) or not isinstance(noise, Real) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")


def _balanced_labels(n: int, g: torch.Generator) -> torch.Tensor:
    """n labels, half 0 and half 1 (up to one), in random order."""
    return (torch.arange(n) % 2)[torch.randperm(n, generator=g)]


def moons(n: int, *, noise: float = 0.1, arc: float = 1.2, seed: int = 0,
          dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaved half-moons, each hooking into the other.

    Class 0 lies on the upper arc (cos t, sin t), class 1 on the lower arc
    (1 − cos t, 1/2 − sin t), with t uniform in an interval of length ``arc`` · π centred
    on π/2 (``arc = 1``: half circles; larger values bend the tips further into the
    other class, which makes the problem harder for a straight line). Gaussian noise of
    standard deviation ``noise`` is added, then the points are centred: with the default
    ``arc``, they lie roughly in [−1.5, 1.5] × [−0.8, 0.8].

    Returns ``x`` (n, 2) of ``dtype`` and ``y`` (n,) int64, balanced up to one point."""
    _check_common(n, noise, dtype)
    if isinstance(arc, bool) or not isinstance(arc, Real) or not 0 < arc <= 1.5:
        raise ValueError(f"arc must be a number in (0, 1.5] (the arc length in units of pi), got {arc!r}")
    g = torch.Generator().manual_seed(seed)
    y = _balanced_labels(n, g)
    t = math.pi * (0.5 + arc * (torch.rand(n, generator=g, dtype=torch.float64) - 0.5))
    upper = torch.stack([torch.cos(t), torch.sin(t)], dim=1)
    lower = torch.stack([1 - torch.cos(t), 0.5 - torch.sin(t)], dim=1)
    x = torch.where(y[:, None] == 0, upper, lower)
    x = x + noise * torch.randn(n, 2, generator=g, dtype=torch.float64)
    x = x - torch.tensor([0.5, 0.25], dtype=torch.float64)
    return x.to(dtype), y


def rings(n: int, *, noise: float = 0.08, seed: int = 0,
          dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """A disc (class 0, radius up to 0.5) inside a ring (class 1, radius about 1).

    Class 0 is uniform in the disc of radius 0.5; class 1 has its angle uniform and its
    radius 1 plus Gaussian noise of standard deviation ``noise``. The class-0 region is
    bounded and surrounded by class 1, the configuration that narrow networks cannot
    separate (exercise of §3.5).

    Returns ``x`` (n, 2) of ``dtype`` and ``y`` (n,) int64, balanced up to one point."""
    _check_common(n, noise, dtype)
    g = torch.Generator().manual_seed(seed)
    y = _balanced_labels(n, g)
    angle = 2 * math.pi * torch.rand(n, generator=g, dtype=torch.float64)
    inner = 0.5 * torch.rand(n, generator=g, dtype=torch.float64).sqrt()   # uniform in the disc
    outer = 1 + noise * torch.randn(n, generator=g, dtype=torch.float64)
    radius = torch.where(y == 0, inner, outer)
    x = radius[:, None] * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    return x.to(dtype), y
