"""Parallelisable recurrences ("The missing bits" of LBDL, v1.2): the linear recurrence
x_t = a_t ⊙ x_{t−1} + b_t computed by a loop and by a parallel scan, and a small
selective state-space layer built on the scan.

A recurrence x_t = f(x_{t−1}) forces T steps one after the other. When f is affine,
x ↦ a_t x + b_t, the maps compose into maps of the same kind,

    (a_2 x + b_2) ∘ (a_1 x + b_1) = (a_2 a_1) x + (a_2 b_1 + b_2),

and this composition is associative. So the T prefixes f_t ∘ … ∘ f_1 can be computed
like prefix sums, by a *scan* of depth ⌈log₂ T⌉: :func:`linear_recurrence_scan` is
Hillis and Steele's scan, where at step d = 1, 2, 4, … every position t ≥ d composes
its map with the one d positions back, all positions at once (T·log₂T work instead of
the loop's T, but only log₂T dependent steps; Blelloch's version brings the work back
to O(T)). :func:`linear_recurrence_loop` is the plain loop, T dependent steps. Both act
entrywise (a diagonal recurrence) over a batch, on tensors (N, T, ...), time on dim 1.

QRNN [Bradbury et al., 2016], S4 [Gu et al., 2021] and Mamba [Gu and Dao, 2023] are
built on such recurrences. :class:`SelectiveSSM` is a small layer in Mamba's spirit
(not Mamba itself: no convolution, no output gate, one state per channel): from each
input x_t it computes a step size Δ_t = softplus(W_Δ x_t + b_Δ) > 0, a decay
a_t = exp(−Δ_t ⊙ λ) ∈ (0, 1) with a learned rate λ > 0, and an input b_t = Δ_t ⊙ W_u x_t,
then h_t = a_t ⊙ h_{t−1} + b_t by the scan. a_t and b_t depend on the input (the
*selection*): a large Δ_t writes x_t into the state, a small one keeps the state as
it is. They do not depend on h, which is what keeps the recurrence linear and the scan
possible.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from lbdl_book._checks import boolean, model_input, non_negative_int, positive_int, tensor
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear

__all__ = ["SelectiveSSM", "linear_recurrence_loop", "linear_recurrence_scan", "scan_rounding_bound", "scan_steps"]


def _check(a, b, x0):
    tensor(a, "a", floating=True)
    tensor(b, "b", floating=True)
    if a.dim() < 2 or a.shape[1] == 0:
        raise ValueError(f"a must have shape (N, T, ...) with T >= 1, got {tuple(a.shape)}")
    if b.shape != a.shape or b.dtype != a.dtype:
        raise ValueError(f"b must have the shape and dtype of a {tuple(a.shape)}, {a.dtype}; got "
                         f"{tuple(b.shape)}, {b.dtype}")
    if x0 is not None:
        tensor(x0, "x0", floating=True)
        expected = a.shape[:1] + a.shape[2:]
        if x0.shape != expected or x0.dtype != a.dtype:
            raise ValueError(f"x0 must have shape (N, ...) = {tuple(expected)} and dtype {a.dtype}, got "
                             f"{tuple(x0.shape)}, {x0.dtype}")


def _fold_x0(a, b, x0):
    """x_0 = a_0 x_{−1} + b_0: the initial state enters through b_0."""
    if x0 is None:
        return b
    return torch.cat([b[:, :1] + a[:, :1] * x0[:, None], b[:, 1:]], 1)


def linear_recurrence_loop(a: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None = None) -> torch.Tensor:
    """x_t = a_t ⊙ x_{t−1} + b_t for t = 0, …, T − 1, one step after the other, from
    x_{−1} = ``x0`` (N, ...) or 0. ``a``, ``b``: (N, T, ...). Returns x, (N, T, ...)."""
    _check(a, b, x0)
    x = a[:, 0] * x0 + b[:, 0] if x0 is not None else b[:, 0]
    xs = [x]
    for t in range(1, a.shape[1]):                         # T − 1 dependent steps
        x = a[:, t] * x + b[:, t]
        xs.append(x)
    return torch.stack(xs, 1)


def linear_recurrence_scan(a: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None = None,
                           steps: int | None = None) -> torch.Tensor:
    """The same x as :func:`linear_recurrence_loop`, by Hillis and Steele's scan:
    ⌈log₂ T⌉ steps, each composing every map (A_t, B_t) with the one d positions back,
    (A_t, B_t) ← (A_t A_{t−d}, A_t B_{t−d} + B_t), for all t ≥ d at once. ``steps``:
    stop after that many steps (None: all of them); position t then holds the composition
    of the last 2^steps maps only (of all of them, from position 2^steps − 1 on)."""
    _check(a, b, x0)
    if steps is not None:
        non_negative_int(steps, "steps")
    big_a, big_b = a, _fold_x0(a, b, x0)
    d, done = 1, 0
    while d < a.shape[1] and (steps is None or done < steps):   # ⌈log₂ T⌉ steps, each over all positions
        big_b = torch.cat([big_b[:, :d], big_a[:, d:] * big_b[:, :-d] + big_b[:, d:]], 1)
        big_a = torch.cat([big_a[:, :d], big_a[:, d:] * big_a[:, :-d]], 1)
        d, done = 2 * d, done + 1
    return big_b


def scan_steps(length: int) -> int:
    """⌈log₂ T⌉: the number of dependent steps of the scan over ``length`` = T positions."""
    return math.ceil(math.log2(positive_int(length, "length")))


def scan_rounding_bound(a: torch.Tensor, b: torch.Tensor, x0: torch.Tensor | None = None) -> torch.Tensor:
    """A bound on |loop − scan|, entry by entry, for |a_t| ≤ 1, in a's dtype.

    Exactly, x_t = Σ_{s ≤ t} (a_t ⋯ a_{s+1}) b_s (plus a_t ⋯ a_0 x0): a sum of at most T + 1
    terms, each a product of at most T + 1 factors. Whatever the order, the loop's or the
    scan's, a term meets at most T multiplications and T + 1 additions before it lands in
    x_t, so each computation is off by at most γ_{2T+2}·M_t, with M_t the same sum of
    |terms| (the loop run on |a|, |b|, |x0| in float64), and the two differ by at most
    twice that. Products that fall below the normal range lose up to η (the smallest
    subnormal) each, at most 2T per term, T + 1 terms, each then scaled by |a| ≤ 1: a
    further 2·2T(T + 1)·η·max(1, max|b|, max|x0|)."""
    _check(a, b, x0)
    if a.abs().max() > 1:
        raise ValueError(f"a must have |a_t| <= 1 for this bound, got max |a| = {a.abs().max().item():.4g}")
    dtype, length = a.dtype, a.shape[1]
    u = torch.finfo(dtype).eps / 2
    n = 2 * length + 2
    gamma = n * u / (1 - n * u)
    to64 = lambda v: None if v is None else v.detach().double().abs()
    magnitude = linear_recurrence_loop(to64(a), to64(b), to64(x0))
    eta = torch.finfo(dtype).tiny * torch.finfo(dtype).eps   # the smallest subnormal
    largest = max(1.0, b.abs().max().item(), 0.0 if x0 is None else x0.abs().max().item())
    return 2 * (gamma * magnitude + 2 * length * (length + 1) * eta * largest)


class SelectiveSSM(nn.Module):
    """A diagonal selective state-space layer (module docstring): inputs (N, T, D) →
    states h (N, T, ``state_size``), batch first, h_t = a_t ⊙ h_{t−1} + b_t with
    Δ_t = softplus(W_Δ x_t + b_Δ), a_t = exp(−Δ_t ⊙ λ), b_t = Δ_t ⊙ (W_u x_t).

    Initialisation as Mamba's: b_Δ such that Δ starts log-uniform in [0.001, 0.1], so
    that a_t starts close to 1 (the state is kept); λ = 1. ``use_scan``: compute the
    recurrence by :func:`linear_recurrence_scan` (True) or :func:`linear_recurrence_loop`.
    ``fused`` as for the layers of Chapter 4 (the two projections)."""

    def __init__(self, input_size: int, state_size: int, *, use_scan: bool = True, fused: bool = True):
        super().__init__()
        self.input_size = positive_int(input_size, "input_size")
        self.state_size = positive_int(state_size, "state_size")
        self.use_scan = boolean(use_scan, "use_scan")
        self.input_proj = Linear(input_size, state_size)           # W_u
        self.step_proj = Linear(input_size, state_size)            # W_Δ, b_Δ
        self.log_rate = nn.Parameter(torch.zeros(state_size))      # λ = exp(log_rate)
        with torch.no_grad():
            step = torch.exp(torch.empty(state_size).uniform_(math.log(1e-3), math.log(1e-1)))
            self.step_proj.bias.copy_(step + torch.log(-torch.expm1(-step)))   # softplus⁻¹(Δ)
        set_fused(self, boolean(fused, "fused"))

    def coefficients(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(a, b), each (N, T, state_size), from the inputs x alone."""
        step = F.softplus(self.step_proj(x))                       # Δ_t > 0
        return torch.exp(-step * self.log_rate.exp()), step * self.input_proj(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, T, input_size) → h (N, T, state_size)."""
        model_input(x, self, "x")
        if x.dim() != 3 or x.shape[-1] != self.input_size or 0 in x.shape[:2]:
            raise ValueError(f"x must have shape (N, T, {self.input_size}) with N, T >= 1, got {tuple(x.shape)}")
        a, b = self.coefficients(x)
        return (linear_recurrence_scan if self.use_scan else linear_recurrence_loop)(a, b)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.state_size}, use_scan={self.use_scan}"
