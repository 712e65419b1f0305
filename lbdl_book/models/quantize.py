"""Quantization of weights (LBDL §8.2): block formats, post-training quantization of a
model, quantization-aware training with a straight-through estimator.

A block format cuts each row of a weight matrix into blocks of B = 32 consecutive
weights and stores, per block, one or two float16 numbers and B small integer codes q.
The book's example is llama.cpp's Q4_1 [Gerganov et al.]: a scale d and a minimum m in
float16 and 4-bit codes q ∈ {0, …, 15},

    d = (max − min) / 15,   m = min,   q_i = round((x_i − m) / d),   x̃_i = d·q_i + m,

20 bytes per block (2 for d, 2 for m, 16 for the 32 codes) instead of 64 in float16:
5 bits per weight. The formats here (:data:`FORMATS`):

    name   codes            stored per block of 32           bytes  bits/weight
    Q8_0   q ∈ [−127, 127]  d, 32 int8                       34     8.5    x̃ = d·q
    Q5_1   q ∈ [0, 31]      d, m, 4 bytes of high bits, 16   24     6.0    x̃ = d·q + m
    Q5_0   q ∈ [0, 31]      d, 4 bytes of high bits, 16      22     5.5    x̃ = d·(q − 16)
    Q4_1   q ∈ [0, 15]      d, m, 16 bytes of nibbles        20     5.0    x̃ = d·q + m
    Q4_0   q ∈ [0, 15]      d, 16 bytes of nibbles           18     4.5    x̃ = d·(q − 8)
    Q3_L   q ∈ [0, 7]       d, m, 12 bytes (bit stream)      16     4.0    x̃ = d·q + m
    Q2_L   q ∈ [0, 3]       d, m, 8 bytes (bit stream)       12     3.0    x̃ = d·q + m

The first five are llama.cpp's "legacy" formats: :func:`quantize_blocks` writes exactly
the bytes llama.cpp writes (the same float32 arithmetic, the same rounding, the same
packing; a test compares them with the ``gguf`` package byte for byte). Q3_L and Q2_L are
this book's own simple formats, built like Q4_1 with 3- and 2-bit codes, for the 2-3 bit
experiments; they are NOT llama.cpp's k-quants (Q3_K, Q2_K use super-blocks of 256 with
quantized scales).

The byte layouts (little-endian float16 for d and m):
- Q8_0: d, then the 32 codes as int8.
- Q4_0, Q4_1: d (, m), then 16 bytes; byte j holds q_j in its low nibble and q_{j+16} in
  its high nibble.
- Q5_0, Q5_1: d (, m), then a 32-bit little-endian word whose bit j is bit 4 of q_j,
  then 16 bytes of the low nibbles packed as in Q4.
- Q3_L, Q2_L: d, m, then the codes as one little-endian bit stream, q_0 in the lowest bits.

How llama.cpp picks the codes (and so do we), for a block x of 32 float32 values:
- Q8_0: d = max|x| / 127, q = round-half-away(x / d).
- Q4_0: M = the entry of largest |x| (the first one if several), d = M / −8,
  q = min(15, trunc(x / d + 8.5)); Q5_0 the same with −16, 16.5 and 31.
- Q4_1: d = (max − min) / 15, q = min(15, trunc((x − min) / d + 0.5)); Q5_1 with 31.
In every case "x / d" is x times the float32 reciprocal 1/d (0 when d = 0), computed
with the float32 d, before d is rounded to float16 for storage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["BLOCK", "FORMATS", "PLAIN", "ROLES", "SMALL_GPT", "BlockFormat", "QuantizedTensor", "add_ste",
           "block_format", "dequantize", "dequantize_blocks", "fake_quantize", "fake_quantize_torch", "model_bytes",
           "quantize", "quantize_blocks", "quantize_model", "remove_ste", "small_gpt", "ste", "train_shipped",
           "weight_matrices", "window_losses"]

BLOCK = 32  # weights per block, in every format here


@dataclass(frozen=True)
class BlockFormat:
    """A block format: ``name``, ``bits`` per code, ``offset`` (True: x̃ = d·q + m, with a
    stored minimum m; False: symmetric, x̃ = d·(q − zero)), ``zero`` (the code of 0 for the
    symmetric formats), ``llama_cpp`` (True if llama.cpp stores the same bytes)."""

    name: str
    bits: int
    offset: bool
    zero: int
    llama_cpp: bool

    @property
    def block_size(self) -> int:
        return BLOCK

    @property
    def bytes_per_block(self) -> int:
        """Bytes of one block of 32 weights: the float16 header (d, and m if ``offset``)
        plus the 32 codes of ``bits`` bits."""
        return 2 * (1 + self.offset) + BLOCK * self.bits // 8

    @property
    def bits_per_weight(self) -> float:
        return 8 * self.bytes_per_block / BLOCK

    @property
    def levels(self) -> int:
        """Largest code + 1 in an offset format; for Q8_0, 255 codes in [−127, 127]."""
        return 255 if self.name == "Q8_0" else 2 ** self.bits


FORMATS: dict[str, BlockFormat] = {
    "Q8_0": BlockFormat("Q8_0", 8, False, 0, True),
    "Q5_1": BlockFormat("Q5_1", 5, True, 0, True),
    "Q5_0": BlockFormat("Q5_0", 5, False, 16, True),
    "Q4_1": BlockFormat("Q4_1", 4, True, 0, True),
    "Q4_0": BlockFormat("Q4_0", 4, False, 8, True),
    "Q3_L": BlockFormat("Q3_L", 3, True, 0, False),
    "Q2_L": BlockFormat("Q2_L", 2, True, 0, False),
}


def block_format(fmt) -> BlockFormat:
    """The :class:`BlockFormat` named ``fmt`` (a key of :data:`FORMATS`), or ``fmt`` itself."""
    if isinstance(fmt, BlockFormat):
        return fmt
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format name (str) or a BlockFormat, got {type(fmt).__name__}")
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {sorted(FORMATS)}, got {fmt!r}")
    return FORMATS[fmt]


def _as_float32(x, name: str) -> np.ndarray:
    """``x`` (torch tensor or NumPy array of floats, last dimension a multiple of 32) as a
    C-contiguous float32 NumPy array on the CPU."""
    if isinstance(x, torch.Tensor):
        if not x.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
        array = x.detach().to("cpu", torch.float32).numpy()
    elif isinstance(x, np.ndarray):
        if x.dtype.kind != "f":
            raise TypeError(f"{name} must be a floating-point array, got {x.dtype}")
        array = x.astype(np.float32)
    else:
        raise TypeError(f"{name} must be a torch.Tensor or a NumPy array, got {type(x).__name__}")
    if array.ndim == 0 or array.shape[-1] == 0 or array.shape[-1] % BLOCK:
        raise ValueError(f"{name}'s last dimension must be a positive multiple of {BLOCK}, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite (no nan or inf)")
    return np.ascontiguousarray(array)


def _round_half_away(a: np.ndarray) -> np.ndarray:
    """C's roundf (halves away from zero), exactly: floor(|a|) + floor(2·frac(|a|)), signed."""
    magnitude = np.abs(a)
    whole = np.floor(magnitude)
    return np.sign(a) * (whole + np.floor(2 * (magnitude - whole)))


