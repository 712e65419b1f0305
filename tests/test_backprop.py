"""§3.4 backpropagation: the hand-written backward pass against autograd, gradient-norm
clipping against ``torch.nn.utils.clip_grad_norm_``, and the resource counters.

Tolerances (tests/_bounds.py). The hand-written backward runs exactly the products
autograd runs (x Wᵀ, g W, gᵀ x, sums), but a matrix product may be split and summed in a
different order inside BLAS, so the two agree up to rounding, not bit for bit:
`_bounds.mlp` bounds the difference entry by entry, layer by layer (each sum of n terms
off by γ_n of the sum of their absolute values, errors carried to the next layer; the
forward pass is shared bit for bit where both sides run layer_forward). A wrong
transpose, a missing σ' or a forgotten layer gives errors of the size of the gradients.
Norms and clipping: a Euclidean norm of N entries is within γ_{N+2} relative.
"""

import math

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import assert_within, gamma, mlp, unit_roundoff
from lbdl_book import backprop
from lbdl_book.backprop import (ChainMLP, Gradients, activation_memory, activation_derivative, activate,
                                checkpointed, clip_grad_norm, counted_flops, draw_chain, gradient_norms,
                                layer_backward, layer_forward, matmul_flops, mse_and_gradient, saved_tensor_bytes)

SHAPES = [(3, 1), (4, 16, 3), (5, 32, 32, 2), (8, 24, 16, 16, 12, 4), (64, 64, 64, 64, 64, 64, 10)]


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def layers_of(model: ChainMLP):
    """[(W_d, b_d, σ_d)] for `_bounds.mlp`."""
    return [(w, b, model.layer_activation(d + 1)) for d, (w, b) in enumerate(zip(model.weights, model.biases))]


def mse_bounds(prediction, target):
    """One side's bounds on the MSE loss (N squares of rounded differences, summed and
    divided: γ_{N+3} relative) and on its gradient 2(y − t)/N (γ₃ relative)."""
    error = (prediction - target).double()
    loss, grad = (error**2).mean(), 2 * error / error.numel()
    return gamma(error.numel() + 3, prediction.dtype) * loss, gamma(3, prediction.dtype) * grad.abs()


def autograd_gradients(model: ChainMLP, x, target):
    """Everything through autograd, on model.forward: the loss, and the gradients with
    respect to every parameter and every activation x^(0) … x^(D)."""
    params = [p.detach().clone().requires_grad_(True) for p in model.parameters()]
    x = x.detach().clone().requires_grad_(True)
    activations = [x]
    for d in range(1, model.depth + 1):
        y = layer_forward(activations[-1], params[2 * d - 2], params[2 * d - 1], model.layer_activation(d))
        y.retain_grad()
        activations.append(y)
    loss = F.mse_loss(activations[-1], target)
    loss.backward()
    return loss, [p.grad for p in params], [a.grad for a in activations]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("widths", SHAPES)
@pytest.mark.parametrize("activation", ["tanh", "relu", "identity"])
def test_hand_written_backward_equals_autograd(dtype, widths, activation):
    model = ChainMLP(widths, activation, gain=1.3, seed=len(widths), dtype=dtype)
    # non-zero biases, so that they matter in the comparison
    for b in model.biases:
        b.copy_(0.1 * torch.randn(b.shape, generator=generator(7), dtype=dtype))
    g = generator(len(widths) + 1)
    x = torch.randn(9, widths[0], generator=g, dtype=dtype)
    target = torch.randn(9, widths[-1], generator=g, dtype=dtype)

    activations = model.forward(x)
    loss, grad_output = mse_and_gradient(activations[-1], target)
    grads = model.backward(activations, grad_output)
    ref_loss, ref_params, ref_activations = autograd_gradients(model, x, target)

    assert len(activations) == model.depth + 1 == len(widths)
    assert [a.shape for a in activations] == [(9, n) for n in widths]
    # the forward passes are the same operations (layer_forward), bit for bit: only the
    # loss, its gradient and the backward products differ
    loss_bound, grad_bound = mse_bounds(activations[-1], target)
    bounds = mlp(layers_of(model), x, grad_output, forward_rounds=False, upstream_error=grad_bound)
    assert_within(loss, ref_loss, 2 * loss_bound)
    expected = [b for pair in zip(bounds["weight"], bounds["bias"]) for b in pair]
    for ours, theirs, bound in zip(grads.parameters(), ref_params, expected, strict=True):
        assert ours.shape == theirs.shape and ours.dtype == dtype
        assert_within(ours, theirs, bound)
    for ours, theirs, bound in zip(grads.activations, ref_activations, bounds["activations"], strict=True):
        assert_within(ours, theirs, bound)


