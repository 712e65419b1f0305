"""Pooling (§4.4) against PyTorch: values and gradients, modules, sizes and bad arguments.

Tolerances (tests/_bounds.py). A max pooling output *selects* one input entry, so its
values must equal PyTorch's exactly, in any dtype. Its gradient is exact too when the
windows do not overlap (each input entry receives at most one upstream value); when they
overlap, an entry that wins several windows receives the sum of their upstream values,
which the two implementations may add in another order: a sum of at most K terms (K the
number of entries of a window, which bounds the windows an entry belongs to), so the two
differ by at most 2·γ_K·Σ|upstream values received| (γ_K ≈ K·u, u = 2⁻²⁴ in float32, 2⁻⁵³
in float64); autograd with |upstream| gives that sum for every entry.

An average pooling output is a sum of at most K terms, then a division (PyTorch may
multiply by a rounded reciprocal: two roundings), and each gradient entry a sum of at
most K upstream values, each divided: both are off by at most γ_{K+2}·Σ|terms|, with
Σ|terms| the average pooling of |x| (values) or its gradient for |upstream|.
"""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import assert_within, gamma
from lbdl_book.nn import pooling
from lbdl_book.nn.pooling import (AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d, avg_pool1d, avg_pool2d, max_pool1d,
                                  max_pool2d, pool_output_size)

DTYPES = [torch.float32, torch.float64]

SHAPES_1D = [(2, 3, 17), (1, 1, 9), (4, 2, 32), (3, 17)]        # the last one is unbatched (C, L)
SHAPES_2D = [(2, 3, 13, 11), (1, 2, 8, 8), (3, 9, 10)]          # the last one is unbatched (C, H, W)
# (kernel_size, stride, padding, dilation): default stride (non-overlapping), overlapping
# windows, padding, dilation, and their combinations
GEOMETRY_1D = [(2, None, 0, 1), (3, None, 1, 1), (3, 1, 1, 1), (3, 2, 1, 2), (4, 3, 2, 1), (5, 1, 2, 3), (1, 1, 0, 1)]
GEOMETRY_2D = [(2, None, 0, 1), (3, 2, 1, 1), ((3, 2), (2, 1), (1, 1), (2, 1)), (4, 1, 2, (1, 2)),
               ((2, 4), None, (1, 2), 1), (3, 1, 1, 1)]


def distinct_values(shape, dtype, seed):
    """A tensor whose entries are all different (no ties), shuffled integers centred on 0."""
    g = torch.Generator().manual_seed(seed)
    n = math.prod(shape)
    return (torch.randperm(n, generator=g).to(dtype) - n / 2).reshape(shape)


def value_and_grad(f, x, upstream):
    x = x.detach().clone().requires_grad_(True)
    y = f(x)
    (grad,) = torch.autograd.grad(y, x, grad_outputs=upstream)
    return y, grad


def window(kernel_size, spatial):
    """K: the number of entries of a window (an int kernel size is repeated per spatial dim)."""
    return math.prod(kernel_size) if isinstance(kernel_size, tuple) else kernel_size ** spatial


def compare(ours, theirs, x, seed, k, kind):
    """Values and input gradients of two pooling functions, for a random upstream gradient.

    ``kind`` "max": values exact, gradients 2·γ_K·Σ|upstream received|; "avg": values and
    gradients 2·γ_{K+2}·Σ|terms| (module docstring), K = the number of entries of a window."""
    reference = theirs(x)
    upstream = torch.randn(reference.shape, generator=torch.Generator().manual_seed(seed), dtype=x.dtype)
    y, grad = value_and_grad(ours, x, upstream)
    y_ref, grad_ref = value_and_grad(theirs, x, upstream)
    assert y.shape == y_ref.shape and y.dtype == x.dtype
    terms = k if kind == "max" else k + 2
    _, received = value_and_grad(theirs, x, upstream.abs())        # Σ|upstream| per entry, the same routing
    value_bound = 0.0 if kind == "max" else 2 * gamma(terms, x.dtype) * theirs(x.abs())
    assert_within(y, y_ref, value_bound)
    assert_within(grad, grad_ref, 2 * gamma(terms, x.dtype) * received)
    return y, grad


