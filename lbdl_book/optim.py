"""Gradient descent, mini-batch SGD and Adam (LBDL §3.3), written from their equations.

Apart from special cases such as the linear regression of §1.2, the parameters w* that
minimise a loss L(w) have no closed form. Gradient descent starts from a random w_0 and
repeats the gradient step

    w_{n+1} = w_n − η ∇L(w_n)                                   (Eq. 3.1)

with a learning rate η > 0. When the loss is a mean of per-sample losses ℓ_n, so is its
gradient, ∇L = (1/N) Σ_n ∇ℓ_n (Eq. 3.2), and the mean over a random mini-batch is an
unbiased, noisy estimate of it: mini-batch stochastic gradient descent (SGD) takes many
cheap noisy steps instead of a few exact ones. Adam [Kingma & Ba 2014] keeps, for each
component of the gradient, running averages of its value and of its square, and divides
the first by the square root of the second, so that every component moves at a similar
speed whatever its scale.

* :class:`GradientDescent` and :class:`Adam`: optimisers with the interface of
  ``torch.optim`` (``step()``, ``zero_grad()``), tested against it.
* :func:`descend`: run one of them on a function of a vector; returns the trajectory.
* :class:`Quadratic`: the loss ½ (w − w*)ᵀ H (w − w*), where everything about gradient
  descent can be computed exactly (it diverges for η > 2 / λ_max(H)).
* :func:`minibatches`, :func:`per_sample_gradients`, :func:`minibatch_sgd`: the pieces of
  mini-batch SGD, counting the per-sample gradients it spends.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from numbers import Real

import torch

__all__ = ["Adam", "GradientDescent", "Quadratic", "SGDRun", "descend", "minibatch_sgd", "minibatches", "two_basins",
           "per_sample_gradients"]


# --- input checks --------------------------------------------------------------------------

def _check_real(value, name: str, *, low: float, low_inclusive: bool, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    above = value >= low if low_inclusive else value > low
    if not (above and value < high):
        bracket = "[" if low_inclusive else "("
        raise ValueError(f"{name} must be in {bracket}{low}, {high}), got {value!r}")
    return float(value)


def _check_int(value, name: str, *, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return value


def _check_vector(w: torch.Tensor, name: str) -> None:
    if not isinstance(w, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(w).__name__}")
    if not w.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {w.dtype}")
    if w.dim() != 1 or len(w) == 0:
        raise ValueError(f"{name} must have shape (D,) with D >= 1, got {tuple(w.shape)}")


def _check_params(params) -> list[torch.Tensor]:
    if isinstance(params, torch.Tensor) or not isinstance(params, Iterable):
        raise TypeError(f"params must be an iterable of tensors (e.g. model.parameters() or [w]), "
                        f"got {type(params).__name__}")
    params = list(params)
    if not params:
        raise ValueError("params must contain at least one tensor, got an empty iterable")
    for i, p in enumerate(params):
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"params must be tensors, got {type(p).__name__} at position {i}")
        if not p.is_floating_point():
            raise TypeError(f"params must be floating-point tensors, got {p.dtype} at position {i}")
        if not p.is_leaf:
            raise ValueError(f"params must be leaf tensors (the tensors autograd fills .grad of), "
                             f"got a computed tensor at position {i}")
    return params


# --- optimisers ----------------------------------------------------------------------------

class GradientDescent:
    """Plain gradient descent, Eq. (3.1): ``w ← w − lr · w.grad`` for every tensor w of
    ``params`` (any shapes). With gradients of a mini-batch loss this is mini-batch SGD;
    it is ``torch.optim.SGD`` without momentum, dampening or weight decay."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float):
        self.params = _check_params(params)
        self.lr = _check_real(lr, "lr", low=0.0, low_inclusive=False)

    def zero_grad(self) -> None:
        """Forget the gradients, so that the next ``backward()`` does not add to them."""
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for w in self.params:
            if w.grad is not None:           # a tensor the loss did not use is left alone
                w -= self.lr * w.grad


