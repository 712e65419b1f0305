"""Denoising diffusion (LBDL §7.2; [Ho et al., 2020]): generate a signal by undoing, one
small step at a time, a process that turns data into white noise.

**What LBDL says.** Fix a number of steps T. A *forward* process degrades a sample x_0 of
the data a little at each step, x_0 → x_1 → … → x_T, until x_T is white noise whatever
x_0 was. A *denoiser* f(x_t, t; w) learns to undo one step. Generation starts from
white noise x_T and applies the learned reverse step T times (LBDL's Eq. 7.1),

    x_{t−1} | x_t ~ N(x_t + f(x_t, t; w), σ_t),

so that the first steps "hallucinate" a coarse structure and the last ones refine it.

**Beyond LBDL: the DDPM choices** (:class:`NoiseSchedule`). The forward step is
x_t = √(1 − β_t) x_{t−1} + √β_t ε_t with ε_t ~ N(0, I) and a fixed *noise schedule*
β_1 < … < β_T. Composing the steps gives the closed form (:meth:`NoiseSchedule.q_sample`)

    q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I),   α_t = 1 − β_t,   ᾱ_t = α_1 ⋯ α_t,

so x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε is drawn in one go, for any t, from x_0 and one
ε ~ N(0, I). The network ε_θ(x_t, t) is trained to predict that ε (:func:`diffusion_loss`,
the "simple" loss of Ho et al.: E ‖ε − ε_θ(x_t, t)‖² with t uniform in 1 … T), and the
mean of the reverse step is

    μ_θ(x_t, t) = (x_t − β_t / √(1 − ᾱ_t) · ε_θ(x_t, t)) / √α_t,

which is Eq. 7.1 with f(x_t, t; w) = μ_θ(x_t, t) − x_t and σ_t² = β_t (or the posterior
variance β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t)). :func:`ddpm_sample` runs that chain.

**Conventions** (shared with the guidance page, :mod:`lbdl_book.models.guidance`):

* time steps are integers t ∈ {1, …, T}; index t of the schedule's tensors is step t,
  and index 0 is the data (β_0 = 0, ᾱ_0 = 1);
* a denoiser is called ``model(x_t, t, labels)`` with x_t (N, …), t (N,) int64 in 1 … T
  and ``labels`` (N,) int64 or ``None``, and returns ε̂ of x_t's shape. A conditional
  model (``num_classes`` = C > 0) has C + 1 class embeddings: classes 0 … C−1, and the
  *null class* C (``model.null_class``) that stands for "no label"; ``labels=None`` means
  the null class for every sample. Training drops each label to the null class with
  probability ``p_uncond``, so one network serves unconditional sampling (null class)
  and classifier-free guidance;
* guidance (in :func:`ddpm_sample`): ε̃ = ε_θ(x, ∅) + s · (ε_θ(x, c) − ε_θ(x, ∅)), with
  ``guidance_scale`` s: s = 1 is plain conditional sampling, s = 0 unconditional, s > 1
  pushes towards the class [Ho and Salimans, 2022];
* images are mapped from pixels in [0, 1] to [−1, 1] (:func:`to_signal`,
  :func:`to_pixels`), so that the data and the noise have comparable scales.

**Models.** :class:`TimeMLP`, for points of the plane: an MLP on [x, embedding(t)].
:class:`UNet`, for images: a small U-Net with same-resolution skip connections whose
residual blocks each add a projection of the time (and class) embedding.

**Measures.** :func:`mmd` (maximum mean discrepancy with a Gaussian kernel) and
:func:`sliced_wasserstein` compare two clouds of points.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from numbers import Real
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import boolean, model_input, module, non_negative_int, positive_int, positive_ints, positive_real, tensor
from ..nn.activations import GELU
from ..nn.conv import Conv2d, ConvTranspose2d
from ..nn.embedding import Embedding
from ..nn.fused import set_fused
from ..nn.linear import Linear
from ..nn.pooling import AvgPool2d
from ..nn.positional import frequencies
from ..weights import round_to_float16

__all__ = ["NoiseSchedule", "time_embedding", "TimeMLP", "ResBlock", "UNet", "diffusion_loss", "DiffusionRun",
           "train_diffusion", "ddpm_sample", "to_signal", "to_pixels", "mmd", "median_bandwidth",
           "sliced_wasserstein", "two_moons", "DIGITS", "digits_model", "digits_schedule", "train_shipped"]


# --- the noise schedule ---------------------------------------------------------------------

class NoiseSchedule:
    """The fixed forward process of DDPM with ``steps`` = T steps (Beyond LBDL).

    ``kind="linear"``: β_t linear from ``beta_start`` to ``beta_end`` (defaults: Ho et
    al.'s 10⁻⁴ and 0.02 for T = 1000, scaled by 1000/T so that a shorter chain destroys
    the signal as completely: ᾱ_T ≈ e^{−Σβ} is about e^{−10} for any T; both capped at
    0.999, which only chains of fewer than 21 steps reach).
    ``kind="cosine"``: ᾱ_t = cos²(π/2 · (t/T + s)/(1 + s)) / cos²(π/2 · s/(1 + s)),
    s = 0.008 [Nichol and Dhariwal, 2021], with β_t = 1 − ᾱ_t/ᾱ_{t−1} clipped to 0.999.

    Attributes, float64 tensors of shape (T + 1,) indexed by t (index 0: the data):
    ``betas`` (β_0 = 0), ``alphas`` = 1 − β, ``alpha_bars`` (ᾱ_0 = 1), ``sigmas``
    (σ_t of the reverse step: √β_t, or √β̃_t with ``variance="posterior"``)."""

    def __init__(self, steps: int = 100, kind: str = "linear", *, beta_start: float | None = None,
                 beta_end: float | None = None, variance: str = "beta"):
        positive_int(steps, "steps")
        if kind not in ("linear", "cosine"):
            raise ValueError(f"kind must be 'linear' or 'cosine', got {kind!r}")
        if variance not in ("beta", "posterior"):
            raise ValueError(f"variance must be 'beta' or 'posterior', got {variance!r}")
        self.steps, self.kind, self.variance = steps, kind, variance
        t = torch.arange(steps + 1, dtype=torch.float64)
        if kind == "linear":
            end = min(0.02 * 1000 / steps, 0.999) if beta_end is None else positive_real(beta_end, "beta_end")
            start = min(1e-4 * 1000 / steps, end) if beta_start is None else positive_real(beta_start, "beta_start")
            if not start <= end < 1:
                raise ValueError(f"the betas must satisfy beta_start <= beta_end < 1, got {start!r} and {end!r}")
            betas = torch.linspace(start, end, steps, dtype=torch.float64) if steps > 1 else \
                torch.tensor([end], dtype=torch.float64)
        else:
            if beta_start is not None or beta_end is not None:
                raise ValueError("beta_start and beta_end apply to kind='linear' only")
            s = 0.008
            f = torch.cos((t / steps + s) / (1 + s) * math.pi / 2) ** 2
            betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
        self.betas = torch.cat([torch.zeros(1, dtype=torch.float64), betas])
        self.alphas = 1 - self.betas
        self.alpha_bars = torch.cumprod(self.alphas, 0)
        posterior = self.betas.clone()
        posterior[1:] = self.betas[1:] * (1 - self.alpha_bars[:-1]) / (1 - self.alpha_bars[1:])
        self.sigmas = (self.betas if variance == "beta" else posterior).sqrt()

    def _t(self, t, n: int | None = None) -> torch.Tensor:
        if isinstance(t, int) and not isinstance(t, bool):
            t = torch.full((1 if n is None else n,), t, dtype=torch.int64)
        tensor(t, "t")
        if t.dtype != torch.int64 or t.dim() != 1:
            raise ValueError(f"t must be an int or an int64 tensor of shape (N,), got {t.dtype} {tuple(t.shape)}")
        if t.numel() and (t.min() < 0 or t.max() > self.steps):
            raise ValueError(f"t must lie in 0 … {self.steps}, got values in {t.min().item()} … {t.max().item()}")
        return t

    def q_sample(self, x0: torch.Tensor, t, noise: torch.Tensor | None = None, *,
                 generator: torch.Generator | None = None) -> torch.Tensor:
        """x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, a draw of q(x_t | x_0): ``x0`` (N, …), ``t`` an
        int or an int64 tensor (N,) in 0 … T, ``noise`` ε of x0's shape (default: drawn
        from N(0, I) with ``generator``, on the CPU, then moved). Returns x0's shape and dtype."""
        tensor(x0, "x0", floating=True)
        if x0.dim() < 1:
            raise ValueError("x0 must have a sample dimension (N, ...)")
        t = self._t(t, len(x0))
        if len(t) != len(x0):
            raise ValueError(f"t must have one step per sample ({len(x0)}), got {len(t)}")
        if noise is None:
            noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype).to(x0.device)
        tensor(noise, "noise", floating=True)
        if noise.shape != x0.shape:
            raise ValueError(f"noise must have the shape of x0 {tuple(x0.shape)}, got {tuple(noise.shape)}")
        shape = (-1,) + (1,) * (x0.dim() - 1)
        a = self.alpha_bars.to(x0.device)[t.to(x0.device)].view(shape)
        return (a.sqrt() * x0 + (1 - a).sqrt() * noise).to(x0.dtype)

    def posterior_mean(self, x_t: torch.Tensor, t: int, eps: torch.Tensor) -> torch.Tensor:
        """μ_θ(x_t, t) = (x_t − β_t/√(1 − ᾱ_t) · ε̂) / √α_t, the mean of the reverse step
        (Eq. 7.1's x_t + f) from the predicted noise ``eps``; ``t`` an int in 1 … T."""
        beta, alpha, alpha_bar = (float(v[t]) for v in (self.betas, self.alphas, self.alpha_bars))
        return (x_t - beta / math.sqrt(1 - alpha_bar) * eps) / math.sqrt(alpha)

    def predict_x0(self, x_t: torch.Tensor, t: int, eps: torch.Tensor) -> torch.Tensor:
        """x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t: the clean signal implied by the predicted noise."""
        alpha_bar = float(self.alpha_bars[t])
        return (x_t - math.sqrt(1 - alpha_bar) * eps) / math.sqrt(alpha_bar)

    def signal_to_noise(self) -> torch.Tensor:
        """ᾱ_t / (1 − ᾱ_t) for t = 1 … T, shape (T,): how much of x_0 is left in x_t."""
        a = self.alpha_bars[1:]
        return a / (1 - a)

    def __repr__(self) -> str:
        return f"NoiseSchedule(steps={self.steps}, kind={self.kind!r}, variance={self.variance!r})"


