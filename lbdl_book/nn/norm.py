"""Normalizing layers (LBDL §4.6): batch normalization and layer normalization.

Both layers standardise groups of activations, subtracting the empirical mean of the
group and dividing by its empirical standard deviation, then scale and shift the
result with trainable parameters γ (``weight``) and β (``bias``). They differ in the
groups:

* **batch normalization** [Ioffe & Szegedy 2015] takes, for each channel d, the values
  of d across the batch (and across all positions of a B × D × H × W tensor). In
  training mode it uses the statistics of the current batch; in eval mode it uses
  running estimates gathered during training, so that it is a fixed affine map;
* **layer normalization** [Ba et al. 2016] takes, for each sample, all the values of
  its last dimensions (``normalized_shape``: D, or D × H × W). It never mixes samples,
  so it computes the same thing in training and in eval mode.

The modules have the interface of ``torch.nn.BatchNorm1d``, ``BatchNorm2d`` and
``LayerNorm``: same arguments, parameters and buffers, so that state dicts load across.
Where they deliberately differ: a wrong channel count or shape raises ``ValueError``
(PyTorch raises ``RuntimeError``), and there is no lazy, synchronised or legacy
state-dict handling.

``fused = True`` (the three modules are :class:`~lbdl_book.nn.fused.Fusable`): the models'
fast path, PyTorch's kernels ``F.batch_norm`` and ``F.layer_norm`` on the same parameters
and buffers, without the checks.
"""

from __future__ import annotations

from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from .fused import Fusable

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "batch_norm", "layer_norm"]


def _check_float(x, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")


def _check_vector(v, name: str, size: int, what: str) -> None:
    if v is None:
        return
    _check_float(v, name)
    if v.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), one entry per {what}, got {tuple(v.shape)}")


def _check_eps(eps) -> None:
    if isinstance(eps, bool) or not isinstance(eps, Real) or not eps > 0:
        raise ValueError(f"eps must be a number > 0, got {eps!r}")


def batch_norm(x: torch.Tensor, running_mean: torch.Tensor | None, running_var: torch.Tensor | None,
               weight: torch.Tensor | None = None, bias: torch.Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> torch.Tensor:
    """Batch normalization of ``x`` of shape (B, D) or (B, D, *), per channel d = dim 1.

    Training (``training=True``): with the mean and (biased) variance of channel d over
    the batch and the positions, m̂_d = mean x_{b,d,…} and v̂_d = mean (x_{b,d,…} − m̂_d)²,
    it returns y = γ_d (x − m̂_d) / √(v̂_d + ε) + β_d. If ``running_mean`` and
    ``running_var`` are given, they are updated in place as in PyTorch:
    r ← (1 − momentum) r + momentum · s, where s is m̂_d for the mean and the UNBIASED
    variance v̂_d · n / (n − 1) for the variance (n = values per channel).

    Eval (``training=False``): the same formula with the running estimates in place of
    m̂_d and v̂_d, a fixed affine map of each channel.

    ``running_mean``, ``running_var``, ``weight`` (γ) and ``bias`` (β): (D,) or None.
    Returns a tensor of the shape of ``x``. Same arguments as
    ``torch.nn.functional.batch_norm``."""
    _check_float(x, "x")
    if x.dim() < 2:
        raise ValueError(f"x must have shape (B, D) or (B, D, *), got {tuple(x.shape)}")
    d = x.shape[1]
    _check_vector(running_mean, "running_mean", d, "channel of x (dim 1)")
    _check_vector(running_var, "running_var", d, "channel of x (dim 1)")
    _check_vector(weight, "weight", d, "channel of x (dim 1)")
    _check_vector(bias, "bias", d, "channel of x (dim 1)")
    if (running_mean is None) != (running_var is None):
        raise ValueError("running_mean and running_var must be both tensors or both None")
    _check_eps(eps)
    dims = [0, *range(2, x.dim())]                   # every dimension but the channel
    per_channel = (1, d) + (1,) * (x.dim() - 2)      # shape that broadcasts a (D,) vector
    if training:
        n = x.numel() // d if d else 0
        if n < 2:
            raise ValueError(f"batch_norm in training mode needs more than 1 value per channel, got x of shape "
                             f"{tuple(x.shape)}")
        mean = x.mean(dim=dims)                                               # m̂_d, (D,)
        centered = x - mean.view(per_channel)
        var = (centered * centered).mean(dim=dims)                            # v̂_d, (D,), biased
        if running_mean is not None:
            if not 0 <= momentum <= 1:
                raise ValueError(f"momentum must be in [0, 1], got {momentum!r}")
            with torch.no_grad():
                running_mean.mul_(1 - momentum).add_(momentum * mean)
                running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    else:
        if running_mean is None:
            raise ValueError("batch_norm in eval mode (training=False) needs running_mean and running_var")
        mean, var = running_mean, running_var
        centered = x - mean.view(per_channel)
    y = centered / torch.sqrt(var.view(per_channel) + eps)                   # z: mean 0, variance ≈ 1
    if weight is not None:
        y = y * weight.view(per_channel)
    if bias is not None:
        y = y + bias.view(per_channel)
    return y


def _normalized_shape(normalized_shape) -> tuple[int, ...]:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    try:
        shape = tuple(shape)
    except TypeError:
        raise TypeError(f"normalized_shape must be an int or a sequence of ints, got "
                        f"{type(normalized_shape).__name__}") from None
    if not shape or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in shape):
        raise ValueError(f"normalized_shape must be a positive int or a non-empty sequence of positive ints, "
                         f"got {normalized_shape!r}")
    return shape


