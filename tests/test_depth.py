"""§3.5 The value of depth: the model of Figure 3.4 against a PyTorch reference built from
torch.nn layers (values and gradients), its exact parameter count, the exact best-line
accuracy against an independent exact method, the decision boundary, Telgarsky's
sawtooth, and the planar datasets.

Tolerances (tests/_bounds.py). Our model computes x @ Wᵀ + b then tanh, layer by layer;
the reference is nn.Linear (a fused addmm) and nn.Tanh, so the two agree up to rounding,
not bit for bit: `_bounds.mlp` carries each layer's rounding (γ_n of the sums of absolute
values of its terms) and the errors of its input (times |W| and tanh' ≤ 1) through the
network, forwards and backwards, entry by entry (u = 2⁻²⁴ in float32, 2⁻⁵³ in float64).
Geometric checks (norms, orthogonality, determinants, a bisected boundary) bound the
rounding of the few operations that produced the numbers.
"""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import assert_within, gamma, mlp, unit_roundoff
from lbdl_book.data.planar import moons, rings
from lbdl_book.models.depth import (DeepTanhClassifier, best_linear_accuracy, count_linear_pieces, decision_boundary,
                                    grid_lines, sawtooth, tent)

DTYPES = [torch.float32, torch.float64]
U32, U64 = unit_roundoff(torch.float32), unit_roundoff(torch.float64)


def layers_of(model: DeepTanhClassifier, depth=None):
    """[(W_d, b_d, "tanh")] for the first ``depth`` layers (all by default), then the
    classifier when all the layers are taken: the network for `_bounds.mlp`."""
    depth = model.depth if depth is None else depth
    layers = [(w, b, "tanh") for w, b in zip(model.weight[:depth], model.bias[:depth])]
    if depth == model.depth:
        layers.append((model.classifier_weight, model.classifier_bias, "identity"))
    return layers


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def descend(module: nn.Module, loss_fn, steps: int, lr: float) -> None:
    """Plain gradient descent (no torch.optim, whose first use costs a second of imports)."""
    for _ in range(steps):
        grads = torch.autograd.grad(loss_fn(), list(module.parameters()))
        with torch.no_grad():
            for p, g in zip(module.parameters(), grads):
                p -= lr * g


def reference(model: DeepTanhClassifier) -> nn.Sequential:
    """The same network written with torch.nn layers, sharing copies of the parameters."""
    layers = []
    for w, b in zip(model.weight, model.bias):
        linear = nn.Linear(model.width, model.width, dtype=w.dtype)
        linear.weight.data.copy_(w.detach())
        linear.bias.data.copy_(b.detach())
        layers += [linear, nn.Tanh()]
    head = nn.Linear(model.width, model.classifier_weight.shape[0], dtype=model.weight.dtype)
    head.weight.data.copy_(model.classifier_weight.detach())
    head.bias.data.copy_(model.classifier_bias.detach())
    return nn.Sequential(*layers, head)


# --- the model of Figure 3.4 -----------------------------------------------------------

def test_figure_3_4_model_has_54_parameters():
    model = DeepTanhClassifier()
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    assert shapes == {"weight": (8, 2, 2), "bias": (8, 2), "classifier_weight": (2, 2), "classifier_bias": (2,)}
    assert sum(p.numel() for p in model.parameters()) == 8 * (4 + 2) + (4 + 2) == 54
    assert model.depth == 8 and model.width == 2


