"""Dropout (LBDL §4.5): random zeroing during training, the identity at test time.

A dropout layer has no trainable parameter and one hyper-parameter, the probability p
of dropping an activation. In training mode it draws, independently for every entry of
its input, a Bernoulli keep-mask M with P(M = 1) = 1 − p, and returns

    Y = X ⊙ M / (1 − p),

so that E[Y] = X: the survivors are scaled up to make up for the zeros ("inverted"
dropout, as in PyTorch). In evaluation mode it returns its input unchanged. The
gradient is the same mask: ∂L/∂X = ∂L/∂Y ⊙ M / (1 − p).

2D dropout draws one mask value per channel instead of per entry: a channel of a
(N, C, H, W) tensor is either all zero or all scaled by 1/(1 − p). Neighbouring pixels
of an image-like signal are so correlated that a single zeroed pixel can be guessed
from its neighbours; a whole missing channel cannot.

The modules mirror ``torch.nn.Dropout`` and ``torch.nn.Dropout2d`` (arguments
``p=0.5, inplace=False``, same ``repr``, no parameters or buffers) and follow
``module.train()`` / ``module.eval()``. Deliberate differences:

* a keyword-only ``generator`` (a ``torch.Generator``) makes a module's draws
  repeatable without touching the global seed;
* the random stream differs from PyTorch's: the same seed gives another mask, with the
  same distribution;
* ``dropout2d`` reads a 3-D input as one unbatched image (C, H, W). PyTorch 2.x still
  reads it as (N, C, L) and drops single rows, with a warning that this will change.

``fused = True`` (both modules are :class:`~lbdl_book.nn.fused.Fusable`): the models' fast
path, PyTorch's ``F.dropout`` and ``F.dropout2d`` (PyTorch's random stream), without the
checks. A module given a ``generator`` keeps the book's draw, so that its masks stay
repeatable.
"""

from __future__ import annotations

from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from .fused import Fusable

__all__ = ["Dropout", "Dropout2d", "dropout", "dropout2d", "dropout_mask"]


def _check_p(p) -> float:
    if isinstance(p, bool) or not isinstance(p, Real):
        raise TypeError(f"p must be a real number, got {type(p).__name__}")
    if not 0 <= p <= 1:
        raise ValueError(f"p must be a probability in [0, 1], got {p!r}")
    return float(p)


def _check_input(x) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")


def dropout_mask(shape, p: float, *, generator: torch.Generator | None = None, device=None) -> torch.Tensor:
    """A boolean tensor of shape ``shape``, each entry True (kept) with probability 1 − p.

    Entry i is kept when U_i >= p for U_i uniform in [0, 1): p = 0 keeps everything and
    p = 1 nothing. The draw happens on the generator's device (the CPU by default) and
    the mask is then moved to ``device``."""
    p = _check_p(p)
    if not (isinstance(shape, int) and not isinstance(shape, bool) and shape >= 0
            or isinstance(shape, (tuple, list, torch.Size))
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
        raise ValueError(f"shape must be a tuple of ints >= 0, got {shape!r}")
    source = generator.device if generator is not None else device
    return (torch.rand(shape, generator=generator, device=source) >= p).to(device)


def _apply(x: torch.Tensor, keep: torch.Tensor, p: float, inplace: bool) -> torch.Tensor:
    """X ⊙ M / (1 − p), with ``keep`` (M) broadcast against ``x``; zeros when p = 1."""
    scale = keep.to(x.dtype) / (1 - p) if p < 1 else torch.zeros_like(keep, dtype=x.dtype)
    return x.mul_(scale) if inplace else x * scale


def dropout(x: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """Y = X ⊙ M / (1 − p) with M_i ~ Bernoulli(1 − p) independent, when ``training``; else X.

    ``x``: float tensor of any shape; returns the same shape. ``inplace``: overwrite
    ``x``. ``generator``: the source of randomness (default: PyTorch's global one)."""
    _check_input(x)
    p = _check_p(p)
    if not training or p == 0:
        return x
    keep = dropout_mask(x.shape, p, generator=generator, device=x.device)
    return _apply(x, keep, p, inplace)


def dropout2d(x: torch.Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """Channel dropout: every (H, W) channel is zeroed with probability p, else scaled by 1/(1 − p).

    ``x``: (N, C, H, W), or (C, H, W) for one image; returns the same shape. One mask
    value per (sample, channel), broadcast over H and W. Identity when not ``training``."""
    _check_input(x)
    if x.dim() not in (3, 4):
        raise ValueError(f"x must have shape (N, C, H, W) or (C, H, W), got {tuple(x.shape)}")
    p = _check_p(p)
    if not training or p == 0:
        return x
    keep = dropout_mask((*x.shape[:-2], 1, 1), p, generator=generator, device=x.device)
    return _apply(x, keep, p, inplace)


class _DropoutNd(Fusable, nn.Module):
    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator: torch.Generator | None = None):
        super().__init__()
        _check_p(p)
        self.p = p
        self.inplace = inplace
        self.generator = generator

    def _use_kernel(self) -> bool:
        """PyTorch's kernel: when fused, unless a generator asks for the book's repeatable draw."""
        return self.fused and self.generator is None

    def extra_repr(self) -> str:
        return self._fused_repr(f"p={self.p}, inplace={self.inplace}")


class Dropout(_DropoutNd):
    """Dropout of every entry, as ``torch.nn.Dropout(p=0.5, inplace=False)``; see :func:`dropout`.

    Active after ``module.train()`` (the default), the identity after ``module.eval()``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._use_kernel():
            return F.dropout(x, self.p, self.training, self.inplace)
        return dropout(x, self.p, self.training, self.inplace, generator=self.generator)


class Dropout2d(_DropoutNd):
    """Dropout of whole channels of (N, C, H, W) or (C, H, W) tensors, as
    ``torch.nn.Dropout2d(p=0.5, inplace=False)``; see :func:`dropout2d`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._use_kernel():              # a 3-D input is one image (C, H, W), as in dropout2d
            batched = x if x.dim() != 3 else x[None]
            y = F.dropout2d(batched, self.p, self.training, self.inplace)
            return y if x.dim() != 3 else y[0]
        return dropout2d(x, self.p, self.training, self.inplace, generator=self.generator)
