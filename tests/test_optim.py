"""The optimisers of §3.3 against torch.optim, and the helpers of the section.

Tolerances (tests/_bounds.py). Our Adam and PyTorch's compute the same formulas in a
different order (PyTorch divides lr by 1 − β₁ᵗ and √v by √(1 − β₂ᵗ), updates m with lerp
and w with addcdiv; we form m̂ and v̂ first), so they agree up to rounding, not bit for
bit. `_bounds.AdamBound` follows the difference step by step: m, v, the update Δ = lr·m̂/(√v̂ + ε)
and w each round a few times on each side (γ₃ … γ₆ of their magnitudes, u = 2⁻²⁴ in
float32, 2⁻⁵³ in float64), a difference in m or v moves Δ by its derivative, and a
difference in w moves the gradient by the weight decay, or, on a quadratic, by the
Hessian. Gradient descent rounds lr·g and the subtraction. Where a network's gradient
depends on its weights, both sides start each step from the same weights.
"""

import importlib
import math

import pytest
import torch
from torch import nn

from _bounds import AdamBound, assert_within, gamma, unit_roundoff
from lbdl_book import optim
from lbdl_book.optim import (Adam, GradientDescent, Quadratic, SGDRun, descend, minibatch_sgd, minibatches,
                             per_sample_gradients)

DTYPES = [torch.float32, torch.float64]
SHAPES = [(), (5,), (3, 4), (2, 3, 4)]


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def twin_parameters(shapes, dtype, seed=0):
    """Two lists of identical leaf tensors of the given shapes."""
    g = generator(seed)
    ours = [torch.randn(shape, generator=g, dtype=dtype).requires_grad_(True) for shape in shapes]
    theirs = [p.detach().clone().requires_grad_(True) for p in ours]
    return ours, theirs


def feed(params_a, params_b, g, skip=()):
    """Give both parameter lists the same random gradients (None at positions in ``skip``)."""
    for i, (a, b) in enumerate(zip(params_a, params_b)):
        if i in skip:
            a.grad = b.grad = None
        else:
            grad = torch.randn(a.shape, generator=g, dtype=a.dtype)
            a.grad, b.grad = grad.clone(), grad.clone()


# --- gradient descent (Eq. 3.1) --------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lr", [1e-3, 0.1])
def test_gradient_descent_matches_torch_sgd(dtype, lr):
    ours, theirs = twin_parameters(SHAPES, dtype)
    mine, reference = GradientDescent(ours, lr=lr), torch.optim.SGD(theirs, lr=lr)
    g = generator(1)
    u = unit_roundoff(dtype)
    # w − lr·g (ours) vs w + (−lr)·g (torch's add_ with alpha, perhaps fused): each side
    # rounds lr·g and the sum, u·(lr|g| + |w_new|); the same gradients are fed to both
    bounds = [torch.zeros(p.shape, dtype=torch.float64) for p in ours]
    for step in range(20):
        feed(ours, theirs, g, skip=(1,) if step % 3 == 0 else ())   # a tensor without gradient is left alone
        before = ours[1].detach().clone()
        mine.step()
        reference.step()
        if step % 3 == 0:
            assert torch.equal(ours[1], before)
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert a.dtype == dtype and a.shape == b.shape
            if b.grad is not None:
                bounds[i] = bounds[i] + 2 * u * (lr * b.grad.double().abs() + b.detach().double().abs())
            assert_within(a, b, bounds[i])


def test_gradient_descent_is_eq_3_1_and_zero_grad_clears():
    w = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt = GradientDescent([w], lr=0.25)
    (w**2).sum().backward()                       # gradient 2w
    opt.step()
    assert torch.equal(w.detach(), torch.tensor([0.5, -1.0], dtype=torch.float64))   # w − 0.25·2w = w/2
    opt.zero_grad()
    assert w.grad is None
    opt.step()                                    # no gradient: nothing happens
    assert torch.equal(w.detach(), torch.tensor([0.5, -1.0], dtype=torch.float64))


# --- Adam ----------------------------------------------------------------------------------