@pytest.mark.parametrize(("depth", "width", "classes"), [(1, 2, 2), (3, 5, 4), (8, 2, 2), (12, 3, 7)])
def test_parameter_count_formula(depth, width, classes):
    model = DeepTanhClassifier(depth, width, classes)
    assert sum(p.numel() for p in model.parameters()) == depth * (width**2 + width) + classes * width + classes
    assert sum(p.numel() for p in reference(model).parameters()) == depth * (width**2 + width) + classes * width + classes


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("depth", "width", "classes", "batch"), [(8, 2, 2, (64,)), (3, 4, 3, (5, 7)), (1, 2, 2, (1,))])
def test_forward_and_gradients_match_torch_nn(dtype, depth, width, classes, batch):
    model = DeepTanhClassifier(depth, width, classes, seed=depth).to(dtype)
    # move away from the initialisation so that no parameter has a special value
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=generator(1), dtype=dtype))
    ref = reference(model)
    x = torch.randn(*batch, width, generator=generator(2), dtype=dtype, requires_grad=True)
    upstream = torch.randn(*batch, classes, generator=generator(3), dtype=dtype)

    out = model(x)
    ref_out = ref(x)
    assert out.shape == (*batch, classes) and out.dtype == dtype
    bounds = mlp(layers_of(model), x, upstream)
    assert_within(out, ref_out, bounds["value"])

    ours = torch.autograd.grad(out, [x, *model.parameters()], upstream)
    theirs = torch.autograd.grad(ref_out, [x, *ref.parameters()], upstream)
    assert_within(ours[0], theirs[0], bounds["x"])
    ref_weights, ref_biases = theirs[1:-2:2], theirs[2:-2:2]        # Linear weight, bias, weight, bias, ...
    assert_within(ours[1], torch.stack(ref_weights), torch.stack(bounds["weight"][:-1]))
    assert_within(ours[2], torch.stack(ref_biases), torch.stack(bounds["bias"][:-1]))
    assert_within(ours[3], theirs[-2], bounds["weight"][-1])
    assert_within(ours[4], theirs[-1], bounds["bias"][-1])


def test_gradcheck():
    # finite differences in float64, with respect to the input and to every parameter
    model = DeepTanhClassifier(4, 2, 2, seed=5).double()
    x = torch.randn(6, 2, generator=generator(6), dtype=torch.float64, requires_grad=True)
    names = [name for name, _ in model.named_parameters()]
    params = tuple(p.detach().clone().requires_grad_(True) for p in model.parameters())

    def as_function(x, *values):
        return torch.func.functional_call(model, dict(zip(names, values)), (x,))

    assert torch.autograd.gradcheck(as_function, (x, *params))


@pytest.mark.parametrize("dtype", DTYPES)
def test_representations_are_the_intermediate_outputs(dtype):
    model = DeepTanhClassifier(seed=1).to(dtype)
    ref = reference(model)
    x = torch.randn(10, 2, generator=generator(4), dtype=dtype)
    reps = model.representations(x)
    assert reps.shape == (9, 10, 2) and reps.dtype == dtype
    assert torch.equal(reps[0], x)
    h = x
    for d in range(1, 9):
        h = ref[2 * d - 1](ref[2 * d - 2](h))                   # Linear then Tanh
        assert_within(reps[d], h, mlp(layers_of(model, d), x)["value"])
        assert reps[d].abs().max() < 1                         # tanh squashes into (−1, 1)²
    # the same last representation through x Aᵀ + c and nn.Linear: one layer's rounding
    assert_within(model(x), ref[-1](reps[-1]),
                  mlp([(model.classifier_weight, model.classifier_bias, "identity")], reps[-1])["value"])
    # any leading shape: a grid of lines (L, P, 2) goes through in one call (the same
    # products, computed in a batch of another shape: within the rounding of both passes)
    lines = grid_lines((-1, 1), (-2, 2), count=3, resolution=5).to(dtype)
    warped = model.representations(lines)
    assert warped.shape == (9, 6, 5, 2)
    for d in range(1, 9):
        assert_within(warped[d, 4], model.representations(lines[4])[d], mlp(layers_of(model, d), lines[4])["value"])


