"""Chapter 1 models against PyTorch references: values and gradients.

Tolerances (tests/_bounds.py): float64 rounding bounds of the few operations involved,
conditioning bounds (κ of the design matrix) for the least-squares fits, a contraction
bound for gradient descent, and 5 standard errors for sampled statistics.
"""

import math

import pytest
import torch
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

from _bounds import assert_within, gamma, unit_roundoff
from lbdl_book.data import clusters, sine_regression
from lbdl_book.models import BasisFunctionRegression, GaussianMixture, fit_gradient_descent, gaussian_features, mse


def test_gaussian_features_values_and_gradient():
    x = torch.rand(7, dtype=torch.float64, requires_grad=True)
    centers = torch.linspace(0, 1, 4, dtype=torch.float64)
    phi = gaussian_features(x, centers, 0.3)
    assert phi.shape == (7, 4)
    expected = torch.exp(-((x.detach()[:, None] - centers) ** 2) / (2 * 0.3**2))
    # the same formula: the argument a rounds by γ₄|a|, which exp turns into a relative error,
    # plus exp's own (2u); on each side
    argument = ((x.detach()[:, None] - centers) ** 2 / (2 * 0.3**2)).abs()
    assert_within(phi, expected, 2 * expected * (gamma(4, torch.float64) * argument + 2 * unit_roundoff(torch.float64)))
    assert torch.autograd.gradcheck(lambda v: gaussian_features(v, centers, 0.3), (x,))


def test_least_squares_matches_torch_lstsq_and_normal_equations():
    x, y = sine_regression(30, seed=0)
    model = BasisFunctionRegression(10, 0.07).fit_least_squares(x, y)
    phi = model.features(x)
    reference = torch.linalg.lstsq(phi, y[:, None]).solution[:, 0]
    # two backward-stable least-squares solves (SVD, QR): each within
    # γ_{mn}(κ + κ²‖r‖/(‖Φ‖‖w‖))‖w‖ of the exact solution (Higham §20.1)
    f64, (m, n) = torch.float64, phi.shape
    sigma = torch.linalg.svdvals(phi)
    kappa, w_norm = (sigma[0] / sigma[-1]).item(), reference.norm().item()
    r_norm = (phi @ reference - y).norm().item()
    solve = gamma(m * n, f64) * (kappa + kappa**2 * r_norm / (sigma[0].item() * w_norm)) * w_norm
    assert_within(model.weight, reference, 2 * solve)
    # the normal equations hold up to Φᵀ Φ δw (|δw| ≤ solve) and the rounding of both sides
    # (sums of m and n terms: γ_{m+n} of |Φ|ᵀ(|Φ||w| + |y|))
    residual = phi.abs().T @ phi.abs() @ torch.full((n,), solve, dtype=f64) \
        + gamma(m + n, f64) * phi.abs().T @ (phi.abs() @ model.weight.detach().abs() + y.abs())
    assert_within(phi.T @ phi @ model.weight, phi.T @ y, residual)
    assert sum(p.numel() for p in model.parameters()) == 10


def test_more_bases_than_points_gives_the_minimum_norm_fit():
    x, y = sine_regression(6, seed=1)
    model = BasisFunctionRegression(20, 0.05).fit_least_squares(x, y)
    phi = model.features(x)
    # an underdetermined system of full row rank: the SVD solve is backward stable, so the
    # residual is at most γ_{mn}‖Φ‖‖w‖ (plus the product's rounding), and two minimum-norm
    # solutions (SVD, pinv) are each within γ_{mn}·κ·‖w‖ (no residual term: r = 0)
    f64, (m, n) = torch.float64, phi.shape
    sigma = torch.linalg.svdvals(phi)
    kappa, w_norm = (sigma[0] / sigma[-1]).item(), model.weight.detach().norm().item()
    fit = gamma(m * n, f64) * phi.norm().item() * w_norm + gamma(n, f64) * (phi.abs() @ model.weight.detach().abs())
    assert_within(model(x), y, fit)                     # interpolates
    assert_within(model.weight, torch.linalg.pinv(phi) @ y, 2 * gamma(m * n, f64) * kappa * w_norm)