ADAM_SETTINGS = [dict(lr=1e-3), dict(lr=0.1), dict(lr=0.05, betas=(0.8, 0.99)), dict(lr=0.05, eps=1e-3),
                 dict(lr=0.05, weight_decay=0.1), dict(lr=0.01, betas=(0.0, 0.5), weight_decay=1.0)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("settings", ADAM_SETTINGS, ids=lambda s: ",".join(f"{k}={v}" for k, v in s.items()))
def test_adam_matches_torch_step_by_step(dtype, settings):
    ours, theirs = twin_parameters(SHAPES, dtype, seed=2)
    mine, reference = Adam(ours, **settings), torch.optim.Adam(theirs, **settings)
    g = generator(3)
    bounds = [AdamBound(p, **settings) for p in ours]
    for step in range(30):
        feed(ours, theirs, g)
        before = [b.detach().clone() for b in theirs]
        mine.step()
        reference.step()
        for i, (a, b) in enumerate(zip(ours, theirs)):
            state = reference.state[b]
            bound = bounds[i].step(step + 1, before[i], b.grad, state["exp_avg"], state["exp_avg_sq"], b)
            assert_within(a, b, bound.w)
            assert mine.t[i] == int(state["step"]) == step + 1
            assert_within(mine.m[i], state["exp_avg"], bound.m)
            assert_within(mine.v[i], state["exp_avg_sq"], bound.v)


@pytest.mark.parametrize("dtype", DTYPES)
def test_adam_skips_tensors_without_gradient_like_torch(dtype):
    """A tensor without gradient at some step neither moves nor advances its step count."""
    ours, theirs = twin_parameters([(4,), (2, 3)], dtype, seed=4)
    mine, reference = Adam(ours, lr=0.05), torch.optim.Adam(theirs, lr=0.05)
    g = generator(5)
    bounds = [AdamBound(p, lr=0.05) for p in ours]
    for step in range(12):
        feed(ours, theirs, g, skip=(1,) if step % 2 else ())
        before = [b.detach().clone() for b in theirs]
        mine.step()
        reference.step()
        for i, (a, b) in enumerate(zip(ours, theirs)):
            if b.grad is not None:
                state = reference.state[b]
                bounds[i].step(int(state["step"]), before[i], b.grad, state["exp_avg"], state["exp_avg_sq"], b)
            assert_within(a, b, bounds[i].w)
    assert mine.t == [12, 6] == [int(reference.state[p]["step"]) for p in theirs]


def test_adam_trains_a_network_like_torch():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    twin = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1)).double()
    twin.load_state_dict(net.state_dict())
    mine = Adam(net.parameters(), lr=0.01, weight_decay=1e-3)
    reference = torch.optim.Adam(twin.parameters(), lr=0.01, weight_decay=1e-3)
    g = generator(6)
    x = torch.randn(64, 4, generator=g, dtype=torch.float64)
    y = x[:, :1] * x[:, 1:2] + torch.sin(x[:, 2:3])
    losses = []
    # Each step starts both networks from our weights, so that their gradients are the same
    # numbers and the comparison measures the optimisers, not how two rounded training
    # runs drift apart; m and v are never reset, and their differences are carried along.
    bounds = [AdamBound(p, lr=0.01, weight_decay=1e-3) for p in net.parameters()]
    for step in range(200):
        twin.load_state_dict(net.state_dict())
        before = [p.detach().clone() for p in twin.parameters()]
        for bound in bounds:
            bound.w = torch.zeros_like(bound.w)
        for model, opt in ((net, mine), (twin, reference)):
            opt.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
        losses.append(loss.item())
        for p, q, w, bound in zip(net.parameters(), twin.parameters(), before, bounds):
            state = reference.state[q]
            bound.step(step + 1, w, q.grad, state["exp_avg"], state["exp_avg_sq"], q)
            assert_within(p, q, bound.w)
    assert losses[-1] < 0.25 * losses[0]


