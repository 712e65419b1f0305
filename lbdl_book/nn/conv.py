"""Convolutional layers (LBDL §4.2, "Convolutional layers"), from the book's φ and ψ.

A 1D convolution with kernel size K, D input channels and D' output channels applies
one affine map φ(·; w): R^{D×K} → R^{D'} to every D × K window of a D × T input and
stores the results side by side: a D' × (T − K + 1) output. Its parameters are D'
filters of size D × K and a bias of dimension D'. A 2D convolution does the same with
D × K × L windows of a D × H × W input. Written as code, "every window" is
``unfold`` (a data movement that lays the windows out as the rows of a matrix) and
"φ" is one matrix product with the filters: :func:`conv1d`, :func:`conv2d`.

A transposed convolution goes the other way: it applies an affine map
ψ(·; w): R^D → R^{D'×K} to every input column and adds up the resulting D' × K
patches, each shifted to the position of its column. Written as code, "ψ on every
column" is one matrix product and "shifted and summed" is a scatter-add
(``index_add``): :func:`conv_transpose1d`, :func:`conv_transpose2d`. It is the
transpose (adjoint) of the convolution with the same weights, hence its name.

Padding (zeros added around the input), stride (the step between windows) and
dilation (the step between the taps of one window) are the three extra
hyper-parameters; :func:`conv_output_size` gives the resulting size and
:func:`receptive_field` the size of the input region that one output unit depends on.

The modules :class:`Conv1d`, :class:`Conv2d`, :class:`ConvTranspose1d` and
:class:`ConvTranspose2d` have the constructor, attributes and parameters (``weight``,
``bias``) of their ``torch.nn`` twins, so weights load across with
``load_state_dict``. Deliberate differences: bad arguments raise ``ValueError`` or
``TypeError`` (PyTorch often raises ``RuntimeError``), ``bias`` must be a bool, and
``weight`` must have the dtype of the input; no 3D versions, no lazy modules, no
complex dtypes. ``groups`` is supported (the channels are split into
``groups`` independent convolutions, one Python iteration per group).

``fused = True`` (the four modules are :class:`~lbdl_book.nn.fused.Fusable`): the models'
fast path, PyTorch's convolution kernels (``F.conv1d``, ``F.conv2d``,
``F.conv_transpose1d``, ``F.conv_transpose2d``) on the same parameters, without the checks.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .fused import Fusable

__all__ = [
    "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "ReceptiveField",
    "conv1d", "conv2d", "conv_output_size", "conv_transpose1d", "conv_transpose2d",
    "conv_transpose_output_size", "receptive_field",
]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


# --- argument checks ----------------------------------------------------------------------

def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ints(value, dims: int, name: str, minimum: int) -> tuple[int, ...]:
    """An int or a sequence of ``dims`` ints, each >= ``minimum``, as a tuple of ``dims`` ints."""
    values = (value,) * dims if _is_int(value) else value
    if (not isinstance(values, (tuple, list)) or len(values) != dims
            or not all(_is_int(v) and v >= minimum for v in values)):
        expected = "an int" if dims == 1 else f"an int or a tuple of {dims} ints"
        raise ValueError(f"{name} must be {expected} >= {minimum}, got {value!r}")
    return tuple(values)


def _check_float(x, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")


def _check_groups(groups) -> None:
    if not _is_int(groups) or groups < 1:
        raise ValueError(f"groups must be an int >= 1, got {groups!r}")


def _check_inputs(x, weight, bias, dims: int, groups: int, transposed: bool, op: str) -> tuple[torch.Tensor, bool]:
    """Check x, weight and bias of a convolution with ``dims`` spatial dimensions; return x
    with a batch dimension, and whether it had none (PyTorch accepts unbatched inputs)."""
    _check_float(x, "x")
    _check_float(weight, "weight")
    _check_groups(groups)
    if x.dim() not in (dims + 1, dims + 2):
        spatial = "L" if dims == 1 else "H, W"
        raise ValueError(f"{op}: x must have shape (N, C, {spatial}) or (C, {spatial}), got {tuple(x.shape)}")
    if weight.dim() != dims + 2:
        raise ValueError(f"{op}: weight must have {dims + 2} dimensions, got shape {tuple(weight.shape)}")
    if weight.dtype != x.dtype:
        raise TypeError(f"{op}: weight must have the dtype of x ({x.dtype}), got {weight.dtype}")
    unbatched = x.dim() == dims + 1
    if unbatched:
        x = x.unsqueeze(0)
    channels = x.shape[1]
    if transposed:
        # weight: (D, D'/groups, K...) — one ψ per input channel group
        if weight.shape[0] != channels or channels % groups:
            raise ValueError(f"{op}: weight of shape {tuple(weight.shape)} expects {weight.shape[0]} input channels "
                             f"divisible by groups={groups}, got x of shape {tuple(x.shape)}")
        out_channels = weight.shape[1] * groups
    else:
        # weight: (D', D/groups, K...) — D' filters, each seeing D/groups channels
        if weight.shape[1] * groups != channels or weight.shape[0] % groups:
            raise ValueError(f"{op}: weight of shape {tuple(weight.shape)} with groups={groups} expects "
                             f"{weight.shape[1] * groups} input channels (and out_channels divisible by groups), "
                             f"got x of shape {tuple(x.shape)}")
        out_channels = weight.shape[0]
    if any(k < 1 for k in weight.shape[2:]):
        raise ValueError(f"{op}: kernel sizes must be >= 1, got weight of shape {tuple(weight.shape)}")
    if bias is not None:
        _check_float(bias, "bias")
        if bias.dtype != x.dtype:
            raise TypeError(f"{op}: bias must have the dtype of x ({x.dtype}), got {bias.dtype}")
        if bias.shape != (out_channels,):
            raise ValueError(f"{op}: bias must have shape ({out_channels},), got {tuple(bias.shape)}")
    return x, unbatched


def _conv_padding(padding, dims: int, dilation: tuple[int, ...], kernel: tuple[int, ...],
                  stride: tuple[int, ...]) -> list[int]:
    """The zeros to add on each side, in ``F.pad`` order (last dimension first, left then right).

    ``padding``: an int, a tuple of ints, ``"valid"`` (no padding) or ``"same"`` (output
    size = input size, stride 1 only; an odd total d·(K − 1) puts the extra zero on the
    right, as PyTorch does)."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"padding must be an int, a tuple of ints, 'valid' or 'same', got {padding!r}")
        if padding == "valid":
            return [0] * (2 * dims)
        if any(s != 1 for s in stride):
            raise ValueError(f"padding='same' needs stride 1, got stride={stride}")
        pads = []
        for d, k in zip(reversed(dilation), reversed(kernel)):
            total = d * (k - 1)
            pads += [total // 2, total - total // 2]
        return pads
    p = _ints(padding, dims, "padding", 0)
    return [side for q in reversed(p) for side in (q, q)]


# --- sizes ----------------------------------------------------------------------------------

def conv_output_size(length: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """T' = ⌊(T + 2p − d·(K − 1) − 1) / s⌋ + 1, the output size of a convolution along one axis.

    With p = 0 and d = 1 it is LBDL's T' = (T − K)/S + 1 (with the floor when S does not
    divide T − K). The formula with padding and dilation is PyTorch's, not the book's.
    Raises ValueError when the padded input is shorter than the dilated kernel."""
    _ints(length, 1, "length", 1)
    _ints(kernel_size, 1, "kernel_size", 1)
    _ints(stride, 1, "stride", 1)
    _ints(padding, 1, "padding", 0)
    _ints(dilation, 1, "dilation", 1)
    span = dilation * (kernel_size - 1) + 1               # the input cells one window covers
    if length + 2 * padding < span:
        raise ValueError(f"the padded input (length {length} + 2·{padding}) is shorter than the dilated kernel "
                         f"(span {span} = {dilation}·({kernel_size} − 1) + 1)")
    return (length + 2 * padding - span) // stride + 1


def conv_transpose_output_size(length: int, kernel_size: int, stride: int = 1, padding: int = 0,
                               output_padding: int = 0, dilation: int = 1) -> int:
    """(T − 1)·s − 2p + d·(K − 1) + output_padding + 1, the output size of a transposed
    convolution along one axis: the span of the T shifted patches, minus ``padding`` cells
    cropped on each side, plus ``output_padding`` cells added on the right (to reach a
    size that a strided convolution maps back to T)."""
    _ints(length, 1, "length", 1)
    _ints(kernel_size, 1, "kernel_size", 1)
    _ints(stride, 1, "stride", 1)
    _ints(padding, 1, "padding", 0)
    _ints(dilation, 1, "dilation", 1)
    _ints(output_padding, 1, "output_padding", 0)
    if output_padding >= max(stride, dilation):
        raise ValueError(f"output_padding must be smaller than stride or dilation, got output_padding={output_padding} "
                         f"with stride={stride}, dilation={dilation}")
    size = (length - 1) * stride - 2 * padding + dilation * (kernel_size - 1) + output_padding + 1
    if size < 1:
        raise ValueError(f"padding={padding} crops the whole output of length "
                         f"{size + 2 * padding} (input length {length}, kernel_size {kernel_size})")
    return size


class ReceptiveField(NamedTuple):
    """``size``: number of consecutive input cells one output unit depends on, along one
    axis; ``jump``: distance, in input cells, between the fields of neighbouring units."""

    size: int
    jump: int


def _layer_hyper_parameters(layer, axis: int) -> tuple[int, int, int]:
    if _is_int(layer):
        layer = (layer,)
    if isinstance(layer, nn.Module):
        if not hasattr(layer, "kernel_size"):
            raise TypeError(f"layers must be ints, (kernel, stride, dilation) tuples or modules with a kernel_size, "
                            f"got {type(layer).__name__}")
        values = []
        for name in ("kernel_size", "stride", "dilation"):
            value = getattr(layer, name, 1)
            value = value if _is_int(value) else value[axis]
            values.append(value)
        layer = tuple(values)
    if not isinstance(layer, (tuple, list)) or not 1 <= len(layer) <= 3:
        raise TypeError(f"each layer must be an int, a (kernel[, stride[, dilation]]) tuple or a conv/pool module, "
                        f"got {layer!r}")
    kernel, stride, dilation = (*layer, 1, 1)[:3]                  # stride and dilation default to 1
    for name, value in (("kernel", kernel), ("stride", stride), ("dilation", dilation)):
        _ints(value, 1, f"layer {name}", 1)
    return kernel, stride, dilation


def receptive_field(layers: Iterable, axis: int = 0) -> ReceptiveField:
    """Receptive field of one output unit of a stack of convolution (or pooling) layers.

    ``layers``: from input to output, each an int K, a tuple (K, stride, dilation)
    (stride and dilation default to 1), or a module with ``kernel_size``, ``stride`` and
    ``dilation`` attributes (for 2D modules, ``axis`` picks the dimension).

    Layer l widens the field by d_l·(K_l − 1) of its input cells, each of which is
    ``jump`` input cells apart, and multiplies the jump by its stride:
    size_l = size_{l−1} + d_l·(K_l − 1)·jump_{l−1}, jump_l = jump_{l−1}·s_l, from size 1 and
    jump 1. Padding moves the field, not its size. Returns a :class:`ReceptiveField`."""
    if isinstance(layers, (str, bytes, torch.Tensor)) or not isinstance(layers, Iterable):
        raise TypeError(f"layers must be a sequence of layers (ints, tuples or conv/pool modules), got "
                        f"{type(layers).__name__}")
    size, jump = 1, 1
    for layer in layers:
        kernel, stride, dilation = _layer_hyper_parameters(layer, axis)
        size += dilation * (kernel - 1) * jump
        jump *= stride
    return ReceptiveField(size, jump)


# --- convolutions: φ on every window ------------------------------------------------------

def conv1d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> torch.Tensor:
    """1D convolution: φ(window) = W·window + b on every D × K window of x.

    ``x``: (N, D, T) or (D, T); ``weight``: (D', D/groups, K); ``bias``: (D',) or None;
    ``stride``, ``dilation``: ints >= 1; ``padding``: int >= 0, ``"valid"`` or ``"same"``.
    Returns (N, D', T') with T' = :func:`conv_output_size` (or (D', T')). Same signature
    and result as ``torch.nn.functional.conv1d``."""
    x, unbatched = _check_inputs(x, weight, bias, 1, groups, False, "conv1d")
    (s,), (d,) = _ints(stride, 1, "stride", 1), _ints(dilation, 1, "dilation", 1)
    k = weight.shape[2]
    x = F.pad(x, _conv_padding(padding, 1, (d,), (k,), (s,)))          # zeros on both sides
    conv_output_size(x.shape[2], k, s, 0, d)                            # raises if x is too short
    if groups > 1:                      # `groups` independent convolutions on slices of the channels
        y = torch.cat([conv1d(xg, wg, None, s, 0, d) for xg, wg in zip(x.chunk(groups, 1), weight.chunk(groups, 0))], 1)
    else:
        windows = x.unfold(2, d * (k - 1) + 1, s)[..., ::d]            # (N, D, T', K): every window, K taps
        rows = windows.permute(0, 2, 1, 3).flatten(2)                   # (N, T', D·K): one row per window
        y = (rows @ weight.flatten(1).T).transpose(1, 2)                # φ on every row: (N, D', T')
    if bias is not None:
        y = y + bias[:, None]
    return y[0] if unbatched else y


def conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride=1, padding=0,
           dilation=1, groups: int = 1) -> torch.Tensor:
    """2D convolution: φ(window) = W·window + b on every D × K × L window of x.

    ``x``: (N, D, H, W) or (D, H, W); ``weight``: (D', D/groups, K, L); ``bias``: (D',) or
    None; ``stride``, ``padding``, ``dilation``: an int or a pair (height, width), or
    ``padding="valid"``/``"same"``. Returns (N, D', H', W') (or (D', H', W')). Same
    signature and result as ``torch.nn.functional.conv2d``."""
    x, unbatched = _check_inputs(x, weight, bias, 2, groups, False, "conv2d")
    s, d = _ints(stride, 2, "stride", 1), _ints(dilation, 2, "dilation", 1)
    k = tuple(weight.shape[2:])
    x = F.pad(x, _conv_padding(padding, 2, d, k, s))
    h_out, w_out = (conv_output_size(x.shape[2 + i], k[i], s[i], 0, d[i]) for i in range(2))
    if groups > 1:
        y = torch.cat([conv2d(xg, wg, None, s, 0, d) for xg, wg in zip(x.chunk(groups, 1), weight.chunk(groups, 0))], 1)
    else:
        columns = F.unfold(x, k, dilation=d, stride=s)                  # (N, D·K·L, H'·W'): one column per window
        y = (weight.flatten(1) @ columns).unflatten(2, (h_out, w_out))  # φ on every column: (N, D', H', W')
    if bias is not None:
        y = y + bias[:, None, None]
    return y[0] if unbatched else y


# --- transposed convolutions: ψ on every column, shifted patches summed -----------------

def _transposed_args(stride, padding, output_padding, dilation, dims: int):
    s = _ints(stride, dims, "stride", 1)
    p = _ints(padding, dims, "padding", 0)
    op = _ints(output_padding, dims, "output_padding", 0)
    d = _ints(dilation, dims, "dilation", 1)
    for i in range(dims):
        if op[i] >= max(s[i], d[i]):
            raise ValueError(f"output_padding must be smaller than stride or dilation, got output_padding={op} with "
                             f"stride={s}, dilation={d}")
    return s, p, op, d


def conv_transpose1d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> torch.Tensor:
    """1D transposed convolution: ψ(column) = patch of D' × K on every input column, the
    patch of column t added at positions t·s + k·d, k = 0 … K − 1.

    ``x``: (N, D, T) or (D, T); ``weight``: (D, D'/groups, K) (input channels first, as in
    PyTorch); ``bias``: (D',) or None. The full sum has (T − 1)·s + d·(K − 1) + 1 positions;
    ``padding`` crops that many on each side and ``output_padding`` adds cells on the
    right. Returns (N, D', T') with T' = :func:`conv_transpose_output_size`. Same
    signature and result as ``torch.nn.functional.conv_transpose1d``."""
    x, unbatched = _check_inputs(x, weight, bias, 1, groups, True, "conv_transpose1d")
    (s,), (p,), (op,), (d,) = _transposed_args(stride, padding, output_padding, dilation, 1)
    n, _, t = x.shape
    k = weight.shape[2]
    t_out = conv_transpose_output_size(t, k, s, p, op, d)
    if groups > 1:
        y = torch.cat([conv_transpose1d(xg, wg, None, s, p, op, 1, d)
                       for xg, wg in zip(x.chunk(groups, 1), weight.chunk(groups, 0))], 1)
    else:
        c_out = weight.shape[1]
        patches = (x.transpose(1, 2) @ weight.flatten(1)).unflatten(2, (c_out, k))  # ψ: (N, T, D', K)
        where = torch.arange(t, device=x.device)[:, None] * s + torch.arange(k, device=x.device) * d  # (T, K)
        full = x.new_zeros(n, c_out, t_out + 2 * p)                     # every position a patch can reach
        full = full.index_add(2, where.flatten(), patches.permute(0, 2, 1, 3).flatten(2))  # shift and sum
        y = full[:, :, p:p + t_out]                                     # crop the padding
    if bias is not None:
        y = y + bias[:, None]
    return y[0] if unbatched else y


def conv_transpose2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None, stride=1,
                     padding=0, output_padding=0, groups: int = 1, dilation=1) -> torch.Tensor:
    """2D transposed convolution: ψ(column) = patch of D' × K × L on every input column
    x[:, :, h, w], added at rows h·s_h + k·d_h and columns w·s_w + l·d_w.

    ``x``: (N, D, H, W) or (D, H, W); ``weight``: (D, D'/groups, K, L); ``bias``: (D',) or
    None; the hyper-parameters are ints or (height, width) pairs. Returns (N, D', H', W').
    Same signature and result as ``torch.nn.functional.conv_transpose2d``."""
    x, unbatched = _check_inputs(x, weight, bias, 2, groups, True, "conv_transpose2d")
    s, p, op, d = _transposed_args(stride, padding, output_padding, dilation, 2)
    n, _, h, w = x.shape
    k, l = weight.shape[2:]
    h_out = conv_transpose_output_size(h, k, s[0], p[0], op[0], d[0])
    w_out = conv_transpose_output_size(w, l, s[1], p[1], op[1], d[1])
    if groups > 1:
        y = torch.cat([conv_transpose2d(xg, wg, None, s, p, op, 1, d)
                       for xg, wg in zip(x.chunk(groups, 1), weight.chunk(groups, 0))], 1)
    else:
        c_out = weight.shape[1]
        patches = (x.permute(0, 2, 3, 1) @ weight.flatten(1)).unflatten(3, (c_out, k, l))  # ψ: (N, H, W, D', K, L)
        rows = torch.arange(h, device=x.device)[:, None] * s[0] + torch.arange(k, device=x.device) * d[0]  # (H, K)
        cols = torch.arange(w, device=x.device)[:, None] * s[1] + torch.arange(l, device=x.device) * d[1]  # (W, L)
        full_w = w_out + 2 * p[1]
        where = rows[:, None, :, None] * full_w + cols[None, :, None, :]  # (H, W, K, L): flat output position
        full = x.new_zeros(n, c_out, (h_out + 2 * p[0]) * full_w)
        full = full.index_add(2, where.flatten(), patches.permute(0, 3, 1, 2, 4, 5).flatten(2))
        y = full.unflatten(2, (h_out + 2 * p[0], full_w))[:, :, p[0]:p[0] + h_out, p[1]:p[1] + w_out]
    if bias is not None:
        y = y + bias[:, None, None]
    return y[0] if unbatched else y


