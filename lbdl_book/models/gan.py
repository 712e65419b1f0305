"""Generative adversarial networks ("The missing bits"; [Goodfellow et al., 2014]).

A **generator** G maps a random input z of a fixed distribution (here z ~ N(0, I), of
dimension ``noise_dim``) to a signal x = G(z); a **discriminator** D maps a signal to the
logit s(x) of the probability D(x) = σ(s(x)) that it comes from the training data
rather than from G. Both are multi-layer perceptrons with ReLUs (:class:`Generator`,
:class:`Discriminator`). Each holds ``copies`` independent networks whose layers are
computed together by batched matrix products (``torch.baddbmm``), so that several
training runs (seeds, losses) advance in one pass: a GAN's training is chaotic, and a
claim about it is a claim about several runs. With ``copies=1`` they are ordinary MLPs,
with PyTorch's default initialisation of ``nn.Linear``; they do not use the components
of :mod:`lbdl_book.nn`, whose weights have no copy dimension.

**The game** (LBDL). D is trained to minimise the standard cross-entropy of that
two-class problem (:func:`discriminator_loss`), written with logits,

    L_D = −E_x[log D(x)] − E_z[log(1 − D(G(z)))] = E_x[softplus(−s(x))] + E_z[softplus(s(G(z)))],

and G to maximise it, i.e. to minimise its second term, E_z[log(1 − D(G(z)))]: the
*saturating* generator loss (:func:`generator_loss` with ``kind="saturating"``). G
receives its learning signal only through D: the gradient of the loss with respect to a
generated sample x = G(z) is ∂/∂x log(1 − σ(s)) = −σ(s) ∂s/∂x, back-propagated into G.

**Beyond LBDL.** The game is min_G max_D V(D, G), V = E_x[log D(x)] + E_z[log(1 − D(G(z)))]
= −L_D. For a fixed G with density p_g, the best discriminator is
D*(x) = p_data(x) / (p_data(x) + p_g(x)) (:func:`optimal_discriminator`), and then
V(D*, G) = −log 4 + 2 JSD(p_data ‖ p_g), minimal (−log 4) iff p_g = p_data, where D* = ½
(:func:`gan_value`, :func:`js_divergence`, for densities tabulated on a grid). When D
rejects the generated samples confidently (σ(s) ≈ 0), the saturating gradient −σ(s)
vanishes: Goodfellow et al. train G instead to minimise −E_z[log D(G(z))] (the
*non-saturating* loss, ``kind="non_saturating"``), whose gradient 1 − σ(s) ≈ 1 there.
Same fixed point, different dynamics.

**Measures.** :func:`ring_of_gaussians` draws the classic 2-D test set, ``modes``
Gaussians of standard deviation ``std`` on a circle; :func:`mode_coverage` counts the
modes a set of samples covers and the fraction of *high-quality* samples, those within
k·std of a mode centre. :func:`train_gan` is the alternating loop (one step of D, then
one of G, with Adam), written out because the loop is the lesson; it records the losses,
D's mean outputs, the size of the gradient reaching the generated samples, and
snapshots. :func:`train_shipped` is the full digits run behind
``lbdl_book/weights/gan_digits.safetensors``.
"""

from __future__ import annotations

import math
import time
from numbers import Real
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import (boolean, model_input, module, non_negative_int, positive_int, positive_ints, positive_real,
                       tensor)

__all__ = ["Generator", "Discriminator", "discriminator_loss", "generator_loss", "GENERATOR_LOSSES",
           "ring_centres", "ring_of_gaussians", "ModeCoverage", "mode_coverage", "GANRun", "train_gan",
           "optimal_discriminator", "js_divergence", "gan_value", "JudgeScore", "digit_judge", "judge_samples",
           "DIGITS_STEPS", "digits_gan", "train_shipped"]

GENERATOR_LOSSES = ("saturating", "non_saturating")


