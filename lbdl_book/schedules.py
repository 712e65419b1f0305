"""Training protocols (LBDL §3.6): learning-rate schedules and early stopping.

A *learning-rate schedule* gives the learning rate η_t of gradient step t. LBDL states
the general policy: large at first, so that the optimisation is not trapped early in a
bad local minimum, then smaller, so that the parameters stop bouncing around and
settle in a good minimum. Each schedule below is a plain function of the step, written
from its formula; fix its settings with ``functools.partial`` and hand it to
:func:`to_torch` to drive a PyTorch optimiser. The tests check every one against the
corresponding ``torch.optim.lr_scheduler`` class, step by step.

*Early stopping* watches the validation loss after each epoch, remembers the best
model seen so far, and says when to stop: after ``patience`` epochs without
improvement.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Real

import torch
from torch import nn

from ._checks import positive_int

__all__ = [
    "EarlyStopping",
    "constant",
    "cosine_annealing",
    "linear_warmup",
    "schedule_values",
    "step_decay",
    "to_torch",
    "warmup_cosine",
]


# --- argument checks -------------------------------------------------------------------

def _check_step(step) -> None:
    if isinstance(step, bool) or not isinstance(step, int):
        raise TypeError(f"step must be an int, got {type(step).__name__}")
    if step < 0:
        raise ValueError(f"step must be >= 0, got {step}")


def _check_rate(value, name: str, *, allow_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not (math.isfinite(value) and (value >= 0 if allow_zero else value > 0)):
        raise ValueError(f"{name} must be a finite number {'>= 0' if allow_zero else '> 0'}, got {value!r}")


def _check_factor(value, name: str) -> None:
    _check_rate(value, name)
    if value > 1:
        raise ValueError(f"{name} must be in (0, 1], got {value!r}")


# --- schedules: η_t as a function of the step t = 0, 1, 2, … -----------------------------

def constant(step: int, *, lr: float) -> float:
    """η_t = η: the baseline."""
    _check_step(step)
    _check_rate(lr, "lr")
    return float(lr)


def linear_warmup(step: int, *, lr: float, warmup_steps: int, start_factor: float = 0.1) -> float:
    """η_t = η · (s + (1 − s) · min(t, W) / W): a straight line from s·η at t = 0 up to η
    at t = W, then η. W = ``warmup_steps``, s = ``start_factor`` in (0, 1].

    Same as ``torch.optim.lr_scheduler.LinearLR(start_factor=s, total_iters=W)``."""
    _check_step(step)
    _check_rate(lr, "lr")
    positive_int(warmup_steps, "warmup_steps")
    _check_factor(start_factor, "start_factor")
    return lr * (start_factor + (1 - start_factor) * min(step, warmup_steps) / warmup_steps)


def step_decay(step: int, *, lr: float, step_size: int, gamma: float = 0.1) -> float:
    """η_t = η · γ^⌊t / step_size⌋: the rate is multiplied by γ every ``step_size`` steps.

    Same as ``torch.optim.lr_scheduler.StepLR(step_size, gamma)``."""
    _check_step(step)
    _check_rate(lr, "lr")
    positive_int(step_size, "step_size")
    _check_factor(gamma, "gamma")
    return lr * gamma ** (step // step_size)


def cosine_annealing(step: int, *, lr: float, total_steps: int, min_lr: float = 0.0) -> float:
    """η_t = η_min + (η − η_min) · (1 + cos(π t / T)) / 2 for 0 ≤ t ≤ T, then η_min.

    Half a cosine period from η down to η_min = ``min_lr`` over T = ``total_steps`` steps.
    Same as ``torch.optim.lr_scheduler.CosineAnnealingLR(T_max=T, eta_min=η_min)`` for
    t ≤ T; past T PyTorch's rate climbs back up the cosine, ours stays at η_min."""
    _check_step(step)
    _check_rate(lr, "lr")
    positive_int(total_steps, "total_steps")
    _check_rate(min_lr, "min_lr", allow_zero=True)
    if min_lr > lr:
        raise ValueError(f"min_lr must be <= lr, got min_lr={min_lr!r} and lr={lr!r}")
    t = min(step, total_steps)
    return min_lr + (lr - min_lr) * (1 + math.cos(math.pi * t / total_steps)) / 2