@pytest.mark.parametrize("widths", SHAPES)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_the_torch_module_is_the_same_function_with_the_same_gradients(widths, activation):
    model = ChainMLP(widths, activation, seed=3)
    module = model.to_module()
    assert len(module) == model.depth
    x = torch.randn(6, widths[0], generator=generator(4), dtype=torch.float64)
    target = torch.randn(6, widths[-1], generator=generator(5), dtype=torch.float64)
    activations = model.forward(x)
    # nn.Linear (addmm) against x Wᵀ + b: two forward passes, two backward passes, and the
    # loss gradients of two slightly different outputs
    _, grad_output = mse_and_gradient(activations[-1], target)
    forward = mlp(layers_of(model), x, implementations=1)["value"]
    bounds = mlp(layers_of(model), x, grad_output,
                 upstream_error=mse_bounds(activations[-1], target)[1] + 2 * forward / forward.numel())
    assert_within(module(x), activations[-1], bounds["value"])
    F.mse_loss(module(x), target).backward()
    grads = model.backward(activations, grad_output)
    ref = [p.grad for p in module.parameters()]
    expected = [b for pair in zip(bounds["weight"], bounds["bias"]) for b in pair]
    for ours, theirs, bound in zip(grads.parameters(), ref, expected, strict=True):
        assert_within(ours, theirs, bound)


def test_gradcheck_of_one_layer_backward():
    """The Jacobian products of layer_backward against finite differences (gradcheck)."""
    g = generator(8)
    for activation in ("tanh", "relu", "identity"):
        x = torch.randn(4, 5, generator=g, dtype=torch.float64)
        w = torch.randn(3, 5, generator=g, dtype=torch.float64)
        b = torch.randn(3, generator=g, dtype=torch.float64)
        upstream = torch.randn(4, 3, generator=g, dtype=torch.float64)
        y = layer_forward(x, w, b, activation)
        grad_x, grad_w, grad_b = layer_backward(upstream, x, y, w, activation)
        # ⟨upstream, f(x; W, b)⟩ has gradient (grad_x, grad_w, grad_b): check with autograd.vjp
        _, (ref_x, ref_w, ref_b) = torch.autograd.functional.vjp(
            lambda x_, w_, b_: layer_forward(x_, w_, b_, activation), (x, w, b), upstream)
        bounds = mlp([(w, b, activation)], x, upstream, forward_rounds=False)
        for ours, theirs, bound in ((grad_x, ref_x, bounds["x"]), (grad_w, ref_w, bounds["weight"][0]),
                                    (grad_b, ref_b, bounds["bias"][0])):
            assert_within(ours, theirs, bound)
        assert torch.autograd.gradcheck(lambda x_, w_, b_: layer_forward(x_, w_, b_, activation),
                                        (x.requires_grad_(), w.requires_grad_(), b.requires_grad_()))


