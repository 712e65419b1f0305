"""The normalizing layers of §4.6 against PyTorch's: values, gradients, running statistics.

Tolerances (tests/_bounds.py). Our layers and PyTorch's compute the same formulas in a
different order (PyTorch fuses each layer into one kernel, accumulates the statistics in
its own order and differentiates with a closed-form backward; we let autograd go through
the elementary operations). They agree up to rounding, not bit for bit, and
`_bounds.normalization` bounds the difference entry by entry from the sizes of the groups
and the magnitudes involved (the mean and the variance of n values, the division by the
standard deviation, the sums of the backward pass); see its docstring for the derivation.
Running statistics blend one batch's statistics with momentum m, so their bound follows
the same recursion r ← (1 − m) r + m·(batch bound) + the rounding of the blend, and in
eval mode a difference in the running estimates moves the outputs by |w|/s times it.
A wrong ε, a biased/unbiased mix-up, a swapped γ/β or a missing term moves the outputs
or the gradients far beyond these bounds in float64 (and in float32 for all but the
largest groups, where γ_n ≈ n·2⁻²⁴ is itself large).
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import _bounds
from _bounds import assert_within, gamma, normalization, unit_roundoff
from lbdl_book.nn import norm
from lbdl_book.nn.norm import BatchNorm1d, BatchNorm2d, LayerNorm, batch_norm, layer_norm

DTYPES = [torch.float32, torch.float64]


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def layer_bounds(ref, x, upstream, state):
    """`_bounds.normalization` for the PyTorch layer ``ref`` (BatchNorm or LayerNorm) about to
    process x, plus the effect of the difference ``state`` carries between our running
    estimates and ref's (zero until an update has rounded differently)."""
    if isinstance(ref, nn.LayerNorm):
        dims = tuple(range(-len(ref.normalized_shape), 0))
        view = lambda t: t
        batch_stats = True
    else:
        dims = (0, *range(2, x.dim()))
        view = lambda t: None if t is None else t.view((1, -1) + (1,) * (x.dim() - 2))
        batch_stats = ref.training or ref.running_mean is None
    running = {} if batch_stats else {"mean": view(ref.running_mean), "var": view(ref.running_var)}
    bounds = normalization(x, dims, view(ref.weight), view(ref.bias), ref.eps, upstream, **running)
    if not batch_stats and state:                        # eval: our running estimates differ by state's bounds
        w = view(ref.weight).detach().abs().double() if ref.weight is not None else 1.0
        v = view(ref.running_var).double() + ref.eps
        c = (x.double() - view(ref.running_mean).double()).abs()
        shift = w / v.sqrt() * (view(state["running_mean"]) + c * view(state["running_var"]) / (2 * v))
        bounds["value"] = bounds["value"] + shift
        bounds["x"] = bounds["x"] + (upstream.double() * w).abs() / v.sqrt() * view(state["running_var"]) / (2 * v)
    return bounds, view


def running_bounds(m, x, bounds, before, old=(0.0, 0.0)):
    """Bounds on |ours − ref| for the running mean and variance after a training step of
    momentum m on x, from their bounds ``old`` and values ``before`` the step:
    r ← (1 − m)·r + 2·(m·(one side's batch bound) + the rounding of the blend), with the
    unbiased variance v̂·n/(n − 1) (module docstring)."""
    n = bounds["n"]
    dims = (0, *range(2, x.dim()))
    xd = x.detach().double()
    mean, var = xd.mean(dims), xd.var(dims, unbiased=False) * n / (n - 1)
    rm, rv = before
    return ((1 - m) * old[0] + 2 * (m * bounds["mean"].flatten() + gamma(3, x.dtype) * ((1 - m) * rm.abs()
                                                                                       + m * mean.abs())),
            (1 - m) * old[1] + 2 * (m * bounds["var"].flatten() * n / (n - 1) + gamma(4, x.dtype) * (
                (1 - m) * rv.abs() + m * var)))


