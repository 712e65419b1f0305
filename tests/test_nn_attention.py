"""§4.8 attention against PyTorch: ``attention`` vs ``F.scaled_dot_product_attention`` and
``MultiHeadAttention`` vs ``nn.MultiheadAttention`` (weights copied), values and gradients.

Tolerances (tests/_bounds.py). Ours and PyTorch's compute the same sums in a different
order (PyTorch scales q and k by √scale each, fuses the softmax, may block the products
and rescale partial sums online), so they agree up to rounding, not bit for bit. The
bounds are first-order error analyses of one computation, doubled for two, entry by
entry: `_bounds.attention_forward` / `attention_backward` for the operator (a score is a
dot product of D_QK terms, a softmax shifts, exponentiates, sums N_KV terms and divides,
an output sums N_KV weighted values; the backward pass is the same kind of sums), and for
the multi-head layer the same, fed by `_bounds.linear_forward` (the in-projection) and
followed by the out-projection, with the errors carried from one to the next. u = 2⁻²⁴
(float32) or 2⁻⁵³ (float64); γ_n = n·u/(1 − n·u).
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import assert_within, attention_backward, attention_forward, gamma, linear_backward, linear_forward
from lbdl_book.nn import attention as attention_module
from lbdl_book.nn.attention import (MultiHeadAttention, attention, causal_mask, linear_attention, parameter_count,
                                    softargmax)
from lbdl_book.nn.linear import Linear

DTYPES = [torch.float32, torch.float64]


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def attention_bounds(q, k, v, mask=None, scale=None, seed=0):
    """Bounds on |ours − reference| for attention(q, k, v) and the gradients that
    `value_and_grads` takes (direction of seed ``seed``): twice one computation's."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    zero = lambda t: torch.zeros(t.shape, dtype=torch.float64)
    eq, ek, ev = zero(q), zero(k), zero(v)
    (y, ey), _ = attention_forward(q, k, v, eq, ek, ev, scale, mask, q.dtype)
    shape = torch.broadcast_shapes(y.shape)
    direction = torch.randn(shape, generator=generator(seed), dtype=q.dtype)
    grads = attention_backward(q, k, v, eq, ek, ev, scale, mask, direction, zero(direction), q.dtype)
    # gradients of broadcast inputs are summed over the broadcast dimensions
    return 2 * ey, [2 * e.sum_to_size(t.shape) for (_, e), t in zip(grads, (q, k, v))]


def linear_attention_bounds(q, k, v, phi, seed=0):
    """Bounds for two computations of linear attention y_i = Σ_j w_ij v_j / Σ_j w_ij with
    w_ij = φ(q_i)·φ(k_j) > 0, from the same φ values (both sides compute φ with the same
    operations), summed in other orders: ours φ(q)(φ(K)ᵀV) / φ(q)·Σφ(K), the reference
    (φ(q)φ(K)ᵀ / rowsum) V. Every value and gradient is a combination of the products
    φ(q)_d φ(k_j)_d v_j (and of y_i, D_i = Σ_j w_ij) with n ≤ N·D + N terms a side and a few
    divisions: off by γ_{2N·D+8} of the sum of their absolute values, which autograd gives
    for the gradients by differentiating Σ_i |g_i|·(Σ_j w_ij(|v_j| + |y_i|))/D_i with y_i
    and D_i held fixed (the terms of the gradient of y_i = N_i/D_i, in absolute value)."""
    dtype = q.dtype
    qd, kd, vd = (t.detach().double().requires_grad_(True) for t in (q, k, v))
    n, d = k.shape[-2], k.shape[-1]
    fq, fk = phi(qd), phi(kd)
    w = fq @ fk.transpose(-2, -1)
    denominator = w.sum(-1, keepdim=True)
    y = (w @ vd / denominator).detach()
    g = torch.randn(y.shape, generator=generator(seed), dtype=dtype).double().abs()
    magnitude = w @ vd.abs() / denominator
    surrogate = (g * (w @ vd.abs() + w.sum(-1, keepdim=True) * y.abs()) / denominator.detach()).sum()
    grads = torch.autograd.grad(surrogate, (qd, kd, vd))
    bound = 2 * gamma(2 * n * d + 8, dtype)
    return bound * (magnitude.detach() + y.abs()), [bound * t for t in grads]