def warmup_cosine(step: int, *, lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0,
                  start_factor: float = 0.1) -> float:
    """:func:`linear_warmup` for t < W, then :func:`cosine_annealing` of t − W over the
    remaining T − W steps, where W = ``warmup_steps`` < T = ``total_steps``.

    Same as ``SequentialLR([LinearLR(start_factor, total_iters=W),
    CosineAnnealingLR(T_max=T − W, eta_min=min_lr)], milestones=[W])``."""
    _check_step(step)
    positive_int(warmup_steps, "warmup_steps")
    positive_int(total_steps, "total_steps")
    if warmup_steps >= total_steps:
        raise ValueError(f"warmup_steps must be < total_steps, got {warmup_steps} and {total_steps}")
    if step < warmup_steps:
        return linear_warmup(step, lr=lr, warmup_steps=warmup_steps, start_factor=start_factor)
    return cosine_annealing(step - warmup_steps, lr=lr, total_steps=total_steps - warmup_steps, min_lr=min_lr)


def schedule_values(schedule: Callable[[int], float], steps: int) -> torch.Tensor:
    """The rates η_0, …, η_{steps−1} of ``schedule`` as a (steps,) float64 tensor (to plot)."""
    if not callable(schedule):
        raise TypeError(f"schedule must be a function of the step, got {type(schedule).__name__}")
    positive_int(steps, "steps")
    return torch.tensor([float(schedule(t)) for t in range(steps)], dtype=torch.float64)


def to_torch(optimizer: torch.optim.Optimizer, schedule: Callable[[int], float]) -> torch.optim.lr_scheduler.LambdaLR:
    """A PyTorch scheduler that sets the learning rate of every parameter group of
    ``optimizer`` to ``schedule(t)`` at step t. Call its ``step()`` after each
    ``optimizer.step()``, as with any PyTorch scheduler.

    It is a ``LambdaLR`` whose multiplier is schedule(t) / (the group's initial rate)."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer, got {type(optimizer).__name__}")
    if not callable(schedule):
        raise TypeError(f"schedule must be a function of the step, got {type(schedule).__name__}")
    factors = []
    for i, group in enumerate(optimizer.param_groups):
        base = group.get("initial_lr", group["lr"])
        if not base > 0:
            raise ValueError(f"param group {i} of optimizer must have a learning rate > 0, got {base!r}")
        factors.append(lambda t, base=base: schedule(t) / base)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factors)


# --- early stopping ----------------------------------------------------------------------

class EarlyStopping:
    """Keep the model of the best epoch; stop after ``patience`` epochs without progress.

    Call :meth:`update` once per epoch with the validation loss (and the model). An
    epoch *improves* when its loss is below the best so far by more than ``min_delta``.
    Epochs are counted from 1. After ``patience`` epochs in a row without improvement
    :meth:`update` returns True, and from then on the stopper is frozen: later calls
    change nothing, so its ``best_state`` stays the model it chose.

    Attributes: ``best_loss``, ``best_epoch`` (None before the first update),
    ``best_state`` (a copy of the model's ``state_dict`` at ``best_epoch``, or None when
    no model was passed), ``epoch`` (epochs seen) and ``stopped_epoch`` (None while
    training should go on).
    """

    def __init__(self, patience: int = 10, min_delta: float = 0.0):
        positive_int(patience, "patience")
        _check_rate(min_delta, "min_delta", allow_zero=True)
        self.patience = patience
        self.min_delta = float(min_delta)
        self.best_loss = math.inf
        self.best_epoch: int | None = None
        self.best_state: dict[str, torch.Tensor] | None = None
        self.epoch = 0
        self.stopped_epoch: int | None = None
        self._epochs_without_progress = 0

    @property
    def should_stop(self) -> bool:
        return self.stopped_epoch is not None

    def update(self, val_loss: float, model: nn.Module | None = None) -> bool:
        """Record one epoch's validation loss; True once training should stop.

        A nan loss never counts as an improvement."""
        if isinstance(val_loss, torch.Tensor):
            if val_loss.numel() != 1:
                raise ValueError(f"val_loss must be a single number, got a tensor of shape {tuple(val_loss.shape)}")
            val_loss = val_loss.item()
        if isinstance(val_loss, bool) or not isinstance(val_loss, Real):
            raise TypeError(f"val_loss must be a real number, got {type(val_loss).__name__}")
        if model is not None and not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module or None, got {type(model).__name__}")
        if self.should_stop:
            return True
        self.epoch += 1
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch = float(val_loss), self.epoch
            self._epochs_without_progress = 0
            if model is not None:
                self.best_state = {name: value.detach().clone() for name, value in model.state_dict().items()}
        else:
            self._epochs_without_progress += 1
            if self._epochs_without_progress >= self.patience:
                self.stopped_epoch = self.epoch
        return self.should_stop

    def restore(self, model: nn.Module) -> nn.Module:
        """Load the best state into ``model`` and return it."""
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        if self.best_state is None:
            raise ValueError("no best state to restore: call update(val_loss, model) with a model first")
        model.load_state_dict(self.best_state)
        return model