# --- max pooling --------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES_1D)
@pytest.mark.parametrize(("k", "s", "p", "d"), GEOMETRY_1D)
def test_max_pool1d_matches_torch(dtype, shape, k, s, p, d):
    if pool_output_size(shape[-1], k, s, p, d) < 1:
        pytest.fail("test geometry does not fit the input")
    for seed, x in enumerate([distinct_values(shape, dtype, 0),
                              torch.randn(shape, generator=torch.Generator().manual_seed(1), dtype=dtype)]):
        compare(lambda v: max_pool1d(v, k, s, p, d), lambda v: F.max_pool1d(v, k, s, p, d), x, seed,
                window(k, 1), "max")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES_2D)
@pytest.mark.parametrize(("k", "s", "p", "d"), GEOMETRY_2D)
def test_max_pool2d_matches_torch(dtype, shape, k, s, p, d):
    x = distinct_values(shape, dtype, 2)
    compare(lambda v: max_pool2d(v, k, s, p, d), lambda v: F.max_pool2d(v, k, s, p, d), x, 3, window(k, 2), "max")


def test_max_pool_gradient_goes_to_the_arg_max_only():
    x = torch.tensor([[[1.0, 5.0, 2.0, 0.0, 3.0, 4.0]]], requires_grad=True)
    y = max_pool1d(x, 3)                       # windows (1, 5, 2) and (0, 3, 4)
    assert y.tolist() == [[[5.0, 4.0]]]
    (grad,) = torch.autograd.grad(y, x, grad_outputs=torch.tensor([[[10.0, 20.0]]]))
    assert grad.tolist() == [[[0.0, 10.0, 0.0, 0.0, 0.0, 20.0]]]
    # overlapping windows: an entry that wins two windows collects both gradients
    y = max_pool1d(x, 2, stride=1)             # (1,5) (5,2) (2,0) (0,3) (3,4)
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert grad.tolist() == [[[0.0, 2.0, 1.0, 0.0, 1.0, 1.0]]]


@pytest.mark.parametrize(("shape", "k", "s"), [((2, 3, 12), 3, 1), ((2, 3, 12), 2, None), ((1, 2, 9, 9), 3, 1),
                                                ((1, 2, 8, 8), 2, None)])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum_like_torch(shape, k, s):
    # entries in {0, 1, 2}: most windows hold several equal maxima
    x = torch.randint(0, 3, shape, generator=torch.Generator().manual_seed(4)).double()
    ours, theirs = (max_pool1d, F.max_pool1d) if len(shape) == 3 else (max_pool2d, F.max_pool2d)
    upstream = torch.rand(theirs(x, k, s).shape, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    y, grad = value_and_grad(lambda v: ours(v, k, s), x, upstream)
    y_ref, grad_ref = value_and_grad(lambda v: theirs(v, k, s), x, upstream)
    assert torch.equal(y, y_ref)
    # summation order aside (overlapping windows), the same entries receive the gradient:
    # sums of at most K upstream values, 2·γ_K·Σ|received| apart
    _, received = value_and_grad(lambda v: theirs(v, k, s), x, upstream.abs())
    assert_within(grad, grad_ref, 2 * gamma(window(k, len(shape) - 2), torch.float64) * received)
    assert torch.equal(grad != 0, grad_ref != 0)


def test_max_pool_padding_never_wins():
    x = -torch.ones(1, 1, 5) * 100             # all entries far below 0: a zero padding would win
    assert (max_pool1d(x, 3, padding=1) == -100).all()
    assert (max_pool2d(-torch.ones(1, 1, 4, 4) * 100, 2, stride=1, padding=1) == -100).all()


def test_max_pool_is_a_logical_or_on_binary_maps():
    x = torch.rand(3, 4, 12, 12, generator=torch.Generator().manual_seed(6)) > 0.9
    pooled = max_pool2d(x.float(), 3)
    windows = x.reshape(3, 4, 4, 3, 4, 3).any(dim=5).any(dim=3)
    assert torch.equal(pooled.bool(), windows)


def test_max_pool_gradcheck():
    x = distinct_values((1, 2, 7, 6), torch.float64, 7) / 10
    assert torch.autograd.gradcheck(lambda v: max_pool2d(v, 3, stride=2, padding=1, dilation=1), (x.requires_grad_(),))
    x = distinct_values((2, 9), torch.float64, 8) / 10
    assert torch.autograd.gradcheck(lambda v: max_pool1d(v, 2, stride=1, dilation=2), (x.requires_grad_(),))


# --- average pooling ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES_1D)
@pytest.mark.parametrize(("k", "s", "p"), [(g[0], g[1], g[2]) for g in GEOMETRY_1D])
def test_avg_pool1d_matches_torch(dtype, shape, k, s, p):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(9), dtype=dtype)
    for count_include_pad in (True, False):
        compare(lambda v: avg_pool1d(v, k, s, p, count_include_pad=count_include_pad),
                lambda v: F.avg_pool1d(v, k, s, p, count_include_pad=count_include_pad), x, 10, window(k, 1), "avg")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES_2D)
