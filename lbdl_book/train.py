"""The one training loop of the book (§1.1 training as loss minimisation, §3.3 SGD,
§3.6 training protocols).

``fit`` takes a model, a loss and a training set, and runs mini-batch gradient
descent on the device of :func:`lbdl_book.device`. Optional: a learning-rate schedule,
gradient-norm clipping, early stopping, and 16-bit autocast on a GPU. It shows a
``tqdm`` progress bar and returns a :class:`History` of the loss (and metrics) per
epoch.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from ._checks import function, module, positive_int, positive_real
from .config import device as default_device
from .config import show_progress
from .schedules import EarlyStopping, to_torch

Batch = tuple[torch.Tensor, ...]


@dataclass
class History:
    """Per-epoch records: ``history["train_loss"]`` is a list with one value per epoch."""

    records: dict[str, list[float]] = field(default_factory=dict)

    def log(self, **values: float) -> None:
        for name, value in values.items():
            self.records.setdefault(name, []).append(float(value))

    def __getitem__(self, name: str) -> list[float]:
        if name not in self.records:
            raise KeyError(f"no record {name!r}; recorded: {sorted(self.records)}")
        return self.records[name]

    def __contains__(self, name: str) -> bool:
        return name in self.records

    def last(self, name: str) -> float:
        return self[name][-1]


def _as_tensors(data, name: str) -> Batch:
    if isinstance(data, torch.Tensor):
        data = (data,)
    if not isinstance(data, Sequence) or not data or not all(isinstance(x, torch.Tensor) for x in data):
        raise TypeError(f"{name} must be a tensor or a tuple of tensors (inputs[, targets]), got "
                        f"{type(data).__name__}")
    if any(x.dim() == 0 for x in data):
        raise ValueError(f"the tensors of {name} must have a sample dimension (N, ...), got a 0-d tensor")
    if len({len(x) for x in data}) != 1:
        raise ValueError(f"the tensors of {name} must have the same length, got {[len(x) for x in data]}")
    if len(data[0]) == 0:
        raise ValueError(f"{name} must hold at least one sample, got tensors of shapes "
                         f"{[tuple(x.shape) for x in data]}")
    return tuple(data)


def _batch_loss(model: nn.Module, loss_fn: Callable, batch: Batch) -> torch.Tensor:
    """``loss_fn(model(inputs), targets)``, or ``loss_fn(model(inputs))`` without targets
    (density models, whose output is already a log-likelihood)."""
    inputs, *targets = batch
    return loss_fn(model(inputs), *targets)


def _check_metrics(metrics) -> None:
    """``metrics`` must be ``None`` or a dict of names to functions (``{"accuracy": f}``)."""
    if metrics is None:
        return
    if not isinstance(metrics, dict):
        raise TypeError(f"metrics must be a dict of names to functions, e.g. {{'accuracy': accuracy}}, "
                        f"got {type(metrics).__name__}")
    for name, metric in metrics.items():
        function(metric, f"metrics[{name!r}]")


def eval_mode(model: nn.Module, *, no_grad: bool = True) -> contextlib.AbstractContextManager:
    """A context in which ``model`` and all its submodules are in eval mode (§4.5 Dropout
    and §4.6 batch normalisation behave as at test time) and, by default, no gradients
    are recorded. Each submodule gets its own mode back afterwards, even if the block
    raises. The arguments are checked when it is called, not when the block starts::

        with eval_mode(model):
            logits = model(x)
    """
    module(model, "model")
    if not isinstance(no_grad, bool):
        raise TypeError(f"no_grad must be a bool, got {type(no_grad).__name__}")
    return _eval_mode(model, no_grad)


@contextlib.contextmanager
def _eval_mode(model: nn.Module, no_grad: bool):
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad() if no_grad else contextlib.nullcontext():
            yield model
    finally:
        for m, training in modes:
            m.training = training


def predict(model: nn.Module, x: torch.Tensor, *, batch_size: int = 1024,
            each: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """``model`` applied to ``x`` (N, ...) in eval mode without gradients (:func:`eval_mode`),
    ``batch_size`` rows at a time on the model's device, so that memory stays bounded;
    ``each`` (e.g. an arg max) maps the output of every batch before it leaves the device.
    Returns the outputs of all N rows, concatenated, on the CPU."""
    module(model, "model")
    if not isinstance(x, torch.Tensor) or x.dim() == 0 or len(x) == 0:
        raise ValueError(f"x must be a tensor with at least one row, got {x!r}")
    positive_int(batch_size, "batch_size")
    if each is not None:
        function(each, "each")
    device = next(model.parameters(), torch.empty(0)).device
    with eval_mode(model):
        outputs = (model(x[i:i + batch_size].to(device)) for i in range(0, len(x), batch_size))
        return torch.cat([(out if each is None else each(out)).cpu() for out in outputs])


def evaluate(model: nn.Module, loss_fn: Callable, data, *, batch_size: int = 1024,
             metrics: dict[str, Callable] | None = None, device=None) -> dict[str, float]:
    """Average loss and metrics of ``model`` over ``data`` (no gradients, eval mode).

    A metric is ``metric(outputs, *targets) -> tensor`` averaged over samples."""
    module(model, "model")
    function(loss_fn, "loss_fn")
    positive_int(batch_size, "batch_size")
    _check_metrics(metrics)
    data = _as_tensors(data, "data")
    device = torch.device(device) if device is not None else default_device()
    totals: dict[str, float] = {}
    count = 0
    with eval_mode(model):
        for start in range(0, len(data[0]), batch_size):
            batch = tuple(x[start:start + batch_size].to(device) for x in data)
            outputs = model(batch[0])
            size = len(batch[0])
            results = {"loss": loss_fn(outputs, *batch[1:])}
            for name, metric in (metrics or {}).items():
                results[name] = metric(outputs, *batch[1:])
            for name, value in results.items():
                totals[name] = totals.get(name, 0.0) + float(value) * size
            count += size
    return {name: total / count for name, total in totals.items()}


def _autocast(device: torch.device, amp: bool | None):
    """bfloat16 autocast on CUDA (no loss scaling needed, unlike float16); nothing elsewhere.

    ``amp=None`` turns it on exactly when the device is a CUDA GPU."""
    if amp is None:
        amp = device.type == "cuda"
    if amp and device.type != "cuda":
        raise ValueError(f"amp=True needs a CUDA device, got {device}")
    return torch.autocast("cuda", dtype=torch.bfloat16) if amp else contextlib.nullcontext()


def fit(model: nn.Module, loss_fn: Callable, train_data, *, epochs: int, lr: float,
        batch_size: int | None = None, optimizer: str = "sgd", weight_decay: float = 0.0,
        val_data=None, metrics: dict[str, Callable] | None = None, device=None,
        progress: bool | None = None, seed: int | None = 0,
        schedule: Callable[[int], float] | None = None, grad_clip: float | None = None,
        early_stopping: EarlyStopping | None = None, amp: bool | None = None) -> History:
    """Train ``model`` by mini-batch gradient descent on ``loss_fn``.

    * ``train_data``: ``(inputs, targets)`` tensors of shape ``(N, ...)`` each, or
      ``(inputs,)`` for a model whose output is itself the per-sample loss input
      (e.g. a log-density); the loss is ``loss_fn(model(x), y)`` or ``loss_fn(model(x))``.
    * ``batch_size``: ``None`` for full-batch gradient descent.
    * ``optimizer``: ``"sgd"`` (plain, Eq. 3.1), ``"adam"`` (§3.3) or ``"adamw"`` (Adam
      with decoupled weight decay).
    * ``val_data``: evaluated after each epoch, logged as ``val_loss`` and ``val_<metric>``.
    * ``schedule``: the learning rate of gradient step t (a function of t, e.g. from
      :mod:`lbdl_book.schedules`); replaces the constant ``lr`` from the first step.
    * ``grad_clip``: clip the gradient's total norm to this value before each step (§3.4).
    * ``early_stopping``: an :class:`~lbdl_book.schedules.EarlyStopping` fed with the
      validation loss after each epoch (needs ``val_data``); training stops when it says
      so, and the model of its best epoch is restored.
    * ``amp``: compute the forward pass in bfloat16 (autocast); ``None`` means on a CUDA
      GPU only, where it is about twice as fast; the parameters stay in float32.
    * ``progress``: show a progress bar; ``None`` follows :func:`lbdl_book.config.show_progress`.

    Returns a :class:`History` with ``train_loss`` (mean over the epoch's batches),
    ``lr`` (the rate of the epoch's last step) and the validation records.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError("loss_fn must be callable")
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    positive_real(lr, "lr")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}")
    optimizers = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}
    if optimizer not in optimizers:
        raise ValueError(f"optimizer must be one of {sorted(optimizers)}, got {optimizer!r}")
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be a function of the step, got {type(schedule).__name__}")
    if grad_clip is not None and not grad_clip > 0:
        raise ValueError(f"grad_clip must be positive or None, got {grad_clip!r}")
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise TypeError(f"early_stopping must be an EarlyStopping, got {type(early_stopping).__name__}")
        if val_data is None:
            raise ValueError("early_stopping needs val_data to watch")
    _check_metrics(metrics)
    train_data = _as_tensors(train_data, "train_data")

    device = torch.device(device) if device is not None else default_device()
    model.to(device)
    train_data = tuple(x.to(device) for x in train_data)
    n = len(train_data[0])
    batch_size = batch_size or n
    generator = torch.Generator().manual_seed(seed) if seed is not None else None
    opt = optimizers[optimizer](model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = to_torch(opt, schedule) if schedule is not None else None
    autocast = _autocast(device, amp)

    history = History()
    bar = tqdm(range(epochs), disable=not (show_progress() if progress is None else progress), leave=False, desc="fit")
    for _ in bar:
        model.train()
        order = torch.randperm(n, generator=generator).to(device)
        total = 0.0
        for start in range(0, n, batch_size):
            batch = tuple(x[order[start:start + batch_size]] for x in train_data)
            with autocast:
                loss = _batch_loss(model, loss_fn, batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"the loss became {loss.item()}: lower the learning rate")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if grad_clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            step_lr = opt.param_groups[0]["lr"]
            opt.step()
            if scheduler is not None:
                scheduler.step()
            total += loss.item() * len(batch[0])
        history.log(train_loss=total / n, lr=step_lr)
        if val_data is not None:
            with autocast:
                scores = evaluate(model, loss_fn, val_data, metrics=metrics, device=device)
            history.log(**{f"val_{name}": value for name, value in scores.items()})
        bar.set_postfix(loss=f"{history.last('train_loss'):.4f}")
        if early_stopping is not None and early_stopping.update(history.last("val_loss"), model):
            break
    if early_stopping is not None and early_stopping.best_state is not None:
        early_stopping.restore(model)
    model.eval()
    return history