def layer_norm(x: torch.Tensor, normalized_shape, weight: torch.Tensor | None = None,
               bias: torch.Tensor | None = None, eps: float = 1e-5) -> torch.Tensor:
    """Layer normalization: each sample is normalised over its last dimensions.

    ``x``: (*, *normalized_shape), e.g. (B, D) with ``normalized_shape=D``, or
    (B, D, H, W) with ``(D, H, W)``. With m and v the mean and (biased) variance of the
    normalised dimensions of one sample, y = γ (x − m) / √(v + ε) + β, where ``weight``
    (γ) and ``bias`` (β) have shape ``normalized_shape``: one scale and one shift per
    component. Returns a tensor of the shape of ``x``. Same arguments as
    ``torch.nn.functional.layer_norm``."""
    shape = _normalized_shape(normalized_shape)
    _check_float(x, "x")
    if x.dim() < len(shape) or tuple(x.shape[x.dim() - len(shape):]) != shape:
        raise ValueError(f"x must have shape (*, {', '.join(map(str, shape))}) to be normalised over "
                         f"normalized_shape={shape}, got {tuple(x.shape)}")
    for name, p in (("weight", weight), ("bias", bias)):
        if p is not None:
            _check_float(p, name)
            if tuple(p.shape) != shape:
                raise ValueError(f"{name} must have shape normalized_shape={shape}, got {tuple(p.shape)}")
    _check_eps(eps)
    dims = tuple(range(-len(shape), 0))
    centered = x - x.mean(dim=dims, keepdim=True)                   # minus the mean of each sample
    var = (centered * centered).mean(dim=dims, keepdim=True)        # one biased variance per sample
    y = centered / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


class _BatchNorm(Fusable, nn.Module):
    """Common code of :class:`BatchNorm1d` and :class:`BatchNorm2d`."""

    expected = ""          # what _check_input_dim accepts, for error messages

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, int) or num_features < 1:
            raise ValueError(f"num_features must be a positive int, got {num_features!r}")
        _check_eps(eps)
        if momentum is not None and (isinstance(momentum, bool) or not isinstance(momentum, Real)
                                     or not 0 <= momentum <= 1):
            raise ValueError(f"momentum must be a number in [0, 1] or None, got {momentum!r}")
        factory = {"device": device, "dtype": dtype}
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features, **factory))               # γ
            if bias:
                self.bias = nn.Parameter(torch.zeros(num_features, **factory))            # β
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **factory))
            self.register_buffer("running_var", torch.ones(num_features, **factory))
            self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, no batch seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """γ = 1, β = 0 (the identity on normalised values), and fresh running statistics."""
        self.reset_running_stats()
        if self.affine:
            nn.init.ones_(self.weight)
            if self.bias is not None:
                nn.init.zeros_(self.bias)

    def _check_input_dim(self, x: torch.Tensor) -> None:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.fused:                       # the fused path leaves the checks to the model's entry
            _check_float(x, "x")
            self._check_input_dim(x)
            if x.shape[1] != self.num_features:
                raise ValueError(f"{type(self).__name__}({self.num_features}) expects {self.num_features} channels "
                                 f"in dim 1 of its input {self.expected}, got shape {tuple(x.shape)}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:            # cumulative average: every batch counts the same
                momentum = 1.0 / float(self.num_batches_tracked)
        # Batch statistics in training mode, and in eval mode when there are no running estimates.
        use_batch = self.training or self.running_mean is None
        update = not self.training or self.track_running_stats
        normalize = F.batch_norm if self.fused else batch_norm      # same arguments, same semantics
        return normalize(x, self.running_mean if update else None, self.running_var if update else None,
                         self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return self._fused_repr(f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                                f"affine={self.affine}, bias={self.bias is not None}, "
                                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (B, D) or (B, D, L) inputs, per channel d (dim 1).

    Same interface as ``torch.nn.BatchNorm1d``: parameters ``weight`` (γ, ones) and
    ``bias`` (β, zeros) of shape (D,) if ``affine``; buffers ``running_mean`` (zeros),
    ``running_var`` (ones) of shape (D,) and ``num_batches_tracked`` (0-d int64) if
    ``track_running_stats``. ``momentum=None`` averages all batches equally."""

    expected = "(B, D) or (B, D, L)"

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() not in (2, 3):
            raise ValueError(f"BatchNorm1d expects an input x of shape (B, D) or (B, D, L), got {tuple(x.shape)}")


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (B, D, H, W) inputs: one mean and one variance per channel
    d, over its B × H × W values; γ_d and β_d do not depend on the position (h, w).
    Same interface as ``torch.nn.BatchNorm2d`` (see :class:`BatchNorm1d`)."""

    expected = "(B, D, H, W)"

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() != 4:
            raise ValueError(f"BatchNorm2d expects an input x of shape (B, D, H, W), got {tuple(x.shape)}")


class LayerNorm(Fusable, nn.Module):
    """Layer normalization over the last dimensions, ``normalized_shape`` (an int D or
    a tuple such as (D, H, W)).

    Same interface as ``torch.nn.LayerNorm``: if ``elementwise_affine``, parameters
    ``weight`` (γ, ones) and, if ``bias``, ``bias`` (β, zeros), both of shape
    ``normalized_shape``; no buffers, since nothing depends on other samples."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True, bias: bool = True,
                 device=None, dtype=None) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        _check_eps(eps)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        factory = {"device": device, "dtype": dtype}
        if elementwise_affine:
            self.weight = nn.Parameter(torch.ones(self.normalized_shape, **factory))
            if bias:
                self.bias = nn.Parameter(torch.zeros(self.normalized_shape, **factory))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """γ = 1 and β = 0."""
        if self.elementwise_affine:
            nn.init.ones_(self.weight)
            if self.bias is not None:
                nn.init.zeros_(self.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return self._fused_repr(f"{self.normalized_shape}, eps={self.eps}, "
                                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