def test_adam_first_step_and_bias_correction():
    # With bias correction the first step is lr · g / (|g| + eps) ≈ lr · sign(g), whatever |g|.
    w = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    w.grad = torch.tensor([1e-4, -3.0, 250.0, -0.5], dtype=torch.float64)
    Adam([w], lr=0.01).step()
    g = w.grad
    # m, v, the bias corrections, the square root, the division and lr: a product of a dozen
    # roundings on each side (γ₁₂ relative), no cancellation
    f64 = torch.float64
    expected = -0.01 * g / (g.abs() + 1e-8)
    assert_within(w.detach(), expected, gamma(12, f64) * expected.abs())
    # |g| ≫ eps: lr · sign(g), up to the relative eps/|g|
    assert_within(w.detach()[1:], -0.01 * g.sign()[1:], 0.01 * (1e-8 / g[1:].abs() + gamma(12, f64)))
    # Without it the step is lr (1 − β₁) / √(1 − β₂) · sign(g): √10 ≈ 3.16 times too long for the defaults.
    v = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    v.grad = g.clone()
    Adam([v], lr=0.01, bias_correction=False).step()
    expected = -0.01 * 0.1 * g / (math.sqrt(0.001) * g.abs() + 1e-8)
    assert_within(v.detach(), expected, gamma(12, f64) * expected.abs())
    # the ratio is √10·(1 + eps/|g|)/(1 + eps/(√0.001·|g|)), within √10·eps/(√0.001·|g|) of √10
    ratio_error = 1e-8 / (math.sqrt(0.001) * g[1:].abs()) + gamma(26, f64)
    assert_within(v.detach()[1:], math.sqrt(10) * w.detach()[1:], math.sqrt(10) * w.detach()[1:].abs() * ratio_error)
    # After many steps of a constant gradient, the two versions agree (1 − βᵗ → 1).
    a = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    b = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opts = Adam([a], lr=1e-3, betas=(0.9, 0.9)), Adam([b], lr=1e-3, betas=(0.9, 0.9), bias_correction=False)
    for _ in range(400):
        for p, opt in zip((a, b), opts):
            p.grad = torch.ones(1, dtype=torch.float64)
            opt.step()
    assert abs((a - b).item()) < 0.05 * abs(a.item())


def test_adam_moves_every_coordinate_at_the_same_speed():
    """The ratio m̂/√v̂ is invariant to rescaling a coordinate's gradient: scales 1e-3 and 1e3
    give the same steps (up to eps), whereas gradient descent steps are 10⁶ times apart."""
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = Adam([w], lr=0.01, eps=0.0)
    g = generator(7)
    moved = 0.0
    for _ in range(10):
        noise = torch.randn(1, generator=g, dtype=torch.float64) + 0.5
        w.grad = torch.cat([1e-3 * noise, 1e3 * noise])
        before = w.detach().clone()
        opt.step()
        moved += (w.detach() - before).abs().max().item()
    # exactly equal steps in exact arithmetic; each coordinate's step rounds differently
    # (the scaled gradients, m, v, the update: γ₁₂ of it) and so does each update of w (u|w|)
    assert_within(w[0], w[1], 2 * gamma(12, torch.float64) * moved + 10 * 2 * unit_roundoff(torch.float64) * w[1].abs())


