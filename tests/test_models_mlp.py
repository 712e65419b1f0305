"""lbdl_book.models.mlp (§5.1): the MLP of Figure 5.1, its helpers, and PyTorch references.

Tolerances (tests/_bounds.py). An MLP of lbdl_book.nn layers and the same stack of
torch.nn layers compute the same matrix products and elementwise functions, with formulas
that agree up to rounding for the activations. `_bounds.mlp` bounds the difference entry
by entry by a running error analysis through the layers: each product off by γ_n of the
sum of the absolute values of its terms (which is what keeps a network whose output is a
small difference of large terms, like the ReLU interpolant of closely spaced knots, from
failing on another CPU), each activation's rounding and slope, and the same backwards for
the gradients. Least squares use conditioning bounds (κ of the design matrix).
"""

import math

import matplotlib
import matplotlib.pyplot as plt
import pytest
import torch
from matplotlib.patches import FancyBboxPatch
from torch import nn

from _bounds import assert_within, gamma, mlp as mlp_bounds, unit_roundoff
from lbdl_book.diagrams import Box, Signal, describe
from lbdl_book.models.mlp import (ACTIVATIONS, MLP, ParallelShallowMLPs, Square, count_parameters, draw_mlp,
                                  fit_last_layer_, relu_interpolant, summed_mse)
from lbdl_book.nn import activations as lnn_act
from lbdl_book.nn.linear import Linear

TORCH_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
                     "leaky_relu": nn.LeakyReLU, "identity": nn.Identity}


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def layers_of(model, activation=None):
    """[(weight, bias, activation name)] of an MLP (ours or the torch.nn reference) for
    `_bounds.mlp`: the hidden activation after every layer but the last."""
    linears = [m for m in model if isinstance(m, (nn.Linear, Linear))]
    activation = activation or model.activation
    return [(m.weight, m.bias, activation if i < len(linears) - 1 else "identity") for i, m in enumerate(linears)]


