"""The linear recurrence x_t = a_t x_{t−1} + b_t: the loop and the log-depth scan agree within
the rounding bound of a product of t factors and a sum of t terms (values and gradients),
hand-made cases, and the selective state-space layer built on the scan."""

from __future__ import annotations

import pytest
import torch

from _bounds import assert_within, unit_roundoff
from lbdl_book.models.ssm import (SelectiveSSM, linear_recurrence_loop, linear_recurrence_scan, scan_rounding_bound,
                                  scan_steps)


def coefficients(shape, dtype, signed=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(shape, generator=g, dtype=dtype)
    a = 2 * a - 1 if signed else 0.5 + 0.5 * a
    return a, torch.randn(shape, generator=g, dtype=dtype)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(2, 1, 3), (3, 7, 2), (2, 64, 5), (1, 1000), (2, 33, 2, 3)])
@pytest.mark.parametrize("signed", [False, True])
def test_scan_equals_loop(dtype, shape, signed):
    a, b = coefficients(shape, dtype, signed)
    x0 = torch.randn(shape[:1] + shape[2:], dtype=dtype)
    for start in (None, x0):
        loop, scan = linear_recurrence_loop(a, b, start), linear_recurrence_scan(a, b, start)
        assert_within(scan, loop, scan_rounding_bound(a, b, start))


def test_hand_made_cases():
    # a = 1: prefix sums; b = 0 with x0: prefix products; T = 1: x_0 = a_0 x0 + b_0
    b = torch.arange(1.0, 9.0, dtype=torch.float64)[None]
    assert torch.equal(linear_recurrence_scan(torch.ones_like(b), b), torch.cumsum(b, 1))
    a = torch.tensor([[2.0, 3.0, 0.5, 4.0]], dtype=torch.float64)
    x0 = torch.tensor([1.5], dtype=torch.float64)
    assert torch.equal(linear_recurrence_scan(a, torch.zeros_like(a), x0), 1.5 * torch.cumprod(a, 1))
    one = linear_recurrence_scan(torch.tensor([[0.5]]), torch.tensor([[1.0]]), torch.tensor([4.0]))
    assert torch.equal(one, torch.tensor([[3.0]]))
    assert [scan_steps(t) for t in (1, 2, 3, 4, 5, 1024, 1025)] == [0, 1, 2, 2, 3, 10, 11]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gradients_agree(dtype):
    """∂/∂b of Σ_t w_t·x_t is the same recurrence run backwards, g_s = w_s + a_{s+1} g_{s+1}:
    its bound is scan_rounding_bound on the reversed sequences. ∂/∂a_t = g_t·x_{t−1}: the
    errors of g and of x carried through the product, plus its own rounding."""
    a, b = coefficients((3, 50, 4), dtype)
    w = torch.randn(a.shape, dtype=dtype)
    grads = []
    for fn in (linear_recurrence_loop, linear_recurrence_scan):
        ai, bi = a.clone().requires_grad_(), b.clone().requires_grad_()
        (fn(ai, bi) * w).sum().backward()
        grads.append((ai.grad, bi.grad))
    shifted = torch.cat([a[:, 1:], torch.zeros_like(a[:, :1])], 1)         # a_{s+1}, 0 after the end
    e_g = scan_rounding_bound(shifted.flip(1), w.flip(1)).flip(1)
    assert_within(grads[1][1], grads[0][1], e_g, "b grad")
    x = linear_recurrence_loop(a.double(), b.double())
    g = linear_recurrence_loop(shifted.flip(1).double(), w.flip(1).double()).flip(1)
    e_x = scan_rounding_bound(a, b).double()
    previous = lambda v: torch.cat([torch.zeros_like(v[:, :1]), v[:, :-1]], 1)
    u = unit_roundoff(dtype)
    e_a = e_g.double() * previous(x).abs() + g.abs() * previous(e_x) + 2 * u * (g * previous(x)).abs()
    assert_within(grads[1][0], grads[0][0], e_a, "a grad")


def test_bound_refuses_growing_recurrences():
    with pytest.raises(ValueError, match="a must"):
        scan_rounding_bound(torch.full((1, 3), 1.5), torch.ones(1, 3))


def test_bad_shapes():
    with pytest.raises(ValueError, match="b must"):
        linear_recurrence_scan(torch.ones(2, 3), torch.ones(2, 4))
    with pytest.raises(ValueError, match="a must"):
        linear_recurrence_loop(torch.ones(2, 0), torch.ones(2, 0))
    with pytest.raises(ValueError, match="x0 must"):
        linear_recurrence_scan(torch.ones(2, 3, 4), torch.ones(2, 3, 4), torch.ones(2, 3))
    with pytest.raises(TypeError, match="a must"):
        linear_recurrence_loop(torch.ones(2, 3, dtype=torch.long), torch.ones(2, 3))


def test_selective_ssm():
    torch.manual_seed(0)
    layer = SelectiveSSM(5, 8).double()
    x = torch.randn(3, 20, 5, dtype=torch.float64)
    a, b = layer.coefficients(x)
    assert ((a > 0) & (a < 1)).all() and a.shape == b.shape == (3, 20, 8)
    # Mamba's initial step sizes: Δ = softplus(b_Δ) log-uniform in [0.001, 0.1]
    step = torch.nn.functional.softplus(layer.step_proj.bias)
    assert step.min() >= 1e-3 * (1 - 1e-12) and step.max() <= 1e-1 * (1 + 1e-12)
    assert sum(p.numel() for p in layer.parameters()) == 2 * (5 * 8 + 8) + 8
    h = layer(x)
    layer.use_scan = False
    assert_within(h, layer(x), scan_rounding_bound(a, b))
    # a step Δ = softplus(−1000), which is 0 in float64 (e^−1000 underflows), keeps the state: a = 1, b = 0
    with torch.no_grad():
        layer.step_proj.weight.zero_()
        layer.step_proj.bias.fill_(-1e3)
    a, b = layer.coefficients(x)
    assert torch.equal(a, torch.ones_like(a)) and torch.equal(b, torch.zeros_like(b))
    with pytest.raises(ValueError, match="x must"):
        layer(torch.randn(3, 20, 4, dtype=torch.float64))


def test_partial_scan_composes_the_last_maps():
    """After k steps, position t composes the maps s with t − 2^k < s ≤ t: with a = 1 and b
    the one-hot vector of position s, the partial scan is 1 exactly there."""
    length = 13
    for k in range(6):
        coverage = linear_recurrence_scan(torch.ones(length, length), torch.eye(length), steps=k)   # [s, t]
        s, t = torch.meshgrid(torch.arange(length), torch.arange(length), indexing="ij")
        assert torch.equal(coverage, ((s <= t) & (s > t - 2**k)).float()), k
    a, b = coefficients((2, 13, 3), torch.float64)
    assert torch.equal(linear_recurrence_scan(a, b, steps=4), linear_recurrence_scan(a, b))
    with pytest.raises(ValueError, match="steps"):
        linear_recurrence_scan(a, b, steps=-1)