def test_optimisers_do_not_call_torch_optim(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("lbdl_book.optim must compute the update from the equations")

    for name in ("SGD", "Adam", "AdamW"):
        monkeypatch.setattr(torch.optim, name, forbidden)
    monkeypatch.setattr(importlib.import_module("torch.optim.adam"), "adam", forbidden)
    monkeypatch.setattr(importlib.import_module("torch.optim.sgd"), "sgd", forbidden)
    w = torch.ones(3, requires_grad=True)
    for opt in (GradientDescent([w], lr=0.1), Adam([w], lr=0.1, weight_decay=0.1)):
        w.grad = torch.ones(3)
        opt.step()
    descend(lambda v: (v**2).sum(), torch.ones(2), lr=0.1, steps=2, optimizer="adam")


def test_optimiser_errors():
    w = torch.zeros(3, requires_grad=True)
    with pytest.raises(TypeError, match="params must be an iterable of tensors .* got Tensor"):
        GradientDescent(w, lr=0.1)
    with pytest.raises(ValueError, match="params must contain at least one tensor"):
        Adam([], lr=0.1)
    with pytest.raises(TypeError, match="params must be tensors, got float at position 1"):
        GradientDescent([w, 1.0], lr=0.1)
    with pytest.raises(TypeError, match="params must be floating-point tensors, got torch.int64 at position 0"):
        GradientDescent([torch.zeros(3, dtype=torch.long)], lr=0.1)
    with pytest.raises(ValueError, match="params must be leaf tensors .* at position 0"):
        GradientDescent([w * 2], lr=0.1)
    with pytest.raises(ValueError, match=r"lr must be in \(0.0, inf\), got 0"):
        GradientDescent([w], lr=0)
    with pytest.raises(ValueError, match=r"lr must be in \(0.0, inf\), got -0.1"):
        Adam([w], lr=-0.1)
    with pytest.raises(TypeError, match="lr must be a real number, got str"):
        GradientDescent([w], lr="0.1")
    with pytest.raises(ValueError, match=r"betas\[1\] must be in \[0.0, 1.0\), got 1.0"):
        Adam([w], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match=r"betas\[0\] must be in \[0.0, 1.0\), got -0.1"):
        Adam([w], betas=(-0.1, 0.9))
    with pytest.raises(ValueError, match=r"betas must be a pair \(beta1, beta2\), got \(0.9,\)"):
        Adam([w], betas=(0.9,))
    with pytest.raises(ValueError, match=r"eps must be in \[0.0, inf\), got -1e-08"):
        Adam([w], eps=-1e-8)
    with pytest.raises(ValueError, match=r"weight_decay must be in \[0.0, inf\), got -0.1"):
        Adam([w], weight_decay=-0.1)
    with pytest.raises(TypeError, match="bias_correction must be a bool, got int"):
        Adam([w], bias_correction=1)


# --- descend and quadratics ---------------------------------------------------------------------

def test_descend_on_a_quadratic_is_the_closed_form():
    q = Quadratic.from_eigenvalues((4.0, 1.0), angle=30.0, minimum=torch.tensor([0.5, -1.0], dtype=torch.float64))
    w0 = torch.tensor([-2.5, 1.5], dtype=torch.float64)
    copy = w0.clone()
    path = descend(q, w0, lr=0.3, steps=15)
    assert path.shape == (16, 2) and path.dtype == torch.float64
    assert torch.equal(w0, copy) and torch.equal(path[0], w0)
    # Eq. (eq-gd-quadratic): w_n − w* = (I − ηH)^n (w_0 − w*), to float64 rounding
    contraction = torch.eye(2, dtype=torch.float64) - 0.3 * q.hessian
    expected = torch.stack([torch.linalg.matrix_power(contraction, n) @ (w0 - q.minimum) for n in range(16)]) + q.minimum
    # A step w − η H (w − w*) rounds by γ₄(η|H||w − w*| + |w|) and passes the earlier error
    # through |I − ηH|; the closed form's n products of 2 × 2 matrices (γ₂ each) and the
    # final product and sum: n·γ₃·|C|ⁿ|w₀ − w*| + u|w|
    f64, c_abs = torch.float64, contraction.abs()
    error, bounds = torch.zeros(2, dtype=f64), [torch.zeros(2, dtype=f64)]
    for n in range(1, 16):
        error = c_abs @ error + gamma(4, f64) * (0.3 * q.hessian.abs() @ (path[n - 1] - q.minimum).abs()
                                                 + path[n].abs())
        power = torch.linalg.matrix_power(c_abs, n) @ (w0 - q.minimum).abs()
        bounds.append(error + (n + 1) * gamma(3, f64) * power + gamma(1, f64) * expected[n].abs())
    assert_within(path, expected, torch.stack(bounds))
    assert descend(q, w0, lr=0.3, steps=0).shape == (1, 2)


def test_divergence_threshold_is_two_over_lambda_max():
    q = Quadratic.from_eigenvalues((5.0, 0.5), angle=-20.0)
    # H = R Λ Rᵀ rounds (γ₄ of |R|Λ|R|ᵀ, at most 2·5 per entry) and a symmetric eigensolver
    # is backward stable (γ_{4n²}‖H‖): by Weyl the eigenvalue moves by at most the sum
    shift = gamma(4, torch.float64) * 2 * 5.0 * 2 + gamma(16, torch.float64) * 5.0 * 2
    assert abs(q.lambda_max - 5.0) <= shift and abs(q.critical_lr - 0.4) <= 0.4 * (shift / 5.0 + gamma(1, torch.float64))
    w0 = torch.tensor([1.0, 1.0], dtype=torch.float64)
    below = descend(q, w0, lr=0.99 * q.critical_lr, steps=2000)
    above = descend(q, w0, lr=1.01 * q.critical_lr, steps=2000)
    assert below[-1].norm() < 1e-3 * w0.norm() and above[-1].norm() > 1e3 * w0.norm()


def test_descend_with_adam_and_options():
    q = Quadratic.from_eigenvalues((100.0, 1.0))
    w0 = torch.tensor([1.0, -2.0], dtype=torch.float64)
    path = descend(q, w0, lr=0.1, steps=300, optimizer="adam", betas=(0.9, 0.99))
    w = w0.clone().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=0.1, betas=(0.9, 0.99))
    # The two trajectories are coupled through the gradient H (w − w*): an error e_w of w
    # moves it by |H| e_w (plus its own rounding, γ₃·|H||w − w*|), which AdamBound carries
    # into m, v and the next steps (a first-order bound on how far they drift apart).
    bound = AdamBound(w, lr=0.1, betas=(0.9, 0.99))
    h_abs = q.hessian.abs()
    for t in range(1, 301):
        opt.zero_grad()
        q(w).backward()
        before = w.detach().clone()
        opt.step()
        state = opt.state[w]
        grad_error = h_abs @ bound.w + 2 * gamma(3, torch.float64) * h_abs @ (before - q.minimum).abs()
        bound.step(t, before, w.grad, state["exp_avg"], state["exp_avg_sq"], w, grad_error=grad_error)
    assert_within(path[-1], w.detach(), bound.w)
    assert q(path[-1]) < 1e-6 * q(w0)