def reference(sizes, activation):
    """The same MLP made of torch.nn layers: the state-dict keys ("0.weight", ...) coincide."""
    layers = []
    for k, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(d_in, d_out))
        if k < len(sizes) - 2:
            layers.append(TORCH_ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


# --- Figure 5.1: structure and exact parameter counts ---------------------------------

def test_figure_5_1_has_exactly_1557_parameters():
    model = MLP((50, 25, 10, 2))
    assert [type(m) for m in model] == [Linear, lnn_act.ReLU, Linear, lnn_act.ReLU, Linear]
    assert model.hidden_layers == 2
    assert model.parameter_counts() == [1275, 260, 22] == count_parameters((50, 25, 10, 2))
    assert 1275 == 50 * 25 + 25 and 260 == 25 * 10 + 10 and 22 == 10 * 2 + 2
    assert sum(p.numel() for p in model.parameters()) == 1557
    assert sum(p.numel() for p in model.parameters() if p.requires_grad) == 1557
    assert [tuple(p.shape) for p in model.parameters()] == [(25, 50), (25,), (10, 25), (10,), (2, 10), (2,)]
    assert model(torch.randn(7, 50)).shape == (7, 2)


@pytest.mark.parametrize(("sizes", "counts"), [
    ((1, 1), [2]),
    ((3, 2), [8]),
    ((784, 512, 256, 10), [401_920, 131_328, 2_570]),
    ((2, 25, 10, 2), [75, 260, 22]),
    ((1, 256, 1), [512, 257]),
    ((10, 10, 10, 10, 10), [110, 110, 110, 110]),
])
def test_exact_counts_and_hidden_layers(sizes, counts):
    model = MLP(sizes)
    assert count_parameters(sizes) == counts == model.parameter_counts()
    assert sum(p.numel() for p in model.parameters()) == sum(counts)
    assert model.hidden_layers == len(sizes) - 2 == len(model.linear_layers()) - 1
    no_bias = MLP(sizes, bias=False)
    assert no_bias.parameter_counts() == count_parameters(sizes, bias=False) == [a * b for a, b in
                                                                               zip(sizes[:-1], sizes[1:])]
    assert all(layer.bias is None for layer in no_bias.linear_layers())


@pytest.mark.parametrize("sizes", [(4, 3), (4, 8, 3), (4, 8, 8, 8, 3)])
@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_activation_placement(sizes, activation):
    model = MLP(sizes, activation)
    kinds = ["linear" if isinstance(m, Linear) else "act" for m in model]
    assert kinds == ["linear", "act"] * (len(sizes) - 2) + ["linear"]        # never after the last layer
    acts = [m for m in model if not isinstance(m, Linear)]
    assert all(isinstance(a, ACTIVATIONS[activation]) for a in acts)
    assert len({id(a) for a in acts}) == len(acts)                           # one instance per hidden layer
    assert model.activation == activation
    assert [(layer.in_features, layer.out_features) for layer in model.linear_layers()] == list(zip(sizes[:-1],
                                                                                                    sizes[1:]))


def test_no_hidden_layer_is_one_linear_layer():
    model = MLP((5, 3), "tanh")
    assert len(model) == 1 and isinstance(model[0], Linear) and model.hidden_layers == 0
    x = torch.randn(4, 5)
    assert torch.equal(model(x), x @ model[0].weight.T + model[0].bias)


def test_activation_given_as_class_or_factory():
    model = MLP((3, 4, 4, 2), lnn_act.GELU)
    assert model.activation == "gelu" and isinstance(model[1], lnn_act.GELU) and model[1] is not model[3]
    leaky = MLP((3, 4, 4, 2), lambda: lnn_act.LeakyReLU(0.2))
    assert isinstance(leaky[1], lnn_act.LeakyReLU) and leaky[1].negative_slope == 0.2 and leaky[1] is not leaky[3]


@pytest.mark.parametrize("leading", [(), (5,), (2, 3)])
def test_shapes_with_leading_dimensions(leading):
    model = MLP((6, 16, 4))
    x = torch.randn(*leading, 6)
    y = model(x)
    assert y.shape == (*leading, 4)
    if leading:                                 # the leading dimensions only index vectors
        flat = model(x.reshape(-1, 6)).reshape(*leading, 4)
        assert torch.equal(y, flat)


def test_slices_are_plain_sequentials_sharing_parameters():
    model = MLP((3, 8, 5, 2))
    features = model[:-1]
    assert type(features) is nn.Sequential and len(features) == 4
    assert features[0] is model[0]
    x = torch.randn(4, 3)
    assert torch.equal(model[-1](features(x)), model(x))
    assert isinstance(model[2], Linear) and isinstance(model[-1], Linear)


# --- against torch.nn: load the reference's random weights, compare values and gradients ----

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("activation", sorted(TORCH_ACTIVATIONS))
@pytest.mark.parametrize("sizes", [(50, 25, 10, 2), (3, 64, 64, 1), (7, 5)])
@pytest.mark.parametrize("fused", [False, True], ids=["book", "fused"])   # the book's computations, and the fast path
def test_matches_torch_nn_sequential(dtype, activation, sizes, fused):
    torch.manual_seed(sum(sizes))
    ref = reference(sizes, activation).to(dtype)
    ours = MLP(sizes, activation, fused=fused).to(dtype)
    ours.load_state_dict(ref.state_dict())                 # same keys: 0.weight, 0.bias, 2.weight, ...
    assert ours.state_dict().keys() == ref.state_dict().keys()
    x = torch.randn(32, sizes[0], dtype=dtype, requires_grad=True)
    upstream = torch.randn(32, sizes[-1], dtype=dtype)
    out, ref_out = ours(x), ref(x)
    grads = torch.autograd.grad(out, [x, *ours.parameters()], upstream)
    ref_grads = torch.autograd.grad(ref_out, [x, *ref.parameters()], upstream)
    bounds = mlp_bounds(layers_of(ref, activation), x, upstream)
    assert_within(out, ref_out, bounds["value"])
    grad_bounds = [bounds["x"]] + [b for pair in zip(bounds["weight"], bounds["bias"]) for b in pair]
    for name, g, r, bound in zip(["x"] + [n for n, _ in ref.named_parameters()], grads, ref_grads, grad_bounds):
        assert_within(g, r, bound, msg=name)


def test_default_initialisation_is_torch_linear_default():
    torch.manual_seed(0)
    ours = MLP((20, 30, 5))
    torch.manual_seed(0)
    ref = reference((20, 30, 5), "relu")
    for a, b in zip(ours.parameters(), ref.parameters()):
        assert torch.equal(a, b)                           # same draws, same bounds ±1/√in_features


# --- errors ----------------------------------------------------------------------------

def test_errors():
    with pytest.raises(ValueError, match=r"sizes must be a sequence of at least 2 layer sizes.*got \(5,\)"):
        MLP((5,))
    with pytest.raises(ValueError, match=r"sizes must be a sequence .*got 5"):
        MLP(5)
    with pytest.raises(ValueError, match=r"sizes\[1\] must be a positive int, got 0"):
        MLP((5, 0, 2))
    with pytest.raises(ValueError, match=r"sizes\[0\] must be a positive int, got 2.5"):
        MLP((2.5, 3))
    with pytest.raises(ValueError, match=r"sizes\[1\] must be a positive int, got True"):
        MLP((2, True))
    with pytest.raises(ValueError, match=r"activation must be one of .*'relu'.* got 'softplus'"):
        MLP((2, 3, 1), "softplus")
    with pytest.raises(TypeError, match="activation must be a name .* got ReLU"):
        MLP((2, 3, 1), lnn_act.ReLU())                     # an instance would be shared by every layer
    with pytest.raises(TypeError, match="activation must be a name .* got int"):
        MLP((2, 3, 1), 3)
    with pytest.raises(TypeError, match="activation must return an nn.Module, got builtin_function_or_method"):
        MLP((2, 3, 1), lambda: torch.relu)
    with pytest.raises(TypeError, match="bias must be a bool, got int"):
        MLP((2, 3), bias=1)
    model = MLP((50, 25, 10, 2))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 50\) .*sizes \(50, 25, 10, 2\), got \(4, 49\)"):
        model(torch.zeros(4, 49))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 50\).*got \(\)"):
        model(torch.tensor(1.0))
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        model([0.0] * 50)
    with pytest.raises(TypeError, match="floating-point"):
        model(torch.zeros(4, 50, dtype=torch.long))
    with pytest.raises(ValueError, match=r"sizes must be a sequence"):
        count_parameters([3])
    with pytest.raises(TypeError, match="bias must be a bool"):
        count_parameters((3, 2), bias="yes")


