"""Barlow Twins and the linear probe (lbdl_book.models.ssl): the loss against a direct
elementwise implementation (values and gradients), its invariances, the distortions, the
encoder's parameter count, the probe, errors.

Tolerances. The reference computes every mean, variance and entry of C with explicit
Python loops in float64. Our C_ij is a dot product of N normalised entries; each ẑ comes
from a mean and a variance over N terms, a square root and a division, so it is off by at
most γ_{2N+3}·(|z| + max|z|)/std relatively to its size, and C_ij by at most
γ_{3N+6}·(1/N)·Σ_n â¹_ni â²_nj, where â = (|z| + max|z|)/std bounds |ẑ| and its error
propagates linearly. The loss is a sum of D² terms, each a square of a quantity carried
with that error: |ΔL| ≤ Σ_ij 2·w_ij·|C_ij − δ_ij|·ΔC_ij + γ_{D²}·Σ_ij w_ij (C_ij − δ_ij)²,
w = 1 on the diagonal and λ off it. Gradients are compared in float64 with the same
first-order bound, multiplied by the number of terms a gradient entry sums (N·D).
"""

import math

import pytest
import torch

from _bounds import gamma
from lbdl_book.data.digits import load_digits
from lbdl_book.models.ssl import (BarlowTwins, DigitEncoder, DigitJitter, barlow_twins_loss, cross_correlation,
                                  features, few_labels, jitter, linear_probe)


def reference_loss(z1, z2, lambd, eps):
    """The loss of Zbontar et al. written entry by entry, with loops (float64)."""
    n, d = z1.shape

    def normalised(z):
        columns = []
        for i in range(d):
            mean = sum(z[k, i] for k in range(n)) / n
            var = sum((z[k, i] - mean) ** 2 for k in range(n)) / n
            columns.append([(z[k, i] - mean) / torch.sqrt(var + eps) for k in range(n)])
        return columns                                           # columns[i][k] = ẑ_ki

    a, b = normalised(z1), normalised(z2)
    loss = 0.0
    c = [[sum(a[i][k] * b[j][k] for k in range(n)) / n for j in range(d)] for i in range(d)]
    for i in range(d):
        for j in range(d):
            loss = loss + ((1 - c[i][j]) ** 2 if i == j else lambd * c[i][j] ** 2)
    return loss, c


def error_bounds(z1, z2, lambd, dtype):
    """(bound on each C_ij, bound on L): see the module docstring."""
    n, d = z1.shape

    def magnitude(z):
        z = z.double()
        return (z.abs() + z.abs().max(0).values) / z.std(0, unbiased=False)

    a, b = magnitude(z1), magnitude(z2)
    bound_c = gamma(3 * n + 6, dtype) * (a.T @ b) / n
    c = cross_correlation(z1.double(), z2.double(), eps=0.0)
    residual = c - torch.eye(d, dtype=torch.float64)
    w = torch.full((d, d), lambd, dtype=torch.float64).fill_diagonal_(1.0)
    bound_loss = (2 * w * residual.abs() * bound_c).sum() + gamma(d * d, dtype) * (w * residual ** 2).sum()
    return bound_c, bound_loss.item()