def _half_bytes(values: np.ndarray) -> np.ndarray:
    """float32 (n, 1) → their float16 (round to nearest even) as 2 little-endian bytes (n, 2).
    Beyond float16's range (|v| ≥ 65520) the value becomes ±inf, as in llama.cpp."""
    with np.errstate(over="ignore"):
        return values.astype("<f2").view(np.uint8).reshape(-1, 2)


def _pack_bits(codes: np.ndarray, bits: int) -> np.ndarray:
    """uint8 codes (n, 32) < 2**bits → the little-endian bit stream, (n, 32·bits/8) bytes."""
    planes = (codes[:, :, None] >> np.arange(bits, dtype=np.uint8)) & 1           # (n, 32, bits)
    return np.packbits(planes.reshape(len(codes), -1), axis=-1, bitorder="little")


def _encode(blocks: np.ndarray, fmt: BlockFormat) -> np.ndarray:
    """float32 blocks (n, 32) → bytes (n, bytes_per_block), llama.cpp's arithmetic."""
    n = len(blocks)
    if fmt.name == "Q8_0":
        d = np.abs(blocks).max(axis=1, keepdims=True) / np.float32(127)
    elif not fmt.offset:                                                          # Q4_0, Q5_0
        first_largest = np.abs(blocks).argmax(axis=1)[:, None]
        d = np.take_along_axis(blocks, first_largest, axis=1) / np.float32(-fmt.zero)
    else:
        low = blocks.min(axis=1, keepdims=True)
        d = (blocks.max(axis=1, keepdims=True) - low) / np.float32(fmt.levels - 1)
    with np.errstate(divide="ignore"):
        inverse = np.where(d == 0, np.float32(0), np.float32(1) / d).astype(np.float32)
    if fmt.name == "Q8_0":
        codes = _round_half_away(blocks * inverse).astype(np.int8).view(np.uint8)
        return np.concatenate([_half_bytes(d), codes], axis=1)
    if fmt.offset:
        scaled = (blocks - low) * inverse + np.float32(0.5)
    else:
        scaled = blocks * inverse + np.float32(fmt.zero + 0.5)
    codes = np.minimum(np.trunc(scaled).astype(np.uint8), fmt.levels - 1).astype(np.uint8)
    header = [_half_bytes(d)] + ([_half_bytes(low)] if fmt.offset else [])
    if fmt.bits == 4:
        body = [codes[:, :16] | (codes[:, 16:] << np.uint8(4))]
    elif fmt.bits == 5:
        high = np.packbits(codes >> np.uint8(4), axis=1, bitorder="little").reshape(n, 4)
        body = [high, (codes[:, :16] & np.uint8(15)) | (codes[:, 16:] << np.uint8(4))]
    else:
        body = [_pack_bits(codes, fmt.bits)]
    return np.concatenate(header + body, axis=1)


