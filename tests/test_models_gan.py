"""The missing bits, generative adversarial networks (lbdl_book/models/gan.py): the players
and their parameter counts, the stacked copies against separate networks, the losses
against PyTorch's binary cross-entropy, the ring of Gaussians and its measures, the
theory on a grid (D*, −log 4 + 2 JSD), and the training loop."""

import math

import pytest
import torch
import torch.nn.functional as F

from lbdl_book.models.gan import (Discriminator, Generator, discriminator_loss, gan_value, generator_loss,
                                  js_divergence, judge_samples, mode_coverage, optimal_discriminator, ring_centres,
                                  ring_of_gaussians, train_gan)


def mlp_parameters(sizes):
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def test_parameter_counts_and_shapes():
    g, d = Generator(2, 2, (64, 64)), Discriminator(2, (64, 64))
    assert sum(p.numel() for p in g.parameters()) == mlp_parameters((2, 64, 64, 2)) == 4482
    assert sum(p.numel() for p in d.parameters()) == mlp_parameters((2, 64, 64, 1)) == 4417
    assert g(torch.randn(5, 2)).shape == (5, 2) and d(torch.randn(5, 2)).shape == (5,)
    g8, d8 = Generator(2, 2, (64, 64), copies=8), Discriminator(2, (64, 64), copies=8)
    assert sum(p.numel() for p in g8.parameters()) == 8 * 4482
    assert g8(torch.randn(8, 5, 2)).shape == (8, 5, 2) and g8(torch.randn(5, 2)).shape == (8, 5, 2)
    assert d8(torch.randn(8, 5, 2)).shape == (8, 5)
    digits = Generator(32, 64, (256, 256), output="sigmoid")
    assert sum(p.numel() for p in digits.parameters()) == mlp_parameters((32, 256, 256, 64)) == 90688
    x = digits.sample(7)
    assert x.shape == (7, 64) and x.min() >= 0 and x.max() <= 1


def test_copies_are_independent_networks():
    """Copy c of a stacked generator computes the same function as a one-copy generator
    holding its weights, and its gradients involve its own parameters only."""
    torch.manual_seed(0)
    stacked = Generator(3, 2, (16, 8), copies=4).double()
    z = torch.randn(4, 10, 3, dtype=torch.float64)
    out = stacked(z)
    for c in range(4):
        single = Generator(3, 2, (16, 8)).double()
        with torch.no_grad():
            for p_single, p_stacked in zip(single.parameters(), stacked.parameters()):
                p_single.copy_(p_stacked[c:c + 1])
        ref = torch.nn.Sequential(*[m for pair in zip(
            [torch.nn.Linear(3, 16), torch.nn.Linear(16, 8), torch.nn.Linear(8, 2)],
            [torch.nn.ReLU(), torch.nn.ReLU(), torch.nn.Identity()]) for m in pair]).double()
        with torch.no_grad():
            for layer, w, b in zip(ref[::2], single.net.weights, single.net.biases):
                layer.weight.copy_(w[0].T)
                layer.bias.copy_(b[0, 0])
        # float64 products of at most 16 terms: rounding ≤ 16 · 2^-53 · Σ|terms|, far below 1e-12 here
        assert torch.allclose(out[c], single(z[c]), rtol=0, atol=1e-12)
        assert torch.allclose(out[c], ref(z[c]), rtol=0, atol=1e-12)
    out[1].sum().backward()
    for p in stacked.parameters():
        assert p.grad[[0, 2, 3]].abs().max() == 0 and p.grad[1].abs().max() > 0


def test_losses_match_binary_cross_entropy():
    s_real, s_fake = torch.randn(50, dtype=torch.float64) * 3, torch.randn(40, dtype=torch.float64) * 3
    ref = (F.binary_cross_entropy_with_logits(s_real, torch.ones(50, dtype=torch.float64))
           + F.binary_cross_entropy_with_logits(s_fake, torch.zeros(40, dtype=torch.float64)))
    assert torch.allclose(discriminator_loss(s_real, s_fake), ref, rtol=1e-14, atol=0)
    assert torch.allclose(generator_loss(s_fake, "saturating"), torch.log1p(-torch.sigmoid(s_fake)).mean(),
                          rtol=1e-12, atol=0)
    assert torch.allclose(generator_loss(s_fake), -torch.log(torch.sigmoid(s_fake)).mean(), rtol=1e-12, atol=0)
    # per copy: (copies, N) → (copies,)
    stacked = discriminator_loss(torch.stack([s_real, s_real]), torch.stack([s_fake[:50 - 10], s_fake[:40]]))
    assert stacked.shape == (2,) and torch.allclose(stacked[1], ref, rtol=1e-14, atol=0)
    # no overflow for huge logits
    assert torch.isfinite(generator_loss(torch.tensor([-1e4, 1e4]), "saturating"))
    assert torch.isfinite(discriminator_loss(torch.tensor([-1e4]), torch.tensor([1e4])))


def test_saturating_gradient_vanishes_when_d_is_confident():
    s = torch.tensor([-10.0, -5.0, 0.0], dtype=torch.float64, requires_grad=True)
    for kind, expected in (("saturating", -torch.sigmoid(s)), ("non_saturating", -(1 - torch.sigmoid(s)))):
        (grad,) = torch.autograd.grad(generator_loss(s, kind) * 3, s)      # mean over 3 logits
        assert torch.allclose(grad, expected.detach(), rtol=1e-12, atol=0)