def test_relu_derivative_at_zero_follows_pytorch():
    z = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    (ref,) = torch.autograd.grad(nn.ReLU()(z).sum(), z)
    assert torch.equal(activation_derivative(activate(z.detach(), "relu"), "relu"), ref)
    assert ref.tolist() == [0.0, 0.0, 1.0]
    y = torch.tanh(z.detach())
    (ref_tanh,) = torch.autograd.grad(torch.tanh(z).sum(), z)
    # 1 − y·y on both sides, perhaps with a fused multiply-add on one: within 2γ₂(1 + y²)
    assert_within(activation_derivative(y, "tanh"), ref_tanh, 2 * gamma(2, torch.float64) * (1 + y**2))


def test_backward_is_written_by_hand(monkeypatch):
    """ChainMLP.backward must not call autograd: every entry point raises while it runs."""
    model = ChainMLP((4, 8, 2), "tanh")
    x = torch.randn(3, 4, dtype=torch.float64)
    activations = model.forward(x)
    _, grad_output = mse_and_gradient(activations[-1], torch.zeros(3, 2, dtype=torch.float64))

    def forbidden(*args, **kwargs):
        raise AssertionError("the backward pass of lbdl_book.backprop must not use autograd")

    for module, name in [(torch.autograd, "grad"), (torch.autograd, "backward"), (torch.Tensor, "backward"),
                         (torch.autograd.functional, "vjp")]:
        monkeypatch.setattr(module, name, forbidden)
    with torch.no_grad():                                     # and no graph is needed either
        grads = model.backward(activations, grad_output)
    assert isinstance(grads, Gradients) and len(grads.weights) == 2


def test_init_scale_and_seed():
    model = ChainMLP((400, 300, 200), "relu", gain=math.sqrt(2), seed=1)
    # W_d ~ N(0, gain² / n_in): the variance of n Gaussian draws has a relative standard
    # error of √(2/n); within 5 of them
    for w, n_in in ((model.weights[0], 400), (model.weights[1], 300)):
        assert abs(w.var().item() * n_in / 2 - 1) < 5 * math.sqrt(2 / w.numel())
    assert all(torch.equal(b, torch.zeros_like(b)) for b in model.biases)
    again = ChainMLP((400, 300, 200), "relu", gain=math.sqrt(2), seed=1)
    assert all(torch.equal(a, b) for a, b in zip(model.parameters(), again.parameters()))
    assert model.depth == 2 and model.layer_activation(1) == "relu" and model.layer_activation(2) == "identity"


def test_mse_and_gradient_match_torch():
    g = generator(2)
    for dtype in (torch.float32, torch.float64):
        prediction = torch.randn(7, 3, generator=g, dtype=dtype, requires_grad=True)
        target = torch.randn(7, 3, generator=g, dtype=dtype)
        loss, grad = mse_and_gradient(prediction.detach(), target)
        ref = F.mse_loss(prediction, target)
        (ref_grad,) = torch.autograd.grad(ref, prediction)
        loss_bound, grad_bound = mse_bounds(prediction.detach(), target)
        assert_within(loss, ref.detach(), 2 * loss_bound)
        assert_within(grad, ref_grad, 2 * grad_bound)


def test_gradient_norms_vanish_and_explode_with_the_init():
    n, depth = 64, 20
    g = generator(3)
    x = torch.randn(32, n, generator=g, dtype=torch.float64)
    target = torch.randn(32, 1, generator=g, dtype=torch.float64)
    widths = (n,) * depth + (1,)
    norms = {gain: gradient_norms(ChainMLP(widths, "tanh", gain=gain, seed=0), x, target) for gain in (0.5, 1.0, 3.0)}
    for gain, r in norms.items():
        assert r["activations"].shape == (depth + 1,) and r["weights"].shape == (depth,)
        assert (r["activations"] > 0).all()
    # the norms equal those of the autograd gradients
    model = ChainMLP(widths, "tanh", gain=3.0, seed=0)
    _, ref_params, ref_activations = autograd_gradients(model, x, target)
    # | ‖a‖ − ‖b‖ | ≤ ‖a − b‖ ≤ ‖entrywise bound‖, and each norm rounds (γ_{N+2} relative)
    activations = model.forward(x)
    loss_bound, grad_bound = mse_bounds(activations[-1], target)
    bounds = mlp(layers_of(model), x, mse_and_gradient(activations[-1], target)[1], forward_rounds=False,
                 upstream_error=grad_bound)
    for ours, refs, entrywise in ((norms[3.0]["weights"], ref_params[0::2], bounds["weight"]),
                                  (norms[3.0]["activations"], ref_activations, bounds["activations"])):
        expected = torch.stack([r.norm() for r in refs])
        rounding = torch.stack([2 * gamma(r.numel() + 2, torch.float64) * r.norm() for r in refs])
        assert_within(ours, expected, torch.stack([e.norm() for e in entrywise]) + rounding)
    ratio = {gain: (r["activations"][0] / r["activations"][-1]).item() for gain, r in norms.items()}
    # gain 0.5 ≈ halves the gradient at each of 20 layers (0.5^20 ≈ 1e-6), gain 3 makes it grow
    assert ratio[0.5] < 1e-4 and ratio[3.0] > 1e2 and 1e-2 < ratio[1.0] < 1e1, ratio