def update_running_bounds(ref, x, bounds, state, before):
    """`running_bounds` for the step ref has just taken, kept in ``state``."""
    if not (ref.training and ref.track_running_stats):
        return
    m = ref.momentum if ref.momentum is not None else 1 / ref.num_batches_tracked.item()
    state["running_mean"], state["running_var"] = running_bounds(
        m, x, bounds, before, (state.get("running_mean", 0.0), state.get("running_var", 0.0)))


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


def assert_same_step(ours, ref, x, g, dtype, state):
    """One step of ours and ref on x: outputs, gradients and running estimates within the
    bounds of `layer_bounds` (``state`` carries the running estimates' bounds across steps)."""
    upstream = torch.randn(x.shape, generator=g, dtype=dtype)
    bounds, _ = layer_bounds(ref, x, upstream, state)
    before = [None if b is None else b.detach().double().clone()
              for b in (getattr(ref, "running_mean", None), getattr(ref, "running_var", None))]
    y, grads = forward_and_grads(ours, x, upstream)
    y_ref, grads_ref = forward_and_grads(ref, x, upstream)
    assert y.shape == x.shape and y.dtype == dtype
    assert_within(y, y_ref, bounds["value"])
    assert len(grads) == len(grads_ref)
    names = ["x"] + [name for name, _ in ref.named_parameters()]
    for name, ours_grad, ref_grad in zip(names, grads, grads_ref):
        assert_within(ours_grad, ref_grad, bounds[name].reshape(ref_grad.shape), msg=name)
    if isinstance(ref, nn.modules.batchnorm._BatchNorm):
        update_running_bounds(ref, x, bounds, state, before)
    for (name, buffer), (ref_name, ref_buffer) in zip(ours.named_buffers(), ref.named_buffers()):
        assert name == ref_name
        if name == "num_batches_tracked":
            assert torch.equal(buffer, ref_buffer)
        else:
            assert_within(buffer, ref_buffer, state.get(name, 0.0), msg=name)


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
    state = {}
    for _ in range(4):
        assert_same_step(ours, ref, random_input(shape, dtype, g), g, dtype, state)
    assert ours.num_batches_tracked.item() == 3 + 4
    # eval mode: the running estimates, a fixed affine map, and no more updates
    ours.eval()
    ref.eval()
    frozen = {name: b.clone() for name, b in ours.named_buffers()}
    for _ in range(2):
        assert_same_step(ours, ref, random_input(shape, dtype, g), g, dtype, state)
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
    state = {}
    for mode in ("train", "eval"):
        ours.train(mode == "train")
        ref.train(mode == "train")
        for _ in range(2):
            assert_same_step(ours, ref, random_input((6, 3, 4, 4), dtype, g), g, dtype, state)


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
    dims, view = (0, *range(2, len(shape))), lambda t: t.view((1, d) + (1,) * (len(shape) - 2))
    running = {} if training else {"mean": view(stats[0]), "var": view(stats[1])}
    bounds = normalization(x, dims, view(weight), view(bias), 1e-3, upstream, **running)
    y = batch_norm(x, *ours_stats, weight, bias, training, 0.2, 1e-3)
    y_ref = F.batch_norm(x, *ref_stats, weight, bias, training, 0.2, 1e-3)
    assert_within(y, y_ref, bounds["value"])
    grads = torch.autograd.grad(y, (x, weight, bias), upstream)
    grads_ref = torch.autograd.grad(y_ref, (x, weight, bias), upstream)
    for name, ours_grad, ref_grad in zip(("x", "weight", "bias"), grads, grads_ref):
        assert_within(ours_grad, ref_grad, bounds[name].reshape(ref_grad.shape), msg=name)
    stat_bounds = running_bounds(0.2, x, bounds, [t.double() for t in stats]) if training else (0.0, 0.0)
    for s, r, bound in zip(ours_stats, ref_stats, stat_bounds):
        assert_within(s, r, bound)
    # without running statistics, training mode is normalisation by the batch alone
    if training:
        assert_within(batch_norm(x, None, None, training=True), F.batch_norm(x, None, None, training=True),
                      normalization(x, dims)["value"])


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
    bounds = normalization(x, (0,), gamma, beta, 1e-5)            # two computations of the same formula
    assert_within(y, gamma * z + beta, bounds["value"])
    # per channel, y has mean β_d and standard deviation |γ_d| · √(v̂/(v̂ + ε)) ≈ |γ_d|: the
    # statistics of ŷ move by at most max|δy| (half the bound above), plus their own rounding
    # (γ_{n+4} relative to the magnitudes), and the reference's v̂ by bounds["var"]
    u64, dy = unit_roundoff(torch.float64), bounds["value"].amax(0) / 2
    assert_within(y.mean(0), beta, dy + _bounds.gamma(64 + 1, torch.float64) * y.abs().mean(0))
    std = gamma.abs() * torch.sqrt(v / (v + 1e-5))
    assert_within(y.std(0, unbiased=False), std, dy + _bounds.gamma(64 + 4, torch.float64) * std
                  + std * (bounds["var"][0] / v + 4 * u64))
    # on a B x D x H x W tensor the groups are the B x H x W slices of each channel d
    x4 = random_input((5, 3, 4, 2), torch.float64, g)
    y4 = batch_norm(x4, None, None, training=True)
    bound4 = normalization(x4, (0, 2, 3))["value"]
    for d in range(3):
        slab = x4[:, d]
        assert_within(y4[:, d], (slab - slab.mean()) / torch.sqrt(slab.var(unbiased=False) + 1e-5), bound4[:, d])