# --- the polynomial activation -----------------------------------------------------------

def test_square_activation_and_square_networks_are_quadratics():
    x = torch.randn(5, 4, dtype=torch.float64, requires_grad=True)
    y = Square()(x)
    assert torch.equal(y, x.detach() ** 2)
    (grad,) = torch.autograd.grad(y.sum(), x)
    assert torch.equal(grad, 2 * x.detach())
    with pytest.raises(TypeError, match="floating-point"):
        Square()(torch.arange(3))
    # a random x² network of any width is a polynomial of degree ≤ 2 in its scalar input
    s = torch.linspace(-3, 3, 101, dtype=torch.float64)[:, None]
    powers = s ** torch.arange(3)
    for width in (1, 7, 300):
        net = MLP((1, width, 1), "square").double()
        with torch.no_grad():
            out = net(s)
        coefficients = torch.linalg.lstsq(powers, out).solution
        # exactly, net(s) = Σ_j a_j (w_j s + b_j)² + c: the coefficients of 1, s, s²
        first, last = net.linear_layers()
        w, b, a, c = first.weight.detach()[:, 0], first.bias.detach(), last.weight.detach()[0], last.bias.detach()
        exact = torch.stack([(a * b**2).sum() + c[0], (2 * a * w * b).sum(), (a * w**2).sum()])[:, None]
        # out is within e (the MLP bound, one computation) of the exact quadratic, and a
        # least-squares solve is backward stable (‖ΔP‖ ≲ m·n·u·‖P‖): the residual is at most
        # ‖e‖ + m·n·u·‖P‖·‖coefficients‖, and the coefficients within ‖e‖/σ_min + κ·m·n·u·‖c‖
        e = mlp_bounds(layers_of(net), s, implementations=1)["value"]
        sigma = torch.linalg.svdvals(powers)
        m, n, u = 101, 3, unit_roundoff(torch.float64)
        residual = e.norm() + m * n * u * powers.norm() * coefficients.norm() \
            + gamma(4, torch.float64) * (powers.abs() @ coefficients.abs() + out.abs()).max()
        assert (powers @ coefficients - out).abs().max() <= residual
        assert_within(coefficients, exact, e.norm() / sigma[-1] + sigma[0] / sigma[-1] * m * n * u * exact.norm())
        # and not of lower degree in general: the x² coefficient is far from zero
        assert exact[2].abs() > 1000 * (e.norm() / sigma[-1] + sigma[0] / sigma[-1] * m * n * u * exact.norm())


