"""Recurrent neural networks ("The missing bits" of LBDL): the Elman RNN, the LSTM and
the GRU, written from their equations, with the layers of Chapter 4.

A recurrent layer reads a sequence x_1, …, x_T one element at a time and updates a
**hidden state** h_t from h_{t−1} and x_t; the same weights serve at every step. With
W_ih and W_hh the input and hidden weights (the gates of a gated cell stacked in one
matrix, in PyTorch's order), σ the logistic sigmoid and ⊙ the elementwise product:

* Elman RNN:  h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)   (or ReLU);
* LSTM [Hochreiter and Schmidhuber, 1997; forget gate: Gers et al., 2000], gates
  (i, f, g, o) = (σ, σ, tanh, σ)(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), a cell state
  c_t = f ⊙ c_{t−1} + i ⊙ g and h_t = o ⊙ tanh(c_t);
* GRU [Cho et al., 2014], in PyTorch's convention: r = σ(·), z = σ(·) from the first two
  blocks, n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn)) and
  h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}: z close to 1 keeps the old state.

The LSTM and GRU equations are not in LBDL (Beyond-LBDL). :class:`RNN`, :class:`LSTM`
and :class:`GRU` take the arguments of their ``torch.nn`` twins (``input_size``,
``hidden_size``, ``num_layers``, ``batch_first``), return what they return
(``output, h_n`` and, for the LSTM, ``output, (h_n, c_n)``), and :meth:`load_torch`
copies a twin's ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``,
``bias_hh_l{k}`` into them: the outputs and gradients then agree up to rounding
(``tests/test_models_rnn.py``). Not supported: ``bias=False``, dropout between layers,
bidirectional layers, LSTM projections, unbatched (2-D) inputs.

Each layer computes the input part W_ih x_t + b_ih of every step at once (one matrix
product over the whole sequence) and then loops over time for the part that needs
h_{t−1}: that loop is the serial computation the book points at.

Also here, for the page: :class:`RecurrentClassifier` (a recurrent layer and a linear
read-out of the last state, for the memory task of :mod:`lbdl_book.data.memory_tasks`),
:func:`gradient_reaching_inputs` (how much gradient from the last state reaches each
input) and :func:`accuracy`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from lbdl_book._checks import boolean, model_input, module as check_module, positive_int, tensor
from lbdl_book.nn.activations import ReLU, Sigmoid, Tanh
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear

__all__ = ["GRU", "KINDS", "LSTM", "RNN", "RecurrentClassifier", "accuracy", "gradient_reaching_inputs"]


class _Layer(nn.Module):
    """One recurrent layer: ``ih`` = (W_ih, b_ih), ``hh`` = (W_hh, b_hh), ``gates``
    blocks of ``hidden_size`` rows each, in PyTorch's order."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden_size = hidden_size
        self.ih = Linear(input_size, self.gates * hidden_size)
        self.hh = Linear(hidden_size, self.gates * hidden_size)

    def run(self, x: torch.Tensor, state):
        """x (N, T, D) → outputs (N, T, H) and the last state."""
        xi = self.ih(x)                                    # W_ih x_t + b_ih for every t at once
        outputs = []
        for step in range(x.shape[1]):                     # the serial part: h_t needs h_{t−1}
            state = self.step(xi[:, step], state)
            outputs.append(state[0] if isinstance(state, tuple) else state)
        return torch.stack(outputs, 1), state


