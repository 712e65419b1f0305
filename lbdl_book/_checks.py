"""Argument checks and timing helpers shared by the modules of lbdl_book."""

from __future__ import annotations

import torch


def positive_int(value, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is an int >= 1 (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def synchronize(device: torch.device) -> None:
    """Wait for the device to finish its queued work, so that a timer sees it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
