"""The Elman RNN, LSTM and GRU of lbdl_book.models.rnn against torch.nn.RNN/LSTM/GRU with
the same weights (outputs, final states and every gradient, float64, multi-layer, both
layouts), hand-made cases, parameter counts, the memory-task helpers and bad inputs."""

from __future__ import annotations

import pytest
import torch

from _bounds import assert_within, chain
from lbdl_book.data.memory_tasks import marked_recall
from lbdl_book.models.rnn import GRU, LSTM, RNN, RecurrentClassifier, accuracy, gradient_reaching_inputs

PAIRS = [(RNN, torch.nn.RNN, {}), (RNN, torch.nn.RNN, {"nonlinearity": "relu"}), (LSTM, torch.nn.LSTM, {}),
         (GRU, torch.nn.GRU, {})]
GATES = {RNN: 1, LSTM: 4, GRU: 3}
# A step of a layer: the hidden product, the sum with the input part, the gates' activations, the products and
# sums of the state update: at most 8 stages in sequence (forward), for each of T steps and L layers, plus the
# input projection of each layer. The random weights of these tests (PyTorch's U(±1/√H)) make the recurrence
# contractive, so an error does not grow as it travels (the assumption of `chain`).
STAGES_PER_STEP = 8


def twins(ours_cls, torch_cls, kwargs, d, h, layers, batch_first, seed=0):
    torch.manual_seed(seed)
    ref = torch_cls(d, h, layers, batch_first=batch_first, **kwargs).double()
    ours = ours_cls(d, h, layers, batch_first=batch_first, **kwargs).double().load_torch(ref)
    return ours, ref


def flat(state):
    return list(state) if isinstance(state, tuple) else [state]


@pytest.mark.parametrize("ours_cls, torch_cls, kwargs", PAIRS)
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("fused", [True, False])
def test_outputs_and_gradients_match_torch(ours_cls, torch_cls, kwargs, batch_first, fused):
    n, steps, d, h, layers = 3, 6, 4, 5, 2
    ours, ref = twins(ours_cls, torch_cls, kwargs, d, h, layers, batch_first)
    ours = ours_cls(d, h, layers, batch_first=batch_first, fused=fused, **kwargs).double().load_torch(ref)
    shape = (n, steps, d) if batch_first else (steps, n, d)
    x = torch.randn(shape, dtype=torch.float64)
    h0 = torch.randn(layers, n, h, dtype=torch.float64) * 0.5
    hx = (h0, torch.randn_like(h0)) if ours_cls is LSTM else h0
    xs = [x.clone().requires_grad_(), x.clone().requires_grad_()]
    outs = [m(xi, hx) for m, xi in zip((ours, ref), xs)]
    stages = STAGES_PER_STEP * steps * layers + layers
    terms = max(d, h) + 1
    (y1, s1), (y2, s2) = outs
    assert_within(y1, y2, chain(y2, stages=stages, terms=terms), "output")
    for a, b in zip(flat(s1), flat(s2)):
        assert_within(a, b, chain(b, stages=stages, terms=terms), "final state")
    # a random linear function of the output and of the final states, back-propagated
    g = torch.Generator().manual_seed(1)
    weights = [torch.randn(t.shape, generator=g, dtype=torch.float64) for t in [y2, *flat(s2)]]
    for (y, s), xi, m in zip(outs, xs, (ours, ref)):
        sum((w * t).sum() for w, t in zip(weights, [y, *flat(s)])).backward()
    grad_terms = max(terms, n * steps)                     # a weight's gradient sums over N·T steps
    assert_within(xs[0].grad, xs[1].grad, chain(xs[1].grad, stages=2 * stages + 1, terms=grad_terms), "x grad")
    for k in range(layers):
        layer = ours.layers[k]
        for p, name in ((layer.ih.weight, "weight_ih"), (layer.hh.weight, "weight_hh"), (layer.ih.bias, "bias_ih"),
                        (layer.hh.bias, "bias_hh")):
            expected = getattr(ref, f"{name}_l{k}").grad
            assert_within(p.grad, expected, chain(expected, stages=2 * stages + 1, terms=grad_terms), f"{name}_l{k}")