class _ElmanLayer(_Layer):
    def __init__(self, input_size: int, hidden_size: int, nonlinearity: str = "tanh"):
        super().__init__(input_size, hidden_size)
        self.act = Tanh() if nonlinearity == "tanh" else ReLU()

    def step(self, xi: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh), with xi = W_ih x_t + b_ih."""
        return self.act(xi + self.hh(h))


class _LSTMLayer(_Layer):
    gates = 4

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        self.sigmoid, self.tanh = Sigmoid(), Tanh()

    def step(self, xi: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """Input, forget, cell and output gates; c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t)."""
        h, c = state
        i, f, g, o = (xi + self.hh(h)).chunk(4, dim=-1)
        i, f, g, o = self.sigmoid(i), self.sigmoid(f), self.tanh(g), self.sigmoid(o)
        c = f * c + i * g
        return o * self.tanh(c), c


class _GRULayer(_Layer):
    gates = 3

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        self.sigmoid, self.tanh = Sigmoid(), Tanh()

    def step(self, xi: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """Reset and update gates r, z; candidate n; h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}."""
        xr, xz, xn = xi.chunk(3, dim=-1)
        hr, hz, hn = self.hh(h).chunk(3, dim=-1)           # hn = W_hn h + b_hn: r multiplies it whole
        r, z = self.sigmoid(xr + hr), self.sigmoid(xz + hz)
        n = self.tanh(xn + r * hn)
        return (1 - z) * n + z * h


class _Recurrent(nn.Module):
    """What :class:`RNN`, :class:`LSTM` and :class:`GRU` share: arguments, checks, the
    loop over layers, and :meth:`load_torch`."""

    torch_class: type[nn.Module] = nn.RNN

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, batch_first: bool = False, *,
                 fused: bool = True, **layer_args):
        super().__init__()
        self.input_size = positive_int(input_size, "input_size")
        self.hidden_size = positive_int(hidden_size, "hidden_size")
        self.num_layers = positive_int(num_layers, "num_layers")
        self.batch_first = boolean(batch_first, "batch_first")
        self.layers = nn.ModuleList(
            self.layer_class(input_size if k == 0 else hidden_size, hidden_size, **layer_args)
            for k in range(num_layers))
        self.reset_parameters()
        set_fused(self, boolean(fused, "fused"))

    def reset_parameters(self) -> None:
        """Every weight and bias ~ U(−1/√H, 1/√H), H = hidden_size: PyTorch's default."""
        bound = 1 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound)

    def _check_input(self, x, hx):
        model_input(x, self, "x")
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            order = "(N, T, D)" if self.batch_first else "(T, N, D)"
            raise ValueError(f"x must have shape {order} with D = input_size = {self.input_size}, got "
                             f"{tuple(x.shape)}")
        if 0 in x.shape[:2]:
            raise ValueError(f"x must have at least one sequence and one step, got shape {tuple(x.shape)}")
        batch = x.shape[0] if self.batch_first else x.shape[1]
        shape = (self.num_layers, batch, self.hidden_size)
        states = hx if isinstance(hx, tuple) else (hx,)
        for name, s in zip(("h0", "c0"), states):
            if s is None:
                continue
            model_input(s, self, f"hx ({name})")
            if tuple(s.shape) != shape:
                raise ValueError(f"hx ({name}) must have shape (num_layers, N, hidden_size) = {shape}, got "
                                 f"{tuple(s.shape)}")

    def _zeros(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(self.num_layers, x.shape[0], self.hidden_size)

    def forward(self, x: torch.Tensor, hx=None):
        """x: (N, T, D) if ``batch_first`` else (T, N, D); ``hx``: the initial state
        (num_layers, N, H), for the LSTM a pair (h0, c0); None: zeros. Returns
        ``output`` (the last layer's h_t at every step, in the layout of x) and the
        last state of every layer, as ``torch.nn.RNN/LSTM/GRU`` do."""
        self._check_input(x, hx)
        if not self.batch_first:
            x = x.transpose(0, 1)
        state = self._initial_state(x, hx)
        last = []
        for k, layer in enumerate(self.layers):
            x, final = layer.run(x, self._layer_state(state, k))
            last.append(final)
        output = x if self.batch_first else x.transpose(0, 1)
        return output, self._stack(last)

    # Elman and GRU: the state is h alone
    def _initial_state(self, x, hx):
        return self._zeros(x) if hx is None else hx

    def _layer_state(self, state, k):
        return state[k]

    def _stack(self, last):
        return torch.stack(last)

    @torch.no_grad()
    def load_torch(self, reference: nn.Module) -> _Recurrent:
        """Copy the weights of a ``torch.nn`` twin of the same sizes (``weight_ih_l{k}``,
        ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` into layer k). Returns self."""
        if type(reference) is not self.torch_class:
            raise TypeError(f"reference must be a torch.nn.{self.torch_class.__name__}, got "
                            f"{type(reference).__name__}")
        mine = (self.input_size, self.hidden_size, self.num_layers)
        theirs = (reference.input_size, reference.hidden_size, reference.num_layers)
        if mine != theirs:
            raise ValueError(f"reference must have (input_size, hidden_size, num_layers) = {mine}, got {theirs}")
        if not reference.bias or reference.bidirectional or getattr(reference, "proj_size", 0):
            raise ValueError("reference must have biases, one direction and no projection")
        if getattr(reference, "nonlinearity", "tanh") != getattr(self, "nonlinearity", "tanh"):
            raise ValueError(f"reference must use the nonlinearity {self.nonlinearity!r}, got "
                             f"{reference.nonlinearity!r}")
        for k, layer in enumerate(self.layers):
            for ours, name in ((layer.ih.weight, "weight_ih"), (layer.hh.weight, "weight_hh"),
                               (layer.ih.bias, "bias_ih"), (layer.hh.bias, "bias_hh")):
                ours.copy_(getattr(reference, f"{name}_l{k}"))
        return self

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, batch_first={self.batch_first}"


class RNN(_Recurrent):
    """The Elman RNN, h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh) (``nonlinearity``
    "tanh" or "relu"), ``num_layers`` stacked (layer k > 0 reads layer k − 1's h_t).
    Arguments, outputs and weights as ``torch.nn.RNN``; ``fused=True`` runs the layers of
    Chapter 4 on PyTorch's kernels (:mod:`lbdl_book.nn.fused`)."""

    layer_class = _ElmanLayer
    torch_class = nn.RNN

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 batch_first: bool = False, *, fused: bool = True):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, batch_first, fused=fused, nonlinearity=nonlinearity)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", nonlinearity={self.nonlinearity!r}"


