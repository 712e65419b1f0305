"""The normalizing layers of §4.6 against PyTorch's: values, gradients, running statistics.

Tolerances. Our layers and PyTorch's compute the same formulas in a different order
(PyTorch fuses each layer into one kernel, accumulates the statistics in its own order
and differentiates with a closed-form backward; we let autograd go through the
elementary operations). They agree up to rounding, not bit for bit. The inputs below
have values up to ≈ 10 and the normalised outputs are of order 1 to 5 (γ up to ≈ 2):

* values: one float32 rounding of an output of size 5 is 5 · 6e-8 ≈ 3e-7; the mean and
  the variance are sums of up to 2,048 terms, whose rounding reaches a few 1e-6 in
  relative terms. ``atol = rtol = 1e-5`` (float32) leaves a margin of a few; float64
  (unit roundoff 1.1e-16) gets 1e-12, still four orders of magnitude above its
  rounding and far below any real error.
* gradients: the backward of a normalisation subtracts from the upstream gradient its
  projection on two directions (the mean and the normalised values), sums of up to
  2,048 products each, divided by the standard deviation (down to ≈ 0.3 here):
  float32 gets ``atol = rtol = 1e-4``, float64 1e-10.
* running statistics: a mean and an unbiased variance blended with momentum, the same
  accumulated roundings as the values: the value tolerances.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lbdl_book.nn import norm
from lbdl_book.nn.norm import BatchNorm1d, BatchNorm2d, LayerNorm, batch_norm, layer_norm

DTYPES = [torch.float32, torch.float64]
VALUE_TOL = {torch.float32: (1e-5, 1e-5), torch.float64: (1e-12, 1e-12)}
GRAD_TOL = {torch.float32: (1e-4, 1e-4), torch.float64: (1e-10, 1e-10)}


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def assert_close(ours, theirs, tol):
    atol, rtol = tol
    torch.testing.assert_close(ours, theirs, atol=atol, rtol=rtol)


def random_input(shape, dtype, g):
    """Values of order 1 to 10: a random scale and offset per channel (dim 1), so that
    the normalisation has something to do."""
    x = torch.randn(*shape, generator=g, dtype=dtype)
    per_channel = (1, shape[1]) + (1,) * (len(shape) - 2)
    scale = 0.5 + 2.5 * torch.rand(per_channel, generator=g, dtype=dtype)
    offset = 4 * torch.randn(per_channel, generator=g, dtype=dtype)
    return x * scale + offset


def randomise(module, g):
    """Non-trivial γ, β (and running statistics), so that a swapped argument shows."""
    with torch.no_grad():
        for name, tensor in list(module.named_parameters()) + list(module.named_buffers()):
            if name == "num_batches_tracked":
                tensor.fill_(3)
            elif name in ("weight", "running_var"):
                tensor.copy_(0.5 + 1.5 * torch.rand(tensor.shape, generator=g, dtype=tensor.dtype))
            else:
                tensor.copy_(torch.randn(tensor.shape, generator=g, dtype=tensor.dtype))


def forward_and_grads(module, x, upstream):
    """The output, and the gradients of ⟨upstream, output⟩ w.r.t. x and the parameters."""
    x = x.detach().clone().requires_grad_(True)
    y = module(x)
    params = [p for p in module.parameters()]
    grads = torch.autograd.grad(y, [x, *params], grad_outputs=upstream)
    return y.detach(), grads


def assert_same_step(ours, ref, x, g, dtype):
    upstream = torch.randn(x.shape, generator=g, dtype=dtype)
    y, grads = forward_and_grads(ours, x, upstream)
    y_ref, grads_ref = forward_and_grads(ref, x, upstream)
    assert y.shape == x.shape and y.dtype == dtype
    assert_close(y, y_ref, VALUE_TOL[dtype])
    assert len(grads) == len(grads_ref)
    for ours_grad, ref_grad in zip(grads, grads_ref):
        assert_close(ours_grad, ref_grad, GRAD_TOL[dtype])
    for (name, buffer), (ref_name, ref_buffer) in zip(ours.named_buffers(), ref.named_buffers()):
        assert name == ref_name
        if name == "num_batches_tracked":
            assert torch.equal(buffer, ref_buffer)
        else:
            assert_close(buffer, ref_buffer, VALUE_TOL[dtype])


# --- batch normalization -----------------------------------------------------------------

BN_CASES = [  # (ours, reference, input shape)
    (BatchNorm1d, nn.BatchNorm1d, (2, 3)),
    (BatchNorm1d, nn.BatchNorm1d, (16, 5)),
    (BatchNorm1d, nn.BatchNorm1d, (256, 7)),
    (BatchNorm1d, nn.BatchNorm1d, (4, 6, 10)),
    (BatchNorm1d, nn.BatchNorm1d, (1, 3, 9)),          # a single sample but 9 positions: allowed
    (BatchNorm2d, nn.BatchNorm2d, (2, 3, 4, 5)),
    (BatchNorm2d, nn.BatchNorm2d, (32, 4, 8, 8)),
    (BatchNorm2d, nn.BatchNorm2d, (1, 2, 3, 3)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("ours_cls", "ref_cls", "shape"), BN_CASES)
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
def test_batch_norm_matches_torch_in_training_then_eval(dtype, ours_cls, ref_cls, shape, momentum):
    g = generator(sum(shape))
    ref = ref_cls(shape[1], momentum=momentum, dtype=dtype)
    randomise(ref, g)
    ours = ours_cls(shape[1], momentum=momentum, dtype=dtype)
    ours.load_state_dict(ref.state_dict())
    # four training steps: outputs, gradients and the running statistics after each
    for _ in range(4):
        assert_same_step(ours, ref, random_input(shape, dtype, g), g, dtype)
    assert ours.num_batches_tracked.item() == 3 + 4
    # eval mode: the running estimates, a fixed affine map, and no more updates
    ours.eval()
    ref.eval()
    frozen = {name: b.clone() for name, b in ours.named_buffers()}
    for _ in range(2):
        assert_same_step(ours, ref, random_input(shape, dtype, g), g, dtype)
    assert all(torch.equal(b, frozen[name]) for name, b in ours.named_buffers())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("track_running_stats", [True, False])
def test_batch_norm_options_match_torch(dtype, affine, bias, track_running_stats):
    g = generator(7)
    options = {"affine": affine, "track_running_stats": track_running_stats, "bias": bias, "dtype": dtype}
    ref = nn.BatchNorm2d(3, **options)
    randomise(ref, g)
    ours = BatchNorm2d(3, **options)
    assert list(ours.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]
    ours.load_state_dict(ref.state_dict())
    ref.load_state_dict(ours.state_dict())                       # both directions
    for mode in ("train", "eval"):
        ours.train(mode == "train")
        ref.train(mode == "train")
        for _ in range(2):
            assert_same_step(ours, ref, random_input((6, 3, 4, 4), dtype, g), g, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 4), (5, 3, 7), (4, 2, 3, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_function_matches_torch(dtype, shape, training):
    g = generator(len(shape) + training)
    d = shape[1]
    x = random_input(shape, dtype, g).requires_grad_(True)
    weight = (0.5 + torch.rand(d, generator=g, dtype=dtype)).requires_grad_(True)
    bias = torch.randn(d, generator=g, dtype=dtype).requires_grad_(True)
    stats = (torch.randn(d, generator=g, dtype=dtype), 0.5 + torch.rand(d, generator=g, dtype=dtype))
    ours_stats, ref_stats = [s.clone() for s in stats], [s.clone() for s in stats]
    upstream = torch.randn(shape, generator=g, dtype=dtype)
    y = batch_norm(x, *ours_stats, weight, bias, training, 0.2, 1e-3)
    y_ref = F.batch_norm(x, *ref_stats, weight, bias, training, 0.2, 1e-3)
    assert_close(y, y_ref, VALUE_TOL[dtype])
    grads = torch.autograd.grad(y, (x, weight, bias), upstream)
    grads_ref = torch.autograd.grad(y_ref, (x, weight, bias), upstream)
    for ours_grad, ref_grad in zip(grads, grads_ref):
        assert_close(ours_grad, ref_grad, GRAD_TOL[dtype])
    for s, r in zip(ours_stats, ref_stats):
        assert_close(s, r, VALUE_TOL[dtype])
    # without running statistics, training mode is normalisation by the batch alone
    if training:
        assert_close(batch_norm(x, None, None, training=True), F.batch_norm(x, None, None, training=True),
                     VALUE_TOL[dtype])


def test_batch_norm_equations_by_hand():
    """Eq. (m̂, v̂, z, y) of the book, written out for a (B, D) batch, and the moments of the result."""
    g = generator(1)
    x = random_input((64, 3), torch.float64, g)
    gamma, beta = torch.tensor([2.0, -0.5, 1.0], dtype=torch.float64), torch.tensor([1.0, 0.0, -3.0],
                                                                                   dtype=torch.float64)
    m = x.sum(0) / 64
    v = ((x - m) ** 2).sum(0) / 64
    z = (x - m) / torch.sqrt(v + 1e-5)
    y = batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5)
    assert_close(y, gamma * z + beta, (1e-13, 1e-13))
    # per channel, y has mean β_d and standard deviation |γ_d| · √(v̂/(v̂ + ε)) ≈ |γ_d|
    assert_close(y.mean(0), beta, (1e-13, 1e-13))
    assert_close(y.std(0, unbiased=False), gamma.abs() * torch.sqrt(v / (v + 1e-5)), (1e-13, 1e-13))
    # on a B x D x H x W tensor the groups are the B x H x W slices of each channel d
    x4 = random_input((5, 3, 4, 2), torch.float64, g)
    y4 = batch_norm(x4, None, None, training=True)
    for d in range(3):
        slab = x4[:, d]
        assert_close(y4[:, d], (slab - slab.mean()) / torch.sqrt(slab.var(unbiased=False) + 1e-5), (1e-13, 1e-13))


def test_running_variance_is_unbiased_and_momentum_is_the_weight_of_the_new_batch():
    g = generator(2)
    x = random_input((10, 4, 3), torch.float64, g)
    layer = BatchNorm1d(4, momentum=1.0, dtype=torch.float64)
    layer(x)
    # momentum 1: the estimates are those of this batch, the variance with the n − 1 divisor
    values = x.transpose(0, 1).reshape(4, -1)                   # (D, n) with n = B · L = 30
    assert_close(layer.running_mean, values.mean(1), (1e-14, 1e-14))
    assert_close(layer.running_var, values.var(1, unbiased=True), (1e-13, 1e-13))
    # ... but the batch itself is normalised with the biased variance
    z = layer.train()(x).transpose(0, 1).reshape(4, -1)
    assert_close(z.var(1, unbiased=False), values.var(1, unbiased=False) / (values.var(1, unbiased=False) + 1e-5),
                 (1e-12, 1e-12))
    # momentum m: r ← (1 − m) r + m · (batch statistic)
    layer = BatchNorm1d(4, momentum=0.25, dtype=torch.float64)
    layer(x)
    assert_close(layer.running_mean, 0.25 * values.mean(1), (1e-14, 1e-14))
    assert_close(layer.running_var, 0.75 + 0.25 * values.var(1), (1e-13, 1e-13))
    # momentum None: the plain average of all the batches seen
    layer = BatchNorm1d(4, momentum=None, dtype=torch.float64)
    batches = [random_input((10, 4, 3), torch.float64, g) for _ in range(5)]
    for batch in batches:
        layer(batch)
    means = torch.stack([b.transpose(0, 1).reshape(4, -1).mean(1) for b in batches])
    assert_close(layer.running_mean, means.mean(0), (1e-13, 1e-13))


def test_batch_norm_eval_is_a_fixed_affine_map_and_training_mixes_the_samples():
    g = generator(3)
    layer = BatchNorm1d(5, dtype=torch.float64)
    randomise(layer, g)
    x = random_input((8, 5), torch.float64, g)
    layer.eval()
    scale = layer.weight / torch.sqrt(layer.running_var + layer.eps)
    with torch.no_grad():
        assert_close(layer(x), x * scale + (layer.bias - layer.running_mean * scale), (1e-13, 1e-13))
        # in eval mode, sample 0's output does not depend on the rest of the batch
        alone = layer(x[:1])
        assert_close(alone, layer(x)[:1], (1e-14, 1e-14))
        layer.train()
        # in training mode it does: change the other samples, sample 0's output changes
        other = torch.cat([x[:1], random_input((7, 5), torch.float64, g)])
        assert (layer(x)[0] - layer(other)[0]).abs().max() > 1e-3


@pytest.mark.parametrize("shape", [(32, 4), (8, 4, 16)])
def test_batch_norm_gradcheck(shape):
    g = generator(4)
    x = random_input(shape, torch.float64, g).requires_grad_(True)
    weight = (0.5 + torch.rand(4, generator=g, dtype=torch.float64)).requires_grad_(True)
    bias = torch.randn(4, generator=g, dtype=torch.float64).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda *a: batch_norm(a[0], None, None, a[1], a[2], training=True),
                                    (x, weight, bias))


def test_batch_norm_errors():
    layer = BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3\) expects 3 channels in dim 1 .* got shape \(2, 4\)"):
        layer(torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"BatchNorm1d expects an input of shape \(B, D\) or \(B, D, L\), "
                                         r"got \(2, 3, 4, 5\)"):
        layer(torch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"BatchNorm2d expects an input of shape \(B, D, H, W\), got \(2, 3\)"):
        BatchNorm2d(3)(torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\) expects 3 channels .* got shape \(2, 1, 4, 4\)"):
        BatchNorm2d(3)(torch.zeros(2, 1, 4, 4))
    # a batch of one sample with one value per channel has no variance: refused in
    # training mode, like PyTorch (ValueError there too) ...
    with pytest.raises(ValueError, match=r"more than 1 value per channel, got x of shape \(1, 3\)"):
        layer(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(torch.zeros(1, 3))
    with pytest.raises(ValueError, match=r"more than 1 value per channel, got x of shape \(1, 2, 1, 1\)"):
        BatchNorm2d(2)(torch.zeros(1, 2, 1, 1))
    # ... and fine in eval mode, where the running estimates are used
    assert layer.eval()(torch.zeros(1, 3)).shape == (1, 3)
    with pytest.raises(TypeError, match="input must be a floating-point tensor, got torch.int64"):
        layer(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="input must be a torch.Tensor, got list"):
        layer([[0.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="num_features must be a positive int, got 0"):
        BatchNorm1d(0)
    with pytest.raises(ValueError, match="momentum must be a number in \\[0, 1\\] or None, got 1.5"):
        BatchNorm1d(3, momentum=1.5)
    with pytest.raises(ValueError, match="eps must be a number > 0, got 0"):
        BatchNorm2d(3, eps=0)
    # the function
    x = torch.zeros(4, 3)
    with pytest.raises(ValueError, match=r"x must have shape \(B, D\) or \(B, D, \*\), got \(4,\)"):
        batch_norm(torch.zeros(4), None, None, training=True)
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\), one entry per channel .* got \(4,\)"):
        batch_norm(x, None, None, torch.ones(4), training=True)
    with pytest.raises(ValueError, match=r"running_var must have shape \(3,\)"):
        batch_norm(x, torch.zeros(3), torch.ones(2))
    with pytest.raises(ValueError, match="both tensors or both None"):
        batch_norm(x, torch.zeros(3), None, training=True)
    with pytest.raises(ValueError, match=r"eval mode \(training=False\) needs running_mean and running_var"):
        batch_norm(x, None, None)
    with pytest.raises(ValueError, match="momentum must be in \\[0, 1\\], got -0.1"):
        batch_norm(torch.randn(4, 3), torch.zeros(3), torch.ones(3), training=True, momentum=-0.1)


# --- layer normalization -----------------------------------------------------------------

LN_CASES = [  # (input shape, normalized_shape)
    ((4, 8), 8),
    ((4, 8), (8,)),
    ((3, 5, 16), 16),                  # (B, T, D): each token of each sequence on its own
    ((2, 4, 3, 5), (4, 3, 5)),        # (B, D, H, W) over (D, H, W), as in Figure 4.9
    ((2, 4, 3, 5), (3, 5)),
    ((7,), 7),                         # no batch dimension at all
    ((64, 32), 32),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "normalized_shape"), LN_CASES)
@pytest.mark.parametrize(("elementwise_affine", "bias"), [(True, True), (True, False), (False, True)])
def test_layer_norm_matches_torch(dtype, shape, normalized_shape, elementwise_affine, bias):
    g = generator(len(shape))
    ref = nn.LayerNorm(normalized_shape, elementwise_affine=elementwise_affine, bias=bias, dtype=dtype)
    randomise(ref, g)
    ours = LayerNorm(normalized_shape, elementwise_affine=elementwise_affine, bias=bias, dtype=dtype)
    assert list(ours.state_dict()) == list(ref.state_dict())
    ours.load_state_dict(ref.state_dict())
    x = 3 * torch.randn(shape, generator=g, dtype=dtype) + 2
    for mode in ("train", "eval"):                   # the same in both modes
        ours.train(mode == "train")
        ref.train(mode == "train")
        assert_same_step(ours, ref, x, g, dtype)
    # the function with explicit parameters
    y = layer_norm(x, normalized_shape, ref.weight, ref.bias, 1e-3)
    assert_close(y, F.layer_norm(x, ours.normalized_shape, ref.weight, ref.bias, 1e-3), VALUE_TOL[dtype])


def test_layer_norm_equations_and_independence_of_the_batch():
    g = generator(5)
    x = 4 * torch.randn(6, 3, 4, 2, generator=g, dtype=torch.float64) + 1
    y = layer_norm(x, (3, 4, 2))
    for b in range(6):                               # one group per sample b, over (d, h, w)
        s = x[b]
        assert_close(y[b], (s - s.mean()) / torch.sqrt(s.var(unbiased=False) + 1e-5), (1e-13, 1e-13))
        assert_close(layer_norm(x[b:b + 1], (3, 4, 2)), y[b:b + 1], (0, 0))     # alone or in a batch
    # γ and β act per component (d, h, w)
    gamma = torch.rand(3, 4, 2, generator=g, dtype=torch.float64)
    beta = torch.randn(3, 4, 2, generator=g, dtype=torch.float64)
    assert_close(layer_norm(x, (3, 4, 2), gamma, beta), y * gamma + beta, (1e-14, 1e-14))
    # invariant to a positive rescaling and a shift of each sample (up to ε)
    assert_close(layer_norm(5 * x + 3, (3, 4, 2), eps=1e-12), layer_norm(x, (3, 4, 2), eps=1e-12), (1e-10, 1e-10))


def test_layer_norm_gradcheck():
    g = generator(6)
    x = torch.randn(3, 2, 4, generator=g, dtype=torch.float64, requires_grad=True)
    weight = torch.rand(2, 4, generator=g, dtype=torch.float64, requires_grad=True)
    bias = torch.randn(2, 4, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, w, b: layer_norm(a, (2, 4), w, b), (x, weight, bias))


def test_layer_norm_errors():
    with pytest.raises(ValueError, match=r"x must have shape \(\*, 3\) .* got \(2, 4\)"):
        LayerNorm(3)(torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"x must have shape \(\*, 3, 4\) .* got \(4,\)"):
        LayerNorm((3, 4))(torch.zeros(4))
    with pytest.raises(ValueError, match="normalized_shape must be a positive int .* got 0"):
        LayerNorm(0)
    with pytest.raises(ValueError, match=r"normalized_shape must be .* got \(\)"):
        LayerNorm(())
    with pytest.raises(TypeError, match="normalized_shape must be an int or a sequence of ints, got float"):
        LayerNorm(3.0)
    with pytest.raises(TypeError, match="x must be a floating-point tensor"):
        LayerNorm(3)(torch.zeros(2, 3, dtype=torch.int32))
    with pytest.raises(ValueError, match=r"weight must have shape normalized_shape=\(3,\), got \(4,\)"):
        layer_norm(torch.zeros(2, 3), 3, torch.ones(4))
    with pytest.raises(ValueError, match="eps must be a number > 0, got -1"):
        LayerNorm(3, eps=-1)


# --- no shortcut through PyTorch's own normalisation ----------------------------------------

def test_norm_does_not_call_the_torch_functions_it_reimplements(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("lbdl_book.nn.norm must compute this from the equations")

    for module, name in [(F, "batch_norm"), (F, "layer_norm"), (F, "instance_norm"), (F, "group_norm"),
                         (torch, "batch_norm"), (torch, "layer_norm"), (torch, "native_batch_norm"),
                         (torch, "native_layer_norm"), (torch, "var"), (torch, "var_mean"),
                         (torch.Tensor, "var"), (torch.Tensor, "std")]:
        monkeypatch.setattr(module, name, forbidden)
    x = torch.randn(4, 3, 5, 5, requires_grad=True)
    bn, ln = BatchNorm2d(3), LayerNorm((3, 5, 5))
    (bn(x).sum() + ln(x).sum()).backward()
    bn.eval()(x)
    BatchNorm1d(3)(torch.randn(4, 3))


def test_module_exports():
    assert sorted(norm.__all__) == ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "batch_norm", "layer_norm"]
