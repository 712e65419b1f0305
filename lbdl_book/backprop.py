"""Backpropagation (LBDL §3.4), written out by hand.

A model is a chain f = f^(D) ∘ … ∘ f^(1). The *forward pass* computes the activations
x^(d) = f^(d)(x^(d−1); w_d) in order, from x^(0) = x. The *backward pass* applies the
chain rule in the other order: it starts from ∇ℓ|x^(D), the gradient of the loss with
respect to the model's output, and for d = D, …, 1 computes

    ∇ℓ|x^(d−1) = ∇ℓ|x^(d) · J_f^(d)|x     (gradient with respect to the layer's input)
    ∇ℓ|w_d     = ∇ℓ|x^(d) · J_f^(d)|w     (gradient with respect to the layer's parameters)

where J_f^(d)|x and J_f^(d)|w are the Jacobians of f^(d) with respect to its input and to
its parameters. The Jacobians are never built: for a layer f(x; W, b) = σ(x Wᵀ + b)
applied to a batch, each product is an elementwise product by σ' followed by one matrix
product. So a linear layer costs one matrix product forward and two backward, and the
backward pass needs the activations of the forward pass, which is why training memory
grows with depth.

Also here: gradient-norm clipping [Pascanu et al. 2013], per-layer gradient norms (to
see gradients vanish or explode), and the measurements of §3.4's "resource usage":
FLOPs, and the bytes that autograd keeps for the backward pass, with and without
checkpointing [Chen et al. 2016] (the page times the two passes with
:func:`lbdl_book.compute.compare_times`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from numbers import Real

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from torch import nn
from torch.utils.checkpoint import checkpoint
from torch.utils.flop_counter import FlopCounterMode

from ._checks import modules, positive_int, positive_real, tensor, tensors

__all__ = [
    "ACTIVATIONS",
    "ChainMLP",
    "Gradients",
    "activation_derivative",
    "activation_memory",
    "activate",
    "checkpointed",
    "clip_grad_norm",
    "counted_flops",
    "draw_chain",
    "gradient_norms",
    "layer_backward",
    "layer_forward",
    "matmul_flops",
    "mse_and_gradient",
    "saved_tensor_bytes",
]

ACTIVATIONS = ("tanh", "relu", "identity")


# --- checks ------------------------------------------------------------------------------

def _check_activation(activation) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")


def _check_float(x, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")


def _check_shape(x: torch.Tensor, shape: tuple, name: str) -> None:
    """``shape`` may hold None for a free dimension."""
    if x.dim() != len(shape) or any(s is not None and s != n for s, n in zip(shape, x.shape)):
        expected = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {expected}, got {tuple(x.shape)}")


_ABSENT = object()


def _check_layer(x, weight, bias=_ABSENT, y=_ABSENT, grad_y=_ABSENT) -> None:
    """The tensors of one layer: ``x`` (B, n_in), ``weight`` (n_out, n_in), and if given
    ``bias`` (n_out,), ``y`` and ``grad_y`` (B, n_out), all floating-point. Cheap when they
    are right: a few comparisons per call."""
    _check_float(x, "x")
    _check_float(weight, "weight")
    if weight.dim() != 2:
        _check_shape(weight, (None, None), "weight")
    n_out, n_in = weight.shape
    if x.dim() != 2 or x.shape[1] != n_in:
        _check_shape(x, (None, n_in), "x")
    if bias is not _ABSENT:
        _check_float(bias, "bias")
        if bias.shape != (n_out,):
            _check_shape(bias, (n_out,), "bias")
    if y is not _ABSENT:
        for name, value in (("y", y), ("grad_y", grad_y)):
            _check_float(value, name)
            if value.shape != (x.shape[0], n_out):
                _check_shape(value, (x.shape[0], n_out), name)


# --- one layer ---------------------------------------------------------------------------

def activate(z: torch.Tensor, activation: str) -> torch.Tensor:
    """σ(z) for ``activation`` in ``ACTIVATIONS``, elementwise, any shape."""
    tensor(z, "z")
    _check_activation(activation)
    if activation == "tanh":
        return torch.tanh(z)
    if activation == "relu":
        return torch.relu(z)
    return z


def activation_derivative(y: torch.Tensor, activation: str) -> torch.Tensor:
    """σ'(z), computed from the output y = σ(z): 1 − y² for tanh, 1[y > 0] for ReLU
    (taking 0 at z = 0, as PyTorch does), 1 for the identity. Same shape as ``y``.

    Since the derivative only needs the layer's *output*, the backward pass can work
    from the activations x^(d) alone."""
    tensor(y, "y")
    _check_activation(activation)
    if activation == "tanh":
        return 1 - y * y
    if activation == "relu":
        return (y > 0).to(y.dtype)
    return torch.ones_like(y)


def layer_forward(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, activation: str) -> torch.Tensor:
    """x^(d) = σ(x^(d−1) W_dᵀ + b_d): one matrix product.

    ``x`` (B, n_in), ``weight`` (n_out, n_in), ``bias`` (n_out,) → (B, n_out)."""
    _check_layer(x, weight, bias=bias)
    return activate(x @ weight.T + bias, activation)


def layer_backward(grad_y: torch.Tensor, x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor,
                   activation: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The two Jacobian products of the layer y = σ(x Wᵀ + b): two matrix products.

    ``grad_y`` = ∇ℓ|x^(d) (B, n_out), ``x`` = x^(d−1) (B, n_in), ``y`` = x^(d) (B, n_out),
    ``weight`` (n_out, n_in). Returns ∇ℓ|x^(d−1) (B, n_in), ∇ℓ|W_d (n_out, n_in) and
    ∇ℓ|b_d (n_out,); the parameter gradients are summed over the batch."""
    _check_layer(x, weight, y=y, grad_y=grad_y)
    grad_z = grad_y * activation_derivative(y, activation)   # through σ: a diagonal Jacobian
    grad_x = grad_z @ weight                                  # ∇ℓ|x^(d) · J_f|x
    grad_weight = grad_z.T @ x                                # ∇ℓ|x^(d) · J_f|W
    grad_bias = grad_z.sum(dim=0)                             # ∇ℓ|x^(d) · J_f|b
    return grad_x, grad_weight, grad_bias