def test_running_variance_is_unbiased_and_momentum_is_the_weight_of_the_new_batch():
    g = generator(2)
    x = random_input((10, 4, 3), torch.float64, g)
    layer = BatchNorm1d(4, momentum=1.0, dtype=torch.float64)
    layer(x)
    # momentum 1: the estimates are those of this batch, the variance with the n − 1 divisor
    values = x.transpose(0, 1).reshape(4, -1)                   # (D, n) with n = B · L = 30
    bounds = normalization(x, (0, 2))
    initial = (torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64))
    mean_bound, var_bound = running_bounds(1.0, x, bounds, initial)
    assert_within(layer.running_mean, values.mean(1), mean_bound)
    assert_within(layer.running_var, values.var(1, unbiased=True), var_bound)
    # ... but the batch itself is normalised with the biased variance: the variance of ẑ
    # moves by ≤ 2·max|z|·max|δz| (half the value bound), its own rounding is γ_{3n+4}·κ
    # relative (κ ≤ 1 + max|z|), and the reference's quotient inherits bounds["var"]
    z = layer.train()(x).transpose(0, 1).reshape(4, -1)
    biased = values.var(1, unbiased=False)
    target = biased / (biased + 1e-5)
    zmax = z.abs().amax(1)
    assert_within(z.var(1, unbiased=False), target, 2 * zmax * bounds["value"].amax((0, 2)).flatten() / 2
                  + gamma(3 * 30 + 4, torch.float64) * (1 + zmax) * target
                  + target * (bounds["var"].flatten() / biased + 4 * unit_roundoff(torch.float64)))
    # momentum m: r ← (1 − m) r + m · (batch statistic)
    layer = BatchNorm1d(4, momentum=0.25, dtype=torch.float64)
    layer(x)
    mean_bound, var_bound = running_bounds(0.25, x, bounds, initial)
    assert_within(layer.running_mean, 0.25 * values.mean(1), mean_bound)
    assert_within(layer.running_var, 0.75 + 0.25 * values.var(1), var_bound)
    # momentum None: the plain average of all the batches seen (momentum 1/k at batch k)
    layer = BatchNorm1d(4, momentum=None, dtype=torch.float64)
    batches = [random_input((10, 4, 3), torch.float64, g) for _ in range(5)]
    mean_bound, running = 0.0, initial
    for k, batch in enumerate(batches, start=1):
        mean_bound, _ = running_bounds(1 / k, batch, normalization(batch, (0, 2)), running, (mean_bound, 0.0))
        running = (layer.running_mean.clone(), layer.running_var.clone())
        layer(batch)
    means = torch.stack([b.transpose(0, 1).reshape(4, -1).mean(1) for b in batches])
    assert_within(layer.running_mean, means.mean(0), mean_bound + gamma(5 + 1, torch.float64) * means.abs().mean(0))