# --- the denoisers --------------------------------------------------------------------------

def time_embedding(t: torch.Tensor, dim: int, base: float = 10_000.0) -> torch.Tensor:
    """The sinusoidal embedding of integer steps ``t`` (N,) → (N, dim): columns 2i and
    2i+1 are sin(ω_i t) and cos(ω_i t) with ω_i = base^(−2i/dim), as the positional
    encoding of §4.10 (:func:`lbdl_book.nn.positional.frequencies`). ``dim`` even."""
    tensor(t, "t")
    positive_int(dim, "dim")
    if dim % 2:
        raise ValueError(f"dim must be even, got {dim}")
    omega = frequencies(dim, base).to(t.device)                         # (dim/2,) float64
    angle = t.to(torch.float64)[:, None] * omega                          # (N, dim/2)
    return torch.stack([angle.sin(), angle.cos()], dim=2).flatten(1).float()


def _check_labels(labels, n: int, num_classes: int) -> None:
    if labels is None:
        return
    if num_classes == 0:
        raise ValueError("labels must be None for an unconditional model (num_classes=0)")
    tensor(labels, "labels")
    if labels.dtype != torch.int64 or labels.shape != (n,):
        raise ValueError(f"labels must be int64 of shape ({n},), got {labels.dtype} {tuple(labels.shape)}")
    if n and (labels.min() < 0 or labels.max() > num_classes):
        raise ValueError(f"labels must lie in 0 … {num_classes} ({num_classes} = the null class)")