def test_initialisation_is_orthogonal_seeded_and_scaled():
    a, b, c = DeepTanhClassifier(seed=0), DeepTanhClassifier(seed=0), DeepTanhClassifier(seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.weight, c.weight)
    # Householder QR in float32 (Higham, Thm 19.4 and Lemma 19.3): the computed Q is within
    # √n·γ̃_{mn} of an orthogonal matrix, γ̃_k = c·k·u with c a small constant (4 here), so
    # QᵀQ is within 2√n·γ̃_{n²} of I, plus the rounding of the product (γ_n·|Q|ᵀ|Q|);
    # scaled by gain² (the multiplication by gain rounds once more: 2u)
    def orthogonality(w, gain):
        n = w.shape[-1]
        q = w.double().abs() / gain
        return gain**2 * (2 * n**0.5 * gamma(4 * n * n, torch.float32) + 2 * U32
                          + gamma(n, torch.float32) * q.transpose(1, 2) @ q)
    eye = torch.eye(2).expand(8, 2, 2)
    assert_within(a.weight.transpose(1, 2) @ a.weight, eye, orthogonality(a.weight, 1.0))
    wide = DeepTanhClassifier(5, 6, 3, gain=1.5)
    assert_within(wide.weight.transpose(1, 2) @ wide.weight, 2.25 * torch.eye(6).expand(5, 6, 6),
                  orthogonality(wide.weight, 1.5))
    # reflections as well as rotations: the determinants are ±1, not all +1 over many draws;
    # |det W|² = det(WᵀW) = det(I + E) ≈ 1 + tr E, so |det| within n/2·max|E| of 1, plus the
    # rounding of a 2 × 2 determinant (γ₃ of its terms, |terms| ≤ 1)
    weights = DeepTanhClassifier(64, 2, seed=3).weight
    dets = torch.linalg.det(weights)
    assert_within(dets.abs(), torch.ones(64), orthogonality(weights, 1.0).amax((1, 2)) + 2 * gamma(3, torch.float32))
    assert (dets > 0).any() and (dets < 0).any()


def test_decision_line():
    model = DeepTanhClassifier(seed=2)
    x = torch.randn(20, 2, generator=generator(7))
    normal, offset = model.decision_line()
    assert normal.shape == (2,) and offset.shape == ()
    with torch.no_grad():
        logits = model(x)
        last = model.representations(x)[-1]
    # l₁ − l₀ from the logits (two sums of 2 products and a bias, then a difference) or
    # from (a₁ − a₀)·x + (c₁ − c₀) (two differences, a sum of 2, a bias): each within
    # γ₄ of |x|·(|a₀| + |a₁|) + |c₀| + |c₁|
    a, c = model.classifier_weight.detach(), model.classifier_bias.detach()
    bound = 2 * gamma(4, torch.float32) * (last.abs() @ (a[0].abs() + a[1].abs()) + c.abs().sum())
    assert_within(logits[:, 1] - logits[:, 0], last @ normal + offset, bound)
    with pytest.raises(ValueError, match="decision_line needs num_classes = 2, got 3"):
        DeepTanhClassifier(2, 2, 3).decision_line()


def test_model_errors():
    with pytest.raises(ValueError, match="depth must be a positive int, got 0"):
        DeepTanhClassifier(0)
    with pytest.raises(ValueError, match="width must be a positive int, got 2.0"):
        DeepTanhClassifier(8, 2.0)
    with pytest.raises(ValueError, match="num_classes must be an int >= 2, got 1"):
        DeepTanhClassifier(8, 2, 1)
    with pytest.raises(ValueError, match="gain must be a number > 0, got -1"):
        DeepTanhClassifier(gain=-1)
    model = DeepTanhClassifier()
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 2\), got \(5, 3\)"):
        model(torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 2\), got \(\)"):
        model.representations(torch.tensor(1.0))
    with pytest.raises(TypeError, match="x must have the dtype of the model's parameters, torch.float32, got torch.float64"):
        model(torch.zeros(5, 2, dtype=torch.float64))
    with pytest.raises(TypeError, match="x must be a torch.Tensor, got list"):
        model([[0.0, 0.0]])


# --- best_linear_accuracy --------------------------------------------------------------

