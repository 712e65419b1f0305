"""Losses (LBDL §3.1), written from their equations.

A classifier does not output a class: it outputs one real score per class, the
*logits* l_1, …, l_C. The softmax (the book's *softargmax*) turns them into a
distribution, P̂(Y = y | X = x) = exp(l_y) / Σ_z exp(l_z): larger logits get more
mass, and adding the same constant to every logit changes nothing. The cross-entropy
is the mean over the training set of −log P̂(Y = y_n | X = x_n), the surprise of the
model at the true labels; it is differentiable, unlike the error rate it stands in for.
The log-softmax is computed as l − m − log Σ exp(l − m) with m = max l, so that no
exponential overflows, whatever the scale of the logits.

Also here: the mean squared error of Eq. (1.1) (re-exported), the negative
log-likelihood of density models, the triplet loss of metric learning, and the weight
decay penalty added to a loss to keep the weights small.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Real

import torch

from ._checks import positive_int
from .models.basis import mse

__all__ = [
    "cross_entropy",
    "log_softmax",
    "mse",
    "naive_log_softmax",
    "negative_log_likelihood",
    "sample_triplets",
    "softmax",
    "triplet_loss",
    "weight_decay",
    "zero_one_error",
]


def _check_tensor(x: torch.Tensor, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")


def _check_float(x: torch.Tensor, name: str) -> None:
    _check_tensor(x, name)
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")


def _check_dim(logits: torch.Tensor, dim: int) -> int:
    _check_float(logits, "logits")
    if logits.dim() == 0:
        raise ValueError("logits must have at least one dimension, got a 0-d tensor")
    if isinstance(dim, bool) or not isinstance(dim, int) or not -logits.dim() <= dim < logits.dim():
        raise ValueError(f"dim must be an int in [{-logits.dim()}, {logits.dim()}) for logits of shape "
                         f"{tuple(logits.shape)}, got {dim!r}")
    if logits.shape[dim] == 0:
        raise ValueError(f"logits must have at least one entry along dim={dim}, got shape {tuple(logits.shape)}")
    return dim


def log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log P̂ = l − logsumexp(l) along ``dim``, any shape in, same shape out.

    Stable: with m = max l along ``dim``, logsumexp(l) = m + log Σ exp(l − m), where every
    exponent is ≤ 0 and the largest is exactly 0, so the sum lies in [1, C] and neither
    overflows nor underflows to 0. The result is l − m − log Σ exp(l − m). The shift m is
    detached: the result does not depend on it, so its gradient is 0 anyway."""
    dim = _check_dim(logits, dim)
    m = logits.detach().amax(dim=dim, keepdim=True)
    shifted = logits - m
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()


def softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """The softargmax exp(l_y) / Σ_z exp(l_z) along ``dim``: exp of :func:`log_softmax`,
    hence stable too. Same shape as ``logits``; sums to 1 along ``dim``."""
    return log_softmax(logits, dim).exp()


def naive_log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(exp(l) / Σ exp(l)) along ``dim``, straight from the formula, WITHOUT the max shift.

    Kept on purpose, to show why :func:`log_softmax` subtracts the max: in float32,
    exp(l) overflows to inf for l > 88.7 (float64: l > 709.8) and underflows to 0 for
    l < −103 (float64: −745), so extreme logits give nan (inf/inf, 0/0) or −inf (log 0).
    Do not use it to train anything."""
    dim = _check_dim(logits, dim)
    e = logits.exp()
    return (e / e.sum(dim=dim, keepdim=True)).log()


def _check_classification(logits: torch.Tensor, target: torch.Tensor) -> None:
    _check_float(logits, "logits")
    if logits.dim() != 2:
        raise ValueError(f"logits must have shape (N, C), got {tuple(logits.shape)}")
    n, c = logits.shape
    if c == 0:
        raise ValueError(f"logits must have at least one class (C >= 1), got shape {tuple(logits.shape)}")
    _check_tensor(target, "target")
    if target.dtype != torch.int64:
        raise TypeError(f"target must be an int64 (torch.long) tensor of class indices, got {target.dtype}")
    if target.dim() != 1:
        raise ValueError(f"target must have shape (N,), got {tuple(target.shape)}")
    if len(target) != n:
        raise ValueError(f"target must have one class per row of logits (N={n}), got length {len(target)}")
    if n > 0:
        low, high = target.min().item(), target.max().item()
        if low < 0:
            raise ValueError(f"target values must be in [0, C={c}), got min {low}")
        if high >= c:
            raise ValueError(f"target values must be in [0, C={c}), got max {high}")


def cross_entropy(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L_ce = −(1/N) Σ_n log P̂(Y = y_n | X = x_n), with P̂ the softmax of the logits.

    ``logits``: (N, C) float; ``target``: (N,) int64 class indices in [0, C). Returns a
    0-d tensor. Uses the stable :func:`log_softmax`, so logits of any magnitude give a
    finite loss; its gradient with respect to the logits is (softmax − one-hot) / N."""
    _check_classification(logits, target)
    log_p = log_softmax(logits, dim=1)
    return -log_p.gather(1, target[:, None]).mean()


def negative_log_likelihood(log_density: torch.Tensor) -> torch.Tensor:
    """−(1/N) Σ_n log p(x_n; w): the loss of density modelling (§3.1).

    ``log_density``: (N,) float, the model's log-density log p(x_n; w) at each sample
    (for instance the output of :class:`lbdl_book.models.GaussianMixture`). Returns a 0-d
    tensor."""
    _check_float(log_density, "log_density")
    if log_density.dim() != 1 or len(log_density) == 0:
        raise ValueError(f"log_density must have shape (N,) with N >= 1, got {tuple(log_density.shape)}")
    return -log_density.mean()


