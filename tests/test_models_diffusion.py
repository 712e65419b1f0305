"""Tests of lbdl_book.models.diffusion (§7.2): the schedule and its closed form, the
denoisers (shapes, exact parameter counts, the null class, fused = unfused), the
ε-prediction loss and the sampler against exact oracles, the distances, and the
shipped digit model."""

import math

import pytest
import torch

from lbdl_book import weights
from lbdl_book.models import diffusion as d
from lbdl_book.nn.positional import sinusoidal_encoding

U64 = 2.0 ** -53      # float64 unit roundoff
U32 = 2.0 ** -24      # float32 unit roundoff


# --- the schedule -----------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_schedule_tables(kind):
    s = d.NoiseSchedule(50, kind)
    assert s.betas.shape == s.alpha_bars.shape == s.sigmas.shape == (51,)
    assert s.betas[0] == 0 and s.alpha_bars[0] == 1
    # ᾱ_t = Π α: a product of t factors, each rounded once (relative error ≤ t·u)
    t = torch.arange(51, dtype=torch.float64)
    product = torch.tensor([math.prod(s.alphas[1:k + 1].tolist()) for k in range(51)], dtype=torch.float64)
    assert torch.all((s.alpha_bars - product).abs() <= 2 * (t + 1) * U64 * product)
    assert torch.all(s.alpha_bars[1:] < s.alpha_bars[:-1])            # the signal only fades
    assert s.alpha_bars[-1] < 1e-3                                      # x_T is (almost) pure noise


def test_linear_schedule_is_scaled_from_ddpm():
    s = d.NoiseSchedule(100)
    assert s.betas[1].item() == pytest.approx(1e-3, rel=1e-12)
    assert s.betas[-1].item() == pytest.approx(0.2, rel=1e-12)
    custom = d.NoiseSchedule(10, beta_start=0.01, beta_end=0.1)
    assert torch.allclose(custom.betas[1:], torch.linspace(0.01, 0.1, 10, dtype=torch.float64), atol=0, rtol=4 * U64)


def test_cosine_schedule_formula():
    s = d.NoiseSchedule(20, "cosine")
    f = lambda t: math.cos((t / 20 + 0.008) / 1.008 * math.pi / 2) ** 2   # noqa: E731
    for t in (1, 5, 10, 15):       # no clipping before the last step: ᾱ_t = f(t)/f(0), t rounding steps
        assert s.alpha_bars[t].item() == pytest.approx(f(t) / f(0), rel=8 * (t + 2) * U64)


def test_variance_recursion_is_exact():
    """q(x_t | x_0) composes the one-step process: 1 − ᾱ_t = α_t (1 − ᾱ_{t−1}) + β_t."""
    s = d.NoiseSchedule(50)
    lhs = 1 - s.alpha_bars[1:]
    rhs = s.alphas[1:] * (1 - s.alpha_bars[:-1]) + s.betas[1:]
    assert torch.all((lhs - rhs).abs() <= 8 * U64)                      # a few roundings of numbers ≤ 1


def test_q_sample_matches_composed_steps():
    """The closed form and the chain of one-step draws give the same distribution: mean
    and variance agree within 5 standard errors (N = 40,000 draws)."""
    s = d.NoiseSchedule(20)
    g = torch.Generator().manual_seed(0)
    n, t, x0 = 40_000, 12, 0.7
    x = torch.full((n,), x0, dtype=torch.float64)
    for k in range(1, t + 1):
        x = s.alphas[k].sqrt() * x + s.betas[k].sqrt() * torch.randn(n, generator=g, dtype=torch.float64)
    closed = s.q_sample(torch.full((n, 1), x0, dtype=torch.float64), t, generator=g)[:, 0]
    mean, var = s.alpha_bars[t].sqrt().item() * x0, (1 - s.alpha_bars[t]).item()
    for sample in (x, closed):
        assert abs(sample.mean().item() - mean) < 5 * math.sqrt(var / n)
        assert abs(sample.var().item() - var) < 5 * var * math.sqrt(2 / (n - 1))


def test_q_sample_and_predict_x0_invert():
    s = d.NoiseSchedule(50)
    x0 = torch.randn(6, 3, dtype=torch.float64)
    noise = torch.randn(6, 3, dtype=torch.float64)
    t = torch.tensor([1, 5, 10, 20, 40, 50])
    x_t = s.q_sample(x0, t, noise)
    ab = s.alpha_bars[t][:, None]
    assert torch.allclose(x_t, ab.sqrt() * x0 + (1 - ab).sqrt() * noise, rtol=0, atol=8 * U64 * 4)
    for i, step in enumerate(t.tolist()):
        back = s.predict_x0(x_t[i], step, noise[i])
        # dividing by √ᾱ_t amplifies the rounding of x_t by 1/√ᾱ_t
        assert torch.allclose(back, x0[i], rtol=0, atol=16 * U64 * 8 / math.sqrt(s.alpha_bars[step].item()))


