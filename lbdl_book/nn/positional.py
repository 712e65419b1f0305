"""Positional encoding (LBDL §4.10): telling position-blind layers where they are.

Convolutions and attention layers apply the same computation at every position, so
nothing in their output says where in the sequence a feature came from. The standard
remedy is to add to (or concatenate with) the feature vector at each position t a
vector that depends on t: a positional encoding. It is either learned, like any other
parameter (``LearnedPositionalEncoding``, as in GPT and ViT), or fixed by a formula.
The original Transformer (Vaswani et al., 2017) uses sines and cosines of geometrically
spaced frequencies: for a sequence of vectors of dimension D,

    pos-enc[t, d] = sin(t / T^(d/D))        if d is even,
    pos-enc[t, d] = cos(t / T^((d−1)/D))    if d is odd,       with T = 10⁴.

(LBDL typesets the first exponent as "T^d/D", which reads as T^d divided by D; the
exponent is d/D, as in the second line and in the paper.) Columns 2i and 2i+1 form a
pair (sin ω_i t, cos ω_i t) with ω_i = T^(−2i/D): a point turning on a circle at angular
speed ω_i. Moving k positions turns every pair by the angle ω_i k, whatever t, so the
encoding at t+k is a fixed rotation of the one at t, and the dot product of the
encodings at t and t+k, Σ_i cos(ω_i k), depends only on the offset k.
"""

from __future__ import annotations

import math
from numbers import Real

import torch
from torch import nn

from .._checks import positive_int
from .embedding import embedding

__all__ = ["LearnedPositionalEncoding", "SinusoidalPositionalEncoding", "frequencies", "relative_rotation",
           "sinusoidal_encoding"]


def _check_base(base) -> float:
    if isinstance(base, bool) or not isinstance(base, Real):
        raise TypeError(f"base must be a real number, got {type(base).__name__}")
    if not (math.isfinite(base) and base > 1):
        raise ValueError(f"base must be a finite number > 1, got {base!r}")
    return float(base)


def _check_length(length, name: str) -> None:
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError(f"{name} must be an int >= 0, got {length!r}")


def frequencies(dim: int, base: float = 10_000.0) -> torch.Tensor:
    """ω_i = base^(−2i/D) for i = 0, …, ⌈D/2⌉−1: the angular speed of column pair i, in
    float64, shape (⌈D/2⌉,). The wavelengths 2π/ω_i grow
    geometrically from 2π (i = 0) to just under 2π·base."""
    positive_int(dim, "dim")
    base = _check_base(base)
    even = torch.arange(0, dim, 2, dtype=torch.float64)            # d = 2i
    return base ** (-even / dim)


def sinusoidal_encoding(length: int, dim: int, base: float = 10_000.0, *, dtype: torch.dtype = torch.float32,
                        device=None) -> torch.Tensor:
    """The (length, dim) matrix pos-enc[t, d] of Vaswani et al. (2017), t = 0, …, length−1.

    Even columns d hold sin(t / base^(d/D)), odd columns cos(t / base^((d−1)/D)); an odd
    ``dim`` ends with a sine column. Computed in float64, then cast to ``dtype``."""
    _check_length(length, "length")
    omega = frequencies(dim, base)                                  # (⌈D/2⌉,)
    angle = torch.arange(length, dtype=torch.float64)[:, None] * omega  # (length, ⌈D/2⌉)
    pe = torch.empty(length, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : dim // 2])
    return pe.to(dtype=dtype, device=device)


def relative_rotation(offset: int, dim: int, base: float = 10_000.0, *,
                      dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The (dim, dim) matrix R with pos-enc[t + offset] = R @ pos-enc[t] for every t.

    Block-diagonal: for the pair (sin ω t, cos ω t) the block is
    [[cos ωk, sin ωk], [−sin ωk, cos ωk]] (k = ``offset``), by the angle-addition formulas;
    a lone last sine column (odd ``dim``) is not a linear function of its own value, so
    ``dim`` must be even."""
    if isinstance(offset, bool) or not isinstance(offset, int):
        raise TypeError(f"offset must be an int, got {type(offset).__name__}")
    positive_int(dim, "dim")
    if dim % 2:
        raise ValueError(f"dim must be even for the encoding to rotate as pairs, got {dim}")
    angle = frequencies(dim, base) * offset
    c, s = torch.cos(angle), torch.sin(angle)
    rotation = torch.zeros(dim, dim, dtype=torch.float64)
    i = torch.arange(0, dim, 2)
    rotation[i, i], rotation[i, i + 1] = c, s
    rotation[i + 1, i], rotation[i + 1, i + 1] = -s, c
    return rotation.to(dtype)


def _check_sequence(x: torch.Tensor, dim: int, max_len: int) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor, got {x.dtype}")
    if x.dim() != 3 or x.shape[2] != dim:
        raise ValueError(f"x must have shape (N, T, D={dim}), got {tuple(x.shape)}")
    if x.shape[1] > max_len:
        raise ValueError(f"x has T={x.shape[1]} positions, more than max_len={max_len}")


class SinusoidalPositionalEncoding(nn.Module):
    """x ↦ x + pos-enc[:T], with the fixed sinusoidal encoding of :func:`sinusoidal_encoding`.

    ``forward(x)``: (N, T, D) with T ≤ ``max_len`` → (N, T, D). No parameters. The table
    is computed in float64 and stored in ``dtype`` (default: PyTorch's default dtype).

    The table is a buffer, so it follows the module to a device or dtype, but a
    non-persistent one (not in ``state_dict``): it is a function of (dim, max_len, base),
    recomputed at construction, so saving it would only bloat checkpoints and would make
    a model built with another ``max_len`` refuse to load weights it can use."""

    def __init__(self, dim: int, max_len: int, base: float = 1e4, *, device=None, dtype=None):
        super().__init__()
        positive_int(dim, "dim")
        positive_int(max_len, "max_len")
        self.dim, self.max_len, self.base = dim, max_len, _check_base(base)
        table = sinusoidal_encoding(max_len, dim, self.base, dtype=dtype or torch.get_default_dtype(), device=device)
        self.register_buffer("encoding", table, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_sequence(x, self.dim, self.max_len)
        return x + self.encoding[: x.shape[1]].to(x.dtype)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, max_len={self.max_len}, base={self.base:g}"


class LearnedPositionalEncoding(nn.Module):
    """x ↦ x + P[:T], where P is a trainable (max_len, D) table: a token embedding
    (:func:`~lbdl_book.nn.embedding.embedding`) whose tokens are the positions 0, …, T−1.

    ``forward(x)``: (N, T, D) with T ≤ ``max_len`` → (N, T, D). Parameter ``weight``:
    (max_len, D), drawn from N(0, 1) like ``torch.nn.Embedding``, whose state dict it
    shares (``weight``), so a position table such as GPT-2's loads directly. Positions
    beyond ``max_len`` have no vector: unlike the sinusoidal encoding, a learned one
    cannot be extended to sequences longer than those it was trained on."""

    def __init__(self, max_len: int, dim: int, *, device=None, dtype=None):
        super().__init__()
        positive_int(max_len, "max_len")
        positive_int(dim, "dim")
        self.max_len, self.dim = max_len, dim
        self.weight = nn.Parameter(torch.empty(max_len, dim, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_sequence(x, self.dim, self.max_len)
        positions = torch.arange(x.shape[1], device=x.device)
        return x + embedding(positions, self.weight).to(x.dtype)

    def extra_repr(self) -> str:
        return f"max_len={self.max_len}, dim={self.dim}"