class GRU(_Recurrent):
    """The gated recurrent unit [Cho et al., 2014] in PyTorch's convention (module
    docstring), ``num_layers`` stacked. Arguments, outputs and weights as ``torch.nn.GRU``."""

    layer_class = _GRULayer
    torch_class = nn.GRU


class LSTM(_Recurrent):
    """The long short-term memory [Hochreiter and Schmidhuber, 1997] with a forget gate,
    ``num_layers`` stacked; the state is a pair (h, c). Arguments, outputs and weights as
    ``torch.nn.LSTM``: ``forward(x, (h0, c0))`` returns ``output, (h_n, c_n)``."""

    layer_class = _LSTMLayer
    torch_class = nn.LSTM

    def _initial_state(self, x, hx):
        if hx is None:
            return self._zeros(x), self._zeros(x)
        return hx

    def _check_input(self, x, hx):
        if hx is not None and not (isinstance(hx, tuple) and len(hx) == 2):
            raise TypeError(f"hx must be a pair (h0, c0) of tensors or None, got {type(hx).__name__}")
        super()._check_input(x, hx)

    def _layer_state(self, state, k):
        return state[0][k], state[1][k]

    def _stack(self, last):
        return torch.stack([h for h, _ in last]), torch.stack([c for _, c in last])


KINDS = ("rnn", "lstm", "gru", "ssm")