def test_mean_from_true_noise_is_the_posterior_mean():
    """With the true ε, μ_θ(x_t, t) equals the mean of q(x_{t−1} | x_t, x_0) (Ho et al., Eq. 7)."""
    s = d.NoiseSchedule(50)
    x0 = torch.randn(5, 2, dtype=torch.float64)
    noise = torch.randn(5, 2, dtype=torch.float64)
    for t in (2, 10, 30, 50):
        x_t = s.q_sample(x0, t, noise)
        ab, ab_prev = s.alpha_bars[t].item(), s.alpha_bars[t - 1].item()
        beta, alpha = s.betas[t].item(), s.alphas[t].item()
        posterior = (math.sqrt(ab_prev) * beta * x0 + math.sqrt(alpha) * (1 - ab_prev) * x_t) / (1 - ab)
        # the two formulas divide by √α_t and by 1 − ᾱ_t: their roundings are amplified by at most 1/(1 − ᾱ_t)/√α_t
        bound = 64 * U64 * 8 / ((1 - ab) * math.sqrt(alpha))
        assert torch.allclose(s.posterior_mean(x_t, t, noise), posterior, rtol=0, atol=bound)


# --- the denoisers ------------------------------------------------------------------------------

def test_time_embedding_is_the_positional_encoding():
    t = torch.tensor([0, 1, 7, 49])
    table = sinusoidal_encoding(50, 16)
    assert torch.allclose(d.time_embedding(t, 16), table[t], rtol=0, atol=4 * U32 * 50)


def _count(model):
    return sum(p.numel() for p in model.parameters())


def test_unet_shapes_and_parameter_count():
    model = d.digits_model()
    x = torch.randn(3, 1, 8, 8)
    t = torch.tensor([1, 25, 50])
    assert model(x, t).shape == (3, 1, 8, 8)
    assert model(x, t, torch.tensor([0, 5, 10])).shape == (3, 1, 8, 8)
    # count by hand: conditioning (32→64→64, 11 class rows), stem, 2 encoder blocks, middle, up, decoder, head
    def block(a, b, e=64):
        return a * b * 9 + b + e * b + b + b * b * 9 + b + (a * b + b if a != b else 0)
    expected = (32 * 64 + 64 + 64 * 64 + 64 + 11 * 64 + 1 * 24 * 9 + 24 + block(24, 24) + block(24, 48)
                + block(48, 48) + 48 * 24 * 4 + 24 + block(48, 24) + 24 * 1 * 9 + 1)
    assert _count(model) == expected == 122_585
    assert model.null_class == 10
    scenes = d.UNet((8, 16, 16), in_channels=3)
    assert scenes(torch.randn(2, 3, 16, 16), torch.tensor([1, 2])).shape == (2, 3, 16, 16)
    with pytest.raises(ValueError, match="multiples of 4"):
        scenes(torch.randn(2, 3, 10, 10), torch.tensor([1, 2]))


def test_null_class_is_the_default():
    torch.manual_seed(0)
    model = d.UNet((4, 8), num_classes=3).eval()
    x, t = torch.randn(4, 1, 8, 8), torch.tensor([1, 2, 3, 4])
    assert torch.equal(model(x, t), model(x, t, torch.full((4,), 3)))
    with pytest.raises(ValueError, match="labels"):
        model(x, t, torch.full((4,), 4))
    with pytest.raises(ValueError, match="labels"):
        d.UNet((4, 8))(x, t, torch.zeros(4, dtype=torch.int64))


def test_fused_and_book_paths_agree():
    torch.manual_seed(0)
    fused = d.UNet((4, 8), num_classes=2)
    for p in fused.parameters():                      # the zero-initialised convolutions too
        torch.nn.init.normal_(p, std=0.2)
    book = d.UNet((4, 8), num_classes=2, fused=False)
    book.load_state_dict(fused.state_dict())
    x, t, y = torch.randn(3, 1, 8, 8), torch.tensor([1, 4, 9]), torch.tensor([0, 1, 2])
    a, b = fused(x, t, y), book(x, t, y)
    # sums of at most 9·16 = 144 products per convolution, a dozen layers deep: n·u·Σ|terms| per layer
    scale = b.abs().max().item() + 1
    assert torch.allclose(a, b, rtol=0, atol=12 * 144 * U32 * scale * 10)


def test_time_mlp_shapes_and_count():
    model = d.TimeMLP(2, (16, 16), time_dim=8, num_classes=2)
    out = model(torch.randn(5, 2), torch.arange(1, 6), torch.tensor([0, 1, 2, 0, 1]))
    assert out.shape == (5, 2)
    expected = (8 * 16 + 16 + 16 * 16 + 16 + 3 * 16) + (2 * 16 + 16) + (16 * 16 + 16) + (16 * 2 + 2)
    assert _count(model) == expected