def test_weight_decay_solves_the_regularised_normal_equations():
    x, y = sine_regression(15, seed=2)
    lam = 1e-2
    model = BasisFunctionRegression(12, 0.1).fit_least_squares(x, y, weight_decay=lam)
    w = model.weight.detach().clone().requires_grad_(True)
    loss = mse(model.features(x) @ w, y) + lam * (w**2).sum()
    (gradient,) = torch.autograd.grad(loss, w)
    # exactly 0 at the exact solution of (G) w = Φᵀy/N, G = ΦᵀΦ/N + λI; the solve is within
    # γ_{3k}·κ(G)·‖w‖ of it (Higham §9), and the gradient 2(G w − Φᵀy/N) adds its own
    # rounding (sums of N and k terms)
    f64 = torch.float64
    phi = model.features(x)
    n, k = phi.shape
    gram = phi.T @ phi / n + lam * torch.eye(k, dtype=f64)
    eig = torch.linalg.eigvalsh(gram)
    solve = gamma(n + 3 * k, f64) * (eig[-1] / eig[0]).item() * w.norm().item()
    wd = w.detach()
    bound = 2 * (gram.abs() @ torch.full((k,), solve, dtype=f64)
                 + gamma(n + k + 4, f64) * (phi.abs().T @ (phi.abs() @ wd.abs() + y.abs()) / n + lam * wd.abs()))
    assert_within(gradient, torch.zeros_like(gradient), bound)


def test_gradient_descent_reaches_the_least_squares_weights():
    x, y = sine_regression(30, seed=0)
    target = BasisFunctionRegression(10, 0.07).fit_least_squares(x, y).weight.detach()
    model = BasisFunctionRegression(10, 0.07)
    path = fit_gradient_descent(model, x, y, steps=600)
    assert path.shape == (601, 10)
    # gradient descent with η = 1/λ_max contracts the error by ρ = 1 − λ_min/λ_max per step
    # (H = 2ΦᵀΦ/N): after 600 steps ρ⁶⁰⁰‖w₀ − w*‖, plus the rounding of each step (γ_{N+k+4}
    # of η·2|Φ|ᵀ(|Φ||w| + |y|)/N, and u|w|) accumulated through the contraction, ≤ it/(1 − ρ);
    # and the target's own least-squares error (test above)
    f64 = torch.float64
    phi = model.features(x)
    n, k = phi.shape
    eig = torch.linalg.eigvalsh(2 * phi.T @ phi / n)
    rho = (1 - eig[0] / eig[-1]).item()
    lr = 1 / eig[-1].item()
    step = (lr * gamma(n + k + 4, f64) * 2 * (phi.abs().T @ (phi.abs() @ path.abs().amax(0) + y.abs())) / n
            + unit_roundoff(f64) * path.abs().amax(0)).norm().item()
    sigma = torch.linalg.svdvals(phi)
    kappa = (sigma[0] / sigma[-1]).item()
    r_norm = (phi @ target - y).norm().item()
    t_norm = target.norm().item()
    solve = gamma(n * k, f64) * (kappa + kappa**2 * r_norm / (sigma[0].item() * t_norm)) * t_norm
    bound = rho**600 * (path[0] - target).norm().item() + step / (1 - rho) + solve
    assert_within(path[-1], target, bound)
    assert torch.equal(model.weight.detach(), path[-1])


def test_basis_model_errors():
    with pytest.raises(ValueError, match="num_basis"):
        BasisFunctionRegression(0, 0.1)
    with pytest.raises(ValueError, match="width"):
        BasisFunctionRegression(3, 0.0)
    with pytest.raises(ValueError, match="low < high"):
        BasisFunctionRegression(3, 0.1, low=1.0, high=0.0)
    model = BasisFunctionRegression(3, 0.1)
    with pytest.raises(ValueError, match=r"shape \(N,\)"):
        model.fit_least_squares(torch.rand(4, 1), torch.rand(4))
    with pytest.raises(ValueError, match="same length"):
        model.fit_least_squares(torch.rand(4), torch.rand(5))
    with pytest.raises(TypeError, match="torch.Tensor"):
        gaussian_features([0.1, 0.2], torch.zeros(2), 0.1)
    with pytest.raises(ValueError, match="steps"):
        fit_gradient_descent(model, torch.rand(4), torch.rand(4), steps=-1)
    with pytest.raises(ValueError, match="differ in shape"):
        mse(torch.zeros(3), torch.zeros(4))


def reference_mixture(model):
    return MixtureSameFamily(Categorical(logits=model.logits),
                             Independent(Normal(model.means, model.log_scales.exp()), 1))


