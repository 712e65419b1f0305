"""The losses of §3.1 against PyTorch's own implementations: values and gradients.

Tolerances. Our functions and PyTorch's compute the same expressions in a different
order (PyTorch fuses log-softmax into one kernel, sums in its own order), so they agree
up to rounding, not bit for bit. Each bound below is a first-order error analysis of one
computation (doubled for two) in terms of the unit roundoff u (2⁻²⁴ in float32, 2⁻⁵³ in
float64), γ_n = n·u/(1 − n·u) and the magnitudes involved (tests/_bounds.py); see
`_bounds.softmax_bounds` for the softmax family.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.distributions import Normal

from _bounds import assert_within, cross_entropy_bounds, gamma, softmax_bounds, unit_roundoff
from lbdl_book import losses
from lbdl_book.losses import (cross_entropy, log_softmax, mse, naive_log_softmax, negative_log_likelihood, softmax,
                              triplet_loss, weight_decay, zero_one_error)
from lbdl_book.models import basis

DTYPES = [torch.float32, torch.float64]





def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def value_and_grads(f, inputs, upstream=None):
    """f(*inputs) and the gradient of ⟨upstream, f(*inputs)⟩ w.r.t. every input."""
    out = f(*inputs)
    grads = torch.autograd.grad(out, inputs, grad_outputs=upstream)
    return out, grads


# --- log-softmax and softmax -----------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "dim"), [((5, 7), -1), ((5, 7), 0), ((3, 4, 6), -1), ((3, 4, 6), 0),
                                            ((3, 4, 6), 1), ((16, 50), -1)])
@pytest.mark.parametrize("scale", [1.0, 10.0])
def test_log_softmax_and_softmax_match_torch(dtype, shape, dim, scale):
    g = generator(len(shape) * 10 + dim)
    x = (scale * torch.randn(*shape, generator=g, dtype=dtype)).requires_grad_(True)
    upstream = torch.randn(*shape, generator=g, dtype=dtype)
    bounds = softmax_bounds(x, dim, upstream)
    for name, ours, theirs in [("log_softmax", log_softmax, torch.log_softmax), ("softmax", softmax, torch.softmax)]:
        value, (grad,) = value_and_grads(lambda v: ours(v, dim), (x,), upstream)
        ref_value, (ref_grad,) = value_and_grads(lambda v: theirs(v, dim), (x,), upstream)
        assert value.dtype == dtype and value.shape == x.shape
        assert_within(value, ref_value, 2 * bounds[name])
        assert_within(grad, ref_grad, 2 * bounds[name + "_grad"])
    p = softmax(x, dim)
    # the probabilities sum to 1, within Σ|δp| and the rounding of the sum of n terms
    assert_within(p.sum(dim), torch.ones_like(p.sum(dim)), bounds["softmax"].sum(dim) + gamma(x.shape[dim], dtype))


def test_log_softmax_gradcheck_and_shift_invariance():
    x = torch.randn(4, 5, dtype=torch.float64, generator=generator(1), requires_grad=True)
    assert torch.autograd.gradcheck(lambda v: log_softmax(v, 1), (x,))
    assert torch.autograd.gradcheck(lambda v: softmax(v, 0), (x,))
    # adding a constant to every logit of a row changes nothing (exactly up to rounding)
    shifted = x.detach() + torch.tensor([[3.0], [-7.0], [100.0], [0.5]], dtype=torch.float64)
    # the shifted logits round (u·|x + c|, which moves x − m by twice that), then each side's bound
    shift = 2 * unit_roundoff(torch.float64) * shifted.abs().amax(1, keepdim=True)
    bound = softmax_bounds(shifted)["log_softmax"] + softmax_bounds(x)["log_softmax"] + shift
    assert_within(log_softmax(shifted), log_softmax(x.detach()), bound)


@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_logits_stay_finite_and_equal_torch(dtype):
    x = torch.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, -3.0]], dtype=dtype, requires_grad=True)
    upstream = torch.randn(3, 3, generator=generator(2), dtype=dtype)
    value, (grad,) = value_and_grads(log_softmax, (x,), upstream)
    ref_value, (ref_grad,) = value_and_grads(lambda v: torch.log_softmax(v, -1), (x,), upstream)
    assert torch.isfinite(value).all() and torch.isfinite(grad).all()
    # The exact answers are representable: [0, −1e4, −2e4], three times −log 3, and
    # [−log 2, −log 2, −1e4 − 3 − log 2]; the bounds scale with |x − m| up to 2e4.
    bounds = softmax_bounds(x, -1, upstream)
    assert_within(value, ref_value, 2 * bounds["log_softmax"])
    assert_within(grad, ref_grad, 2 * bounds["log_softmax_grad"])
    assert value[0, 0] == 0 and value[0, 2] == -2e4
    assert_within(value[1], torch.full((3,), -math.log(3), dtype=dtype),
                  bounds["log_softmax"][1] + unit_roundoff(dtype) * math.log(3))
    assert_within(softmax(x.detach()), torch.softmax(x.detach(), -1), 2 * bounds["softmax"])
    # the textbook formula overflows: exp(1e4) = inf, inf / inf = nan, exp(−1e4) = 0, 0 / 0 = nan
    naive = naive_log_softmax(x.detach())
    assert not torch.isfinite(naive[0]).any() and torch.isnan(naive[1]).all()


def test_huge_float64_logits():
    x = torch.tensor([[1e30, 0.0, -1e30], [1e30, 1e30 * (1 + 2**-40), 1e-30]], dtype=torch.float64,
                     requires_grad=True)
    value, (grad,) = value_and_grads(log_softmax, (x,), torch.ones_like(x))
    ref_value, (ref_grad,) = value_and_grads(lambda v: torch.log_softmax(v, -1), (x,), torch.ones_like(x))
    assert torch.isfinite(value).all() and torch.isfinite(grad).all()
    # Values near ±2e30: the bounds scale with them; both sides here are in fact exact.
    bounds = softmax_bounds(x, -1, torch.ones_like(x))
    assert_within(value, ref_value, 2 * bounds["log_softmax"])
    assert_within(grad, ref_grad, 2 * bounds["log_softmax_grad"])
    assert value[0].tolist() == [0.0, -1e30, -2e30]
    assert not torch.isfinite(naive_log_softmax(x.detach())).all()


def test_naive_log_softmax_is_right_when_nothing_overflows():
    x = torch.randn(6, 4, generator=generator(3), dtype=torch.float64)
    # log(exp(x)/Σ exp): the exponentials (2u relative each), the sum (γ_n), the division,
    # the log of that (its relative error becomes absolute) and its own rounding: within
    # γ_{n+4}(1 + |y|); plus the stable version's bound
    for dim in (-1, 0):
        y = torch.log_softmax(x, dim)
        bound = gamma(x.shape[dim] + 4, torch.float64) * (1 + y.abs()) + softmax_bounds(x, dim)["log_softmax"]
        assert_within(naive_log_softmax(x, dim), y, bound)


def test_log_softmax_errors():
    with pytest.raises(TypeError, match="logits must be a torch.Tensor"):
        log_softmax([1.0, 2.0])
    with pytest.raises(TypeError, match="logits must be a floating-point tensor, got torch.int64"):
        softmax(torch.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"dim must be an int in \[-2, 2\).*got 2"):
        log_softmax(torch.zeros(2, 3), dim=2)
    with pytest.raises(ValueError, match="at least one dimension"):
        log_softmax(torch.tensor(1.0))
    with pytest.raises(ValueError, match="at least one entry"):
        naive_log_softmax(torch.zeros(3, 0))


# --- cross-entropy ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "c"), [(1, 2), (8, 3), (100, 10), (64, 50)])
@pytest.mark.parametrize("scale", [1.0, 10.0])
def test_cross_entropy_matches_torch(dtype, n, c, scale):
    g = generator(n * c)
    logits = (scale * torch.randn(n, c, generator=g, dtype=dtype)).requires_grad_(True)
    target = torch.randint(0, c, (n,), generator=g)
    value, (grad,) = value_and_grads(lambda v: cross_entropy(v, target), (logits,))
    ref_value, (ref_grad,) = value_and_grads(lambda v: F.cross_entropy(v, target), (logits,))
    assert value.shape == () and value.dtype == dtype
    value_bound, grad_bound = cross_entropy_bounds(logits, target)
    assert_within(value, ref_value, 2 * value_bound)
    assert_within(grad, ref_grad, 2 * grad_bound)
    # the gradient of Eq. L_ce with respect to the logits is (softmax − one-hot) / N
    expected = (torch.softmax(logits.detach(), 1) - F.one_hot(target, c).to(dtype)) / n
    assert_within(grad, expected, 2 * grad_bound)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_extreme_logits(dtype):
    logits = torch.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 0.0, -1e4]], dtype=dtype,
                          requires_grad=True)
    target = torch.tensor([2, 1, 0])
    value, (grad,) = value_and_grads(lambda v: cross_entropy(v, target), (logits,))
    ref_value, (ref_grad,) = value_and_grads(lambda v: F.cross_entropy(v, target), (logits,))
    assert torch.isfinite(value) and torch.isfinite(grad).all()
    # exact loss: (2e4 + log 3 + 0) / 3, itself rounded once (u·|loss|)
    value_bound, grad_bound = cross_entropy_bounds(logits, target)
    exact = torch.tensor((2e4 + math.log(3)) / 3, dtype=dtype)
    assert_within(value, ref_value, 2 * value_bound)
    assert_within(value, exact, value_bound + unit_roundoff(dtype) * exact.abs())
    assert_within(grad, ref_grad, 2 * grad_bound)
    # a confident right answer costs (almost) nothing; the naive formula would give nan
    assert cross_entropy(logits[2:].detach(), target[2:]) == 0


def test_cross_entropy_errors():
    logits = torch.zeros(4, 3)
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\), got \(3,\)"):
        cross_entropy(torch.zeros(3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"logits must have shape \(N, C\), got \(2, 3, 4\)"):
        cross_entropy(torch.zeros(2, 3, 4), torch.zeros(2, dtype=torch.long))
    with pytest.raises(TypeError, match="logits must be a floating-point tensor"):
        cross_entropy(torch.zeros(4, 3, dtype=torch.long), torch.zeros(4, dtype=torch.long))
    with pytest.raises(TypeError, match="target must be an int64 .* got torch.float32"):
        cross_entropy(logits, torch.zeros(4))
    with pytest.raises(TypeError, match="target must be an int64 .* got torch.int32"):
        cross_entropy(logits, torch.zeros(4, dtype=torch.int32))
    with pytest.raises(TypeError, match="target must be a torch.Tensor, got list"):
        cross_entropy(logits, [0, 1, 2, 0])
    with pytest.raises(ValueError, match=r"target must have shape \(N,\), got \(4, 1\)"):
        cross_entropy(logits, torch.zeros(4, 1, dtype=torch.long))
    with pytest.raises(ValueError, match=r"target must have one class per row of logits \(N=4\), got length 5"):
        cross_entropy(logits, torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"target values must be in \[0, C=3\), got max 5"):
        cross_entropy(logits, torch.tensor([0, 1, 5, 2]))
    with pytest.raises(ValueError, match=r"target values must be in \[0, C=3\), got min -1"):
        cross_entropy(logits, torch.tensor([0, -1, 2, 2]))
    with pytest.raises(ValueError, match="at least one class"):
        cross_entropy(torch.zeros(4, 0), torch.zeros(4, dtype=torch.long))


def test_losses_do_not_call_the_torch_functions_they_reimplement(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("lbdl_book.losses must compute this from the equations")

    for module, name in [(F, "cross_entropy"), (F, "nll_loss"), (F, "log_softmax"), (F, "softmax"),
                         (F, "triplet_margin_loss"), (F, "pairwise_distance"), (torch, "log_softmax"),
                         (torch, "softmax"), (torch, "logsumexp"), (torch.Tensor, "log_softmax"),
                         (torch.Tensor, "softmax"), (torch.Tensor, "logsumexp")]:
        monkeypatch.setattr(module, name, forbidden)
    logits, target = torch.randn(5, 3, requires_grad=True), torch.tensor([0, 1, 2, 1, 0])
    cross_entropy(logits, target).backward()
    softmax(logits)
    zero_one_error(logits, target)
    triplet_loss(torch.randn(5, 2), torch.randn(5, 2), torch.randn(5, 2))


# --- triplet loss ----------------------------------------------------------------------

def triplet_bounds(anchor, positive, negative, margin):
    """One computation's bounds for the mean triplet loss of N triplets of dimension D and
    its gradients: a distance ‖a − b‖ (differences, squares, a sum of D terms, the square
    root) within γ_{D+3}·d; a hinge margin + d_p − d_n within γ_{D+5}(margin + d_p + d_n),
    and the mean γ_{N+1}; a gradient (a − p)/d_p − (a − n)/d_n, over N, within
    γ_{D+6}·(|a − p|/d_p + |a − n|/d_n)/N — plus the whole term where the hinge is within
    its bound of 0 (the two sides may then disagree on which side of the kink it is)."""
    dtype = anchor.dtype
    a, p, q = (t.detach().double() for t in (anchor, positive, negative))
    n, d = a.shape
    d_p, d_n = (a - p).norm(dim=1), (a - q).norm(dim=1)
    hinge = margin + d_p - d_n
    e_hinge = gamma(d + 5, dtype) * (margin + d_p + d_n)
    value = (e_hinge.mean() + gamma(n + 1, dtype) * hinge.clamp_min(0).mean())
    unit = lambda v, norm: torch.where(norm[:, None] > 0, v.abs() / norm[:, None].clamp_min(1e-300), 0.0)
    u_p, u_n = unit(a - p, d_p), unit(a - q, d_n)
    kink = (hinge.abs() <= e_hinge)[:, None]
    rounding = gamma(d + 6, dtype) / n
    grads = [rounding * (u_p + u_n) + kink * (u_p + u_n) / n, rounding * u_p + kink * u_p / n,
             rounding * u_n + kink * u_n / n]
    return value, grads


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "d"), [(1, 2), (16, 8), (100, 64)])
@pytest.mark.parametrize("margin", [1.0, 0.2])
def test_triplet_loss_matches_torch(dtype, n, d, margin):
    g = generator(n + d)
    inputs = tuple(torch.randn(n, d, generator=g, dtype=dtype).requires_grad_(True) for _ in range(3))
    value, grads = value_and_grads(lambda a, p, q: triplet_loss(a, p, q, margin=margin), inputs)
    # eps=0: torch's pairwise distance is ‖a − b + eps‖ (eps added to every coordinate,
    # default 1e-6), which is not the Euclidean distance of the book; with eps=0 it is.
    ref_value, ref_grads = value_and_grads(
        lambda a, p, q: F.triplet_margin_loss(a, p, q, margin=margin, p=2, eps=0), inputs)
    assert value.shape == () and value.dtype == dtype
    value_bound, grad_bounds = triplet_bounds(*inputs, margin)
    assert_within(value, ref_value, 2 * value_bound)
    for ours, theirs, bound in zip(grads, ref_grads, grad_bounds):
        assert_within(ours, theirs, 2 * bound)
    # torch's default eps=1e-6 moves each of the two distances of a triplet by at most
    # √D · 1e-6 (the norm is 1-Lipschitz) and the hinge passes at most their sum
    default = F.triplet_margin_loss(*inputs, margin=margin, p=2)
    assert_within(value, default, 2 * math.sqrt(d) * 1e-6 + 2 * value_bound)


def test_triplet_loss_is_zero_exactly_when_every_negative_is_farther_by_the_margin():
    anchor = torch.zeros(3, 2, dtype=torch.float64, requires_grad=True)
    positive = torch.tensor([[1.0, 0.0], [0.0, 2.0], [0.0, -1.0]], dtype=torch.float64, requires_grad=True)
    far = torch.tensor([[0.0, 2.5], [-3.5, 0.0], [-2.0, 0.0]], dtype=torch.float64, requires_grad=True)
    inputs = (anchor, positive, far)
    # distances: positives 1, 2, 1; negatives 2.5, 3.5, 2 — all farther by ≥ 1
    value, grads = value_and_grads(triplet_loss, inputs)
    assert value == 0
    assert all(torch.equal(gr[:2], torch.zeros_like(gr[:2])) for gr in grads)   # strictly inside: no gradient
    assert F.triplet_margin_loss(*inputs, margin=1.0, p=2, eps=0) == 0
    # the third triplet sits exactly on the margin (2 − 1 = 1): still zero loss, and there
    # the hinge passes the gradient (torch's clamp_min convention), as in torch
    _, ref_grads = value_and_grads(lambda a, p, q: F.triplet_margin_loss(a, p, q, p=2, eps=0), inputs)
    for ours, theirs in zip(grads, ref_grads):
        assert torch.equal(ours, theirs)
    # with margin 1.6 the first two triplets (gaps 1.5) cost 0.1 each, the third 0.6 (the
    # distances are exact here; the hinges and their mean round: γ₅ of margin + distances)
    assert_within(triplet_loss(*inputs, margin=1.6), torch.tensor(0.8 / 3, dtype=torch.float64),
                  2 * triplet_bounds(*inputs, 1.6)[0])
    # negatives too close: the loss is the mean of margin − d_neg + d_pos
    near = torch.tensor([[0.0, 0.5], [1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    expected = torch.tensor((1.5 + 2.0 + 1.0) / 3, dtype=torch.float64)
    assert_within(triplet_loss(anchor, positive, near), expected, 2 * triplet_bounds(anchor, positive, near, 1.0)[0])


def test_triplet_loss_gradients_where_anchor_equals_positive():
    anchor = torch.randn(4, 3, generator=generator(5), dtype=torch.float64)
    inputs = (anchor.clone().requires_grad_(True), anchor.clone().requires_grad_(True),
              (anchor + 0.1).requires_grad_(True))
    _, grads = value_and_grads(triplet_loss, inputs)
    _, ref_grads = value_and_grads(lambda a, p, q: F.triplet_margin_loss(a, p, q, p=2, eps=0), inputs)
    for ours, theirs, bound in zip(grads, ref_grads, triplet_bounds(*inputs, 1.0)[1]):
        assert torch.isfinite(ours).all()            # a hand-written sqrt would give nan here
        assert_within(ours, theirs, 2 * bound)
    assert torch.autograd.gradcheck(triplet_loss, tuple(
        torch.randn(3, 4, generator=generator(6), dtype=torch.float64).requires_grad_(True) for _ in range(3)))


def test_triplet_loss_errors():
    x = torch.zeros(4, 3)
    with pytest.raises(ValueError, match=r"anchor must have shape \(N, D\), got \(3,\)"):
        triplet_loss(torch.zeros(3), torch.zeros(3), torch.zeros(3))
    with pytest.raises(ValueError, match=r"same shape .* got \(4, 3\), \(4, 3\) and \(5, 3\)"):
        triplet_loss(x, x, torch.zeros(5, 3))
    with pytest.raises(TypeError, match="negative must be a torch.Tensor"):
        triplet_loss(x, x, None)
    with pytest.raises(TypeError, match="positive must be a floating-point tensor"):
        triplet_loss(x, torch.zeros(4, 3, dtype=torch.long), x)
    with pytest.raises(ValueError, match="margin must be a number >= 0, got -1"):
        triplet_loss(x, x, x, margin=-1)


# --- negative log-likelihood, weight decay, zero-one error -------------------------------

def test_negative_log_likelihood_of_a_gaussian():
    x = torch.randn(200, generator=generator(7), dtype=torch.float64)
    loc = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    scale = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    log_density = Normal(loc, scale).log_prob(x)
    ours = negative_log_likelihood(log_density)
    assert ours.shape == ()
    assert torch.equal(ours, -Normal(0.0, 1.0).log_prob(x).mean())
    # closed form: ½ log 2πσ² + mean (x − μ)² / 2σ², and its gradients
    # ∂/∂μ = −mean(x − μ)/σ², ∂/∂σ = 1/σ − mean (x − μ)²/σ³ (at μ = 0, σ = 1). Each side: a
    # few roundings per term (γ₅), then a mean of N = 200 terms (γ_{N+1}), of the magnitudes
    n, f64 = len(x), torch.float64
    closed = 0.5 * math.log(2 * math.pi) + (x**2).mean() / 2
    assert_within(ours, closed, 2 * gamma(n + 6, f64) * closed)
    d_loc, d_scale = torch.autograd.grad(ours, (loc, scale))
    assert_within(d_loc, -x.mean(), 2 * gamma(n + 6, f64) * x.abs().mean())
    assert_within(d_scale, 1 - (x**2).mean(), 2 * gamma(n + 6, f64) * (1 + (x**2).mean()))
    with pytest.raises(ValueError, match=r"log_density must have shape \(N,\) with N >= 1, got \(2, 3\)"):
        negative_log_likelihood(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="log_density must be a floating-point tensor"):
        negative_log_likelihood(torch.zeros(3, dtype=torch.long))


def test_weight_decay_value_gradient_and_torch_sgd():
    g = generator(8)
    params = [torch.randn(3, 4, generator=g, dtype=torch.float64, requires_grad=True),
              torch.randn(4, generator=g, dtype=torch.float64, requires_grad=True),
              torch.randn((), generator=g, dtype=torch.float64, requires_grad=True)]
    lam = 0.3
    penalty = weight_decay(params, lam)
    # the same sum of 17 squares in another order, times λ: γ₁₉ of the (positive) sum, twice
    expected = lam * sum((p.detach() ** 2).sum() for p in params)
    assert_within(penalty, expected, 2 * gamma(17 + 2, torch.float64) * expected)
    grads = torch.autograd.grad(penalty, params)
    for p, gr in zip(params, grads):       # 2·λ·p in two orders: two roundings each
        assert_within(gr, 2 * lam * p.detach(), 2 * gamma(2, torch.float64) * 2 * lam * p.detach().abs())
    assert weight_decay(params[0], lam) == lam * (params[0].detach() ** 2).sum()   # a lone tensor
    assert weight_decay([], lam) == 0 and weight_decay(params, 0.0) == 0
    # PyTorch's SGD(weight_decay=wd) adds wd·w to the gradient: our penalty λΣw² is wd = 2λ
    model = nn.Linear(4, 2).double()
    twin = nn.Linear(4, 2).double()
    twin.load_state_dict(model.state_dict())
    x, y = torch.randn(8, 4, generator=g, dtype=torch.float64), torch.randn(8, 2, generator=g, dtype=torch.float64)
    ours = torch.optim.SGD(model.parameters(), lr=0.1)
    theirs = torch.optim.SGD(twin.parameters(), lr=0.1, weight_decay=2 * lam)
    (mse(model(x), y) + weight_decay(model.parameters(), lam)).backward()
    mse(twin(x), y).backward()
    before = [p.detach().clone() for p in model.parameters()]
    ours.step()
    theirs.step()
    # the same MSE gradient g on both sides; ours adds autograd's 2λw (two roundings), torch
    # adds (2λ)·w (one more), then both take w − lr·(g + 2λw): within 2·(lr·γ₄(|g + 2λw| +
    # 2λ|w|) + u|w_new|)
    u = unit_roundoff(torch.float64)
    for p, q, w in zip(model.parameters(), twin.parameters(), before):
        bound = 2 * (0.1 * gamma(4, torch.float64) * (p.grad.abs() + 2 * lam * w.abs()) + u * q.detach().abs())
        assert_within(p, q, bound)


def test_weight_decay_errors():
    with pytest.raises(ValueError, match="strength must be >= 0, got -0.1"):
        weight_decay([torch.zeros(2)], -0.1)
    with pytest.raises(ValueError, match="strength must be >= 0, got nan"):
        weight_decay([torch.zeros(2)], float("nan"))
    with pytest.raises(TypeError, match="strength must be a real number, got str"):
        weight_decay([torch.zeros(2)], "0.1")
    with pytest.raises(TypeError, match="parameters must be tensors, got int at position 1"):
        weight_decay([torch.zeros(2), 3], 0.1)


def test_zero_one_error():
    logits = torch.tensor([[2.0, 1.0, 0.0],     # predicts 0
                           [0.0, 3.0, 1.0],     # predicts 1
                           [5.0, 0.0, 6.0],     # predicts 2
                           [1.0, 1.0, 0.0]],    # tie between 0 and 1: argmax takes the first, 0
                          requires_grad=True)
    target = torch.tensor([0, 2, 2, 1])
    error = zero_one_error(logits, target)
    assert error.item() == 0.5 and error.shape == () and error.dtype == torch.float32
    # not differentiable: a detached result, even though the logits require grad
    assert not error.requires_grad and error.grad_fn is None
    with pytest.raises(RuntimeError):
        torch.autograd.grad(error, logits)
    # ... whereas its surrogate is: the cross-entropy has a gradient on every logit
    (grad,) = torch.autograd.grad(cross_entropy(logits, target), logits)
    assert (grad != 0).all()
    assert zero_one_error(logits, torch.tensor([0, 1, 2, 0])) == 0
    with pytest.raises(ValueError, match=r"target values must be in \[0, C=3\), got max 3"):
        zero_one_error(logits, torch.tensor([0, 1, 2, 3]))


def test_module_exports():
    assert mse is basis.mse                       # re-exported, not duplicated
    assert sorted(losses.__all__) == ["cross_entropy", "log_softmax", "mse", "naive_log_softmax",
                                      "negative_log_likelihood", "sample_triplets", "softmax", "triplet_loss", "weight_decay",
                                      "zero_one_error"]
    assert all(callable(getattr(losses, name)) for name in losses.__all__)


def test_sample_triplets_respects_the_classes():
    from lbdl_book.data import identities
    from lbdl_book.losses import sample_triplets

    _, labels = identities(120, num_classes=4)
    anchor, positive, negative = sample_triplets(labels, 5000, seed=1)
    assert anchor.shape == positive.shape == negative.shape == (5000,)
    assert torch.equal(labels[anchor], labels[positive])
    assert (labels[anchor] != labels[negative]).all()
    # every class is used as a negative for every other class
    pairs = set(zip(labels[anchor].tolist(), labels[negative].tolist()))
    assert len(pairs) == 4 * 3
    with pytest.raises(ValueError, match="C >= 2"):
        sample_triplets(torch.zeros(5, dtype=torch.int64), 3)
    with pytest.raises(ValueError, match="count"):
        sample_triplets(labels, 0)