# --- clipping ----------------------------------------------------------------------------

def _gradient_set(dtype, scale, seed):
    g = generator(seed)
    return [scale * torch.randn(shape, generator=g, dtype=dtype) for shape in [(5, 3), (3,), (2, 4, 6), (1,)]]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("scale", [1e-3, 0.2, 1.0, 50.0])
@pytest.mark.parametrize("max_norm", [0.5, 1.0, 10.0])
def test_clip_grad_norm_matches_torch(dtype, scale, max_norm):
    ours = _gradient_set(dtype, scale, seed=int(scale * 1000) % 97)
    params = [nn.Parameter(torch.zeros_like(g)) for g in ours]
    for p, g in zip(params, ours):
        p.grad = g.clone()
    before = [g.clone() for g in ours]
    norm = clip_grad_norm(ours, max_norm)
    ref_norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    # Same arithmetic (norm of the per-tensor norms, then one factor), perhaps in another
    # order: the norm of all N entries within γ_{N+4} relative on each side, the factor
    # max_norm/(norm + ε) two roundings more, the product one more
    n = sum(b.numel() for b in before)
    assert_within(norm, ref_norm, 2 * gamma(n + 4, dtype) * ref_norm.abs())
    for g, p in zip(ours, params):
        assert_within(g, p.grad, 2 * gamma(n + 7, dtype) * p.grad.abs())
    total_before = math.sqrt(sum((b.double() ** 2).sum().item() for b in before))
    assert math.isclose(norm.item(), total_before, rel_tol=gamma(n + 4, dtype) + gamma(n + 4, torch.float64))
    total_after = math.sqrt(sum((g.double() ** 2).sum().item() for g in ours))
    if total_before > max_norm:
        # the norm becomes max_norm·‖g‖/(‖g‖ + ε), ε = 1e-6, up to the rounding of the factor
        # and of each entry, and the direction is kept: each entry scaled by the same
        # factor within u, so 1 − cos ≤ u² (plus the float64 rounding of the cosine)
        assert math.isclose(total_after, max_norm, rel_tol=1e-6 / total_before + gamma(n + 8, dtype))
        flat, flat_before = torch.cat([g.flatten() for g in ours]), torch.cat([b.flatten() for b in before])
        assert F.cosine_similarity(flat.double(), flat_before.double(), dim=0) >= \
            1 - unit_roundoff(dtype) ** 2 - gamma(3 * n + 4, torch.float64)
    else:
        assert all(torch.equal(g, b) for g, b in zip(ours, before))   # factor exactly 1