def exact_by_pairs(points, labels):
    """Independent exact reference: some optimal line passes through two points, with those
    two (and any point collinear with them) put on whichever sides help."""
    x, y, n = points.double(), labels, len(points)
    best = max(int(y.sum()), n - int(y.sum()))
    for i, j in itertools.combinations(range(n), 2):
        direction = x[j] - x[i]
        if direction.abs().sum() == 0:
            continue
        normal = torch.stack([-direction[1], direction[0]])
        side = (x - x[i]) @ normal
        # (float32 points in float64: differences and products exact or nearly, the cross
        # product's subtraction rounds: within γ₄·‖normal‖‖x − x_i‖ of the exact value)
        on_line = side.abs() <= gamma(4, torch.float64) * normal.norm() * (x - x[i]).norm(dim=1)
        for positive_is_one in (True, False):
            predicted = (side > 0) if positive_is_one else (side < 0)
            hits = int(((predicted.long() == y) & ~on_line).sum())
            # points on the line: any subset lying on one side of a point of the line can be
            # tilted either way, so try every cut of the line's points ordered along it
            t = ((x[on_line] - x[i]) @ direction)
            order = torch.argsort(t)
            on_labels = y[on_line][order]
            k = len(on_labels)
            for cut in range(k + 1):
                for first in (0, 1):
                    assigned = torch.cat([torch.full((cut,), first), torch.full((k - cut,), 1 - first)])
                    best = max(best, hits + int((assigned == on_labels).sum()))
    return best / n


@pytest.mark.parametrize("seed", range(6))
def test_best_linear_accuracy_matches_an_exact_reference(seed):
    g = generator(seed)
    n = 9 + seed
    points = torch.randn(n, 2, generator=g)
    labels = torch.randint(0, 2, (n,), generator=g)
    assert best_linear_accuracy(points, labels) == exact_by_pairs(points, labels)


