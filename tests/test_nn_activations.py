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

from lbdl_book.nn import activations
from lbdl_book.nn.activations import (ACTIVATIONS, GELU, LeakyReLU, ReLU, Sigmoid, Tanh, derivative, gelu,
                                      leaky_relu, relu, sigmoid, tanh)

DTYPES = [torch.float32, torch.float64]
EPS = {torch.float32: 2.0**-24, torch.float64: 2.0**-53}      # unit roundoff
TOL = {dtype: dict(atol=8 * eps, rtol=8 * eps) for dtype, eps in EPS.items()}   # for results of size ≤ 1
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
        torch.testing.assert_close(y, y_ref, **TOL[dtype])
        torch.testing.assert_close(grad, grad_ref, **TOL[dtype])
    # sigmoid keeps full relative precision far on the negative side: e^{-100}, e^{-30}
    small = torch.tensor([-100.0, -30.0], dtype=torch.float64)
    torch.testing.assert_close(sigmoid(small), small.exp() / (1 + small.exp()), rtol=1e-15, atol=0)
    # NaN propagates as in PyTorch
    nan = torch.tensor([math.nan], dtype=dtype)
    for f in (tanh, sigmoid, relu, leaky_relu, gelu):
        assert torch.isnan(f(nan)).all()


def test_tanh_precision_near_zero():
    # tanh(x) ≈ x − x³/3 for tiny x: expm1 keeps the relative precision that e^{2x} − 1 would lose
    x = torch.tensor([1e-12, -1e-9, 1e-6, -1e-4], dtype=torch.float64)
    torch.testing.assert_close(tanh(x), torch.tanh(x), rtol=4 * EPS[torch.float64], atol=0)
    x32 = x.float()
    torch.testing.assert_close(tanh(x32), torch.tanh(x32), rtol=4 * EPS[torch.float32], atol=0)


def test_gelu_keeps_relative_precision_for_negative_inputs():
    # For x ≪ 0, Φ(x) is tiny: 1 + erf(x/√2) would cancel, erfc(−x/√2) does not. The float32
    # result stays within 1e-5 relative of the float64 one on [−9, −1]: erfc(u) varies like
    # e^{−u²}, so the rounding of u = x/√2 (relative ε) moves it by about 2u²·ε = x²·ε ≤ 81 · 6e-8.
    x = torch.linspace(-9, -1, 801)
    truth = gelu(x.double())
    assert ((gelu(x).double() - truth).abs() / truth.abs()).max() < 1e-5


def test_gradcheck_float64():
    # finite differences away from the kinks (gradcheck perturbs by 1e-6)
    x = torch.linspace(-4, 4, 17, dtype=torch.float64)[torch.arange(17) != 8].requires_grad_(True)
    for f, options in ((tanh, {}), (sigmoid, {}), (relu, {}), (leaky_relu, {"negative_slope": 0.2}),
                       (gelu, {}), (gelu, {"approximate": "tanh"})):
        assert torch.autograd.gradcheck(lambda v: f(v, **options), (x,))
        assert torch.autograd.gradgradcheck(lambda v: f(v, **options), (x,))


def test_textbook_identities():
    x = torch.arange(-120, 121, dtype=torch.float64) / 20          # [-6, 6], with an exact 0
    torch.testing.assert_close(tanh(x), 2 * sigmoid(2 * x) - 1, rtol=1e-14, atol=1e-15)
    s = sigmoid(x)
    torch.testing.assert_close(derivative(sigmoid, x), s * (1 - s), rtol=1e-12, atol=1e-15)
    torch.testing.assert_close(derivative(tanh, x), 1 - tanh(x) ** 2, rtol=1e-12, atol=1e-15)
    assert derivative(sigmoid, x).max() == 0.25                    # at x = 0
    # GELU = x P(Z ≤ x) with the Gaussian CDF of torch.distributions
    normal = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    torch.testing.assert_close(gelu(x), x * normal.cdf(x), rtol=1e-14, atol=1e-15)
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
    torch.testing.assert_close(y, y_ref, **TOL[dtype])
    if getattr(theirs, "inplace", False):             # in place: the input now holds the result
        assert y.data_ptr() == a.data_ptr()
        torch.testing.assert_close(a, b, **TOL[dtype])
    # gradients through the module (out of place)
    if not getattr(theirs, "inplace", False):
        v = x.clone().requires_grad_(True)
        upstream = torch.randn_like(x)
        (grad,) = torch.autograd.grad(ours(v), v, upstream)
        (grad_ref,) = torch.autograd.grad(theirs(v), v, upstream)
        torch.testing.assert_close(grad, grad_ref, **TOL[dtype])


def test_constructor_signatures_match_torch():
    import inspect
    for name in ("Tanh", "Sigmoid", "ReLU", "LeakyReLU", "GELU"):
        ours = inspect.signature(getattr(activations, name).__init__).parameters
        theirs = inspect.signature(getattr(nn, name).__init__).parameters
        assert [(p.name, p.default) for p in ours.values()] == [(p.name, p.default) for p in theirs.values()], name


def test_derivative_helper():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 2.0])
    assert derivative(relu, x).tolist() == [0.0, 0.0, 0.0, 1.0, 1.0]
    assert derivative(leaky_relu, x, negative_slope=0.1).tolist() == pytest.approx([0.1, 0.1, 0.1, 1.0, 1.0])
    assert not derivative(tanh, x).requires_grad
    assert set(ACTIVATIONS) == {"tanh", "sigmoid", "relu", "leaky_relu", "gelu"}


def test_bad_arguments():
    x = torch.randn(3)
    with pytest.raises(TypeError, match="input must be a torch.Tensor, got list"):
        relu([1.0, -1.0])
    with pytest.raises(TypeError, match="input must be a floating-point tensor, got torch.int64"):
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
