"""Pooling (LBDL §4.4): max and average pooling, written with unfold + max / mean.

A pooling layer shrinks a signal by summarising each window of it with one number,
channel by channel, and has no trainable parameter. In 1D, with kernel size K, stride
S, padding P and dilation D, output entry t of channel c looks at the K input entries
at positions t·S − P + k·D, k = 0, …, K − 1, and keeps their maximum (max pooling) or
their mean (average pooling). The stride defaults to the kernel size, so the windows
tile the signal without overlap and the length is divided by K. In general the output
length is ⌊(L + 2P − D(K − 1) − 1) / S⌋ + 1, the formula of convolutions (§4.2).

Both poolings are computed the same way: ``Tensor.unfold`` lays every window out along
a new last dimension (a view, no copy), and a ``max`` or a ``mean`` reduces it. Max
pooling pads with −∞, so padding never wins the maximum; average pooling pads with
zeros and, like PyTorch by default (``count_include_pad=True``), still divides by K.

The gradient of max pooling flows only to the entry that won each window. When
several entries of a window tie for the maximum, it goes to the first of them in the
window's row-major order, as in PyTorch's CPU kernels (``torch.max`` along a dimension
returns the first maximal index). Average pooling spreads the gradient of each output
equally over its window.

The modules mirror ``torch.nn.MaxPool1d``, ``MaxPool2d``, ``AvgPool1d`` and
``AvgPool2d``: same names, arguments, defaults and ``repr``, and, like them, no
parameters or buffers. Deliberate difference: ``ceil_mode=True`` and
``return_indices=True`` are not implemented and raise ``ValueError``.

``fused = True`` (the four modules are :class:`~lbdl_book.nn.fused.Fusable`): the models'
fast path, PyTorch's pooling kernels (``F.max_pool2d``, ``F.avg_pool2d``, ...) with the
same arguments, without the checks.
"""

from __future__ import annotations

import math
from numbers import Integral

import torch
import torch.nn.functional as F
from torch import nn

from .fused import Fusable

__all__ = [
    "AvgPool1d",
    "AvgPool2d",
    "MaxPool1d",
    "MaxPool2d",
    "avg_pool1d",
    "avg_pool2d",
    "max_pool1d",
    "max_pool2d",
    "pool_output_size",
]


# --- argument checks ------------------------------------------------------------------

def _tuple(value, name: str, n: int, minimum: int) -> tuple[int, ...]:
    """``value`` (an int, or a tuple of ``n`` ints) as a tuple of ``n`` ints >= ``minimum``."""
    items = value if isinstance(value, (tuple, list)) else (value,) * n
    if len(items) != n or any(isinstance(v, bool) or not isinstance(v, Integral) or v < minimum for v in items):
        expected = f"an int >= {minimum}" if n == 1 else f"an int >= {minimum} or a tuple of {n} such ints"
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return tuple(int(v) for v in items)


def _check_input(x, spatial: int) -> None:
    shapes = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)"}[spatial]
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")
    if x.dim() not in (spatial + 1, spatial + 2):
        raise ValueError(f"x must have shape {shapes}, got {tuple(x.shape)}")


