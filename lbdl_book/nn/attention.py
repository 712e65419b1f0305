"""Attention layers (LBDL §4.8): the attention operator and the multi-head attention layer.

The attention operator takes N^Q queries Q (N^Q × D^QK), N^KV keys K (N^KV × D^QK) and
as many values V (N^KV × D^V). Every query is compared with every key by a dot product,
scaled by 1/√D^QK, and the scores of one query are normalised with a softargmax over
the keys (Eq. 4.1):

    A_{q,k} = exp(Q_q·K_k / √D^QK) / Σ_l exp(Q_q·K_l / √D^QK).

The result for that query is the average of the values weighted by its scores (Eq. 4.2):

    Y_q = Σ_k A_{q,k} V_k,    that is    att(Q, K, V) = softargmax(QKᵀ / √D^QK) V.

Figure 4.12 adds two things: a Boolean mask M (True = the query may look at the key)
applied to the exponentials before they are normalised, for instance the causal mask
that is True on and below the diagonal, and dropout on A before it multiplies V.

The multi-head attention layer (Figure 4.13) runs H such operators side by side on
learned projections of its inputs, Y_h = att(X^Q W^Q_h, X^KV W^K_h, X^KV W^V_h), and
mixes the concatenation of the H results with one more matrix, Y = (Y_1 | … | Y_H) W^O.

The cost of the operator is the N^Q × N^KV matrix A: quadratic in the sequence length.
:func:`linear_attention` is the kernelised variant of Katharopoulos et al. (2020),
whose cost is linear in the length.
"""

from __future__ import annotations

import math
from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import positive_int
from .fused import Fusable
from .linear import Linear

__all__ = ["MultiHeadAttention", "attention", "attention_rounding_bound", "causal_mask", "layer_rounding_bound",
           "linear_attention", "parameter_count", "softargmax"]