class RecurrentClassifier(nn.Module):
    """A sequence classifier for the memory task: a recurrent layer of ``kind`` ("rnn",
    "lstm", "gru", or "ssm" for :class:`~lbdl_book.models.ssm.SelectiveSSM`) over inputs
    (N, T, ``input_size``), batch first, and a linear read-out of its state at the last
    step to ``num_classes`` logits.

    ``keep_bias``: the initial bias of the gate that keeps the state, added to PyTorch's
    default: the GRU's update gate z (its b_hz), the LSTM's forget gate f (its b_hf).
    A positive value makes the layer start by holding on to its state (z = σ(2) ≈ 0.88
    for 2); it is 0 for the Elman RNN and the SSM, which have no such gate."""

    def __init__(self, kind: str, input_size: int, hidden_size: int, num_classes: int, *, keep_bias: float = 0.0,
                 fused: bool = True):
        super().__init__()
        if not isinstance(kind, str) or kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        positive_int(num_classes, "num_classes")
        if isinstance(keep_bias, bool) or not isinstance(keep_bias, (int, float)) or not math.isfinite(keep_bias):
            raise TypeError(f"keep_bias must be a finite real number, got {keep_bias!r}")
        if keep_bias and kind in ("rnn", "ssm"):
            raise ValueError(f"keep_bias must be 0 for kind {kind!r}, which has no gate that keeps the state")
        self.kind = kind
        if kind == "ssm":
            from .ssm import SelectiveSSM
            self.body = SelectiveSSM(input_size, hidden_size, fused=fused)
        else:
            self.body = {"rnn": RNN, "lstm": LSTM, "gru": GRU}[kind](input_size, hidden_size, batch_first=True,
                                                                   fused=fused)
        if keep_bias:
            block = slice(hidden_size, 2 * hidden_size)    # f in (i, f, g, o), z in (r, z, n): the second block
            with torch.no_grad():
                self.body.layers[0].hh.bias[block] += keep_bias
        self.readout = Linear(hidden_size, num_classes)
        set_fused(self, fused)

    def states(self, x: torch.Tensor) -> torch.Tensor:
        """The recurrent layer's h_t at every step, (N, T, hidden_size)."""
        model_input(x, self, "x")
        out = self.body(x)
        return out[0] if isinstance(out, tuple) else out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (N, T, input_size) → logits (N, num_classes), from the last state."""
        return self.readout(self.states(x)[:, -1])


def gradient_reaching_inputs(model: RecurrentClassifier, x: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """How much gradient from the last state h_T reaches each input x_t: the Frobenius
    norm of the Jacobian ∂h_T/∂x_t, (T,), index t (the lag is T − 1 − t), estimated over
    the N sequences of ``x`` (N, T, D): with v a random unit vector per sequence,
    E‖vᵀ ∂h_T/∂x_t‖² = ‖∂h_T/∂x_t‖²_F / H, so the estimate is √(H · mean of ‖∂(v·h_T)/∂x_t‖²),
    one backward pass for every t at once. The model is left unchanged."""
    check_module(model, "model")
    if not isinstance(model, RecurrentClassifier):
        raise TypeError(f"model must be a RecurrentClassifier, got {type(model).__name__}")
    model_input(x, model, "x")
    if x.dim() != 3 or x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"x must have shape (N, T, D) with N, T >= 1, got {tuple(x.shape)}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        last = model.states(x)[:, -1]                      # (N, H)
        v = torch.randn(last.shape, generator=torch.Generator().manual_seed(seed), dtype=last.dtype)
        v = (v / v.norm(dim=1, keepdim=True)).to(last.device)
        (grad,) = torch.autograd.grad((v * last).sum(), x)
    return (last.shape[1] * grad.pow(2).sum(-1).mean(0)).sqrt().detach()


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 1000) -> float:
    """The fraction of the sequences of ``x`` (N, T, D) whose logits' argmax is ``y`` (N,),
    computed in batches of ``batch_size`` on the device of ``model``."""
    check_module(model, "model")
    tensor(x, "x", floating=True)
    tensor(y, "y")
    if x.dim() != 3 or y.shape != x.shape[:1] or len(y) == 0:
        raise ValueError(f"x must be (N, T, D) and y (N,) with N >= 1, got {tuple(x.shape)} and {tuple(y.shape)}")
    positive_int(batch_size, "batch_size")
    parameter = next(model.parameters(), None)
    device = parameter.device if parameter is not None else x.device     # the data goes where the model is
    with torch.no_grad():
        hits = sum((model(x[i:i + batch_size].to(device)).argmax(1).cpu() == y[i:i + batch_size].cpu()).sum().item()
                   for i in range(0, len(x), batch_size))
    return hits / len(y)