def _geometry(x: torch.Tensor, kernel_size, stride, padding, dilation, spatial: int):
    """Checked (kernel, stride, padding, dilation) tuples, one entry per spatial dimension."""
    kernel = _tuple(kernel_size, "kernel_size", spatial, 1)
    stride = kernel if stride is None else _tuple(stride, "stride", spatial, 1)
    padding = _tuple(padding, "padding", spatial, 0)
    dilation = _tuple(dilation, "dilation", spatial, 1)
    if any(p > k // 2 for p, k in zip(padding, kernel)):
        # PyTorch's rule: it guarantees that every window holds at least one real entry
        raise ValueError(f"padding must be at most half of kernel_size (padding <= kernel_size // 2), "
                         f"got padding={padding} and kernel_size={kernel}")
    sizes = tuple(x.shape[-spatial:])
    out = tuple(pool_output_size(n, k, s, p, d) for n, k, s, p, d in zip(sizes, kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ValueError(f"x of spatial size {sizes} is too small for kernel_size={kernel}, padding={padding} and "
                         f"dilation={dilation}: the output size would be {out}")
    return kernel, stride, padding, dilation


def pool_output_size(size: int, kernel_size: int, stride: int | None = None, padding: int = 0,
                     dilation: int = 1) -> int:
    """⌊(size + 2·padding − dilation·(kernel_size − 1) − 1) / stride⌋ + 1, along one dimension.

    ``stride`` defaults to ``kernel_size``; with no padding or dilation and a size that
    ``kernel_size`` divides, this is size / kernel_size. The result is < 1 when no
    window fits (the pooling functions refuse such inputs)."""
    for name, value, low in (("size", size, 0), ("kernel_size", kernel_size, 1), ("padding", padding, 0),
                             ("dilation", dilation, 1)):
        _tuple(value, name, 1, low)
    stride = kernel_size if stride is None else _tuple(stride, "stride", 1, 1)[0]
    return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1


# --- the operations --------------------------------------------------------------------

def _windows(x: torch.Tensor, kernel, stride, padding, dilation, fill: float) -> torch.Tensor:
    """Every pooling window of ``x``, flattened along a new last dimension.

    ``x``: (..., *spatial) with len(kernel) spatial dimensions. Returns
    (..., *spatial_out, prod(kernel)), window entries in row-major order."""
    spatial = len(kernel)
    pad = [p for p in reversed(padding) for _ in range(2)]         # F.pad lists the last dimension first
    x = F.pad(x, pad, value=fill)
    first = x.dim() - spatial
    for i, (k, s, d) in enumerate(zip(kernel, stride, dilation)):
        span = d * (k - 1) + 1                                     # extent of one dilated window
        x = x.unfold(first + i, span, s)[..., ::d]                 # new last dim: the k entries of a window
    return x.flatten(-spatial)


def _max_pool(x, kernel_size, stride, padding, dilation, spatial: int) -> torch.Tensor:
    _check_input(x, spatial)
    geometry = _geometry(x, kernel_size, stride, padding, dilation, spatial)
    return _windows(x, *geometry, fill=-math.inf).max(dim=-1).values


def max_pool1d(x: torch.Tensor, kernel_size, stride=None, padding=0, dilation=1) -> torch.Tensor:
    """Y[n, c, t] = max_k X[n, c, t·S − P + k·D], k = 0, …, K − 1 (padding is −∞).

    ``x``: (N, C, L) or (C, L) float. ``kernel_size`` K, ``stride`` S (default K),
    ``padding`` P (at most K // 2), ``dilation`` D: ints. Returns (N, C, L') or (C, L'),
    L' = :func:`pool_output_size` (L, K, S, P, D)."""
    return _max_pool(x, kernel_size, stride, padding, dilation, spatial=1)


def max_pool2d(x: torch.Tensor, kernel_size, stride=None, padding=0, dilation=1) -> torch.Tensor:
    """The maximum over each (K_h × K_w) window of every channel.

    ``x``: (N, C, H, W) or (C, H, W) float. ``kernel_size``, ``stride`` (default: the
    kernel size), ``padding`` (at most half the kernel size, −∞-padded) and ``dilation``:
    an int or a pair (along H, along W). Returns (N, C, H', W') or (C, H', W'), each size
    given by :func:`pool_output_size`."""
    return _max_pool(x, kernel_size, stride, padding, dilation, spatial=2)


def _avg_pool(x, kernel_size, stride, padding, count_include_pad, divisor_override, spatial: int) -> torch.Tensor:
    _check_input(x, spatial)
    kernel, stride, padding, dilation = _geometry(x, kernel_size, stride, padding, 1, spatial)
    total = _windows(x, kernel, stride, padding, dilation, fill=0.0).sum(dim=-1)
    if divisor_override is not None:
        divisor = _tuple(divisor_override, "divisor_override", 1, 1)[0]
    elif count_include_pad:
        divisor = math.prod(kernel)
    else:   # the number of real (non-padding) entries of each window
        ones = x.new_ones(x.shape[-spatial:])
        divisor = _windows(ones, kernel, stride, padding, dilation, fill=0.0).sum(dim=-1)
    return total / divisor


def avg_pool1d(x: torch.Tensor, kernel_size, stride=None, padding=0, *, count_include_pad: bool = True) -> torch.Tensor:
    """Y[n, c, t] = (1/K) Σ_k X[n, c, t·S − P + k], k = 0, …, K − 1 (padding is 0).

    ``x``: (N, C, L) or (C, L) float; ``kernel_size`` K, ``stride`` S (default K),
    ``padding`` P (at most K // 2): ints. Zero padding counts in the mean
    (``count_include_pad=True``, PyTorch's default); with False, each window is divided
    by its number of real entries. Returns (N, C, L') or (C, L'). Linear in ``x``."""
    return _avg_pool(x, kernel_size, stride, padding, count_include_pad, None, spatial=1)


def avg_pool2d(x: torch.Tensor, kernel_size, stride=None, padding=0, *, count_include_pad: bool = True,
               divisor_override: int | None = None) -> torch.Tensor:
    """The mean over each (K_h × K_w) window of every channel.

    ``x``: (N, C, H, W) or (C, H, W) float; ``kernel_size``, ``stride`` (default: the
    kernel size) and ``padding`` (zeros, at most half the kernel size): an int or a pair.
    ``count_include_pad`` as in :func:`avg_pool1d`; ``divisor_override``: divide every
    window sum by this int instead. Returns (N, C, H', W') or (C, H', W'). A kernel as
    large as the input gives the *global average pooling* of a ResNet head."""
    return _avg_pool(x, kernel_size, stride, padding, count_include_pad, divisor_override, spatial=2)


# --- the modules -----------------------------------------------------------------------

def _refuse(ceil_mode, return_indices=False) -> None:
    if ceil_mode:
        raise ValueError("ceil_mode=True is not implemented in lbdl_book.nn.pooling (output sizes round down), "
                         f"got ceil_mode={ceil_mode!r}")
    if return_indices:
        raise ValueError("return_indices=True is not implemented in lbdl_book.nn.pooling, "
                         f"got return_indices={return_indices!r}")


class _MaxPoolNd(Fusable, nn.Module):
    spatial = 0

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        _refuse(ceil_mode, return_indices)
        for name, value, low in (("kernel_size", kernel_size, 1), ("padding", padding, 0), ("dilation", dilation, 1)):
            _tuple(value, name, self.spatial, low)
        if stride is not None:
            _tuple(stride, "stride", self.spatial, 1)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return self._fused_repr(f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max pooling of (N, C, L) or (C, L) signals, as ``torch.nn.MaxPool1d``; see :func:`max_pool1d`."""

    spatial = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = F.max_pool1d if self.fused else max_pool1d
        return pool(x, self.kernel_size, self.stride, self.padding, self.dilation)


class MaxPool2d(_MaxPoolNd):
    """Max pooling of (N, C, H, W) or (C, H, W) images, as ``torch.nn.MaxPool2d``; see :func:`max_pool2d`."""

    spatial = 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = F.max_pool2d if self.fused else max_pool2d
        return pool(x, self.kernel_size, self.stride, self.padding, self.dilation)


class AvgPool1d(Fusable, nn.Module):
    """Average pooling of (N, C, L) or (C, L) signals, as ``torch.nn.AvgPool1d``; see :func:`avg_pool1d`."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        _refuse(ceil_mode)
        # like torch, the 1D module stores one-element tuples
        self.kernel_size = _tuple(kernel_size, "kernel_size", 1, 1)
        self.stride = self.kernel_size if stride is None else _tuple(stride, "stride", 1, 1)
        self.padding = _tuple(padding, "padding", 1, 0)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = F.avg_pool1d if self.fused else avg_pool1d
        return pool(x, self.kernel_size, self.stride, self.padding, count_include_pad=self.count_include_pad)

    def extra_repr(self) -> str:
        return self._fused_repr(f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}")


class AvgPool2d(Fusable, nn.Module):
    """Average pooling of (N, C, H, W) or (C, H, W) images, as ``torch.nn.AvgPool2d``; see :func:`avg_pool2d`."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        _refuse(ceil_mode)
        for name, value, low in (("kernel_size", kernel_size, 1), ("padding", padding, 0)):
            _tuple(value, name, 2, low)
        if stride is not None:
            _tuple(stride, "stride", 2, 1)
        if divisor_override is not None:
            _tuple(divisor_override, "divisor_override", 1, 1)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = F.avg_pool2d if self.fused else avg_pool2d
        return pool(x, self.kernel_size, self.stride, self.padding, count_include_pad=self.count_include_pad,
                    divisor_override=self.divisor_override)

    def extra_repr(self) -> str:
        return self._fused_repr(f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}")
