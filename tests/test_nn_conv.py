"""lbdl_book.nn.conv (§4.2, convolutional layers) against torch.nn.functional and torch.nn.

Tolerances (tests/_bounds.py). A convolution, transposed or not, is linear in its input,
its weight and its bias: every output value is a sum of n products (n = (D/groups)·K(·L)
+ 1 inside the input, fewer where the window meets zero padding) and every gradient
entry a sum over the batch and the positions. PyTorch and we sum in different orders
(PyTorch's kernels; our unfold + matmul / index_add), and each is off the exact sum by at
most γ_n·Σ|terms| (γ_n ≈ n·u, u = 2⁻²⁴ in float32, 2⁻⁵³ in float64): `_bounds.multilinear`
evaluates n and Σ|terms| for every entry by running the convolution on ones and on the
absolute values. A wrong tap, stride, dilation or padding changes entries by O(Σ|terms|).
"""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import assert_within, multilinear, unit_roundoff
from lbdl_book.nn import conv as conv_module
from lbdl_book.nn.conv import (Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, ReceptiveField, conv1d, conv2d,
                               conv_output_size, conv_transpose1d, conv_transpose2d, conv_transpose_output_size,
                               receptive_field)

DTYPES = [torch.float32, torch.float64]



def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def compare(ours_fn, torch_fn, tensors, dtype, upstream_seed=0):
    """Values of ours_fn(*tensors) and torch_fn(*tensors), and the gradients of
    ⟨upstream, output⟩ with respect to every tensor that requires grad."""
    ours, theirs = ours_fn(*tensors), torch_fn(*tensors)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == dtype
    upstream = torch.randn(ours.shape, generator=generator(upstream_seed), dtype=dtype)
    value_bound, grad_bounds = multilinear(torch_fn, tensors, upstream)
    assert_within(ours, theirs, value_bound)
    wrt = [i for i, x in enumerate(tensors) if x is not None and x.requires_grad]
    for a, b, i in zip(torch.autograd.grad(ours, [tensors[i] for i in wrt], upstream),
                       torch.autograd.grad(theirs, [tensors[i] for i in wrt], upstream), wrt):
        assert_within(a, b, grad_bounds[i])
    return ours


def tensors(shape_x, shape_w, out_channels, dtype, seed, with_bias=True):
    g = generator(seed)
    x = torch.randn(shape_x, generator=g, dtype=dtype, requires_grad=True)
    w = torch.randn(shape_w, generator=g, dtype=dtype, requires_grad=True)
    b = torch.randn(out_channels, generator=g, dtype=dtype, requires_grad=True) if with_bias else None
    return x, w, b


