"""Dropout (§4.5): the identity at test time, the right random mask and scaling in training.

Our masks come from another random stream than PyTorch's, so the two cannot agree entry
by entry. The tests check instead (1) the formula Y = X ⊙ M / (1 − p) and its gradient
M / (1 − p) exactly, for the mask that was drawn, both for ours and for PyTorch's
F.dropout / F.dropout2d (whose mask is read back from its zeros); (2) the distribution
of the mask, with statistical tests whose thresholds are 5 standard errors (a false
alarm probability below 6e-7 per check; the generators are seeded, so each run gives the
same numbers anyway).

Tolerances: the scaling multiplies by the float 1/(1 − p) computed as mask / (1 − p),
exactly as PyTorch does, so a survivor x·fl(1/(1 − p)) is within γ₂ (two roundings) of the
exact x / (1 − p), and the reference x / (1 − p) within u: they differ by at most γ₃
relative (γ_n = n·u/(1 − n·u), u = 2⁻²⁴ in float32, 2⁻⁵³ in float64; tests/_bounds.py).
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import assert_within, gamma
from lbdl_book.nn import dropout as dropout_module
from lbdl_book.nn.dropout import Dropout, Dropout2d, dropout, dropout2d, dropout_mask

DTYPES = [torch.float32, torch.float64]
SIGMAS = 5


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def positive(shape, dtype, seed=0):
    """Inputs that are never 0, so that an output zero means a dropped entry."""
    return torch.rand(shape, generator=generator(seed), dtype=dtype) + 0.5


def check_formula(x, y, p, dtype):
    """y is x ⊙ M / (1 − p) for the mask M = (y != 0); returns M."""
    keep = y != 0
    expected = x[keep] / (1 - p)
    assert_within(y[keep], expected, gamma(3, dtype) * expected.abs())
    return keep


# --- test mode, p = 0 and p = 1 ------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4, 5), (2, 3, 2, 2, 2)])
def test_eval_mode_is_the_identity(dtype, shape):
    x = torch.randn(shape, generator=generator(1), dtype=dtype)
    assert dropout(x, 0.5, training=False) is x
    layer = Dropout(0.5).eval()
    assert torch.equal(layer(x), x)
    reference = nn.Dropout(0.5).eval()
    assert torch.equal(layer(x), reference(x))
    if len(shape) == 4:
        assert torch.equal(Dropout2d(0.3).eval()(x), x) and dropout2d(x, 0.9, training=False) is x


@pytest.mark.parametrize("dtype", DTYPES)
def test_p_zero_is_the_identity_and_p_one_gives_zeros(dtype):
    x = torch.randn(3, 4, 5, 6, generator=generator(2), dtype=dtype, requires_grad=True)
    for f in (dropout, dropout2d):
        assert torch.equal(f(x, 0.0), x)
        y = f(x, 1.0)
        assert torch.equal(y, torch.zeros_like(x)) and torch.isfinite(y).all()
        (grad,) = torch.autograd.grad(y.sum(), x)
        assert torch.equal(grad, torch.zeros_like(x))
    assert torch.equal(F.dropout(x, 1.0), dropout(x, 1.0))


# --- the formula and its gradient, ours and PyTorch's -------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
@pytest.mark.parametrize("shape", [(1000,), (16, 64), (8, 4, 6, 6)])
def test_dropout_formula_and_gradient(dtype, p, shape):
    x = positive(shape, dtype, 3).requires_grad_(True)
    upstream = torch.randn(shape, generator=generator(4), dtype=dtype)
    for name, f in [("ours", lambda v: dropout(v, p, generator=generator(5))), ("torch", lambda v: F.dropout(v, p))]:
        torch.manual_seed(6)
        y = f(x)
        assert y.shape == x.shape and y.dtype == dtype, name
        keep = check_formula(x.detach(), y.detach(), p, dtype)
        assert torch.equal(y.detach()[~keep], torch.zeros_like(y.detach()[~keep])), name
        (grad,) = torch.autograd.grad(y, x, grad_outputs=upstream)
        # the gradient is the upstream gradient times the same mask, scaled by 1/(1 − p)
        expected = upstream * keep / (1 - p)
        assert_within(grad, expected, gamma(3, dtype) * expected.abs())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_dropout2d_zeroes_whole_channels(dtype, p):
    x = positive((16, 12, 5, 7), dtype, 7).requires_grad_(True)
    for name, f in [("ours", lambda v: dropout2d(v, p, generator=generator(8))), ("torch", lambda v: F.dropout2d(v, p))]:
        torch.manual_seed(9)
        y = f(x)
        keep = check_formula(x.detach(), y.detach(), p, dtype)
        # every (sample, channel) is either entirely dropped or entirely kept
        per_channel = keep.flatten(2)
        assert (per_channel.all(dim=2) | ~per_channel.any(dim=2)).all(), name
        assert 0 < per_channel.all(dim=2).sum() < 16 * 12, name
        (grad,) = torch.autograd.grad(y.sum(), x)
        expected = keep / (1 - p) * torch.ones_like(x)
        assert_within(grad, expected, gamma(3, dtype) * expected.abs())


def test_dropout2d_reads_a_3d_tensor_as_one_image():
    x = positive((12, 5, 5), torch.float64, 10)
    y = dropout2d(x, 0.5, generator=generator(11))
    kept = (y != 0).flatten(1)
    assert (kept.all(dim=1) | ~kept.any(dim=1)).all()        # whole (H, W) channels
    # the same as a batch of one image, for the same draw
    assert torch.equal(y, dropout2d(x[None], 0.5, generator=generator(11))[0])
    with pytest.raises(ValueError, match=r"x must have shape \(N, C, H, W\) or \(C, H, W\), got \(4, 5\)"):
        dropout2d(torch.ones(4, 5), 0.5)


# --- statistics of the mask ------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics(p):
    n = 200_000
    x = torch.ones(n, dtype=torch.float64)
    y = dropout(x, p, generator=generator(12))
    # fraction of zeros: a binomial proportion, standard error sqrt(p(1 − p)/n)
    zeros = (y == 0).double().mean().item()
    assert abs(zeros - p) < SIGMAS * math.sqrt(p * (1 - p) / n), zeros
    # the mean is preserved: each entry is 1/(1 − p) w.p. 1 − p, else 0, variance p/(1 − p)
    assert abs(y.mean().item() - 1) < SIGMAS * math.sqrt(p / (1 - p) / n), y.mean()
    # PyTorch's dropout passes the same tests
    torch.manual_seed(13)
    y_ref = F.dropout(x, p)
    assert abs((y_ref == 0).double().mean().item() - p) < SIGMAS * math.sqrt(p * (1 - p) / n)
    assert abs(y_ref.mean().item() - 1) < SIGMAS * math.sqrt(p / (1 - p) / n)


@pytest.mark.parametrize("p", [0.25, 0.5])
def test_dropout2d_drops_a_fraction_p_of_channels(p):
    n_channels = 40_000
    y = dropout2d(torch.ones(200, 200, 3, 3), p, generator=generator(14))
    dropped = (y[:, :, 0, 0] == 0).double().mean().item()
    assert abs(dropped - p) < SIGMAS * math.sqrt(p * (1 - p) / n_channels), dropped


@pytest.mark.parametrize("k", [1, 2, 5, 10])
def test_a_group_of_k_units_survives_with_probability_one_minus_p_to_the_k(k):
    p, n = 0.3, 100_000
    keep = dropout_mask((n, k), p, generator=generator(15))
    survived = keep.all(dim=1).double().mean().item()
    expected = (1 - p) ** k
    assert abs(survived - expected) < SIGMAS * math.sqrt(expected * (1 - expected) / n), (survived, expected)


def test_entries_are_dropped_independently():
    keep = dropout_mask((100_000, 2), 0.5, generator=generator(16)).double()
    # correlation of two entries of the same row: 0 up to 5 standard errors (1/sqrt(n))
    correlation = torch.corrcoef(keep.T)[0, 1].item()
    assert abs(correlation) < SIGMAS / math.sqrt(100_000)


# --- generators, in-place, modules ------------------------------------------------------------

def test_generator_makes_draws_repeatable():
    x = torch.ones(1000)
    assert torch.equal(dropout(x, 0.5, generator=generator(17)), dropout(x, 0.5, generator=generator(17)))
    assert not torch.equal(dropout(x, 0.5, generator=generator(17)), dropout(x, 0.5, generator=generator(18)))
    layer = Dropout(0.5, generator=generator(19))
    first, second = layer(x), layer(x)
    assert not torch.equal(first, second)             # the generator advances between calls
    assert torch.equal(Dropout(0.5, generator=generator(19))(x), first)
    torch.manual_seed(20)
    a = dropout(x, 0.5)
    torch.manual_seed(20)
    assert torch.equal(a, dropout(x, 0.5))              # without a generator: the global seed


def test_inplace_overwrites_the_input():
    x = positive((50,), torch.float32, 21)
    original = x.clone()
    y = dropout(x, 0.5, inplace=True, generator=generator(22))
    assert y is x
    check_formula(original, x, 0.5, torch.float32)
    y = Dropout2d(0.5, inplace=True)(x.reshape(5, 10, 1, 1))
    assert y.data_ptr() == x.data_ptr()


@pytest.mark.parametrize(("ours", "theirs"), [(Dropout, nn.Dropout), (Dropout2d, nn.Dropout2d)])
@pytest.mark.parametrize("args", [(), (0.2,), (0.7, True)])
def test_modules_mirror_torch(ours, theirs, args):
    mine, reference = ours(*args), theirs(*args)
    assert repr(mine) == repr(reference)
    assert mine.p == reference.p and mine.inplace == reference.inplace
    assert mine.state_dict() == {} == dict(reference.state_dict()) and list(mine.parameters()) == []
    mine.load_state_dict(reference.state_dict())
    assert mine.training and not mine.eval().training and mine.train().training


def test_train_and_eval_switch_every_dropout_in_a_model():
    model = nn.Sequential(nn.Linear(8, 32), Dropout(0.5), nn.ReLU(), nn.Linear(32, 8), Dropout(0.5))
    x = torch.randn(4, 8, generator=generator(23))
    model.eval()
    assert all(not m.training for m in model)
    assert torch.equal(model(x), model(x))              # deterministic at test time
    model.train()
    assert all(m.training for m in model)
    torch.manual_seed(24)
    assert not torch.equal(model(x), model(x))          # a new mask at every call in training


# --- bad arguments --------------------------------------------------------------------------------

def test_bad_arguments_raise_clear_errors():
    x = torch.ones(3, 4, 5, 6)
    for bad in (-0.1, 1.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\], got"):
            dropout(x, bad)
        with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\]"):
            Dropout(bad)
        with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\]"):
            Dropout2d(bad)
    with pytest.raises(ValueError, match=r"p must be a probability in \[0, 1\], got 1.5"):
        dropout(x, 1.5, training=False)                 # checked even when inactive
    with pytest.raises(TypeError, match="p must be a real number, got str"):
        dropout(x, "0.5")
    with pytest.raises(TypeError, match="p must be a real number, got bool"):
        Dropout(True)
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        dropout([1.0, 2.0], 0.5)
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got torch.int64"):
        dropout2d(torch.ones(2, 3, 4, 4, dtype=torch.long), 0.5)


def test_dropout_does_not_call_the_torch_functions_it_reimplements(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("lbdl_book.nn.dropout must draw its own mask")

    for module, name in [(F, "dropout"), (F, "dropout1d"), (F, "dropout2d"), (F, "dropout3d"), (F, "alpha_dropout"),
                         (F, "feature_alpha_dropout"), (torch, "dropout"), (torch, "feature_dropout"),
                         (torch, "native_dropout"), (torch, "alpha_dropout")]:
        monkeypatch.setattr(module, name, forbidden)
    x = torch.randn(2, 3, 4, 4, requires_grad=True)
    (dropout(x, 0.3).sum() + dropout2d(x, 0.3).sum() + Dropout()(x).sum() + Dropout2d()(x).sum()).backward()


def test_module_exports():
    assert sorted(dropout_module.__all__) == ["Dropout", "Dropout2d", "dropout", "dropout2d", "dropout_mask"]