class _StackedMLP(nn.Module):
    """``copies`` independent MLPs ``sizes = (D_0, …, D_L)`` with ReLUs between the layers,
    computed together: layer l of copy c is y = x W_l[c] + b_l[c], with W_l (copies,
    D_{l−1}, D_l), one batched matrix product for all copies. Each copy starts from
    PyTorch's default initialisation of a linear layer, U(±1/√D_{l−1}) for weights and
    biases. Input (copies, N, D_0) → output (copies, N, D_L)."""

    def __init__(self, sizes: tuple[int, ...], copies: int):
        super().__init__()
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for d_in, d_out in zip(sizes[:-1], sizes[1:]):
            bound = 1 / math.sqrt(d_in)
            self.weights.append(nn.Parameter(torch.empty(copies, d_in, d_out).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.empty(copies, 1, d_out).uniform_(-bound, bound)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.weights) - 1
        for l, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(bias, x, weight)                            # (copies, N, D_l)
            if l < last:
                x = torch.relu(x)
        return x


def _stacked_input(x: torch.Tensor, copies: int, width: int, name: str) -> tuple[torch.Tensor, bool]:
    """(copies, N, width) view of ``x`` and whether it came as a shared (N, width) batch."""
    if x.dim() == 2 and x.shape[1] == width:
        return x.expand(copies, *x.shape), True
    if x.dim() == 3 and x.shape[0] == copies and x.shape[2] == width:
        return x, False
    raise ValueError(f"{name} must have shape (N, {width}) or (copies={copies}, N, {width}), got {tuple(x.shape)}")


class Generator(nn.Module):
    """G: z ↦ x, an MLP ``(noise_dim, *hidden, data_dim)`` with ReLUs, followed by a
    sigmoid if ``output="sigmoid"`` (signals in [0, 1], e.g. images) or nothing if
    ``output="linear"`` (points of the plane).

    ``copies`` independent generators live in one module, so that several training runs
    (seeds, losses) advance in one pass: z (copies, N, noise_dim) → x (copies, N, data_dim);
    a shared z (N, noise_dim) feeds every copy. With ``copies=1`` (the default) a 2-D z
    gives a 2-D x (N, data_dim). :meth:`sample` draws z ~ N(0, I) and returns G(z)."""

    def __init__(self, noise_dim: int = 2, data_dim: int = 2, hidden=(64, 64), *, output: str = "linear",
                 copies: int = 1):
        super().__init__()
        positive_int(noise_dim, "noise_dim")
        positive_int(data_dim, "data_dim")
        positive_int(copies, "copies")
        hidden = positive_ints(hidden, "hidden")
        if output not in ("linear", "sigmoid"):
            raise ValueError(f"output must be 'linear' or 'sigmoid', got {output!r}")
        self.noise_dim, self.data_dim, self.hidden, self.output, self.copies = noise_dim, data_dim, hidden, output, copies
        self.net = _StackedMLP((noise_dim, *hidden, data_dim), copies)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        model_input(z, self, "z")
        z, shared = _stacked_input(z, self.copies, self.noise_dim, "z")
        x = self.net(z)
        if self.output == "sigmoid":
            x = torch.sigmoid(x)
        return x[0] if shared and self.copies == 1 else x

    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples per copy, G(z) with z ~ N(0, I) drawn by ``generator``: (n, data_dim)
        for one copy, (copies, n, data_dim) for several."""
        positive_int(n, "n")
        parameter = next(self.parameters())
        z = torch.randn(self.copies, n, self.noise_dim, generator=generator, dtype=parameter.dtype)
        x = self(z.to(parameter.device))
        return x[0] if self.copies == 1 else x


class Discriminator(nn.Module):
    """D: x ↦ the logit s(x) of "x is real", an MLP ``(data_dim, *hidden, 1)`` with
    ReLUs; the probability is D(x) = σ(s(x)). ``copies`` independent discriminators, as
    in :class:`Generator`: x (copies, N, data_dim) → s (copies, N); a shared
    x (N, data_dim) → (copies, N), or (N,) if ``copies=1``."""

    def __init__(self, data_dim: int = 2, hidden=(64, 64), *, copies: int = 1):
        super().__init__()
        positive_int(data_dim, "data_dim")
        positive_int(copies, "copies")
        hidden = positive_ints(hidden, "hidden")
        self.data_dim, self.hidden, self.copies = data_dim, hidden, copies
        self.net = _StackedMLP((data_dim, *hidden, 1), copies)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        model_input(x, self, "x")
        x, shared = _stacked_input(x, self.copies, self.data_dim, "x")
        s = self.net(x)[..., 0]
        return s[0] if shared and self.copies == 1 else s


def _check_logits(value, name: str) -> torch.Tensor:
    tensor(value, name, floating=True)
    if value.dim() not in (1, 2) or value.shape[-1] == 0:
        raise ValueError(f"{name} must be logits of shape (N,) or (copies, N) with N >= 1, got {tuple(value.shape)}")
    return value


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The cross-entropy D minimises: −mean log σ(s_real) − mean log(1 − σ(s_fake)),
    computed as mean softplus(−s_real) + mean softplus(s_fake) (no overflow for any
    logit). ``real_logits`` (N,) and ``fake_logits`` (M,) give a scalar; (copies, N) and
    (copies, M) give one loss per copy (copies,)."""
    _check_logits(real_logits, "real_logits")
    _check_logits(fake_logits, "fake_logits")
    if real_logits.dim() != fake_logits.dim() or real_logits.shape[:-1] != fake_logits.shape[:-1]:
        raise ValueError(f"fake_logits must have the leading shape of real_logits {tuple(real_logits.shape[:-1])}, "
                         f"got {tuple(fake_logits.shape)}")
    return F.softplus(-real_logits).mean(-1) + F.softplus(fake_logits).mean(-1)


def generator_loss(fake_logits: torch.Tensor, kind: str = "non_saturating") -> torch.Tensor:
    """What G minimises, from D's logits on generated samples, (M,) → a scalar or
    (copies, M) → (copies,).

    * ``"saturating"``: mean log(1 − σ(s)) = −mean softplus(s), the book's "G maximises
      D's loss" (the part of it that depends on G); its derivative in s is −σ(s), which
      vanishes when D is sure the samples are fake (s → −∞).
    * ``"non_saturating"``: −mean log σ(s) = mean softplus(−s), the variant of
      [Goodfellow et al., 2014]; derivative −(1 − σ(s)) → −1 there."""
    _check_logits(fake_logits, "fake_logits")
    if kind not in GENERATOR_LOSSES:
        raise ValueError(f"kind must be one of {GENERATOR_LOSSES}, got {kind!r}")
    if kind == "saturating":
        return -F.softplus(fake_logits).mean(-1)
    return F.softplus(-fake_logits).mean(-1)


# --- the ring of Gaussians and its measures ------------------------------------------------

def ring_centres(modes: int = 8, radius: float = 2.0, *, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The ``modes`` centres (modes, 2) equally spaced on the circle of ``radius``, the
    first at angle 0."""
    positive_int(modes, "modes")
    radius = positive_real(radius, "radius")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    angle = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes
    return (radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)).to(dtype)


def ring_of_gaussians(n: int, *, modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0,
                      dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``n`` points (n, 2) of the mixture of ``modes`` isotropic Gaussians of standard
    deviation ``std`` centred on :func:`ring_centres`, with equal weights (each point
    picks its mode uniformly at random). Seeded: the same arguments, the same points."""
    positive_int(n, "n")
    std = positive_real(std, "std")
    non_negative_int(seed, "seed")
    centres = ring_centres(modes, radius, dtype=torch.float64)
    g = torch.Generator().manual_seed(seed)
    which = torch.randint(modes, (n,), generator=g)
    points = centres[which] + std * torch.randn(n, 2, generator=g, dtype=torch.float64)
    return points.to(dtype)


class ModeCoverage(NamedTuple):
    """What :func:`mode_coverage` measured: ``covered`` modes (int), ``quality`` (fraction
    of samples within k·std of a centre), ``counts`` (modes,) high-quality samples per mode."""

    covered: int
    quality: float
    counts: torch.Tensor


def mode_coverage(samples: torch.Tensor, *, modes: int = 8, radius: float = 2.0, std: float = 0.05,
                  k: float = 3.0, min_share: float = 0.25) -> ModeCoverage:
    """Coverage and quality of 2-D ``samples`` (N, 2) for the ring of :func:`ring_of_gaussians`.

    A sample is *high-quality* if it lies within ``k``·``std`` of its nearest centre (for
    real data and k = 3, a fraction 1 − e^{−k²/2} ≈ 0.989 of the points: the distance of a
    2-D Gaussian point to its centre is Rayleigh distributed). A mode is *covered* if it
    receives at least ``min_share`` times its fair share N/modes of high-quality samples
    (real data: all modes, unless N is tiny)."""
    tensor(samples, "samples", floating=True)
    if samples.dim() != 2 or samples.shape[1] != 2 or samples.shape[0] == 0:
        raise ValueError(f"samples must have shape (N, 2) with N >= 1, got {tuple(samples.shape)}")
    std = positive_real(std, "std")
    k = positive_real(k, "k")
    min_share = positive_real(min_share, "min_share")
    centres = ring_centres(modes, radius, dtype=samples.dtype).to(samples.device)
    distance, nearest = torch.cdist(samples.detach(), centres).min(dim=1)
    good = distance <= k * std
    counts = torch.bincount(nearest[good], minlength=modes).cpu()
    covered = int((counts >= min_share * samples.shape[0] / modes).sum())
    return ModeCoverage(covered, good.float().mean().item(), counts)


# --- training ---------------------------------------------------------------------------

class GANRun(NamedTuple):
    """What :func:`train_gan` recorded, for ``copies`` runs at once. Per step, tensors
    (steps, copies): ``d_loss``, ``g_loss``, ``d_real`` and ``d_fake`` (mean D(x) on the
    real and on the generated batch, before D's step), ``g_grad`` (mean over the batch of
    ‖∂ℓ/∂x‖, the gradient of one sample's generator loss with respect to that generated
    sample: the learning signal that reaches G). Every ``record_every`` steps (step 0
    included): ``steps`` (list), ``samples`` (copies, M, data_dim) per snapshot, G on the
    fixed noise, and ``d_grid`` (copies, K) per snapshot, D(x) on the grid (empty without
    a grid). ``seconds``: wall time of the loop."""

    d_loss: torch.Tensor
    g_loss: torch.Tensor
    d_real: torch.Tensor
    d_fake: torch.Tensor
    g_grad: torch.Tensor
    steps: list
    samples: list
    d_grid: list
    seconds: float


def _check_losses(loss, copies: int) -> tuple[str, ...]:
    kinds = (loss,) * copies if isinstance(loss, str) else loss
    if not isinstance(kinds, (tuple, list)) or len(kinds) != copies or any(k not in GENERATOR_LOSSES for k in kinds):
        raise ValueError(f"loss must be one of {GENERATOR_LOSSES} or a sequence of {copies} of them "
                         f"(one per copy), got {loss!r}")
    return tuple(kinds)


def _check_betas(betas) -> tuple[float, float]:
    if (not isinstance(betas, (tuple, list)) or len(betas) != 2
            or not all(isinstance(b, Real) and not isinstance(b, bool) and 0 <= b < 1 for b in betas)):
        raise ValueError(f"betas must be a pair of numbers in [0, 1), got {betas!r}")
    return float(betas[0]), float(betas[1])


def train_gan(generator: Generator, discriminator: Discriminator, data: torch.Tensor, *, steps: int,
              batch_size: int = 128, loss="non_saturating", lr: float = 1e-3, lr_d: float | None = None,
              betas=(0.5, 0.999), g_optimizer: str = "adam", d_head_start: int = 0, average: float = 0.0,
              record_every: int = 0,
              noise: torch.Tensor | None = None, grid: torch.Tensor | None = None, seed: int = 0) -> GANRun:
    """Train ``generator`` and ``discriminator`` (with the same number of copies) against
    each other on ``data`` (N, data_dim); copy c of G plays against copy c of D only.

    Each step: one step of Adam on :func:`discriminator_loss` (per copy, a real batch of
    ``batch_size`` rows of ``data`` drawn with replacement and as many generated samples,
    detached from G), then one step of Adam on :func:`generator_loss` with fresh noise.
    ``loss``: the generator loss, one kind for all copies or one per copy. ``lr`` (G)
    and ``lr_d`` (D, default ``lr``), Adam's ``betas`` (0.5, 0.999, usual for GANs).
    ``d_head_start``: steps of D alone before the game starts (a discriminator already
    sure of itself). ``g_optimizer``: ``"adam"`` or ``"sgd"`` (plain steps with momentum 0.9,
    whose size follows the gradient's). ``average`` in [0, 1): if > 0, the generator ends
    with the exponential moving average of its weights over the steps (decay ``average``),
    which smooths out the oscillations of the game. Since each copy's loss involves its own parameters only, summing the
    copies' losses and stepping an elementwise optimiser trains them exactly as separate
    runs would. ``record_every``: a snapshot every that many steps (0: none) of G on
    ``noise`` (default: 1,000 fixed draws) and of D on ``grid`` if given. Everything runs
    on the generator's device; ``seed`` fixes the batches and the noise."""
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a Generator, got {type(generator).__name__}")
    if not isinstance(discriminator, Discriminator):
        raise TypeError(f"discriminator must be a Discriminator, got {type(discriminator).__name__}")
    copies = generator.copies
    if discriminator.copies != copies or discriminator.data_dim != generator.data_dim:
        raise ValueError(f"discriminator must have copies={copies} and data_dim={generator.data_dim} like the "
                         f"generator, got copies={discriminator.copies}, data_dim={discriminator.data_dim}")
    tensor(data, "data", floating=True)
    if data.dim() != 2 or data.shape[1] != generator.data_dim or data.shape[0] == 0:
        raise ValueError(f"data must have shape (N, {generator.data_dim}) with N >= 1, got {tuple(data.shape)}")
    positive_int(steps, "steps")
    positive_int(batch_size, "batch_size")
    non_negative_int(d_head_start, "d_head_start")
    non_negative_int(record_every, "record_every")
    non_negative_int(seed, "seed")
    kinds = _check_losses(loss, copies)
    lr = positive_real(lr, "lr")
    lr_d = lr if lr_d is None else positive_real(lr_d, "lr_d")
    betas = _check_betas(betas)
    if isinstance(average, bool) or not isinstance(average, Real) or not 0 <= average < 1:
        raise ValueError(f"average must be a number in [0, 1), got {average!r}")
    if g_optimizer not in ("adam", "sgd"):
        raise ValueError(f"g_optimizer must be 'adam' or 'sgd', got {g_optimizer!r}")
    parameter = next(generator.parameters())
    device, dtype = parameter.device, parameter.dtype
    g = torch.Generator().manual_seed(seed)
    if noise is None:
        noise = torch.randn(1000, generator.noise_dim, generator=g, dtype=dtype)
    tensor(noise, "noise", floating=True)
    if noise.dim() != 2 or noise.shape[1] != generator.noise_dim or noise.shape[0] == 0:
        raise ValueError(f"noise must have shape (M, {generator.noise_dim}) with M >= 1, got {tuple(noise.shape)}")
    if grid is not None:
        tensor(grid, "grid", floating=True)
        if grid.dim() != 2 or grid.shape[1] != generator.data_dim or grid.shape[0] == 0:
            raise ValueError(f"grid must have shape (K, {generator.data_dim}) with K >= 1, got {tuple(grid.shape)}")
        grid = grid.to(device, dtype)
    noise, data = noise.to(device, dtype), data.to(device, dtype)
    discriminator.to(device)
    saturating = torch.tensor([k == "saturating" for k in kinds], device=device)
    if g_optimizer == "adam":
        opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=betas, foreach=True)
    else:
        opt_g = torch.optim.SGD(generator.parameters(), lr=lr, momentum=0.9)
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=betas, foreach=True)
    shape = (copies, batch_size, generator.noise_dim)
    records: dict[str, list] = {name: [] for name in ("d_loss", "g_loss", "d_real", "d_fake", "g_grad")}
    steps_seen, samples, d_grid = [], [], []

    def snapshot(step: int) -> None:
        with torch.no_grad():
            steps_seen.append(step)
            samples.append(generator(noise.expand(copies, *noise.shape)).cpu())
            if grid is not None:
                d_grid.append(torch.sigmoid(discriminator(grid.expand(copies, *grid.shape))).cpu())

    def d_step() -> tuple[torch.Tensor, ...]:                          # D: minimise the cross-entropy
        real = data[torch.randint(len(data), (copies, batch_size), generator=g).to(device)]
        with torch.no_grad():
            fake = generator(torch.randn(shape, generator=g, dtype=dtype).to(device))
        real_logits, fake_logits = discriminator(torch.cat([real, fake], dim=1)).split(batch_size, dim=1)
        d_loss = discriminator_loss(real_logits, fake_logits)
        opt_d.zero_grad(set_to_none=True)
        d_loss.sum().backward()
        opt_d.step()
        return d_loss, real_logits, fake_logits

    averaged = [p.detach().clone() for p in generator.parameters()] if average else []
    start = time.perf_counter()
    for _ in range(d_head_start):
        d_step()
    if record_every:
        snapshot(0)
    for step in range(1, steps + 1):
        d_loss, real_logits, fake_logits = d_step()
        fake = generator(torch.randn(shape, generator=g, dtype=dtype).to(device))
        fake.retain_grad()                                             # G: its loss, through D
        logits = discriminator(fake)
        g_loss = torch.where(saturating, generator_loss(logits, "saturating"), generator_loss(logits))
        opt_g.zero_grad(set_to_none=True)
        g_loss.sum().backward()
        opt_g.step()
        with torch.no_grad():
            for mean, p in zip(averaged, generator.parameters()):
                mean.lerp_(p, 1 - average)
            for name, value in (("d_loss", d_loss), ("g_loss", g_loss), ("d_real", torch.sigmoid(real_logits).mean(1)),
                                ("d_fake", torch.sigmoid(fake_logits).mean(1)),
                                ("g_grad", fake.grad.norm(dim=2).mean(1) * batch_size)):   # per-sample loss: × batch
                records[name].append(value.detach().cpu())
        if record_every and step % record_every == 0:
            snapshot(step)
    discriminator.zero_grad(set_to_none=True)
    generator.zero_grad(set_to_none=True)
    with torch.no_grad():
        for mean, p in zip(averaged, generator.parameters()):
            p.copy_(mean)
    seconds = time.perf_counter() - start
    return GANRun(**{name: torch.stack(values) for name, values in records.items()}, steps=steps_seen,
                  samples=samples, d_grid=d_grid, seconds=seconds)


