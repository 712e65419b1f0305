"""§3.4 backpropagation: the hand-written backward pass against autograd, gradient-norm
clipping against ``torch.nn.utils.clip_grad_norm_``, and the resource counters.

Tolerances. The hand-written backward runs exactly the products autograd runs (x Wᵀ,
g W, gᵀ x, sums), but a matrix product may be split and summed in a different order
inside BLAS, so the two agree up to rounding, not bit for bit. In float64 (unit roundoff
1.1e-16) a product of length n ≤ 64 of O(1) numbers is exact to ~n·1e-16 ≈ 1e-14 and
the chain over at most 6 layers multiplies that by a few: 1e-12 relative and absolute
is a hundred times that margin and still catches any real mistake (a wrong transpose,
a missing σ', a forgotten layer all give errors of order 1e-2 or more). float32 (6e-8)
gets 1e-5 for the same reason.
"""

import math

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from lbdl_book import backprop
from lbdl_book.backprop import (ChainMLP, Gradients, activation_memory, activation_derivative, activate,
                                checkpointed, clip_grad_norm, counted_flops, draw_chain, gradient_norms,
                                layer_backward, layer_forward, matmul_flops, mse_and_gradient, saved_tensor_bytes,
                                time_forward_backward)

TOL = {torch.float64: dict(atol=1e-12, rtol=1e-12), torch.float32: dict(atol=1e-5, rtol=1e-5)}
SHAPES = [(3, 1), (4, 16, 3), (5, 32, 32, 2), (8, 24, 16, 16, 12, 4), (64, 64, 64, 64, 64, 64, 10)]


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


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
    torch.testing.assert_close(loss, ref_loss, **TOL[dtype])
    for ours, theirs in zip(grads.parameters(), ref_params, strict=True):
        assert ours.shape == theirs.shape and ours.dtype == dtype
        torch.testing.assert_close(ours, theirs, **TOL[dtype])
    for ours, theirs in zip(grads.activations, ref_activations, strict=True):
        torch.testing.assert_close(ours, theirs, **TOL[dtype])


@pytest.mark.parametrize("widths", SHAPES)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_the_torch_module_is_the_same_function_with_the_same_gradients(widths, activation):
    model = ChainMLP(widths, activation, seed=3)
    module = model.to_module()
    assert len(module) == model.depth
    x = torch.randn(6, widths[0], generator=generator(4), dtype=torch.float64)
    target = torch.randn(6, widths[-1], generator=generator(5), dtype=torch.float64)
    activations = model.forward(x)
    torch.testing.assert_close(module(x), activations[-1], **TOL[torch.float64])
    F.mse_loss(module(x), target).backward()
    grads = model.backward(activations, mse_and_gradient(activations[-1], target)[1])
    ref = [p.grad for p in module.parameters()]
    for ours, theirs in zip(grads.parameters(), ref, strict=True):
        torch.testing.assert_close(ours, theirs, **TOL[torch.float64])


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
        for ours, theirs in ((grad_x, ref_x), (grad_w, ref_w), (grad_b, ref_b)):
            torch.testing.assert_close(ours, theirs, **TOL[torch.float64])
        assert torch.autograd.gradcheck(lambda x_, w_, b_: layer_forward(x_, w_, b_, activation),
                                        (x.requires_grad_(), w.requires_grad_(), b.requires_grad_()))


def test_relu_derivative_at_zero_follows_pytorch():
    z = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    (ref,) = torch.autograd.grad(nn.ReLU()(z).sum(), z)
    assert torch.equal(activation_derivative(activate(z.detach(), "relu"), "relu"), ref)
    assert ref.tolist() == [0.0, 0.0, 1.0]
    y = torch.tanh(z.detach())
    (ref_tanh,) = torch.autograd.grad(torch.tanh(z).sum(), z)
    torch.testing.assert_close(activation_derivative(y, "tanh"), ref_tanh, **TOL[torch.float64])


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
    # W_d ~ N(0, gain² / n_in): the empirical variance is within 2% of it (120,000 samples)
    assert abs(model.weights[0].var().item() * 400 / 2 - 1) < 0.02
    assert abs(model.weights[1].var().item() * 300 / 2 - 1) < 0.02
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
        torch.testing.assert_close(loss, ref.detach(), **TOL[dtype])
        torch.testing.assert_close(grad, ref_grad, **TOL[dtype])


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
    torch.testing.assert_close(norms[3.0]["weights"], torch.stack([p.norm() for p in ref_params[0::2]]),
                               **TOL[torch.float64])
    torch.testing.assert_close(norms[3.0]["activations"], torch.stack([a.norm() for a in ref_activations]),
                               **TOL[torch.float64])
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
    # Same arithmetic in the same order (norm of the per-tensor norms, then one factor):
    # the results agree to a few roundoffs (TOL above).
    torch.testing.assert_close(norm, ref_norm, **TOL[dtype])
    for g, p in zip(ours, params):
        torch.testing.assert_close(g, p.grad, **TOL[dtype])
    total_before = math.sqrt(sum((b.double() ** 2).sum().item() for b in before))
    assert math.isclose(norm.item(), total_before, rel_tol=1e-5)
    total_after = math.sqrt(sum((g.double() ** 2).sum().item() for g in ours))
    if total_before > max_norm:
        # the norm becomes max_norm (up to eps = 1e-6 in the factor) and the direction is kept
        assert math.isclose(total_after, max_norm, rel_tol=1e-5)
        flat, flat_before = torch.cat([g.flatten() for g in ours]), torch.cat([b.flatten() for b in before])
        assert F.cosine_similarity(flat.double(), flat_before.double(), dim=0) > 1 - 1e-6
    else:
        assert all(torch.equal(g, b) for g, b in zip(ours, before))   # factor exactly 1


