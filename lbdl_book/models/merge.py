"""Model merging (LBDL §8.4): task arithmetic, TIES-merging, DARE, and a stochastic search
over per-layer merging coefficients.

Several models fine-tuned from one base model share its architecture and, if the
fine-tuning moved them little, stay compatible: their parameters can be combined in
parameter space, without further training. Models are handled here as **state dicts**
(``{name: tensor}``, or an ``nn.Module``, whose ``state_dict()`` is taken); the
floating-point entries are the parameters that merge, the others (integer buffers) must be
the same in every model and are copied from the base.

**Task arithmetic** [Ilharco et al., 2022]. With θ the base parameters and θ_t those
fine-tuned on task t, the **task vector** is

    τ_t = θ_t − θ                                               (:func:`task_vector`)

and a merged model is θ + Σ_t λ_t τ_t (:func:`add`): λ_t = 1 for every task gives LBDL's
multi-task model θ + τ_1 + … + τ_T, and θ − λ τ_t (:func:`negate`) makes the model forget
task t. The coefficients may also differ per layer: a (T, G) tensor of coefficients, G the
number of layers of :func:`layer_names` (entries ``"0.weight"`` and ``"0.bias"`` form the
layer ``"0"``).

**TIES-merging** [Yadav et al., 2023] (:func:`ties_merge`) reduces the interference between
task vectors in three steps: *trim* each τ_t to its ``density`` fraction of entries of
largest magnitude (the others set to zero); *elect* a sign per entry, that of the sum of
the trimmed vectors; take the *disjoint mean*: per entry, the mean of the trimmed values
that agree with the elected sign (zeros and the disagreeing values left out; zero where
none is left). The result is one vector τ_m, added as θ + λ τ_m.

**DARE** [Yu et al., 2023] (:func:`dare`) drops every entry of a task vector with
probability p and multiplies the survivors by 1/(1 − p): each entry keeps its expected
value, E[τ̃] = (1 − p) · τ / (1 − p) = τ, while most entries become zero, which leaves less
room for two task vectors to collide.

**Stochastic search** [Akiba et al., 2024]. The per-layer coefficients of the merge form a
small vector (T × G numbers) whose score on a validation set has no useful gradient (an
accuracy); :func:`evolution_search` maximises such a score with a simple evolution strategy
(the cross-entropy method with a diagonal Gaussian, a simplified CMA-ES): each generation
samples candidates around a mean, keeps the best few ("elites") and moves the mean and the
spread to theirs. Akiba et al. search with CMA-ES over both the merging coefficients and the
order in which layers of the different models are stacked; this module searches the first.

**The demo of the book's page.** :func:`digit_tasks` splits the digits of
:mod:`lbdl_book.data.digits` into a small set on which a base classifier is trained, two
fine-tuning tasks (the digits 0-4 and the digits 5-9, each with its images only), a
validation set and the test set; :func:`train_digit_models` trains the base MLP and its two
fine-tunes; :func:`correct` and :func:`task_accuracies` run a model with the parameters of
a state dict (``torch.func.functional_call``, the model itself untouched) and score it on
each task.

Example::

    data = digit_tasks()
    model, theta, finetuned = train_digit_models(data, seed=0)
    taus = [task_vector(finetuned[name], theta) for name in DIGIT_TASKS]
    multi = add(theta, taus, 0.5)                        # θ + 0.5 (τ_0-4 + τ_5-9)
    task_accuracies(model, multi, *data.test)            # {"0-4": ..., "5-9": ...}
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from numbers import Real
from typing import NamedTuple

import torch
from torch import nn

from lbdl_book._checks import _kind, function, module, non_negative_int, positive_int, positive_real

__all__ = ["DIGIT_TASKS", "MergeDigits", "SearchResult", "add", "correct", "dare", "digit_tasks", "evolution_search",
           "layer_names", "negate", "task_accuracies", "task_vector", "ties_merge", "train_digit_models"]

StateDict = dict[str, torch.Tensor]

DIGIT_TASKS: dict[str, tuple[int, ...]] = {"0-4": (0, 1, 2, 3, 4), "5-9": (5, 6, 7, 8, 9)}


# --- state dicts ------------------------------------------------------------------------------

def _state(value, name: str) -> StateDict:
    """``value`` (an nn.Module or a mapping of str → tensor) as a plain dict of detached tensors."""
    if isinstance(value, nn.Module):
        value = value.state_dict()
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a state dict (a mapping of str to tensors) or an nn.Module, "
                        f"got {_kind(value)}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    state = {}
    for key, tensor in value.items():
        if not isinstance(key, str):
            raise TypeError(f"{name} must have str keys, got {key!r}")
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"{name}[{key!r}] must be a tensor, got {_kind(tensor)}")
        state[key] = tensor.detach()
    return state


def _floating(state: StateDict) -> list[str]:
    return [key for key, tensor in state.items() if tensor.is_floating_point()]


def _same_layout(state: StateDict, reference: StateDict, name: str, reference_name: str,
                 keys: list[str] | None = None) -> None:
    """``state`` has exactly the keys (``keys``, else all of ``reference``'s) with the same shapes."""
    keys = list(reference) if keys is None else keys
    if sorted(state) != sorted(keys):
        missing, extra = sorted(set(keys) - set(state)), sorted(set(state) - set(keys))
        raise ValueError(f"{name} must have the entries of {reference_name}: missing {missing}, unexpected {extra}")
    for key in keys:
        if state[key].shape != reference[key].shape:
            raise ValueError(f"{name}[{key!r}] must have the shape of {reference_name}[{key!r}] "
                             f"{tuple(reference[key].shape)}, got {tuple(state[key].shape)}")
        if state[key].is_floating_point() != reference[key].is_floating_point():
            raise ValueError(f"{name}[{key!r}] must have a dtype of the same kind as {reference_name}[{key!r}] "
                             f"({reference[key].dtype}), got {state[key].dtype}")


def _vectors(vectors, name: str) -> list[StateDict]:
    if isinstance(vectors, (Mapping, nn.Module)):
        raise TypeError(f"{name} must be a sequence of task vectors (state dicts), not a single one; "
                        f"wrap it in a list")
    if isinstance(vectors, (str, bytes)) or not isinstance(vectors, Sequence) or not vectors:
        raise TypeError(f"{name} must be a non-empty sequence of task vectors (state dicts), got {_kind(vectors)}")
    states = [_state(v, f"{name}[{i}]") for i, v in enumerate(vectors)]
    for i, state in enumerate(states[1:], 1):
        _same_layout(state, states[0], f"{name}[{i}]", f"{name}[0]")
    for i, state in enumerate(states):
        for key, tensor in state.items():
            if not tensor.is_floating_point():
                raise TypeError(f"{name}[{i}][{key!r}] must be a floating-point tensor, got {tensor.dtype}")
    return states


def layer_names(state) -> list[str]:
    """The layers of a state dict (or module), in order: the distinct prefixes of its
    floating-point entries before their last dot (``"0.weight"``, ``"0.bias"`` → ``"0"``;
    an entry without a dot is a layer of its own). These are the G groups of per-layer
    coefficients in :func:`add`."""
    names: list[str] = []
    for key in _floating(_state(state, "state")):
        layer = key.rsplit(".", 1)[0]
        if layer not in names:
            names.append(layer)
    return names


def task_vector(finetuned, base) -> StateDict:
    """τ = θ_t − θ: the difference of the floating-point entries of ``finetuned`` (θ_t) and
    ``base`` (θ), two state dicts (or modules) with the same entries and shapes; the other
    entries (integer buffers) must be equal in both and are left out."""
    theta_t, theta = _state(finetuned, "finetuned"), _state(base, "base")
    _same_layout(theta_t, theta, "finetuned", "base")
    vector = {}
    for key, tensor in theta.items():
        if tensor.is_floating_point():
            vector[key] = theta_t[key].to(tensor.dtype) - tensor
        elif not torch.equal(theta_t[key], tensor):
            raise ValueError(f"finetuned[{key!r}] is not a floating-point entry and must equal base[{key!r}]")
    return vector


def _coefficients(coefficients, tasks: int, layers: int, name: str) -> torch.Tensor:
    """The coefficients as a (T, G) float64 tensor."""
    if isinstance(coefficients, bool):
        raise TypeError(f"{name} must be a number, a sequence of {tasks} numbers or a tensor of shape ({tasks},) "
                        f"or ({tasks}, {layers}), got a bool")
    if isinstance(coefficients, Real):
        values = torch.full((tasks, layers), float(coefficients), dtype=torch.float64)
    elif isinstance(coefficients, torch.Tensor):
        if coefficients.is_complex() or coefficients.dtype == torch.bool or \
                coefficients.shape not in ((tasks,), (tasks, layers)):
            raise ValueError(f"{name} must be a real tensor of shape ({tasks},) or ({tasks}, {layers}) "
                             f"(tasks, layers), got {_kind(coefficients)}")
        values = coefficients.detach().to("cpu", torch.float64)
        values = values[:, None].expand(tasks, layers) if values.dim() == 1 else values
    elif isinstance(coefficients, Sequence) and not isinstance(coefficients, (str, bytes)):
        if len(coefficients) != tasks or not all(isinstance(c, Real) and not isinstance(c, bool)
                                                  for c in coefficients):
            raise ValueError(f"{name} must hold one number per task vector ({tasks}), got {coefficients!r}")
        values = torch.tensor([float(c) for c in coefficients], dtype=torch.float64)[:, None].expand(tasks, layers)
    else:
        raise TypeError(f"{name} must be a number, a sequence of {tasks} numbers or a tensor of shape ({tasks},) "
                        f"or ({tasks}, {layers}), got {_kind(coefficients)}")
    if not torch.isfinite(values).all():
        raise ValueError(f"{name} must be finite, got {coefficients!r}")
    return values


def add(base, vectors, coefficients=1.0) -> StateDict:
    """θ + Σ_t λ_t τ_t: the state dict of ``base`` (θ, a state dict or a module) with the
    task vectors ``vectors`` (a sequence of T state dicts over its floating-point entries,
    from :func:`task_vector`, :func:`ties_merge` or :func:`dare`) added with the weights
    ``coefficients``: one number for every task, one number per task, or a tensor of shape
    (T,) or (T, G), G = ``len(layer_names(base))``, for per-layer coefficients. The
    vectors are added one after the other, in the dtype of θ (λ = 1 adds τ unscaled, so
    ``add(θ, [task_vector(θ_t, θ)])`` is θ_t up to one rounding of each operation).
    Integer entries are copied from θ."""
    theta = _state(base, "base")
    taus = _vectors(vectors, "vectors")
    keys = _floating(theta)
    if not keys:
        raise ValueError("base must have floating-point entries to merge")
    _same_layout(taus[0], theta, "vectors[0]", "base", keys)
    layers = layer_names(theta)
    lam = _coefficients(coefficients, len(taus), len(layers), "coefficients")
    merged = {}
    for key, tensor in theta.items():
        if not tensor.is_floating_point():
            merged[key] = tensor.clone()
            continue
        g = layers.index(key.rsplit(".", 1)[0])
        value = tensor.clone()
        for t, tau in enumerate(taus):
            value = value + lam[t, g].item() * tau[key].to(tensor.dtype)
        merged[key] = value
    return merged


def negate(base, vector, coefficient=1.0) -> StateDict:
    """θ − λ τ: ``base`` with the task vector ``vector`` (one state dict) subtracted, scaled
    by ``coefficient`` (a number), so that the model forgets the task of τ."""
    if isinstance(coefficient, bool) or not isinstance(coefficient, Real):
        raise TypeError(f"coefficient must be a real number, got {_kind(coefficient)}")
    if not math.isfinite(coefficient):
        raise ValueError(f"coefficient must be finite, got {coefficient!r}")
    return add(base, [_state(vector, "vector")], [-float(coefficient)])


# --- interference reduction -------------------------------------------------------------------

def _fraction(value, name: str, *, closed_right: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {_kind(value)}")
    inside = (0 < value <= 1) if closed_right else (0 <= value < 1)
    if not inside:
        interval = "(0, 1]" if closed_right else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


def ties_merge(vectors, density: float = 0.2) -> StateDict:
    """TIES-merging [Yadav et al., 2023] of the task vectors ``vectors`` (a sequence of T
    state dicts with the same entries): trim each to its ``density`` fraction
    (0 < density ≤ 1) of entries of largest magnitude, counted over all its entries
    (k = max(1, round(density · n)) of n; equal magnitudes at the threshold are broken by
    :func:`torch.topk`), elect per entry the sign of the sum of the trimmed vectors, and
    return the disjoint mean: per entry, the mean of the trimmed values of that sign
    (zero if there is none). Add the result to the base with :func:`add`."""
    taus = _vectors(vectors, "vectors")
    density = _fraction(density, "density", closed_right=True)
    keys = list(taus[0])
    trimmed = []
    for tau in taus:
        flat = torch.cat([tau[key].reshape(-1).to(torch.float64) for key in keys])
        k = max(1, round(density * flat.numel()))
        keep = torch.zeros_like(flat, dtype=torch.bool)
        keep[flat.abs().topk(k).indices] = True
        trimmed.append(torch.where(keep, flat, torch.zeros_like(flat)))
    stacked = torch.stack(trimmed)                                  # (T, n)
    sign = torch.sign(stacked.sum(0))                               # elected sign; 0 where the sum is 0
    agree = (torch.sign(stacked) == sign) & (stacked != 0)
    count = agree.sum(0)
    mean = torch.where(agree, stacked, torch.zeros_like(stacked)).sum(0) / count.clamp_min(1)
    merged, start = {}, 0
    for key in keys:
        n = taus[0][key].numel()
        merged[key] = mean[start:start + n].reshape(taus[0][key].shape).to(taus[0][key].dtype)
        start += n
    return merged


def dare(vector, p: float, *, seed: int = 0) -> StateDict:
    """DARE [Yu et al., 2023]: every entry of the task vector ``vector`` (a state dict) is
    set to zero with probability ``p`` (0 ≤ p < 1), independently, and the others are
    divided by 1 − p, so that each entry keeps its expected value. ``seed`` seeds the draw."""
    (tau,) = _vectors([_state(vector, "vector")], "vector")
    p = _fraction(p, "p", closed_right=False)
    non_negative_int(seed, "seed")
    generator = torch.Generator().manual_seed(seed)
    dropped = {}
    for key, value in tau.items():
        keep = torch.rand(value.shape, generator=generator) >= p
        dropped[key] = torch.where(keep.to(value.device), value / (1 - p), torch.zeros_like(value))
    return dropped


# --- stochastic search ------------------------------------------------------------------------

@dataclasses.dataclass
class SearchResult:
    """What :func:`evolution_search` returns: ``best`` (the best point found, (d,)),
    ``best_score``, ``initial_score`` (the score of the starting point), ``history`` (the
    best score so far after each generation, the first entry being the initial score),
    ``evaluations`` (calls of the objective)."""

    best: torch.Tensor
    best_score: float
    initial_score: float
    history: list[float]
    evaluations: int


def _score(objective, x: torch.Tensor) -> float:
    value = objective(x.clone())
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise TypeError(f"objective must return a real number (not NaN), got {_kind(value)}")
    return float(value)


def evolution_search(objective: Callable[[torch.Tensor], float], initial, *, sigma: float = 0.3,
                     generations: int = 20, population: int = 16, elite: int = 4, low: float = -math.inf,
                     high: float = math.inf, seed: int = 0) -> SearchResult:
    """Maximise ``objective`` (a function of a (d,) float64 tensor returning a number)
    from ``initial`` (a (d,) tensor or a sequence of d numbers) by the cross-entropy method
    with a diagonal Gaussian: each of ``generations`` generations draws ``population``
    points mean + std ⊙ ε (ε standard normal, clamped into [low, high]), scores them, and
    sets the mean and std to those of the ``elite`` best (the std averaged with its old
    value, and kept ≥ sigma / 20, so that the search does not freeze). The starting point
    is scored first and the best point ever seen is returned, so the result never scores
    below the start. ``seed`` seeds the draws."""
    function(objective, "objective")
    if isinstance(initial, torch.Tensor):
        if initial.dim() != 1 or initial.numel() == 0 or not (initial.is_floating_point()
                                                               or initial.dtype in (torch.int32, torch.int64)):
            raise ValueError(f"initial must be a non-empty 1-D real tensor, got {_kind(initial)}")
        x0 = initial.detach().to("cpu", torch.float64)
    elif isinstance(initial, Sequence) and not isinstance(initial, (str, bytes)) and initial and \
            all(isinstance(v, Real) and not isinstance(v, bool) for v in initial):
        x0 = torch.tensor([float(v) for v in initial], dtype=torch.float64)
    else:
        raise TypeError(f"initial must be a 1-D tensor or a non-empty sequence of numbers, got {_kind(initial)}")
    if not torch.isfinite(x0).all():
        raise ValueError("initial must be finite")
    sigma = positive_real(sigma, "sigma")
    positive_int(generations, "generations")
    positive_int(population, "population")
    positive_int(elite, "elite")
    if elite > population:
        raise ValueError(f"elite must be at most population ({population}), got {elite}")
    for value, name in ((low, "low"), (high, "high")):
        if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
            raise TypeError(f"{name} must be a real number, got {_kind(value)}")
    if not low < high:
        raise ValueError(f"low must be below high, got low={low!r}, high={high!r}")
    non_negative_int(seed, "seed")
    generator = torch.Generator().manual_seed(seed)
    mean, std = x0.clamp(low, high), torch.full_like(x0, sigma)
    best, best_score = mean.clone(), _score(objective, mean)
    initial_score, history, evaluations = best_score, [best_score], 1
    for _ in range(generations):
        candidates = (mean + std * torch.randn(population, len(x0), generator=generator, dtype=torch.float64))
        candidates = candidates.clamp(low, high)
        scores = torch.tensor([_score(objective, c) for c in candidates], dtype=torch.float64)
        evaluations += population
        order = torch.argsort(scores, descending=True, stable=True)
        if scores[order[0]] > best_score:
            best, best_score = candidates[order[0]].clone(), scores[order[0]].item()
        elites = candidates[order[:elite]]
        mean = elites.mean(0)
        std = (0.5 * std + 0.5 * elites.std(0, correction=0)).clamp_min(sigma / 20)
        history.append(best_score)
    return SearchResult(best, best_score, initial_score, history, evaluations)


# --- the demo: digits 0-4 and 5-9 -------------------------------------------------------------

class MergeDigits(NamedTuple):
    """The splits of :func:`digit_tasks`: each an ``(images (N, 64), labels (N,))`` pair,
    ``tasks`` a dict task name → that pair (the fine-tuning images of the task's classes)."""

    base: tuple[torch.Tensor, torch.Tensor]
    tasks: dict[str, tuple[torch.Tensor, torch.Tensor]]
    validation: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]


def digit_tasks(base_size: int = 150, validation_size: int = 300, *, seed: int = 0) -> MergeDigits:
    """The digits of :func:`lbdl_book.data.digits.load_digits` (8 × 8, flattened to 64
    pixels in [0, 1]; 1,297 training and 500 test images drawn with ``seed``) split for
    merging: the first ``base_size`` training images (all classes) train the base model;
    the last ``validation_size`` are the validation set (for choosing coefficients); the
    images in between are the fine-tuning sets of :data:`DIGIT_TASKS`, each with the images
    of its classes only; the test images are held out."""
    from lbdl_book.data.digits import load_digits

    positive_int(base_size, "base_size")
    positive_int(validation_size, "validation_size")
    non_negative_int(seed, "seed")
    x_train, y_train, x_test, y_test = load_digits(8, seed=seed)
    if base_size + validation_size >= len(x_train):
        raise ValueError(f"base_size + validation_size must be below the {len(x_train)} training images, "
                         f"got {base_size} + {validation_size}")
    x_train, x_test = x_train.flatten(1), x_test.flatten(1)
    middle = slice(base_size, len(x_train) - validation_size)
    tasks = {}
    for name, classes in DIGIT_TASKS.items():
        inside = torch.isin(y_train[middle], torch.tensor(classes))
        tasks[name] = (x_train[middle][inside], y_train[middle][inside])
    return MergeDigits((x_train[:base_size], y_train[:base_size]), tasks,
                       (x_train[-validation_size:], y_train[-validation_size:]), (x_test, y_test))


def correct(model: nn.Module, state, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Which images ``model`` classifies right when run with the parameters ``state`` (a
    state dict, e.g. from :func:`add`; ``model``'s own are left untouched): a (N,) bool
    tensor, True where the largest logit of ``images[i]`` is ``labels[i]``, on the CPU."""
    module(model, "model")
    state = _state(state, "state")
    if not isinstance(images, torch.Tensor) or not images.is_floating_point() or images.dim() < 2 or not len(images):
        raise TypeError(f"images must be a floating-point tensor (N, ...) of N >= 1 inputs, got {_kind(images)}")
    if not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64 or labels.shape != images.shape[:1]:
        raise TypeError(f"labels must be an int64 tensor of shape ({images.shape[0]},), got {_kind(labels)}")
    with torch.no_grad():
        predicted = torch.func.functional_call(model, state, (images,)).argmax(-1).cpu()
    return predicted == labels.cpu()


def task_accuracies(model: nn.Module, state, images: torch.Tensor, labels: torch.Tensor,
                    tasks: Mapping[str, Sequence[int]] | None = None) -> dict[str, float]:
    """The accuracy of ``model`` run with the parameters ``state`` (see :func:`correct`) on
    the ``images`` (N, ...) whose label in ``labels`` (N,) belongs to each task of
    ``tasks`` (name → classes; default :data:`DIGIT_TASKS`): the fraction of them whose
    largest logit is their label (among all classes)."""
    right = correct(model, state, images, labels)
    tasks = DIGIT_TASKS if tasks is None else tasks
    if not isinstance(tasks, Mapping) or not tasks:
        raise TypeError(f"tasks must be a non-empty mapping of task name to classes, got {_kind(tasks)}")
    labels, result = labels.cpu(), {}
    for name, classes in tasks.items():
        inside = torch.isin(labels, torch.as_tensor(list(classes), dtype=torch.int64))
        if not inside.any():
            raise ValueError(f"no image of labels belongs to task {name!r} (classes {list(classes)})")
        result[name] = right[inside].float().mean().item()
    return result


def train_digit_models(data: MergeDigits, *, seed: int = 0, hidden: int = 128, base_epochs: int = 20,
                       finetune_epochs: int = 10) -> tuple[nn.Module, StateDict, dict[str, StateDict]]:
    """The models of the page: an MLP 64 → ``hidden`` → ``hidden`` → 10 (ReLU,
    :class:`lbdl_book.models.mlp.MLP`) built from ``seed`` and trained with Adam
    (learning rate 3e-3, batches of 64) for ``base_epochs`` epochs on ``data.base``, then,
    for each task of ``data.tasks``, a copy of it fine-tuned for ``finetune_epochs``
    epochs on that task's images only (Adam, learning rate 1e-3, batches of 64), all
    through :func:`lbdl_book.fit`. Returns (the base model, its state dict θ, the
    fine-tuned state dicts θ_t by task name), on the CPU."""
    import copy

    import torch.nn.functional as F

    from lbdl_book.models.mlp import MLP
    from lbdl_book.train import fit

    if not isinstance(data, MergeDigits):
        raise TypeError(f"data must be the MergeDigits of digit_tasks(), got {_kind(data)}")
    non_negative_int(seed, "seed")
    positive_int(hidden, "hidden")
    positive_int(base_epochs, "base_epochs")
    positive_int(finetune_epochs, "finetune_epochs")
    torch.manual_seed(seed)
    model = MLP((data.base[0].shape[1], hidden, hidden, 10))
    fit(model, F.cross_entropy, data.base, epochs=base_epochs, lr=3e-3, batch_size=64, optimizer="adam",
        seed=seed, progress=False)
    model = model.cpu()
    base = {key: value.detach().clone() for key, value in model.state_dict().items()}
    finetuned = {}
    for name, task_data in data.tasks.items():
        copy_ = copy.deepcopy(model)
        fit(copy_, F.cross_entropy, task_data, epochs=finetune_epochs, lr=1e-3, batch_size=64, optimizer="adam",
            seed=seed, progress=False)
        finetuned[name] = {key: value.detach().cpu().clone() for key, value in copy_.state_dict().items()}
    return model, base, finetuned
