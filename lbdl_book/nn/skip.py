"""Skip connections (LBDL §4.7): carry a signal unchanged past some layers.

A skip connection is not a layer but a way of wiring layers: the output x of some
layer is transported as it is further into the model, where it is either
concatenated with, or added to, the signal arriving there. The additive form over a
few layers is the **residual connection** [He et al. 2016]: a block computes

    y = x + f(x),

so that f only has to learn a correction to its input, and the Jacobian of the block,
I + ∂f/∂x, always contains the identity. In the backward pass the gradient reaches x
through the identity whatever f does to it, which is why models with residual
connections can have hundreds of layers.

Here: :class:`Residual` (addition) and :class:`ConcatSkip` (concatenation) wrappers,
the builders :func:`plain_mlp` and :func:`residual_mlp` of the demo of §4.7, two
networks that differ only by the "+ x" of their hidden blocks, and
:func:`weight_gradient_norms`, the per-layer gradient norms that compare them.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from .._checks import tensor
from ..losses import cross_entropy
from .activations import ReLU
from .linear import Linear
from .norm import BatchNorm1d, LayerNorm

__all__ = ["ConcatSkip", "Residual", "plain_mlp", "residual_mlp", "weight_gradient_norms"]


def _check_module(module, name: str) -> None:
    if not isinstance(module, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(module).__name__}")


class Residual(nn.Module):
    """y = x + branch(x): a residual connection around ``branch``.

    ``branch`` must return a tensor of the shape of its input (B, *): the sum is
    element-wise, without broadcasting (a ``ValueError`` names both shapes otherwise).
    Its parameters appear in the state dict as ``branch.<name>``."""

    def __init__(self, branch: nn.Module) -> None:
        super().__init__()
        _check_module(branch, "branch")
        self.branch = branch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tensor(x, "x")
        fx = self.branch(x)
        if not isinstance(fx, torch.Tensor) or fx.shape != x.shape:
            got = tuple(fx.shape) if isinstance(fx, torch.Tensor) else type(fx).__name__
            raise ValueError(f"the branch of a Residual must keep the shape of its input to be added to it: input "
                             f"{tuple(x.shape)}, branch output {got}")
        return x + fx


class ConcatSkip(nn.Module):
    """y = concat(x, branch(x)) along ``dim``: the skip connection that concatenates.

    The branch may change the size of dimension ``dim`` (the channels, dim 1 by
    default) but no other: (B, C, *) and (B, C', *) give (B, C + C', *). The layer that
    follows must accept the wider input, which is the price of concatenation."""

    def __init__(self, branch: nn.Module, dim: int = 1) -> None:
        super().__init__()
        _check_module(branch, "branch")
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise TypeError(f"dim must be an int, got {type(dim).__name__}")
        self.branch, self.dim = branch, dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tensor(x, "x")
        if not -x.dim() <= self.dim < x.dim():
            raise ValueError(f"dim={self.dim} is out of range for an input x of shape {tuple(x.shape)}")
        fx = self.branch(x)
        dim = self.dim % x.dim()
        if fx.dim() != x.dim() or fx.shape[:dim] != x.shape[:dim] or fx.shape[dim + 1:] != x.shape[dim + 1:]:
            raise ValueError(f"the branch of a ConcatSkip may only change dimension {dim} of its input: input "
                             f"{tuple(x.shape)}, branch output {tuple(fx.shape)}")
        return torch.cat([x, fx], dim=dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


NORMS = {"layer": LayerNorm, "batch": BatchNorm1d}


def _block(width: int, out_features: int, norm: str | None) -> nn.Sequential:
    """[normalisation] → ReLU → Linear(width, out_features): one hidden layer of the demo."""
    layers = [NORMS[norm](width)] if norm else []
    return nn.Sequential(*layers, ReLU(), Linear(width, out_features))


def _mlp(depth, width, in_features, out_features, norm, init, residual) -> nn.Sequential:
    for name, value, low in (("depth", depth, 3), ("width", width, 1), ("in_features", in_features, 1),
                             ("out_features", out_features, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    if norm not in (None, *NORMS):
        raise ValueError(f"norm must be None, 'layer' or 'batch', got {norm!r}")
    if init not in ("default", "he"):
        raise ValueError(f"init must be 'default' (PyTorch's) or 'he', got {init!r}")
    hidden = [_block(width, width, norm) for _ in range(depth - 2)]
    model = nn.Sequential(Linear(in_features, width),
                          *[Residual(block) if residual else block for block in hidden],
                          _block(width, out_features, norm))
    if init == "he":                       # N(0, 2 / fan_in) [He et al. 2015], zero biases
        for module in model.modules():
            if isinstance(module, Linear):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                nn.init.zeros_(module.bias)
    return model


def plain_mlp(depth: int, width: int, in_features: int, out_features: int, *, norm: str | None = None,
              init: str = "default") -> nn.Sequential:
    """A chain of ``depth`` linear layers: Linear(in, width), then ``depth − 2`` hidden
    blocks [norm] → ReLU → Linear(width, width), then [norm] → ReLU → Linear(width, out).

    ``norm``: None, ``"layer"`` (:class:`~lbdl_book.nn.norm.LayerNorm`) or ``"batch"``
    (:class:`~lbdl_book.nn.norm.BatchNorm1d`) at the start of every block. ``init``:
    ``"default"`` keeps the initialisation of :class:`~lbdl_book.nn.linear.Linear`, which is
    PyTorch's (weights uniform with variance 1 / (3 fan_in)); ``"he"`` draws them from
    N(0, 2 / fan_in), biases 0. The layers are ``lbdl_book.nn``'s ``Linear`` and ``ReLU``.
    Maps (B, in_features) to (B, out_features)."""
    return _mlp(depth, width, in_features, out_features, norm, init, residual=False)


def residual_mlp(depth: int, width: int, in_features: int, out_features: int, *, norm: str | None = None,
                 init: str = "default") -> nn.Sequential:
    """:func:`plain_mlp` with a :class:`Residual` connection around each hidden block,
    x ← x + Linear(ReLU([norm](x))): the same layers and parameters, plus the identity."""
    return _mlp(depth, width, in_features, out_features, norm, init, residual=True)


def weight_gradient_norms(model: nn.Module, x: torch.Tensor, target: torch.Tensor,
                          loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = cross_entropy
                          ) -> torch.Tensor:
    """‖∂ℓ/∂W‖ for every weight matrix of ``model``, in the order of ``model.parameters()``.

    ℓ = ``loss_fn(model(x), target)`` (by default the cross-entropy of logits and class
    indices). The weight matrices are the parameters named ``weight`` with two or more
    dimensions (linear and convolution layers; not the γ of a normalisation). Returns a
    (L,) tensor of Frobenius norms; the model's ``.grad`` fields are left untouched."""
    _check_module(model, "model")
    weights = [p for name, p in model.named_parameters() if name.rsplit(".", 1)[-1] == "weight" and p.dim() >= 2]
    if not weights:
        raise ValueError("model has no weight matrix (a parameter named 'weight' with two or more dimensions)")
    loss = loss_fn(model(x), target)
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0:
        raise ValueError(f"loss_fn must return a scalar (0-d) tensor, got "
                         f"{tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__}")
    grads = torch.autograd.grad(loss, weights)
    return torch.stack([torch.linalg.vector_norm(g) for g in grads])