# --- the constructive interpolant --------------------------------------------------------

@pytest.mark.parametrize("m", [1, 2, 5, 40])
def test_relu_interpolant_is_the_piecewise_linear_interpolant(m):
    g = torch.Generator().manual_seed(m)
    knots = torch.sort(torch.rand(m + 1, generator=g, dtype=torch.float64) * 4 - 2).values
    knots[0], knots[-1] = -2.0, 2.0
    values = torch.randn(m + 1, generator=g, dtype=torch.float64)
    net = relu_interpolant(knots, values)
    assert isinstance(net, MLP) and net.sizes == (1, m, 1) and net.activation == "relu"
    assert sum(p.numel() for p in net.parameters()) == 3 * m + 1
    assert next(net.parameters()).dtype == torch.float64
    with torch.no_grad():
        at_knots = net(knots[:, None])[:, 0]
        x = torch.rand(500, generator=g, dtype=torch.float64) * 4 - 2
        inside = net(x[:, None])[:, 0]
    # The network's output weights are the slope changes c_j = s_{j+1} − s_j, computed from
    # s_j = (f_j − f_{j−1}) / (t_j − t_{j−1}) (γ₃ relative each) and one subtraction (u):
    # |δc_j| ≤ u|c_j| + γ₃(|s_j| + |s_{j+1}|)(1 + u), which moves the output by Σ_j |δc_j|·relu(x − t_j).
    # Then evaluating the network rounds (`_bounds.mlp`, one computation): both scale with
    # Σ|c_j|·relu(x − t_j), far above |output| when knots are close (slopes ~ 1/gap).
    slopes = (values[1:] - values[:-1]) / (knots[1:] - knots[:-1])
    changes = torch.cat([slopes[:1], slopes[1:] - slopes[:-1]])
    neighbours = torch.cat([torch.zeros(1, dtype=torch.float64), slopes[:-1].abs()])
    u = unit_roundoff(torch.float64)
    delta_c = u * changes.abs() + gamma(3, torch.float64) * (slopes.abs() + neighbours) * (1 + u)

    def bound(points):
        units = torch.relu(points[:, None] - knots[None, :-1])                 # relu(x − t_j)
        return units @ delta_c + mlp_bounds(layers_of(net), points[:, None], implementations=1)["value"][:, 0]

    assert_within(at_knots, values, bound(knots))
    # reference: linear interpolation between the two knots around each x; w = (x − t)/(t' − t)
    # within γ₃ relative, 1 − w within u + γ₃·w, and the combination two more roundings:
    # within γ₉·(|f_{i−1}| + |f_i|)
    i = torch.searchsorted(knots, x).clamp(1, m)
    w = (x - knots[i - 1]) / (knots[i] - knots[i - 1])
    expected = (1 - w) * values[i - 1] + w * values[i]
    assert_within(inside, expected, bound(x) + gamma(9, torch.float64) * (values[i - 1].abs() + values[i].abs()))


def test_relu_interpolant_error_bound_and_abs():
    f = lambda x: torch.sin(3 * x) + x**2
    fine = torch.linspace(-2, 2, 8001, dtype=torch.float64)[:, None]
    errors = []
    for m in (8, 16, 32, 64):
        knots = torch.linspace(-2, 2, m + 1, dtype=torch.float64)
        with torch.no_grad():
            errors.append((relu_interpolant(knots, f(knots))(fine) - f(fine)).abs().max().item())
        # h² max|f''| / 8 with max|f''| = 11, plus the rounding of the network (`_bounds.mlp`)
        knots_net = relu_interpolant(knots, f(knots))
        rounding = mlp_bounds(layers_of(knots_net), fine, implementations=1)["value"].max().item()
        assert errors[-1] <= 11 * (4 / m) ** 2 / 8 + rounding
    assert all(3 < a / b < 5 for a, b in zip(errors, errors[1:]))  # O(h²)
    v = relu_interpolant(torch.tensor([-1.0, 0.0, 1.0]), torch.tensor([1.0, 0.0, 1.0]))
    s = torch.linspace(-1, 1, 201)[:, None]
    with torch.no_grad():                     # |x| = relu(x) + relu(−x), 2 units; slopes ±1 and 2 are exact
        assert_within(v(s), s.abs(), mlp_bounds(layers_of(v), s, implementations=1)["value"])