def test_descend_errors():
    q = Quadratic(torch.eye(2))
    with pytest.raises(ValueError, match=r"optimizer must be one of \['adam', 'gd'\], got 'sgd'"):
        descend(q, torch.zeros(2), lr=0.1, steps=1, optimizer="sgd")
    with pytest.raises(ValueError, match=r"w0 must have shape \(D,\) with D >= 1, got \(1, 2\)"):
        descend(q, torch.zeros(1, 2), lr=0.1, steps=1)
    with pytest.raises(TypeError, match="w0 must be a floating-point tensor, got torch.int64"):
        descend(q, torch.zeros(2, dtype=torch.long), lr=0.1, steps=1)
    with pytest.raises(ValueError, match="steps must be an int >= 0, got -1"):
        descend(q, torch.zeros(2), lr=0.1, steps=-1)
    with pytest.raises(ValueError, match=r"loss must return a 0-d tensor, got torch.Size\(\[2\]\)"):
        descend(lambda w: w**2, torch.zeros(2), lr=0.1, steps=1)
    with pytest.raises(TypeError, match="loss must be a callable"):
        descend(None, torch.zeros(2), lr=0.1, steps=1)
    with pytest.raises(ValueError, match=r"lr must be in \(0.0, inf\)"):
        descend(q, torch.zeros(2), lr=0.0, steps=1)


@pytest.mark.parametrize("dtype", DTYPES)
def test_quadratic_value_gradient_and_batches(dtype):
    g = generator(8)
    a = torch.randn(4, 4, generator=g, dtype=torch.float64)
    q = Quadratic((a @ a.T + 0.5 * torch.eye(4, dtype=torch.float64)).to(dtype),
                  torch.randn(4, generator=g, dtype=torch.float64).to(dtype))
    w = torch.randn(3, 5, 4, generator=g, dtype=dtype, requires_grad=True)
    values = q(w)
    assert values.shape == (3, 5) and values.dtype == dtype
    delta = (w - q.minimum).detach()
    expected = 0.5 * torch.einsum("...i,ij,...j->...", delta, q.hessian, delta)
    # ½ δᵀHδ: the differences (u), a sum of 16 products of three factors: γ₂₀ of ½|δ|ᵀ|H||δ|;
    # the gradient H δ: γ₈ of |H||δ| (autograd through the quadratic form, or the product)
    h_abs, d_abs = q.hessian.abs().double(), delta.abs().double()
    assert_within(values, expected, 2 * gamma(20, dtype) * 0.5 * torch.einsum("...i,ij,...j->...", d_abs, h_abs, d_abs))
    (autograd,) = torch.autograd.grad(values.sum(), w)
    assert_within(q.gradient(w.detach()), autograd, 2 * gamma(8, dtype) * d_abs @ h_abs)
    assert q(q.minimum) == 0
    # a symmetric eigensolver in dtype against float64: backward stable, γ_{4n²}‖H‖ (Weyl),
    # plus rounding the float64 eigenvalues to dtype
    reference = torch.linalg.eigvalsh(q.hessian.double())
    assert_within(q.eigenvalues, reference.to(dtype),
                  gamma(4 * 16, dtype) * torch.linalg.matrix_norm(q.hessian.double())
                  + unit_roundoff(dtype) * reference.abs())