def test_batch_norm_eval_is_a_fixed_affine_map_and_training_mixes_the_samples():
    g = generator(3)
    layer = BatchNorm1d(5, dtype=torch.float64)
    randomise(layer, g)
    x = random_input((8, 5), torch.float64, g)
    layer.eval()
    scale = layer.weight / torch.sqrt(layer.running_var + layer.eps)
    with torch.no_grad():
        view = lambda t: t[None, :]
        bound = normalization(x, (0,), view(layer.weight), view(layer.bias), layer.eps,
                              mean=view(layer.running_mean), var=view(layer.running_var))["value"]
        assert_within(layer(x), x * scale + (layer.bias - layer.running_mean * scale), bound)
        # in eval mode, sample 0's output does not depend on the rest of the batch: the same
        # elementwise IEEE operations on the same numbers, bit for bit
        alone = layer(x[:1])
        assert torch.equal(alone, layer(x)[:1])
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
    with pytest.raises(ValueError, match=r"BatchNorm1d expects an input x of shape \(B, D\) or \(B, D, L\), "
                                         r"got \(2, 3, 4, 5\)"):
        layer(torch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"BatchNorm2d expects an input x of shape \(B, D, H, W\), got \(2, 3\)"):
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
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got torch.int64"):
        layer(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
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
        assert_same_step(ours, ref, x, g, dtype, {})
    # the function with explicit parameters
    y = layer_norm(x, normalized_shape, ref.weight, ref.bias, 1e-3)
    dims = tuple(range(-len(ours.normalized_shape), 0))
    assert_within(y, F.layer_norm(x, ours.normalized_shape, ref.weight, ref.bias, 1e-3),
                  normalization(x, dims, ref.weight, ref.bias, 1e-3)["value"])


def test_layer_norm_equations_and_independence_of_the_batch():
    g = generator(5)
    x = 4 * torch.randn(6, 3, 4, 2, generator=g, dtype=torch.float64) + 1
    y = layer_norm(x, (3, 4, 2))
    bound = normalization(x, (1, 2, 3))["value"]
    for b in range(6):                               # one group per sample b, over (d, h, w)
        s = x[b]
        assert_within(y[b], (s - s.mean()) / torch.sqrt(s.var(unbiased=False) + 1e-5), bound[b])
        # alone or in a batch: the same reduction of the same row, bit for bit
        assert torch.equal(layer_norm(x[b:b + 1], (3, 4, 2)), y[b:b + 1])
    # γ and β act per component (d, h, w): the same operations as scaling y, bit for bit
    weight = torch.rand(3, 4, 2, generator=g, dtype=torch.float64)
    beta = torch.randn(3, 4, 2, generator=g, dtype=torch.float64)
    assert torch.equal(layer_norm(x, (3, 4, 2), weight, beta), y * weight + beta)
    # invariant to a positive rescaling and a shift of each sample, up to ε: exactly,
    # z(5x + 3) − z(x) = z·(√((v + ε)/(v + ε/25)) − 1), at most |z|·ε/(2v) in size; plus
    # the rounding of both normalizations (5x + 3 itself rounds by γ₂(5|x| + 3), which moves
    # its z by at most 2·γ₂·max(5|x| + 3)/(5s))
    scaled = 5 * x + 3
    dims = (1, 2, 3)
    z, v = normalization(x, dims, eps=1e-12), x.var(dims, unbiased=False, keepdim=True)
    y_scaled, y_plain = layer_norm(scaled, (3, 4, 2), eps=1e-12), layer_norm(x, (3, 4, 2), eps=1e-12)
    rounding = (normalization(scaled, dims, eps=1e-12)["value"] + z["value"]) / 2 \
        + 2 * gamma(2, torch.float64) * (5 * x.abs() + 3).amax(dims, keepdim=True) / (5 * v.sqrt())
    assert_within(y_scaled, y_plain, rounding + y_plain.abs() * 1e-12 / (2 * v))


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