@pytest.mark.parametrize("ours_cls, torch_cls, kwargs", PAIRS)
def test_parameter_count_and_shapes(ours_cls, torch_cls, kwargs):
    d, h, layers = 3, 7, 3
    ours, ref = twins(ours_cls, torch_cls, kwargs, d, h, layers, True)
    g = GATES[ours_cls]
    expected = g * (h * d + h * h + 2 * h) + (layers - 1) * g * (2 * h * h + 2 * h)
    assert sum(p.numel() for p in ours.parameters()) == expected == sum(p.numel() for p in ref.parameters())
    y, state = ours(torch.randn(2, 5, d, dtype=torch.float64))
    assert y.shape == (2, 5, h) and all(s.shape == (layers, 2, h) for s in flat(state))


def test_default_initialisation_is_pytorchs():
    """Every weight uniform in ±1/√H, as torch.nn.GRU: with 10⁴ draws, the range fills it."""
    model = GRU(2, 100)
    values = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert values.abs().max() <= 0.1 and values.abs().max() > 0.099


def test_hand_made_cases():
    # Elman with zero weights and bias b: h_t = tanh(b) at every step
    model = RNN(1, 2, batch_first=True).double()
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        model.layers[0].hh.bias.fill_(0.5)
    y, h = model(torch.randn(1, 3, 1, dtype=torch.float64))
    assert torch.equal(y, torch.tanh(torch.tensor(0.5, dtype=torch.float64)).expand(1, 3, 2))
    # GRU with the update gate forced shut (z = 1: a huge bias) copies h0 whatever the input
    gru = GRU(3, 4, batch_first=True).double()
    with torch.no_grad():
        gru.layers[0].hh.bias[4:8] = 1e3
    h0 = torch.randn(1, 2, 4, dtype=torch.float64)
    y, h = gru(torch.randn(2, 9, 3, dtype=torch.float64), h0)
    assert torch.equal(h, h0) and torch.equal(y, h0[0][:, None].expand(2, 9, 4))
    # LSTM with the forget gate open (f = 1) and the input gate shut (i = 0) keeps c0
    lstm = LSTM(2, 3, batch_first=True).double()
    with torch.no_grad():
        lstm.layers[0].hh.bias[:3] = -1e3
        lstm.layers[0].hh.bias[3:6] = 1e3
    c0 = torch.randn(1, 1, 3, dtype=torch.float64)
    _, (_, c) = lstm(torch.randn(1, 5, 2, dtype=torch.float64), (torch.zeros_like(c0), c0))
    assert torch.equal(c, c0)


def test_keep_bias_sets_the_keeping_gate():
    torch.manual_seed(0)
    plain = RecurrentClassifier("gru", 5, 4, 3)
    torch.manual_seed(0)
    kept = RecurrentClassifier("gru", 5, 4, 3, keep_bias=2.0)
    diff = kept.body.layers[0].hh.bias - plain.body.layers[0].hh.bias
    assert torch.equal(diff.detach(), torch.tensor([0.0] * 4 + [2.0] * 4 + [0.0] * 4))