class Adam(GradientDescent):
    """Adam [Kingma & Ba 2014]. At step t, for every tensor w of ``params``, with its
    gradient g (plus ``weight_decay`` · w, an L2 penalty, as in ``torch.optim.Adam``):

        m ← β₁ m + (1 − β₁) g          running average of the gradient
        v ← β₂ v + (1 − β₂) g²         running average of its square (entry by entry)
        m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)     bias correction (m and v start at 0)
        w ← w − lr · m̂ / (√v̂ + ε)

    ``m`` and ``v`` have the shapes of the parameters: Adam stores two numbers per
    parameter. ``bias_correction=False`` drops the division by 1 − βᵗ (for comparison
    only: the first steps are then far too large or too small)."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, *, bias_correction: bool = True):
        super().__init__(params, lr)
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Sequence) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = (_check_real(betas[0], "betas[0]", low=0.0, low_inclusive=True, high=1.0),
                      _check_real(betas[1], "betas[1]", low=0.0, low_inclusive=True, high=1.0))
        self.eps = _check_real(eps, "eps", low=0.0, low_inclusive=True)
        self.weight_decay = _check_real(weight_decay, "weight_decay", low=0.0, low_inclusive=True)
        if not isinstance(bias_correction, bool):
            raise TypeError(f"bias_correction must be a bool, got {type(bias_correction).__name__}")
        self.bias_correction = bias_correction
        self.m = [torch.zeros_like(w) for w in self.params]
        self.v = [torch.zeros_like(w) for w in self.params]
        self.t = [0] * len(self.params)      # steps taken by each tensor (those with a gradient)

    @torch.no_grad()
    def step(self) -> None:
        beta1, beta2 = self.betas
        for i, (w, m, v) in enumerate(zip(self.params, self.m, self.v)):
            if w.grad is None:
                continue
            g = w.grad + self.weight_decay * w if self.weight_decay else w.grad
            self.t[i] += 1
            m.mul_(beta1).add_((1 - beta1) * g)
            v.mul_(beta2).add_((1 - beta2) * g * g)
            if self.bias_correction:
                m_hat, v_hat = m / (1 - beta1 ** self.t[i]), v / (1 - beta2 ** self.t[i])
            else:
                m_hat, v_hat = m, v
            w -= self.lr * m_hat / (v_hat.sqrt() + self.eps)


_OPTIMIZERS = {"gd": GradientDescent, "adam": Adam}


def descend(loss: Callable[[torch.Tensor], torch.Tensor], w0: torch.Tensor, *, lr: float, steps: int,
            optimizer: str = "gd", schedule: Callable[[int], float] | None = None, **options) -> torch.Tensor:
    """Minimise ``loss`` from ``w0`` and return the trajectory w_0, w_1, …, w_steps.

    ``loss`` maps a (D,) tensor to a 0-d tensor; its gradient comes from autograd.
    ``optimizer``: ``"gd"`` (Eq. 3.1) or ``"adam"``, created with ``lr`` and ``options``
    (e.g. ``betas=(0.9, 0.99)``). ``schedule``: the learning rate of step t = 0, 1, …
    (a function of t, e.g. from :mod:`lbdl_book.schedules`), replacing ``lr`` from the
    first step. ``w0``: (D,) float tensor, not modified. Returns a (steps + 1, D) tensor
    of ``w0``'s dtype. A diverging run is not stopped: its last rows can be huge or
    infinite."""
    if not callable(loss):
        raise TypeError(f"loss must be a callable taking a (D,) tensor, got {type(loss).__name__}")
    _check_vector(w0, "w0")
    _check_int(steps, "steps", low=0)
    if optimizer not in _OPTIMIZERS:
        raise ValueError(f"optimizer must be one of {sorted(_OPTIMIZERS)}, got {optimizer!r}")
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be a function of the step, got {type(schedule).__name__}")
    w = w0.detach().clone().requires_grad_(True)
    opt = _OPTIMIZERS[optimizer]([w], lr, **options)
    trajectory = [w.detach().clone()]
    for step in range(steps):
        if schedule is not None:
            opt.lr = _check_real(schedule(step), f"schedule({step})", low=0.0, low_inclusive=True)
        value = loss(w)
        if not isinstance(value, torch.Tensor) or value.dim() != 0:
            raise ValueError(f"loss must return a 0-d tensor, got {getattr(value, 'shape', type(value).__name__)}")
        opt.zero_grad()
        value.backward()
        opt.step()
        trajectory.append(w.detach().clone())
    return torch.stack(trajectory)


def two_basins(w: torch.Tensor) -> torch.Tensor:
    """A one-parameter loss with a wide basin and a narrow well (LBDL §3.3 and §3.6: a
    learning rate that is too small can be trapped in a local minimum):

        L(w) = w² / 2 − 3 exp(−(w − 3)² / (2 · 0.25²)).

    The global minimum L(0) = 0 sits at the bottom of a wide parabola of curvature 1;
    the narrow well near w = 2.94 is a local minimum, higher (L ≈ 1.41) and much more
    curved (L'' ≈ 45). ``w``: (..., 1) tensor; returns the (...,) tensor of losses."""
    if not isinstance(w, torch.Tensor) or not w.is_floating_point() or w.dim() == 0 or w.shape[-1] != 1:
        got = tuple(w.shape) if isinstance(w, torch.Tensor) else type(w).__name__
        raise ValueError(f"w must be a floating-point tensor of shape (..., 1), got {got}")
    w = w[..., 0]
    return 0.5 * w * w - 3.0 * torch.exp(-((w - 3.0) ** 2) / (2 * 0.25**2))


# --- quadratic losses ----------------------------------------------------------------------

class Quadratic:
    """The loss L(w) = ½ (w − w*)ᵀ H (w − w*), with H (D, D) symmetric positive definite.

    Its gradient is H (w − w*), so a gradient step multiplies w − w* by I − ηH: the
    component along the eigenvector of eigenvalue λ is multiplied by 1 − ηλ at every
    step. Gradient descent therefore converges if and only if 0 < η < 2 / λ_max.
    Calling it on a (..., D) tensor returns the (...,) tensor of losses."""

    def __init__(self, hessian: torch.Tensor, minimum: torch.Tensor | None = None):
        if not isinstance(hessian, torch.Tensor) or not hessian.is_floating_point():
            got = hessian.dtype if isinstance(hessian, torch.Tensor) else type(hessian).__name__
            raise TypeError(f"hessian must be a floating-point torch.Tensor, got {got}")
        if hessian.dim() != 2 or hessian.shape[0] != hessian.shape[1] or hessian.shape[0] == 0:
            raise ValueError(f"hessian must have shape (D, D) with D >= 1, got {tuple(hessian.shape)}")
        if not torch.allclose(hessian, hessian.T):
            raise ValueError("hessian must be symmetric, got H != Hᵀ")
        eigenvalues = torch.linalg.eigvalsh(hessian)
        if eigenvalues[0] <= 0:
            raise ValueError(f"hessian must be positive definite, got smallest eigenvalue {eigenvalues[0].item():.3g}")
        d = hessian.shape[0]
        if minimum is None:
            minimum = torch.zeros(d, dtype=hessian.dtype)
        _check_vector(minimum, "minimum")
        if len(minimum) != d:
            raise ValueError(f"minimum must have shape ({d},) to match hessian, got {tuple(minimum.shape)}")
        self.hessian, self.minimum, self.eigenvalues = hessian, minimum.to(hessian.dtype), eigenvalues

    @classmethod
    def from_eigenvalues(cls, eigenvalues: tuple[float, float], angle: float = 0.0,
                         minimum: torch.Tensor | None = None, dtype: torch.dtype = torch.float64) -> Quadratic:
        """A 2-D quadratic whose Hessian has the given eigenvalues, with eigenvectors
        rotated by ``angle`` degrees from the axes (0: axis-aligned)."""
        if isinstance(eigenvalues, (str, bytes)) or not isinstance(eigenvalues, Sequence) or len(eigenvalues) != 2:
            raise ValueError(f"eigenvalues must be a pair (lambda_1, lambda_2), got {eigenvalues!r}")
        for k, lam in enumerate(eigenvalues):
            _check_real(lam, f"eigenvalues[{k}]", low=0.0, low_inclusive=False)
        theta = math.radians(_check_real(angle, "angle", low=-math.inf, low_inclusive=False))
        rotation = torch.tensor([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]], dtype=dtype)
        hessian = rotation @ torch.diag(torch.tensor(eigenvalues, dtype=dtype)) @ rotation.T
        return cls((hessian + hessian.T) / 2, minimum)

    @property
    def lambda_max(self) -> float:
        return self.eigenvalues[-1].item()

    @property
    def critical_lr(self) -> float:
        """2 / λ_max: gradient descent converges for η below it and diverges above."""
        return 2.0 / self.lambda_max

    def __call__(self, w: torch.Tensor) -> torch.Tensor:
        if not isinstance(w, torch.Tensor) or w.dim() == 0 or w.shape[-1] != len(self.minimum):
            got = tuple(w.shape) if isinstance(w, torch.Tensor) else type(w).__name__
            raise ValueError(f"w must have shape (..., {len(self.minimum)}), got {got}")
        delta = w - self.minimum.to(w.dtype)
        return 0.5 * ((delta @ self.hessian.to(w.dtype)) * delta).sum(-1)

    def gradient(self, w: torch.Tensor) -> torch.Tensor:
        """∇L(w) = H (w − w*) in closed form, for (..., D) tensors."""
        return (w - self.minimum.to(w.dtype)) @ self.hessian.to(w.dtype)


# --- mini-batch stochastic gradient descent -------------------------------------------------

def minibatches(n: int, batch_size: int, *, generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """One epoch of mini-batches: a random permutation of 0..n−1 cut into consecutive
    index tensors of ``batch_size`` (the last one smaller if ``batch_size`` does not
    divide ``n``). Every sample is used exactly once per epoch."""
    _check_int(n, "n", low=1)
    _check_int(batch_size, "batch_size", low=1)
    return list(torch.randperm(n, generator=generator).split(batch_size))


def per_sample_gradients(loss: Callable[..., torch.Tensor], w: torch.Tensor, *data: torch.Tensor) -> torch.Tensor:
    """The gradients ∇ℓ_n(w) of Eq. (3.2), one row per sample.

    ``loss(w, *batch)`` is the mean loss over a batch (``w``: (D,); each tensor of
    ``data``: (N, ...)). Each sample is passed as a batch of one, and autograd gives its
    gradient. Returns (N, D); the mean of the rows is ∇L(w)."""
    if not callable(loss):
        raise TypeError(f"loss must be callable, got {type(loss).__name__}")
    _check_vector(w, "w")
    if not data or not all(isinstance(x, torch.Tensor) and x.dim() >= 1 for x in data):
        raise ValueError("data must be one or more tensors of shape (N, ...)")
    if len({len(x) for x in data}) != 1:
        raise ValueError(f"the tensors of data must have the same length N, got {[len(x) for x in data]}")
    w = w.detach().requires_grad_(True)
    rows = [torch.autograd.grad(loss(w, *(x[n:n + 1] for x in data)), w)[0] for n in range(len(data[0]))]
    return torch.stack(rows)


@dataclass
class SGDRun:
    """What :func:`minibatch_sgd` records: the weights ``weights[k]`` reached after
    ``samples[k]`` per-sample gradients were spent (``samples[0] = 0``: the start)."""

    samples: torch.Tensor    # (R,) int64, increasing
    weights: torch.Tensor    # (R, D)


def minibatch_sgd(loss: Callable[..., torch.Tensor], w0: torch.Tensor, data: tuple[torch.Tensor, ...], *,
                  lr: float, batch_size: int, budget: int, record_every: int, seed: int = 0) -> SGDRun:
    """Mini-batch SGD on ``loss(w, *batch)`` (the mean loss over a batch) until ``budget``
    per-sample gradients have been spent, shuffling the N samples at every epoch.

    A step on a batch of B samples costs B per-sample gradients, so ``batch_size=N`` is
    full-batch gradient descent (Eq. 3.1 with the exact gradient of Eq. 3.2), at N per
    step. The weights are recorded at the start and after the first step that crosses
    each multiple of ``record_every`` (and after the last step); evaluate the loss on
    them afterwards, all at once."""
    if not callable(loss):
        raise TypeError(f"loss must be a callable loss(w, *batch), got {type(loss).__name__}")
    _check_vector(w0, "w0")
    if not isinstance(data, tuple) or not data or not all(isinstance(x, torch.Tensor) for x in data):
        raise TypeError("data must be a tuple of tensors of shape (N, ...)")
    n = len(data[0])
    if any(len(x) != n for x in data):
        raise ValueError(f"the tensors of data must have the same length N, got {[len(x) for x in data]}")
    _check_int(batch_size, "batch_size", low=1)
    if batch_size > n:
        raise ValueError(f"batch_size must be at most N={n}, got {batch_size}")
    _check_int(budget, "budget", low=1)
    _check_int(record_every, "record_every", low=1)
    generator = torch.Generator().manual_seed(seed)
    w = w0.detach().clone().requires_grad_(True)
    opt = GradientDescent([w], lr)
    spent, samples, weights = 0, [0], [w.detach().clone()]
    while spent < budget:
        for index in minibatches(n, batch_size, generator=generator):
            opt.zero_grad()
            loss(w, *(x[index] for x in data)).backward()
            opt.step()
            spent += len(index)
            if spent // record_every > samples[-1] // record_every or spent >= budget:
                samples.append(spent)
                weights.append(w.detach().clone())
            if spent >= budget:
                break
    return SGDRun(torch.tensor(samples), torch.stack(weights))