@pytest.mark.parametrize(("k", "s", "p"), [(g[0], g[1], g[2]) for g in GEOMETRY_2D])
def test_avg_pool2d_matches_torch(dtype, shape, k, s, p):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(11), dtype=dtype)
    for count_include_pad, divisor_override in [(True, None), (False, None), (True, 5)]:
        kwargs = dict(count_include_pad=count_include_pad, divisor_override=divisor_override)
        compare(lambda v: avg_pool2d(v, k, s, p, **kwargs), lambda v: F.avg_pool2d(v, k, s, p, **kwargs), x, 12,
                window(k, 2), "avg")


def test_avg_pool_is_linear_and_max_pool_is_not():
    g = torch.Generator().manual_seed(13)
    a, b = torch.randn(2, 3, 8, 8, generator=g, dtype=torch.float64), torch.randn(2, 3, 8, 8, generator=g,
                                                                                   dtype=torch.float64)
    # left: 2a − 3b rounds (≤ 2u·(2|a| + 3|b|)), then a mean of 4 (γ_6); right: two means, the
    # products and the difference (γ_8): both within γ_8 of the exact value on (2|a| + 3|b|)
    assert_within(avg_pool2d(2 * a - 3 * b, 2), 2 * avg_pool2d(a, 2) - 3 * avg_pool2d(b, 2),
                  2 * gamma(8, torch.float64) * avg_pool2d(2 * a.abs() + 3 * b.abs(), 2))
    assert (max_pool2d(a + b, 2) - (max_pool2d(a, 2) + max_pool2d(b, 2))).abs().max() > 0.1
    # the gradient of average pooling is 1/K on every entry of the window
    x = a.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(avg_pool2d(x, 2).sum(), x)
    assert torch.equal(grad, torch.full_like(grad, 0.25))


def test_global_average_pooling_is_the_mean():
    x = torch.randn(2, 16, 7, 7, generator=torch.Generator().manual_seed(14), dtype=torch.float64)
    # means of the same 49 numbers, summed in different orders: 2·γ_51·mean|x| apart at most
    bound = 2 * gamma(49 + 2, torch.float64) * x.abs().mean(dim=(2, 3))
    assert_within(avg_pool2d(x, 7)[..., 0, 0], x.mean(dim=(2, 3)), bound)
    assert_within(avg_pool2d(x, (7, 7))[..., 0, 0], F.adaptive_avg_pool2d(x, 1)[..., 0, 0], bound)


# --- sizes -----------------------------------------------------------------------------------