@pytest.mark.parametrize(("components", "dim"), [(1, 1), (3, 2), (4, 5)])
def test_mixture_log_density_and_gradients_match_torch_distributions(components, dim):
    model = GaussianMixture(components, dim, seed=components)
    with torch.no_grad():
        model.logits.normal_()
        model.log_scales.normal_(std=0.3)
    x = torch.randn(50, dim)
    ours = model(x)
    theirs = reference_mixture(model).log_prob(x)
    # log p(x) = logsumexp_k(log π_k + Σ_d log N(x_d; μ_kd, σ_kd)): each component's term is
    # a sum of d + 2 terms of a few roundings each (γ_{d+6} of Σ|terms|), then the log-sum-exp
    # of K of them (γ_{K+4}(1 + |log S|)) — on each side
    f32 = torch.float32
    with torch.no_grad():
        scales = model.log_scales.exp()
        z2 = ((x[:, None, :] - model.means) / scales) ** 2 / 2                      # (N, K, d)
        log_pi = torch.log_softmax(model.logits, -1)
        terms = z2.sum(-1) + model.log_scales.abs().sum(-1) + dim * 0.5 * math.log(2 * math.pi) + log_pi.abs()
        component = log_pi - z2.sum(-1) - model.log_scales.sum(-1) - dim * 0.5 * math.log(2 * math.pi)
        log_s = (component - component.amax(-1, keepdim=True)).exp().sum(-1).log()
    value_bound = 2 * (gamma(dim + 6, f32) * terms.amax(-1) + gamma(components + 4, f32) * (1 + log_s.abs()))
    assert_within(ours, theirs, value_bound)
    grads = torch.autograd.grad(ours.sum(), list(model.parameters()))
    reference_grads = torch.autograd.grad(theirs.sum(), list(model.parameters()))
    # each gradient sums N per-sample gradients (responsibility × a few factors, or r − π for
    # the logits): γ of the sum of their absolute values, which the per-sample Jacobian gives
    names = [name for name, _ in model.named_parameters()]
    jacobian = torch.autograd.functional.jacobian(
        lambda *p: torch.func.functional_call(model, dict(zip(names, p)), (x,)), tuple(model.parameters()))
    pi = torch.softmax(model.logits.detach(), -1)
    for name, g, r, j in zip(names, grads, reference_grads, jacobian):
        magnitude = j.abs().sum(0) + (len(x) * pi if name == "logits" else 0)
        assert_within(g, r, 2 * gamma(len(x) + components * (dim + 6) + 8, f32) * magnitude
                      + value_bound.max() * j.abs().sum(0), msg=name)
    assert sum(p.numel() for p in model.parameters()) == 2 * components * dim + components


def test_mixture_samples_follow_the_model():
    model = GaussianMixture(1, 2)
    with torch.no_grad():
        model.means.copy_(torch.tensor([[3.0, -1.0]]))
        model.log_scales.copy_(torch.log(torch.tensor([[0.5, 2.0]])))
    samples = model.sample(20_000, seed=0)
    assert samples.shape == (20_000, 2)
    # within 5 standard errors: σ/√n for the mean, σ/√(2n) for the standard deviation
    sigma, n = torch.tensor([0.5, 2.0]), len(samples)
    assert ((samples.mean(0) - torch.tensor([3.0, -1.0])).abs() <= 5 * sigma / math.sqrt(n)).all()
    assert ((samples.std(0) - sigma).abs() <= 5 * sigma / math.sqrt(2 * n)).all()
    with pytest.raises(ValueError, match=r"shape \(N, 2\)"):
        model(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="n must be"):
        model.sample(0)
    with pytest.raises(ValueError, match="num_components"):
        GaussianMixture(0, 2)


def test_datasets_are_deterministic_and_checked():
    a, b = sine_regression(10, seed=4), sine_regression(10, seed=4)
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    x, _ = sine_regression(100, seed=0)
    assert x.min() >= 0 and x.max() <= 1 and torch.sort(x).values.diff().max() < 2 / 100
    points, labels = clusters(99, seed=0)
    assert points.shape == (99, 2) and labels.bincount().tolist() == [33, 33, 33]
    with pytest.raises(ValueError, match="positive int"):
        sine_regression(0)
    with pytest.raises(ValueError, match="noise"):
        sine_regression(5, noise=-1.0)
