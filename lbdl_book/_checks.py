"""Argument checks and timing helpers shared by the modules of lbdl_book."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from numbers import Real

import torch
from torch import nn


def _kind(value) -> str:
    """What was received, for a message: the dtype and shape of a tensor, else the type."""
    if isinstance(value, torch.Tensor):
        return f"a {value.dtype} tensor of shape {tuple(value.shape)}"
    return type(value).__name__


def positive_int(value, name: str) -> int:
    """``value`` if it is an int >= 1, else ``ValueError`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def non_negative_int(value, name: str) -> int:
    """``value`` if it is an int >= 0, else ``ValueError`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return value


def positive_ints(value, name: str, *, allow_empty: bool = False) -> tuple[int, ...]:
    """``value`` as a tuple if it is a sequence (not a string) of ints >= 1, non-empty
    unless ``allow_empty``, such as the layer widths of a network; else ``ValueError``."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not (value or allow_empty):
        empty = "" if allow_empty else "non-empty "
        raise ValueError(f"{name} must be a {empty}sequence of positive ints, got {value!r}")
    for k, item in enumerate(value):
        positive_int(item, f"{name}[{k}]")
    return tuple(value)


def boolean(value, name: str) -> bool:
    """``value`` if it is a bool, else ``TypeError`` (1, 0 and None are refused)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {_kind(value)}")
    return value


def positive_real(value, name: str) -> float:
    """``value`` as a float if it is a finite real number > 0: ``TypeError`` for what is not
    a real number (bools, tensors and strings included), ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {_kind(value)}")
    if not (value > 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def non_negative_real(value, name: str) -> float:
    """``value`` as a float if it is a finite real number >= 0: ``TypeError`` for what is
    not a real number (bools, tensors and strings included), ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {_kind(value)}")
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def tensor(value, name: str, *, floating: bool = False) -> torch.Tensor:
    """``value`` if it is a torch.Tensor (of a floating-point dtype if ``floating``), else
    ``TypeError`` naming ``name``."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {_kind(value)}")
    if floating and not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {value.dtype}")
    return value


def model_input(value, model: nn.Module, name: str = "x") -> torch.Tensor:
    """``value`` if it is a floating-point tensor of the dtype of ``model``'s parameters,
    else ``TypeError``: what a model checks once, at its entry, for layers that run
    PyTorch's kernels without checks of their own (:mod:`lbdl_book.nn.fused`)."""
    tensor(value, name, floating=True)
    parameter = next(model.parameters(), None)
    if parameter is not None and value.dtype != parameter.dtype:
        raise TypeError(f"{name} must have the dtype of the model's parameters ({parameter.dtype}), got {value.dtype}")
    return value


def tensors(value, name: str, *, floating: bool = False) -> list[torch.Tensor]:
    """A tensor or an iterable of tensors (e.g. ``model.parameters()``) as a list; ``TypeError``
    for anything else, naming the first offending entry ``name[i]``."""
    if isinstance(value, torch.Tensor):
        return [tensor(value, name, floating=floating)]
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a tensor or an iterable of tensors, got {_kind(value)}")
    value = list(value)
    for i, t in enumerate(value):
        tensor(t, f"{name}[{i}]", floating=floating)
    return value


def function(value, name: str):
    """``value`` if it is callable, else ``TypeError`` naming ``name``."""
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {_kind(value)}")
    return value


def module(value, name: str) -> nn.Module:
    """``value`` if it is a torch.nn.Module, else ``TypeError`` naming ``name``."""
    if not isinstance(value, nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {_kind(value)}")
    return value


def modules(value, name: str) -> list[nn.Module]:
    """An iterable of torch.nn.Modules (a list, an ``nn.Sequential``, an ``nn.ModuleList``)
    as a list; ``TypeError`` for anything else, naming the first offending entry ``name[i]``."""
    if isinstance(value, (str, bytes, Mapping, torch.Tensor)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a sequence of torch.nn.Modules, got {_kind(value)}")
    value = list(value)
    for i, m in enumerate(value):
        module(m, f"{name}[{i}]")
    return value


def token_ids(tokens, vocab_size: int, max_len: int | None = None, name: str = "tokens") -> None:
    """``tokens`` must be an int64 tensor (N, T) with 1 <= T (<= ``max_len`` if given) and
    values in [0, vocab_size)."""
    if not isinstance(tokens, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tokens).__name__}")
    if tokens.dtype != torch.int64:
        raise TypeError(f"{name} must be an int64 (torch.long) tensor of token ids, got {tokens.dtype}")
    if tokens.dim() != 2 or tokens.shape[1] == 0:
        raise ValueError(f"{name} must have shape (N, T) with T >= 1, got {tuple(tokens.shape)}")
    if max_len is not None and tokens.shape[1] > max_len:
        raise ValueError(f"{name} has T={tokens.shape[1]} positions, more than the maximum length {max_len}")
    if tokens.numel() and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise ValueError(f"{name} values must be in [0, {vocab_size - 1}], got min {tokens.min().item()} "
                         f"and max {tokens.max().item()}")


def synchronize(device: torch.device) -> None:
    """Wait for the device to finish its queued work, so that a timer sees it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