def test_output_size_formula():
    # the default stride is the kernel size: the length is divided by it
    assert pool_output_size(12, 3) == 4 and pool_output_size(13, 3) == 4
    assert pool_output_size(28, 3, 3) == 9
    for size, k, s, p, d in itertools.product([5, 8, 17], [1, 2, 3], [None, 1, 2], [0, 1], [1, 2]):
        if p > k // 2:
            continue
        expected = F.max_pool1d(torch.zeros(1, 1, size), k, s, p, d).shape[-1] if pool_output_size(
            size, k, s, p, d) >= 1 else None
        if expected is not None:
            assert pool_output_size(size, k, s, p, d) == expected == max_pool1d(torch.zeros(1, size), k, s, p,
                                                                                d).shape[-1]


def test_pooling_keeps_batch_and_channels_and_works_unbatched():
    x = torch.randn(5, 7, 12, 12)
    assert max_pool2d(x, 2).shape == (5, 7, 6, 6) == avg_pool2d(x, 2).shape
    assert torch.equal(max_pool2d(x[0], 3), max_pool2d(x, 3)[0])
    assert_within(avg_pool1d(x[0, :, 0], 4), F.avg_pool1d(x[0, :, 0], 4),
                  2 * gamma(4 + 2, x.dtype) * F.avg_pool1d(x[0, :, 0].abs(), 4))


# --- modules ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("ours", "theirs", "args", "kwargs", "shape"), [
    (MaxPool1d, nn.MaxPool1d, (3,), {}, (2, 4, 12)),
    (MaxPool1d, nn.MaxPool1d, (3, 2, 1, 2), {}, (2, 4, 12)),
    (MaxPool2d, nn.MaxPool2d, (2,), {}, (2, 4, 8, 8)),
    (MaxPool2d, nn.MaxPool2d, ((3, 2),), {"stride": 1, "padding": (1, 0), "dilation": (1, 2)}, (2, 4, 8, 9)),
    (AvgPool1d, nn.AvgPool1d, (4,), {}, (2, 4, 12)),
    (AvgPool1d, nn.AvgPool1d, (3, 1, 1), {"count_include_pad": False}, (2, 4, 12)),
    (AvgPool2d, nn.AvgPool2d, (2,), {}, (2, 4, 8, 8)),
    (AvgPool2d, nn.AvgPool2d, (3, 2, 1), {"count_include_pad": False}, (2, 4, 9, 8)),
    (AvgPool2d, nn.AvgPool2d, (3,), {"divisor_override": 4}, (2, 4, 9, 9)),
])
def test_modules_mirror_torch(ours, theirs, args, kwargs, shape):
    mine, reference = ours(*args, **kwargs), theirs(*args, **kwargs)
    assert repr(mine) == repr(reference)
    assert mine.state_dict() == {} == dict(reference.state_dict()) and list(mine.parameters()) == []
    mine.load_state_dict(reference.state_dict())
    x = torch.randn(shape, generator=torch.Generator().manual_seed(15), dtype=torch.float64)
    if isinstance(mine, (MaxPool1d, MaxPool2d)):
        assert torch.equal(mine(x), reference(x))                 # max pooling selects: exact
    else:                                                          # a mean of ≤ K entries: 2·γ_{K+2}·Σ|terms|
        k = window(mine.kernel_size, 1 if isinstance(mine, AvgPool1d) else 2)
        assert_within(mine(x), reference(x), 2 * gamma(k + 2, x.dtype) * reference(x.abs()))
    for name in ("kernel_size", "stride", "padding", "ceil_mode"):
        assert getattr(mine, name) == getattr(reference, name), name


