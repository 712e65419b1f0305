"""Small synthetic datasets for chapter 1 (and any demo that needs a toy problem).

Every generator takes a ``seed`` and returns the same tensors for the same seed."""

from __future__ import annotations

import math

import torch

from .._checks import positive_int, tensor


def _check_noise(noise: float) -> None:
    if not noise >= 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")


def sine(x: torch.Tensor) -> torch.Tensor:
    """The 'true function' of the chapter 1 demos: ``sin(2πx)``, any shape."""
    tensor(x, "x")
    return torch.sin(2 * math.pi * x)


def sine_regression(n: int, *, noise: float = 0.2, seed: int = 0, stratified: bool = True,
                    dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` noisy samples of :func:`sine` on ``[0, 1]``: ``x`` and ``y`` of shape ``(n,)``.

    ``stratified=True`` draws one ``x`` uniformly in each of ``n`` equal bins, so the
    points cover the interval without large gaps; ``False`` draws them i.i.d. uniform.
    ``y = sin(2πx) + noise · ε`` with ``ε ~ N(0, 1)``."""
    positive_int(n, "n")
    _check_noise(noise)
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(n, generator=g, dtype=dtype)
    x = (torch.arange(n, dtype=dtype) + u) / n if stratified else u
    x = x[torch.randperm(n, generator=g)]
    y = sine(x) + noise * torch.randn(n, generator=g, dtype=dtype)
    return x, y


def line_data(n: int, *, slope: float = 1.5, noise: float = 0.3, seed: int = 0,
              dtype: torch.dtype = torch.float64) -> tuple[torch.Tensor, torch.Tensor]:
    """``y = slope · x + noise · ε`` for ``x ~ U[-1, 1]``: a one-parameter problem (§1.1).
    Returns ``x`` and ``y`` of shape ``(n,)``."""
    positive_int(n, "n")
    _check_noise(noise)
    g = torch.Generator().manual_seed(seed)
    x = 2 * torch.rand(n, generator=g, dtype=dtype) - 1
    return x, slope * x + noise * torch.randn(n, generator=g, dtype=dtype)


def identities(n: int, *, num_classes: int = 6, signal_dim: int = 4, nuisance_dim: int = 12,
               seed: int = 0, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """A metric-learning toy (§3.1 contrastive loss): ``num_classes`` "identities" whose
    samples differ in ``signal_dim`` coordinates, buried among ``nuisance_dim`` noisy ones.

    Returns ``x`` of shape (n, signal_dim + nuisance_dim) and ``labels`` (n,) int64.
    The class centres are the same for every ``seed``; the samples are not. Raw
    Euclidean distances are dominated by the nuisance coordinates (std 2, against
    centres of std 1 and a within-class std of 0.3)."""
    positive_int(n, "n")
    positive_int(num_classes, "num_classes")
    centres = torch.randn(num_classes, signal_dim, generator=torch.Generator().manual_seed(12345), dtype=dtype)
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % num_classes
    signal = centres[labels] + 0.3 * torch.randn(n, signal_dim, generator=g, dtype=dtype)
    nuisance = 2.0 * torch.randn(n, nuisance_dim, generator=g, dtype=dtype)
    return torch.cat([signal, nuisance], dim=1), labels


CLUSTER_MEANS = ((-1.2, -0.6), (1.3, -0.9), (0.2, 1.3))
CLUSTER_SCALES = ((0.45, 0.30), (0.35, 0.55), (0.60, 0.35))


def clusters(n: int, *, seed: int = 0, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """Three elongated Gaussian clusters in the plane (§1.4).

    Returns points ``x`` of shape ``(n, 2)`` and their cluster ``labels`` of shape ``(n,)``
    (int64 in ``{0, 1, 2}``, balanced up to one sample)."""
    positive_int(n, "n")
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % len(CLUSTER_MEANS)
    labels = labels[torch.randperm(n, generator=g)]
    means = torch.tensor(CLUSTER_MEANS, dtype=dtype)[labels]
    scales = torch.tensor(CLUSTER_SCALES, dtype=dtype)[labels]
    return means + scales * torch.randn(n, 2, generator=g, dtype=dtype), labels