# --- the theory on a grid (Beyond LBDL) -----------------------------------------------------

def _check_densities(p_data, p_g, *, positive_sum: bool = True) -> None:
    tensor(p_data, "p_data", floating=True)
    tensor(p_g, "p_g", floating=True)
    if p_data.dim() != 1 or p_data.numel() == 0:
        raise ValueError(f"p_data must be a non-empty 1-D tensor of density values, got {tuple(p_data.shape)}")
    if p_g.shape != p_data.shape:
        raise ValueError(f"p_g must have the shape of p_data {tuple(p_data.shape)}, got {tuple(p_g.shape)}")
    if (p_data < 0).any() or (p_g < 0).any() or not (torch.isfinite(p_data).all() and torch.isfinite(p_g).all()):
        raise ValueError("p_data and p_g must be finite and >= 0")
    if positive_sum and ((p_data + p_g) == 0).any():
        raise ValueError("p_data + p_g must be > 0 at every grid point (D* is undefined where both vanish)")


def optimal_discriminator(p_data: torch.Tensor, p_g: torch.Tensor) -> torch.Tensor:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)), pointwise, for densities tabulated on
    the same points: the maximiser of a·log y + b·log(1 − y) over y is a / (a + b)."""
    _check_densities(p_data, p_g)
    return p_data / (p_data + p_g)


def _xlogy(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return torch.where(x > 0, x * torch.log(torch.where(x > 0, y, torch.ones_like(y))), torch.zeros_like(x))


def js_divergence(p_data: torch.Tensor, p_g: torch.Tensor, dx: float) -> torch.Tensor:
    """JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2, in nats, by the Riemann
    sum with spacing ``dx`` of densities tabulated on a uniform grid. Between 0 and log 2."""
    _check_densities(p_data, p_g, positive_sum=False)
    dx = positive_real(dx, "dx")
    # p log(p/m) + q log(q/m) = p log p + q log q − (p + q) log m, with 0 log 0 = 0: no ratio that could underflow
    m = (p_data + p_g) / 2
    return 0.5 * dx * (_xlogy(p_data, p_data) + _xlogy(p_g, p_g) - 2 * _xlogy(m, m)).sum()


def gan_value(p_data: torch.Tensor, p_g: torch.Tensor, dx: float,
              discriminator: torch.Tensor | None = None) -> torch.Tensor:
    """V(D, G) = ∫ p_data log D + ∫ p_g log(1 − D), by the Riemann sum with spacing ``dx``,
    for D tabulated on the grid (values in [0, 1]; default: D*, where the value is
    −log 4 + 2 JSD(p_data ‖ p_g), computed without forming the ratio D*, which could
    underflow where one density is negligible)."""
    _check_densities(p_data, p_g, positive_sum=False)
    dx = positive_real(dx, "dx")
    if discriminator is None:    # p log D* + q log(1 − D*) = p log p + q log q − (p + q) log(p + q), 0 log 0 = 0
        total = p_data + p_g
        return dx * (_xlogy(p_data, p_data) + _xlogy(p_g, p_g) - _xlogy(total, total)).sum()
    d = discriminator
    tensor(d, "discriminator", floating=True)
    if d.shape != p_data.shape or (d < 0).any() or (d > 1).any():
        raise ValueError(f"discriminator must be values in [0, 1] of shape {tuple(p_data.shape)}")
    return dx * (_xlogy(p_data, d).sum() + _xlogy(p_g, 1 - d).sum())


# --- digits --------------------------------------------------------------------------------

class JudgeScore(NamedTuple):
    """What :func:`judge_samples` measured: ``quality`` (fraction of samples the judge
    classifies with probability >= threshold), ``counts`` (10,) confident samples per
    class, ``covered`` (classes with at least ``min_share`` of their fair share)."""

    quality: float
    counts: torch.Tensor
    covered: int


def digit_judge(x_train: torch.Tensor, y_train: torch.Tensor, *, epochs: int = 30, seed: int = 0) -> nn.Module:
    """A quick digit classifier used as a judge of generated digits: an
    ``MLP((D, 128, classes))`` on the flattened images ``x_train`` (N, ...) with labels
    ``y_train`` (N,) in 0-9, trained by :func:`lbdl_book.fit` (Adam, lr 2e-3, batches of
    64, ``epochs`` epochs), returned in eval mode. Input of the result: (N, D) flattened."""
    from ..train import fit
    from .mlp import MLP

    tensor(x_train, "x_train", floating=True)
    tensor(y_train, "y_train")
    if x_train.dim() < 2 or x_train.shape[0] == 0:
        raise ValueError(f"x_train must have shape (N, ...) with N >= 1, got {tuple(x_train.shape)}")
    if y_train.dtype != torch.int64 or y_train.shape != x_train.shape[:1]:
        raise ValueError(f"y_train must be int64 labels of shape ({x_train.shape[0]},), got {y_train.dtype} "
                         f"{tuple(y_train.shape)}")
    if y_train.min() < 0 or y_train.max() > 9:
        raise ValueError("y_train must hold digit labels in 0-9")
    positive_int(epochs, "epochs")
    non_negative_int(seed, "seed")
    torch.manual_seed(seed)
    judge = MLP((x_train[0].numel(), 128, 10)).to(x_train.device)
    fit(judge, F.cross_entropy, (x_train.flatten(1), y_train), epochs=epochs, lr=2e-3, batch_size=64,
        optimizer="adam", seed=seed, progress=False)
    return judge.eval()


def judge_samples(judge: nn.Module, samples: torch.Tensor, *, threshold: float = 0.9,
                  min_share: float = 0.25) -> JudgeScore:
    """Score ``samples`` (N, D) with a classifier ``judge`` ((N, D) → 10 logits): the
    fraction classified with probability >= ``threshold`` (a digit the judge recognises),
    the histogram of those confident classes, and how many classes get at least
    ``min_share`` times the fair share N/10 of confident samples."""
    module(judge, "judge")
    tensor(samples, "samples", floating=True)
    if samples.dim() != 2 or samples.shape[0] == 0:
        raise ValueError(f"samples must have shape (N, D) with N >= 1, got {tuple(samples.shape)}")
    threshold = positive_real(threshold, "threshold")
    if threshold > 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
    min_share = positive_real(min_share, "min_share")
    with torch.no_grad():
        probabilities = torch.softmax(judge(samples), dim=1)
    confident, classes = probabilities.max(dim=1)
    sure = confident >= threshold
    counts = torch.bincount(classes[sure], minlength=10).cpu()
    covered = int((counts >= min_share * samples.shape[0] / 10).sum())
    return JudgeScore(sure.float().mean().item(), counts, covered)


DIGITS_STEPS = 20_000


def digits_gan(*, copies: int = 1) -> tuple[Generator, Discriminator]:
    """The digit GAN of the page and of the shipped weights: G maps z ~ N(0, I) of
    dimension 32 through hidden layers of 256 and 256 to 64 pixels in [0, 1] (an 8 × 8
    digit); D maps 64 pixels through 256 and 256 units to a logit."""
    return (Generator(32, 64, (256, 256), output="sigmoid", copies=copies),
            Discriminator(64, (256, 256), copies=copies))


def train_shipped(quick: bool) -> tuple[Generator, dict]:
    """The full run behind ``lbdl_book/weights/gan_digits.safetensors`` (``make weights``):
    :func:`digits_gan` trained by :func:`train_gan` (non-saturating loss, Adam 5e-4,
    batches of 128, the generator's weights averaged with decay 0.999) for :data:`DIGITS_STEPS` steps on the training split of
    ``load_digits(8)``, then scored by :func:`judge_samples` with :func:`digit_judge` on
    2,000 samples. Only the generator is shipped. ``quick=True``: 50 steps."""
    boolean(quick, "quick")
    from ..data.digits import load_digits

    x_train, y_train, x_test, y_test = load_digits(8)
    torch.manual_seed(0)
    generator, discriminator = digits_gan()
    steps = 50 if quick else DIGITS_STEPS
    run = train_gan(generator, discriminator, x_train.flatten(1), steps=steps, batch_size=128, lr=5e-4,
                    average=0.999, seed=0)
    judge = digit_judge(x_train, y_train, epochs=2 if quick else 30)
    with torch.no_grad():
        samples = generator.sample(2000, generator=torch.Generator().manual_seed(1))
    score = judge_samples(judge, samples)
    real = judge_samples(judge, x_test.flatten(1))
    info = {"steps": steps, "batch_size": 128, "lr": 5e-4, "betas": [0.5, 0.999], "loss": "non_saturating",
            "average": 0.999,
            "noise_dim": 32, "hidden": [256, 256], "train_seconds": round(run.seconds, 1), "device": "cpu",
            "parameters": sum(p.numel() for p in generator.parameters()),
            "quality": round(score.quality, 4), "counts": score.counts.tolist(), "covered": score.covered,
            "real_quality": round(real.quality, 4), "quick": quick}
    return generator, info