def _check_float(x, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")


def softargmax(x: torch.Tensor, dim: int) -> torch.Tensor:
    """exp(x_i) / Σ_j exp(x_j) along ``dim`` (the book's name for softmax); same shape as ``x``.

    Stable: the largest entry m of each slice is subtracted first (the result does not
    change), so every exponent is ≤ 0 and nothing overflows. Entries equal to −∞ get
    exactly 0, which is how :func:`attention` applies its mask; a slice with no finite
    entry has no softargmax (0/0 gives nan)."""
    _check_float(x, "x")
    if x.dim() == 0:
        raise ValueError("x must have at least one dimension, got a 0-d tensor")
    if isinstance(dim, bool) or not isinstance(dim, int) or not -x.dim() <= dim < x.dim():
        raise ValueError(f"dim must be an int in [{-x.dim()}, {x.dim()}) for x of shape {tuple(x.shape)}, got {dim!r}")
    m = x.detach().amax(dim=dim, keepdim=True)     # detached: the result does not depend on m
    e = torch.exp(x - m)
    return e / e.sum(dim=dim, keepdim=True)


def causal_mask(n_q: int, n_kv: int | None = None, device=None) -> torch.Tensor:
    """The book's causal mask M: a (n_q, n_kv) bool tensor, True on and below the diagonal.

    Query q may look at key k exactly when k ≤ q, so that Y_q depends on no key or value
    of a later position. ``n_kv`` defaults to ``n_q``; for n_q ≠ n_kv the diagonal starts
    at the top-left corner, as with ``is_causal=True`` in PyTorch."""
    positive_int(n_q, "n_q")
    n_kv = n_q if n_kv is None else n_kv
    positive_int(n_kv, "n_kv")
    rows = torch.arange(n_q, device=device)[:, None]
    cols = torch.arange(n_kv, device=device)[None, :]
    return cols <= rows


def _broadcast(shapes: list[tuple[int, ...]], what: str) -> tuple[int, ...]:
    try:
        return tuple(torch.broadcast_shapes(*shapes))
    except RuntimeError:
        raise ValueError(f"{what} do not broadcast: got {', '.join(str(tuple(s)) for s in shapes)}") from None


def _check_mask(mask, shape: tuple[int, ...]) -> None:
    """``mask`` must be a bool tensor that broadcasts to the attention matrix ``shape`` and
    leaves every query at least one key."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise TypeError(f"mask must be a bool tensor (True = may attend), got {got}")
    try:
        fits = torch.broadcast_shapes(shape, mask.shape) == shape
    except RuntimeError:
        fits = False
    if not fits:
        raise ValueError(f"mask must broadcast to the attention matrix {shape}, got {tuple(mask.shape)}")
    if not mask.any(dim=-1).all():
        raise ValueError("mask leaves a query with no key to attend to (a row of M is all False); "
                         "every query needs at least one True")


def _check_qkv(q, k, v) -> tuple[int, ...]:
    """``q`` (..., N_Q, D_QK), ``k`` (..., N_KV, D_QK) and ``v`` (..., N_KV, D_V), float
    tensors of one dtype with N_KV >= 1; returns their broadcast leading dimensions."""
    for name, x in (("q", q), ("k", k), ("v", v)):
        _check_float(x, name)
        if x.dim() < 2:
            raise ValueError(f"{name} must have shape (..., N, D) with at least 2 dimensions, got {tuple(x.shape)}")
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"q, k and v must have the same dtype, got {q.dtype}, {k.dtype} and {v.dtype}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"k must have the feature size D_QK={q.shape[-1]} of q, got k of shape {tuple(k.shape)}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"v must have one row per key (N_KV={k.shape[-2]}), got v of shape {tuple(v.shape)}")
    if k.shape[-2] == 0:
        raise ValueError(f"k must have at least one key (N_KV >= 1), got k of shape {tuple(k.shape)}")
    return _broadcast([q.shape[:-2], k.shape[:-2], v.shape[:-2]], "the leading dimensions of q, k and v")


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None = None,
              dropout_p: float = 0.0, training: bool = True, generator: torch.Generator | None = None,
              return_weights: bool = False, scale: float | None = None):
    """Y = att(Q, K, V) of Eq. 4.1–4.2 with the mask and dropout of Figure 4.12.

    ``q``: (..., N_Q, D_QK), ``k``: (..., N_KV, D_QK), ``v``: (..., N_KV, D_V); the leading
    dimensions broadcast. Returns Y (..., N_Q, D_V), and with ``return_weights=True`` also
    the attention matrix A (..., N_Q, N_KV) that multiplied V (after dropout, as PyTorch).

    ``mask``: bool, broadcastable to (..., N_Q, N_KV), True where query q may look at key k
    (the book's M; :func:`causal_mask` builds the causal one). Every query must keep at
    least one key: an all-False row has no softargmax, and raises ValueError (PyTorch's
    ``scaled_dot_product_attention`` returns zeros there instead).

    ``dropout_p``: when ``training``, each entry of A is zeroed with probability p and the
    others divided by 1 − p, so A keeps its expectation; ``generator`` seeds this draw.
    ``scale``: the factor of the dot products, 1/√D_QK by default."""
    batch = _check_qkv(q, k, v)
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, Real) or not 0 <= dropout_p < 1:
        raise ValueError(f"dropout_p must be a number in [0, 1), got {dropout_p!r}")
    if scale is None:
        scale = 1 / math.sqrt(q.shape[-1])
    elif isinstance(scale, bool) or not isinstance(scale, Real) or not math.isfinite(scale):
        raise ValueError(f"scale must be a finite number or None, got {scale!r}")
    if mask is not None:
        _check_mask(mask, (*batch, q.shape[-2], k.shape[-2]))

    scores = (q * scale) @ k.transpose(-2, -1)                     # (..., N_Q, N_KV): Q_q·K_k / √D_QK
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))          # exp(−∞) = 0: the ⊙M of Figure 4.12
    a = softargmax(scores, dim=-1)                                 # Eq. 4.1, rows sum to 1
    if training and dropout_p > 0:
        keep = torch.rand(a.shape, generator=generator, device=a.device, dtype=a.dtype) >= dropout_p
        a = a * keep / (1 - dropout_p)
    y = a @ v                                                      # Eq. 4.2: Y_q = Σ_k A_{q,k} V_k
    return (y, a) if return_weights else y


def _positive_feature_map(x: torch.Tensor) -> torch.Tensor:
    """φ(x) = elu(x) + 1, i.e. x + 1 for x > 0 and exp(x) otherwise: positive everywhere."""
    return torch.where(x > 0, x + 1, torch.exp(x.clamp(max=0)))


def linear_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Kernelised attention of Katharopoulos et al. (2020): exp(Q_q·K_k) replaced by φ(Q_q)·φ(K_k).

    Y_q = Σ_k φ(Q_q)·φ(K_k) V_k / Σ_k φ(Q_q)·φ(K_k) = φ(Q_q)ᵀ (Σ_k φ(K_k) V_kᵀ) / φ(Q_q)ᵀ Σ_k φ(K_k)
    with φ(x) = elu(x) + 1. Associativity lets the sums over keys be computed once, so the
    cost is O(N·D_QK·D_V) instead of O(N_Q·N_KV·D) and no N_Q × N_KV matrix is formed.
    Shapes as in :func:`attention` (no mask, no dropout); returns (..., N_Q, D_V)."""
    for name, x in (("q", q), ("k", k), ("v", v)):
        _check_float(x, name)
        if x.dim() < 2:
            raise ValueError(f"{name} must have shape (..., N, D) with at least 2 dimensions, got {tuple(x.shape)}")
    if k.shape[-1] != q.shape[-1] or v.shape[-2] != k.shape[-2]:
        raise ValueError(f"q (..., N_Q, D_QK), k (..., N_KV, D_QK) and v (..., N_KV, D_V) do not match: got "
                         f"{tuple(q.shape)}, {tuple(k.shape)} and {tuple(v.shape)}")
    phi_q, phi_k = _positive_feature_map(q), _positive_feature_map(k)
    kv = phi_k.transpose(-2, -1) @ v                               # (..., D_QK, D_V): Σ_k φ(K_k) V_kᵀ
    normaliser = phi_q @ phi_k.sum(dim=-2, keepdim=True).transpose(-2, -1)   # (..., N_Q, 1)
    return (phi_q @ kv) / normaliser


def _head_dims(embed_dim, num_heads, dim_qk, dim_v) -> tuple[int, int]:
    positive_int(embed_dim, "embed_dim")
    positive_int(num_heads, "num_heads")
    if (dim_qk is None or dim_v is None) and embed_dim % num_heads:
        raise ValueError(f"embed_dim must be divisible by num_heads when dim_qk or dim_v is left to its default "
                         f"embed_dim // num_heads, got embed_dim={embed_dim} and num_heads={num_heads}")
    dim_qk = embed_dim // num_heads if dim_qk is None else dim_qk
    dim_v = embed_dim // num_heads if dim_v is None else dim_v
    positive_int(dim_qk, "dim_qk")
    positive_int(dim_v, "dim_v")
    return dim_qk, dim_v


def parameter_count(embed_dim: int, num_heads: int, dim_qk: int | None = None, dim_v: int | None = None,
                    bias: bool = True) -> int:
    """Trainable parameters of :class:`MultiHeadAttention`: H·D·(2·D_QK + D_V) weights for
    the projections W^Q, W^K, W^V, H·D_V·D for W^O and, with ``bias``, H·(2·D_QK + D_V) + D
    biases. With D_QK = D_V = D/H it is 4D² + 4D, as for ``nn.MultiheadAttention``."""
    dim_qk, dim_v = _head_dims(embed_dim, num_heads, dim_qk, dim_v)
    h, d = num_heads, embed_dim
    weights = h * d * (2 * dim_qk + dim_v) + h * dim_v * d
    biases = h * (2 * dim_qk + dim_v) + d if bias else 0
    return weights + biases


class MultiHeadAttention(Fusable, nn.Module):
    """The multi-head attention layer of Figure 4.13, batch first: (N, T, D) in, (N, T_Q, D) out.

    ``embed_dim`` D, ``num_heads`` H, and per head ``dim_qk`` D_QK (queries and keys) and
    ``dim_v`` D_V (values), both D/H by default. Parameters, named as in PyTorch:

    * ``in_proj_weight`` (H·(2·D_QK + D_V), D): the rows of W^Q, then W^K, then W^V,
      head after head; ``in_proj_bias`` (H·(2·D_QK + D_V)) when ``bias``;
    * ``out_proj.weight`` (D, H·D_V) = W^Oᵀ and ``out_proj.bias`` (D) when ``bias``.

    With D_QK = D_V = D/H these are the names and shapes of ``nn.MultiheadAttention``, so
    ``load_state_dict`` works both ways (see :meth:`load_torch_weights`).
    :meth:`head_weights` returns the matrices in the book's layout.

    Deliberate differences from ``nn.MultiheadAttention``: the constructor takes the
    book's per-head sizes (``dim_qk``, ``dim_v``) instead of the input sizes ``kdim``,
    ``vdim``, and no ``add_bias_kv``, ``add_zero_attn`` or ``batch_first`` (always batch
    first); :meth:`forward` takes (x_q, x_kv) instead of (query, key, value), its Boolean
    mask is True where attention is ALLOWED (PyTorch's ``attn_mask`` is True where it is
    forbidden), and it returns the attention weights only when asked, per head, not
    averaged over the heads.

    ``fused = True`` (:func:`~lbdl_book.nn.fused.set_fused`, which also switches
    ``out_proj``): the models' fast path, PyTorch's ``F.linear`` for the projections and
    ``F.scaled_dot_product_attention`` for the H operators, which never forms A in memory,
    without the checks. A call that asks for the weights (``need_weights=True``) still runs
    the book's computation, which forms them.
    """

    def __init__(self, embed_dim: int, num_heads: int, dim_qk: int | None = None, dim_v: int | None = None,
                 bias: bool = True, dropout: float = 0.0):
        super().__init__()
        self.dim_qk, self.dim_v = _head_dims(embed_dim, num_heads, dim_qk, dim_v)
        if isinstance(dropout, bool) or not isinstance(dropout, Real) or not 0 <= dropout < 1:
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool, got {type(bias).__name__}")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, float(dropout)
        rows = num_heads * (2 * self.dim_qk + self.dim_v)
        self.in_proj_weight = nn.Parameter(torch.empty(rows, embed_dim))
        self.in_proj_bias = nn.Parameter(torch.empty(rows)) if bias else None
        self.out_proj = Linear(num_heads * self.dim_v, embed_dim, bias=bias)   # the book's layer, torch's names
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: Xavier-uniform projections, zero biases (W^O keeps the
        default of a linear layer)."""
        nn.init.xavier_uniform_(self.in_proj_weight)
        if self.in_proj_bias is not None:
            nn.init.zeros_(self.in_proj_bias)
            nn.init.zeros_(self.out_proj.bias)

    def extra_repr(self) -> str:
        return self._fused_repr(f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dim_qk={self.dim_qk}, "
                                f"dim_v={self.dim_v}, bias={self.in_proj_bias is not None}, dropout={self.dropout}")

    def _project(self, x: torch.Tensor, rows: slice) -> torch.Tensor:
        """x Wᵀ + b for the rows ``rows`` of the input projection: (N, T, D) → (N, T, rows)."""
        y = x @ self.in_proj_weight[rows].T
        return y if self.in_proj_bias is None else y + self.in_proj_bias[rows]

    def forward(self, x_q: torch.Tensor, x_kv: torch.Tensor | None = None, mask: torch.Tensor | None = None,
                causal: bool = False, need_weights: bool = False):
        """``x_q`` (N, T_Q, D) and ``x_kv`` (N, T_KV, D), or both unbatched (T, D).

        Self-attention when ``x_kv`` is None (X^Q = X^K = X^V = x_q), cross-attention
        otherwise (X^K = X^V = x_kv). ``mask``: bool, True = allowed, of shape (T_Q, T_KV),
        (N, T_Q, T_KV) or (N, H, T_Q, T_KV); ``causal=True`` also applies :func:`causal_mask`.
        Returns Y (N, T_Q, D), and the weights A (N, H, T_Q, T_KV) if ``need_weights``."""
        if self.fused and not need_weights:          # the models' fast path, see the class docstring
            return self._fused_forward(x_q, x_kv, mask, causal)
        _check_float(x_q, "x_q")
        cross = x_kv is not None
        x_kv = x_q if x_kv is None else x_kv
        _check_float(x_kv, "x_kv")
        unbatched = x_q.dim() == 2
        if x_q.dim() not in (2, 3) or x_kv.dim() != x_q.dim() or x_q.shape[-1] != self.embed_dim \
                or x_kv.shape[-1] != self.embed_dim or (not unbatched and x_kv.shape[0] != x_q.shape[0]):
            raise ValueError(f"x_q and x_kv must have shapes (N, T_Q, D) and (N, T_KV, D), or (T_Q, D) and (T_KV, D), "
                             f"with D = embed_dim = {self.embed_dim}; got {tuple(x_q.shape)} and {tuple(x_kv.shape)}")
        if unbatched:
            x_q, x_kv = x_q[None], x_kv[None]
        h, d_qk, d_v = self.num_heads, self.dim_qk, self.dim_v
        if cross:
            q = self._project(x_q, slice(0, h * d_qk))
            k, v = self._project(x_kv, slice(h * d_qk, None)).split([h * d_qk, h * d_v], dim=-1)
        else:                                        # one product computes Q, K and V
            q, k, v = self._project(x_q, slice(None)).split([h * d_qk, h * d_qk, h * d_v], dim=-1)
        # (N, T, H·D') → (N, H, T, D'): head h uses the columns h·D' … (h+1)·D' − 1
        q, k, v = (z.unflatten(-1, (h, -1)).transpose(1, 2) for z in (q, k, v))

        t_q, t_kv = x_q.shape[1], x_kv.shape[1]
        if mask is not None:
            if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
                got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
                raise TypeError(f"mask must be a bool tensor (True = may attend), got {got}")
            if mask.dim() not in (2, 3, 4) or tuple(mask.shape[-2:]) != (t_q, t_kv):
                raise ValueError(f"mask must have shape (T_Q, T_KV), (N, T_Q, T_KV) or (N, H, T_Q, T_KV) with "
                                 f"T_Q={t_q}, T_KV={t_kv}; got {tuple(mask.shape)}")
            if mask.dim() == 3:
                mask = mask[:, None]                 # the same mask for every head
        if causal:
            triangle = causal_mask(t_q, t_kv, device=x_q.device)
            mask = triangle if mask is None else mask & triangle

        y, a = attention(q, k, v, mask, dropout_p=self.dropout, training=self.training, return_weights=True)
        y = y.transpose(1, 2).flatten(2)             # (N, T_Q, H·D_V): the concatenation (Y_1 | … | Y_H)
        y = self.out_proj(y)                         # × W^O
        if unbatched:
            y, a = y[0], a[0]
        return (y, a) if need_weights else y

    def _fused_forward(self, x_q: torch.Tensor, x_kv: torch.Tensor | None, mask: torch.Tensor | None,
                       causal: bool) -> torch.Tensor:
        """:meth:`forward` through PyTorch's kernels, without checks and without the weights."""
        unbatched = x_q.dim() == 2
        if unbatched:
            x_q, x_kv = x_q[None], None if x_kv is None else x_kv[None]
        h, d_qk, d_v = self.num_heads, self.dim_qk, self.dim_v
        w, b = self.in_proj_weight, self.in_proj_bias
        if x_kv is None:                             # self-attention: one product computes Q, K and V
            q, k, v = F.linear(x_q, w, b).split([h * d_qk, h * d_qk, h * d_v], dim=-1)
            x_kv = x_q
        else:
            q = F.linear(x_q, w[:h * d_qk], None if b is None else b[:h * d_qk])
            k, v = F.linear(x_kv, w[h * d_qk:], None if b is None else b[h * d_qk:]).split([h * d_qk, h * d_v], -1)
        q, k, v = (z.unflatten(-1, (h, -1)).transpose(1, 2) for z in (q, k, v))
        if mask is not None and mask.dim() == 3:
            mask = mask[:, None]                     # the same mask for every head
        if causal and mask is not None:
            mask = mask & causal_mask(x_q.shape[1], x_kv.shape[1], device=x_q.device)
        # a bool attn_mask is True where attention is allowed, as ours; is_causal aligns the
        # triangle at the top-left corner, as causal_mask does
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=self.dropout if self.training else 0.0,
                                           is_causal=causal and mask is None)
        y = self.out_proj(y.transpose(1, 2).flatten(2))
        return y[0] if unbatched else y

    def head_weights(self) -> dict[str, torch.Tensor]:
        """The weights in the book's layout (x multiplies on the left): ``"W_Q"`` (H, D, D_QK),
        ``"W_K"`` (H, D, D_QK), ``"W_V"`` (H, D, D_V), ``"W_O"`` (H·D_V, D), and the biases
        ``"b_Q"``, ``"b_K"`` (H, D_QK), ``"b_V"`` (H, D_V), ``"b_O"`` (D) when present."""
        h, d_qk, d_v = self.num_heads, self.dim_qk, self.dim_v
        sizes = [h * d_qk, h * d_qk, h * d_v]
        out = {}
        for name, w, size in zip("QKV", self.in_proj_weight.split(sizes), (d_qk, d_qk, d_v)):
            out[f"W_{name}"] = w.reshape(h, size, self.embed_dim).transpose(1, 2)
        out["W_O"] = self.out_proj.weight.T
        if self.in_proj_bias is not None:
            for name, b, size in zip("QKV", self.in_proj_bias.split(sizes), (d_qk, d_qk, d_v)):
                out[f"b_{name}"] = b.reshape(h, size)
            out["b_O"] = self.out_proj.bias
        return out

    def load_torch_weights(self, reference: nn.MultiheadAttention) -> MultiHeadAttention:
        """Copy the weights of a PyTorch ``nn.MultiheadAttention`` into this layer; returns self.

        Its ``in_proj_weight`` (3D, D) stacks W^Q, W^K and W^V, split into heads exactly as
        here, so the copy is ``load_state_dict``. Needs the same D, H and bias, D_QK = D_V = D/H,
        and a reference without ``kdim``/``vdim``, ``add_bias_kv`` or ``add_zero_attn``. Inputs
        of the reference are batch first only if it was built with ``batch_first=True``; its
        weights are the same either way."""
        if not isinstance(reference, nn.MultiheadAttention):
            raise TypeError(f"reference must be a torch.nn.MultiheadAttention, got {type(reference).__name__}")
        if not reference._qkv_same_embed_dim or reference.bias_k is not None or reference.add_zero_attn:
            raise ValueError("reference must use kdim = vdim = embed_dim, add_bias_kv=False and add_zero_attn=False")
        theirs = (reference.embed_dim, reference.num_heads, reference.head_dim, reference.head_dim,
                  reference.in_proj_bias is not None)
        ours = (self.embed_dim, self.num_heads, self.dim_qk, self.dim_v, self.in_proj_bias is not None)
        if theirs != ours:
            raise ValueError(f"(embed_dim, num_heads, dim_qk, dim_v, bias) must match: reference {theirs}, "
                             f"this layer {ours}")
        self.load_state_dict(reference.state_dict())
        return self


def _unit_roundoff(x: torch.Tensor) -> float:
    return torch.finfo(x.dtype).eps / 2


def attention_rounding_bound(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, eq: torch.Tensor | None = None,
                             ek: torch.Tensor | None = None, ev: torch.Tensor | None = None, *,
                             implementations: int = 2) -> torch.Tensor:
    """How far two floating-point computations of ``att(q, k, v)`` can be apart, entry by
    entry (the shape of the output), to first order in the unit roundoff u of the dtype.

    A sum of n terms, in any order, is off by at most n·u times the sum of their
    magnitudes. A score is a dot product of D_QK terms (plus the errors ``eq``, ``ek``
    already in q and k, shaped like them); the softargmax then moves each weight by a
    relative 2·max|score error| + (N_KV + 3)·u; the average of N_KV values adds N_KV·u
    times their magnitude, plus the errors ``ev`` already in v. The bound of one
    computation is multiplied by ``implementations`` (two different implementations, or
    two orders of summation, differ by at most twice it). A mask only removes keys, so the
    bound without it also holds with it."""
    _check_qkv(q, k, v)
    positive_int(implementations, "implementations")
    u = _unit_roundoff(q)
    eq, ek, ev = (torch.zeros_like(x) if e is None else e for x, e in ((q, eq), (k, ek), (v, ev)))
    d, n = q.shape[-1], k.shape[-2]
    with torch.no_grad():
        score_error = (d * u * q.abs() @ k.abs().mT + eq @ k.abs().mT + q.abs() @ ek.mT) / math.sqrt(d)
        relative = 2 * score_error.amax(-1, keepdim=True) + (2 * n + 3) * u
        return implementations * (relative * v.abs().amax(-2, keepdim=True) + ev.amax(-2, keepdim=True))


def layer_rounding_bound(layer: MultiHeadAttention, x_q: torch.Tensor, x_kv: torch.Tensor | None = None,
                         mask: torch.Tensor | None = None, *, implementations: int = 2) -> torch.Tensor:
    """:func:`attention_rounding_bound` for a :class:`MultiHeadAttention` ``layer`` (with
    biases) on inputs of shape (N, T, D): the projections (sums of D terms and a bias), the
    attention of every head, the output projection (sums of H·D_V terms and a bias), with
    the errors carried from one stage to the next. ``mask`` as in the layer (True = may
    attend); it shapes the heads' outputs whose magnitudes enter the last stage. Returns a
    tensor of the shape of the output, (N, T_Q, D)."""
    if not isinstance(layer, MultiHeadAttention) or layer.in_proj_bias is None:
        raise TypeError("layer must be a MultiHeadAttention with biases")
    x_kv = x_q if x_kv is None else x_kv
    for x, name in ((x_q, "x_q"), (x_kv, "x_kv")):
        _check_float(x, name)
        if x.dim() != 3 or x.shape[-1] != layer.embed_dim:
            raise ValueError(f"{name} must have shape (N, T, D) with D = {layer.embed_dim}, got {tuple(x.shape)}")
    positive_int(implementations, "implementations")
    u = _unit_roundoff(x_q)
    w = layer.head_weights()
    with torch.no_grad():
        def project(x, name):                      # x W + b for every head, (N, H, T, D'), and its error bound
            weight, bias = w[f"W_{name}"], w[f"b_{name}"][:, None]
            return x[:, None] @ weight + bias, (x.shape[-1] + 1) * u * (x[:, None].abs() @ weight.abs() + bias.abs())

        (q, eq), (k, ek), (v, ev) = project(x_q, "Q"), project(x_kv, "K"), project(x_kv, "V")
        if mask is not None and mask.dim() == 3:
            mask = mask[:, None]
        heads = attention(q, k, v, mask)
        errors = attention_rounding_bound(q, k, v, eq, ek, ev, implementations=1)
        y, e = (z.transpose(1, 2).flatten(2) for z in (heads, errors))        # (N, T_Q, H·D_V)
        one = (y.shape[-1] + 1) * u * (y.abs() @ w["W_O"].abs() + w["b_O"].abs()) + e @ w["W_O"].abs()
        return implementations * one