def test_ring_and_mode_coverage():
    centres = ring_centres(8, 2.0, dtype=torch.float64)
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0, dtype=torch.float64), atol=1e-15)
    data = ring_of_gaussians(4000, std=0.05, seed=3)
    assert torch.equal(data, ring_of_gaussians(4000, std=0.05, seed=3))
    score = mode_coverage(data, std=0.05, k=3.0)
    p = 1 - math.exp(-4.5)                          # Rayleigh: P(distance ≤ 3σ)
    assert score.covered == 8 and abs(score.quality - p) < 4 * math.sqrt(p * (1 - p) / 4000)
    assert score.counts.sum() == round(score.quality * 4000)
    one_mode = centres[:1].float().repeat(100, 1)
    collapsed = mode_coverage(one_mode)
    assert collapsed.covered == 1 and collapsed.quality == 1.0 and collapsed.counts[0] == 100
    far = mode_coverage(torch.zeros(10, 2))
    assert far.covered == 0 and far.quality == 0.0


def test_optimal_discriminator_and_value_on_a_grid():
    x = torch.linspace(-15, 15, 30_001, dtype=torch.float64)
    dx = (x[1] - x[0]).item()
    p = torch.exp(-x**2 / 2) / math.sqrt(2 * math.pi)
    q = torch.exp(-(x - 1) ** 2 / 8) / math.sqrt(8 * math.pi)
    d = optimal_discriminator(p, q)
    tol = 30_001 * 2**-53 * 10                      # Riemann sums of 30,001 terms, Σ|terms| ≤ 10
    assert abs(gan_value(p, q, dx) - (-math.log(4) + 2 * js_divergence(p, q, dx))) < tol
    assert abs(gan_value(p, q, dx, d) - gan_value(p, q, dx)) < tol
    # D* beats any other discriminator
    for other in (torch.full_like(x, 0.5), torch.sigmoid(-x), (d + 0.05).clamp(0, 1)):
        assert gan_value(p, q, dx, other) < gan_value(p, q, dx)
    assert abs(gan_value(p, p, dx) + math.log(4)) < tol and abs(js_divergence(p, p, dx)) < tol
    # JSD bounded by log 2; disjoint supports reach it
    narrow = torch.exp(-x**2 / (2 * 0.01)) / math.sqrt(2 * math.pi * 0.01)
    shifted = torch.exp(-(x - 10) ** 2 / (2 * 0.01)) / math.sqrt(2 * math.pi * 0.01)
    assert abs(js_divergence(narrow, shifted, dx) - math.log(2)) < tol and abs(gan_value(narrow, shifted, dx)) < tol


def test_train_gan_records_and_learns_the_ring():
    data = ring_of_gaussians(2000, std=0.05, seed=0)
    torch.manual_seed(0)
    g, d = Generator(2, 2, (32, 32), copies=2), Discriminator(2, (32, 32), copies=2)
    run = train_gan(g, d, data, steps=300, loss=["non_saturating", "saturating"], lr=2e-3, record_every=100,
                    grid=torch.zeros(5, 2), seed=0)
    assert run.d_loss.shape == run.g_grad.shape == (300, 2) and run.steps == [0, 100, 200, 300]
    assert run.samples[0].shape == (2, 1000, 2) and run.d_grid[0].shape == (2, 5)
    assert torch.isfinite(run.d_loss).all() and (run.g_grad > 0).all()
    # the generated cloud moves from the origin towards the ring (radius 2)
    radius = [s.norm(dim=2).mean().item() for s in run.samples]
    assert radius[0] < 1 and radius[-1] > 1.2


def test_train_gan_average_and_determinism():
    data = ring_of_gaussians(500, seed=0)

    def trained(average):
        torch.manual_seed(0)
        g, d = Generator(2, 2, (8,)), Discriminator(2, (8,))
        train_gan(g, d, data, steps=20, average=average, seed=0)
        return torch.cat([p.detach().flatten() for p in g.parameters()])

    assert torch.equal(trained(0.0), trained(0.0))
    assert not torch.equal(trained(0.0), trained(0.9))


def test_judge_samples_counts_confident_classes():
    class Fixed(torch.nn.Module):
        def forward(self, x):
            return x                                    # the samples are the logits

    logits = torch.full((20, 10), -10.0)
    logits[:10, 3] = 10.0                               # 10 confident 3s
    logits[10:15, 7] = logits[10:15, 8] = 5.0          # 5 unsure: ½ for a 7, ½ for an 8
    score = judge_samples(Fixed(), logits)
    assert score.quality == 0.5 and score.counts[3] == 10 and score.counts.sum() == 10 and score.covered == 1


@pytest.mark.parametrize("call, match", [
    (lambda: Generator(0, 2), "noise_dim"),
    (lambda: Generator(2, 2, ()), "hidden"),
    (lambda: Generator(2, 2, output="tanh"), "output"),
    (lambda: Generator(2, 2)(torch.randn(3, 5)), "z"),
    (lambda: Discriminator(2, copies=2)(torch.randn(3, 4, 2)), "x"),
    (lambda: generator_loss(torch.randn(3), "wgan"), "kind"),
    (lambda: discriminator_loss(torch.randn(2, 3), torch.randn(3)), "fake_logits"),
    (lambda: mode_coverage(torch.randn(5, 3)), "samples"),
    (lambda: train_gan(Generator(), Discriminator(copies=2), torch.randn(5, 2), steps=1), "discriminator"),
    (lambda: train_gan(Generator(), Discriminator(), torch.randn(5, 3), steps=1), "data"),
    (lambda: train_gan(Generator(), Discriminator(), torch.randn(5, 2), steps=1, loss=["saturating"] * 2), "loss"),
    (lambda: train_gan(Generator(), Discriminator(), torch.randn(5, 2), steps=1, average=1.0), "average"),
    (lambda: optimal_discriminator(torch.zeros(3), torch.zeros(3)), "p_data"),
    (lambda: gan_value(torch.ones(3), torch.ones(3), 0.1, torch.full((3,), 2.0)), "discriminator"),
])
def test_bad_inputs_name_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
