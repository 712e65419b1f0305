"""Fully connected layers (LBDL §4.2, "Fully connected layers"), from the equation
Y[d_1, …, d_K] = W X[d_1, …, d_K] + b, and their random initialisation.

A fully connected layer has a trainable weight matrix W of shape D' × D and a bias
vector b of dimension D'. It maps an input of shape D_1 × … × D_K × D to an output of
shape D_1 × … × D_K × D': the last dimension is the vector the affine map acts on, and
every other dimension only indexes vectors (a batch, a sequence, an image grid), all
processed with the same W and b. "Linear" is the usual, slightly improper name: the
map is affine.

Initialisation. Gradient descent starts from random weights, and their scale matters:
a unit of the layer sums D products w·x, so with weights of variance σ² and inputs of
second moment m, the output has variance D σ² m. Whether the activations of a deep
stack keep their size, grow or shrink exponentially with depth depends on that factor
(§3.4 of LBDL, [Glorot and Bengio, 2010]). :func:`init_weight_` draws the weights from
the schemes compared in the book's notebook; :func:`forward_stds` measures the
standard deviation of the activations through a deep stack of linear+ReLU layers.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .fused import Fusable

__all__ = ["INIT_SCHEMES", "Linear", "forward_stds", "init_std", "init_weight_", "linear"]


def _check_float_tensor(x, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")


def _check_size(value, name: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None) -> torch.Tensor:
    """Y = X Wᵀ + b over the last dimension: the affine map W x + b applied to every vector.

    ``x``: (..., D), any number of leading dimensions; ``weight``: (D', D) = W;
    ``bias``: (D',) = b or None. Returns (..., D'). The leading dimensions are the
    indices d_1, …, d_K of the book's equation: one matrix product processes them all."""
    _check_float_tensor(x, "x")
    _check_float_tensor(weight, "weight")
    if weight.dim() != 2:
        raise ValueError(f"weight must have shape (out_features, in_features), got {tuple(weight.shape)}")
    if weight.dtype != x.dtype:
        raise TypeError(f"weight must have the dtype of x ({x.dtype}), got {weight.dtype}")
    if x.dim() == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"x must have shape (..., {weight.shape[1]}) to match weight of shape "
                         f"{tuple(weight.shape)}, got {tuple(x.shape)}")
    y = x @ weight.T                                     # (..., D) @ (D, D') -> (..., D')
    if bias is not None:
        _check_float_tensor(bias, "bias")
        if bias.dtype != x.dtype:
            raise TypeError(f"bias must have the dtype of x ({x.dtype}), got {bias.dtype}")
        if bias.shape != (weight.shape[0],):
            raise ValueError(f"bias must have shape ({weight.shape[0]},), got {tuple(bias.shape)}")
        y = y + bias                                     # broadcast over the leading dimensions
    return y


class Linear(Fusable, nn.Module):
    """A fully connected layer with the interface of ``torch.nn.Linear``.

    ``Linear(in_features, out_features, bias=True, device=None, dtype=None)``;
    parameters ``weight`` (out_features, in_features) and ``bias`` (out_features,) or
    None, so ``load_state_dict`` works both ways with ``torch.nn.Linear``. Input
    (..., in_features) → output (..., out_features).

    Default initialisation, as PyTorch's: weight and bias uniform in ±1/√in_features
    (PyTorch writes it as ``kaiming_uniform_(a=√5)``, which reduces to that bound).
    Its variance 1/(3·in_features) keeps activations from exploding, but it shrinks
    them through deep ReLU stacks; :func:`init_weight_` offers the alternatives.

    Deliberate differences: ``bias`` must be a bool (PyTorch accepts any truthy value),
    and bad inputs raise ``ValueError``/``TypeError`` naming the argument (PyTorch raises
    ``RuntimeError``).

    ``fused = True`` (:func:`~lbdl_book.nn.fused.set_fused`): the models' fast path,
    PyTorch's ``F.linear`` (one fused product and bias), without the checks."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, device=None, dtype=None):
        super().__init__()
        _check_size(in_features, "in_features", 0)
        _check_size(out_features, "out_features", 0)
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool, got {type(bias).__name__}")
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight and bias ~ U(−1/√in_features, +1/√in_features), PyTorch's default."""
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return F.linear(x, self.weight, self.bias)
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return self._fused_repr(f"in_features={self.in_features}, out_features={self.out_features}, "
                                f"bias={self.bias is not None}")


