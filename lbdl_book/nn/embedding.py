"""Token embedding (LBDL §4.9): a trainable lookup table from integers to vectors.

A layer that receives discrete tokens (characters, sub-words, words, …) numbered
0, …, N−1 has two hyper-parameters, the number N of token values and the dimension D
of the vectors it produces, and one trainable N×D matrix M. Given an integer tensor X
of shape D_1×…×D_K, it returns the real tensor Y of shape D_1×…×D_K×D with

    Y[d_1, …, d_K] = M[X[d_1, …, d_K]],

that is, row X[d_1, …, d_K] of M. Reading row x of M is the same as multiplying the
one-hot vector of x by M, without the N·D multiply-adds of the product, and the
gradient of the loss with respect to M is zero except on the rows of the tokens that
were looked up (a row looked up several times receives the sum of their gradients).

``Embedding`` has the interface of ``torch.nn.Embedding`` (same constructor arguments,
a ``weight`` of shape (N, D) initialised from N(0, 1)), so the weights of one load into
the other.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import positive_int
from .fused import Fusable

__all__ = ["Embedding", "embedding"]

INDEX_DTYPES = (torch.int64, torch.int32)


def _check_weight(weight: torch.Tensor) -> None:
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"weight must be a torch.Tensor, got {type(weight).__name__}")
    if not weight.is_floating_point():
        raise TypeError(f"weight must be a floating-point tensor, got {weight.dtype}")
    if weight.dim() != 2:
        raise ValueError(f"weight must have shape (N, D), got {tuple(weight.shape)}")


def _check_indices(x: torch.Tensor, num_embeddings: int) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor of token indices, got {type(x).__name__}")
    if x.dtype not in INDEX_DTYPES:
        raise TypeError(f"x must be an integer tensor (torch.int64 or torch.int32) of token indices, got {x.dtype}")
    if x.numel() == 0:
        return
    low, high = x.min(), x.max()
    if low < 0 or high >= num_embeddings:
        bad = low if low < 0 else high
        where = tuple(torch.nonzero(x == bad)[0].tolist())
        raise ValueError(f"x must contain token indices in [0, N={num_embeddings}), got {bad.item()} "
                         f"at position {where} of a tensor of shape {tuple(x.shape)}")


def _check_padding_idx(padding_idx, num_embeddings: int) -> int | None:
    """``padding_idx`` as a non-negative row number (negative values count from the end,
    as in torch), or None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, int):
        raise TypeError(f"padding_idx must be an int or None, got {type(padding_idx).__name__}")
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"padding_idx must be in [-N, N) = [{-num_embeddings}, {num_embeddings}), got {padding_idx}")
    return padding_idx % num_embeddings


def embedding(x: torch.Tensor, weight: torch.Tensor, padding_idx: int | None = None) -> torch.Tensor:
    """Y[d_1, …, d_K] = M[X[d_1, …, d_K]]: row x of the table for every token x.

    ``x``: integer tensor of any shape D_1×…×D_K (int64 or int32) with values in
    {0, …, N−1}; ``weight``: M, of shape (N, D). Returns a tensor of shape
    D_1×…×D_K×D of the dtype of ``weight``. Rows looked up several times accumulate
    their gradients. If ``padding_idx`` is given, that row is still read but receives
    no gradient (it is the "no token here" vector of padded sequences)."""
    _check_weight(weight)
    _check_indices(x, weight.shape[0])
    padding_idx = _check_padding_idx(padding_idx, weight.shape[0])
    y = weight[x.long()]                                   # indexing: one row of M per token
    if padding_idx is not None:
        y = torch.where((x == padding_idx).unsqueeze(-1), weight[padding_idx].detach(), y)
    return y


class Embedding(Fusable, nn.Module):
    """A table of ``num_embeddings`` (N) trainable vectors of dimension ``embedding_dim`` (D).

    ``forward(x)``: integer tensor (D_1, …, D_K) → (D_1, …, D_K, D), see :func:`embedding`.
    Parameter ``weight``: (N, D), drawn from N(0, 1) like ``torch.nn.Embedding``; the row
    ``padding_idx``, if any, starts at zero and is never updated by gradient descent.

    Differences from ``torch.nn.Embedding``: the rarely used options ``max_norm``,
    ``norm_type``, ``scale_grad_by_freq`` and ``sparse`` are not implemented (the
    gradient is always a dense N×D tensor), and ``device``/``dtype`` are keyword-only.

    ``fused = True`` (:func:`~lbdl_book.nn.fused.set_fused`): the models' fast path,
    PyTorch's ``F.embedding``, without the checks."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, *,
                 device=None, dtype=None):
        super().__init__()
        positive_int(num_embeddings, "num_embeddings")
        positive_int(embedding_dim, "embedding_dim")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = _check_padding_idx(padding_idx, num_embeddings)
        self.weight = nn.Parameter(torch.empty(num_embeddings, embedding_dim, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw ``weight`` from N(0, 1); zero the padding row."""
        nn.init.normal_(self.weight)
        if self.padding_idx is not None:
            with torch.no_grad():
                self.weight[self.padding_idx].zero_()

    @classmethod
    def from_pretrained(cls, embeddings: torch.Tensor, freeze: bool = True,
                        padding_idx: int | None = None) -> Embedding:
        """An Embedding whose table is a copy of ``embeddings`` (N, D), frozen by default,
        as ``torch.nn.Embedding.from_pretrained``."""
        _check_weight(embeddings)
        layer = cls(*embeddings.shape, padding_idx=padding_idx, device=embeddings.device, dtype=embeddings.dtype)
        with torch.no_grad():
            layer.weight.copy_(embeddings)
        layer.weight.requires_grad_(not freeze)
        return layer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused:
            return F.embedding(x, self.weight, self.padding_idx)
        return embedding(x, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return self._fused_repr(text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}")