def test_quadratic_from_eigenvalues_rotates_the_axes():
    q = Quadratic.from_eigenvalues((9.0, 1.0), angle=90.0)
    # H = R Λ Rᵀ with R the rotation by fl(π/2): cos(fl(π/2)) ≈ 6e-17, not 0, and the
    # products and sums round (γ₄ of |R|Λ|R|ᵀ ≤ 9 + 1 per entry); a rotation off by θ moves
    # H by at most 2·9·|θ|, here |θ| ≤ u·π/2 + 2u (the angle and the cosine / sine)
    f64 = torch.float64
    moved = 2 * 9.0 * (unit_roundoff(f64) * math.pi / 2 + 2 * unit_roundoff(f64)) + gamma(4, f64) * 10.0
    assert_within(q.hessian, torch.diag(torch.tensor([1.0, 9.0], dtype=f64)), moved)
    r = Quadratic.from_eigenvalues((9.0, 1.0), angle=45.0)
    # Weyl: the eigenvalues move by at most ‖ΔH‖₂ (≤ 2 × the entry bound), plus the
    # eigensolver's backward error γ_{4n²}‖H‖
    shift = 2 * moved + gamma(16, f64) * 9.0 * 2
    assert_within(r.eigenvalues, torch.tensor([1.0, 9.0], dtype=f64), shift)
    top = torch.linalg.eigh(r.hessian).eigenvectors[:, -1]
    # Davis–Kahan: the eigenvector turns by at most ‖ΔH‖/gap = shift / 8 (radians), so its
    # dot product with (1, 1) (norm √2) moves by at most √2 times that, plus its rounding
    assert abs(abs(top @ torch.tensor([1.0, 1.0], dtype=f64)) - math.sqrt(2)) <= \
        math.sqrt(2) * (shift / 8 + gamma(3, f64))