def test_best_linear_accuracy_simple_cases():
    square = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
    assert best_linear_accuracy(square, torch.tensor([0, 0, 1, 1])) == 0.75          # XOR: 3 of 4 at best
    assert best_linear_accuracy(square, torch.tensor([0, 1, 0, 1])) == 1.0           # x-coordinate separates
    assert best_linear_accuracy(square, torch.tensor([1, 1, 1, 1])) == 1.0
    assert best_linear_accuracy(square[:1], torch.tensor([1])) == 1.0
    # collinear points 0 1 0 on a line: 2 of 3; the same point with two labels: 1 of 2
    line = torch.tensor([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    assert best_linear_accuracy(line, torch.tensor([0, 1, 0])) == 2 / 3
    assert best_linear_accuracy(torch.zeros(2, 2), torch.tensor([0, 1])) == 0.5
    # two separable clouds, however close
    g = generator(8)
    clouds = torch.cat([torch.randn(50, 2, generator=g) - 3, torch.randn(50, 2, generator=g) + 3])
    assert best_linear_accuracy(clouds, torch.arange(100) // 50) == 1.0


def test_best_linear_accuracy_invariances():
    x, y = moons(60, seed=4)
    base = best_linear_accuracy(x, y)
    a = torch.tensor([[2.0, 1.0], [-0.5, 3.0]])
    assert best_linear_accuracy(x @ a.T + torch.tensor([5.0, -1.0]), y) == base     # affine maps keep lines
    assert best_linear_accuracy(x, 1 - y) == base                                   # swap the classes
    assert best_linear_accuracy(x.double(), y) == base


def test_no_trained_linear_classifier_beats_the_best_line():
    x, y = moons(200, seed=0)
    best = best_linear_accuracy(x, y)
    assert best == 0.78                      # the figure's training set: no line gets 79 %
    classifier = nn.Linear(2, 2)                 # logistic regression, by plain gradient descent
    descend(classifier, lambda: F.cross_entropy(classifier(x), y), steps=300, lr=0.5)
    with torch.no_grad():
        logistic = (classifier(x).argmax(1) == y).float().mean().item()
    assert 0.7 < logistic <= best


def test_best_linear_accuracy_errors():
    with pytest.raises(TypeError, match="points must be a floating-point torch.Tensor, got Tensor of dtype torch.int64"):
        best_linear_accuracy(torch.zeros(3, 2, dtype=torch.long), torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"points must have shape \(N, 2\) with N >= 1, got \(3, 3\)"):
        best_linear_accuracy(torch.zeros(3, 3), torch.zeros(3, dtype=torch.long))
    with pytest.raises(TypeError, match="labels must be an int64 torch.Tensor"):
        best_linear_accuracy(torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(ValueError, match=r"labels must have shape \(3,\), got \(4,\)"):
        best_linear_accuracy(torch.zeros(3, 2), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"labels must be 0 or 1, got values \[0, 2\]"):
        best_linear_accuracy(torch.zeros(3, 2), torch.tensor([0, 2, 0]))


# --- grid and decision boundary --------------------------------------------------------

def test_grid_lines():
    lines = grid_lines((-1.0, 2.0), (0.0, 1.0), count=4, resolution=7)
    assert lines.shape == (8, 7, 2) and lines.dtype == torch.float32
    assert torch.equal(lines[:4, :, 0], torch.linspace(-1, 2, 4)[:, None].expand(4, 7))   # vertical lines
    assert torch.equal(lines[:4, :, 1], torch.linspace(0, 1, 7).expand(4, 7))
    assert torch.equal(lines[4:, :, 1], torch.linspace(0, 1, 4)[:, None].expand(4, 7))   # horizontal lines
    with pytest.raises(ValueError, match=r"xlim must be a pair \(low, high\) with low < high, got \(1, 0\)"):
        grid_lines((1, 0), (0, 1))
    with pytest.raises(ValueError, match="count must be an int >= 2, got 1"):
        grid_lines((0, 1), (0, 1), count=1)
    with pytest.raises(ValueError, match="resolution must be an int >= 2, got 1"):
        grid_lines((0, 1), (0, 1), resolution=1)


def test_decision_boundary_of_a_known_model():
    # one layer with W = I, b = 0 and logits (0, tanh(x_1) − tanh(0.3)): the boundary is x_1 = 0.3
    model = DeepTanhClassifier(depth=1)
    with torch.no_grad():
        model.weight.copy_(torch.eye(2)[None])
        model.bias.zero_()
        model.classifier_weight.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0]]))
        model.classifier_bias.copy_(torch.tensor([0.0, -math.tanh(0.3)]))
    curves = decision_boundary(model, (-1.0, 1.0), (-0.5, 0.5), resolution=(40, 11))
    assert len(curves) == 1
    (curve,) = curves
    assert curve.dtype == torch.float32 and curve.shape[1] == 2
    # The root is atanh(c) with c = tanh(0.3) rounded to float32 (the bias): within
    # u·tanh(0.3)/tanh'(0.3) of 0.3; bisection in float64 stops where the float64 margin
    # changes sign (a few u₆₄ / tanh'); one float32 rounding of the result (u·0.3)
    slope = 1 - math.tanh(0.3) ** 2
    bound = U32 * (math.tanh(0.3) / slope + 0.3 * (1 + U32)) + 8 * U64 / slope
    assert_within(curve[:, 0], torch.full((len(curve),), 0.3), bound)
    assert curve[:, 1].min() == -0.5 and curve[:, 1].max() == 0.5


