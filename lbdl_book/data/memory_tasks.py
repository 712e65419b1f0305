"""A task that needs memory, for the recurrent networks of "The missing bits".

**Marked recall at a lag**: a sequence of ``lag + 1`` random symbols out of
``num_symbols``, each given as a one-hot vector, plus one more input channel, the
*marker*, which is 1 on the first element only. The target is the marked symbol, to be
given after the last element: the model must carry it across ``lag`` steps of random
symbols that it must not let overwrite it. Guessing gives 1 / ``num_symbols``.
"""

from __future__ import annotations

import torch

from lbdl_book._checks import non_negative_int, positive_int

__all__ = ["marked_recall"]


def marked_recall(n: int, lag: int, num_symbols: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` sequences of the marked-recall task: inputs (n, lag + 1, num_symbols + 1),
    float32 (one-hot symbol, then the marker channel, 1 at step 0 only), and targets
    (n,), int64, the symbol of step 0. Seeded: the same arguments give the same data."""
    positive_int(n, "n")
    non_negative_int(lag, "lag")
    if positive_int(num_symbols, "num_symbols") < 2:
        raise ValueError(f"num_symbols must be at least 2, got {num_symbols}")
    non_negative_int(seed, "seed")
    generator = torch.Generator().manual_seed(seed)
    symbols = torch.randint(0, num_symbols, (n, lag + 1), generator=generator)
    x = torch.zeros(n, lag + 1, num_symbols + 1)
    x.scatter_(2, symbols[..., None], 1.0)
    x[:, 0, num_symbols] = 1.0
    return x, symbols[:, 0]