# --- the chain ---------------------------------------------------------------------------

@dataclass
class Gradients:
    """What the backward pass returns: ``activations[d]`` = ∇ℓ|x^(d) for d = 0 … D
    (each (B, n_d)), ``weights[d-1]`` = ∇ℓ|W_d and ``biases[d-1]`` = ∇ℓ|b_d for d = 1 … D."""

    activations: list[torch.Tensor]
    weights: list[torch.Tensor]
    biases: list[torch.Tensor]

    def parameters(self) -> list[torch.Tensor]:
        """[∇ℓ|W_1, ∇ℓ|b_1, …, ∇ℓ|W_D, ∇ℓ|b_D], the order of :meth:`ChainMLP.parameters`."""
        return [g for pair in zip(self.weights, self.biases) for g in pair]


class ChainMLP:
    """A multi-layer perceptron written as the chain of LBDL §3.4, with a hand-written
    backward pass.

    ``widths`` = (n_0, n_1, …, n_D): layer d maps a batch (B, n_(d−1)) to (B, n_d) by
    f^(d)(x; W_d, b_d) = σ(x W_dᵀ + b_d), with σ = ``activation`` for d < D and no σ on
    the last layer (an affine output, for regression targets or logits). Weights are
    drawn W_d ~ N(0, gain² / n_(d−1)) with the generator seeded by ``seed``; biases are 0.
    A ``gain`` of 1 keeps the scale of the signal through tanh layers and √2 through ReLU
    layers; other values make it shrink or grow geometrically with depth."""

    def __init__(self, widths: Sequence[int], activation: str = "tanh", *, gain: float = 1.0, seed: int = 0,
                 dtype: torch.dtype = torch.float64, device=None):
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) < 2:
            raise ValueError(f"widths must be a sequence (n_0, …, n_D) of at least 2 ints, got {widths!r}")
        for i, n in enumerate(widths):
            positive_int(n, f"widths[{i}]")
        _check_activation(activation)
        positive_real(gain, "gain")
        if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
            raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
        self.widths = tuple(widths)
        self.activation = activation
        g = torch.Generator().manual_seed(seed)
        self.weights = [(torch.randn(n_out, n_in, generator=g, dtype=dtype) * (gain / math.sqrt(n_in))).to(device)
                        for n_in, n_out in zip(widths[:-1], widths[1:])]
        self.biases = [torch.zeros(n_out, dtype=dtype, device=device) for n_out in widths[1:]]

    @property
    def depth(self) -> int:
        """D, the number of layers."""
        return len(self.weights)

    def parameters(self) -> list[torch.Tensor]:
        """[W_1, b_1, …, W_D, b_D]."""
        return [p for pair in zip(self.weights, self.biases) for p in pair]

    def layer_activation(self, d: int) -> str:
        """σ of layer d (1 ≤ d ≤ D): ``activation`` inside the chain, ``"identity"`` for the last."""
        return self.activation if d < self.depth else "identity"

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The forward pass on a batch ``x`` of shape (B, n_0): the list of activations
        [x^(0), x^(1), …, x^(D)], where x^(D) = f(x; w) is the output."""
        _check_float(x, "x")
        _check_shape(x, (None, self.widths[0]), "x")
        if x.dtype != self.weights[0].dtype or x.device != self.weights[0].device:
            raise TypeError(f"x must have the dtype and device of the parameters ({self.weights[0].dtype} on "
                            f"{self.weights[0].device}), got {x.dtype} on {x.device}")
        activations = [x]
        for d in range(1, self.depth + 1):
            x = layer_forward(x, self.weights[d - 1], self.biases[d - 1], self.layer_activation(d))
            activations.append(x)
        return activations

    def backward(self, activations: Sequence[torch.Tensor], grad_output: torch.Tensor) -> Gradients:
        """The backward pass, from the ``activations`` of :meth:`forward` and
        ``grad_output`` = ∇ℓ|x^(D) (same shape as the output): for d = D, …, 1, the
        two Jacobian products of :func:`layer_backward`."""
        if len(activations) != self.depth + 1:
            raise ValueError(f"activations must be the D + 1 = {self.depth + 1} tensors of forward(), "
                             f"got {len(activations)}")
        _check_float(grad_output, "grad_output")
        _check_shape(grad_output, tuple(activations[-1].shape), "grad_output")
        grad_x = grad_output
        grad_activations, grad_weights, grad_biases = [grad_x], [], []
        for d in range(self.depth, 0, -1):
            grad_x, grad_w, grad_b = layer_backward(grad_x, activations[d - 1], activations[d],
                                                    self.weights[d - 1], self.layer_activation(d))
            grad_activations.insert(0, grad_x)
            grad_weights.insert(0, grad_w)
            grad_biases.insert(0, grad_b)
        return Gradients(grad_activations, grad_weights, grad_biases)

    def to_module(self) -> nn.Sequential:
        """The same function as ``torch.nn`` modules, with copies of the parameters: what
        autograd, checkpointing and timing work on. Entry d − 1 of the returned Sequential
        is layer f^(d), itself ``Sequential(Linear, Tanh or ReLU)`` (just ``Linear`` for
        the last layer)."""
        layers = []
        for d, (w, b) in enumerate(zip(self.weights, self.biases), start=1):
            linear = nn.Linear(w.shape[1], w.shape[0], dtype=w.dtype, device=w.device)
            with torch.no_grad():
                linear.weight.copy_(w)
                linear.bias.copy_(b)
            activation = {"tanh": [nn.Tanh()], "relu": [nn.ReLU()], "identity": []}[self.layer_activation(d)]
            layers.append(nn.Sequential(linear, *activation))
        return nn.Sequential(*layers)


def mse_and_gradient(prediction: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The loss ℓ = mean of (prediction − target)² over all entries and its gradient
    ∇ℓ|x^(D) = 2 (prediction − target) / (number of entries), where the backward pass
    starts. Both inputs of shape (B, n); returns a 0-d tensor and a (B, n) tensor."""
    _check_float(prediction, "prediction")
    _check_float(target, "target")
    if prediction.shape != target.shape:
        raise ValueError(f"target must have the shape of prediction {tuple(prediction.shape)}, "
                         f"got {tuple(target.shape)}")
    error = prediction - target
    return (error * error).mean(), 2 * error / error.numel()