def _check_steps(t, n: int) -> torch.Tensor:
    tensor(t, "t")
    if t.dtype != torch.int64 or t.shape != (n,):
        raise ValueError(f"t must be int64 of shape ({n},), got {t.dtype} {tuple(t.shape)}")
    if n and t.min() < 0:
        raise ValueError("t must be >= 0")
    return t


class _Conditioning(nn.Module):
    """embedding(t) → Linear → GELU → Linear, plus a learned embedding of the class
    (``num_classes`` + 1 rows, the last one the null class) if ``num_classes`` > 0:
    t (N,), labels (N,) or None → (N, dim)."""

    def __init__(self, dim: int, num_classes: int, time_dim: int):
        super().__init__()
        self.time_dim, self.num_classes = time_dim, num_classes
        self.time = nn.Sequential(Linear(time_dim, dim), GELU(), Linear(dim, dim))
        self.classes = Embedding(num_classes + 1, dim) if num_classes else None

    def forward(self, t: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        e = self.time(time_embedding(t, self.time_dim).to(self.time[0].weight.dtype))
        if self.classes is not None:
            if labels is None:
                labels = torch.full_like(t, self.num_classes)
            e = e + self.classes(labels)
        return e


class TimeMLP(nn.Module):
    """A denoiser for points in R^``dim``: ε̂ = MLP([x_t, embedding(t)]) with ``hidden``
    layers and GELUs, where the embedding is :func:`time_embedding` (``time_dim``
    columns) through a linear layer, plus a class embedding if ``num_classes`` > 0.
    Call: ``model(x, t, labels=None)``, x (N, dim), t (N,) int64 → (N, dim)."""

    def __init__(self, dim: int = 2, hidden: Sequence[int] = (128, 128, 128), *, time_dim: int = 32,
                 num_classes: int = 0, fused: bool = True):
        super().__init__()
        positive_int(dim, "dim")
        hidden = positive_ints(hidden, "hidden")
        positive_int(time_dim, "time_dim")
        non_negative_int(num_classes, "num_classes")
        boolean(fused, "fused")
        if time_dim % 2:
            raise ValueError(f"time_dim must be even, got {time_dim}")
        self.dim, self.hidden, self.num_classes = dim, hidden, num_classes
        self.condition = _Conditioning(hidden[0], num_classes, time_dim)
        self.input = Linear(dim, hidden[0])
        layers: list[nn.Module] = []
        for a, b in zip(hidden[:-1], hidden[1:]):
            layers += [GELU(), Linear(a, b)]
        self.body = nn.Sequential(*layers, GELU(), Linear(hidden[-1], dim))
        set_fused(self, fused)

    @property
    def null_class(self) -> int:
        """The label that means "no label" (``num_classes``)."""
        return self.num_classes

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        model_input(x, self)
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (N, {self.dim}), got {tuple(x.shape)}")
        _check_steps(t, len(x))
        _check_labels(labels, len(x), self.num_classes)
        return self.body(self.input(x) + self.condition(t, labels))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, hidden={self.hidden}, num_classes={self.num_classes}"


class ResBlock(nn.Module):
    """h = conv₃ₓ₃(GELU(x)) + Linear(e) (broadcast over the pixels), then
    y = skip(x) + conv₃ₓ₃(GELU(h)), where e is the (time, class) embedding and skip a
    1 × 1 convolution when the channel counts differ (else the identity).
    (N, in, H, W), (N, emb) → (N, out, H, W). The last convolution starts at zero, so a
    new block is the identity (or the 1 × 1 skip)."""

    def __init__(self, in_channels: int, out_channels: int, emb_dim: int):
        super().__init__()
        positive_int(in_channels, "in_channels")
        positive_int(out_channels, "out_channels")
        positive_int(emb_dim, "emb_dim")
        self.in_channels, self.out_channels, self.emb_dim = in_channels, out_channels, emb_dim
        self.conv1 = Conv2d(in_channels, out_channels, 3, padding=1)
        self.emb = Linear(emb_dim, out_channels)
        self.conv2 = Conv2d(out_channels, out_channels, 3, padding=1)
        self.act1, self.act2 = GELU(), GELU()
        self.skip = Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()
        nn.init.zeros_(self.conv2.weight)
        nn.init.zeros_(self.conv2.bias)

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        model_input(x, self)
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"x must have shape (N, {self.in_channels}, H, W), got {tuple(x.shape)}")
        tensor(e, "e", floating=True)
        if e.shape != (len(x), self.emb_dim):
            raise ValueError(f"e must have shape ({len(x)}, {self.emb_dim}), got {tuple(e.shape)}")
        h = self.conv1(self.act1(x)) + self.emb(e)[:, :, None, None]
        return self.skip(x) + self.conv2(self.act2(h))