def test_clip_grad_norm_edge_cases(monkeypatch):
    zero = [torch.zeros(3), torch.zeros(2, 2)]
    assert clip_grad_norm(zero, 1.0).item() == 0 and all((g == 0).all() for g in zero)
    single = torch.tensor([3.0, 4.0])
    assert clip_grad_norm(single, 1.0).item() == 5.0
    # scaled by 1/(5 + ε), ε = 1e-6: 0.6 and 0.8 less ε/5 relative, plus γ₃ of rounding
    expected = torch.tensor([0.6, 0.8])
    assert_within(single, expected, expected * (1e-6 / 5 + gamma(3, torch.float32)))
    assert clip_grad_norm([], 1.0).item() == 0
    # max_norm = inf measures the norm and changes nothing, as in PyTorch
    big = [torch.full((3,), 1e3), torch.full((2,), -1e3)]
    assert math.isclose(clip_grad_norm(big, math.inf).item(), math.sqrt(5) * 1e3, rel_tol=gamma(5 + 4, torch.float32))
    assert all(torch.equal(g, torch.full_like(g, v)) for g, v in zip(big, (1e3, -1e3)))
    param = nn.Parameter(torch.zeros(3))
    param.grad = torch.full((3,), 1e3)
    assert torch.nn.utils.clip_grad_norm_([param], math.inf) == clip_grad_norm(torch.full((3,), 1e3), math.inf)
    # computed from the definition, not by calling PyTorch's version
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", lambda *a, **k: 1 / 0)
    clip_grad_norm([torch.ones(3)], 1.0)


def test_clip_grad_norm_errors():
    with pytest.raises(TypeError, match=r"gradients\[1\] must be a torch.Tensor, got list"):
        clip_grad_norm([torch.ones(2), [1.0]], 1.0)
    with pytest.raises(TypeError, match=r"gradients\[0\] must be a floating-point tensor, got torch.int64"):
        clip_grad_norm([torch.ones(2, dtype=torch.long)], 1.0)
    with pytest.raises(ValueError, match=r"max_norm must be > 0 \(math.inf: no clipping\), got -1"):
        clip_grad_norm([torch.ones(2)], -1)
    with pytest.raises(ValueError, match="max_norm must be > 0 .*got nan"):
        clip_grad_norm([torch.ones(2)], math.nan)
    with pytest.raises(TypeError, match="max_norm must be a real number, got str"):
        clip_grad_norm([torch.ones(2)], "1")


# --- resources ---------------------------------------------------------------------------

@pytest.mark.parametrize(("widths", "batch"), [((8, 4), 3), ((16, 32, 8), 5), ((32, 32, 32, 32), 4),
                                              ((64, 64, 64, 64, 10), 32)])
@pytest.mark.parametrize("input_grad", [False, True])
def test_flop_formula_equals_pytorch_counter(widths, batch, input_grad):
    module = ChainMLP(widths, "relu", dtype=torch.float32).to_module()
    x = torch.randn(batch, widths[0], requires_grad=input_grad)
    expected = matmul_flops(widths, batch, input_grad=input_grad)
    assert counted_flops(lambda: module(x)) == expected["forward"]
    assert counted_flops(lambda: module(x).sum().backward()) == expected["forward"] + expected["backward"]
    layers = len(widths) - 1
    ratio = expected["backward"] / expected["forward"]
    if input_grad:
        assert ratio == 2                                        # two products per layer
    elif len(set(widths)) == 1:
        assert ratio == (2 * layers - 1) / layers                # the first layer skips ∇ℓ|x^(0)
    elif layers == 1:
        assert ratio == 1


def test_saved_activations_grow_linearly_with_depth_and_vanish_in_inference():
    n, batch = 32, 16
    x = torch.randn(batch, n)
    for depth in (1, 2, 5, 9):
        for activation in ("tanh", "relu"):
            module = ChainMLP((n,) * (depth + 1), activation, dtype=torch.float32).to_module()
            out, saved = saved_tensor_bytes(lambda: module(x), exclude=module.parameters())
            # x^(0), …, x^(D−1): one (B, n) float32 tensor per layer, each counted once
            assert saved == depth * batch * n * 4
            assert activation_memory(list(module), x) == {"saved": saved, "recomputed": 0}
            with torch.no_grad():
                _, inference = saved_tensor_bytes(lambda: module(x))
            assert inference == 0
    # without exclude, the weights that autograd saves are counted too: W_2 (for ∇ℓ|x^(1)),
    # not W_1, since the input needs no gradient ... unless it does
    module = ChainMLP((n, n, n), "tanh", dtype=torch.float32).to_module()
    _, everything = saved_tensor_bytes(lambda: module(x))
    assert everything == 2 * batch * n * 4 + n * n * 4
    _, everything = saved_tensor_bytes(lambda: module(x.requires_grad_(True)))
    assert everything == 2 * batch * n * 4 + 2 * n * n * 4