def gradient_norms(model: ChainMLP, x: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-layer gradient norms of the mean squared error, from the hand-written backward:
    ``"activations"`` (D + 1,) holds ‖∇ℓ|x^(d)‖ for d = 0 … D and ``"weights"`` (D,) holds
    ‖∇ℓ|W_d‖ for d = 1 … D (Frobenius norms over the whole batch)."""
    if not isinstance(model, ChainMLP):
        raise TypeError(f"model must be a ChainMLP, got {type(model).__name__}")
    activations = model.forward(x)
    _, grad_output = mse_and_gradient(activations[-1], target)
    grads = model.backward(activations, grad_output)
    return {"activations": torch.stack([g.norm() for g in grads.activations]),
            "weights": torch.stack([g.norm() for g in grads.weights])}


# --- gradient-norm clipping --------------------------------------------------------------

def clip_grad_norm(gradients: Iterable[torch.Tensor] | torch.Tensor, max_norm: float, *,
                   eps: float = 1e-6) -> torch.Tensor:
    """Gradient-norm clipping [Pascanu et al. 2013], in place.

    The norm of the gradient is that of all its tensors seen as one long vector:
    ‖g‖ = √(Σ_i ‖g_i‖²). If ‖g‖ exceeds ``max_norm``, every tensor is multiplied by
    max_norm / ‖g‖, so the step keeps its direction but its norm becomes ``max_norm``;
    otherwise nothing changes (``max_norm=math.inf`` never clips, and just measures ‖g‖).
    Returns ‖g‖ before clipping, a 0-d tensor.

    ``gradients``: a tensor or an iterable of floating-point tensors of any shapes (for
    instance ``Gradients.parameters()``). As in ``torch.nn.utils.clip_grad_norm_``, the
    factor is max_norm / (‖g‖ + eps), capped at 1, so that a zero gradient is safe."""
    gradients = tensors(gradients, "gradients", floating=True)
    if isinstance(max_norm, bool) or not isinstance(max_norm, Real):
        raise TypeError(f"max_norm must be a real number, got {type(max_norm).__name__}")
    if not max_norm > 0:
        raise ValueError(f"max_norm must be > 0 (math.inf: no clipping), got {max_norm!r}")
    if not gradients:
        return torch.zeros(())
    total = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in gradients]))
    factor = (max_norm / (total + eps)).clamp(max=1.0)
    for g in gradients:
        g.mul_(factor)
    return total


# --- resource usage ----------------------------------------------------------------------

def matmul_flops(widths: Sequence[int], batch: int, *, input_grad: bool = False) -> dict[str, int]:
    """Floating-point operations of the matrix products of an MLP with these ``widths``
    on a batch of ``batch`` samples (a product (B, n) × (n, m) costs 2·B·n·m).

    Forward: one product per layer. Backward: two per layer, ∇ℓ|x^(d−1) and ∇ℓ|W_d,
    except that ∇ℓ|x^(0) is skipped when the input needs no gradient
    (``input_grad=False``, the usual case in training). Elementwise operations and bias
    additions are not counted. Returns ``{"forward": …, "backward": …}``."""
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) < 2:
        raise ValueError(f"widths must be a sequence of at least 2 ints, got {widths!r}")
    for i, n in enumerate(widths):
        positive_int(n, f"widths[{i}]")
    positive_int(batch, "batch")
    per_layer = [2 * batch * n_in * n_out for n_in, n_out in zip(widths[:-1], widths[1:])]
    forward = sum(per_layer)
    backward = 2 * forward - (0 if input_grad else per_layer[0])
    return {"forward": forward, "backward": backward}


def counted_flops(fn: Callable[[], object]) -> int:
    """The FLOPs of the matrix products run by ``fn()``, as counted by PyTorch's
    ``torch.utils.flop_counter.FlopCounterMode`` (which also counts 2·B·n·m per product)."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def saved_tensor_bytes(fn: Callable[[], object], exclude: Iterable[torch.Tensor] = ()) -> tuple[object, int]:
    """Run ``fn()`` and count the bytes of the tensors that autograd saves for the
    backward pass, using ``torch.autograd.graph.saved_tensors_hooks``.

    What is counted is distinct storages, each at its full size: a tensor saved twice
    (the output of a ReLU is also the input of the next Linear) counts once, and so do
    two views of one tensor, which keep all of it alive. Tensors that share storage with
    one of ``exclude`` (typically the parameters, which are in memory anyway) are not
    counted. Returns ``(fn(), bytes)``. Exact and deterministic, on any device."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    excluded = {t.untyped_storage().data_ptr() for t in exclude}
    storages: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in excluded:
            storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        out = fn()
    return out, sum(storages.values())


def _chunks(layers: Sequence[nn.Module], segments: int) -> list[nn.Sequential]:
    positive_int(segments, "segments")
    if segments > len(layers):
        raise ValueError(f"segments must be at most the number of layers ({len(layers)}), got {segments}")
    bounds = [round(k * len(layers) / segments) for k in range(segments + 1)]
    return [nn.Sequential(*layers[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def checkpointed(layers: Sequence[nn.Module], segments: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """The function x ↦ layers[-1](… layers[0](x)) with checkpointing [Chen et al. 2016]:
    the layers are cut into ``segments`` consecutive chunks of (nearly) equal length; the
    forward pass keeps only the input of each chunk, and the backward pass recomputes the
    inside of a chunk, with a partial forward pass, when it reaches it
    (``torch.utils.checkpoint``)."""
    chunks = _chunks(modules(layers, "layers"), segments)

    def forward(x: torch.Tensor) -> torch.Tensor:
        for chunk in chunks:
            x = checkpoint(chunk, x, use_reentrant=False)
        return x

    return forward


def activation_memory(layers: Sequence[nn.Module], x: torch.Tensor, segments: int | None = None) -> dict[str, int]:
    """Bytes of activations kept for the backward pass of ``layers`` applied to ``x``.

    ``segments=None``: plain autograd; ``"saved"`` counts everything saved in the forward
    pass and ``"recomputed"`` is 0. With ``segments`` = k, checkpointing as in
    :func:`checkpointed`: ``"saved"`` counts the chunk inputs kept by the forward pass,
    and ``"recomputed"`` the largest amount one chunk saves again when the backward pass
    recomputes it (its input excluded, being already counted). The peak during the
    backward pass is at most ``saved + recomputed``. Parameters are not counted."""
    layers = modules(layers, "layers")
    _check_float(x, "x")
    parameters = [p for layer in layers for p in layer.parameters()]
    if segments is None:
        _, saved = saved_tensor_bytes(lambda: nn.Sequential(*layers)(x), exclude=parameters)
        return {"saved": saved, "recomputed": 0}
    _, saved = saved_tensor_bytes(lambda: checkpointed(layers, segments)(x), exclude=parameters)
    recomputed = 0
    h = x
    for chunk in _chunks(layers, segments):
        h = h.detach()
        out, chunk_bytes = saved_tensor_bytes(partial(chunk, h), exclude=[*parameters, h])
        recomputed = max(recomputed, chunk_bytes)
        h = out
    return {"saved": saved, "recomputed": recomputed}


# --- Figure 3.3 --------------------------------------------------------------------------

def draw_chain(forward_label: str = "forward pass", backward_label: str = "backward pass",
               colors: tuple[str, str, str] = ("#111111", "#1f5fbf", "#d62728")):
    """Figure 3.3 of LBDL: the chain f^(1), …, f^(d), …, f^(D). Top, in black: the forward
    pass computes the activations x^(d) in order. Bottom: the backward pass computes the
    gradients with respect to the activations (blue) from right to left, multiplying by
    J_f^(d)|x, and those with respect to the parameters (red), multiplying by J_f^(d)|w.
    ``colors`` = (forward, activation gradients, parameter gradients). Returns a Figure."""
    black, blue, red = colors
    fig, ax = plt.subplots(figsize=(10.0, 3.6))
    ax.set(xlim=(0, 15.2), ylim=(-0.55, 3.75))
    ax.axis("off")
    layers = [(2.4, "1"), (7.5, "d"), (12.6, "D")]            # (x-centre, index) of the layers drawn
    columns = [(0.8, "0"), (4.0, "1"), (5.9, "d-1"), (9.1, "d"), (11.0, "D-1"), (14.2, "D")]
    forward_y, backward_y, parameter_y = 2.55, 1.0, -0.3

    def arrow(start, end, color):
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=13, color=color, lw=1.5,
                                     shrinkA=0, shrinkB=0))

    def gradient(of: str) -> str:
        return rf"$\nabla \ell_{{|{of}}}$"

    for cx, d in layers:
        ax.add_patch(FancyBboxPatch((cx - 0.5, forward_y - 0.35), 1.0, 0.7, boxstyle="round,pad=0.04",
                                    fc="white", ec=black, lw=1.3))
        ax.text(cx, forward_y, f"$f^{{({d})}}$", ha="center", va="center", fontsize=13)
        ax.text(cx, 3.55, f"$w_{{{d}}}$", ha="center", va="center", fontsize=11)
        arrow((cx, 3.38), (cx, forward_y + 0.4), black)
        # backward through layer d: × J_f|x to the left, × J_f|w down
        arrow((cx + 1.05, backward_y), (cx - 1.05, backward_y), blue)
        ax.text(cx, backward_y + 0.12, rf"$\times J_{{f^{{({d})}}|x}}$", color=blue, ha="center", va="bottom",
                fontsize=12)
        arrow((cx, backward_y - 0.08), (cx, parameter_y + 0.25), red)
        ax.text(cx + 0.1, (backward_y + parameter_y) / 2 + 0.05, rf"$\times J_{{f^{{({d})}}|w}}$", color=red,
                ha="left", va="center", fontsize=12)
        ax.text(cx, parameter_y, gradient(f"w_{{{d}}}"), color=red, ha="center", va="center", fontsize=12)
    for (x0, _), (x1, _) in zip(columns[:-1], columns[1:]):
        if x1 - x0 < 2:                                         # x^(1) ⋯ x^(d-1) and x^(d) ⋯ x^(D-1)
            for y, color in ((forward_y, black), (backward_y, blue)):
                ax.text((x0 + x1) / 2, y, r"$\cdots$", color=color, ha="center", va="center", fontsize=12)
    for (cx, _), (left, _), (right, _) in zip(layers, columns[0::2], columns[1::2]):
        arrow((left - 0.6, forward_y), (cx - 0.54, forward_y), black)
        arrow((cx + 0.54, forward_y), (right + 0.6, forward_y), black)
    for x, d in columns:
        ax.text(x, forward_y - 0.22, f"$x^{{({d})}}$", ha="center", va="top", fontsize=11)
        ax.text(x, backward_y, gradient(f"x^{{({d})}}"), color=blue, ha="center", va="center", fontsize=12,
                bbox={"fc": "white", "ec": "none", "pad": 1})
    ax.text(14.2, backward_y - 0.42, r"$= \nabla L_{|x}$", color=blue, ha="center", va="center", fontsize=10)
    ax.text(0.1, 3.45, forward_label, color=black, fontsize=10, ha="left", va="center", style="italic")
    ax.text(0.1, 1.75, backward_label, color=blue, fontsize=10, ha="left", va="center", style="italic")
    return fig