def triplet_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor,
                 margin: float = 1.0) -> torch.Tensor:
    """The mean over triplets of max(0, margin − f(x_a, x_c) + f(x_a, x_b)).

    ``anchor`` (x_a), ``positive`` (x_b, same class as x_a) and ``negative`` (x_c, another
    class): embeddings of shape (N, D) each; f is the Euclidean distance between
    embeddings. A triplet costs nothing once the negative is farther from the anchor than
    the positive by at least ``margin`` (LBDL uses margin 1). Returns a 0-d tensor.

    Same definition as ``torch.nn.functional.triplet_margin_loss(..., p=2, eps=0)``;
    torch's default eps=1e-6 measures ‖a − b + eps‖ instead of ‖a − b‖. The distance is
    ``torch.linalg.vector_norm``, whose gradient at a zero difference is 0 rather than
    the nan of a hand-written sqrt; at a triplet exactly on the margin the hinge passes
    the gradient through, as torch's clamp_min does."""
    for name, x in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _check_float(x, name)
        if x.dim() != 2:
            raise ValueError(f"{name} must have shape (N, D), got {tuple(x.shape)}")
    if positive.shape != anchor.shape or negative.shape != anchor.shape:
        raise ValueError(f"anchor, positive and negative must have the same shape (N, D), got "
                         f"{tuple(anchor.shape)}, {tuple(positive.shape)} and {tuple(negative.shape)}")
    if isinstance(margin, bool) or not isinstance(margin, Real) or not margin >= 0:
        raise ValueError(f"margin must be a number >= 0, got {margin!r}")
    d_positive = torch.linalg.vector_norm(anchor - positive, dim=1)
    d_negative = torch.linalg.vector_norm(anchor - negative, dim=1)
    return (margin - d_negative + d_positive).clamp_min(0).mean()


def weight_decay(parameters: Iterable[torch.Tensor] | torch.Tensor, strength: float) -> torch.Tensor:
    """The penalty λ Σ_i w_i² over every entry of every tensor in ``parameters``.

    Added to a task loss (L = L_task + λ Σ w², §3.1), it pulls the weights towards 0 with
    gradient 2λw. ``parameters``: a tensor or an iterable of tensors of any shapes (e.g.
    ``model.parameters()``); ``strength`` λ >= 0. Returns a 0-d tensor (a float32 zero when
    ``parameters`` is empty)."""
    if isinstance(strength, bool) or not isinstance(strength, Real):
        raise TypeError(f"strength must be a real number, got {type(strength).__name__}")
    if not strength >= 0:
        raise ValueError(f"strength must be >= 0, got {strength!r}")
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    elif not isinstance(parameters, Iterable):
        raise TypeError(f"parameters must be a tensor or an iterable of tensors, got {type(parameters).__name__}")
    total = None
    for i, w in enumerate(parameters):
        if not isinstance(w, torch.Tensor):
            raise TypeError(f"parameters must be tensors, got {type(w).__name__} at position {i}")
        square = (w**2).sum()
        total = square if total is None else total + square
    if total is None:
        return torch.zeros(())
    return strength * total


def zero_one_error(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The fraction of samples whose predicted class argmax_y l_y differs from the target.

    ``logits``: (N, C) float; ``target``: (N,) int64 in [0, C). Ties go to the first
    maximal class (``torch.argmax``). This is the error one cares about, but it is
    piecewise constant in the logits: its gradient is 0 almost everywhere, so training
    minimises the cross-entropy as a differentiable surrogate. Accordingly it returns a
    0-d tensor of the logits' dtype that does not require grad (``requires_grad`` is
    False, ``grad_fn`` is None): it cannot be backpropagated through."""
    _check_classification(logits, target)
    with torch.no_grad():
        wrong = logits.argmax(dim=1) != target
        return wrong.to(logits.dtype).mean()


def sample_triplets(labels: torch.Tensor, count: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Random (anchor, positive, negative) index triplets for :func:`triplet_loss`.

    ``labels``: (N,) int64 classes in {0, …, C-1}, each present, C >= 2. Returns three
    (count,) int64 index tensors: anchors drawn uniformly, positives drawn among the
    samples of the anchor's class (possibly the anchor itself), negatives among the
    samples of another class chosen uniformly."""
    _check_tensor(labels, "labels")
    if labels.dtype != torch.int64 or labels.dim() != 1:
        raise ValueError(f"labels must be a 1-D int64 tensor, got {labels.dtype} of shape {tuple(labels.shape)}")
    positive_int(count, "count")
    counts = torch.bincount(labels)
    if len(counts) < 2 or (counts == 0).any():
        raise ValueError(f"labels must cover the classes 0..C-1 with C >= 2, got counts {counts.tolist()}")
    g = torch.Generator().manual_seed(seed)
    by_class = torch.argsort(labels, stable=True)        # indices grouped by class
    starts = torch.cumsum(counts, 0) - counts

    def member_of(classes: torch.Tensor) -> torch.Tensor:
        slot = (torch.rand(count, generator=g) * counts[classes]).long()
        return by_class[starts[classes] + slot]

    anchor = torch.randint(len(labels), (count,), generator=g)
    other = (labels[anchor] + torch.randint(1, len(counts), (count,), generator=g)) % len(counts)
    return anchor, member_of(labels[anchor]), member_of(other)