def test_quadratic_errors():
    with pytest.raises(ValueError, match="hessian must be symmetric"):
        Quadratic(torch.tensor([[1.0, 2.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="hessian must be positive definite, got smallest eigenvalue -1"):
        Quadratic(torch.diag(torch.tensor([-1.0, 1.0])))
    with pytest.raises(ValueError, match=r"hessian must have shape \(D, D\) with D >= 1, got \(2, 3\)"):
        Quadratic(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="hessian must be a floating-point torch.Tensor"):
        Quadratic(torch.eye(2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"minimum must have shape \(2,\) to match hessian, got \(3,\)"):
        Quadratic(torch.eye(2), torch.zeros(3))
    with pytest.raises(ValueError, match=r"w must have shape \(\.\.\., 2\), got \(3,\)"):
        Quadratic(torch.eye(2))(torch.zeros(3))
    with pytest.raises(ValueError, match=r"eigenvalues\[1\] must be in \(0.0, inf\), got 0"):
        Quadratic.from_eigenvalues((1.0, 0))
    with pytest.raises(ValueError, match=r"eigenvalues must be a pair"):
        Quadratic.from_eigenvalues((1.0, 2.0, 3.0))


# --- mini-batch SGD (Eq. 3.2) -------------------------------------------------------------------

def regression(n=60, d=3, seed=9, noise=0.1):
    g = generator(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    return x, x @ torch.arange(1.0, d + 1, dtype=torch.float64) + noise * torch.randn(n, generator=g, dtype=torch.float64)


def mse(w, x, y):
    return ((x @ w - y) ** 2).mean()


def test_minibatches_partition_the_samples():
    batches = minibatches(10, 4, generator=generator(0))
    assert [len(b) for b in batches] == [4, 4, 2]
    assert torch.equal(torch.cat(batches).sort().values, torch.arange(10))
    again = minibatches(10, 4, generator=generator(0))
    assert all(torch.equal(a, b) for a, b in zip(batches, again))
    assert not torch.equal(torch.cat(batches), torch.cat(minibatches(10, 4, generator=generator(1))))
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        minibatches(10, 0)
    with pytest.raises(ValueError, match="n must be an int >= 1, got 0"):
        minibatches(0, 2)


def test_per_sample_gradients_and_eq_3_2():
    x, y = regression()
    w = torch.tensor([0.3, -0.2, 1.0], dtype=torch.float64, requires_grad=True)
    rows = per_sample_gradients(mse, w, x, y)
    assert rows.shape == (60, 3) and w.grad is None
    # closed form: ∇ℓ_n = 2 (x_n·w − y_n) x_n: a dot product of 3, a difference, two
    # products, on each side: γ₆ of 2(|x_n||w| + |y_n|)|x_n|
    f64, wd = torch.float64, w.detach()
    magnitude = 2 * (x.abs() @ wd.abs() + y.abs())[:, None] * x.abs()
    assert_within(rows, 2 * (x @ wd - y)[:, None] * x, 2 * gamma(6, f64) * magnitude)
    (full,) = torch.autograd.grad(mse(w, x, y), w)
    # means of the 60 rows (in one sum, or in 4 batch means then their mean): γ_{60+8} of the
    # mean magnitude, on each side
    mean_bound = 2 * gamma(60 + 8, f64) * magnitude.mean(0)
    assert_within(rows.mean(0), full, mean_bound)          # Eq. 3.2
    # the mini-batch means of one epoch (equal sizes) average to the full gradient exactly
    batches = minibatches(60, 15, generator=generator(2))
    assert_within(torch.stack([rows[b].mean(0) for b in batches]).mean(0), full, mean_bound)
    # a loss that is not linear in the per-sample terms: logistic regression; σ(x·w) moves by
    # at most ¼ of the dot product's error (γ₃) and rounds a few times itself (8u), then the
    # difference and the product: γ₃ of |σ − t||x|
    labels = (y > 0).double()
    logistic = lambda w, x, t: nn.functional.binary_cross_entropy_with_logits(x @ w, t)   # noqa: E731
    expected = (torch.sigmoid(x @ wd) - labels)[:, None] * x
    sigma_error = 0.25 * gamma(3, f64) * (x.abs() @ wd.abs()) + 8 * unit_roundoff(f64)
    assert_within(per_sample_gradients(logistic, w, x, labels), expected,
                  2 * (sigma_error[:, None] * x.abs() + gamma(3, f64) * expected.abs()))
    with pytest.raises(ValueError, match="the tensors of data must have the same length N, got \\[60, 59\\]"):
        per_sample_gradients(mse, w, x, y[:-1])
    with pytest.raises(ValueError, match="data must be one or more tensors"):
        per_sample_gradients(mse, w)


def test_minibatch_gradients_are_unbiased_with_the_predicted_variance():
    x, y = regression(n=200, noise=1.0)
    w = torch.zeros(3, dtype=torch.float64)
    rows = per_sample_gradients(mse, w, x, y)
    full = rows.mean(0)
    sigma2 = ((rows - full) ** 2).sum(1).mean()
    g = generator(3)
    b, k = 8, 4000
    errors = torch.stack([rows[torch.randperm(200, generator=g)[:b]].mean(0) - full for _ in range(k)])
    predicted = sigma2 / b * (200 - b) / 199
    squared = (errors**2).sum(1)
    mse_measured = squared.mean()
    # the mean of k draws of the squared error: within 5 standard errors of its expectation
    assert abs(mse_measured - predicted) < 5 * squared.std() / math.sqrt(k)
    # unbiased: the mean error is within 4 standard errors of 0 in every coordinate
    standard_error = errors.std(0) / math.sqrt(k)
    assert (errors.mean(0).abs() < 4 * standard_error).all()


def test_full_batch_sgd_is_gradient_descent():
    x, y = regression()
    w0 = torch.zeros(3, dtype=torch.float64)
    run = minibatch_sgd(mse, w0, (x, y), lr=0.1, batch_size=60, budget=60 * 12, record_every=60)
    assert isinstance(run, SGDRun)
    assert torch.equal(run.samples, torch.arange(13) * 60)
    path = descend(lambda w: mse(w, x, y), w0, lr=0.1, steps=12)
    # same steps, summed in another order: each step's gradient (2/N)Xᵀ(Xw − y) rounds by
    # γ_{N+6} of (2/N)|X|ᵀ(|X||w| + |y|), the update by u|w| more, and an earlier error
    # passes through |I − ηH|, H = (2/N)XᵀX
    f64, n = torch.float64, len(x)
    propagate = (torch.eye(3, dtype=f64) - 0.1 * 2 / n * x.T @ x).abs()
    error, bounds = torch.zeros(3, dtype=f64), [torch.zeros(3, dtype=f64)]
    for step in range(1, 13):
        grad_size = 2 / n * x.abs().T @ (x.abs() @ path[step - 1].abs() + y.abs())
        error = propagate @ error + 2 * (0.1 * gamma(n + 6, f64) * grad_size + unit_roundoff(f64) * path[step].abs())
        bounds.append(error)
    assert_within(run.weights, path, torch.stack(bounds))


def test_minibatch_sgd_counts_per_sample_gradients_and_converges():
    x, y = regression(n=50, noise=0.0)                   # the exact solution interpolates every sample
    run = minibatch_sgd(mse, torch.zeros(3, dtype=torch.float64), (x, y), lr=0.1, batch_size=8,
                        budget=50 * 40, record_every=100)
    # batches of 8, 8, ..., 8, 2 per epoch; a record after the first step that crosses each multiple of 100
    assert run.samples[0] == 0 and run.samples[-1] == 2000 and run.weights.shape == (len(run.samples), 3)
    assert ((run.samples[1:] // 100) > (run.samples[:-1] // 100)).all()
    assert (run.samples[1:-1] - torch.arange(1, len(run.samples) - 1) * 100).abs().max() < 8
    assert torch.allclose(run.weights[-1], torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64), atol=1e-6)
    same = minibatch_sgd(mse, torch.zeros(3, dtype=torch.float64), (x, y), lr=0.1, batch_size=8, budget=2000,
                         record_every=100)
    other = minibatch_sgd(mse, torch.zeros(3, dtype=torch.float64), (x, y), lr=0.1, batch_size=8, budget=2000,
                          record_every=100, seed=1)
    assert torch.equal(run.weights, same.weights) and not torch.equal(run.weights[1], other.weights[1])


def test_minibatch_sgd_errors():
    x, y = regression()
    w0 = torch.zeros(3, dtype=torch.float64)
    with pytest.raises(ValueError, match="batch_size must be at most N=60, got 61"):
        minibatch_sgd(mse, w0, (x, y), lr=0.1, batch_size=61, budget=10, record_every=1)
    with pytest.raises(ValueError, match="budget must be an int >= 1, got 0"):
        minibatch_sgd(mse, w0, (x, y), lr=0.1, batch_size=6, budget=0, record_every=1)
    with pytest.raises(TypeError, match="data must be a tuple of tensors"):
        minibatch_sgd(mse, w0, [x, y], lr=0.1, batch_size=6, budget=10, record_every=1)
    with pytest.raises(ValueError, match=r"the tensors of data must have the same length N, got \[60, 59\]"):
        minibatch_sgd(mse, w0, (x, y[:-1]), lr=0.1, batch_size=6, budget=10, record_every=1)
    with pytest.raises(ValueError, match="record_every must be an int >= 1, got 0"):
        minibatch_sgd(mse, w0, (x, y), lr=0.1, batch_size=6, budget=10, record_every=0)


def test_module_exports():
    assert sorted(optim.__all__) == ["Adam", "GradientDescent", "Quadratic", "SGDRun", "descend", "minibatch_sgd",
                                     "minibatches", "per_sample_gradients", "two_basins"]


def test_descend_schedule_sets_the_rate_of_every_step():
    # Gradient descent on L(w) = w²/2 multiplies w by (1 − η_t) at step t.
    w0 = torch.tensor([1.0], dtype=torch.float64)
    rates = [0.5, 0.25, 0.1]
    path = descend(lambda w: 0.5 * (w * w).sum(), w0, lr=1.0, steps=3, schedule=lambda step: rates[step])
    expected = torch.tensor([1.0, 0.5, 0.375, 0.3375], dtype=torch.float64)
    assert torch.allclose(path[:, 0], expected, rtol=4 * 2.0**-53, atol=0)
    with pytest.raises(TypeError, match="schedule must be a function of the step"):
        descend(lambda w: (w * w).sum(), w0, lr=0.1, steps=1, schedule=0.1)


def test_two_basins():
    from lbdl_book.optim import two_basins
    w = torch.tensor([[0.0], [2.9368]], dtype=torch.float64)
    values = two_basins(w)
    # At w = 0 the parabola is exactly 0 and the well gives −3·exp(−72): exp is correct to about
    # one ulp and the product and subtraction add one rounding each, so 4 u relative covers it.
    assert values.shape == (2,) and values[0].item() == pytest.approx(-3 * math.exp(-72), rel=4 * 2.0**-53, abs=0)
    assert abs(values[1].item() - 1.4067) < 1e-3                     # the narrow well, above the global minimum
    hessian = torch.autograd.functional.hessian(two_basins, w[1])
    assert 40 < hessian.item() < 50                                   # narrow: 2 / L'' < 0.05
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 1\)"):
        two_basins(torch.zeros(3))