def test_modules_refuse_what_they_do_not_implement():
    with pytest.raises(ValueError, match="ceil_mode=True is not implemented"):
        MaxPool2d(2, ceil_mode=True)
    with pytest.raises(ValueError, match="ceil_mode=True is not implemented"):
        AvgPool1d(2, ceil_mode=True)
    with pytest.raises(ValueError, match="return_indices=True is not implemented"):
        MaxPool1d(2, return_indices=True)
    with pytest.raises(ValueError, match=r"kernel_size must be an int >= 1 or a tuple of 2 such ints, got \(2, 2, 2\)"):
        MaxPool2d((2, 2, 2))
    with pytest.raises(ValueError, match="stride must be an int >= 1, got 0"):
        AvgPool1d(2, stride=0)


# --- bad arguments -----------------------------------------------------------------------------

def test_bad_arguments_raise_clear_errors():
    x1, x2 = torch.randn(2, 3, 10), torch.randn(2, 3, 10, 10)
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        max_pool1d([1.0, 2.0], 2)
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got torch.int64"):
        max_pool1d(torch.ones(1, 4, dtype=torch.long), 2)
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, L\) or \(C, L\), got \(10,\)"):
        max_pool1d(torch.randn(10), 2)
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\) or \(C, H, W\), got \(10, 10\)"):
        avg_pool2d(x2[0, 0], 2)
    with pytest.raises(ValueError, match="kernel_size must be an int >= 1, got 0"):
        max_pool1d(x1, 0)
    with pytest.raises(ValueError, match="kernel_size must be an int >= 1, got 1.5"):
        avg_pool1d(x1, 1.5)
    with pytest.raises(ValueError, match=r"kernel_size must be an int >= 1, got \(2, 2\)"):
        max_pool1d(x1, (2, 2))
    with pytest.raises(ValueError, match="stride must be an int >= 1 or a tuple of 2 such ints, got -1"):
        max_pool2d(x2, 2, stride=-1)
    with pytest.raises(ValueError, match="padding must be an int >= 0 or a tuple of 2 such ints, got -1"):
        avg_pool2d(x2, 2, padding=-1)
    with pytest.raises(ValueError, match="dilation must be an int >= 1 or a tuple of 2 such ints, got 0"):
        max_pool2d(x2, 2, dilation=0)
    with pytest.raises(ValueError, match=r"padding must be at most half of kernel_size .* got padding=\(2,\) and "
                                         r"kernel_size=\(3,\)"):
        max_pool1d(x1, 3, padding=2)
    with pytest.raises(ValueError, match=r"too small for kernel_size=\(11,\).*output size would be \(0,\)"):
        max_pool1d(x1, 11)
    with pytest.raises(ValueError, match=r"too small for kernel_size=\(3, 11\)"):
        avg_pool2d(x2, (3, 11))
    with pytest.raises(ValueError, match="divisor_override must be an int >= 1, got 0"):
        avg_pool2d(x2, 2, divisor_override=0)


def test_pooling_does_not_call_the_torch_functions_it_reimplements(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("lbdl_book.nn.pooling must compute pooling from the windows")

    for module, name in [(F, "max_pool1d"), (F, "max_pool2d"), (F, "avg_pool1d"), (F, "avg_pool2d"),
                         (F, "max_pool1d_with_indices"), (F, "max_pool2d_with_indices"), (F, "adaptive_avg_pool2d"),
                         (F, "adaptive_max_pool2d"), (F, "lp_pool2d"), (torch, "max_pool1d"), (torch, "max_pool2d"),
                         (torch, "avg_pool1d"), (torch, "conv1d"), (torch, "conv2d")]:
        monkeypatch.setattr(module, name, forbidden)
    x = torch.randn(2, 3, 8, 8, requires_grad=True)
    (max_pool2d(x, 2).sum() + avg_pool2d(x, 3, 1, 1).sum() + max_pool1d(x[:, :, 0], 2).sum()
     + avg_pool1d(x[:, :, 0], 2).sum()).backward()


def test_module_exports():
    assert sorted(pooling.__all__) == ["AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d", "avg_pool1d", "avg_pool2d",
                                       "max_pool1d", "max_pool2d", "pool_output_size"]
