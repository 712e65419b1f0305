"""Activation functions (LBDL §4.3), written from their definitions.

A stack of linear layers is itself linear, so a deep model needs non-linear operations
between them. The simplest are *activation functions*: layers that apply the same
scalar function to every component of a tensor, so the output has the shape of the
input. Those of the book, and the logistic sigmoid for comparison:

    tanh(x)       = (e^{2x} − 1) / (e^{2x} + 1)     saturates on both sides
    sigmoid(x)    = 1 / (1 + e^{−x})                tanh(x) = 2 sigmoid(2x) − 1
    relu(x)       = 0 if x < 0, x otherwise         [Glorot et al., 2011]
    leakyrelu(x)  = a x if x < 0, x otherwise       [Maas et al., 2013]; the book gives no
                                                    value of a, PyTorch's default is 0.01
    gelu(x)       = x P(Z ≤ x), Z ~ N(0, 1)         [Hendrycks and Gimpel, 2016]
                  = x erfc(−x / √2) / 2
                  ≈ x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2   (approximate='tanh')

Each is a function (``relu(x)``) and an ``nn.Module`` with the class name, constructor
arguments and ``repr`` of its PyTorch twin (``ReLU()``, ``LeakyReLU(negative_slope=0.01)``,
``GELU(approximate='none')``, ...). None has trainable parameters or buffers. Gradients
come from autograd through the formulas, and agree with PyTorch's, including at 0 where
ReLU and leaky ReLU have a kink: PyTorch, and this module, use relu'(0) = 0 and
leakyrelu'(0) = a.

Deliberate differences with PyTorch: the functions accept floating-point tensors only
(``torch.relu`` also takes integers), and ``inplace=True`` computes the result out of
place, then copies it into the input, so it saves no memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from .fused import Fusable

__all__ = [
    "ACTIVATIONS",
    "GELU",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "derivative",
    "gelu",
    "leaky_relu",
    "relu",
    "sigmoid",
    "tanh",
]

GELU_APPROXIMATIONS = ("none", "tanh")


# --- checks ----------------------------------------------------------------------------

def _check_input(x) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")


def _check_slope(negative_slope) -> None:
    if isinstance(negative_slope, bool) or not isinstance(negative_slope, Real) or not math.isfinite(negative_slope):
        raise ValueError(f"negative_slope must be a finite real number, got {negative_slope!r}")


def _check_approximate(approximate) -> None:
    if approximate not in GELU_APPROXIMATIONS:
        raise ValueError(f"approximate must be one of {GELU_APPROXIMATIONS}, got {approximate!r}")


def _check_inplace(inplace) -> None:
    if not isinstance(inplace, bool):
        raise TypeError(f"inplace must be a bool, got {type(inplace).__name__}")


def _by_sign(x: torch.Tensor, nonnegative: Callable, negative: Callable) -> torch.Tensor:
    """``nonnegative(x)`` where x ≥ 0 and ``negative(x)`` where x < 0.

    Each formula only ever sees inputs of its own sign (the others are replaced by 0), so
    an exponential that would overflow on the wrong side is never evaluated there, and
    no inf or nan of the unused branch leaks into the gradient."""
    keep = x >= 0
    zero = torch.zeros((), dtype=x.dtype, device=x.device)
    return torch.where(keep, nonnegative(torch.where(keep, x, zero)), negative(torch.where(keep, zero, x)))


# --- the functions ---------------------------------------------------------------------

def sigmoid(x: torch.Tensor) -> torch.Tensor:
    """The logistic function 1 / (1 + e^{−x}), elementwise; any shape, values in (0, 1).

    Evaluated as 1 / (1 + e^{−x}) for x ≥ 0 and e^{x} / (1 + e^{x}) for x < 0, the same
    function written so that the exponent is never positive: no overflow, and full
    relative precision for very negative x. Not in LBDL; shown to explain saturation."""
    _check_input(x)
    return _by_sign(x, lambda v: 1 / (1 + torch.exp(-v)), lambda v: torch.exp(v) / (1 + torch.exp(v)))


def tanh(x: torch.Tensor) -> torch.Tensor:
    """The hyperbolic tangent (e^{2x} − 1) / (e^{2x} + 1), elementwise; any shape, values in (−1, 1).

    Written with the exponent never positive (for x ≥ 0, multiply the numerator and the
    denominator by e^{−2x}), and with expm1(u) = e^u − 1, which keeps its relative
    precision for small u, so that tanh(x) ≈ x near 0 is accurate too."""
    _check_input(x)
    return _by_sign(x, lambda v: -torch.expm1(-2 * v) / (1 + torch.exp(-2 * v)),
                    lambda v: torch.expm1(2 * v) / (1 + torch.exp(2 * v)))


def relu(x: torch.Tensor) -> torch.Tensor:
    """The rectified linear unit: 0 where x < 0, x otherwise; any shape.

    Its gradient is 1 where x > 0 and 0 where x ≤ 0: at the kink x = 0 we take 0, like
    PyTorch. NaN inputs stay NaN."""
    _check_input(x)
    return torch.where(x <= 0, torch.zeros((), dtype=x.dtype, device=x.device), x)


def leaky_relu(x: torch.Tensor, negative_slope: float = 0.01) -> torch.Tensor:
    """a·x where x < 0, x otherwise, with a = ``negative_slope``; any shape.

    Its gradient is 1 where x > 0 and a where x ≤ 0 (PyTorch's convention at the kink)."""
    _check_input(x)
    _check_slope(negative_slope)
    return torch.where(x > 0, x, negative_slope * x)


def gelu(x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """The Gaussian error linear unit x·P(Z ≤ x), Z ~ N(0, 1), elementwise; any shape.

    P(Z ≤ x) = Φ(x) = (1 + erf(x / √2)) / 2, the cumulative distribution function of the
    standard Gaussian, computed as erfc(−x / √2) / 2 with erfc = 1 − erf: for x ≪ 0,
    1 + erf(x / √2) would subtract two numbers close to 1 and lose the small value of Φ.
    ``approximate='tanh'`` replaces Φ(x) by the cheaper
    (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2 of Hendrycks and Gimpel (2016)."""
    _check_input(x)
    _check_approximate(approximate)
    if approximate == "tanh":
        phi = (1 + tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))) / 2
    else:
        phi = torch.erfc(-x / math.sqrt(2)) / 2
    return x * phi


