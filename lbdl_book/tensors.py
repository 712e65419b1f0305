"""Tensors (LBDL §2.2): a shape laid over a flat storage.

A PyTorch tensor is a block of memory (its *storage*) plus a description of how to
read it: a shape, a *stride* per axis (how many storage elements to skip to move by
one along that axis) and an offset. Element (i_1, …, i_D) lives at storage index

    offset + i_1·stride_1 + … + i_D·stride_D.

Reshaping, transposing and slicing usually change only the description, so they cost
nothing; an operation that cannot be described this way makes a copy.
"""

from __future__ import annotations

import torch


def _check_tensor(t, name: str) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")


def storage_index(t: torch.Tensor) -> torch.Tensor:
    """For every element of ``t``, its index in the underlying storage (in elements).

    Returns an int64 tensor of the same shape as ``t``."""
    _check_tensor(t, "t")
    index = torch.full(t.shape, t.storage_offset(), dtype=torch.int64)
    for axis, (size, stride) in enumerate(zip(t.shape, t.stride())):
        steps = torch.arange(size, dtype=torch.int64) * stride
        index = index + steps.reshape([size if a == axis else 1 for a in range(t.dim())])
    return index


def shares_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Whether ``a`` and ``b`` read the same memory (one is a view of the other)."""
    _check_tensor(a, "a")
    _check_tensor(b, "b")
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def describe(t: torch.Tensor) -> dict:
    """Shape, strides, storage offset and contiguity of ``t``."""
    _check_tensor(t, "t")
    return {
        "shape": tuple(t.shape),
        "stride": t.stride(),
        "offset": t.storage_offset(),
        "contiguous": t.is_contiguous(),
    }
