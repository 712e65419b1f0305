"""Argument checks and timing helpers shared by the modules of lbdl_book."""

from __future__ import annotations

import torch


def positive_int(value, name: str) -> int:
    """``value`` if it is an int >= 1, else ``ValueError`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
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