def quantize_blocks(x, fmt) -> torch.Tensor:
    """Encode ``x`` in the block format ``fmt`` (a name of :data:`FORMATS`): the bytes
    llama.cpp writes for the llama.cpp formats.

    ``x``: float tensor or NumPy array of shape (..., K) with K a multiple of 32, finite;
    each row is cut into K/32 blocks of 32 consecutive values. Returns a CPU uint8 tensor
    of shape (..., K/32 · bytes_per_block) (Q4_1: (..., K/32 · 20)), the blocks of each row
    one after the other: the shape and bytes of ``gguf.quants.quantize(x, type)``.
    The encoding runs in NumPy float32 on the CPU, whatever the device of ``x``."""
    fmt = block_format(fmt)
    array = _as_float32(x, "x")
    blocks = array.reshape(-1, BLOCK)
    data = _encode(blocks, fmt).reshape(*array.shape[:-1], array.shape[-1] // BLOCK * fmt.bytes_per_block)
    return torch.from_numpy(np.ascontiguousarray(data))


def _unpack_bits(stream: torch.Tensor, bits: int) -> torch.Tensor:
    """uint8 bit streams (n, 32·bits/8) → int64 codes (n, 32), q_0 in the lowest bits."""
    shifts = torch.arange(8, device=stream.device)
    flat = ((stream.long()[:, :, None] >> shifts) & 1).reshape(len(stream), BLOCK, bits)   # (n, 32, bits)
    return (flat << torch.arange(bits, device=stream.device)).sum(-1)


def dequantize_blocks(data: torch.Tensor, fmt) -> torch.Tensor:
    """Decode bytes written by :func:`quantize_blocks`: uint8 tensor (..., K/32 ·
    bytes_per_block) → float32 tensor (..., K), on the device of ``data``.

    Each weight is x̃ = d·q + m (offset formats) or d·(q − zero) (symmetric ones), d and m
    read as float16 and widened to float32; d·q is exact in float32 (an 11-bit mantissa
    times a code of at most 8 bits), so the only rounding is that of "+ m", the result
    equals ``gguf.quants.dequantize`` bit for bit."""
    fmt = block_format(fmt)
    if not isinstance(data, torch.Tensor):
        raise TypeError(f"data must be a torch.Tensor of uint8, got {type(data).__name__}")
    if data.dtype != torch.uint8 or data.dim() == 0 or data.shape[-1] == 0 or data.shape[-1] % fmt.bytes_per_block:
        raise ValueError(f"data must be a uint8 tensor whose last dimension is a positive multiple of "
                         f"{fmt.bytes_per_block} ({fmt.name}), got {data.dtype} of shape {tuple(data.shape)}")
    lead = data.shape[:-1]
    blocks = data.reshape(-1, fmt.bytes_per_block)
    header = 2 * (1 + fmt.offset)
    scales = blocks[:, :header].contiguous().view(torch.float16).float()      # (n, 1) or (n, 2)
    d = scales[:, :1]
    body = blocks[:, header:]
    if fmt.name == "Q8_0":
        codes = body.contiguous().view(torch.int8).float()
    elif fmt.bits in (4, 5):
        low = body[:, -16:].long()
        codes = torch.cat([low & 15, low >> 4], dim=1)
        if fmt.bits == 5:
            high = _unpack_bits(body[:, :4], 1)
            codes = codes | (high << 4)
        codes = codes.float()
    else:
        codes = _unpack_bits(body, fmt.bits).float()
    values = d * (codes - fmt.zero) if not fmt.offset else d * codes + scales[:, 1:2]
    return values.reshape(*lead, -1)


class QuantizedTensor:
    """A float tensor stored in a block format: ``data`` (uint8, (rows, K/32 ·
    bytes_per_block)), ``fmt`` (:class:`BlockFormat`), ``shape`` (the original shape; its
    last dimension K is the one cut into blocks). :meth:`dequantize` gives the float32
    tensor (``shape``) back; ``nbytes`` is the storage in bytes."""

    def __init__(self, data: torch.Tensor, fmt, shape):
        self.fmt = block_format(fmt)
        if isinstance(shape, (str, bytes)) or not isinstance(shape, (tuple, list, torch.Size)) or not shape or any(
                isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in shape):
            raise ValueError(f"shape must be a non-empty sequence of positive ints, got {shape!r}")
        if shape[-1] % BLOCK:
            raise ValueError(f"shape's last dimension must be a multiple of {BLOCK}, got {tuple(shape)}")
        if not isinstance(data, torch.Tensor) or data.dtype != torch.uint8:
            raise TypeError(f"data must be a uint8 torch.Tensor, got {type(data).__name__}")
        expected = math.prod(shape) // BLOCK * self.fmt.bytes_per_block
        if data.numel() != expected:
            raise ValueError(f"data must hold {expected} bytes for shape {tuple(shape)} in {self.fmt.name}, "
                             f"got {data.numel()}")
        self.shape = torch.Size(shape)
        self.data = data

    @property
    def nbytes(self) -> int:
        return self.data.numel()

    def dequantize(self, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        return dequantize_blocks(self.data, self.fmt).reshape(self.shape).to(dtype)

    def to(self, device) -> QuantizedTensor:
        return QuantizedTensor(self.data.to(device), self.fmt, self.shape)

    @property
    def device(self) -> torch.device:
        return self.data.device

    def __repr__(self) -> str:
        return f"QuantizedTensor({self.fmt.name}, shape={tuple(self.shape)}, nbytes={self.nbytes})"


def quantize(x: torch.Tensor, fmt) -> QuantizedTensor:
    """``x`` (float tensor (..., K), K a multiple of 32) stored in the block format ``fmt``:
    a :class:`QuantizedTensor` whose data lie on the device of ``x``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    data = quantize_blocks(x, fmt)
    return QuantizedTensor(data.to(x.device), fmt, x.shape)


def dequantize(q: QuantizedTensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The tensor (``q.shape``, ``dtype``) that the :class:`QuantizedTensor` ``q`` stands for."""
    if not isinstance(q, QuantizedTensor):
        raise TypeError(f"q must be a QuantizedTensor, got {type(q).__name__}")
    return q.dequantize(dtype)


def fake_quantize(x: torch.Tensor, fmt) -> torch.Tensor:
    """x̃: ``x`` encoded in ``fmt`` and decoded again, same shape, dtype and device as ``x``
    (the values a quantized model computes with)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    return quantize(x, fmt).dequantize(torch.float32).to(x.dtype)


# --- Differentiable fake quantization (the same arithmetic, in torch) -------------------

def fake_quantize_torch(x: torch.Tensor, fmt) -> torch.Tensor:
    """x̃ computed with torch operations on the device of ``x`` (float tensor (..., K),
    K a multiple of 32): llama.cpp's float32 arithmetic written in torch, so the values
    equal :func:`fake_quantize`'s (a test checks it) without the trip through NumPy
    and bytes. Same shape and dtype as ``x``; not differentiable through the rounding
    (see :func:`ste`)."""
    fmt = block_format(fmt)
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"x must be a floating-point torch.Tensor, got {type(x).__name__}")
    if x.dim() == 0 or x.shape[-1] == 0 or x.shape[-1] % BLOCK:
        raise ValueError(f"x's last dimension must be a positive multiple of {BLOCK}, got shape {tuple(x.shape)}")
    blocks = x.detach().float().reshape(-1, BLOCK)
    if fmt.name == "Q8_0":
        d = blocks.abs().amax(1, keepdim=True) / 127
    elif not fmt.offset:
        first_largest = blocks.abs().argmax(1, keepdim=True)
        d = blocks.gather(1, first_largest) / float(-fmt.zero)
    else:
        low = blocks.amin(1, keepdim=True)
        d = (blocks.amax(1, keepdim=True) - low) / float(fmt.levels - 1)
    inverse = torch.where(d == 0, torch.zeros_like(d), 1 / d)
    d16 = d.half().float()
    if fmt.name == "Q8_0":
        a = blocks * inverse
        codes = torch.sign(a) * (a.abs().floor() + (2 * (a.abs() - a.abs().floor())).floor())
        values = d16 * codes
    elif fmt.offset:
        codes = ((blocks - low) * inverse + 0.5).trunc().clamp(max=fmt.levels - 1)
        values = d16 * codes + low.half().float()
    else:
        codes = (blocks * inverse + (fmt.zero + 0.5)).trunc().clamp(max=fmt.levels - 1)
        values = d16 * (codes - fmt.zero)
    return values.reshape(x.shape).to(x.dtype)


def ste(x: torch.Tensor, fmt) -> torch.Tensor:
    """The straight-through estimator [Bengio et al., 2013]: the forward pass uses x̃ =
    :func:`fake_quantize_torch` (x), the backward pass treats the rounding as the identity,
    ∂x̃/∂x := 1, so that the gradient reaches the float weights x. Same shape as ``x``."""
    return x + (fake_quantize_torch(x, fmt) - x).detach()


# --- Quantizing a GPT's weight matrices --------------------------------------------------

#: The weight matrices of a GPT, by role: the token embedding E (also the output layer,
#: weights tied), the attention's W^Q, W^K, W^V (row slices of ``in_proj_weight``) and
#: W^O, and the two matrices of the feed-forward blocks.
ROLES = ("E", "Q", "K", "V", "O", "FF1", "FF2")
#: Formats that are not blocks: the matrix kept in float16 or float32.
PLAIN = {"F16": 2, "F32": 4}


def weight_matrices(model) -> list[tuple[str, slice, str]]:
    """The weight matrices of the GPT ``model`` (:class:`lbdl_book.models.gpt.GPT`) that a
    quantized model stores in a block format: (parameter name, row slice, role) for each,
    role in :data:`ROLES`. The rest (positional table, biases, LayerNorms: 4 % of the
    char-GPT's parameters) stays in float16, as llama.cpp keeps its norms unquantized."""
    from lbdl_book.models.gpt import GPT

    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT (lbdl_book.models.gpt), got {type(model).__name__}")
    if model.dim % BLOCK or model.hidden_dim % BLOCK:
        raise ValueError(f"the model's dim and hidden_dim must be multiples of {BLOCK}, got {model.dim}, {model.hidden_dim}")
    D = model.dim
    out = [("embedding.weight", slice(None), "E")]
    for n in range(model.num_layers):
        a = f"layers.{n}.self_attention.attention."
        out += [(a + "in_proj_weight", slice(k * D, (k + 1) * D), role) for k, role in enumerate("QKV")]
        out.append((a + "out_proj.weight", slice(None), "O"))
        f = f"layers.{n}.feed_forward."
        out += [(f + "linear1.weight", slice(None), "FF1"), (f + "linear2.weight", slice(None), "FF2")]
    if not model.tie_embeddings:
        out.append(("head.weight", slice(None), "E"))
    return out


def _plan(plan) -> dict[str, str]:
    """``plan`` (one format name for every matrix, or a dict role → format name) as a dict
    over all :data:`ROLES`; "F16"/"F32" keep a matrix unquantized."""
    names = set(FORMATS) | set(PLAIN)
    if isinstance(plan, (str, BlockFormat)):
        plan = dict.fromkeys(ROLES, plan)
    if not isinstance(plan, dict):
        raise TypeError(f"plan must be a format name or a dict role → format, got {type(plan).__name__}")
    if set(plan) != set(ROLES):
        raise ValueError(f"plan must give a format for each of the roles {ROLES}, got {sorted(plan)}")
    out = {}
    for role, fmt in plan.items():
        fmt = fmt.name if isinstance(fmt, BlockFormat) else fmt
        if fmt not in names:
            raise ValueError(f"plan[{role!r}] must be one of {sorted(names)}, got {fmt!r}")
        out[role] = fmt
    return out


def _bytes(numel: int, fmt: str) -> int:
    return numel * PLAIN[fmt] if fmt in PLAIN else numel // BLOCK * FORMATS[fmt].bytes_per_block


def model_bytes(model, plan, rest: str = "F16") -> int:
    """Bytes of the GPT ``model``'s parameters stored with ``plan`` (a format name, or a
    dict role → format): the matrices of :func:`weight_matrices` in their formats, every
    other parameter in ``rest`` ("F16" or "F32"); tied weights counted once."""
    matrices = weight_matrices(model)
    plan = _plan(plan)
    if rest not in PLAIN:
        raise ValueError(f"rest must be 'F16' or 'F32', got {rest!r}")
    params = dict(model.named_parameters())                  # tied weights appear once
    total = sum(_bytes(params[name][rows].numel(), plan[role]) for name, rows, role in matrices)
    in_matrices = {name for name, _, _ in matrices}
    return total + sum(p.numel() * PLAIN[rest] for name, p in params.items() if name not in in_matrices)


def quantize_model(model, plan):
    """A copy of the GPT ``model`` whose weight matrices (:func:`weight_matrices`) hold the
    values x̃ of ``plan`` (a format name, or a dict role → format; "F16" rounds to float16,
    "F32" keeps the matrix) and whose other parameters are rounded to float16: the model
    that llama.cpp would run from those bytes, computing in float32. Eval mode."""
    import copy

    matrices = weight_matrices(model)
    plan = _plan(plan)
    quantized = copy.deepcopy(model).float().eval()
    params = dict(quantized.named_parameters())
    in_matrices = {name for name, _, _ in matrices}
    with torch.no_grad():
        for name, p in params.items():
            if name not in in_matrices:
                p.copy_(p.half().float())
        for name, rows, role in matrices:
            w, fmt = params[name], plan[role]
            if fmt == "F16":
                w[rows] = w[rows].half().float()
            elif fmt != "F32":
                w[rows] = fake_quantize(w[rows], fmt)
    return quantized


# --- A second size of the char-GPT, for Figure 8.2 ---------------------------------------

#: The smaller char-GPT of Figure 8.2: the book's :data:`~lbdl_book.models.gpt.CHAR_GPT`
#: with D = 32 instead of 64 (a quarter of the matrices' weights).
SMALL_GPT = {"context": 64, "dim": 32, "num_heads": 4, "num_layers": 3, "dropout": 0.1}


def small_gpt():
    """The GPT of :data:`SMALL_GPT` on the corpus's characters with the shipped weights
    ``gpt_char_small`` (:func:`train_shipped`), in eval mode, CPU."""
    from lbdl_book.models.gpt import GPT, char_tokenizer
    from lbdl_book.weights import load

    model = GPT(len(char_tokenizer()), **SMALL_GPT)
    load(model, "gpt_char_small")
    return model.eval()


def train_shipped(quick: bool = False):
    """The recipe of ``lbdl_book/weights/gpt_char_small.safetensors``: :data:`SMALL_GPT`
    trained exactly as the book's char-GPT (:func:`lbdl_book.models.gpt.train_char_gpt`)."""
    from lbdl_book.models.gpt import train_char_gpt

    return train_char_gpt(SMALL_GPT, quick)


# --- Quantization-aware training ---------------------------------------------------------

class _STE(torch.nn.Module):
    """A parametrization (``torch.nn.utils.parametrize``): the weight seen by the forward
    pass is :func:`ste` (w, fmt), the stored parameter w stays in float32."""

    def __init__(self, fmt: BlockFormat):
        super().__init__()
        self.fmt = fmt

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return ste(w, self.fmt)


def _quantized_attributes(model):
    """(module, attribute name) of each weight matrix of :func:`weight_matrices`."""
    from lbdl_book.nn.attention import MultiHeadAttention
    from lbdl_book.models.transformer import FeedForwardBlock

    weight_matrices(model)                                       # checks the model
    out = [(model.embedding, "weight"), (model.head, "weight")]
    for module in model.modules():
        if isinstance(module, MultiHeadAttention):
            out += [(module, "in_proj_weight"), (module.out_proj, "weight")]
        elif isinstance(module, FeedForwardBlock):
            out += [(module.linear1, "weight"), (module.linear2, "weight")]
    return out


def add_ste(model, fmt):
    """A copy of the GPT ``model`` (float32) prepared for quantization-aware training in
    the block format ``fmt``: each weight matrix of :func:`weight_matrices` is seen by the
    forward pass as x̃ (:func:`ste`), while the optimizer updates the float32 weights x
    (the gradient with respect to x̃ is passed to x unchanged). Tied weights stay tied.
    Train it as any model (``lbdl.fit``), then :func:`remove_ste`."""
    import copy

    from torch.nn.utils import parametrize

    fmt = block_format(fmt)
    weight_matrices(model)
    qat = copy.deepcopy(model).float()
    for module, name in _quantized_attributes(qat):
        parametrize.register_parametrization(module, name, _STE(fmt))
    return qat


def remove_ste(model):
    """The model of :func:`add_ste` with its float32 weights x back as plain parameters (in
    place; returned). Quantize it with :func:`quantize_model` to get the deployed model."""
    from torch.nn.utils import parametrize

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a GPT prepared by add_ste, got {type(model).__name__}")
    for module, name in _quantized_attributes(model):
        if parametrize.is_parametrized(module, name):
            parametrize.remove_parametrizations(module, name, leave_parametrized=False)
    return model


# --- Evaluation ----------------------------------------------------------------------------

def window_losses(model, windows: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy (nats) of ``model`` on each window: ``windows`` (N,
    T + 1) int64 token ids → (N,) float32; the model reads the first T tokens and
    predicts the last T. Eval mode, no gradient, on the device of the model."""
    from lbdl_book._checks import module
    from lbdl_book.train import eval_mode

    module(model, "model")
    if not isinstance(windows, torch.Tensor) or windows.dtype != torch.int64 or windows.dim() != 2 \
            or windows.shape[0] == 0 or windows.shape[1] < 2:
        raise ValueError(f"windows must be an int64 tensor (N, T + 1) with N ≥ 1 and T ≥ 1, got "
                         f"{windows.dtype if isinstance(windows, torch.Tensor) else type(windows).__name__}"
                         f"{tuple(windows.shape) if isinstance(windows, torch.Tensor) else ''}")
    device = next(model.parameters()).device
    windows = windows.to(device)
    with eval_mode(model), torch.no_grad():
        logits = model(windows[:, :-1])
        losses = torch.nn.functional.cross_entropy(logits.transpose(1, 2).float(), windows[:, 1:], reduction="none")
    return losses.mean(1).cpu()