def test_relu_interpolant_errors():
    with pytest.raises(ValueError, match="strictly increasing"):
        relu_interpolant(torch.tensor([0.0, 0.0, 1.0]), torch.zeros(3))
    with pytest.raises(ValueError, match=r"knots must have shape \(m \+ 1,\) with m >= 1, got \(1,\)"):
        relu_interpolant(torch.tensor([0.0]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="values must match knots"):
        relu_interpolant(torch.tensor([0.0, 1.0]), torch.zeros(3))
    with pytest.raises(ValueError, match="values must match knots"):
        relu_interpolant(torch.tensor([0.0, 1.0]), torch.zeros(2, dtype=torch.float64))
    with pytest.raises(TypeError, match="knots must be a floating-point torch.Tensor, got torch.int64"):
        relu_interpolant(torch.tensor([0, 1]), torch.zeros(2))
    with pytest.raises(TypeError, match="values must be a floating-point torch.Tensor, got list"):
        relu_interpolant(torch.tensor([0.0, 1.0]), [0.0, 1.0])


# --- many shallow networks trained as one --------------------------------------------------

WIDTHS = (2, 5, 16)
ACTS = ("relu", "tanh", "square")


def separate_models(seed, widths=WIDTHS, acts=ACTS, out=1):
    torch.manual_seed(seed)
    return [MLP((1, m, out), a) for m, a in zip(widths, acts)]


def test_parallel_starts_from_the_separate_models_and_splits_back():
    models = separate_models(0)
    torch.manual_seed(0)
    bank = ParallelShallowMLPs(1, WIDTHS, 1, ACTS)
    x = torch.randn(30, 1)
    y = bank(x)
    assert y.shape == (30, 3, 1)
    for k, (model, split) in enumerate(zip(models, bank.split())):
        assert split.sizes == model.sizes and split.activation == model.activation
        for a, b in zip(model.parameters(), split.parameters()):
            assert torch.equal(a, b)                                # the same initial weights
        with torch.no_grad():
            bound = mlp_bounds(layers_of(model), x)["value"]
            assert_within(split(x), y[:, k], bound)
            assert_within(model(x), y[:, k], bound)
    # the bank has exactly the parameters of the separate models
    assert sum(p.numel() for p in bank.parameters()) == sum(p.numel() for m in models for p in m.parameters())
    # one activation call per run of equal activations
    assert len(bank.act) == 3 and len(ParallelShallowMLPs(1, (3, 4, 5), 1, "tanh").act) == 1


def bank_layout(bank, per_model):
    """The bank's tensors in the order of ``bank.parameters()`` (out_weight, out_bias,
    then each run's hidden weight and bias) from per-model (W1, b1, W2, b2) tensors."""
    hidden = []
    for first, end, _ in bank.runs:
        hidden.append(torch.cat([per_model[k][0] for k in range(first, end)]))
        hidden.append(torch.cat([per_model[k][1] for k in range(first, end)]))
    return (torch.cat([t[2].T for t in per_model]), torch.stack([t[3] for t in per_model]), *hidden)


def per_model_layout(bank, tensors):
    """The inverse of `bank_layout`: per-model (W1, b1, W2, b2) from the bank's tensors."""
    out_w, out_b, *hidden = tensors
    hidden_w, hidden_b = torch.cat(hidden[0::2]), torch.cat(hidden[1::2])
    result, start = [], 0
    for k, m in enumerate(bank.widths):
        result.append((hidden_w[start:start + m], hidden_b[start:start + m], out_w[start:start + m].T, out_b[k]))
        start += m
    return result


def test_training_the_bank_with_adam_equals_training_each_model_alone():
    """Σ_k loss_k has, for model k's parameters, the gradient of loss_k alone, and Adam is
    elementwise. Both claims, step by step for 25 steps: (1) the bank's gradients equal
    each model's, up to the rounding of sums taken in another order (`_bounds.mlp`, with
    the loss gradient 2(y − t)/N carrying the outputs' bound); (2) given the same
    gradients, Adam moves the bank's weights exactly as each model's, up to the rounding of
    its elementwise arithmetic: m, v, the update Δ = lr·m̂/(√v̂ + ε) and the weights each
    round a few times (γ₃ … γ₆ of their terms), and a difference in m or v (tracked from
    step to step) moves Δ by its derivative. Each step starts from the same weights (the
    models' weights are copied into the bank once compared), and the bank is given the
    models' gradients once compared: feeding each side its own gradients and weights for
    25 steps would test how fast two rounded training trajectories drift apart, which
    depends on the loss surface, not on the code."""
    x = torch.linspace(-2, 2, 40, dtype=torch.float64)[:, None]
    y = torch.sin(3 * x) + x**2
    models = [m.double() for m in separate_models(1)]
    torch.manual_seed(1)
    bank = ParallelShallowMLPs(1, WIDTHS, 1, ACTS).double()
    lr, (beta1, beta2), eps = 0.05, (0.9, 0.999), 1e-8
    optimizers = [torch.optim.Adam(model.parameters(), lr=lr) for model in models]
    bank_optimizer = torch.optim.Adam(bank.parameters(), lr=lr)
    u, dtype = unit_roundoff(torch.float64), torch.float64
    carried = {name: [[torch.zeros_like(p) for p in model.parameters()] for model in models]
               for name in ("m", "v", "theta")}                # one side's e_m, e_v; |δθ| after a step
    for step in range(1, 26):
        with torch.no_grad():                             # the same weights on both sides
            for p, value in zip(bank.parameters(), bank_layout(bank, [list(m.parameters()) for m in models])):
                p.copy_(value)
        losses = [((model(x) - y) ** 2).mean() for model in models]
        for optimizer, loss in zip(optimizers, losses):
            optimizer.zero_grad()
            loss.backward()
        bank_optimizer.zero_grad()
        summed_mse(bank(x), y).backward()
        # (1) the gradients, model by model
        bank_grads = per_model_layout(bank, [p.grad for p in bank.parameters()])
        for model, grads in zip(models, bank_grads):
            with torch.no_grad():
                residual = model(x) - y
            one_side = mlp_bounds(layers_of(model), x, implementations=1)["value"]
            upstream = 2 * residual / len(x)
            bounds = mlp_bounds(layers_of(model), x, upstream,
                                upstream_error=2 * one_side / len(x) + gamma(2, dtype) * upstream.abs())
            expected = [bounds["weight"][0], bounds["bias"][0], bounds["weight"][1], bounds["bias"][1]]
            for p, g, bound in zip(model.parameters(), grads, expected):
                assert_within(g, p.grad, bound)
        # (2) Adam on the same gradients
        with torch.no_grad():
            for p, g in zip(bank.parameters(), bank_layout(bank, [[p.grad for p in m.parameters()] for m in models])):
                p.grad.copy_(g)
        states_before = [[(optimizer.state[p]["exp_avg"].clone(), optimizer.state[p]["exp_avg_sq"].clone())
                          if p in optimizer.state else (torch.zeros_like(p), torch.zeros_like(p))
                          for p in model.parameters()] for model, optimizer in zip(models, optimizers)]
        for optimizer in (*optimizers, bank_optimizer):
            optimizer.step()
        bc1, bc2 = 1 - beta1**step, 1 - beta2**step
        for k, (model, optimizer) in enumerate(zip(models, optimizers)):
            for i, p in enumerate(model.parameters()):
                m_old, v_old = states_before[k][i]
                g = p.grad
                m, v = optimizer.state[p]["exp_avg"], optimizer.state[p]["exp_avg_sq"]
                root = v.sqrt() / math.sqrt(bc2)
                delta = lr / bc1 * m / (root + eps)
                e_m = beta1 * carried["m"][k][i] + 2 * gamma(3, dtype) * (m_old.abs() + g.abs())
                e_v = beta2 * carried["v"][k][i] + 2 * gamma(4, dtype) * (beta2 * v_old + (1 - beta2) * g * g)
                e_delta = lr / bc1 * (e_m / (root + eps) + m.abs() * e_v / (
                    2 * math.sqrt(bc2) * v.sqrt().clamp_min(u) * (root + eps) ** 2))
                carried["m"][k][i], carried["v"][k][i] = e_m, e_v
                carried["theta"][k][i] = e_delta + 2 * (gamma(6, dtype) * delta.abs() + u * p.abs())
        for model, split in zip(models, bank.split()):
            for i, (a, b) in enumerate(zip(model.parameters(), split.parameters())):
                assert_within(b, a.detach(), carried["theta"][models.index(model)][i])


def test_parallel_with_several_inputs_and_outputs():
    torch.manual_seed(2)
    models = [MLP((3, m, 2), "gelu") for m in (3, 4)]
    torch.manual_seed(2)
    bank = ParallelShallowMLPs(3, (3, 4), 2, "gelu")
    x = torch.randn(10, 3)
    y = bank(x)
    assert y.shape == (10, 2, 2)
    for k, model in enumerate(models):
        with torch.no_grad():
            assert_within(model(x), y[:, k], mlp_bounds(layers_of(model), x)["value"])


def test_summed_mse_is_the_sum_of_the_mean_squared_errors():
    outputs, target = torch.randn(8, 3, 2), torch.randn(8, 2)
    expected = sum(((outputs[:, k] - target) ** 2).mean() for k in range(3))
    # sums of 3 × 16 non-negative squares, each a rounded difference squared (3u): within γ_{16+3+3}
    # of the exact sum each way
    assert_within(summed_mse(outputs, target), expected, 2 * gamma(16 + 3 + 3, torch.float32) * expected)
    with pytest.raises(ValueError, match=r"outputs must have shape \(N, K, C\), got \(8, 3\)"):
        summed_mse(torch.zeros(8, 3), target)
    with pytest.raises(ValueError, match=r"target must have shape \(N, C\) = \(8, 2\), got \(8, 3\)"):
        summed_mse(outputs, torch.zeros(8, 3))


def test_parallel_errors():
    with pytest.raises(ValueError, match=r"widths\[1\] must be a positive int, got 0"):
        ParallelShallowMLPs(1, (2, 0), 1)
    with pytest.raises(ValueError, match="widths must be a sequence of at least 1"):
        ParallelShallowMLPs(1, (), 1)
    with pytest.raises(ValueError, match="activations must be a name or a sequence of 2 names"):
        ParallelShallowMLPs(1, (2, 3), 1, ("relu",))
    with pytest.raises(ValueError, match="each activation must be one of"):
        ParallelShallowMLPs(1, (2, 3), 1, ("relu", "swish"))
    with pytest.raises(ValueError, match=r"x must be a tensor of shape \(N, 1\), got \(5, 2\)"):
        ParallelShallowMLPs(1, (2,), 1)(torch.zeros(5, 2))


# --- the least-squares output layer --------------------------------------------------------

def test_fit_last_layer_is_the_least_squares_solution():
    torch.manual_seed(3)
    model = MLP((2, 12, 8, 3), "tanh").double()
    x = torch.randn(100, 2, dtype=torch.float64)
    y = torch.randn(100, 3, dtype=torch.float64)
    with torch.no_grad():
        before = ((model(x) - y) ** 2).mean()
        features = model[:-1](x)
    assert fit_last_layer_(model, x, y, ridge=0.0) is model
    phi = torch.cat([features, torch.ones(100, 1, dtype=torch.float64)], dim=1)
    solution = torch.linalg.lstsq(phi, y).solution
    # Conditioning (Higham, §20.1 and §20.4): the normal equations give a solution within
    # γ_{m+3n}·κ²·‖w‖ of the exact one, a QR/SVD least-squares solve within
    # γ_{mn}·(κ + κ²·‖r‖/(‖Φ‖‖w‖))·‖w‖ (κ = σ_max/σ_min of Φ, m × n, r the residual)
    sigma = torch.linalg.svdvals(phi)
    kappa, (m, n) = (sigma[0] / sigma[-1]).item(), phi.shape
    w_norm, r_norm = solution.norm(), (phi @ solution - y).norm()
    solve_bound = (gamma(m + 3 * n, torch.float64) * kappa**2
                   + gamma(m * n, torch.float64) * (kappa + kappa**2 * r_norm / (sigma[0] * w_norm))) * w_norm
    assert_within(model[-1].weight.detach(), solution[:-1].T, solve_bound)
    assert_within(model[-1].bias.detach(), solution[-1], solve_bound)
    with torch.no_grad():
        after = ((model(x) - y) ** 2).mean()
        # the other layers did not move
        assert torch.equal(model[:-1](x), features)
    assert after < before
    # the gradient of the loss with respect to the last layer vanishes at the optimum
    # (exactly zero at the exact optimum: Φᵀ r = 0; at ours, (2/(N·C))·Φᵀ Φ δw plus the
    # rounding of the gradient, sums of N terms of Φ and of the residual)
    loss = ((model(x) - y) ** 2).mean()
    grads = torch.autograd.grad(loss, [model[-1].weight, model[-1].bias])
    fitted = torch.cat([model[-1].weight.detach().T, model[-1].bias.detach()[None]])
    scale = 2 / y.numel()
    expected = scale * (phi.abs().T @ phi.abs() @ torch.full_like(fitted, solve_bound.item())
                        + gamma(m + n + 3, torch.float64) * phi.abs().T @ (phi.abs() @ fitted.abs() + y.abs()))
    assert_within(grads[0], torch.zeros_like(grads[0]), expected[:-1].T)
    assert_within(grads[1], torch.zeros_like(grads[1]), expected[-1])


def test_fit_last_layer_survives_dead_units_and_errors():
    model = MLP((1, 6, 1))
    with torch.no_grad():
        model[0].bias[:3] = -100.0                      # three dead units: collinear (zero) features
    x = torch.linspace(-1, 1, 20)[:, None]
    fit_last_layer_(model, x, x.abs())
    assert torch.isfinite(model[-1].weight).all()
    with pytest.raises(TypeError, match="model must be an MLP, got Sequential"):
        fit_last_layer_(nn.Sequential(nn.Linear(1, 1)), x, x)
    with pytest.raises(ValueError, match="must have a bias"):
        fit_last_layer_(MLP((1, 3, 1), bias=False), x, x)
    with pytest.raises(ValueError, match=r"y must be a tensor of shape \(N, 1\), got \(20,\)"):
        fit_last_layer_(model, x, x[:, 0])
    with pytest.raises(ValueError, match=r"x must be a tensor of shape \(N, 1\), got \(20, 2\)"):
        fit_last_layer_(model, torch.zeros(20, 2), x)
    with pytest.raises(ValueError, match="same number of rows, got 20 and 19"):
        fit_last_layer_(model, x, x[:19])
    with pytest.raises(ValueError, match="ridge must be a number >= 0, got -1"):
        fit_last_layer_(model, x, x, ridge=-1)


# --- Figure 5.1, drawn from the model ------------------------------------------------------

def test_describe_reads_figure_5_1_off_the_model():
    items, shapes = describe(MLP((50, 25, 10, 2)), torch.zeros(1, 50))
    fc, relu = Box("fully-conn", "", True), Box("relu")
    assert items == [Signal("$X$"), fc, relu, fc, relu, fc, Signal("$Y$")]
    assert shapes == [(50,), (25,), (25,), (10,), (10,), (2,), (2,)]


def test_draw_mlp_adds_the_hidden_layers_bracket():
    model = MLP((50, 25, 10, 2))
    plain = draw_mlp(model, bracket=None)
    width = plain.get_size_inches()[0]
    fig = draw_mlp(model, "hidden layers")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "hidden layers" in texts and "hidden layers" not in [t.get_text() for t in plain.axes[0].texts]
    assert texts.count("fully-conn") == 3 and texts.count("relu") == 2
    assert len([p for p in ax.patches if isinstance(p, FancyBboxPatch)]) == 5
    assert fig.get_size_inches()[0] > width                       # widened for the bracket
    bracket = ax.lines[-1]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]
    ys = bracket.get_ydata()
    # the bracket spans the four boxes of the hidden layers, from the top of the first
    # fully-conn to the bottom of the second relu, and not the last fully-conn
    assert math.isclose(max(ys), boxes[0].get_y() + boxes[0].get_height())
    assert math.isclose(min(ys), boxes[3].get_y()) and min(ys) > boxes[4].get_y() + boxes[4].get_height()
    # everything drawn stays inside the axes limits
    x0, _ = ax.get_xlim()
    renderer = fig.canvas.get_renderer()
    label = next(t for t in ax.texts if t.get_text() == "hidden layers")
    assert ax.transData.inverted().transform(label.get_window_extent(renderer))[0, 0] >= x0 - 1e-6
    # no hidden layer: no bracket
    linear = draw_mlp(MLP((4, 2)), "hidden layers")
    assert "hidden layers" not in [t.get_text() for t in linear.axes[0].texts]
    with pytest.raises(TypeError, match="model must be an MLP, got Linear"):
        draw_mlp(Linear(2, 2))
    with pytest.raises(ValueError, match="bracket must be a non-empty str or None"):
        draw_mlp(model, "")
    assert isinstance(fig, matplotlib.figure.Figure)
