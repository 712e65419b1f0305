"""lbdl_book.nn.linear (§4.2, fully connected layers) against torch.nn.Linear and torch.nn.init.

Tolerances (tests/_bounds.py). Both sides compute the same dot products with different
summation orders and kernels: every output entry is x·w + b, a sum of D + 1 terms, and
every gradient entry a sum over D' outputs (for x) or over the leading positions (for W
and b). Each side is off the exact sum by at most γ_n·Σ|terms| (γ_n ≈ n·u, u = 2⁻²⁴ in
float32, 2⁻⁵³ in float64), so they differ by at most twice that: `_bounds.multilinear`
computes n and Σ|terms| for every entry from the tensors themselves. A wrong index, a
missing bias or a transposed weight moves an entry by O(Σ|terms|), far above the bound.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import assert_within, multilinear, unit_roundoff
from lbdl_book.nn import linear as linear_module
from lbdl_book.nn.linear import INIT_SCHEMES, Linear, forward_stds, init_std, init_weight_, linear

DTYPES = [torch.float32, torch.float64]


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("leading", [(), (3,), (2, 4), (2, 3, 4)])
@pytest.mark.parametrize(("d_in", "d_out"), [(5, 1), (5, 7), (64, 3)])
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_matches_torch_values_and_gradients(dtype, leading, d_in, d_out, with_bias):
    g = generator(d_in * 10 + d_out + len(leading))
    x = torch.randn(*leading, d_in, generator=g, dtype=dtype, requires_grad=True)
    weight = ((torch.rand(d_out, d_in, generator=g, dtype=dtype) * 2 - 1) / math.sqrt(d_in)).requires_grad_(True)
    bias = torch.randn(d_out, generator=g, dtype=dtype, requires_grad=True) if with_bias else None
    inputs = (x, weight) + ((bias,) if with_bias else ())
    upstream = torch.randn(*leading, d_out, generator=g, dtype=dtype)
    ours = linear(x, weight, bias)
    theirs = F.linear(x, weight, bias)
    assert ours.shape == (*leading, d_out) and ours.dtype == dtype
    value_bound, grad_bounds = multilinear(F.linear, (x, weight, bias), upstream)
    assert_within(ours, theirs, value_bound)
    for a, b, bound in zip(torch.autograd.grad(ours, inputs, upstream), torch.autograd.grad(theirs, inputs, upstream),
                           grad_bounds):
        assert_within(a, b, bound)


def test_linear_is_the_same_affine_map_on_every_vector():
    """Y[d_1, …, d_K] = W X[d_1, …, d_K] + b, checked index by index."""
    g = generator(1)
    x = torch.randn(2, 3, 4, 5, generator=g, dtype=torch.float64)
    weight, bias = torch.randn(6, 5, generator=g, dtype=torch.float64), torch.randn(6, generator=g, dtype=torch.float64)
    y = linear(x, weight, bias)
    for index in [(0, 0, 0), (1, 2, 3), (0, 1, 2)]:
        # two sums of the same 5 + 1 terms: 2·γ_6·Σ|terms| apart at most
        assert_within(y[index], weight @ x[index] + bias,
                      multilinear(lambda w, v, b: w @ v + b, (weight, x[index], bias)))
    assert torch.autograd.gradcheck(linear, (x[0, 0].clone().requires_grad_(True), weight.clone().requires_grad_(True),
                                             bias.clone().requires_grad_(True)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_linear_module_loads_torch_weights_and_back(dtype, with_bias):
    reference = nn.Linear(8, 3, bias=with_bias, dtype=dtype)
    ours = Linear(8, 3, bias=with_bias, dtype=dtype)
    assert list(ours.state_dict()) == list(reference.state_dict())
    assert all(ours.state_dict()[k].shape == v.shape for k, v in reference.state_dict().items())
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(4, 2, 8, generator=generator(2), dtype=dtype)
    upstream = torch.randn(4, 2, 3, generator=generator(3), dtype=dtype)
    value_bound, grad_bounds = multilinear(F.linear, (x, reference.weight, reference.bias), upstream)
    assert_within(ours(x), reference(x), value_bound)
    # gradients with respect to the parameters
    ours(x).backward(upstream)
    reference(x).backward(upstream)
    for (name, p), q, bound in zip(ours.named_parameters(), reference.parameters(), grad_bounds[1:]):
        assert_within(p.grad, q.grad, bound, msg=name)
    # and the other way round: a copy, bit for bit
    with torch.no_grad():
        ours.weight.mul_(2)
    reference.load_state_dict(ours.state_dict())
    assert torch.equal(reference.weight, ours.weight)
    assert (ours.bias is None) == (not with_bias)
    assert repr(ours) == f"Linear(in_features=8, out_features=3, bias={with_bias})"


def test_default_initialisation_is_pytorchs():
    """Same draws as nn.Linear from the same seed: uniform in ±1/√in_features, weight then bias."""
    for d_in, d_out in [(1, 1), (5, 7), (300, 20)]:
        torch.manual_seed(d_in)
        reference = nn.Linear(d_in, d_out)
        torch.manual_seed(d_in)
        ours = Linear(d_in, d_out)
        # PyTorch computes the bound b as √3·gain/√fan_in with gain = √(1/3), ours as
        # 1/√fan_in: in float64, a few ulps apart, so b in float32 is at most 1 ulp (2u·b)
        # apart; a draw r·2b − b then moves by ≤ 2u·b, and each side rounds r·2b and the
        # sum once (≤ 3u·b): 8u·b in all.
        bound = 1 / math.sqrt(d_in)
        assert_within(ours.weight, reference.weight, 8 * unit_roundoff(torch.float32) * bound)
        assert_within(ours.bias, reference.bias, 8 * unit_roundoff(torch.float32) * bound)
        assert ours.weight.abs().max() <= bound and ours.bias.abs().max() <= bound
    big = Linear(400, 500)
    # U(±b) has variance b²/3; the mean of n draws of w² has relative standard error
    # √(Var w² / n) / E w² = √(0.8 / n): within 5 standard errors
    n = big.weight.numel()
    assert abs(big.weight.var().item() * 3 * 400 - 1) < 5 * math.sqrt(0.8 / n)


@pytest.mark.parametrize(("scheme", "reference"), [
    ("unit", lambda w, g: nn.init.normal_(w, 0.0, 1.0, generator=g)),
    ("fan_in", lambda w, g: nn.init.kaiming_normal_(w, nonlinearity="linear", generator=g)),
    ("fan_in_relu", lambda w, g: nn.init.kaiming_normal_(w, nonlinearity="relu", generator=g)),
    ("default", lambda w, g: nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g)),
])
def test_init_schemes_match_torch_init(scheme, reference):
    ours = init_weight_(torch.empty(64, 200), scheme, generator=generator(3))
    theirs = reference(torch.empty(64, 200), generator(3))
    expected = {"unit": 1.0, "fan_in": 1 / math.sqrt(200), "fan_in_relu": math.sqrt(2 / 200),
                "default": 1 / math.sqrt(3 * 200)}[scheme]
    # same generator, same draws; the scale s (std, or the bound √3·std) is computed by
    # another formula in float64, so in float32 it is ≤ 1 ulp (2u·s) apart, and each side
    # rounds z·s (+ shift) twice: ≤ 8u·(|draw| + s)
    scale = math.sqrt(3) * expected
    assert_within(ours, theirs, 8 * unit_roundoff(torch.float32) * (theirs.abs() + scale))
    assert init_std(scheme, 200) == expected                # the same float64 expression
    # n draws: the sample std has a relative standard error of about 1/√(2n) (Gaussian;
    # less for the uniform): within 5 standard errors
    assert abs(ours.std().item() / expected - 1) < 5 / math.sqrt(2 * ours.numel())


def test_forward_stds_follow_the_variance_recursion():
    """Per layer, the second moment is multiplied by width·std²/2 (the ReLU keeps half):
    √(width/2) for N(0, 1), 1/√2 for N(0, 1/D), 1 for N(0, 2/D), 1/√6 for U(±1/√D)."""
    depth, width = 50, 256
    predicted = {"unit": math.sqrt(width / 2), "fan_in": math.sqrt(0.5), "fan_in_relu": 1.0,
                 "default": math.sqrt(1 / 6)}
    for scheme in INIT_SCHEMES:
        stds = forward_stds(depth, width, scheme)
        assert stds.shape == (depth + 1,) and stds.dtype == torch.float64
        assert abs(stds[0].item() - 1) < 0.01
        assert torch.isfinite(stds).all()
        # geometric mean of the per-layer factor over layers 1…50 (the first layer differs:
        # its input is Gaussian, not a ReLU output); 3 % covers the sampling noise
        factor = (stds[-1] / stds[1]) ** (1 / (depth - 1))
        assert abs(factor.item() / predicted[scheme] - 1) < 0.03, (scheme, factor)
    assert forward_stds(50, 256, "unit")[-1] > 1e40
    assert forward_stds(50, 256, "fan_in")[-1] < 1e-6
    assert 0.3 < forward_stds(50, 256, "fan_in_relu")[-1] < 3
    # repeatable
    assert torch.equal(forward_stds(5, 16, "fan_in", seed=4), forward_stds(5, 16, "fan_in", seed=4))


def test_linear_does_not_call_torch_linear(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("lbdl_book.nn.linear must compute Y = W X + b itself")

    monkeypatch.setattr(F, "linear", forbidden)
    monkeypatch.setattr(torch._C._nn, "linear", forbidden)
    layer = Linear(3, 2)
    layer(torch.randn(4, 3)).sum().backward()
    forward_stds(2, 8, "fan_in_relu")


def test_errors():
    w = torch.zeros(3, 5)
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 5\) to match weight of shape \(3, 5\), got \(2, 4\)"):
        linear(torch.zeros(2, 4), w)
    with pytest.raises(ValueError, match=r"weight must have shape \(out_features, in_features\), got \(5,\)"):
        linear(torch.zeros(2, 5), torch.zeros(5))
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\), got \(5,\)"):
        linear(torch.zeros(2, 5), w, torch.zeros(5))
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got torch.int64"):
        linear(torch.zeros(2, 5, dtype=torch.long), w)
    with pytest.raises(TypeError, match=r"weight must have the dtype of x \(torch.float32\), got torch.float64"):
        linear(torch.zeros(2, 5), w.double())
    with pytest.raises(TypeError, match=r"bias must have the dtype of x \(torch.float32\), got torch.float64"):
        linear(torch.zeros(2, 5), w, torch.zeros(3, dtype=torch.float64))
    with pytest.raises(TypeError, match="weight must be a torch.Tensor, got list"):
        linear(torch.zeros(2, 5), [[0.0] * 5] * 3)
    with pytest.raises(ValueError, match="in_features must be an int >= 0, got -1"):
        Linear(-1, 3)
    with pytest.raises(ValueError, match=r"out_features must be an int >= 0, got 2.5"):
        Linear(3, 2.5)
    with pytest.raises(TypeError, match="bias must be a bool, got str"):
        Linear(3, 2, bias="yes")
    with pytest.raises(ValueError, match="scheme must be one of .* got 'xavier'"):
        init_weight_(torch.zeros(3, 3), "xavier")
    with pytest.raises(ValueError, match=r"weight must have shape \(out_features, in_features\), got \(3, 3, 3\)"):
        init_weight_(torch.zeros(3, 3, 3), "unit")
    with pytest.raises(ValueError, match="fan_in must be an int >= 1, got 0"):
        init_std("fan_in", 0)
    with pytest.raises(ValueError, match="depth must be an int >= 1, got 0"):
        forward_stds(0, 8, "unit")


def test_module_exports():
    assert sorted(linear_module.__all__) == ["INIT_SCHEMES", "Linear", "forward_stds", "init_std", "init_weight_",
                                             "linear"]