def mha_bounds(layer, x_q, x_kv, allowed, direction):
    """Bounds on |ours − reference| for a multi-head attention ``layer`` (ours, or
    nn.MultiheadAttention: the same parameters) on (x_q, x_kv), x_kv None for
    self-attention: the in-projection (linear_forward), the attention of every head
    (attention_forward), the out-projection, and back (linear_backward, attention_backward),
    errors carried along; twice one computation's. ``allowed``: the book's mask (True = may
    attend) or None. Returns (output bound, [input gradient bounds], {parameter name:
    bound}, attention weights bound)."""
    dtype = x_q.dtype
    unbatched = x_q.dim() == 2
    if unbatched:
        x_q, direction = x_q[None], direction[None]
        x_kv = None if x_kv is None else x_kv[None]
    self_attention = x_kv is None
    x_kv = x_q if self_attention else x_kv
    h = layer.num_heads
    d_qk = getattr(layer, "dim_qk", layer.embed_dim // h)
    d_v = getattr(layer, "dim_v", layer.embed_dim // h)
    sizes = [h * d_qk, h * d_qk, h * d_v]
    w_in = layer.in_proj_weight.detach().double().split(sizes)
    b_in = [None] * 3 if layer.in_proj_bias is None else layer.in_proj_bias.detach().double().split(sizes)
    w_o = layer.out_proj.weight.detach().double()
    b_o = layer.out_proj.bias.detach().double() if layer.out_proj.bias is not None else None
    batch = x_q.shape[0]
    zero = lambda t: torch.zeros(t.shape, dtype=torch.float64)
    split = lambda t: t.reshape(batch, t.shape[1], h, -1).transpose(1, 2)       # (N, H, T, D_head)
    merge = lambda t: t.transpose(1, 2).reshape(batch, t.shape[2], -1)
    (q, eq), (k, ek), (v, ev) = [[split(t) for t in linear_forward(x, w, b, zero(x), dtype)]
                                 for x, w, b in zip((x_q, x_kv, x_kv), w_in, b_in)]
    mask = None if allowed is None else (allowed if allowed.dim() == 4 else allowed.unsqueeze(-3))
    scale = 1 / math.sqrt(d_qk)
    (y, ey), (_, ea) = attention_forward(q, k, v, eq, ek, ev, scale, mask, dtype)
    y, ey = merge(y), merge(ey)
    _, e_out = linear_forward(y, w_o, b_o, ey, dtype)
    g = direction.detach().double()
    (g_y, eg_y), (_, e_wo), (_, e_bo) = linear_backward(y, w_o, ey, g, zero(g), dtype)
    grads = attention_backward(q, k, v, eq, ek, ev, scale, mask, split(g_y), split(eg_y), dtype)
    grads_in, e_w_in, e_b_in = [], [], []
    for x, w, (gp, egp) in zip((x_q, x_kv, x_kv), w_in, grads):
        (g_x, e_x), (_, e_w), (_, e_b) = linear_backward(x, w, zero(x), merge(gp), merge(egp), dtype)
        grads_in.append((g_x, e_x))
        e_w_in.append(e_w)
        e_b_in.append(e_b)
    # an input used by several projections receives the sum of their gradients (one more
    # rounding per addition, of the partial sums' size)
    add = lambda parts: (sum(p[1] for p in parts) + gamma(len(parts), dtype) * sum(p[0].abs() for p in parts))
    input_bounds = [add(grads_in)] if self_attention else [grads_in[0][1], add(grads_in[1:])]
    params = {"in_proj_weight": torch.cat(e_w_in), "in_proj_bias": torch.cat(e_b_in),
              "out_proj.weight": e_wo, "out_proj.bias": e_bo}
    if unbatched:
        e_out, ea, input_bounds = e_out[0], ea[0], [e[0] for e in input_bounds]
    return 2 * e_out, [2 * e for e in input_bounds], {name: 2 * e for name, e in params.items()}, 2 * ea


def value_and_grads(fn, inputs, seed=0):
    """fn(*inputs) and the gradients of <fn(*inputs), R> with respect to the inputs, for a
    fixed random R (a random direction tests every entry of the Jacobian's transpose)."""
    out = fn(*inputs)
    direction = torch.randn(out.shape, generator=generator(seed), dtype=out.dtype)
    grads = torch.autograd.grad((out * direction).sum(), inputs)
    return out.detach(), grads


def random_qkv(batch, n_q, n_kv, d_qk, d_v, dtype, seed):
    g = generator(seed)
    return tuple(torch.randn(*batch, n, d, generator=g, dtype=dtype).requires_grad_(True)
                 for n, d in ((n_q, d_qk), (n_kv, d_qk), (n_kv, d_v)))


def random_mask(shape, seed):
    """A random bool mask with at least one True in every row (else there is no softargmax)."""
    mask = torch.rand(shape, generator=generator(seed)) < 0.5
    mask[..., torch.randint(shape[-1], shape[:-1], generator=generator(seed + 1))] = False
    first = torch.randint(shape[-1], (*shape[:-1], 1), generator=generator(seed + 2))
    return mask.scatter(-1, first, True)


# --- softargmax ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "dim"), [((7,), 0), ((3, 5), 1), ((3, 5), 0), ((2, 3, 4), -1), ((2, 3, 4), 1)])
def test_softargmax_matches_torch_softmax(dtype, shape, dim):
    x = (3 * torch.randn(shape, generator=generator(len(shape) + dim), dtype=dtype)).requires_grad_(True)
    ours, (grad,) = value_and_grads(lambda z: softargmax(z, dim), (x,))
    theirs, (ref_grad,) = value_and_grads(lambda z: torch.softmax(z, dim), (x,))
    # the softmax of exact scores, i.e. `attention_forward`'s weights with eS = 0: |δa| ≤
    # a·γ_{2N+4}; its gradient a ⊙ (g − Σ a g) as in `attention_backward`
    n, a = x.shape[dim], torch.softmax(x.detach().double(), dim)
    g = torch.randn(x.shape, generator=generator(0), dtype=dtype).double()
    ea = a * gamma(2 * n + 4, dtype)
    rho = (a * g).sum(dim, keepdim=True)
    e_rho = (ea * g.abs()).sum(dim, keepdim=True)
    e_grad = ea * (g - rho).abs() + a * e_rho + gamma(n + 3, dtype) * a * (g.abs() + (a * g.abs()).sum(dim, keepdim=True))
    assert_within(ours, theirs, 2 * ea)
    assert_within(grad, ref_grad, 2 * e_grad)
    # Σ â = 1 up to Σ|δa| and the rounding of the sum
    assert_within(ours.sum(dim), torch.ones_like(ours.sum(dim)), ea.sum(dim) + gamma(n, dtype))


def test_softargmax_is_stable_and_masks_minus_infinity():
    x = torch.tensor([[1000.0, 0.0, -1000.0], [0.0, float("-inf"), 0.0], [5.0, 5.0, 5.0]])
    a = softargmax(x, dim=1)
    assert torch.isfinite(a).all()                        # exp(1000) would overflow without the shift
    assert torch.equal(a, torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.0, 0.5], [1 / 3, 1 / 3, 1 / 3]]))
    assert softargmax(torch.full((1, 3), float("-inf")), dim=1).isnan().all()    # no finite entry: 0/0


def test_softargmax_errors():
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got torch.int64"):
        softargmax(torch.zeros(3, dtype=torch.long), 0)
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        softargmax([1.0, 2.0], 0)
    with pytest.raises(ValueError, match=r"dim must be an int in \[-2, 2\) for x of shape \(2, 3\), got 2"):
        softargmax(torch.zeros(2, 3), 2)
    with pytest.raises(ValueError, match="at least one dimension"):
        softargmax(torch.tensor(1.0), 0)


