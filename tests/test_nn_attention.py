"""§4.8 attention against PyTorch: ``attention`` vs ``F.scaled_dot_product_attention`` and
``MultiHeadAttention`` vs ``nn.MultiheadAttention`` (weights copied), values and gradients.

Tolerances. Ours and PyTorch's compute the same sums in a different order (PyTorch
scales q and k by √scale each, fuses the softmax, may block the products), so they
agree up to rounding, not bit for bit. The inputs are N(0, 1); a score is a sum of
D_QK ≤ 64 products, of size up to ~30, an output a convex combination of values of
size ~3, and a gradient sums N_KV ≤ 33 such terms. With unit roundoffs 6e-8 (float32)
and 1.1e-16 (float64), a few hundred roundoffs of these magnitudes bound the expected
disagreement: 2e-5 absolute for float32, 1e-12 for float64. The multi-head layer adds
two products with D ≤ 24 terms before and after, hence the same bounds. Largest
differences observed (values and gradients): operator 1.9e-6 / 2.7e-15, multi-head layer
3.8e-6 / 3.6e-15, softargmax 1.2e-7 / 3.9e-16 (float32 / float64).
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lbdl_book.nn import attention as attention_module
from lbdl_book.nn.attention import (MultiHeadAttention, attention, causal_mask, linear_attention, parameter_count,
                                    softargmax)
from lbdl_book.nn.linear import Linear

DTYPES = [torch.float32, torch.float64]
TOL = {torch.float32: 2e-5, torch.float64: 1e-12}


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def assert_close(ours, theirs, tol):
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    torch.testing.assert_close(ours, theirs, atol=tol, rtol=tol)


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
    assert_close(ours, theirs, TOL[dtype])
    assert_close(grad, ref_grad, TOL[dtype])
    assert_close(ours.sum(dim), torch.ones_like(ours.sum(dim)), TOL[dtype])


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
    assert_close(ours, theirs, TOL[dtype])
    for g_ours, g_theirs in zip(grads, ref_grads):
        assert_close(g_ours, g_theirs, TOL[dtype])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_attention_matches_sdpa_with_a_boolean_mask(dtype, shape):
    batch, n_q, n_kv, _, _ = shape
    q, k, v = random_qkv(*shape, dtype, seed=2)
    mask = random_mask((*batch, n_q, n_kv), seed=3)
    ours, grads = value_and_grads(lambda *x: attention(*x, mask=mask), (q, k, v))
    theirs, ref_grads = value_and_grads(lambda *x: F.scaled_dot_product_attention(*x, attn_mask=mask), (q, k, v))
    assert_close(ours, theirs, TOL[dtype])
    for g_ours, g_theirs in zip(grads, ref_grads):
        assert_close(g_ours, g_theirs, TOL[dtype])
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
    assert_close(ours, theirs, TOL[dtype])
    for g_ours, g_theirs in zip(grads, ref_grads):
        assert_close(g_ours, g_theirs, TOL[dtype])


@pytest.mark.parametrize("scale", [0.0, 0.1, 2.0])
def test_attention_scale_matches_sdpa(scale):
    q, k, v = random_qkv((2,), 6, 4, 8, 5, torch.float64, seed=5)
    ours, grads = value_and_grads(lambda *x: attention(*x, scale=scale), (q, k, v))
    theirs, ref_grads = value_and_grads(lambda *x: F.scaled_dot_product_attention(*x, scale=scale), (q, k, v))
    assert_close(ours, theirs, TOL[torch.float64])
    for g_ours, g_theirs in zip(grads, ref_grads):
        assert_close(g_ours, g_theirs, TOL[torch.float64])
    if scale == 0:                       # all scores 0: every query gets the mean of the values
        assert_close(ours, v.detach().mean(dim=1, keepdim=True).expand_as(ours), 1e-12)


def test_attention_broadcasts_leading_dimensions_and_returns_the_weights():
    g = generator(6)
    q = torch.randn(3, 2, 5, 4, generator=g, dtype=torch.float64)
    k, v = torch.randn(7, 4, generator=g, dtype=torch.float64), torch.randn(7, 6, generator=g, dtype=torch.float64)
    y, a = attention(q, k, v, return_weights=True)
    assert y.shape == (3, 2, 5, 6) and a.shape == (3, 2, 5, 7)
    expanded = F.scaled_dot_product_attention(q, k.expand(3, 2, 7, 4), v.expand(3, 2, 7, 6))
    assert_close(y, expanded, 1e-12)
    assert_close(a.sum(-1), torch.ones(3, 2, 5, dtype=torch.float64), 1e-12)
    assert_close(a, torch.softmax(q @ k.T / 2, dim=-1), 1e-12)          # Eq. 4.1 with √D_QK = 2
    assert_close(y, a @ v, 1e-12)                                       # Eq. 4.2


def test_attention_gradcheck_with_mask():
    q, k, v = random_qkv((2,), 3, 4, 3, 2, torch.float64, seed=7)
    mask = random_mask((2, 3, 4), seed=8)
    assert torch.autograd.gradcheck(lambda *x: attention(*x, mask=mask), (q, k, v))


def test_attention_permutation_invariance_and_equivariance():
    q, k, v = (x.detach() for x in random_qkv((2,), 6, 9, 5, 4, torch.float64, seed=9))
    y = attention(q, k, v)
    perm_kv, perm_q = torch.randperm(9, generator=generator(10)), torch.randperm(6, generator=generator(11))
    # invariant to a permutation of the keys and values together (a sum over k does not care about order)
    assert_close(attention(q, k[:, perm_kv], v[:, perm_kv]), y, 1e-12)
    # equivariant to a permutation of the queries: the outputs are permuted the same way
    assert_close(attention(q[:, perm_q], k, v), y[:, perm_q], 1e-12)
    # ... but a causal mask ties the order: permuting breaks it
    mask = causal_mask(6, 9)
    assert not torch.allclose(attention(q, k[:, perm_kv], v[:, perm_kv], mask), attention(q, k, v, mask))


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
    assert_close(a_drop[~dropped], a[~dropped] / (1 - p), 1e-12)
    assert_close(y_drop, a_drop @ v, 1e-12)
    assert abs(dropped.double().mean().item() - p) < 0.05           # 1024 entries: sd √(p(1−p)/1024) = 0.014
    # the same generator state gives the same draw
    y_again = attention(q, k, v, dropout_p=p, generator=generator(15))
    assert torch.equal(y_again, y_drop)
    # the expectation is unchanged: averaged over draws, A_dropped → A (rows still sum to 1 on average).
    # 2000 draws: each entry's mean has sd ≤ A·√(p/(1−p)/2000) ≤ 0.013·A, so 6 sd is 8 % of A
    draws = (2000, 64, -1)                # a batch of 2000 copies: 2000 independent draws in one call
    _, a_draws = attention(q.expand(draws), k.expand(2000, 16, -1), v.expand(2000, 16, -1), dropout_p=p,
                           generator=generator(16), return_weights=True)
    mean = a_draws.mean(0)
    assert ((mean - a).abs() <= 0.08 * a + 1e-12).all()
    assert abs(mean.sum(-1).mean().item() - 1) < 0.005
    # SDPA's dropout has the same expectation (a different random stream, so compare means):
    # each output is a mean of 2000 draws of sd ≤ 2 here, so within 0.1 of Y
    torch.manual_seed(0)
    ref_mean = F.scaled_dot_product_attention(q.expand(draws), k.expand(2000, 16, -1), v.expand(2000, 16, -1),
                                              dropout_p=p).mean(0)
    assert (ref_mean - y).abs().max() < 0.1 and (mean @ v - y).abs().max() < 0.1


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
    assert_close(ours, theirs, TOL[dtype])
    for g_ours, g_theirs in zip(grads, ref_grads):
        assert_close(g_ours, g_theirs, TOL[dtype])
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
    assert_close(out, ref, TOL[dtype])
    for g_ours, g_theirs in zip(grads, ref_grads):
        assert_close(g_ours, g_theirs, TOL[dtype])
    # gradients with respect to the parameters, by name
    direction = torch.randn(out.shape, generator=generator(99), dtype=dtype)
    p_ours = torch.autograd.grad((ours(*inputs, **our_kwargs) * direction).sum(), list(ours.parameters()))
    p_ref = torch.autograd.grad((theirs(*inputs) * direction).sum(), list(reference.parameters()))
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in reference.named_parameters()]
    for g_ours, g_theirs in zip(p_ours, p_ref):
        assert_close(g_ours, g_theirs, TOL[dtype])


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
    assert_close(y, ref_y, 1e-12)
    assert_close(a, ref_a, 1e-12)


def test_mha_unbatched_input_matches_torch():
    ours, reference = twins(16, 2, torch.float64)
    g = generator(27)
    x, z = torch.randn(5, 16, generator=g, dtype=torch.float64), torch.randn(8, 16, generator=g, dtype=torch.float64)
    assert_close(ours(x), reference(x, x, x)[0], 1e-12)
    y, a = ours(x, z, need_weights=True)
    assert y.shape == (5, 16) and a.shape == (2, 5, 8)
    assert_close(y, reference(x, z, z)[0], 1e-12)


def test_mha_state_dict_loads_both_ways_and_initialisation_matches_torch():
    ours = MultiHeadAttention(24, 3)
    reference = nn.MultiheadAttention(24, 3, batch_first=True)
    assert {k: v.shape for k, v in ours.state_dict().items()} == {k: v.shape for k, v in reference.state_dict().items()}
    reference.load_state_dict(ours.state_dict())
    x = torch.randn(2, 4, 24, generator=generator(28))
    torch.testing.assert_close(reference(x, x, x)[0], ours(x), atol=2e-5, rtol=2e-5)
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
    assert_close(layer(x, z, mask=mask), expected, 1e-12)
    assert_close(layer(x), layer(x, x), 1e-12)                    # self-attention = cross-attention on itself


def test_mha_permutation_equivariance_and_causality():
    layer = MultiHeadAttention(16, 4).double()
    g = generator(32)
    x = torch.randn(7, 16, generator=g, dtype=torch.float64)
    perm = torch.randperm(7, generator=g)
    assert_close(layer(x[perm]), layer(x)[perm], 1e-12)                      # self-attention: equivariant
    z = torch.randn(9, 16, generator=g, dtype=torch.float64)
    perm_kv = torch.randperm(9, generator=g)
    assert_close(layer(x, z[perm_kv]), layer(x, z), 1e-12)                   # cross: invariant in x_kv
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
    torch.testing.assert_close(layer(x), reference(x, x, x)[0], atol=2e-5, rtol=2e-5)
    assert torch.equal(layer(x), layer(x))
    layer.train()
    assert not torch.allclose(layer(x), layer(x))
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
    assert sorted(attention_module.__all__) == ["MultiHeadAttention", "attention", "causal_mask", "linear_attention",
                                                "parameter_count", "softargmax"]