def test_decision_boundary_points_are_on_the_boundary():
    x, y = moons(100, seed=1)
    model = DeepTanhClassifier(seed=4)
    descend(model, lambda: F.cross_entropy(model(x), y), steps=100, lr=0.5)
    curves = decision_boundary(model, (-1.8, 1.8), (-1.1, 1.1))
    assert curves and all(len(c) >= 2 for c in curves)
    exact = DeepTanhClassifier(seed=4).double()
    exact.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    grid = torch.stack(torch.meshgrid(torch.linspace(-1.8, 1.8, 50), torch.linspace(-1.1, 1.1, 50), indexing="xy"), -1)
    with torch.no_grad():
        scale = (lambda l: (l[..., 1] - l[..., 0]).abs().max())(exact(grid.double().reshape(-1, 2)))
        # The margin is Lipschitz with constant ‖a₁ − a₀‖·Π_d ‖W_d‖ (tanh' ≤ 1): rounding a
        # point to float32 (u·|coordinates|) moves it by at most that times the move; the
        # bisection stopped where the float64 margin changes sign, so the exact margin there
        # is within the float64 rounding of the margin (`_bounds.mlp`), and so is this
        # evaluation
        a = exact.classifier_weight
        lipschitz = (a[1] - a[0]).norm() * torch.linalg.matrix_norm(exact.weight, ord=2).prod()
        for curve in curves:
            points = curve.double()
            logits = exact(points)
            rounding = mlp(layers_of(exact), points, implementations=1)["value"].sum(-1)
            bound = lipschitz * U32 * points.norm(dim=1) + 2 * rounding
            assert_within(logits[:, 1] - logits[:, 0], torch.zeros(len(curve), dtype=torch.float64), bound)
            assert bound.max() < 1e-3 * scale         # and that bound is small: these are boundary points
    with pytest.raises(TypeError, match="model must be a DeepTanhClassifier of width 2 with 2 classes"):
        decision_boundary(DeepTanhClassifier(2, 2, 3), (0, 1), (0, 1))
    with pytest.raises(ValueError, match=r"resolution must be a pair of ints >= 2"):
        decision_boundary(model, (0, 1), (0, 1), resolution=(1, 5))
    with pytest.raises(ValueError, match=r"ylim must be a pair"):
        decision_boundary(model, (0, 1), (1, 1))


# --- Telgarsky's sawtooth --------------------------------------------------------------

def test_tent_is_a_two_unit_relu_layer():
    layer = nn.Sequential(nn.Linear(1, 2, dtype=torch.float64), nn.ReLU(), nn.Linear(2, 1, dtype=torch.float64))
    with torch.no_grad():
        layer[0].weight.copy_(torch.tensor([[1.0], [1.0]]))
        layer[0].bias.copy_(torch.tensor([0.0, -0.5]))
        layer[2].weight.copy_(torch.tensor([[2.0, -4.0]]))
        layer[2].bias.zero_()
    assert sum(p.numel() for p in layer.parameters()) == 7
    x = torch.linspace(-0.5, 1.5, 101, dtype=torch.float64).requires_grad_(True)
    ours, ref = tent(x), layer(x[:, None])[:, 0]
    # 2·relu(x) − 4·relu(x − 0.5) on both sides: x − 0.5 rounds the same way, the products by
    # 2 and 4 are exact, and a fused multiply-add or not, the difference rounds once: equal
    assert torch.equal(ours, ref)
    assert torch.equal(torch.autograd.grad(ours.sum(), x)[0], torch.autograd.grad(ref.sum(), x)[0])
    inside = x.detach()[(x >= 0) & (x <= 1)]
    # each side a few roundings of numbers ≤ 2|x| + 2|2x − 1| + 1
    assert_within(tent(inside), 1 - (2 * inside - 1).abs(),
                  2 * gamma(2, torch.float64) * (1 + 2 * inside + 2 * (2 * inside - 1).abs()))


@pytest.mark.parametrize("k", range(0, 11))
def test_sawtooth_has_2_to_the_k_pieces(k):
    s = torch.linspace(0, 1, 2**12 + 1, dtype=torch.float64)      # contains every kink for k <= 12
    values = sawtooth(s, k)
    assert count_linear_pieces(s, values) == 2**k
    if k >= 1:   # the closed form of the k-fold tent: a triangle wave of period 2^(1-k)
        expected = 1 - (2 * torch.frac(2 ** (k - 1) * s) - 1).abs()
        # one tent rounds once (u, values ≤ 1) and doubles the error it is given: (2^k − 1)·u
        # after k; the closed form a few u (products by powers of 2 are exact)
        assert_within(values, expected, (2**k + 2) * U64)
    else:
        assert torch.equal(values, s)


def test_shallow_relu_networks_have_at_most_m_plus_1_pieces():
    for seed, m in [(0, 3), (1, 16), (2, 40)]:
        g = generator(seed)
        u, v, a = (torch.randn(m, generator=g, dtype=torch.float64) for _ in range(3))
        kinks = (-v / u).clamp(-5, 5)
        s = torch.cat([torch.linspace(-5, 5, 4001, dtype=torch.float64), kinks]).unique()
        pieces = count_linear_pieces(s, torch.relu(s[:, None] * u + v) @ a)
        inside = ((-v / u).abs() < 5).sum().item()
        assert pieces == inside + 1 <= m + 1


