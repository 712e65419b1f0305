"""The benefits of scale (LBDL §3.7): power laws, published scaling laws, compute and energy.

Kaplan et al. (2020) measured the test loss L of Transformer language models (in nats per
token) and found that it falls as a power law of each of three quantities, as long as the
other two are not the bottleneck: the number N of non-embedding parameters, the number D of
training tokens, and the training compute C (in petaflop/s-days):

    L(X) = (X / X_c) ** (-alpha_X).

On log-log axes a power law is a straight line, log L = -alpha log X + alpha log X_c, so
fitting one is linear least squares in log space (:func:`fit_power_law`).

Also here: the three fits of Kaplan et al.'s Figure 1 as data (:data:`KAPLAN_2020`), the
units of training compute and the energy an accelerator needs at its peak rate
(:func:`flop_per_kwh`, :data:`A100_SXM`), Table 3.1 of LBDL rendered as a table, and the
small teacher-student sweep of the notebook (:class:`StudentBank`, :func:`width_sweep`),
whose test loss follows a power law in the number of parameters.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import nn

from ._checks import non_negative_int, positive_int, positive_real
from .nn.activations import Tanh
from .nn.linear import Linear
from .config import device as default_device
from .config import lang

__all__ = [
    "A100_SXM", "Accelerator", "Exponential", "KAPLAN_2020", "KAPLAN_2020_EQ_1_3_SCALE", "KWH_JOULES",
    "PF_DAY_FLOP", "PowerLaw", "ScalingLaw", "StudentBank", "Sweep", "accelerator_days", "count_format",
    "fit_exponential", "fit_power_law", "flop_per_kwh", "flop_to_pf_days", "html_table", "make_teacher",
    "pf_days_to_flop", "si_format", "teacher_student_data", "training_energy_kwh", "width_sweep",
]


# --- power laws ------------------------------------------------------------------------

class PowerLaw(NamedTuple):
    """y ≈ constant · x ** exponent, fitted in log space; ``r2`` is the R² of that fit.

    Unpacks as ``constant, exponent, r2 = fit_power_law(x, y)``."""

    constant: float
    exponent: float
    r2: float

    def __call__(self, x):
        """The fitted curve at ``x`` (a number or a tensor)."""
        return self.constant * x ** self.exponent

    @property
    def scale(self) -> float:
        """x_c such that y = (x / x_c) ** exponent, the form Kaplan et al. use."""
        return self.constant ** (-1.0 / self.exponent)


def _positive_vector(values, name: str) -> torch.Tensor:
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of numbers or a tensor, got {type(values).__name__}")
    try:
        v = torch.as_tensor(values, dtype=torch.float64).detach().cpu()
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"{name} must be a sequence of numbers or a tensor, got {type(values).__name__}") from error
    if v.dim() != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {tuple(v.shape)}")
    if not (torch.isfinite(v).all() and (v > 0).all()):
        raise ValueError(f"{name} must hold finite positive values (they are log-transformed), got {v.tolist()}")
    return v


def _line_fit(u: torch.Tensor, v: torch.Tensor) -> tuple[float, float, float]:
    """Least-squares line v ≈ a + b u: returns (a, b, R²)."""
    du, dv = u - u.mean(), v - v.mean()
    slope = (du * dv).sum() / (du * du).sum()
    intercept = v.mean() - slope * u.mean()
    residual = ((v - intercept - slope * u) ** 2).sum()
    total = (dv * dv).sum()
    r2 = 1.0 - residual / total if total > 0 else torch.tensor(1.0)
    return float(intercept), float(slope), float(r2)


def _check_pair(u: torch.Tensor, v: torch.Tensor, names: tuple[str, str]) -> None:
    if len(u) != len(v):
        raise ValueError(f"{names[0]} and {names[1]} must have the same length, got {len(u)} and {len(v)}")
    if len(u) < 3:
        raise ValueError(f"a fit needs at least 3 points (a line through 2 always fits), got {len(u)}")
    if (u == u[0]).all():
        raise ValueError(f"{names[0]} must take at least two distinct values")


def fit_power_law(x, y) -> PowerLaw:
    """Least-squares fit of log y = log c + k log x: returns ``PowerLaw(c, k, r2)``.

    ``x`` and ``y``: 1-D sequences or tensors of the same length n ≥ 3, finite and positive,
    with at least two distinct x. R² is that of the linear fit in log space (1 is a
    perfect power law); it is computed on log y, the quantity the fit minimises."""
    lx, ly = _positive_vector(x, "x").log(), _positive_vector(y, "y").log()
    _check_pair(lx, ly, ("x", "y"))
    intercept, exponent, r2 = _line_fit(lx, ly)
    return PowerLaw(math.exp(intercept), exponent, r2)


class Exponential(NamedTuple):
    """y ≈ constant · exp(rate · t), fitted in log space; ``r2`` is the R² of that fit."""

    constant: float
    rate: float
    r2: float

    @property
    def doubling_time(self) -> float:
        """Time (in the unit of t) over which y doubles: ln 2 / rate."""
        return math.log(2) / self.rate


def fit_exponential(t, y) -> Exponential:
    """Least-squares fit of log y = log c + r t (exponential growth at rate r per unit of t).

    ``t``: 1-D finite numbers (e.g. fractional years); ``y``: finite positive, same length ≥ 3."""
    try:
        tt = torch.as_tensor(t, dtype=torch.float64).detach().cpu()
    except (TypeError, ValueError, RuntimeError) as error:
        raise TypeError(f"t must be a sequence of numbers or a tensor, got {type(t).__name__}") from error
    if tt.dim() != 1 or not torch.isfinite(tt).all():
        raise ValueError(f"t must be a one-dimensional tensor of finite values, got shape {tuple(tt.shape)}")
    ly = _positive_vector(y, "y").log()
    _check_pair(tt, ly, ("t", "y"))
    intercept, rate, r2 = _line_fit(tt, ly)
    return Exponential(math.exp(intercept), rate, r2)


@dataclass(frozen=True)
class ScalingLaw:
    """A published power law for the test loss: L(X) = (X / scale) ** (-alpha).

    ``x_range`` is the span of X over which the source figure draws it; ``source`` says
    where the constants come from."""

    name: str
    symbol: str
    unit: str
    scale: float
    alpha: float
    x_range: tuple[float, float]
    source: str

    def __call__(self, x):
        """The loss predicted at ``x`` (a number or a tensor), in nats per token."""
        return (x / self.scale) ** (-self.alpha)

    def formula(self) -> str:
        """The law in Matplotlib TeX, e.g. ``$L = (N / 8.8\\cdot 10^{13})^{-0.076}$``."""
        mantissa, exponent = f"{self.scale:.1e}".split("e")
        return rf"$L = ({self.symbol} / {mantissa}\cdot 10^{{{int(exponent)}}})^{{-{self.alpha:.3f}}}$"


# Kaplan et al. (2020), arXiv:2001.08361. The legend of their Figure 1 and the text of
# their §1.2 agree on N and D (Eqs. 1.1 and 1.2). For compute they differ: the figure
# draws L = (C_min / 2.3e8)^-0.050 (the same line appears in their Figure 13), while
# Eq. (1.3) states C_c^min ≈ 3.1e8 PF-days with the same exponent. We reproduce the
# figure; the two constants change the predicted loss by (3.1/2.3)^0.05 ≈ 1.5 %.
KAPLAN_2020_EQ_1_3_SCALE = 3.1e8
KAPLAN_2020 = (
    ScalingLaw("compute", r"C_{\min}", "PF-days, non-embedding", 2.3e8, 0.050, (1e-9, 1e1),
               "Kaplan et al. 2020, Figure 1 (left) legend; Eq. (1.3) gives C_c = 3.1e8 PF-days"),
    ScalingLaw("data", "D", "tokens", 5.4e13, 0.095, (2e7, 1.5e9),
               "Kaplan et al. 2020, Figure 1 (middle) legend and Eq. (1.2)"),
    ScalingLaw("parameters", "N", "non-embedding", 8.8e13, 0.076, (6e3, 1.5e9),
               "Kaplan et al. 2020, Figure 1 (right) legend and Eq. (1.1)"),
)


# --- compute and energy -----------------------------------------------------------------

PF_DAY_FLOP = 1e15 * 24 * 3600   # one petaflop/s-day: 10^15 operations per second for a day = 8.64e19
KWH_JOULES = 3.6e6               # one kilowatt-hour: 1000 W for 3600 s


_positive_number = positive_real


def pf_days_to_flop(pf_days: float) -> float:
    """Petaflop/s-days (the unit of Kaplan et al.'s compute axis) to floating-point operations."""
    return _positive_number(pf_days, "pf_days") * PF_DAY_FLOP


def flop_to_pf_days(flop: float) -> float:
    """Floating-point operations to petaflop/s-days."""
    return _positive_number(flop, "flop") / PF_DAY_FLOP


def flop_per_kwh(peak_flops: float, watts: float) -> float:
    """Operations per kilowatt-hour of a chip running at ``peak_flops`` (FLOP/s) while drawing
    ``watts``: FLOP/s ÷ W = FLOP per joule, times 3.6e6 J per kWh."""
    return _positive_number(peak_flops, "peak_flops") * KWH_JOULES / _positive_number(watts, "watts")


@dataclass(frozen=True)
class Accelerator:
    """A chip's peak rate for one number format and its power draw, with the source."""

    name: str
    peak_flops: float
    watts: float
    source: str

    @property
    def flop_per_kwh(self) -> float:
        return flop_per_kwh(self.peak_flops, self.watts)


A100_SXM = Accelerator(
    "NVIDIA A100 SXM, FP16/BF16 tensor cores", 312e12, 400.0,
    "NVIDIA A100 datasheet: 312 TFLOPS FP16 and BF16 Tensor Core (dense; 624 with 2:4 sparsity), "
    "max thermal design power 400 W for the SXM module")


def training_energy_kwh(flop: float, accelerator: Accelerator = A100_SXM) -> float:
    """Energy to compute ``flop`` operations at the accelerator's peak rate and full power.
    Real runs reach a fraction of the peak, and the data centre adds cooling and networking,
    so this is an optimistic lower bound on the energy."""
    return _positive_number(flop, "flop") / accelerator.flop_per_kwh


def accelerator_days(flop: float, accelerator: Accelerator = A100_SXM) -> float:
    """Days one accelerator needs for ``flop`` operations at its peak rate (a lower bound)."""
    return _positive_number(flop, "flop") / accelerator.peak_flops / 86400


# --- formatting for the notebook ----------------------------------------------------------

def si_format(value: float, unit: str = "", digits: int = 2) -> str:
    """A number with an SI prefix: ``si_format(1.5e11, "B") == "150 GB"``."""
    value = _positive_number(value, "value")
    exponent = min(max(int(math.floor(math.log10(value) / 3)), 0), 8)
    prefix = " kMGTPEZY"[exponent].strip()
    scaled = value / 1000 ** exponent
    text = f"{scaled:.{digits}g}" if scaled < 10 ** digits else f"{scaled:.0f}"
    return f"{text} {prefix}{unit}".rstrip()


def _significant(x: float, digits: int) -> str:
    text = f"{x:.{digits}g}"
    return f"{float(text):.0f}" if "e" in text else text


def count_format(n: float, language: str | None = None) -> str:
    """A count in words, in the reader's language: 1.2e6 → "1.2 million" / "120万"."""
    n = _positive_number(n, "n")
    language = language or lang()
    if language not in ("en", "zh"):
        raise ValueError(f"language must be 'en' or 'zh', got {language!r}")
    if language == "en":
        steps = ((1e9, " billion"), (1e6, " million"), (1e3, " thousand"))
    else:
        steps = ((1e8, "亿"), (1e4, "万"))
    for size, word in steps:
        if n >= size:
            return _significant(n / size, 2) + word
    return _significant(n, 2)


def html_table(header: Sequence[str], rows: Sequence[Sequence], caption: str | None = None):
    """An HTML table for a notebook output (``IPython.display.HTML``); cells are escaped."""
    from IPython.display import HTML

    if (isinstance(header, (str, bytes)) or not isinstance(header, Sequence)
            or not all(isinstance(h, str) for h in header)):
        raise TypeError(f"header must be a sequence of str, got {header!r}")
    if isinstance(rows, (str, bytes)) or not isinstance(rows, Sequence) or not all(
            isinstance(row, Sequence) and not isinstance(row, (str, bytes)) for row in rows):
        raise TypeError(f"rows must be a sequence of rows, each a sequence of cells, got {rows!r}")
    if any(len(row) != len(header) for row in rows):
        raise ValueError(f"every row must have {len(header)} cells, got {[len(row) for row in rows]}")
    def cell(i, value):   # first column (names) to the left, numbers to the right
        return f"<td style='text-align:{'left' if i == 0 else 'right'}'>{html.escape(str(value))}</td>"

    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return HTML(f"<table class='lbdl-table'>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


# --- a scaling sweep that fits on a laptop ----------------------------------------------

def make_teacher(dim: int = 4, width: int = 256, seed: int = 0) -> nn.Module:
    """A fixed random network y = a · tanh(W x + b), the function the students learn.

    W ~ N(0, 4/dim), b ~ N(0, 1), a ~ N(0, 1/width): the hidden units are neither all
    saturated nor all linear, so the target is smooth but not simple. Frozen; x: (N, dim) → (N,)."""
    positive_int(dim, "dim")
    positive_int(width, "width")
    g = torch.Generator().manual_seed(seed)
    hidden, out = Linear(dim, width), Linear(width, 1, bias=False)
    with torch.no_grad():
        hidden.weight.copy_(torch.randn(width, dim, generator=g) * 2 / math.sqrt(dim))
        hidden.bias.copy_(torch.randn(width, generator=g))
        out.weight.copy_(torch.randn(1, width, generator=g) / math.sqrt(width))
    teacher = nn.Sequential(hidden, Tanh(), out, nn.Flatten(0))
    return teacher.requires_grad_(False).eval()


def teacher_student_data(teacher: nn.Module, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` inputs x ~ N(0, I) and their noise-free targets teacher(x): shapes (n, dim), (n,)."""
    if not isinstance(teacher, nn.Module):
        raise TypeError(f"teacher must be a torch.nn.Module, got {type(teacher).__name__}")
    positive_int(n, "n")
    non_negative_int(seed, "seed")
    dim = next(teacher.parameters()).shape[1]
    x = torch.randn(n, dim, generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        return x, teacher(x)


class StudentBank(nn.Module):
    """G independent one-hidden-layer tanh networks of widths k_1, ..., k_G, run in one pass.

    Student g computes f_g(x) = Σ_{j in g} a_j tanh(w_j · x + b_j) + c_g. Its k_g hidden units
    are a slice of one wide layer, and the one-hot matrix ``assign`` (units × G) adds each
    slice into its own output column: x (N, dim) → outputs (N, G).

    The students share no parameter, so the gradient of the summed loss Σ_g L_g with
    respect to the parameters of student g is the gradient of L_g alone; Adam updates every
    coordinate from its own gradient history, so each student is trained exactly as if it
    were alone (up to rounding), at the cost of one forward and backward pass for all.
    Initialisation as ``nn.Linear``: uniform in ±1/sqrt(fan_in)."""

    def __init__(self, dim: int, widths: Sequence[int], seed: int = 0):
        super().__init__()
        positive_int(dim, "dim")
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or not widths:
            raise ValueError(f"widths must be a non-empty sequence of positive ints, got {widths!r}")
        for i, k in enumerate(widths):
            positive_int(k, f"widths[{i}]")
        self.dim, self.widths = dim, tuple(widths)
        g = torch.Generator().manual_seed(seed)
        group = torch.repeat_interleave(torch.arange(len(widths)), torch.tensor(widths))
        fan_in = torch.tensor(widths, dtype=torch.float32)[group]   # of each unit's output weight
        total = len(group)
        self.weight1 = nn.Parameter((2 * torch.rand(total, dim, generator=g) - 1) / math.sqrt(dim))
        self.bias1 = nn.Parameter((2 * torch.rand(total, generator=g) - 1) / math.sqrt(dim))
        self.weight2 = nn.Parameter((2 * torch.rand(total, generator=g) - 1) / fan_in.sqrt())
        self.bias2 = nn.Parameter((2 * torch.rand(len(widths), generator=g) - 1) / torch.tensor(widths).sqrt())
        self.register_buffer("assign", nn.functional.one_hot(group, len(widths)).float())

    def parameter_counts(self) -> list[int]:
        """Trainable parameters of each student: k (dim + 1) + k + 1."""
        return [k * (self.dim + 2) + 1 for k in self.widths]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.dim:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a tensor of shape (N, {self.dim}), got {shape}")
        hidden = torch.tanh(x @ self.weight1.T + self.bias1)           # (N, units)
        return (hidden * self.weight2) @ self.assign + self.bias2       # (N, G)


class Sweep(NamedTuple):
    """Result of :func:`width_sweep`: one entry per student, losses relative to Var(y_test)."""

    parameters: torch.Tensor
    train_loss: torch.Tensor
    test_loss: torch.Tensor


def width_sweep(widths: Sequence[int], train: tuple[torch.Tensor, torch.Tensor],
                test: tuple[torch.Tensor, torch.Tensor], *, steps: int = 1000, lr: float = 0.05,
                seed: int = 0, device=None) -> Sweep:
    """Train one student per width on ``train`` (full batch, Adam, cosine-decayed learning
    rate) and measure its mean squared error on ``train`` and ``test``, divided by the
    variance of the test targets (1 = predicting the mean; 0 = perfect)."""
    for name, pair in (("train", train), ("test", test)):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise ValueError(f"{name} must be a pair (x of shape (N, dim), y of shape (N,)), got {type(pair).__name__}")
        x, y = pair
        if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)) or x.dim() != 2 or y.shape != x.shape[:1]:
            raise ValueError(f"{name} must be a pair (x of shape (N, dim), y of shape (N,)), got shapes "
                             f"{getattr(x, 'shape', None)}, {getattr(y, 'shape', None)}")
    positive_int(steps, "steps")
    _positive_number(lr, "lr")
    device = torch.device(device) if device is not None else default_device()
    (x, y), (x_test, y_test) = [(a.to(device), b.to(device)) for a, b in (train, test)]
    bank = StudentBank(x.shape[1], widths, seed=seed).to(device)
    optimizer = torch.optim.Adam(bank.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    for _ in range(steps):
        loss = ((bank(x) - y[:, None]) ** 2).mean(dim=0).sum()      # Σ_g MSE_g
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    with torch.no_grad():
        variance = y_test.var()
        train_loss = ((bank(x) - y[:, None]) ** 2).mean(dim=0) / variance
        test_loss = ((bank(x_test) - y_test[:, None]) ** 2).mean(dim=0) / variance
    return Sweep(torch.tensor(bank.parameter_counts()), train_loss.cpu(), test_loss.cpu())