def test_clip_grad_norm_edge_cases(monkeypatch):
    zero = [torch.zeros(3), torch.zeros(2, 2)]
    assert clip_grad_norm(zero, 1.0).item() == 0 and all((g == 0).all() for g in zero)
    single = torch.tensor([3.0, 4.0])
    assert clip_grad_norm(single, 1.0).item() == 5.0
    torch.testing.assert_close(single, torch.tensor([0.6, 0.8]), atol=1e-6, rtol=0)
    assert clip_grad_norm([], 1.0).item() == 0
    # max_norm = inf measures the norm and changes nothing, as in PyTorch
    big = [torch.full((3,), 1e3), torch.full((2,), -1e3)]
    assert math.isclose(clip_grad_norm(big, math.inf).item(), math.sqrt(5) * 1e3, rel_tol=1e-6)
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
        torch.testing.assert_close(out, module(x), **TOL[torch.float64])
        out.backward(upstream)
        for p, ref in zip(module.parameters(), plain, strict=True):
            torch.testing.assert_close(p.grad, ref, **TOL[torch.float64])
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


def test_time_forward_backward_restores_threads():
    module = ChainMLP((32, 32, 32), "relu", dtype=torch.float32).to_module()
    x = torch.randn(8, 32)
    threads = torch.get_num_threads()
    result = time_forward_backward(module, x, module.parameters(), repeat=3, threads=1)
    assert set(result) == {"forward", "backward"} and all(v > 0 for v in result.values())
    assert torch.get_num_threads() == threads
    assert all(p.grad is not None for p in module.parameters())
    with pytest.raises(ValueError, match="repeat must be a positive int, got 0"):
        time_forward_backward(module, x, module.parameters(), repeat=0)
    with pytest.raises(ValueError, match="threads must be a positive int, got 0"):
        time_forward_backward(module, x, module.parameters(), threads=0)
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got torch.int64"):
        time_forward_backward(module, torch.ones(8, 32, dtype=torch.long), module.parameters())


# --- errors and figure -------------------------------------------------------------------

def test_chain_errors():
    with pytest.raises(ValueError, match=r"widths must be a sequence \(n_0, …, n_D\) of at least 2 ints, got \(3,\)"):
        ChainMLP((3,))
    with pytest.raises(ValueError, match="every width must be a positive int, got 0"):
        ChainMLP((3, 0, 2))
    with pytest.raises(ValueError, match=r"activation must be one of \('tanh', 'relu', 'identity'\), got 'sigmoid'"):
        ChainMLP((3, 2), "sigmoid")
    with pytest.raises(ValueError, match="gain must be a finite number > 0, got 0"):
        ChainMLP((3, 2), gain=0)
    with pytest.raises(TypeError, match="dtype must be a floating-point torch.dtype"):
        ChainMLP((3, 2), dtype=torch.int64)
    model = ChainMLP((3, 4, 2))
    with pytest.raises(ValueError, match=r"x must have shape \(\*, 3\), got \(5, 4\)"):
        model.forward(torch.zeros(5, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match="x must have the dtype and device of the parameters .*got torch.float32"):
        model.forward(torch.zeros(5, 3))
    with pytest.raises(TypeError, match="x must be a floating-point tensor, got torch.int64"):
        model.forward(torch.zeros(5, 3, dtype=torch.long))
    activations = model.forward(torch.zeros(5, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"activations must be the D \+ 1 = 3 tensors of forward\(\), got 2"):
        model.backward(activations[1:], torch.zeros(5, 2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"grad_output must have shape \(5, 2\), got \(5, 3\)"):
        model.backward(activations, torch.zeros(5, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"target must have the shape of prediction \(5, 2\), got \(5, 1\)"):
        mse_and_gradient(torch.zeros(5, 2), torch.zeros(5, 1))
    with pytest.raises(TypeError, match="model must be a ChainMLP, got Sequential"):
        gradient_norms(model.to_module(), torch.zeros(5, 3), torch.zeros(5, 2))
    with pytest.raises(ValueError, match="batch must be a positive int, got 0"):
        matmul_flops((3, 2), 0)
    with pytest.raises(TypeError, match="fn must be callable, got int"):
        saved_tensor_bytes(3)


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