# --- the loss and the sampler, against oracles ---------------------------------------------------

class PointOracle(torch.nn.Module):
    """The exact ε-predictor for data concentrated on one point c: x_t = √ᾱ c + √(1 − ᾱ) ε,
    so ε = (x_t − √ᾱ c)/√(1 − ᾱ)."""

    def __init__(self, schedule, c):
        super().__init__()
        self.schedule, self.c = schedule, c
        self.dummy = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))
        self.seen = []

    def forward(self, x, t, labels=None):
        self.seen.append(labels)
        ab = self.schedule.alpha_bars[t].view(-1, *([1] * (x.dim() - 1)))
        return (x - ab.sqrt() * self.c) / (1 - ab).sqrt() + 0 * self.dummy

    null_class = 3


def test_loss_is_zero_for_the_exact_predictor():
    s = d.NoiseSchedule(30)
    c = torch.tensor([0.5, -1.0], dtype=torch.float64)
    oracle = PointOracle(s, c)
    loss = d.diffusion_loss(oracle, s, c.expand(64, 2).clone(), generator=torch.Generator().manual_seed(0))
    # ε recovered from x_t loses ~1/√(1 − ᾱ_1) of x_t's rounding; squared, it is far below any float64 noise
    assert loss.item() < (64 * U64 / math.sqrt(1 - s.alpha_bars[1].item())) ** 2 * 100


def test_label_dropout():
    s = d.NoiseSchedule(5)
    oracle = PointOracle(s, torch.zeros(2, dtype=torch.float64))
    labels = torch.zeros(4000, dtype=torch.int64)
    x0 = torch.zeros(4000, 2, dtype=torch.float64)
    d.diffusion_loss(oracle, s, x0, labels, p_uncond=0.0, generator=torch.Generator().manual_seed(0))
    assert (oracle.seen[-1] == 0).all()
    d.diffusion_loss(oracle, s, x0, labels, p_uncond=1.0, generator=torch.Generator().manual_seed(0))
    assert (oracle.seen[-1] == 3).all()
    d.diffusion_loss(oracle, s, x0, labels, p_uncond=0.1, generator=torch.Generator().manual_seed(0))
    dropped = (oracle.seen[-1] == 3).double().mean().item()
    assert abs(dropped - 0.1) < 5 * math.sqrt(0.1 * 0.9 / 4000)                  # 5 binomial standard errors


def test_sampler_recovers_a_point_mass():
    """With the exact predictor of a point mass, the last step of Eq. 7.1 lands on c
    whatever the noise: μ_θ(x_1, 1) = c."""
    s = d.NoiseSchedule(40)
    c = torch.tensor([0.3, -0.8], dtype=torch.float64)
    x, path = d.ddpm_sample(PointOracle(s, c), s, (7, 2), generator=torch.Generator().manual_seed(0), trajectory=True)
    assert path.shape == (41, 7, 2)
    assert torch.equal(path[-1], x)
    # the last step divides by √α_1 and by √β_1: rounding of x_1 grows by 1/√β_1
    assert torch.allclose(x, c.expand(7, 2), rtol=0, atol=64 * U64 * 8 / math.sqrt(s.betas[1].item()))


def test_sampler_starts_from_the_given_noise_and_is_seeded():
    s = d.NoiseSchedule(10)
    model = d.TimeMLP(2, (8,)).double()
    noise = torch.randn(4, 2, dtype=torch.float64)
    _, path = d.ddpm_sample(model, s, (4, 2), noise=noise, generator=torch.Generator().manual_seed(0), trajectory=True)
    assert torch.equal(path[0], noise)
    a = d.ddpm_sample(model, s, (4, 2), generator=torch.Generator().manual_seed(3))
    b = d.ddpm_sample(model, s, (4, 2), generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


class LabelConstant(torch.nn.Module):
    """ε̂ = label (a constant per class; the null class 2 gives 2)."""

    null_class = 2

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, x, t, labels=None):
        labels = torch.full((len(x),), 2) if labels is None else labels
        return labels.to(x.dtype)[:, None].expand_as(x) + 0 * self.dummy