ACTIVATIONS: dict[str, Callable[..., torch.Tensor]] = {
    "tanh": tanh, "sigmoid": sigmoid, "relu": relu, "leaky_relu": leaky_relu, "gelu": gelu,
}


def derivative(activation: Callable[..., torch.Tensor], x: torch.Tensor, **options) -> torch.Tensor:
    """The derivative f'(x) of an elementwise ``activation`` at every entry of ``x``, by autograd.

    Since f acts on each component separately, the gradient of Σ f(x) is the vector of the
    f'(x_i). ``options`` are passed on, e.g. ``derivative(leaky_relu, x, negative_slope=0.1)``.
    Same shape as ``x``; no graph is kept."""
    if not callable(activation):
        raise TypeError(f"activation must be callable, got {type(activation).__name__}")
    _check_input(x)
    with torch.enable_grad():
        v = x.detach().requires_grad_(True)
        (grad,) = torch.autograd.grad(activation(v, **options).sum(), v)
    return grad


# --- the modules -----------------------------------------------------------------------

class _Elementwise(nn.Module):
    """Shared by the activation modules: ``inplace`` as in PyTorch (see the module docstring)."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        _check_inplace(inplace)
        self.inplace = inplace

    def _result(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x.copy_(y) if self.inplace else y

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Tanh(Fusable, nn.Module):
    """tanh, elementwise: ``Tanh()(x)``, any shape in, same shape out (like ``torch.nn.Tanh``).
    ``fused = True``: ``torch.tanh``, the models' fast path (:mod:`lbdl_book.nn.fused`)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tanh(x) if self.fused else tanh(x)

    def extra_repr(self) -> str:
        return self._fused_repr("")


class Sigmoid(Fusable, nn.Module):
    """The logistic sigmoid, elementwise: ``Sigmoid()(x)``, any shape (like ``torch.nn.Sigmoid``).
    ``fused = True``: ``torch.sigmoid``, the models' fast path (:mod:`lbdl_book.nn.fused`)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x) if self.fused else sigmoid(x)

    def extra_repr(self) -> str:
        return self._fused_repr("")


class ReLU(Fusable, _Elementwise):
    """relu, elementwise: ``ReLU(inplace=False)(x)``, any shape (like ``torch.nn.ReLU``).
    ``fused = True``: ``F.relu``, the models' fast path (:mod:`lbdl_book.nn.fused`)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return F.relu(x, inplace=self.inplace)
        return self._result(x, relu(x))

    def extra_repr(self) -> str:
        return self._fused_repr(super().extra_repr())


class LeakyReLU(_Elementwise):
    """Leaky ReLU with slope ``negative_slope`` for x < 0, elementwise, any shape
    (like ``torch.nn.LeakyReLU(negative_slope=0.01, inplace=False)``). The slope is a
    hyper-parameter: a plain attribute, not a trainable parameter."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__(inplace)
        _check_slope(negative_slope)
        self.negative_slope = negative_slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._result(x, leaky_relu(x, self.negative_slope))

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Fusable, nn.Module):
    """GELU, elementwise, any shape: ``GELU(approximate='none')`` is x·Φ(x) with the exact
    Gaussian CDF Φ, ``GELU(approximate='tanh')`` its tanh approximation (like ``torch.nn.GELU``).
    ``fused = True``: ``F.gelu``, the models' fast path (:mod:`lbdl_book.nn.fused`)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        _check_approximate(approximate)
        self.approximate = approximate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return F.gelu(x, approximate=self.approximate)
        return gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return self._fused_repr(f"approximate={self.approximate!r}")