# Initialisation schemes: the name, and the standard deviation of the weights as a
# function of fan_in = D, the number of inputs of one unit. The names used elsewhere
# for them (LeCun, Xavier/Glorot, He/Kaiming) are not in LBDL.
INIT_SCHEMES = ("unit", "fan_in", "fan_in_relu", "default")


def init_std(scheme: str, fan_in: int) -> float:
    """The standard deviation of the weights of ``scheme`` for a layer with ``fan_in`` inputs.

    * ``"unit"``: N(0, 1), the naive choice, whatever the width.
    * ``"fan_in"``: N(0, 1/fan_in): a linear unit keeps the second moment of its inputs
      (called LeCun initialisation; it equals Glorot and Bengio's 2/(fan_in + fan_out)
      for square layers).
    * ``"fan_in_relu"``: N(0, 2/fan_in): compensates the half of the signal a ReLU
      zeroes, [He et al., 2015] (PyTorch's ``kaiming_normal_(nonlinearity="relu")``).
    * ``"default"``: U(±1/√fan_in), PyTorch's default, of std 1/√(3·fan_in)."""
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"scheme must be one of {INIT_SCHEMES}, got {scheme!r}")
    _check_size(fan_in, "fan_in")
    return {"unit": 1.0, "fan_in": 1 / math.sqrt(fan_in), "fan_in_relu": math.sqrt(2 / fan_in),
            "default": 1 / math.sqrt(3 * fan_in)}[scheme]


def init_weight_(weight: torch.Tensor, scheme: str, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Fill ``weight`` (out_features, in_features) in place from ``scheme`` (see
    :func:`init_std`) and return it. fan_in = ``weight.shape[1]``."""
    _check_float_tensor(weight, "weight")
    if weight.dim() != 2:
        raise ValueError(f"weight must have shape (out_features, in_features), got {tuple(weight.shape)}")
    std = init_std(scheme, weight.shape[1])
    with torch.no_grad():
        if scheme == "default":
            bound = math.sqrt(3) * std                   # = 1/√fan_in
            return weight.uniform_(-bound, bound, generator=generator)
        return weight.normal_(0.0, std, generator=generator)


def forward_stds(depth: int, width: int, scheme: str, *, batch_size: int = 256, seed: int = 0,
                 dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """Standard deviations of the activations through ``depth`` linear+ReLU layers.

    The input is a (batch_size, width) standard Gaussian; layer l computes
    x_l = relu(W_l x_{l−1}) with W_l (width × width) drawn from ``scheme`` and no bias.
    Returns a (depth + 1,) tensor: the std of x_0 (≈ 1), then of each x_l. Per layer the
    second moment of the activations is multiplied by about width · std² / 2 (the ReLU
    keeps half of it), which is 1 only for ``"fan_in_relu"``. float64 by default, so
    that even the exploding scheme stays finite over 50 layers of width 256."""
    _check_size(depth, "depth")
    _check_size(width, "width")
    _check_size(batch_size, "batch_size", 2)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch_size, width, generator=g, dtype=dtype)
    stds = [x.std()]
    weight = torch.empty(width, width, dtype=dtype)
    for _ in range(depth):
        init_weight_(weight, scheme, generator=g)
        x = linear(x, weight).clamp_min(0)               # ReLU
        stds.append(x.std())
    return torch.stack(stds)