# --- modules ----------------------------------------------------------------------------------

class _ConvNd(Fusable, nn.Module):
    """What the four modules share: hyper-parameters, parameters and their initialisation."""

    _dims = 0
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                 bias, padding_mode, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name}: {arg} must be an int >= 1, got {value!r}")
        _check_groups(groups)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must be divisible "
                             f"by groups ({groups})")
        if not isinstance(bias, bool):
            raise TypeError(f"{name}: bias must be a bool, got {type(bias).__name__}")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        dims = self._dims
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _ints(kernel_size, dims, "kernel_size", 1)
        self.stride = _ints(stride, dims, "stride", 1)
        self.dilation = _ints(dilation, dims, "dilation", 1)
        if isinstance(padding, str) and not self._transposed:
            self._pad = _conv_padding(padding, dims, self.dilation, self.kernel_size, self.stride)  # checks it
            self.padding = padding
        else:
            self.padding = _ints(padding, dims, "padding", 0)
            self._pad = [side for q in reversed(self.padding) for side in (q, q)]
        self.output_padding = _ints(output_padding, dims, "output_padding", 0)
        if self._transposed:
            _transposed_args(self.stride, self.padding, self.output_padding, self.dilation, dims)
        self.padding_mode = padding_mode
        self.transposed = self._transposed
        shape = ((in_channels, out_channels // groups) if self._transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = nn.Parameter(torch.empty(shape, device=device, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight and bias ~ U(±1/√fan_in), fan_in = weight.shape[1]·prod(kernel_size): PyTorch's default."""
        fan_in = self.weight.shape[1] * math.prod(self.kernel_size)
        bound = 1 / math.sqrt(fan_in)
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * self._dims:
            text += f", padding={self.padding}"
        if self.dilation != (1,) * self._dims:
            text += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self._dims:
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return self._fused_repr(text)


class _Conv(_ConvNd):
    _function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, 0, groups, bias,
                         padding_mode, device, dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:                      # PyTorch's kernel, which takes the same arguments
            convolution = F.conv1d if self._dims == 1 else F.conv2d
            if self.padding_mode == "zeros":
                return convolution(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
            return convolution(F.pad(x, self._pad, mode=self.padding_mode), self.weight, self.bias, self.stride, 0,
                               self.dilation, self.groups)
        convolution = type(self)._function
        if self.padding_mode == "zeros":
            return convolution(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)
        _check_float(x, "x")
        x = F.pad(x, self._pad, mode=self.padding_mode)   # reflect / replicate / circular, then no padding
        return convolution(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


class Conv1d(_Conv):
    """1D convolution layer, interface of ``torch.nn.Conv1d``:
    ``Conv1d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
    padding_mode='zeros', device=None, dtype=None)``. ``weight``: (out_channels,
    in_channels/groups, K); ``bias``: (out_channels,). Input (N, D, T) or (D, T) → (N, D', T')."""

    _dims = 1
    _function = staticmethod(conv1d)


class Conv2d(_Conv):
    """2D convolution layer, interface of ``torch.nn.Conv2d``:
    ``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
    padding_mode='zeros', device=None, dtype=None)``. ``weight``: (out_channels,
    in_channels/groups, K, L); ``bias``: (out_channels,). Input (N, D, H, W) or (D, H, W)."""

    _dims = 2
    _function = staticmethod(conv2d)


class _ConvTranspose(_ConvNd):
    _transposed = True
    _function = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, groups,
                         bias, padding_mode, device, dtype)

    def forward(self, x: torch.Tensor, output_size=None) -> torch.Tensor:
        """``output_size`` (optional): the spatial size wanted, which fixes output_padding
        (a strided convolution maps several sizes to the same one), as in PyTorch."""
        output_padding = self.output_padding
        if output_size is not None:
            _check_float(x, "x")
            wanted = tuple(output_size)[-self._dims:]
            spatial = x.shape[-self._dims:]
            smallest = [conv_transpose_output_size(spatial[i], self.kernel_size[i], self.stride[i], self.padding[i],
                                                   0, self.dilation[i]) for i in range(self._dims)]
            output_padding = tuple(want - low for want, low in zip(wanted, smallest))
            if len(wanted) != self._dims or any(not 0 <= q < max(s, d) for q, s, d in
                                                zip(output_padding, self.stride, self.dilation)):
                raise ValueError(f"{type(self).__name__}: output_size {tuple(output_size)} is not reachable from an "
                                 f"input of spatial size {tuple(spatial)}; the smallest is {tuple(smallest)}")
        if self.fused:
            convolution = F.conv_transpose1d if self._dims == 1 else F.conv_transpose2d
        else:
            convolution = type(self)._function
        return convolution(x, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                           self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """1D transposed convolution layer, interface of ``torch.nn.ConvTranspose1d``:
    ``ConvTranspose1d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
    bias=True, dilation=1, padding_mode='zeros', device=None, dtype=None)``. ``weight``:
    (in_channels, out_channels/groups, K); ``bias``: (out_channels,)."""

    _dims = 1
    _function = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2D transposed convolution layer, interface of ``torch.nn.ConvTranspose2d``:
    ``ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
    bias=True, dilation=1, padding_mode='zeros', device=None, dtype=None)``. ``weight``:
    (in_channels, out_channels/groups, K, L); ``bias``: (out_channels,)."""

    _dims = 2
    _function = staticmethod(conv_transpose2d)