def test_gradient_reaching_inputs_matches_the_jacobian():
    """The estimate √(H·mean‖∂(v·h_T)/∂x_t‖²) against the exact Frobenius norm ‖∂h_T/∂x_t‖_F,
    averaged over the sequences: 4000 copies of one sequence, each with its random unit v.
    For v uniform on the sphere of R^H and M = JJᵀ, vᵀMv has mean tr M / H and relative
    variance 2H/(H + 2)·(tr M²/(tr M)² − 1/H) ≤ 2(H − 1)/(H + 2); the mean of 4000 draws
    is within 5 standard errors, 5·√(2(H − 1)/(H + 2)/4000), but once in 10⁶ runs."""
    torch.manual_seed(0)
    model = RecurrentClassifier("rnn", 5, 4, 3).double()
    x, _ = marked_recall(1, 5, seed=0)
    x = x.double().expand(4000, -1, -1)
    estimate = gradient_reaching_inputs(model, x, seed=0)
    jac = torch.autograd.functional.jacobian(lambda inp: model.states(inp)[:, -1], x[:1])   # (1, H, 1, T, D)
    exact = jac[0, :, 0].pow(2).sum((0, 2)).sqrt()
    rel = (estimate.pow(2) / exact.pow(2) - 1).abs()
    h = 4
    assert (rel <= 5 * (2 * (h - 1) / (h + 2) / 4000) ** 0.5).all(), rel


def test_accuracy_and_task():
    x, y = marked_recall(10, 3, num_symbols=4, seed=1)
    assert x.shape == (10, 4, 5) and y.shape == (10,) and torch.equal(x[:, 0, :4].argmax(1), y)
    assert torch.equal(x[:, :, 4], torch.tensor([1.0, 0, 0, 0]).expand(10, 4))
    torch.manual_seed(0)
    model = RecurrentClassifier("gru", 5, 4, 4)
    predictions = model(x).argmax(1)
    assert accuracy(model, x, y, batch_size=3) == (predictions == y).float().mean().item()


@pytest.mark.parametrize("kwargs, error", [
    (dict(input_size=0, hidden_size=2), ValueError), (dict(input_size=2, hidden_size=2, num_layers=0), ValueError),
    (dict(input_size=2, hidden_size=2, batch_first=1), TypeError)])
def test_bad_constructor_arguments(kwargs, error):
    with pytest.raises(error):
        GRU(**kwargs)


def test_bad_inputs_and_references():
    model = LSTM(3, 4, batch_first=True)
    with pytest.raises(ValueError, match="input_size"):
        model(torch.randn(2, 5, 2))
    with pytest.raises(ValueError, match="shape"):
        model(torch.randn(5, 3))
    with pytest.raises(TypeError, match="dtype"):
        model(torch.randn(2, 5, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="hx"):
        model(torch.randn(2, 5, 3), torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="h0"):
        model(torch.randn(2, 5, 3), (torch.zeros(1, 3, 4), torch.zeros(1, 3, 4)))
    with pytest.raises(TypeError, match="reference"):
        model.load_torch(torch.nn.GRU(3, 4))
    with pytest.raises(ValueError, match="reference"):
        model.load_torch(torch.nn.LSTM(3, 5))
    with pytest.raises(ValueError, match="reference"):
        model.load_torch(torch.nn.LSTM(3, 4, bidirectional=True))
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(3, 4).load_torch(torch.nn.RNN(3, 4, nonlinearity="relu"))
    with pytest.raises(ValueError, match="keep_bias"):
        RecurrentClassifier("rnn", 3, 4, 2, keep_bias=1.0)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_bench_twin_computes_the_same_classifier(kind):
    """tests/twins.py's recurrent_twin (the torch.nn model that tools/bench_models.py times
    against ours) holds the same weights: same logits, within the chain's rounding bound."""
    from twins import recurrent_twin

    x, _ = marked_recall(8, 6, seed=3)
    model = RecurrentClassifier(kind, x.shape[-1], 5, 4).double()
    twin = recurrent_twin(model)
    x = x.double()
    expected = twin(x)
    steps = x.shape[1]
    assert_within(model(x), expected, chain(expected, stages=STAGES_PER_STEP * steps + 2, terms=x.shape[-1] + 5 + 1))
    with pytest.raises(ValueError, match="no torch.nn twin"):
        recurrent_twin(RecurrentClassifier("ssm", x.shape[-1], 5, 4))