def test_count_linear_pieces_and_sawtooth_errors():
    assert count_linear_pieces(torch.tensor([0.0, 1.0]), torch.tensor([3.0, 3.0])) == 1
    with pytest.raises(ValueError, match="x must be strictly increasing"):
        count_linear_pieces(torch.tensor([0.0, 0.0, 1.0]), torch.zeros(3))
    with pytest.raises(ValueError, match="x and y must have the same length >= 2, got 3 and 2"):
        count_linear_pieces(torch.zeros(3), torch.zeros(2))
    with pytest.raises(TypeError, match="y must be a 1-D floating-point torch.Tensor"):
        count_linear_pieces(torch.tensor([0.0, 1.0]), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="k must be an int >= 0, got -1"):
        sawtooth(torch.zeros(3), -1)
    with pytest.raises(TypeError, match="x must be a floating-point torch.Tensor"):
        tent(torch.tensor([1, 2]))


# --- data --------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [moons, rings])
def test_planar_data_shapes_seeds_and_balance(make):
    x, y = make(101, seed=3)
    assert x.shape == (101, 2) and x.dtype == torch.float32 and y.shape == (101,) and y.dtype == torch.int64
    assert sorted(torch.bincount(y).tolist()) == [50, 51]
    x2, y2 = make(101, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)
    x3, _ = make(101, seed=4)
    assert not torch.equal(x, x3)
    assert make(10, dtype=torch.float64)[0].dtype == torch.float64
    assert best_linear_accuracy(*make(200, seed=0)) < 0.85          # not linearly separable


def test_moons_geometry():
    x, y = moons(400, noise=0.0, arc=1.0, seed=0)
    upper, lower = x[y == 0] + torch.tensor([0.5, 0.25]), x[y == 1] + torch.tensor([0.5, 0.25])
    # cos, sin and the shift in float64 (a few u₆₄), one cast to float32 (u·|x|), then each
    # float32 addition or subtraction here (u·|result|) and the norm (γ₃ relative)
    def rounding(stored, *steps):
        return U32 * (stored.abs() + sum(t.abs() for t in steps)).sum(1) + gamma(3, torch.float32) + 8 * U64
    assert_within(upper.norm(dim=1), torch.ones(len(upper)), rounding(x[y == 0], upper))   # unit half circle
    assert (upper[:, 1] >= -rounding(x[y == 0], upper)).all()                               # sin t ≥ 0 on [0, π]
    centred = lower - torch.tensor([1.0, 0.5])
    assert_within(centred.norm(dim=1), torch.ones(len(lower)), rounding(x[y == 1], lower, centred))
    assert (lower[:, 1] <= 0.5 + rounding(x[y == 1], lower)).all()


def test_rings_geometry():
    x, y = rings(400, noise=0.0, seed=0)
    assert (x[y == 0].norm(dim=1) <= 0.5).all()
    # radius·(cos, sin) in float64 (a few u₆₄), cast to float32 (u·|x| per coordinate), norm (γ₃)
    outer = x[y == 1]
    assert_within(outer.norm(dim=1), torch.ones(len(outer)),
                  U32 * outer.abs().sum(1) + gamma(3, torch.float32) + 8 * U64)


def test_planar_data_errors():
    with pytest.raises(ValueError, match=r"n must be an int >= 2 \(one point per class at least\), got 1"):
        moons(1)
    with pytest.raises(ValueError, match="noise must be a number >= 0, got -0.1"):
        rings(10, noise=-0.1)
    with pytest.raises(ValueError, match=r"arc must be a number in \(0, 1.5\] .* got 2"):
        moons(10, arc=2)
    with pytest.raises(TypeError, match="dtype must be a floating-point torch.dtype, got torch.int64"):
        moons(10, dtype=torch.int64)