# --- causal mask ---------------------------------------------------------------------------

@pytest.mark.parametrize(("n_q", "n_kv"), [(1, 1), (5, 5), (3, 7), (7, 3)])
def test_causal_mask_is_the_lower_triangle(n_q, n_kv):
    mask = causal_mask(n_q, n_kv)
    assert mask.dtype == torch.bool and mask.shape == (n_q, n_kv)
    assert torch.equal(mask, torch.ones(n_q, n_kv, dtype=torch.bool).tril())      # PyTorch's is_causal
    assert torch.equal(causal_mask(n_q), torch.ones(n_q, n_q, dtype=torch.bool).tril())
    assert mask.any(dim=1).all()                                  # every query keeps key 0


def test_causal_mask_errors():
    with pytest.raises(ValueError, match="n_q must be a positive int, got 0"):
        causal_mask(0)
    with pytest.raises(ValueError, match="n_kv must be a positive int, got 2.5"):
        causal_mask(3, 2.5)


# --- attention operator against F.scaled_dot_product_attention -----------------------------

SHAPES = [  # (batch, N_Q, N_KV, D_QK, D_V)
    ((), 1, 1, 1, 1),
    ((), 5, 5, 8, 8),
    ((2,), 4, 9, 16, 3),          # N_Q ≠ N_KV, D_V ≠ D_QK
    ((3, 2), 7, 5, 64, 12),
    ((1, 4), 33, 17, 5, 32),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_attention_matches_sdpa_without_mask(dtype, shape):
    q, k, v = random_qkv(*shape, dtype, seed=1)
    ours, grads = value_and_grads(attention, (q, k, v))
    theirs, ref_grads = value_and_grads(F.scaled_dot_product_attention, (q, k, v))
    assert ours.shape == (*shape[0], shape[1], shape[4])
    value_bound, grad_bounds = attention_bounds(q, k, v)
    assert_within(ours, theirs, value_bound)
    for g_ours, g_theirs, bound in zip(grads, ref_grads, grad_bounds):
        assert_within(g_ours, g_theirs, bound)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_attention_matches_sdpa_with_a_boolean_mask(dtype, shape):
    batch, n_q, n_kv, _, _ = shape
    q, k, v = random_qkv(*shape, dtype, seed=2)
    mask = random_mask((*batch, n_q, n_kv), seed=3)
    ours, grads = value_and_grads(lambda *x: attention(*x, mask=mask), (q, k, v))
    theirs, ref_grads = value_and_grads(lambda *x: F.scaled_dot_product_attention(*x, attn_mask=mask), (q, k, v))
    value_bound, grad_bounds = attention_bounds(q, k, v, mask)
    assert_within(ours, theirs, value_bound)
    for g_ours, g_theirs, bound in zip(grads, ref_grads, grad_bounds):
        assert_within(g_ours, g_theirs, bound)
    # a masked key and its value get no gradient from the queries that may not see them
    if n_q == 1:
        hidden = ~mask[..., 0, :]
        assert (grads[1][hidden] == 0).all() and (grads[2][hidden] == 0).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_attention_with_causal_mask_matches_is_causal(dtype, shape):
    _, n_q, n_kv, _, _ = shape
    q, k, v = random_qkv(*shape, dtype, seed=4)
    ours, grads = value_and_grads(lambda *x: attention(*x, mask=causal_mask(n_q, n_kv)), (q, k, v))
    theirs, ref_grads = value_and_grads(lambda *x: F.scaled_dot_product_attention(*x, is_causal=True), (q, k, v))
    value_bound, grad_bounds = attention_bounds(q, k, v, causal_mask(n_q, n_kv))
    assert_within(ours, theirs, value_bound)
    for g_ours, g_theirs, bound in zip(grads, ref_grads, grad_bounds):
        assert_within(g_ours, g_theirs, bound)


@pytest.mark.parametrize("scale", [0.0, 0.1, 2.0])
def test_attention_scale_matches_sdpa(scale):
    q, k, v = random_qkv((2,), 6, 4, 8, 5, torch.float64, seed=5)
    ours, grads = value_and_grads(lambda *x: attention(*x, scale=scale), (q, k, v))
    theirs, ref_grads = value_and_grads(lambda *x: F.scaled_dot_product_attention(*x, scale=scale), (q, k, v))
    value_bound, grad_bounds = attention_bounds(q, k, v, scale=scale)
    assert_within(ours, theirs, value_bound)
    for g_ours, g_theirs, bound in zip(grads, ref_grads, grad_bounds):
        assert_within(g_ours, g_theirs, bound)
    if scale == 0:                       # all scores 0: every query gets the mean of the values
        assert_within(ours, v.detach().mean(dim=1, keepdim=True).expand_as(ours), value_bound)


def test_attention_broadcasts_leading_dimensions_and_returns_the_weights():
    g = generator(6)
    q = torch.randn(3, 2, 5, 4, generator=g, dtype=torch.float64)
    k, v = torch.randn(7, 4, generator=g, dtype=torch.float64), torch.randn(7, 6, generator=g, dtype=torch.float64)
    y, a = attention(q, k, v, return_weights=True)
    assert y.shape == (3, 2, 5, 6) and a.shape == (3, 2, 5, 7)
    expanded = F.scaled_dot_product_attention(q, k.expand(3, 2, 7, 4), v.expand(3, 2, 7, 6))
    zero = lambda t: torch.zeros(t.shape, dtype=torch.float64)
    (_, ey), (_, ea) = attention_forward(q, k, v, zero(q), zero(k), zero(v), 0.5, None, torch.float64)
    assert_within(y, expanded, 2 * ey)
    # Σ â = 1 up to Σ|δa| and the rounding of a sum of 7; â V within e_a|V| + γ_7·A|V| ≤ eY of Y
    assert_within(a.sum(-1), torch.ones(3, 2, 5, dtype=torch.float64), ea.sum(-1) + gamma(7, torch.float64))
    assert_within(a, torch.softmax(q @ k.T / 2, dim=-1), 2 * ea)           # Eq. 4.1 with √D_QK = 2
    assert_within(y, a @ v, 2 * ey)                                        # Eq. 4.2


def test_attention_gradcheck_with_mask():
    q, k, v = random_qkv((2,), 3, 4, 3, 2, torch.float64, seed=7)
    mask = random_mask((2, 3, 4), seed=8)
    assert torch.autograd.gradcheck(lambda *x: attention(*x, mask=mask), (q, k, v))


def test_attention_permutation_invariance_and_equivariance():
    q, k, v = (x.detach() for x in random_qkv((2,), 6, 9, 5, 4, torch.float64, seed=9))
    y = attention(q, k, v)
    perm_kv, perm_q = torch.randperm(9, generator=generator(10)), torch.randperm(6, generator=generator(11))
    # two computations of the same exact values (sums in another order): within 2·eY
    bound, _ = attention_bounds(q, k, v)
    # invariant to a permutation of the keys and values together (a sum over k does not care about order)
    assert_within(attention(q, k[:, perm_kv], v[:, perm_kv]), y, bound)
    # equivariant to a permutation of the queries: the outputs are permuted the same way
    assert_within(attention(q[:, perm_q], k, v), y[:, perm_q], bound[:, perm_q])
    # ... but a causal mask ties the order: permuting breaks it, by far more than rounding
    mask = causal_mask(6, 9)
    bound, _ = attention_bounds(q, k, v, mask)
    assert ((attention(q, k[:, perm_kv], v[:, perm_kv], mask) - attention(q, k, v, mask)).abs() > bound).any()


def test_causal_attention_output_depends_on_no_later_input():
    q, k, v = (x.detach()[0] for x in random_qkv((1,), 6, 6, 4, 3, torch.float64, seed=12))
    for name, argnum in (("q", 0), ("k", 1), ("v", 2)):
        def fn(x, argnum=argnum):
            args = [q, k, v]
            args[argnum] = x
            return attention(*args, mask=causal_mask(6))
        jac = torch.autograd.functional.jacobian(fn, (q, k, v)[argnum])      # (T, D_V, T, D)
        dependence = jac.abs().amax(dim=(1, 3))                             # (T_out, T_in)
        assert (dependence.triu(1) == 0).all(), name                        # nothing from the future
        if name == "q":     # Y_t uses its own query only (not Y_1: with a lone key, A = 1 whatever Q_1)
            assert (dependence.diagonal()[1:] > 0).all() and dependence[0, 0] == 0 and (dependence.tril(-1) == 0).all()
        elif name == "k":   # every earlier key, except for Y_1: a lone key gets weight 1 whatever its value
            lower = causal_mask(6)
            lower[0, 0] = False
            assert (dependence[lower] > 0).all() and dependence[0, 0] == 0
        else:               # every value at or before t
            assert (dependence[causal_mask(6)] > 0).all()


def test_attention_rejects_a_row_with_no_allowed_key():
    q, k, v = (x.detach() for x in random_qkv((), 3, 4, 2, 2, torch.float32, seed=13))
    mask = torch.ones(3, 4, dtype=torch.bool)
    mask[1] = False
    with pytest.raises(ValueError, match=r"a query with no key to attend to"):
        attention(q, k, v, mask)
    # PyTorch's convention differs: it returns zeros for that query (documented in attention)
    assert (F.scaled_dot_product_attention(q, k, v, attn_mask=mask)[1] == 0).all()


def test_attention_dropout():
    q, k, v = (x.detach() for x in random_qkv((), 64, 16, 8, 4, torch.float64, seed=14))
    y, a = attention(q, k, v, return_weights=True)
    # no dropout outside training, whatever p
    y_eval, a_eval = attention(q, k, v, dropout_p=0.5, training=False, return_weights=True)
    assert torch.equal(y_eval, y) and torch.equal(a_eval, a)
    # in training: each entry is either 0 or A / (1 − p), and Y = A_dropped V
    p = 0.25
    y_drop, a_drop = attention(q, k, v, dropout_p=p, generator=generator(15), return_weights=True)
    dropped = a_drop == 0
    # the same weights, scaled by fl(1/(1 − p)) against divided by 1 − p: γ₃ relative
    expected = a[~dropped] / (1 - p)
    assert_within(a_drop[~dropped], expected, gamma(3, torch.float64) * expected)
    assert_within(y_drop, a_drop @ v, 2 * gamma(16, torch.float64) * (a_drop @ v.abs()))   # sums of 16 terms
    # a binomial proportion over 1024 entries: within 5 standard errors √(p(1 − p)/1024)
    assert abs(dropped.double().mean().item() - p) < 5 * math.sqrt(p * (1 - p) / dropped.numel())
    # the same generator state gives the same draw
    y_again = attention(q, k, v, dropout_p=p, generator=generator(15))
    assert torch.equal(y_again, y_drop)
    # the expectation is unchanged: averaged over draws, A_dropped → A (rows still sum to 1 on average).
    # Each dropped weight is A/(1 − p) w.p. 1 − p, else 0: sd A·√(p/(1 − p)); the mean of
    # 2000 draws has sd A·√(p/(1 − p)/2000). 6 sd per entry (1024 entries: a false alarm
    # below 1024 · 2e-9), plus the rounding of the mean of 2000 terms
    draws = (2000, 64, -1)                # a batch of 2000 copies: 2000 independent draws in one call
    _, a_draws = attention(q.expand(draws), k.expand(2000, 16, -1), v.expand(2000, 16, -1), dropout_p=p,
                           generator=generator(16), return_weights=True)
    mean = a_draws.mean(0)
    spread = math.sqrt(p / (1 - p) / 2000)
    assert ((mean - a).abs() <= 6 * spread * a + gamma(2000, torch.float64) * a / (1 - p)).all()
    # the mean row sum: 64 rows × 2000 draws, variance Σ_j A² · p/(1 − p) per row and draw
    row_sd = math.sqrt((a**2).sum().item() * p / (1 - p) / 2000) / 64
    assert abs(mean.sum(-1).mean().item() - 1) < 6 * row_sd
    # SDPA's dropout has the same expectation (a different random stream, so compare means):
    # output i of one draw has sd √(Σ_j A_ij² V_j² · p/(1 − p)); 6 sd of the mean of 2000
    torch.manual_seed(0)
    ref_mean = F.scaled_dot_product_attention(q.expand(draws), k.expand(2000, 16, -1), v.expand(2000, 16, -1),
                                              dropout_p=p).mean(0)
    output_sd = ((a**2) @ (v**2) * p / (1 - p) / 2000).sqrt()
    assert ((ref_mean - y).abs() <= 6 * output_sd).all() and ((mean @ v - y).abs() <= 6 * output_sd).all()


def test_attention_errors():
    q, k, v = torch.zeros(2, 3, 4), torch.zeros(2, 5, 4), torch.zeros(2, 5, 6)
    with pytest.raises(TypeError, match="k must be a torch.Tensor, got NoneType"):
        attention(q, None, v)
    with pytest.raises(TypeError, match="v must be a floating-point tensor, got torch.int64"):
        attention(q, k, v.long())
    with pytest.raises(ValueError, match=r"q must have shape \(..., N, D\) with at least 2 dimensions, got \(4,\)"):
        attention(torch.zeros(4), k, v)
    with pytest.raises(TypeError, match="same dtype, got torch.float32, torch.float64 and torch.float32"):
        attention(q, k.double(), v)
    with pytest.raises(ValueError, match=r"k must have the feature size D_QK=4 of q, got k of shape \(2, 5, 3\)"):
        attention(q, torch.zeros(2, 5, 3), v)
    with pytest.raises(ValueError, match=r"v must have one row per key \(N_KV=5\), got v of shape \(2, 4, 6\)"):
        attention(q, k, torch.zeros(2, 4, 6))
    with pytest.raises(ValueError, match="at least one key"):
        attention(q, torch.zeros(2, 0, 4), torch.zeros(2, 0, 6))
    with pytest.raises(ValueError, match=r"leading dimensions of q, k and v do not broadcast: got \(2,\), \(3,\)"):
        attention(q, torch.zeros(3, 5, 4), torch.zeros(3, 5, 6))
    with pytest.raises(TypeError, match="mask must be a bool tensor .* got torch.float32"):
        attention(q, k, v, mask=torch.ones(3, 5))
    with pytest.raises(ValueError, match=r"mask must broadcast to the attention matrix \(2, 3, 5\), got \(3, 4\)"):
        attention(q, k, v, mask=torch.ones(3, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"mask must broadcast to the attention matrix \(2, 3, 5\), got \(7, 2, "):
        attention(q, k, v, mask=torch.ones(7, 2, 3, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"dropout_p must be a number in \[0, 1\), got 1"):
        attention(q, k, v, dropout_p=1)
    with pytest.raises(ValueError, match="scale must be a finite number or None, got inf"):
        attention(q, k, v, scale=math.inf)


# --- linear attention ----------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_attention_is_normalised_kernel_attention(dtype):
    q, k, v = random_qkv((2, 3), 7, 11, 5, 4, dtype, seed=17)
    phi = lambda x: F.elu(x) + 1                                             # noqa: E731
    def quadratic(q, k, v):              # the N_Q × N_KV form that associativity avoids
        weights = phi(q) @ phi(k).transpose(-2, -1)
        return weights / weights.sum(-1, keepdim=True) @ v
    ours, grads = value_and_grads(linear_attention, (q, k, v))
    theirs, ref_grads = value_and_grads(quadratic, (q, k, v))
    value_bound, grad_bounds = linear_attention_bounds(q, k, v, phi)
    assert_within(ours, theirs, value_bound)
    for g_ours, g_theirs, bound in zip(grads, ref_grads, grad_bounds):
        assert_within(g_ours, g_theirs, bound)
    # large inputs: the exp branch of φ is clamped, so no inf·0 = nan in the gradient
    big = (100 * q.detach()).requires_grad_(True)
    linear_attention(big, k, v).sum().backward()
    assert torch.isfinite(big.grad).all()
    with pytest.raises(ValueError, match="do not match"):
        linear_attention(q, k[..., :3], v)


# --- multi-head attention against nn.MultiheadAttention ------------------------------------

CONFIGS = [  # (embed_dim, num_heads, batch, T_Q, T_KV)
    (8, 1, 1, 5, 5),
    (16, 4, 3, 6, 9),
    (24, 3, 2, 7, 4),
]


def twins(embed_dim, num_heads, dtype, bias=True, seed=0):
    torch.manual_seed(seed)
    reference = nn.MultiheadAttention(embed_dim, num_heads, bias=bias, batch_first=True).to(dtype)
    with torch.no_grad():                # non-zero biases, so that their handling is tested too
        for p in reference.parameters():
            p.add_(0.1 * torch.randn(p.shape, dtype=dtype))
    ours = MultiHeadAttention(embed_dim, num_heads, bias=bias).to(dtype).load_torch_weights(reference)
    return ours, reference


def compare_layers(ours, reference, x_q, x_kv, our_kwargs, their_kwargs, dtype):
    """Ours on (x_q[, x_kv]) against the reference on (query, key, value) = (x_q, x_kv, x_kv),
    or (x_q, x_q, x_q) for self-attention: outputs, input gradients, parameter gradients."""
    inputs = (x_q,) if x_kv is None else (x_q, x_kv)

    def theirs(x_q, x_kv=None):
        x_kv = x_q if x_kv is None else x_kv
        return reference(x_q, x_kv, x_kv, need_weights=False, **their_kwargs)[0]

    out, grads = value_and_grads(lambda *x: ours(*x, **our_kwargs), inputs)
    ref, ref_grads = value_and_grads(theirs, inputs)
    allowed = our_kwargs.get("mask")
    if our_kwargs.get("causal"):
        triangle = causal_mask(x_q.shape[-2], (x_q if x_kv is None else x_kv).shape[-2])
        allowed = triangle if allowed is None else allowed & triangle
    value_bound, grad_bounds, _, _ = mha_bounds(reference, x_q, x_kv, allowed,
                                                torch.randn(out.shape, generator=generator(0), dtype=dtype))
    assert_within(out, ref, value_bound)
    for g_ours, g_theirs, bound in zip(grads, ref_grads, grad_bounds):
        assert_within(g_ours, g_theirs, bound)
    # gradients with respect to the parameters, by name
    direction = torch.randn(out.shape, generator=generator(99), dtype=dtype)
    p_ours = torch.autograd.grad((ours(*inputs, **our_kwargs) * direction).sum(), list(ours.parameters()))
    p_ref = torch.autograd.grad((theirs(*inputs) * direction).sum(), list(reference.parameters()))
    names = [n for n, _ in reference.named_parameters()]
    assert [n for n, _ in ours.named_parameters()] == names
    _, _, param_bounds, _ = mha_bounds(reference, x_q, x_kv, allowed, direction)
    for name, g_ours, g_theirs in zip(names, p_ours, p_ref):
        assert_within(g_ours, g_theirs, param_bounds[name], msg=name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("bias", [True, False])
def test_mha_self_attention_matches_torch(dtype, config, bias):
    embed_dim, heads, batch, t_q, _ = config
    ours, reference = twins(embed_dim, heads, dtype, bias)
    x = torch.randn(batch, t_q, embed_dim, generator=generator(20), dtype=dtype, requires_grad=True)
    compare_layers(ours, reference, x, None, {}, {}, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", CONFIGS)
def test_mha_cross_attention_matches_torch(dtype, config):
    embed_dim, heads, batch, t_q, t_kv = config
    ours, reference = twins(embed_dim, heads, dtype)
    g = generator(21)
    x = torch.randn(batch, t_q, embed_dim, generator=g, dtype=dtype, requires_grad=True)
    z = torch.randn(batch, t_kv, embed_dim, generator=g, dtype=dtype, requires_grad=True)
    compare_layers(ours, reference, x, z, {}, {}, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("config", CONFIGS)
def test_mha_causal_matches_torch(dtype, config):
    embed_dim, heads, batch, t_q, _ = config
    ours, reference = twins(embed_dim, heads, dtype)
    x = torch.randn(batch, t_q, embed_dim, generator=generator(22), dtype=dtype, requires_grad=True)
    # PyTorch's attn_mask is True where attention is FORBIDDEN: the complement of the book's M
    forbidden = ~causal_mask(t_q)
    compare_layers(ours, reference, x, None, {"causal": True}, {"attn_mask": forbidden, "is_causal": True}, dtype)
    compare_layers(ours, reference, x, None, {"mask": causal_mask(t_q)}, {"attn_mask": forbidden}, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mha_per_sample_and_per_head_masks_match_torch(dtype):
    embed_dim, heads, batch, t_q, t_kv = 16, 4, 3, 6, 9
    ours, reference = twins(embed_dim, heads, dtype)
    g = generator(23)
    x = torch.randn(batch, t_q, embed_dim, generator=g, dtype=dtype, requires_grad=True)
    z = torch.randn(batch, t_kv, embed_dim, generator=g, dtype=dtype, requires_grad=True)
    per_head = random_mask((batch, heads, t_q, t_kv), seed=24)
    # PyTorch wants a 3-D mask of shape (N·H, T_Q, T_KV), sample-major
    compare_layers(ours, reference, x, z, {"mask": per_head},
                   {"attn_mask": ~per_head.reshape(batch * heads, t_q, t_kv)}, dtype)
    per_sample = random_mask((batch, t_q, t_kv), seed=25)
    compare_layers(ours, reference, x, z, {"mask": per_sample},
                   {"attn_mask": ~per_sample.repeat_interleave(heads, dim=0)}, dtype)
    # a key-padding mask is a (N, 1, T_KV) pattern broadcast over the queries
    lengths = torch.tensor([9, 4, 6])
    padding = torch.arange(t_kv)[None, :] < lengths[:, None]                  # (N, T_KV), True = real token
    compare_layers(ours, reference, x, z, {"mask": padding[:, None, :].expand(batch, t_q, t_kv)},
                   {"key_padding_mask": ~padding}, dtype)


def test_mha_attention_weights_match_torch_per_head():
    ours, reference = twins(16, 4, torch.float64)
    x = torch.randn(2, 5, 16, generator=generator(26), dtype=torch.float64)
    y, a = ours(x, need_weights=True)
    ref_y, ref_a = reference(x, x, x, need_weights=True, average_attn_weights=False)
    assert a.shape == (2, 4, 5, 5)
    value_bound, _, _, weights_bound = mha_bounds(reference, x, None, None, torch.zeros_like(x))
    assert_within(y, ref_y, value_bound)
    assert_within(a, ref_a, weights_bound)


def test_mha_unbatched_input_matches_torch():
    ours, reference = twins(16, 2, torch.float64)
    g = generator(27)
    x, z = torch.randn(5, 16, generator=g, dtype=torch.float64), torch.randn(8, 16, generator=g, dtype=torch.float64)
    assert_within(ours(x), reference(x, x, x)[0], mha_bounds(reference, x, None, None, torch.zeros_like(x))[0])
    y, a = ours(x, z, need_weights=True)
    assert y.shape == (5, 16) and a.shape == (2, 5, 8)
    assert_within(y, reference(x, z, z)[0], mha_bounds(reference, x, z, None, torch.zeros_like(x))[0])


def test_mha_state_dict_loads_both_ways_and_initialisation_matches_torch():
    ours = MultiHeadAttention(24, 3)
    reference = nn.MultiheadAttention(24, 3, batch_first=True)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in reference.state_dict().items()}
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(2, 4, 24, generator=generator(28))
    assert_within(reference(x, x, x)[0], ours(x), mha_bounds(reference, x, None, None, torch.zeros_like(x))[0])
    # the same initialisation as PyTorch: zero biases, Xavier-uniform bound √(6 / (D + 3D)) for in_proj_weight
    assert (ours.in_proj_bias == 0).all() and (ours.out_proj.bias == 0).all()
    assert ours.in_proj_weight.abs().max() <= math.sqrt(6 / (24 + 72))
    assert ours.in_proj_weight.std() > 0.5 * math.sqrt(6 / (24 + 72)) / math.sqrt(3)
    no_bias = MultiHeadAttention(24, 3, bias=False)
    assert set(no_bias.state_dict()) == set(nn.MultiheadAttention(24, 3, bias=False).state_dict())
    # W^O is the book's own fully connected layer (§4.2), not torch.nn.Linear, and draws the same
    # initial values: PyTorch's layer and ours consume the random stream in the same order.
    assert type(ours.out_proj) is Linear and no_bias.out_proj.bias is None
    torch.manual_seed(5)
    theirs = nn.MultiheadAttention(24, 3, batch_first=True)
    torch.manual_seed(5)
    same_seed = MultiHeadAttention(24, 3)
    assert all(torch.equal(a, b) for a, b in zip(theirs.state_dict().values(), same_seed.state_dict().values()))


@pytest.mark.parametrize("args", [(8, 1), (16, 4), (24, 3, 5, 2), (12, 4, 7, 9, False), (768, 12),
                                  (512, 8, None, None, False)])
def test_parameter_count_formula(args):
    layer = MultiHeadAttention(*args)
    assert parameter_count(*args) == sum(p.numel() for p in layer.parameters())
    embed_dim, heads = args[:2]
    standard = len(args) == 2 or args[2:4] == (None, None)
    if standard:                 # same count as PyTorch's layer, 4D² + 4D with biases
        bias = args[4] if len(args) > 4 else True
        reference = nn.MultiheadAttention(embed_dim, heads, bias=bias)
        assert parameter_count(*args) == sum(p.numel() for p in reference.parameters())
        assert parameter_count(*args) == 4 * embed_dim**2 + (4 * embed_dim if bias else 0)


def test_gpt2_small_attention_count():
    # GPT-2 small: D = 768, H = 12 (D_QK = D_V = 64), with biases: 4·768² + 4·768
    assert parameter_count(768, 12) == 2_362_368 == sum(p.numel() for p in nn.MultiheadAttention(768, 12).parameters())


def test_mha_general_head_sizes_follow_the_book_equations():
    torch.manual_seed(29)
    layer = MultiHeadAttention(12, 3, dim_qk=5, dim_v=2).double()
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.1 * torch.randn(p.shape, dtype=torch.float64))
    w = layer.head_weights()
    assert w["W_Q"].shape == (3, 12, 5) and w["W_K"].shape == (3, 12, 5) and w["W_V"].shape == (3, 12, 2)
    assert w["W_O"].shape == (6, 12) and w["b_Q"].shape == (3, 5) and w["b_O"].shape == (12,)
    g = generator(30)
    x = torch.randn(2, 4, 12, generator=g, dtype=torch.float64)
    z = torch.randn(2, 6, 12, generator=g, dtype=torch.float64)
    mask = random_mask((4, 6), seed=31)
    heads = [attention(x @ w["W_Q"][h] + w["b_Q"][h], z @ w["W_K"][h] + w["b_K"][h], z @ w["W_V"][h] + w["b_V"][h],
                       mask=mask) for h in range(3)]                # Y_h = att(X^Q W^Q_h, X^K W^K_h, X^V W^V_h)
    expected = torch.cat(heads, dim=-1) @ w["W_O"] + w["b_O"]     # Y = (Y_1 | … | Y_H) W^O
    # the same sums in other orders (per head, then concatenated): twice one computation's bound
    assert_within(layer(x, z, mask=mask), expected, mha_bounds(layer, x, z, mask, torch.zeros(2, 4, 12))[0])
    assert_within(layer(x), layer(x, x), mha_bounds(layer, x, x, None, torch.zeros(2, 4, 12))[0])   # self = cross on itself


def test_mha_permutation_equivariance_and_causality():
    layer = MultiHeadAttention(16, 4).double()
    g = generator(32)
    x = torch.randn(7, 16, generator=g, dtype=torch.float64)
    perm = torch.randperm(7, generator=g)
    bound = mha_bounds(layer, x, None, None, torch.zeros_like(x))[0]
    assert_within(layer(x[perm]), layer(x)[perm], bound[perm])                # self-attention: equivariant
    z = torch.randn(9, 16, generator=g, dtype=torch.float64)
    perm_kv = torch.randperm(9, generator=g)
    bound = mha_bounds(layer, x, z, None, torch.zeros_like(x))[0]
    assert_within(layer(x, z[perm_kv]), layer(x, z), bound)                   # cross: invariant in x_kv
    jac = torch.autograd.functional.jacobian(lambda v: layer(v, causal=True), x)   # (T, D, T, D)
    dependence = jac.abs().amax(dim=(1, 3))
    assert (dependence.triu(1) == 0).all() and (dependence[causal_mask(7)] > 0).all()


def test_mha_dropout_is_active_in_training_only():
    torch.manual_seed(33)
    layer = MultiHeadAttention(16, 4, dropout=0.5)
    reference = nn.MultiheadAttention(16, 4, dropout=0.5, batch_first=True)
    layer.load_torch_weights(reference)
    x = torch.randn(2, 6, 16, generator=generator(34))
    layer.eval(), reference.eval()
    bound = mha_bounds(reference, x, None, None, torch.zeros_like(x))[0]
    assert_within(layer(x), reference(x, x, x)[0], bound)
    assert torch.equal(layer(x), layer(x))
    layer.train()
    assert ((layer(x) - layer(x)).abs() > bound).any()           # two masks: far more than rounding apart
    _, a = layer(x, need_weights=True)
    assert ((a == 0).float().mean() - 0.5).abs() < 0.1                        # 288 weights: sd 0.03


def test_mha_errors():
    with pytest.raises(ValueError, match="must be divisible by num_heads .* got embed_dim=10 and num_heads=4"):
        MultiHeadAttention(10, 4)
    MultiHeadAttention(10, 4, dim_qk=3, dim_v=2)                 # explicit head sizes: no divisibility needed
    with pytest.raises(ValueError, match="num_heads must be a positive int, got 0"):
        MultiHeadAttention(8, 0)
    with pytest.raises(ValueError, match="dim_qk must be a positive int, got 0.1"):
        MultiHeadAttention(8, 2, 0.1)                            # PyTorch's third argument is dropout: caught
    with pytest.raises(ValueError, match=r"dropout must be a number in \[0, 1\), got 1.5"):
        MultiHeadAttention(8, 2, dropout=1.5)
    with pytest.raises(TypeError, match="bias must be a bool, got int"):
        MultiHeadAttention(8, 2, bias=1)
    layer = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match=r"D = embed_dim = 8; got \(2, 3, 5\) and \(2, 3, 5\)"):
        layer(torch.zeros(2, 3, 5))
    with pytest.raises(ValueError, match=r"got \(2, 3, 8\) and \(3, 4, 8\)"):
        layer(torch.zeros(2, 3, 8), torch.zeros(3, 4, 8))
    with pytest.raises(ValueError, match=r"got \(2, 3, 8\) and \(4, 8\)"):
        layer(torch.zeros(2, 3, 8), torch.zeros(4, 8))
    with pytest.raises(TypeError, match="x_q must be a floating-point tensor"):
        layer(torch.zeros(2, 3, 8, dtype=torch.long))
    with pytest.raises(TypeError, match="mask must be a bool tensor .* got torch.float32"):
        layer(torch.zeros(2, 3, 8), mask=torch.zeros(3, 3))
    with pytest.raises(ValueError, match=r"mask must have shape \(T_Q, T_KV\), .* T_Q=3, T_KV=4; got \(3, 3\)"):
        layer(torch.zeros(2, 3, 8), torch.zeros(2, 4, 8), mask=torch.ones(3, 3, dtype=torch.bool))
    with pytest.raises(TypeError, match="reference must be a torch.nn.MultiheadAttention, got Linear"):
        layer.load_torch_weights(nn.Linear(8, 8))
    with pytest.raises(ValueError, match=r"must match: reference \(8, 4, 2, 2, True\), this layer \(8, 2, 4, 4, "):
        layer.load_torch_weights(nn.MultiheadAttention(8, 4))
    with pytest.raises(ValueError, match="kdim = vdim = embed_dim"):
        layer.load_torch_weights(nn.MultiheadAttention(8, 2, kdim=5, vdim=5))


def test_module_does_not_call_the_torch_functions_it_reimplements(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("lbdl_book.nn.attention must compute attention from Eq. 4.1-4.2")

    for module, name in [(F, "scaled_dot_product_attention"), (F, "softmax"), (F, "log_softmax"), (torch, "softmax"),
                         (torch.Tensor, "softmax"), (F, "multi_head_attention_forward"), (F, "dropout"),
                         (torch, "dropout"), (F, "elu")]:
        monkeypatch.setattr(module, name, forbidden)
    layer = MultiHeadAttention(8, 2, dropout=0.1)
    x = torch.randn(2, 5, 8, requires_grad=True)
    layer(x, causal=True).sum().backward()
    q = torch.randn(3, 4)
    attention(q, q, q, dropout_p=0.2).sum()
    linear_attention(q, q, q)
    softargmax(q, -1)


def test_module_exports():
    assert sorted(attention_module.__all__) == ["MultiHeadAttention", "attention", "attention_rounding_bound",
                                                "causal_mask", "layer_rounding_bound", "linear_attention",
                                                "parameter_count", "softargmax"]


@pytest.mark.parametrize("config", [(32, 4, 10, 7), (16, 2, 8, 8), (64, 8, 50, 20)])
def test_rounding_bounds_cover_the_difference_with_torch(config):
    """The pages' bounds (attention_rounding_bound, layer_rounding_bound) hold for ours
    against PyTorch in float32, and stay far below the size of the outputs."""
    d, h, t_q, t_kv = config
    g = generator(d + t_q)
    q, k, v = (torch.randn(2, n, d // h, generator=g) for n in (t_q, t_kv, t_kv))
    bound = attention_module.attention_rounding_bound(q, k, v)
    assert ((attention(q, k, v) - F.scaled_dot_product_attention(q, k, v)).abs() <= bound).all()
    reference = nn.MultiheadAttention(d, h, batch_first=True)
    with torch.no_grad():
        reference.in_proj_bias.normal_(0, 0.1, generator=g)
        reference.out_proj.bias.normal_(0, 0.1, generator=g)
    layer = MultiHeadAttention(d, h).load_torch_weights(reference)
    x_q, x_kv = torch.randn(2, t_q, d, generator=g), torch.randn(2, t_kv, d, generator=g)
    with torch.no_grad():
        for ours, theirs, mask in ((layer(x_q, x_kv), reference(x_q, x_kv, x_kv)[0], None),
                                   (layer(x_q, x_kv, causal=True),
                                    reference(x_q, x_kv, x_kv, attn_mask=~causal_mask(t_q, t_kv))[0],
                                    causal_mask(t_q, t_kv))):
            bound = attention_module.layer_rounding_bound(layer, x_q, x_kv, mask)
            assert bound.shape == ours.shape and ((ours - theirs).abs() <= bound).all()
            assert bound.max() < 1e-2 * ours.abs().max()         # a bound, not a blank cheque


def test_rounding_bounds_errors():
    q = torch.randn(3, 4)
    with pytest.raises(TypeError, match="q"):
        attention_module.attention_rounding_bound([1.0], q, q)
    with pytest.raises(ValueError, match="implementations"):
        attention_module.attention_rounding_bound(q, q, q, implementations=0)
    with pytest.raises(TypeError, match="MultiHeadAttention"):
        attention_module.layer_rounding_bound(nn.Linear(4, 4), q[None])
    with pytest.raises(ValueError, match="x_q"):
        attention_module.layer_rounding_bound(MultiHeadAttention(8, 2), q[None])