class UNet(nn.Module):
    """A small U-Net denoiser for images (N, in_channels, H, W) → ε̂ of the same shape,
    H and W divisible by 2^(len(widths) − 1). With widths (w_0, …, w_L) and the
    embedding e = MLP(embedding(t)) [+ class embedding]:

        h   = conv₃ₓ₃(x_t)                                   w_0 × H × W
        E_0 = ResBlock(h, e)                                 w_0 × H × W
        E_l = ResBlock(avgpool₂(E_{l−1}), e)                 w_l × H/2^l × W/2^l,  l = 1 … L
        M   = ResBlock(E_L, e)                               (the middle)
        D_l = ResBlock(concat(E_l, up(D_{l+1})), e)          w_l × H/2^l × W/2^l,  l = L−1 … 0
        ε̂   = conv₃ₓ₃(GELU(D_0))                             in_channels × H × W

    (D_L = M; up is a 2 × 2 transposed convolution of stride 2, w_{l+1} → w_l; the
    concatenation is the same-resolution skip connection of §6.1.) ``num_classes`` > 0
    adds a class embedding with a null class (see the module docstring). Built from
    :mod:`lbdl_book.nn`; ``fused`` switches them to PyTorch's kernels (default).
    Call: ``model(x, t, labels=None)``, t (N,) int64, labels (N,) int64 or None."""

    def __init__(self, widths: Sequence[int] = (32, 64), *, in_channels: int = 1, emb_dim: int = 64,
                 time_dim: int = 32, num_classes: int = 0, fused: bool = True):
        super().__init__()
        widths = positive_ints(widths, "widths")
        if len(widths) < 2:
            raise ValueError(f"widths must hold at least 2 channel counts, got {widths!r}")
        positive_int(in_channels, "in_channels")
        positive_int(emb_dim, "emb_dim")
        positive_int(time_dim, "time_dim")
        non_negative_int(num_classes, "num_classes")
        boolean(fused, "fused")
        if time_dim % 2:
            raise ValueError(f"time_dim must be even, got {time_dim}")
        self.widths, self.in_channels, self.num_classes = widths, in_channels, num_classes
        self.condition = _Conditioning(emb_dim, num_classes, time_dim)
        self.stem = Conv2d(in_channels, widths[0], 3, padding=1)
        self.pool = AvgPool2d(2)
        self.encoder = nn.ModuleList(ResBlock(a, b, emb_dim) for a, b in zip((widths[0], *widths[:-1]), widths))
        self.middle = ResBlock(widths[-1], widths[-1], emb_dim)
        self.up = nn.ModuleList(ConvTranspose2d(b, a, 2, stride=2) for a, b in zip(widths[:-1], widths[1:]))
        self.decoder = nn.ModuleList(ResBlock(2 * w, w, emb_dim) for w in widths[:-1])
        self.act = GELU()
        self.head = Conv2d(widths[0], in_channels, 3, padding=1)
        set_fused(self, fused)

    @property
    def null_class(self) -> int:
        """The label that means "no label" (``num_classes``)."""
        return self.num_classes

    @property
    def multiple(self) -> int:
        """Height and width must be multiples of this: 2^(len(widths) − 1)."""
        return 2 ** (len(self.widths) - 1)

    def forward(self, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        model_input(x, self)
        m = self.multiple
        if x.dim() != 4 or x.shape[1] != self.in_channels or not x.shape[2] or x.shape[2] % m or x.shape[3] % m:
            raise ValueError(f"x must have shape (N, {self.in_channels}, H, W) with H and W positive multiples of "
                             f"{m}, got {tuple(x.shape)}")
        _check_steps(t, len(x))
        _check_labels(labels, len(x), self.num_classes)
        e = self.condition(t, labels)
        h = self.stem(x)
        features = []
        for level, block in enumerate(self.encoder):
            h = block(self.pool(h) if level else h, e)
            features.append(h)
        h = self.middle(h, e)
        for level in reversed(range(len(self.decoder))):
            h = self.decoder[level](torch.cat([features[level], self.up[level](h)], dim=1), e)
        return self.head(self.act(h))

    def extra_repr(self) -> str:
        return f"widths={self.widths}, in_channels={self.in_channels}, num_classes={self.num_classes}"


# --- training ---------------------------------------------------------------------------------

def _model_dtype_device(model: nn.Module) -> tuple[torch.dtype, torch.device]:
    p = next(model.parameters())
    return p.dtype, p.device


def diffusion_loss(model: nn.Module, schedule: NoiseSchedule, x0: torch.Tensor, labels: torch.Tensor | None = None,
                   *, p_uncond: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """The ε-prediction loss of a batch (Beyond LBDL: Ho et al.'s "simple" loss): draw
    t uniform in 1 … T and ε ~ N(0, I) per sample, form x_t = q_sample(x0, t, ε), and
    return the mean over the batch and the coordinates of (ε_θ(x_t, t, c) − ε)².
    ``labels`` (N,) int64 or None; each label is replaced by the null class with
    probability ``p_uncond`` (label dropout, for classifier-free guidance). Random draws
    come from ``generator`` on the CPU. Returns a scalar."""
    module(model, "model")
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    tensor(x0, "x0", floating=True)
    if x0.dim() < 2 or not len(x0):
        raise ValueError(f"x0 must have shape (N, ...) with N >= 1, got {tuple(x0.shape)}")
    if isinstance(p_uncond, bool) or not isinstance(p_uncond, Real) or not 0 <= p_uncond <= 1:
        raise ValueError(f"p_uncond must be a number in [0, 1], got {p_uncond!r}")
    n, device = len(x0), x0.device
    t = torch.randint(1, schedule.steps + 1, (n,), generator=generator)
    noise = torch.randn(x0.shape, generator=generator, dtype=x0.dtype)
    if labels is not None:
        null = getattr(model, "null_class", None)
        if null is None:
            raise ValueError("labels need a conditional model (with a null_class)")
        drop = torch.rand(n, generator=generator) < p_uncond
        labels = torch.where(drop.to(labels.device), torch.full_like(labels, null), labels)
    x_t = schedule.q_sample(x0, t, noise.to(device))
    return F.mse_loss(model(x_t, t.to(device), labels), noise.to(device))


class DiffusionRun(NamedTuple):
    """What :func:`train_diffusion` recorded: ``losses`` (steps,) the loss of each step,
    ``seconds`` the wall time of the loop."""

    losses: torch.Tensor
    seconds: float


def train_diffusion(model: nn.Module, schedule: NoiseSchedule, x0: torch.Tensor, labels: torch.Tensor | None = None,
                    *, steps: int, batch_size: int = 128, lr: float = 2e-3, p_uncond: float = 0.0,
                    cosine: bool = True, average: float = 0.0, seed: int = 0) -> DiffusionRun:
    """Algorithm 1 of Ho et al., written out because the loop is the lesson: ``steps``
    times, draw a batch of ``batch_size`` training signals ``x0`` (N, …) (and their
    ``labels``), a step t and a noise ε per sample, and take an Adam step (rate ``lr``,
    decayed to 0 along a cosine if ``cosine``) on :func:`diffusion_loss`. ``average`` in
    [0, 1): if > 0, the model ends with the exponential moving average of its weights
    (decay ``average``), as DDPM samples do. Runs on the model's device; seeded."""
    module(model, "model")
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    tensor(x0, "x0", floating=True)
    if x0.dim() < 2 or not len(x0):
        raise ValueError(f"x0 must have shape (N, ...) with N >= 1, got {tuple(x0.shape)}")
    if labels is not None:
        tensor(labels, "labels")
        if labels.shape != (len(x0),):
            raise ValueError(f"labels must have shape ({len(x0)},), got {tuple(labels.shape)}")
    positive_int(steps, "steps")
    positive_int(batch_size, "batch_size")
    lr = positive_real(lr, "lr")
    boolean(cosine, "cosine")
    non_negative_int(seed, "seed")
    if isinstance(average, bool) or not isinstance(average, Real) or not 0 <= average < 1:
        raise ValueError(f"average must be a number in [0, 1), got {average!r}")
    dtype, device = _model_dtype_device(model)
    x0 = x0.to(device, dtype)
    labels = None if labels is None else labels.to(device)
    g = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    averaged = [p.detach().clone() for p in model.parameters()] if average else []
    losses = torch.empty(steps)
    model.train()
    start = time.perf_counter()
    for step in range(steps):
        if cosine:
            for group in opt.param_groups:
                group["lr"] = lr * 0.5 * (1 + math.cos(math.pi * step / steps))
        index = torch.randint(len(x0), (batch_size,), generator=g).to(device)
        loss = diffusion_loss(model, schedule, x0[index], None if labels is None else labels[index],
                              p_uncond=p_uncond, generator=g)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses[step] = loss.detach()
        with torch.no_grad():
            for mean, p in zip(averaged, model.parameters()):
                mean.lerp_(p, 1 - average)
    with torch.no_grad():
        for mean, p in zip(averaged, model.parameters()):
            p.copy_(mean)
    model.eval()
    return DiffusionRun(losses, time.perf_counter() - start)


# --- sampling -------------------------------------------------------------------------------

@torch.no_grad()
def _guided_eps(model: nn.Module, x: torch.Tensor, t: torch.Tensor, labels, scale: float) -> torch.Tensor:
    if labels is None or scale == 1:
        return model(x, t, labels)
    null = torch.full_like(labels, model.null_class)
    if scale == 0:
        return model(x, t, null)
    eps = model(torch.cat([x, x]), torch.cat([t, t]), torch.cat([labels, null]))
    conditional, unconditional = eps.chunk(2)
    return unconditional + scale * (conditional - unconditional)


def ddpm_sample(model: nn.Module, schedule: NoiseSchedule, shape: Sequence[int], *,
                labels: torch.Tensor | None = None, guidance_scale: float = 1.0,
                mean_shift: Callable[[torch.Tensor, int], torch.Tensor] | None = None,
                noise: torch.Tensor | None = None, generator: torch.Generator | None = None,
                trajectory: bool = False, clip: float | None = None):
    """Generate with Eq. 7.1: start from x_T ~ N(0, I) of ``shape`` (N, …) (or the given
    ``noise``), and for t = T, …, 1 draw

        x_{t−1} = μ_θ(x_t, t) + shift(x_t, t) + σ_t z,   z ~ N(0, I)   (no noise at t = 1),

    with μ_θ from the predicted noise (:meth:`NoiseSchedule.posterior_mean`) and σ_t
    from the schedule.

    * ``labels`` (N,) int64 (``model.null_class`` = no label) with ``guidance_scale`` s:
      ε̃ = ε(x, ∅) + s (ε(x, c) − ε(x, ∅)) (classifier-free guidance; s = 1: conditional,
      one pass; otherwise the two predictions come from one batch of 2N). ``labels=None``:
      the null class (unconditional) for a conditional model;
    * ``mean_shift(x_t, t)``: a function of x_t (N, …) and the int t that returns a tensor
      of x_t's shape added to the mean (e.g. s σ_t² ∇ log p(y | x_t) for classifier
      guidance); it is called with gradients enabled, on a detached x_t;
    * ``clip``: if a number c, the implied x̂_0 is clamped to [−c, c] and the mean is
      recomputed from it, μ = (√ᾱ_{t−1} β_t x̂_0 + √α_t (1 − ᾱ_{t−1}) x_t) / (1 − ᾱ_t)
      (common for images; ``None``: Eq. 7.1 as is);
    * ``trajectory=True``: also return every x_t, a tensor (T + 1, N, …) from x_T (index
      0) to x_0 (index T): index k holds x_{T−k}.

    Random draws come from ``generator`` on the CPU (the same samples on any device).
    Runs on the model's device, in eval mode. Returns x_0 (N, …), or (x_0, trajectory)."""
    module(model, "model")
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    shape = positive_ints(shape, "shape")
    if isinstance(guidance_scale, bool) or not isinstance(guidance_scale, Real) or not math.isfinite(guidance_scale):
        raise ValueError(f"guidance_scale must be a finite number, got {guidance_scale!r}")
    if mean_shift is not None and not callable(mean_shift):
        raise TypeError(f"mean_shift must be a function (x_t, t) -> tensor, got {type(mean_shift).__name__}")
    boolean(trajectory, "trajectory")
    if clip is not None:
        clip = positive_real(clip, "clip")
    n = shape[0]
    if labels is not None:
        null = getattr(model, "null_class", None)
        if null is None:
            raise ValueError("labels need a conditional model (with a null_class)")
        _check_labels(labels, n, null)
    dtype, device = _model_dtype_device(model)
    if noise is None:
        noise = torch.randn(shape, generator=generator, dtype=dtype)
    tensor(noise, "noise", floating=True)
    if tuple(noise.shape) != shape:
        raise ValueError(f"noise must have shape {shape}, got {tuple(noise.shape)}")
    was_training = model.training
    model.eval()
    labels = None if labels is None else labels.to(device)
    x = noise.to(device, dtype)
    path = [x.cpu()] if trajectory else []
    for t in range(schedule.steps, 0, -1):
        steps = torch.full((n,), t, dtype=torch.int64, device=device)
        eps = _guided_eps(model, x, steps, labels, float(guidance_scale))
        if clip is None:
            mean = schedule.posterior_mean(x, t, eps)
        else:
            x0 = schedule.predict_x0(x, t, eps).clamp(-clip, clip)
            ab, ab_prev = float(schedule.alpha_bars[t]), float(schedule.alpha_bars[t - 1])
            beta, alpha = float(schedule.betas[t]), float(schedule.alphas[t])
            mean = (math.sqrt(ab_prev) * beta * x0 + math.sqrt(alpha) * (1 - ab_prev) * x) / (1 - ab)
        if mean_shift is not None:
            with torch.enable_grad():
                shift = mean_shift(x.detach(), t)
            tensor(shift, "mean_shift(x_t, t)", floating=True)
            if shift.shape != x.shape:
                raise ValueError(f"mean_shift must return a tensor of shape {tuple(x.shape)}, got {tuple(shift.shape)}")
            mean = mean + shift.detach().to(device, dtype)
        if t > 1:
            z = torch.randn(shape, generator=generator, dtype=dtype).to(device)
            x = mean + float(schedule.sigmas[t]) * z
        else:
            x = mean
        if trajectory:
            path.append(x.cpu())
    model.train(was_training)
    return (x, torch.stack(path)) if trajectory else x


def to_signal(images: torch.Tensor) -> torch.Tensor:
    """Pixels in [0, 1] → the diffusion's signal in [−1, 1]: 2·x − 1."""
    tensor(images, "images", floating=True)
    return 2 * images - 1


def to_pixels(signal: torch.Tensor) -> torch.Tensor:
    """The inverse of :func:`to_signal`, clamped to [0, 1]: (x + 1)/2."""
    tensor(signal, "signal", floating=True)
    return ((signal + 1) / 2).clamp(0, 1)


# --- distances between clouds of points -----------------------------------------------------

def _check_clouds(x, y) -> None:
    tensor(x, "x", floating=True)
    tensor(y, "y", floating=True)
    if x.dim() != 2 or len(x) < 2:
        raise ValueError(f"x must have shape (N, D) with N >= 2, got {tuple(x.shape)}")
    if y.dim() != 2 or len(y) < 2 or y.shape[1] != x.shape[1]:
        raise ValueError(f"y must have shape (M, {x.shape[1]}) with M >= 2, got {tuple(y.shape)}")


def median_bandwidth(x: torch.Tensor) -> float:
    """The median of the pairwise distances ‖x_i − x_j‖ (i < j) of ``x`` (N, D): the usual
    choice of the Gaussian kernel's bandwidth (the "median heuristic")."""
    tensor(x, "x", floating=True)
    if x.dim() != 2 or len(x) < 2:
        raise ValueError(f"x must have shape (N, D) with N >= 2, got {tuple(x.shape)}")
    d = torch.cdist(x.double(), x.double())
    i, j = torch.triu_indices(len(x), len(x), offset=1)
    return d[i, j].median().item()


def mmd(x: torch.Tensor, y: torch.Tensor, bandwidth: float) -> float:
    """The unbiased estimate of the squared maximum mean discrepancy between the
    distributions of ``x`` (N, D) and ``y`` (M, D), with the Gaussian kernel
    k(a, b) = exp(−‖a − b‖² / (2 h²)), h = ``bandwidth``:

        MMD² = mean_{i≠j} k(x_i, x_j) + mean_{i≠j} k(y_i, y_j) − 2 mean_{i,j} k(x_i, y_j).

    Zero in expectation when the two distributions are equal (it can then be slightly
    negative), positive otherwise. Computed in float64; returns a float."""
    _check_clouds(x, y)
    h = positive_real(bandwidth, "bandwidth")
    x, y = x.double(), y.double()

    def kernel(a, b):
        return torch.exp(-torch.cdist(a, b) ** 2 / (2 * h * h))

    def within(a):
        k = kernel(a, a)
        return (k.sum() - k.diagonal().sum()) / (len(a) * (len(a) - 1))

    return (within(x) + within(y) - 2 * kernel(x, y).mean()).item()


def sliced_wasserstein(x: torch.Tensor, y: torch.Tensor, *, projections: int = 128, seed: int = 0) -> float:
    """The sliced Wasserstein-2 distance between the point clouds ``x`` (N, D) and ``y``
    (N, D) (the same number of points): the root mean square, over ``projections``
    random unit directions θ (seeded), of the 1-D Wasserstein-2 distance between the
    projections ⟨x_i, θ⟩ and ⟨y_i, θ⟩, which is that of their sorted values:

        SW₂(x, y)² = mean_θ mean_i (sort⟨x, θ⟩_i − sort⟨y, θ⟩_i)².

    Computed in float64; returns a float."""
    _check_clouds(x, y)
    if len(x) != len(y):
        raise ValueError(f"x and y must hold the same number of points, got {len(x)} and {len(y)}")
    positive_int(projections, "projections")
    non_negative_int(seed, "seed")
    theta = torch.randn(x.shape[1], projections, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    theta = theta / theta.norm(dim=0, keepdim=True)
    px = (x.double().cpu() @ theta).sort(dim=0).values
    py = (y.double().cpu() @ theta).sort(dim=0).values
    return ((px - py) ** 2).mean().sqrt().item()


# --- data ------------------------------------------------------------------------------------

def two_moons(n: int, *, seed: int = 0, noise: float = 0.06, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` points (n, 2) of two interleaved half-moons (:func:`lbdl_book.data.planar.moons`
    with Gaussian noise of std ``noise``), scaled by 1.6 so that each coordinate has a
    spread comparable to that of N(0, 1), the noise the diffusion ends in. Seeded."""
    from ..data.planar import moons

    positive_int(n, "n")
    x, _ = moons(n, noise=noise, seed=seed, dtype=torch.float64)
    return (1.6 * x).to(dtype)


# --- the shipped digit model ------------------------------------------------------------------

# The class-conditional digit model of §7.2 (shipped as ``diffusion_digits``): 8 × 8 digits of
# :func:`lbdl_book.data.digits.load_digits`, pixels mapped to [−1, 1].
DIGITS = {"widths": (24, 48), "emb_dim": 64, "time_dim": 32, "num_classes": 10, "steps": 50, "kind": "linear",
          "train_steps": 4000, "batch_size": 128, "lr": 2e-3, "p_uncond": 0.3, "average": 0.995}


def digits_model(*, fused: bool = True) -> UNet:
    """The U-Net of the shipped digit model (:data:`DIGITS`), freshly initialised:
    (N, 1, 8, 8) → (N, 1, 8, 8), 10 classes and the null class 10."""
    return UNet(DIGITS["widths"], in_channels=1, emb_dim=DIGITS["emb_dim"], time_dim=DIGITS["time_dim"],
                num_classes=DIGITS["num_classes"], fused=fused)


def digits_schedule() -> NoiseSchedule:
    """The noise schedule the digit model was trained with (:data:`DIGITS`)."""
    return NoiseSchedule(DIGITS["steps"], DIGITS["kind"])


def train_shipped(quick: bool) -> tuple[UNet, dict]:
    """The full run behind ``lbdl_book/weights/diffusion_digits.safetensors``: :func:`digits_model`
    trained by :func:`train_diffusion` on the 1,297 training digits of ``load_digits(8)``
    with their labels, label dropout ``p_uncond`` (so the null class learns the
    unconditional model), Adam with a cosine decay and weight averaging, as in
    :data:`DIGITS`; the weights are rounded to float16 (the file's precision), then scored by :func:`lbdl_book.models.gan.judge_samples` with
    :func:`~lbdl_book.models.gan.digit_judge` on 500 unconditional samples. ``quick=True``:
    20 steps and 20 samples."""
    from ..data.digits import load_digits
    from .gan import digit_judge, judge_samples

    boolean(quick, "quick")
    x_train, y_train, x_test, _ = load_digits(8)
    torch.manual_seed(0)
    model = digits_model()
    schedule = digits_schedule()
    steps = 20 if quick else DIGITS["train_steps"]
    cpu_start = time.process_time()
    run = train_diffusion(model, schedule, to_signal(x_train), y_train, steps=steps, batch_size=DIGITS["batch_size"],
                          lr=DIGITS["lr"], p_uncond=DIGITS["p_uncond"], average=DIGITS["average"], seed=0)
    cpu_seconds = time.process_time() - cpu_start
    round_to_float16(model)  # the precision of the file
    n = 20 if quick else 500
    samples = to_pixels(ddpm_sample(model, schedule, (n, 1, 8, 8), generator=torch.Generator().manual_seed(1)))
    judge = digit_judge(x_train, y_train, epochs=2 if quick else 30)
    score = judge_samples(judge, samples.flatten(1))
    real = judge_samples(judge, x_test.flatten(1))
    info = {key: list(value) if isinstance(value, tuple) else value for key, value in DIGITS.items()}
    info |= {"train_steps": steps, "train_seconds": round(run.seconds, 1), "device": "cpu",
             "train_cpu_seconds": round(cpu_seconds, 1),
             "final_loss": round(run.losses[-200:].mean().item(), 4),
             "parameters": sum(p.numel() for p in model.parameters()),
             "quality": round(score.quality, 4), "counts": score.counts.tolist(), "covered": score.covered,
             "real_quality": round(real.quality, 4), "dtype": "float16", "quick": quick}
    return model.cpu().half(), info