def test_saved_bytes_count_storages_once():
    """Two views of one tensor saved by an operation keep its whole storage alive, once."""
    a = torch.randn(4, 5, requires_grad=True)
    b = 2 * a                                                  # (4, 5) float32: 80 bytes
    _, saved = saved_tensor_bytes(lambda: (b[:2] * b[2:]).sum())
    assert saved == 80
    _, saved = saved_tensor_bytes(lambda: (b[:2] * b[2:].clone()).sum())
    assert saved == 80 + 40


def test_checkpointing_keeps_fewer_activations_and_the_same_gradients():
    n, batch, depth = 16, 8, 12
    model = ChainMLP((n,) * (depth + 1), "tanh", dtype=torch.float64, seed=2)
    module = model.to_module()
    x = torch.randn(batch, n, dtype=torch.float64)
    upstream = torch.randn(batch, n, dtype=torch.float64)
    module(x).backward(upstream)
    plain = [p.grad.clone() for p in module.parameters()]
    unit = batch * n * 8
    for segments in (1, 3, 4, 12):
        module.zero_grad()
        out = checkpointed(list(module), segments)(x)
        # recomputing a segment runs the same layers on the same input: the same numbers, bit for bit
        assert torch.equal(out, module(x))
        out.backward(upstream)
        for p, ref in zip(module.parameters(), plain, strict=True):
            assert torch.equal(p.grad, ref)
        memory = activation_memory(list(module), x, segments)
        # the input of each segment is kept; recomputing one segment of depth/segments
        # layers saves its depth/segments activations again (its own input excluded,
        # its output included: the last layer is affine, it saves its input only)
        assert memory["saved"] == segments * unit
        assert memory["recomputed"] == (depth // segments - (segments == 1)) * unit
    # recomputation costs one more forward pass, less the affine last layer's product
    flops = counted_flops(lambda: checkpointed(list(module), 4)(x).backward(upstream))
    expected = matmul_flops((n,) * (depth + 1), batch)
    assert flops == 2 * expected["forward"] + expected["backward"] - 2 * batch * n * n


def test_checkpoint_segment_errors():
    layers = list(ChainMLP((4, 4, 4), "tanh").to_module())
    with pytest.raises(ValueError, match="segments must be at most the number of layers \\(2\\), got 3"):
        checkpointed(layers, 3)
    with pytest.raises(ValueError, match="segments must be a positive int, got 0"):
        checkpointed(layers, 0)


def test_figure_3_3_is_drawn():
    fig = draw_chain("forward", "backward")
    assert isinstance(fig, matplotlib.figure.Figure)
    texts = [t.get_text() for t in fig.axes[0].texts]
    for expected in ("$f^{(1)}$", "$f^{(d)}$", "$f^{(D)}$", "$w_{d}$", "$x^{(d-1)}$", "forward", "backward",
                     r"$\times J_{f^{(d)}|x}$", r"$\times J_{f^{(d)}|w}$", r"$\nabla \ell_{|w_{d}}$",
                     r"$\nabla \ell_{|x^{(0)}}$"):
        assert expected in texts, expected
    fig.canvas.draw()                                          # every label renders (mathtext parses)
    plt.close(fig)


def test_module_exports():
    assert all(callable(getattr(backprop, name)) or name == "ACTIVATIONS" for name in backprop.__all__)