def test_guidance_combination_and_mean_shift():
    """One step (T = 1, no noise at the last step): x_0 = μ(ε̃) + shift exactly, with
    ε̃ = ε(∅) + s (ε(c) − ε(∅))."""
    s = d.NoiseSchedule(1, beta_start=0.1, beta_end=0.1)
    noise = torch.zeros(3, 2, dtype=torch.float64)
    labels = torch.tensor([0, 1, 2])
    for scale in (0.0, 1.0, 3.0):
        x = d.ddpm_sample(LabelConstant(), s, (3, 2), labels=labels, guidance_scale=scale, noise=noise)
        eps = 2 + scale * (labels.double() - 2)
        expected = s.posterior_mean(noise, 1, eps[:, None].expand(3, 2))
        assert torch.allclose(x, expected, rtol=0, atol=16 * U64 * 4 / math.sqrt(0.9 * 0.1))
    shifted = d.ddpm_sample(LabelConstant(), s, (3, 2), labels=labels, noise=noise,
                            mean_shift=lambda x_t, t: torch.full_like(x_t, 0.25 * t))
    plain = d.ddpm_sample(LabelConstant(), s, (3, 2), labels=labels, noise=noise)
    assert torch.allclose(shifted - plain, torch.full((3, 2), 0.25, dtype=torch.float64), rtol=0, atol=8 * U64 * 8)
    with pytest.raises(ValueError, match="mean_shift"):
        d.ddpm_sample(LabelConstant(), s, (3, 2), noise=noise, mean_shift=lambda x_t, t: x_t[:1])


# --- distances --------------------------------------------------------------------------------------

def test_mmd_against_a_double_loop():
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(6, 2, generator=g, dtype=torch.float64), torch.randn(5, 2, generator=g, dtype=torch.float64) + 1
    h = 0.7
    k = lambda a, b: math.exp(-((a - b) ** 2).sum().item() / (2 * h * h))   # noqa: E731
    xx = sum(k(x[i], x[j]) for i in range(6) for j in range(6) if i != j) / 30
    yy = sum(k(y[i], y[j]) for i in range(5) for j in range(5) if i != j) / 20
    xy = sum(k(x[i], y[j]) for i in range(6) for j in range(5)) / 30
    assert d.mmd(x, y, h) == pytest.approx(xx + yy - 2 * xy, abs=64 * U64)
    assert d.mmd(x, x + 5, h) > d.mmd(x, x + 0.1, h)                           # farther clouds, larger MMD


def test_sliced_wasserstein_of_a_shift():
    """Shifting a cloud by v shifts every projection by ⟨v, θ⟩: SW² = mean_θ ⟨v, θ⟩²."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(50, 3, generator=g, dtype=torch.float64)
    v = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    theta = torch.randn(3, 16, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    theta = theta / theta.norm(dim=0, keepdim=True)
    expected = ((v @ theta) ** 2).mean().sqrt().item()
    assert d.sliced_wasserstein(x, x + v, projections=16, seed=4) == pytest.approx(expected, abs=1e3 * U64)
    assert d.sliced_wasserstein(x, x[torch.randperm(50)], projections=16) == 0.0   # same multiset: sorted equal
    one = torch.randn(30, 1, generator=g, dtype=torch.float64)
    other = torch.randn(30, 1, generator=g, dtype=torch.float64)
    direct = ((one[:, 0].sort().values - other[:, 0].sort().values) ** 2).mean().sqrt().item()
    assert d.sliced_wasserstein(one, other, projections=4) == pytest.approx(direct, abs=64 * U64)


def test_two_moons_and_signal_maps():
    a, b = d.two_moons(100, seed=1), d.two_moons(100, seed=1)
    assert a.shape == (100, 2) and torch.equal(a, b)
    pixels = torch.rand(4, 1, 8, 8)
    assert torch.allclose(d.to_pixels(d.to_signal(pixels)), pixels, rtol=0, atol=2 * U32)


# --- training and the shipped model ----------------------------------------------------------------

def test_training_lowers_the_loss_on_moons():
    torch.manual_seed(0)
    model = d.TimeMLP(2, (32, 32))
    s = d.NoiseSchedule(20, "cosine")
    data = d.two_moons(4096, seed=3)
    g = torch.Generator().manual_seed(0)
    t = torch.randint(1, 21, (4096,), generator=g)
    noise = torch.randn(4096, 2, generator=g)

    def per_sample():
        with torch.no_grad():
            return ((model(s.q_sample(data, t, noise), t) - noise) ** 2).mean(1)

    before = per_sample()
    run = d.train_diffusion(model, s, d.two_moons(512), steps=300, batch_size=128, lr=1e-2, seed=0)
    assert run.losses.shape == (300,)
    gain = before - per_sample()                        # paired: the same x_t, t and ε before and after
    assert gain.mean() > 5 * gain.std() / math.sqrt(len(gain))      # 5 standard errors


def test_shipped_digit_model():
    model = d.digits_model()
    info = weights.load(model, "diffusion_digits")
    assert info["parameters"] == 122_585 and info["quick"] is False
    assert (weights.FOLDER / "diffusion_digits.safetensors").stat().st_size <= 400_000
    # the full run's record (500 unconditional samples): more than half recognised with confidence (2 standard
    # errors, √(0.25/500)), every class present
    assert info["quality"] > 0.5 + 2 * math.sqrt(0.25 / 500) and info["covered"] == 10
