"""Token embedding (§4.9) against torch.nn.Embedding: values, gradients, state dicts, errors.

Tolerances. A lookup copies rows of the table: the forward values must be *bitwise*
equal to torch's (``torch.equal``), in any dtype. The gradient with respect to the table
is a sum of upstream gradients over the n occurrences of each token; ours (the backward
of indexing, ``index_put_`` with accumulation) and torch's (``embedding_dense_backward``)
may add them in different orders, so they agree up to rounding: each is within
γ_n·Σ|upstream| of the exact sum (γ_n ≈ n·u, u = 2⁻²⁴ in float32, 2⁻⁵³ in float64), and
`_bounds.multilinear` counts n and adds the |upstream| values row by row.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import assert_within, multilinear, unit_roundoff
from lbdl_book.nn import embedding as module
from lbdl_book.nn.embedding import Embedding, embedding

DTYPES = [torch.float32, torch.float64]
# (N, D, shape of the index tensor): scalars, vectors, batches of sequences, a 4-D tensor,
# and more lookups than rows (repeated indices are certain)
CASES = [(10, 3, ()), (10, 3, (7,)), (5, 16, (4, 9)), (50, 8, (2, 3, 4, 5)), (3, 2, (200,)), (1, 4, (6,))]


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def twins(n, d, dtype, padding_idx=None, seed=0):
    """A torch.nn.Embedding and ours with the same (random) table."""
    torch.manual_seed(seed)
    reference = nn.Embedding(n, d, padding_idx=padding_idx, dtype=dtype)
    ours = Embedding(n, d, padding_idx=padding_idx, dtype=dtype)
    ours.load_state_dict(reference.state_dict())
    return ours, reference


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "d", "shape"), CASES)
@pytest.mark.parametrize("index_dtype", [torch.int64, torch.int32])
def test_values_and_weight_gradient_match_torch(dtype, n, d, shape, index_dtype):
    g = generator(n * d + len(shape))
    ours, reference = twins(n, d, dtype)
    x = torch.randint(0, n, shape, generator=g, dtype=index_dtype)
    upstream = torch.randn(*shape, d, generator=g, dtype=dtype)
    y, y_ref = ours(x), reference(x)
    assert y.shape == (*shape, d) and y.dtype == dtype
    assert torch.equal(y, y_ref)                                  # a lookup is a copy: bit for bit
    (grad,) = torch.autograd.grad(y, ours.weight, upstream)
    (grad_ref,) = torch.autograd.grad(y_ref, reference.weight, upstream)
    assert_within(grad, grad_ref, multilinear(lambda w: F.embedding(x, w), (reference.weight,), upstream)[1][0])
    # the functional form is the same computation, and so is torch's
    assert torch.equal(embedding(x, ours.weight), F.embedding(x, reference.weight))


@pytest.mark.parametrize("dtype", DTYPES)
def test_y_is_row_x_of_m(dtype):
    weight = torch.arange(12, dtype=dtype).reshape(4, 3)
    x = torch.tensor([[3, 0], [1, 3]])
    y = embedding(x, weight)
    for i in range(2):
        for j in range(2):
            assert torch.equal(y[i, j], weight[x[i, j]])            # Y[d1, d2] = M[X[d1, d2]]


@pytest.mark.parametrize("dtype", DTYPES)
def test_lookup_is_one_hot_times_the_table(dtype):
    g = generator(1)
    n, d = 30, 5
    weight = torch.randn(n, d, generator=g, dtype=dtype, requires_grad=True)
    x = torch.randint(0, n, (6, 7), generator=g)
    upstream = torch.randn(6, 7, d, generator=g, dtype=dtype)
    lookup = embedding(x, weight)
    product = F.one_hot(x, n).to(dtype) @ weight                 # (6, 7, N) @ (N, D)
    # each output entry of the product is 1·m plus exact zeros: bitwise equal
    assert torch.equal(lookup, product)
    (grad_lookup,) = torch.autograd.grad(lookup, weight, upstream)
    (grad_product,) = torch.autograd.grad(product, weight, upstream)
    # the product's gradient is onehotᵀ @ upstream: the same sums (plus exact zeros), another order
    assert_within(grad_lookup, grad_product, multilinear(lambda w: F.embedding(x, w), (weight,), upstream)[1][0])


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_touches_only_looked_up_rows_and_accumulates_repeats(dtype):
    weight = torch.randn(6, 2, generator=generator(2), dtype=dtype, requires_grad=True)
    x = torch.tensor([4, 1, 4, 4])                               # token 4 three times, token 1 once
    upstream = torch.tensor([[1.0, 2.0], [10.0, 20.0], [100.0, 200.0], [1000.0, 2000.0]], dtype=dtype)
    (grad,) = torch.autograd.grad(embedding(x, weight), weight, upstream)
    expected = torch.zeros(6, 2, dtype=dtype)
    expected[4] = torch.tensor([1101.0, 2202.0])                 # sum of the three occurrences, exact
    expected[1] = torch.tensor([10.0, 20.0])
    assert torch.equal(grad, expected)
    reference = nn.Embedding(6, 2, dtype=dtype)
    with torch.no_grad():
        reference.weight.copy_(weight)
    (grad_ref,) = torch.autograd.grad(reference(x), reference.weight, upstream)
    assert torch.equal(grad_ref, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("padding_idx", [0, 3, -1])
def test_padding_idx_matches_torch(dtype, padding_idx):
    ours, reference = twins(5, 4, dtype, padding_idx=padding_idx, seed=3)
    assert ours.padding_idx == reference.padding_idx == padding_idx % 5
    assert torch.equal(ours.weight[padding_idx], torch.zeros(4, dtype=dtype))   # initialised to zero
    with torch.no_grad():                                        # a non-zero padding row is still read ...
        ours.weight[padding_idx] += 1.0
        reference.weight[padding_idx] += 1.0
    x = torch.tensor([[0, 3, 4, 4], [1, 2, 3, 0]])
    upstream = torch.randn(2, 4, 4, generator=generator(4), dtype=dtype)
    y, y_ref = ours(x), reference(x)
    assert torch.equal(y, y_ref)
    (grad,) = torch.autograd.grad(y, ours.weight, upstream)
    (grad_ref,) = torch.autograd.grad(y_ref, reference.weight, upstream)
    assert_within(grad, grad_ref, multilinear(lambda w: F.embedding(x, w, padding_idx=reference.padding_idx),
                                              (reference.weight,), upstream)[1][0])
    assert torch.equal(grad[padding_idx], torch.zeros(4, dtype=dtype))   # ... but never updated
    assert grad.abs().sum() > 0


def test_state_dicts_load_both_ways_and_initialisation():
    reference = nn.Embedding(2000, 64)
    ours = Embedding(2000, 64)
    assert list(ours.state_dict()) == list(reference.state_dict()) == ["weight"]
    ours.load_state_dict(reference.state_dict())
    assert torch.equal(ours.weight, reference.weight)
    back = nn.Embedding(2000, 64)
    back.load_state_dict(Embedding(2000, 64).state_dict())
    # N(0, 1) like torch: 128,000 draws, so mean and std are within 0.01 of 0 and 1
    # (standard errors 0.003 and 0.002)
    w = Embedding(2000, 64).weight.detach()
    assert abs(w.mean()) < 0.01 and abs(w.std() - 1) < 0.01
    assert repr(Embedding(10, 3, padding_idx=2)) == repr(nn.Embedding(10, 3, padding_idx=2))
    assert repr(Embedding(10, 3)) == repr(nn.Embedding(10, 3))


def test_constructor_arguments_mirror_torch():
    layer = Embedding(7, 3, None, dtype=torch.float64)
    assert (layer.num_embeddings, layer.embedding_dim, layer.padding_idx) == (7, 3, None)
    assert layer.weight.dtype == torch.float64 and layer.weight.shape == (7, 3)
    table = torch.randn(4, 2)
    frozen, reference = Embedding.from_pretrained(table), nn.Embedding.from_pretrained(table)
    assert torch.equal(frozen.weight, table) and not frozen.weight.requires_grad
    assert frozen.weight.requires_grad == reference.weight.requires_grad
    assert Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_training_updates_only_the_rows_seen_by_sgd():
    layer = Embedding(8, 3)
    before = layer.weight.detach().clone()
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.1)
    layer(torch.tensor([2, 5, 5])).sum().backward()
    optimizer.step()
    changed = (layer.weight.detach() != before).any(dim=1)
    assert changed.tolist() == [False, False, True, False, False, True, False, False]
    # row 5 was used twice: it moved twice as far as row 2 (gradient of sum is 1 per use).
    # float32: lr 0.1 rounds (u·step), the update w − step rounds (u·|w_new|), and so does
    # the difference (u·|step|): ≤ u·(|w_new| + 2·step) + slack for the second order
    after = layer.weight.detach()
    for row, step in ((5, 0.2), (2, 0.1)):
        assert_within(before[row] - after[row], torch.full((3,), step),
                      2 * unit_roundoff(torch.float32) * (after[row].abs() + 2 * step))


def test_empty_input():
    layer = Embedding(4, 3)
    assert layer(torch.zeros(0, 5, dtype=torch.long)).shape == (0, 5, 3)


def test_errors_name_the_argument_and_the_bad_value():
    layer = Embedding(10, 3)
    with pytest.raises(TypeError, match=r"x must be an integer tensor \(torch.int64 or torch.int32\).*torch.float32"):
        layer(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="x must be an integer tensor.*torch.bool"):
        layer(torch.zeros(2, 3, dtype=torch.bool))          # a boolean index would be a mask
    with pytest.raises(TypeError, match="x must be an integer tensor.*torch.uint8"):
        layer(torch.zeros(2, 3, dtype=torch.uint8))
    with pytest.raises(TypeError, match="x must be a torch.Tensor of token indices, got list"):
        layer([1, 2])
    with pytest.raises(ValueError, match=r"token indices in \[0, N=10\), got 12 at position \(1, 0\) .* \(2, 2\)"):
        layer(torch.tensor([[1, 2], [12, 3]]))
    with pytest.raises(ValueError, match=r"token indices in \[0, N=10\), got -1 at position \(0, 1\)"):
        layer(torch.tensor([[1, -1], [2, 3]]))           # plain indexing would silently wrap to row 9
    with pytest.raises(ValueError, match=r"got 10 at position \(\)"):
        layer(torch.tensor(10))
    with pytest.raises(ValueError, match=r"weight must have shape \(N, D\), got \(10,\)"):
        embedding(torch.tensor([1]), torch.zeros(10))
    with pytest.raises(TypeError, match="weight must be a floating-point tensor, got torch.int64"):
        embedding(torch.tensor([1]), torch.zeros(10, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="num_embeddings must be a positive int, got 0"):
        Embedding(0, 3)
    with pytest.raises(ValueError, match="embedding_dim must be a positive int, got 2.5"):
        Embedding(4, 2.5)
    with pytest.raises(ValueError, match=r"padding_idx must be in \[-N, N\) = \[-4, 4\), got 4"):
        Embedding(4, 2, padding_idx=4)
    with pytest.raises(TypeError, match="padding_idx must be an int or None, got float"):
        Embedding(4, 2, padding_idx=1.0)
    # torch refuses the same inputs (with less specific messages)
    with pytest.raises((IndexError, RuntimeError)):
        nn.Embedding(10, 3)(torch.tensor([12]))
    with pytest.raises(RuntimeError):
        nn.Embedding(10, 3)(torch.zeros(2))


def test_does_not_call_the_torch_embedding(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("lbdl_book.nn.embedding must compute the lookup by indexing")

    monkeypatch.setattr(F, "embedding", forbidden)
    monkeypatch.setattr(torch, "embedding", forbidden)
    layer = Embedding(5, 2, padding_idx=0)
    layer(torch.tensor([[0, 1], [4, 4]])).sum().backward()
    assert layer.weight.grad[4].tolist() == [2.0, 2.0]


def test_module_exports():
    assert sorted(module.__all__) == ["Embedding", "embedding"]
