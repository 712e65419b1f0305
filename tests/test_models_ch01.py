"""Chapter 1 models against PyTorch references: values and gradients."""

import pytest
import torch
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

from lbdl_book.data import clusters, sine_regression
from lbdl_book.models import BasisFunctionRegression, GaussianMixture, fit_gradient_descent, gaussian_features, mse


def test_gaussian_features_values_and_gradient():
    x = torch.rand(7, dtype=torch.float64, requires_grad=True)
    centers = torch.linspace(0, 1, 4, dtype=torch.float64)
    phi = gaussian_features(x, centers, 0.3)
    assert phi.shape == (7, 4)
    expected = torch.exp(-((x.detach()[:, None] - centers) ** 2) / (2 * 0.3**2))
    assert torch.allclose(phi, expected)
    assert torch.autograd.gradcheck(lambda v: gaussian_features(v, centers, 0.3), (x,))


def test_least_squares_matches_torch_lstsq_and_normal_equations():
    x, y = sine_regression(30, seed=0)
    model = BasisFunctionRegression(10, 0.07).fit_least_squares(x, y)
    phi = model.features(x)
    reference = torch.linalg.lstsq(phi, y[:, None]).solution[:, 0]
    assert torch.allclose(model.weight, reference, atol=1e-9)
    assert torch.allclose(phi.T @ phi @ model.weight, phi.T @ y, atol=1e-9)
    assert sum(p.numel() for p in model.parameters()) == 10


def test_more_bases_than_points_gives_the_minimum_norm_fit():
    x, y = sine_regression(6, seed=1)
    model = BasisFunctionRegression(20, 0.05).fit_least_squares(x, y)
    phi = model.features(x)
    assert torch.allclose(model(x), y, atol=1e-8)                     # interpolates
    assert torch.allclose(model.weight, torch.linalg.pinv(phi) @ y, atol=1e-6)


def test_weight_decay_solves_the_regularised_normal_equations():
    x, y = sine_regression(15, seed=2)
    lam = 1e-2
    model = BasisFunctionRegression(12, 0.1).fit_least_squares(x, y, weight_decay=lam)
    w = model.weight.detach().clone().requires_grad_(True)
    loss = mse(model.features(x) @ w, y) + lam * (w**2).sum()
    (gradient,) = torch.autograd.grad(loss, w)
    assert gradient.abs().max() < 1e-10


def test_gradient_descent_reaches_the_least_squares_weights():
    x, y = sine_regression(30, seed=0)
    target = BasisFunctionRegression(10, 0.07).fit_least_squares(x, y).weight.detach()
    model = BasisFunctionRegression(10, 0.07)
    path = fit_gradient_descent(model, x, y, steps=600)
    assert path.shape == (601, 10)
    assert torch.allclose(path[-1], target, atol=1e-8)
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
    assert torch.allclose(ours, theirs, atol=1e-5)
    grads = torch.autograd.grad(ours.sum(), list(model.parameters()))
    reference_grads = torch.autograd.grad(theirs.sum(), list(model.parameters()))
    for g, r in zip(grads, reference_grads):
        assert torch.allclose(g, r, atol=1e-4)
    assert sum(p.numel() for p in model.parameters()) == 2 * components * dim + components


def test_mixture_samples_follow_the_model():
    model = GaussianMixture(1, 2)
    with torch.no_grad():
        model.means.copy_(torch.tensor([[3.0, -1.0]]))
        model.log_scales.copy_(torch.log(torch.tensor([[0.5, 2.0]])))
    samples = model.sample(20_000, seed=0)
    assert samples.shape == (20_000, 2)
    assert torch.allclose(samples.mean(0), torch.tensor([3.0, -1.0]), atol=0.05)
    assert torch.allclose(samples.std(0), torch.tensor([0.5, 2.0]), atol=0.05)
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