def embeddings(n=16, d=5, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    z1 = torch.randn(n, d, generator=g, dtype=torch.float64) * 3 + 1
    z2 = z1 + 0.5 * torch.randn(n, d, generator=g, dtype=torch.float64)
    return z1.to(dtype), z2.to(dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_loss_equals_elementwise_reference(dtype):
    z1, z2 = embeddings(dtype=dtype)
    lambd = 0.3
    expected, c_expected = reference_loss(z1.double(), z2.double(), lambd, 0.0)
    c = cross_correlation(z1, z2, eps=0.0)
    bound_c, bound_loss = error_bounds(z1, z2, lambd, dtype)
    bound_c = 2 * bound_c + gamma(3 * len(z1) + 6, torch.float64)    # two implementations, each within the bound
    assert ((c.double() - torch.stack([torch.stack(row) for row in c_expected])).abs() <= bound_c).all()
    loss = barlow_twins_loss(z1, z2, lambd=lambd, eps=0.0)
    assert abs(loss.item() - expected.item()) <= 2 * bound_loss + 1e-300


def test_gradients_equal_elementwise_reference():
    z1, z2 = embeddings(n=10, d=4, seed=1, dtype=torch.float64)
    lambd = 0.2
    a1, a2 = z1.clone().requires_grad_(), z2.clone().requires_grad_()
    barlow_twins_loss(a1, a2, lambd=lambd, eps=1e-5).backward()
    b1, b2 = z1.clone().requires_grad_(), z2.clone().requires_grad_()
    reference_loss(b1, b2, lambd, 1e-5)[0].backward()
    _, bound_loss = error_bounds(z1, z2, lambd, torch.float64)
    n, d = z1.shape
    scale = max(1.0, 1 / z1.std(0).min().item(), 1 / z2.std(0).min().item())        # ∂ẑ/∂z = O(1/std)
    bound = 2 * n * d * bound_loss * scale + gamma(n * d, torch.float64) * max(a1.grad.abs().max(), a2.grad.abs().max())
    assert (a1.grad - b1.grad).abs().max() <= bound
    assert (a2.grad - b2.grad).abs().max() <= bound


def test_zero_for_identical_decorrelated_views():
    # Columns 1-7 of a Sylvester-Hadamard matrix of order 8: entries ±1, mean 0, variance 1, orthogonal. Every
    # operation is exact in floating point, so C is the identity and the loss is exactly 0.
    h = torch.tensor([[1.0]])
    for _ in range(3):
        h = torch.cat([torch.cat([h, h], 1), torch.cat([h, -h], 1)], 0)
    z = h[:, 1:]
    assert torch.equal(cross_correlation(z, z, eps=0.0), torch.eye(7))
    assert barlow_twins_loss(z, z, lambd=1.0, eps=0.0).item() == 0.0
    # A redundant column (a copy of column 0) costs 2λ exactly; a sign flip of one view costs 4 on the diagonal.
    redundant = torch.cat([z, z[:, :1]], 1)
    assert barlow_twins_loss(redundant, redundant, lambd=0.25, eps=0.0).item() == 0.5
    flipped = z.clone()
    flipped[:, 0] = -flipped[:, 0]
    assert barlow_twins_loss(z, flipped, lambd=1.0, eps=0.0).item() == 4.0


def test_invariances():
    z1, z2 = embeddings(n=32, d=6, seed=2, dtype=torch.float64)
    lambd = 0.5
    loss = barlow_twins_loss(z1, z2, lambd=lambd, eps=0.0).item()
    _, bound = error_bounds(z1, z2, lambd, torch.float64)
    g = torch.Generator().manual_seed(0)
    samples, dims = torch.randperm(32, generator=g), torch.randperm(6, generator=g)
    scale, shift = torch.rand(6, generator=g, dtype=torch.float64) + 0.5, torch.randn(6, generator=g, dtype=torch.float64)
    variants = {
        "permuted batch": (z1[samples], z2[samples]),                       # the same permutation of both views
        "permuted dimensions": (z1[:, dims], z2[:, dims]),
        "affine per column": (z1 * scale + shift, z2 * 2 - 1),              # standardisation removes it
        "views swapped": (z2, z1),                                         # C becomes Cᵀ
    }
    for name, (a, b) in variants.items():
        _, other = error_bounds(a, b, lambd, torch.float64)
        assert abs(barlow_twins_loss(a, b, lambd=lambd, eps=0.0).item() - loss) <= 2 * (bound + other), name
    # Pairing the views wrongly (different permutations) breaks the agreement.
    assert barlow_twins_loss(z1, z2[samples], lambd=lambd, eps=0.0).item() > loss + 1


def test_jitter():
    x = load_digits().x_train[:6]
    same = jitter(x, rotation=0.0, scale=0.0, shift=0.0, noise=0.0)
    # The identity grid samples pixel centres: bilinear weights 1 and 0 up to the rounding of the grid (a few u).
    assert (same - x).abs().max() <= 16 * 2**-24
    a = jitter(x, generator=torch.Generator().manual_seed(0))
    b = jitter(x, generator=torch.Generator().manual_seed(0))
    assert torch.equal(a, b) and a.shape == x.shape and not torch.equal(a, x)
    # As a layer: in evaluation mode, the images themselves.
    layer = DigitJitter(rotation=0.0, scale=0.0, shift=0.0, noise=0.0)
    layer.eval()
    assert torch.equal(layer(x), x)
    with pytest.raises(ValueError, match="scale"):
        jitter(x, scale=1.5)


def test_encoder_and_twins_shapes():
    encoder = DigitEncoder(hidden=256, features=128)
    assert sum(p.numel() for p in encoder.parameters()) == 64 * 256 + 256 + 2 * 256 + 256 * 128 + 128 + 2 * 128
    twins = BarlowTwins(encoder, (256, 256))
    x = load_digits().x_train[:20]
    z = twins(x)
    assert z.shape == (2, 20, 256) and twins.embedding_dim == 256
    assert features(encoder, x).shape == (20, 128)
    with pytest.raises(ValueError, match="images"):
        encoder(torch.zeros(2, 1, 16, 16))


def test_few_labels_and_probe():
    y = torch.arange(10).repeat(30)
    chosen = few_labels(y, 5, seed=3)
    assert len(chosen) == 50 and torch.equal(torch.bincount(y[chosen]), torch.full((10,), 5))
    assert len(set(chosen.tolist())) == 50
    with pytest.raises(ValueError, match="per_class"):
        few_labels(y, 31)
    # Linearly separable classes: one feature per class, plus noise far below the gaps.
    g = torch.Generator().manual_seed(0)
    x = torch.eye(10)[y] * 5 + 0.1 * torch.randn(300, 10, generator=g)
    assert linear_probe(x[:100], y[:100], x[100:], y[100:]) == 1.0
    # A constant feature is allowed (it is not standardised) and changes nothing.
    x_const = torch.cat([x, torch.ones(300, 1)], 1)
    assert linear_probe(x_const[:100], y[:100], x_const[100:], y[100:]) == 1.0


def test_probe_is_chance_on_noise():
    # Features independent of the labels: the test accuracy is a binomial proportion around 1/10;
    # 5 standard errors of n = 2000 test samples.
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(2100, 8, generator=g), torch.randint(10, (2100,), generator=g)
    accuracy = linear_probe(x[:100], y[:100], x[100:], y[100:])
    assert abs(accuracy - 0.1) < 5 * math.sqrt(0.1 * 0.9 / 2000)