# (N, D, T, D', K, stride, padding, dilation, groups, bias); N = 0 means an unbatched input
CONV1D_CASES = [
    (1, 1, 5, 1, 1, 1, 0, 1, 1, True),
    (2, 3, 9, 4, 3, 1, 0, 1, 1, True),
    (3, 4, 12, 6, 3, 2, 1, 1, 2, False),
    (2, 2, 11, 3, 4, 3, 2, 2, 1, True),
    (4, 3, 7, 2, 2, 1, "same", 3, 1, True),
    (2, 4, 10, 4, 5, 1, "valid", 1, 4, True),
    (0, 3, 8, 5, 3, 2, 1, 1, 1, True),
]


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")   # PyTorch's, not ours
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV1D_CASES)
def test_conv1d_matches_torch(dtype, case):
    n, d, t, d_out, k, s, p, dil, groups, with_bias = case
    shape_x = (d, t) if n == 0 else (n, d, t)
    x, w, b = tensors(shape_x, (d_out, d // groups, k), d_out, dtype, hash(case) % 1000, with_bias)
    y = compare(lambda *a: conv1d(*a, stride=s, padding=p, dilation=dil, groups=groups),
                lambda *a: F.conv1d(*a, stride=s, padding=p, dilation=dil, groups=groups), (x, w, b), dtype)
    if not isinstance(p, str):
        assert y.shape[-1] == conv_output_size(t, k, s, p, dil)


# (N, D, (H, W), D', (K, L), stride, padding, dilation, groups, bias)
CONV2D_CASES = [
    (1, 1, (5, 5), 1, (1, 1), 1, 0, 1, 1, True),
    (2, 3, (8, 9), 4, (3, 3), 1, 1, 1, 1, True),
    (2, 4, (9, 7), 6, (3, 2), (2, 1), (1, 0), (1, 2), 2, False),
    (3, 2, (10, 10), 3, (4, 4), 3, 2, 2, 1, True),
    (2, 3, (7, 8), 3, (3, 2), 1, "same", (2, 1), 3, True),
    (0, 3, (6, 7), 2, (3, 3), 2, 1, 1, 1, True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d_matches_torch(dtype, case):
    n, d, (h, w_), d_out, k, s, p, dil, groups, with_bias = case
    shape_x = (d, h, w_) if n == 0 else (n, d, h, w_)
    x, w, b = tensors(shape_x, (d_out, d // groups, *k), d_out, dtype, len(str(case)), with_bias)
    compare(lambda *a: conv2d(*a, stride=s, padding=p, dilation=dil, groups=groups),
            lambda *a: F.conv2d(*a, stride=s, padding=p, dilation=dil, groups=groups), (x, w, b), dtype)


# (N, D, T, D', K, stride, padding, output_padding, dilation, groups, bias)
CONV_T1D_CASES = [
    (1, 1, 4, 1, 1, 1, 0, 0, 1, 1, True),
    (2, 3, 5, 4, 3, 1, 0, 0, 1, 1, True),
    (2, 4, 6, 2, 4, 2, 1, 1, 1, 2, False),
    (3, 2, 5, 3, 3, 3, 2, 2, 2, 1, True),
    (2, 2, 7, 3, 2, 1, 0, 1, 2, 1, True),
    (0, 3, 6, 4, 3, 2, 1, 0, 1, 1, True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_T1D_CASES)
def test_conv_transpose1d_matches_torch(dtype, case):
    n, d, t, d_out, k, s, p, op, dil, groups, with_bias = case
    shape_x = (d, t) if n == 0 else (n, d, t)
    x, w, b = tensors(shape_x, (d, d_out // groups, k), d_out, dtype, len(str(case)) + 1, with_bias)
    y = compare(lambda *a: conv_transpose1d(*a, stride=s, padding=p, output_padding=op, groups=groups, dilation=dil),
                lambda *a: F.conv_transpose1d(*a, stride=s, padding=p, output_padding=op, groups=groups,
                                              dilation=dil), (x, w, b), dtype)
    assert y.shape[-1] == conv_transpose_output_size(t, k, s, p, op, dil)


CONV_T2D_CASES = [
    (1, 1, (3, 3), 1, (1, 1), 1, 0, 0, 1, 1, True),
    (2, 3, (4, 5), 2, (3, 3), 2, 1, 1, 1, 1, True),
    (2, 4, (5, 4), 6, (3, 2), (2, 3), (1, 0), (1, 2), (1, 1), 2, False),
    (3, 2, (4, 4), 3, (4, 4), 2, 1, 0, 2, 1, True),
    (0, 3, (3, 4), 2, (2, 3), 1, 0, 0, 1, 1, True),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CONV_T2D_CASES)
def test_conv_transpose2d_matches_torch(dtype, case):
    n, d, (h, w_), d_out, k, s, p, op, dil, groups, with_bias = case
    shape_x = (d, h, w_) if n == 0 else (n, d, h, w_)
    x, w, b = tensors(shape_x, (d, d_out // groups, *k), d_out, dtype, len(str(case)) + 2, with_bias)
    compare(lambda *a: conv_transpose2d(*a, stride=s, padding=p, output_padding=op, groups=groups, dilation=dil),
            lambda *a: F.conv_transpose2d(*a, stride=s, padding=p, output_padding=op, groups=groups, dilation=dil),
            (x, w, b), dtype)


# --- the book's definitions, without PyTorch's convolutions ------------------------------

def test_conv1d_is_phi_on_every_window():
    """Y[:, t] = φ(X[:, t·s + k·d for k < K]) = W·window + b, window by window."""
    x, w, b = tensors((3, 13), (4, 3, 3), 4, torch.float64, 5)
    for s, dil in [(1, 1), (2, 1), (1, 3), (3, 2)]:
        y = conv1d(x, w, b, stride=s, dilation=dil)
        span = dil * 2 + 1
        windows = [x[:, t:t + span:dil] for t in range(0, 13 - span + 1, s)]
        expected = torch.stack([(w * window).sum(dim=(1, 2)) + b for window in windows], dim=1)
        assert_within(y, expected, multilinear(lambda *a: F.conv1d(*a, stride=s, dilation=dil), (x, w, b)))


def test_conv2d_is_phi_on_every_window():
    x, w, b = tensors((2, 7, 8), (3, 2, 3, 2), 3, torch.float64, 6)
    y = conv2d(x, w, b, stride=(2, 1))
    for i, j in itertools.product(range(y.shape[1]), range(y.shape[2])):
        window = x[:, 2 * i:2 * i + 3, j:j + 2]
        assert_within(y[:, i, j], (w * window).sum(dim=(1, 2, 3)) + b,
                      multilinear(lambda *a: F.conv2d(*a, stride=(2, 1)), (x, w, b))[:, i, j])


def test_conv_transpose1d_is_the_sum_of_shifted_psi_patches():
    """Y = Σ_t (patch ψ(X[:, t]) of D' × K placed at t·s, taps d apart), then cropped."""
    x, w, b = tensors((3, 5), (3, 2, 4), 2, torch.float64, 7)
    for s, dil, p in [(1, 1, 0), (2, 1, 0), (3, 2, 0), (2, 1, 1)]:
        full = torch.zeros(2, 4 * s + dil * 3 + 1, dtype=torch.float64)
        for t in range(5):
            patch = torch.einsum("d,dek->ek", x[:, t], w)             # ψ(X[:, t]): (D', K)
            full[:, t * s: t * s + dil * 3 + 1: dil] += patch
        expected = full[:, p:full.shape[1] - p] + b[:, None]
        assert_within(conv_transpose1d(x, w, b, stride=s, padding=p, dilation=dil), expected,
                      multilinear(lambda *a: F.conv_transpose1d(*a, stride=s, padding=p, dilation=dil), (x, w, b)))


def test_conv_transpose2d_is_the_sum_of_shifted_psi_patches():
    x, w, b = tensors((2, 3, 4), (2, 3, 3, 2), 3, torch.float64, 8)
    full = torch.zeros(3, 2 * 2 + 3, 3 * 2 + 2, dtype=torch.float64)
    for h, v in itertools.product(range(3), range(4)):
        full[:, 2 * h:2 * h + 3, 2 * v:2 * v + 2] += torch.einsum("d,dekl->ekl", x[:, h, v], w)
    assert_within(conv_transpose2d(x, w, b, stride=2), full + b[:, None, None],
                  multilinear(lambda *a: F.conv_transpose2d(*a, stride=2), (x, w, b)))


@pytest.mark.parametrize(("s", "p", "dil"), [(1, 0, 1), (2, 1, 1), (3, 2, 2), (2, 0, 3)])
def test_transposed_convolution_is_the_adjoint_of_convolution(s, p, dil):
    """⟨conv(x), y⟩ = ⟨x, conv_transpose(y)⟩ with the same weight: the transpose of the
    convolution's matrix, hence the name (and not its inverse)."""
    g = generator(9)
    for spatial in [(17,), (11, 13)]:
        dims = len(spatial)
        conv, conv_t = (conv1d, conv_transpose1d) if dims == 1 else (conv2d, conv_transpose2d)
        x = torch.randn(2, 3, *spatial, generator=g, dtype=torch.float64)
        w = torch.randn(4, 3, *(3,) * dims, generator=g, dtype=torch.float64)
        y_shape = conv(x, w, stride=s, padding=p, dilation=dil).shape
        y = torch.randn(y_shape, generator=g, dtype=torch.float64)
        # output_padding recovers the input size when the stride skipped the last cells
        op = [spatial[i] - conv_transpose_output_size(y_shape[2 + i], 3, s, p, 0, dil) for i in range(dims)]
        back = conv_t(y, w, stride=s, padding=p, output_padding=op, dilation=dil)
        assert back.shape == x.shape
        left, right = (conv(x, w, stride=s, padding=p, dilation=dil) * y).sum(), (x * back).sum()
        # both sides sum the same products x·w·y: 2·γ_n·Σ|x·w·y| apart at most
        reference = F.conv1d if dims == 1 else F.conv2d
        assert_within(left, right, multilinear(lambda x, w, y: (reference(x, w, stride=s, padding=p, dilation=dil)
                                                                * y).sum(), (x, w, y)))


def test_translation_equivariance():
    """Shifting the input shifts the output: exactly, where no padding is involved, and
    everywhere with circular padding."""
    x, w, b = tensors((1, 2, 30), (3, 2, 5), 3, torch.float64, 10)
    y = conv1d(x, w, b)
    shifted = conv1d(x.roll(4, dims=2), w, b)
    # the same windows, summed by kernels that may differ with the position: 2·γ_n·Σ|terms|
    assert_within(shifted[..., 4:], y[..., :-4], multilinear(F.conv1d, (x, w, b))[..., :-4])
    layer = Conv2d(2, 3, 3, padding=1, padding_mode="circular", dtype=torch.float64)
    image = torch.randn(1, 2, 12, 10, generator=generator(11), dtype=torch.float64)
    with torch.no_grad():
        bound = multilinear(lambda *a: torch.func.functional_call(layer, dict(zip(("weight", "bias"), a[1:])), a[:1]),
                            (image, layer.weight, layer.bias))
        assert_within(layer(image.roll((3, -2), dims=(2, 3))), layer(image).roll((3, -2), dims=(2, 3)),
                      bound.roll((3, -2), dims=(2, 3)))


# --- modules ---------------------------------------------------------------------------------

MODULE_CASES = [
    (Conv1d, nn.Conv1d, (4, 6, 3), dict(), (2, 4, 15)),
    (Conv1d, nn.Conv1d, (4, 6, 3), dict(stride=2, padding=2, dilation=2, groups=2, bias=False), (2, 4, 15)),
    (Conv1d, nn.Conv1d, (4, 6, 4), dict(padding="same", padding_mode="reflect"), (2, 4, 15)),
    (Conv1d, nn.Conv1d, (4, 6, 3), dict(padding=2, padding_mode="circular"), (4, 15)),
    (Conv2d, nn.Conv2d, (3, 4, 3), dict(padding=1), (2, 3, 9, 8)),
    (Conv2d, nn.Conv2d, (4, 6, (3, 2)), dict(stride=(2, 1), padding=(1, 2), dilation=(2, 1), groups=2,
                                                padding_mode="replicate"), (2, 4, 9, 8)),
    (Conv2d, nn.Conv2d, (3, 4, 3), dict(padding="same", padding_mode="circular"), (3, 9, 8)),
    (ConvTranspose1d, nn.ConvTranspose1d, (4, 6, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 7)),
    (ConvTranspose1d, nn.ConvTranspose1d, (4, 6, 3), dict(groups=2, dilation=2, bias=False), (4, 7)),
    (ConvTranspose2d, nn.ConvTranspose2d, (3, 2, 4), dict(stride=2, padding=1), (2, 3, 8, 8)),
    (ConvTranspose2d, nn.ConvTranspose2d, (4, 2, (3, 2)), dict(stride=(2, 3), output_padding=(1, 2), groups=2),
     (2, 4, 5, 4)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", MODULE_CASES, ids=lambda c: f"{c[0].__name__}-{sorted(c[3].items())}")
def test_modules_load_torch_weights_and_match(dtype, case):
    ours_cls, torch_cls, args, kwargs, input_shape = case
    reference = torch_cls(*args, **kwargs, dtype=dtype)
    ours = ours_cls(*args, **kwargs, dtype=dtype)
    assert list(ours.state_dict()) == list(reference.state_dict())
    for name, value in reference.state_dict().items():
        assert ours.state_dict()[name].shape == value.shape, name
    for attribute in ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
                      "padding_mode", "output_padding", "transposed"):
        assert getattr(ours, attribute) == getattr(reference, attribute), attribute
    assert repr(ours) == repr(reference)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(input_shape, generator=generator(12), dtype=dtype, requires_grad=True)
    y, y_ref = ours(x), reference(x)
    upstream = torch.randn(y.shape, generator=generator(13), dtype=dtype)
    names = [name for name, _ in reference.named_parameters()]
    value_bound, grad_bounds = multilinear(
        lambda x, *params: torch.func.functional_call(reference, dict(zip(names, params)), (x,)),
        (x, *reference.parameters()), upstream)
    assert_within(y, y_ref, value_bound)
    ours_grads = torch.autograd.grad(y, [x, *ours.parameters()], upstream)
    ref_grads = torch.autograd.grad(y_ref, [x, *reference.parameters()], upstream)
    for a, b, bound in zip(ours_grads, ref_grads, grad_bounds):
        assert_within(a, b, bound)
    reference.load_state_dict(ours.state_dict())            # and back


@pytest.mark.parametrize(("ours_cls", "torch_cls", "args"), [
    (Conv1d, nn.Conv1d, (3, 5, 4)), (Conv2d, nn.Conv2d, (2, 6, (3, 2))),
    (ConvTranspose1d, nn.ConvTranspose1d, (3, 4, 5)), (ConvTranspose2d, nn.ConvTranspose2d, (4, 2, 3))])
def test_default_initialisation_is_pytorchs(ours_cls, torch_cls, args):
    torch.manual_seed(14)
    reference = torch_cls(*args)
    torch.manual_seed(14)
    ours = ours_cls(*args)
    # same draws; the bound b = 1/√fan_in is computed by another formula by PyTorch, so in
    # float32 it is ≤ 1 ulp (2u·b) apart, and each side rounds r·2b and r·2b − b: ≤ 8u·b
    bound = 1 / math.sqrt(reference.weight[0].numel())          # fan_in = weight.size(1) · kernel size
    assert_within(ours.weight, reference.weight, 8 * unit_roundoff(torch.float32) * bound)
    assert_within(ours.bias, reference.bias, 8 * unit_roundoff(torch.float32) * bound)


def test_conv_transpose_output_size_argument():
    ours, reference = ConvTranspose2d(2, 3, 3, stride=2, padding=1), nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1)
    ours.load_state_dict(reference.state_dict())
    x = torch.randn(1, 2, 5, 6, generator=generator(15))
    for size in [(9, 11), (10, 12), [1, 3, 10, 11]]:
        bound = multilinear(lambda x, w, b: torch.func.functional_call(reference, {"weight": w, "bias": b}, (x,),
                                                                       {"output_size": size}),
                            (x, reference.weight, reference.bias))
        assert_within(ours(x, output_size=size), reference(x, output_size=size), bound)
    with pytest.raises(ValueError, match=r"output_size \(12, 11\) is not reachable .* the smallest is \(9, 11\)"):
        ours(x, output_size=(12, 11))


# --- sizes and receptive fields, against what real layers produce ---------------------------

def test_conv_output_size_matches_real_layers():
    x = torch.zeros(1, 1, 12)
    checked = 0
    for t, k, s, p, d in itertools.product(range(1, 13), range(1, 5), range(1, 4), range(0, 3), range(1, 3)):
        layer = nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
        if t + 2 * p < d * (k - 1) + 1:
            with pytest.raises(ValueError, match="shorter than the dilated kernel"):
                conv_output_size(t, k, s, p, d)
            with pytest.raises(RuntimeError):
                layer(x[..., :t])
            continue
        assert conv_output_size(t, k, s, p, d) == layer(x[..., :t]).shape[-1], (t, k, s, p, d)
        checked += 1
        if p == 0 and d == 1 and (t - k) % s == 0:
            assert conv_output_size(t, k, s) == (t - k) // s + 1            # LBDL's T' = (T − K)/S + 1
    assert checked > 500


def test_conv_transpose_output_size_matches_real_layers():
    for t, k, s, p, d in itertools.product(range(1, 7), range(1, 5), range(1, 4), range(0, 3), range(1, 3)):
        for op in range(max(s, d)):
            layer = nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d, bias=False)
            expected = (t - 1) * s - 2 * p + d * (k - 1) + op + 1
            if expected < 1:
                with pytest.raises(ValueError, match="crops the whole output"):
                    conv_transpose_output_size(t, k, s, p, op, d)
                continue
            assert conv_transpose_output_size(t, k, s, p, op, d) == layer(torch.zeros(1, 1, t)).shape[-1]
    with pytest.raises(ValueError, match="output_padding must be smaller than stride or dilation"):
        conv_transpose_output_size(5, 3, stride=2, output_padding=2)


def gradient_support(stack, length, dims=1):
    """Indices of the input cells on which output unit `center` of the stack depends: the
    non-zero entries of the gradient of that unit with respect to the input."""
    x = torch.zeros((1, 1) + (length,) * dims, dtype=torch.float64, requires_grad=True)
    y = stack(x)
    center = tuple(n // 2 for n in y.shape[2:])
    (grad,) = torch.autograd.grad(y[(0, 0) + center], x)
    return grad[0, 0], center


@pytest.mark.parametrize("layers", [
    [(3, 1, 1)], [(3, 1, 1)] * 4, [(5, 2, 1), (3, 1, 1)], [(2, 1, 1), (2, 1, 2), (2, 1, 4), (2, 1, 8)],
    [(3, 2, 1)] * 3, [(4, 1, 2), (3, 3, 1), (2, 1, 1)], [(1, 1, 1), (7, 1, 1)]])
def test_receptive_field_matches_the_gradient_of_one_unit(layers):
    # positive weights: no cancellation can hide a dependency; padding on the first layer
    # shows that padding moves the field without changing its size
    convs = [nn.Conv1d(1, 1, k, stride=s, dilation=d, padding=1 if i == 0 else 0, bias=False, dtype=torch.float64)
             for i, (k, s, d) in enumerate(layers)]
    for conv in convs:
        nn.init.uniform_(conv.weight, 0.5, 1.0)
    stack = nn.Sequential(*convs)
    field = receptive_field(layers)
    assert receptive_field(convs) == field                          # modules give the same answer
    grad, (center,) = gradient_support(stack, 200)
    support = grad.nonzero().flatten()
    # the dependencies of a dilated stack may have holes; the field is the span
    assert support.max() - support.min() + 1 == field.size
    x = torch.zeros(1, 1, 200, dtype=torch.float64, requires_grad=True)
    (next_grad,) = torch.autograd.grad(stack(x)[0, 0, center + 1], x)
    assert next_grad[0, 0].nonzero().min() - support.min() == field.jump


def test_receptive_field_of_stacked_3x3_convolutions_in_2d():
    """Figure 4.4's setting: depth l of 3×3 convolutions sees a (2l + 1) × (2l + 1) square."""
    for depth in range(1, 7):
        convs = [Conv2d(1, 1, 3, bias=False, dtype=torch.float64) for _ in range(depth)]
        for conv in convs:
            nn.init.uniform_(conv.weight, 0.5, 1.0)
        grad, _ = gradient_support(nn.Sequential(*convs), 32, dims=2)
        rows, cols = grad.nonzero().unbind(1)
        side = receptive_field(convs).size
        assert side == 2 * depth + 1
        assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (side, side)
        assert len(rows) == side * side                                  # a full square
    assert receptive_field([nn.MaxPool2d(2), Conv2d(1, 1, (3, 5))], axis=1) == ReceptiveField(1 + 1 + 4 * 2, 2)


def test_gradcheck():
    x, w, b = tensors((2, 2, 6), (3, 2, 3), 3, torch.float64, 16)
    assert torch.autograd.gradcheck(lambda *a: conv1d(*a, stride=2, padding=1, dilation=2), (x, w, b))
    x, w, b = tensors((1, 2, 4, 5), (2, 3, 2, 3), 3, torch.float64, 17)
    assert torch.autograd.gradcheck(lambda *a: conv_transpose2d(*a, stride=2, padding=1, output_padding=1), (x, w, b))


def test_convolutions_do_not_call_the_torch_convolutions(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("lbdl_book.nn.conv must compute the convolution itself")

    for module, name in [(F, "conv1d"), (F, "conv2d"), (F, "conv_transpose1d"), (F, "conv_transpose2d"),
                         (torch, "conv1d"), (torch, "conv2d"), (torch, "conv_transpose1d"),
                         (torch, "conv_transpose2d"), (torch, "convolution"), (F, "fold")]:
        monkeypatch.setattr(module, name, forbidden)
    x = torch.randn(2, 2, 8, 8, requires_grad=True)
    for layer in (Conv2d(2, 3, 3, padding=1), ConvTranspose2d(2, 3, 3, stride=2), Conv2d(2, 2, 3, groups=2)):
        layer(x).sum().backward()
    for layer in (Conv1d(2, 3, 3, padding="same", padding_mode="circular"), ConvTranspose1d(2, 4, 3, groups=2)):
        layer(x[:, :, 0]).sum().backward()


# --- errors ----------------------------------------------------------------------------------

def test_errors():
    x, w = torch.zeros(2, 3, 10), torch.zeros(4, 3, 3)
    with pytest.raises(ValueError, match=r"conv1d: x must have shape \(N, C, L\) or \(C, L\), got \(2, 2, 3, 10\)"):
        conv1d(torch.zeros(2, 2, 3, 10), w)
    with pytest.raises(ValueError, match=r"expects 3 input channels .* got x of shape \(2, 5, 10\)"):
        conv1d(torch.zeros(2, 5, 10), w)
    with pytest.raises(ValueError, match=r"conv2d: weight must have 4 dimensions, got shape \(4, 3, 3\)"):
        conv2d(torch.zeros(2, 3, 8, 8), w)
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got torch.int64"):
        conv1d(x.long(), w)
    with pytest.raises(TypeError, match=r"weight must have the dtype of x \(torch.float32\), got torch.float64"):
        conv1d(x, w.double())
    with pytest.raises(TypeError, match=r"bias must have the dtype of x \(torch.float32\), got torch.float64"):
        conv2d(torch.zeros(1, 3, 8, 8), torch.zeros(4, 3, 3, 3), torch.zeros(4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\), got \(3,\)"):
        conv1d(x, w, torch.zeros(3))
    with pytest.raises(ValueError, match="stride must be an int >= 1, got 0"):
        conv1d(x, w, stride=0)
    with pytest.raises(ValueError, match=r"dilation must be an int or a tuple of 2 ints >= 1, got \(1, 0\)"):
        conv2d(torch.zeros(1, 3, 8, 8), torch.zeros(4, 3, 3, 3), dilation=(1, 0))
    with pytest.raises(ValueError, match="padding must be an int >= 0, got -1"):
        conv1d(x, w, padding=-1)
    with pytest.raises(ValueError, match="padding must be an int, a tuple of ints, 'valid' or 'same', got 'full'"):
        conv1d(x, w, padding="full")
    with pytest.raises(ValueError, match=r"padding='same' needs stride 1, got stride=\(2,\)"):
        conv1d(x, w, padding="same", stride=2)
    with pytest.raises(ValueError, match=r"shorter than the dilated kernel \(span 7"):
        conv1d(torch.zeros(1, 3, 6), w, dilation=3)
    with pytest.raises(ValueError, match="groups must be an int >= 1, got 0"):
        conv1d(x, w, groups=0)
    with pytest.raises(ValueError, match="output_padding must be smaller than stride or dilation"):
        conv_transpose1d(x, torch.zeros(3, 4, 3), output_padding=1)
    with pytest.raises(ValueError, match=r"expects 3 input channels divisible by groups=1, got x of shape \(2, 4, 10\)"):
        conv_transpose1d(torch.zeros(2, 4, 10), torch.zeros(3, 4, 3))
    with pytest.raises(ValueError, match="in_channels .* must be divisible by groups"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Conv1d: in_channels must be an int >= 1, got 0"):
        Conv1d(0, 4, 3)
    with pytest.raises(ValueError, match="kernel_size must be an int or a tuple of 2 ints >= 1, got 0"):
        Conv2d(3, 4, 0)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        Conv2d(3, 4, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="ConvTranspose2d: only padding_mode='zeros' is supported"):
        ConvTranspose2d(3, 4, 3, padding_mode="circular")
    with pytest.raises(ValueError, match="padding must be an int or a tuple of 2 ints >= 0, got 'same'"):
        ConvTranspose2d(3, 4, 3, padding="same")
    with pytest.raises(TypeError, match="each layer must be an int, a .* got 'conv'"):
        receptive_field(["conv"])
    with pytest.raises(TypeError, match="layers must be ints, .* got ReLU"):
        receptive_field([nn.ReLU()])
    with pytest.raises(ValueError, match="layer stride must be an int >= 1, got 0"):
        receptive_field([(3, 0)])


def test_module_exports():
    assert sorted(conv_module.__all__) == sorted([
        "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "ReceptiveField", "conv1d", "conv2d",
        "conv_output_size", "conv_transpose1d", "conv_transpose2d", "conv_transpose_output_size",
        "receptive_field"])
