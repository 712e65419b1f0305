"""The activation functions of §4.3 against PyTorch's: values and gradients.

Tolerances. Our formulas and PyTorch's kernels compute the same functions by different
routes (PyTorch's tanh is a libm call, ours a quotient of exponentials; PyTorch's GELU
backward is a hand-written formula, ours autograd through erfc), so they agree up to
rounding, not bit for bit. The unit roundoff ε is 6e-8 in float32 and 1.1e-16 in
float64. A result computed in a few operations from intermediate quantities of size S
carries an absolute error of a few ε·S, so we require, elementwise,

    |ours − PyTorch| ≤ 8 ε (|PyTorch| + S),

with S the size of the largest intermediate: for values S = 1 + |x| (x·Φ(x) is a product
by x, and PyTorch's float32 GELU forms 1 + erf(x/√2), which for x ≪ 0 cancels to a tiny
number and leaves an absolute error of ε·|x|); for gradients S = |g|·(1 + |x|), g the
upstream gradient (the derivatives involve the same terms, multiplied by g; near a zero
of the derivative, like GELU's at x ≈ −0.75, the relative error is large but the
absolute one stays a few ε·S). Eight roundoffs leave room for both sides' errors and
still catch a wrong formula, a wrong constant or a wrong convention, which give errors
of order 1e-3 or more. The largest differences observed are printed by
``python tests/test_nn_activations.py``.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import assert_within
from lbdl_book.nn import activations
from lbdl_book.nn.activations import (ACTIVATIONS, GELU, LeakyReLU, ReLU, Sigmoid, Tanh, derivative, gelu,
                                      leaky_relu, relu, sigmoid, tanh)

DTYPES = [torch.float32, torch.float64]
EPS = {torch.float32: 2.0**-24, torch.float64: 2.0**-53}      # unit roundoff
SHAPES = [(7,), (4, 5), (2, 3, 8), (3, 2, 4, 4)]

# (ours, reference) pairs, with the options each takes
PAIRS = {
    "tanh": (tanh, torch.tanh, {}),
    "sigmoid": (sigmoid, torch.sigmoid, {}),
    "relu": (relu, F.relu, {}),
    "leaky_relu_default": (leaky_relu, F.leaky_relu, {}),
    "leaky_relu_0.1": (leaky_relu, F.leaky_relu, {"negative_slope": 0.1}),
    "leaky_relu_0.3": (leaky_relu, F.leaky_relu, {"negative_slope": 0.3}),
    "gelu": (gelu, F.gelu, {}),
    "gelu_tanh": (gelu, F.gelu, {"approximate": "tanh"}),
}


def inputs(shape, dtype, seed, scale=3.0):
    """Random inputs of the given shape, with a few exact zeros and large values mixed in."""
    g = torch.Generator().manual_seed(seed)
    x = scale * torch.randn(shape, generator=g, dtype=dtype)
    flat = x.view(-1)
    flat[:: 5] = 0.0                                   # the kink of ReLU and leaky ReLU
    if flat.numel() > 3:
        flat[1] = 30.0                                  # deep in saturation
        flat[2] = -30.0
    return x.requires_grad_(True)


def value_and_grad(f, x, upstream, **options):
    y = f(x, **options)
    (grad,) = torch.autograd.grad(y, x, grad_outputs=upstream)
    return y, grad


def excess(ours, reference, scale, dtype):
    """max of |ours − reference| / (8 ε (|reference| + scale)): ≤ 1 passes (see the module docstring)."""
    assert ours.dtype == reference.dtype == dtype and ours.shape == reference.shape
    bound = 8 * EPS[dtype] * (reference.abs() + scale)
    return ((ours - reference).abs() / bound).max().item()


def value_bound(reference, x):
    """8ε(|reference| + 1 + |x|), the bound of the module docstring for values."""
    return 8 * EPS[reference.dtype] * (reference.detach().abs() + 1 + x.detach().abs())


def grad_bound(reference_grad, x, upstream):
    """8ε(|reference| + |g|(1 + |x|)), the bound of the module docstring for gradients."""
    return 8 * EPS[reference_grad.dtype] * (reference_grad.abs() + upstream.abs() * (1 + x.detach().abs()))


def compare(ours, reference, options, x, upstream):
    """(value excess, gradient excess, largest value difference, largest gradient difference)."""
    y, grad = value_and_grad(ours, x, upstream, **options)
    y_ref, grad_ref = value_and_grad(reference, x, upstream, **options)
    size = 1 + x.detach().abs()
    return (excess(y, y_ref, size, x.dtype), excess(grad, grad_ref, upstream.abs() * size, x.dtype),
            (y - y_ref).abs().max().item(), (grad - grad_ref).abs().max().item())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", list(PAIRS))
def test_function_matches_torch(name, shape, dtype):
    ours, reference, options = PAIRS[name]
    x = inputs(shape, dtype, seed=len(shape))
    upstream = torch.randn(shape, generator=torch.Generator().manual_seed(9), dtype=dtype)
    value_excess, grad_excess, _, _ = compare(ours, reference, options, x, upstream)
    assert value_excess <= 1 and grad_excess <= 1, (value_excess, grad_excess)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_at_the_kink_follows_pytorch(dtype):
    x = torch.zeros(3, dtype=dtype, requires_grad=True)
    for slope in (0.01, 0.1, 0.5):
        (grad,) = torch.autograd.grad(leaky_relu(x, slope).sum(), x)
        (grad_ref,) = torch.autograd.grad(F.leaky_relu(x, slope).sum(), x)
        assert torch.equal(grad, grad_ref) and torch.equal(grad, torch.full_like(x, slope))
    (grad,) = torch.autograd.grad(relu(x).sum(), x)
    (grad_ref,) = torch.autograd.grad(F.relu(x).sum(), x)
    assert torch.equal(grad, grad_ref) and torch.equal(grad, torch.zeros_like(x))
    # the smooth functions have their textbook derivatives at 0
    assert derivative(tanh, x).tolist() == [1.0] * 3
    assert derivative(sigmoid, x).tolist() == [0.25] * 3
    assert derivative(gelu, x).tolist() == [0.5] * 3


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_and_special_values(dtype):
    x = torch.tensor([-1e4, -800.0, -100.0, -30.0, 30.0, 100.0, 800.0, 1e4, math.inf, -math.inf], dtype=dtype,
                     requires_grad=True)
    for ours, reference in ((tanh, torch.tanh), (sigmoid, torch.sigmoid), (relu, F.relu),
                            (leaky_relu, F.leaky_relu)):
        y, grad = value_and_grad(ours, x, torch.ones_like(x))
        y_ref, grad_ref = value_and_grad(reference, x, torch.ones_like(x))
        # no overflow: finite gradients; values ±1, 0, 1 or x and gradients 0, a or 1, as in PyTorch
        assert torch.isfinite(grad).all(), (ours.__name__, grad)
        assert_within(y, y_ref, value_bound(y_ref, x), msg=ours.__name__)
        assert_within(grad, grad_ref, grad_bound(grad_ref, x, torch.ones_like(x)), msg=ours.__name__)
    # sigmoid keeps full relative precision far on the negative side: e^{-100}, e^{-30}:
    # e^x/(1 + e^x) on both sides, exp within 1 ulp (2ε), the sum and the quotient ε each
    small = torch.tensor([-100.0, -30.0], dtype=torch.float64)
    expected = small.exp() / (1 + small.exp())
    assert_within(sigmoid(small), expected, 2 * 4 * EPS[torch.float64] * expected)
    # NaN propagates as in PyTorch
    nan = torch.tensor([math.nan], dtype=dtype)
    for f in (tanh, sigmoid, relu, leaky_relu, gelu):
        assert torch.isnan(f(nan)).all()


def test_tanh_precision_near_zero():
    # tanh(x) ≈ x − x³/3 for tiny x: expm1 keeps the relative precision that e^{2x} − 1 would lose
    # ours: expm1 and exp within 1 ulp (2ε) each, the sum and the quotient ε each, ≤ 6ε
    # relative (for |x| ≪ 1, e^{2x} ≈ 1 and nothing cancels); libm's tanh within 1 ulp (2ε)
    x = torch.tensor([1e-12, -1e-9, 1e-6, -1e-4], dtype=torch.float64)
    assert_within(tanh(x), torch.tanh(x), 8 * EPS[torch.float64] * torch.tanh(x).abs())
    x32 = x.float()
    assert_within(tanh(x32), torch.tanh(x32), 8 * EPS[torch.float32] * torch.tanh(x32).abs())


def test_gelu_keeps_relative_precision_for_negative_inputs():
    # For x ≪ 0, Φ(x) is tiny: 1 + erf(x/√2) would cancel, erfc(−x/√2) does not. The float32
    # result stays within (2x² + 8)ε relative of the float64 one on [−9, −1]: erfc(u) varies
    # like e^{−u²}, so an error δ relative in u = x/√2 moves it by about 2u²·δ = x²·δ, and
    # δ ≤ 2ε (√2 rounded to float32, then the quotient); erfc (a few ulps), the halving and
    # the product by x add a few ε more
    x = torch.linspace(-9, -1, 801)
    truth = gelu(x.double())
    assert_within(gelu(x).double(), truth, (2 * x.double() ** 2 + 8) * EPS[torch.float32] * truth.abs())


def test_gradcheck_float64():
    # finite differences away from the kinks (gradcheck perturbs by 1e-6)
    x = torch.linspace(-4, 4, 17, dtype=torch.float64)[torch.arange(17) != 8].requires_grad_(True)
    for f, options in ((tanh, {}), (sigmoid, {}), (relu, {}), (leaky_relu, {"negative_slope": 0.2}),
                       (gelu, {}), (gelu, {"approximate": "tanh"})):
        assert torch.autograd.gradcheck(lambda v: f(v, **options), (x,))
        assert torch.autograd.gradgradcheck(lambda v: f(v, **options), (x,))


def test_textbook_identities():
    x = torch.arange(-120, 121, dtype=torch.float64) / 20          # [-6, 6], with an exact 0
    # each side within half the module docstring's bound, 4ε(|value| + 1 + |x|) (for 2σ(2x) − 1:
    # σ's error doubled, its argument 2|x|, and the subtraction's rounding); the derivatives
    # within 4ε(|σ'| + 1 + |x|), a formula of the same few roundings
    eps = EPS[torch.float64]
    t, s = tanh(x), sigmoid(x)
    assert_within(t, 2 * sigmoid(2 * x) - 1, 4 * eps * (t.abs() + 1 + x.abs()) + 8 * eps * (s + 1 + 2 * x.abs()))
    d_sigmoid, d_tanh = derivative(sigmoid, x), derivative(tanh, x)
    assert_within(d_sigmoid, s * (1 - s), 8 * eps * (d_sigmoid.abs() + 1 + x.abs()))
    assert_within(d_tanh, 1 - t**2, 8 * eps * (d_tanh.abs() + 1 + x.abs()))
    assert derivative(sigmoid, x).max() == 0.25                    # at x = 0
    # GELU = x P(Z ≤ x) with the Gaussian CDF of torch.distributions
    normal = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    reference = x * normal.cdf(x)
    assert_within(gelu(x), reference, value_bound(reference, x))
    # leaky ReLU with slope 0 is ReLU, with slope 1 the identity
    assert torch.equal(leaky_relu(x, 0.0), relu(x)) and torch.equal(leaky_relu(x, 1.0), x)


@pytest.mark.parametrize(("ours", "theirs"), [
    (Tanh(), nn.Tanh()), (Sigmoid(), nn.Sigmoid()), (ReLU(), nn.ReLU()), (LeakyReLU(), nn.LeakyReLU()),
    (LeakyReLU(0.1), nn.LeakyReLU(0.1)), (LeakyReLU(negative_slope=0.2, inplace=True), nn.LeakyReLU(0.2, True)),
    (ReLU(inplace=True), nn.ReLU(inplace=True)), (GELU(), nn.GELU()), (GELU("tanh"), nn.GELU(approximate="tanh")),
])
@pytest.mark.parametrize("dtype", DTYPES)
def test_modules_mirror_torch(ours, theirs, dtype):
    assert type(ours).__name__ == type(theirs).__name__ and repr(ours) == repr(theirs)
    assert list(ours.parameters()) == [] and list(ours.buffers()) == []
    ours.load_state_dict(theirs.state_dict())          # both empty: loads without complaint
    x = torch.randn(4, 3, 5, generator=torch.Generator().manual_seed(3), dtype=dtype)
    a, b = x.clone(), x.clone()
    y, y_ref = ours(a), theirs(b)
    assert_within(y, y_ref, value_bound(y_ref, x))
    if getattr(theirs, "inplace", False):             # in place: the input now holds the result
        assert y.data_ptr() == a.data_ptr()
        assert_within(a, b, value_bound(b, x))
    # gradients through the module (out of place)
    if not getattr(theirs, "inplace", False):
        v = x.clone().requires_grad_(True)
        upstream = torch.randn_like(x)
        (grad,) = torch.autograd.grad(ours(v), v, upstream)
        (grad_ref,) = torch.autograd.grad(theirs(v), v, upstream)
        assert_within(grad, grad_ref, grad_bound(grad_ref, x, upstream))


def test_constructor_signatures_match_torch():
    import inspect
    for name in ("Tanh", "Sigmoid", "ReLU", "LeakyReLU", "GELU"):
        ours = inspect.signature(getattr(activations, name).__init__).parameters
        theirs = inspect.signature(getattr(nn, name).__init__).parameters
        assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()], name


def test_derivative_helper():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
    assert derivative(relu, x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert torch.equal(derivative(leaky_relu, x, negative_slope=0.1), torch.tensor([0.1, 0.1, 0.1, 1.0, 1.0]))
    assert not derivative(tanh, x).requires_grad
    assert set(ACTIVATIONS) == {"tanh", "sigmoid", "relu", "leaky_relu", "gelu"}


def test_bad_arguments():
    x = torch.randn(3)
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        relu([1.0, -1.0])
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got torch.int64"):
        tanh(torch.arange(3))
    with pytest.raises(ValueError, match="negative_slope must be a finite real number, got 'a'"):
        leaky_relu(x, "a")
    with pytest.raises(ValueError, match="negative_slope must be a finite real number, got inf"):
        LeakyReLU(math.inf)
    with pytest.raises(ValueError, match="negative_slope must be a finite real number, got True"):
        LeakyReLU(True)
    with pytest.raises(ValueError, match=r"approximate must be one of \('none', 'tanh'\), got 'erf'"):
        gelu(x, "erf")
    with pytest.raises(ValueError, match="approximate must be one of"):
        GELU(approximate=None)
    with pytest.raises(TypeError, match="inplace must be a bool, got int"):
        ReLU(inplace=1)
    with pytest.raises(TypeError, match="activation must be callable, got str"):
        derivative("relu", x)


def largest_differences():
    """Per dtype and function, over all the shapes above: the largest |ours − PyTorch| of
    the values and of the gradients, and the largest ratio to the allowed bound."""
    table = {}
    for dtype in DTYPES:
        for name, (ours, reference, options) in PAIRS.items():
            rows = [compare(ours, reference, options, inputs(shape, dtype, seed=len(shape)),
                            torch.randn(shape, generator=torch.Generator().manual_seed(9), dtype=dtype))
                    for shape in SHAPES]
            table[dtype, name] = [max(column) for column in zip(*rows)]
    return table


if __name__ == "__main__":                           # python tests/test_nn_activations.py: print the table
    for (dtype, name), (value_excess, grad_excess, value, grad) in largest_differences().items():
        print(f"{str(dtype):14} {name:20} value {value:.1e} ({value_excess:.2f} of the bound)   "
              f"gradient {grad:.1e} ({grad_excess:.2f} of the bound)")
