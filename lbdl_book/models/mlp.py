"""Multi-layer perceptrons (LBDL §5.1), built from the layers of Chapter 4.

An MLP is the simplest deep architecture: fully connected layers separated by
activation functions, with no activation after the last one,

    x⁽⁰⁾ = x,   x⁽ˡ⁾ = σ(W_l x⁽ˡ⁻¹⁾ + b_l) for l = 1, …, L − 1,   y = W_L x⁽ᴸ⁻¹⁾ + b_L.

``MLP(sizes)`` with ``sizes = (D_0, D_1, …, D_L)`` has L fully connected layers, layer l
mapping D_{l−1} to D_l with D_l·D_{l−1} weights and D_l biases. For historical reasons
the number of *hidden layers* is the number of linear layers except the last, L − 1.
Figure 5.1 of LBDL is ``MLP((50, 25, 10, 2))``: 1,275 + 260 + 22 = 1,557 parameters.

The universal approximation theorem is about the one-hidden-layer case
l_2 ∘ σ ∘ l_1 = ``MLP((D, m, C))``: if σ is continuous and not a polynomial, any
continuous function on a compact set is the uniform limit of such networks as the
width m grows ([Cybenko, 1989] for sigmoidal σ, [Leshno et al., 1993] in this form).
Also here, for the demos of the section:

* :class:`Square`, the polynomial activation σ(x) = x², for which the theorem fails:
  ``MLP((1, m, 1), "square")`` is a polynomial of degree ≤ 2 in x, whatever m;
* :func:`relu_interpolant`, the constructive side of the theorem in one dimension:
  the piecewise-linear interpolant of m + 1 points is exactly a ReLU MLP of width m;
* :class:`ParallelShallowMLPs`, many one-hidden-layer MLPs of different widths and
  activations trained at once as one wide layer (each model's gradient involves only its
  own parameters), then :meth:`~ParallelShallowMLPs.split` back into separate
  :class:`MLP` objects;
* :func:`fit_last_layer_`, the least-squares output layer for fixed hidden layers;
* :func:`draw_mlp`, Figure 5.1 drawn from any MLP, with its "hidden layers" bracket.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from lbdl_book._checks import model_input, positive_int
from lbdl_book.nn.activations import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear

__all__ = [
    "ACTIVATIONS", "MLP", "ParallelShallowMLPs", "Square", "count_parameters", "draw_mlp", "fit_last_layer_",
    "relu_interpolant", "summed_mse",
]


class Square(nn.Module):
    """σ(x) = x², elementwise, any shape: a polynomial activation (not in LBDL).

    Used to show that the universal approximation theorem needs a non-polynomial σ: a
    one-hidden-layer network Σ_j a_j (u_j·x + v_j)² + c is a polynomial of degree ≤ 2."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            raise TypeError(f"x must be a floating-point torch.Tensor, got "
                            f"{x.dtype if isinstance(x, torch.Tensor) else type(x).__name__}")
        return x * x


# name → class; each hidden layer gets its own instance. "identity" (no activation at all)
# is there to show that the stack then collapses into a single affine map (§4.3).
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": ReLU, "gelu": GELU, "tanh": Tanh, "sigmoid": Sigmoid, "leaky_relu": LeakyReLU,
    "square": Square, "identity": nn.Identity,
}


def _activation_factory(activation) -> tuple[str, Callable[[], nn.Module]]:
    """(name, zero-argument factory) for an activation given by name or by class/factory."""
    if isinstance(activation, str):
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)} or a callable returning an "
                             f"nn.Module, got {activation!r}")
        return activation, ACTIVATIONS[activation]
    if isinstance(activation, nn.Module) or not callable(activation):
        raise TypeError(f"activation must be a name ({', '.join(sorted(ACTIVATIONS))}) or a class / "
                        f"zero-argument callable returning a new nn.Module for each layer, got "
                        f"{type(activation).__name__}")
    name = getattr(activation, "__name__", type(activation).__name__).lower()
    return name, activation


def _check_sizes(sizes, name: str = "sizes", minimum: int = 2) -> tuple[int, ...]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < minimum:
        raise ValueError(f"{name} must be a sequence of at least {minimum} layer sizes "
                         f"(input, ..., output), got {sizes!r}")
    for k, size in enumerate(sizes):
        positive_int(size, f"{name}[{k}]")
    return tuple(sizes)


def count_parameters(sizes: Sequence[int], bias: bool = True) -> list[int]:
    """The parameters of each fully connected layer of ``MLP(sizes)``, from the sizes alone.

    Layer l has D_l·D_{l−1} weights plus D_l biases: ``count_parameters((50, 25, 10, 2))``
    is ``[1275, 260, 22]``, 1,557 in all. Activations have no parameters."""
    sizes = _check_sizes(sizes)
    if not isinstance(bias, bool):
        raise TypeError(f"bias must be a bool, got {type(bias).__name__}")
    return [d_in * d_out + (d_out if bias else 0) for d_in, d_out in zip(sizes[:-1], sizes[1:])]


class MLP(nn.Sequential):
    """A multi-layer perceptron: ``Linear(D_0, D_1), σ, Linear(D_1, D_2), σ, …, Linear(D_{L−1}, D_L)``.

    ``sizes``: (D_0, …, D_L), at least two entries; ``sizes=(D, C)`` is a single linear
    layer (no hidden layer: a linear model). ``activation``: one of :data:`ACTIVATIONS`
    by name, or a class / zero-argument callable that makes a new activation module for
    each hidden layer. ``bias``: whether the linear layers have biases.

    Input (..., D_0), output (..., D_L): the leading dimensions only index vectors, as in
    :class:`lbdl_book.nn.linear.Linear`. The layers are the items of this
    ``nn.Sequential``: ``model[0]`` is the first fully connected layer, ``model[1]`` its
    activation, and so on; there is no activation after the last layer, whose outputs
    are the logits of a classifier or the predictions of a regression. ``fused``: the
    layers run PyTorch's fused kernels (default), or the book's computations with
    ``fused=False`` (:mod:`lbdl_book.nn.fused`); the input is checked here, once."""

    def __init__(self, sizes: Sequence[int], activation: str | Callable[[], nn.Module] = "relu", *,
                 bias: bool = True, fused: bool = True):
        sizes = _check_sizes(sizes)
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool, got {type(bias).__name__}")
        name, factory = _activation_factory(activation)
        layers: list[nn.Module] = []
        for k, (d_in, d_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(d_in, d_out, bias=bias))
            if k < len(sizes) - 2:                      # between linear layers, not after the last
                act = factory()
                if not isinstance(act, nn.Module):
                    raise TypeError(f"activation must return an nn.Module, got {type(act).__name__}")
                layers.append(act)
        super().__init__(*layers)
        self.sizes = sizes
        self.activation = name
        set_fused(self, fused)

    @property
    def hidden_layers(self) -> int:
        """The number of hidden layers: the linear layers except the last (LBDL's convention)."""
        return len(self.sizes) - 2

    def linear_layers(self) -> list[Linear]:
        """The fully connected layers, first to last."""
        return [m for m in self if isinstance(m, Linear)]

    def parameter_counts(self) -> list[int]:
        """The number of parameters of each fully connected layer, counted on the tensors."""
        return [sum(p.numel() for p in layer.parameters()) for layer in self.linear_layers()]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        model_input(x, self)                        # float, of the parameters' dtype: checked once, here
        if x.dim() == 0 or x.shape[-1] != self.sizes[0]:
            raise ValueError(f"x must have shape (..., {self.sizes[0]}) for this MLP of sizes {self.sizes}, "
                             f"got {tuple(x.shape)}")
        return super().forward(x)

    def __getitem__(self, index):
        """``model[k]`` is layer k; a slice ``model[a:b]`` is a plain ``nn.Sequential`` of
        those layers (sharing their parameters), e.g. ``model[:-1]``, the feature extractor
        that the last layer reads."""
        if isinstance(index, slice):
            return nn.Sequential(*list(self._modules.values())[index])
        return super().__getitem__(index)

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, activation={self.activation!r}"


def fit_last_layer_(model: MLP, x: torch.Tensor, y: torch.Tensor, ridge: float = 1e-8) -> MLP:
    """Replace the last layer of ``model`` by its least-squares optimum, in place, and return ``model``.

    With every layer but the last fixed, the output y = W φ(x) + b is linear in (W, b): a
    basis function regression (LBDL §1.2) whose basis functions φ are the features
    ``model[:-1](x)``, solved by the normal equations (Φᵀ Φ + λ I) w = Φᵀ y, where Φ is
    (N, D_{L−1} + 1) (the features and a column of ones) and λ = ``ridge`` × the mean of
    the diagonal of Φᵀ Φ, a tiny regularisation that keeps the system solvable when the
    features are collinear (dead units, more units than points). Solved in float64.

    ``x``: (N, D_0); ``y``: (N, D_L), same dtype as the model; the last layer must have a bias."""
    if not isinstance(model, MLP):
        raise TypeError(f"model must be an MLP, got {type(model).__name__}")
    last = model.linear_layers()[-1]
    if last.bias is None:
        raise ValueError("the last layer of model must have a bias (MLP(..., bias=True))")
    for name, v, width in (("x", x, model.sizes[0]), ("y", y, model.sizes[-1])):
        if not isinstance(v, torch.Tensor) or v.dim() != 2 or v.shape[1] != width:
            raise ValueError(f"{name} must be a tensor of shape (N, {width}), got "
                             f"{tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__}")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same number of rows, got {len(x)} and {len(y)}")
    if isinstance(ridge, bool) or not isinstance(ridge, (int, float)) or not ridge >= 0:
        raise ValueError(f"ridge must be a number >= 0, got {ridge!r}")
    with torch.no_grad():
        features = model[:-1](x).double()                                     # (N, D_{L-1})
        phi = torch.cat([features, torch.ones(len(x), 1, dtype=torch.float64, device=x.device)], dim=1)
        gram = phi.T @ phi
        damping = ridge * gram.diagonal().mean() * torch.eye(len(gram), dtype=torch.float64, device=x.device)
        solution = torch.linalg.solve(gram + damping, phi.T @ y.double())      # (D_{L-1} + 1, D_L)
        last.weight.copy_(solution[:-1].T)
        last.bias.copy_(solution[-1])
    return model


def relu_interpolant(knots: torch.Tensor, values: torch.Tensor) -> MLP:
    """The one-hidden-layer ReLU MLP that equals the piecewise-linear interpolant of the
    points (t_i, f_i) on [t_0, t_m]: the constructive proof of universal approximation in 1-D.

    ``knots``: (m + 1,) strictly increasing t_0 < … < t_m, m >= 1; ``values``: (m + 1,)
    f_0, …, f_m, same dtype. With s_j = (f_j − f_{j−1}) / (t_j − t_{j−1}) the slope of piece
    j, the interpolant is f_0 + s_1 relu(x − t_0) + Σ_{j=1}^{m−1} (s_{j+1} − s_j) relu(x − t_j):
    unit j switches on at knot t_j and changes the slope there. Returns ``MLP((1, m, 1))``
    of that dtype, with first-layer weights 1 and biases −t_j, output weights the slope
    changes and output bias f_0. (Left of t_0 it stays at f_0; right of t_m it goes on
    with slope s_m.)"""
    for name, v in (("knots", knots), ("values", values)):
        if not isinstance(v, torch.Tensor) or not v.is_floating_point():
            raise TypeError(f"{name} must be a floating-point torch.Tensor, got "
                            f"{v.dtype if isinstance(v, torch.Tensor) else type(v).__name__}")
        if v.dim() != 1 or len(v) < 2:
            raise ValueError(f"{name} must have shape (m + 1,) with m >= 1, got {tuple(v.shape)}")
    if values.shape != knots.shape or values.dtype != knots.dtype:
        raise ValueError(f"values must match knots in shape and dtype {tuple(knots.shape)} {knots.dtype}, "
                         f"got {tuple(values.shape)} {values.dtype}")
    steps = knots[1:] - knots[:-1]
    if not (steps > 0).all():
        raise ValueError("knots must be strictly increasing")
    m = len(knots) - 1
    slopes = (values[1:] - values[:-1]) / steps                          # (m,) slope of each piece
    changes = torch.cat([slopes[:1], slopes[1:] - slopes[:-1]])          # (m,) added at t_0, …, t_{m−1}
    model = MLP((1, m, 1), "relu").to(knots.dtype)
    first, last = model.linear_layers()
    with torch.no_grad():
        first.weight.fill_(1.0)
        first.bias.copy_(-knots[:-1])
        last.weight.copy_(changes[None, :])
        last.bias.fill_(values[0].item())
    return model


class ParallelShallowMLPs(nn.Module):
    """K independent one-hidden-layer MLPs ``MLP((D, m_k, C), σ_k)`` computed as one wide layer.

    ``widths``: (K,) hidden widths m_k; ``activations``: one name of :data:`ACTIVATIONS`
    for all, or one per model. The first layers of consecutive models with the same
    activation are stacked into one ``Linear(D, Σ m_k)``, followed by that activation;
    the output layer keeps, for each hidden unit j, a (C,) weight vector a_j, and model k
    sums only its own units:

        y_k(x) = Σ_{j ∈ block k} σ_k(u_j·x + v_j) a_j + c_k.

    Input (N, D) → output (N, K, C). Since y_k involves only model k's parameters, the
    gradient of Σ_k loss_k with respect to them is the gradient of loss_k alone, and an
    elementwise optimiser such as Adam trains the K models exactly as K separate runs
    would, in one pass instead of K. :meth:`split` returns them as :class:`MLP` objects.
    Each model starts from its own ``MLP`` default initialisation, drawn in order.
    ``fused``: as in :class:`MLP` (PyTorch's kernels by default)."""

    def __init__(self, in_features: int, widths: Sequence[int], out_features: int,
                 activations: str | Sequence[str] = "relu", *, fused: bool = True):
        super().__init__()
        widths = _check_sizes(widths, "widths", minimum=1)
        _check_sizes((in_features, out_features), "(in_features, out_features)")
        if isinstance(activations, str):
            activations = (activations,) * len(widths)
        if isinstance(activations, bytes) or not isinstance(activations, Sequence) or \
                len(activations) != len(widths):
            raise ValueError(f"activations must be a name or a sequence of {len(widths)} names (one per width), "
                             f"got {activations!r}")
        for a in activations:
            if a not in ACTIVATIONS:
                raise ValueError(f"each activation must be one of {sorted(ACTIVATIONS)}, got {a!r}")
        self.in_features, self.out_features = in_features, out_features
        self.widths, self.activations = widths, tuple(activations)
        models = [MLP((in_features, m, out_features), a) for m, a in zip(widths, self.activations)]
        # runs of consecutive models with the same activation: (first model, end model, activation)
        runs: list[list] = []
        for k, a in enumerate(self.activations):
            if runs and runs[-1][2] == a:
                runs[-1][1] = k + 1
            else:
                runs.append([k, k + 1, a])
        self.runs = [tuple(run) for run in runs]
        self.hidden = nn.ModuleList()
        self.act = nn.ModuleList()
        for first, end, a in self.runs:
            layers = [models[k].linear_layers()[0] for k in range(first, end)]
            hidden = Linear(in_features, sum(widths[first:end]))
            with torch.no_grad():
                hidden.weight.copy_(torch.cat([layer.weight for layer in layers]))
                hidden.bias.copy_(torch.cat([layer.bias for layer in layers]))
            self.hidden.append(hidden)
            self.act.append(ACTIVATIONS[a]())
        lasts = [model.linear_layers()[1] for model in models]
        self.out_weight = nn.Parameter(torch.cat([layer.weight.detach().T for layer in lasts]))    # (Σm, C)
        self.out_bias = nn.Parameter(torch.stack([layer.bias.detach() for layer in lasts]))        # (K, C)
        owner = torch.repeat_interleave(torch.arange(len(widths)), torch.tensor(widths))
        # (Σm, K) one-hot: column k selects the units of model k
        self.register_buffer("assign", nn.functional.one_hot(owner, len(widths)).float(), persistent=False)
        set_fused(self, fused)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"x must be a tensor of shape (N, {self.in_features}), got "
                             f"{tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__}")
        h = torch.cat([act(hidden(x)) for hidden, act in zip(self.hidden, self.act)], dim=1)    # (N, Σm)
        weighted = h[:, None, :] * self.out_weight.T                          # (N, C, Σm): σ(z_j) a_j
        sums = weighted @ self.assign.to(h.dtype)                             # (N, C, K): Σ over each block
        return sums.transpose(1, 2) + self.out_bias                           # (N, K, C)

    def split(self) -> list[MLP]:
        """The K models as separate ``MLP((D, m_k, C), σ_k)`` with copies of their weights,
        on the device and dtype of this module, on the same path (fused or not)."""
        w = torch.cat([hidden.weight.detach() for hidden in self.hidden])
        b = torch.cat([hidden.bias.detach() for hidden in self.hidden])
        models, start = [], 0
        for k, (m, a) in enumerate(zip(self.widths, self.activations)):
            model = MLP((self.in_features, m, self.out_features), a, fused=self.hidden[0].fused)
            model = model.to(device=w.device, dtype=w.dtype)
            first, last = model.linear_layers()
            with torch.no_grad():
                first.weight.copy_(w[start:start + m])
                first.bias.copy_(b[start:start + m])
                last.weight.copy_(self.out_weight.detach()[start:start + m].T)
                last.bias.copy_(self.out_bias.detach()[k])
            models.append(model.eval())
            start += m
        return models


def summed_mse(outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Σ_k mean_n ‖y_k(x_n) − t_n‖² / C: the sum over the K models of
    :class:`ParallelShallowMLPs` of each one's mean squared error.

    ``outputs``: (N, K, C); ``target``: (N, C). Returns a 0-d tensor."""
    if not isinstance(outputs, torch.Tensor) or outputs.dim() != 3:
        raise ValueError(f"outputs must have shape (N, K, C), got "
                         f"{tuple(outputs.shape) if isinstance(outputs, torch.Tensor) else type(outputs).__name__}")
    if not isinstance(target, torch.Tensor) or target.shape != (outputs.shape[0], outputs.shape[2]):
        raise ValueError(f"target must have shape (N, C) = ({outputs.shape[0]}, {outputs.shape[2]}), got "
                         f"{tuple(target.shape) if isinstance(target, torch.Tensor) else type(target).__name__}")
    return ((outputs - target[:, None, :]) ** 2).mean(dim=(0, 2)).sum()


def draw_mlp(model: MLP, bracket: str | None = "hidden layers"):
    """Figure 5.1 for any :class:`MLP`: the stack of layers in the book's convention, read
    off the model by :func:`lbdl_book.diagrams.describe`, with a bracket on the left that
    spans the hidden layers (each linear layer but the last, with its activation) and
    carries the text ``bracket`` (None: no bracket). Returns the matplotlib Figure.

    :func:`~lbdl_book.diagrams.draw_stack` sizes the figure to the stack, in inches, with
    axes that fill it at an aspect of 1; the bracket is drawn in the same coordinates, and
    the figure widened by the room it needs on the left."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.textpath import TextToPath

    from lbdl_book.diagrams import NOTE_SIZE, describe, draw_stack
    from lbdl_book.plot import BLACK

    if not isinstance(model, MLP):
        raise TypeError(f"model must be an MLP, got {type(model).__name__}")
    if bracket is not None and (not isinstance(bracket, str) or not bracket):
        raise ValueError(f"bracket must be a non-empty str or None, got {bracket!r}")
    parameter = next(model.parameters())
    example = torch.zeros(1, model.sizes[0], dtype=parameter.dtype, device=parameter.device)
    fig = draw_stack(*describe(model, example))
    if bracket is None or model.hidden_layers == 0:
        return fig
    ax = fig.axes[0]
    boxes = [p for p in ax.patches if isinstance(p, FancyBboxPatch)]       # one per layer, top to bottom
    hidden = boxes[:2 * model.hidden_layers]
    top = max(b.get_y() + b.get_height() for b in hidden)
    bottom = min(b.get_y() for b in hidden)
    x = min(b.get_x() for b in boxes) - 0.12                               # inches, left of the boxes
    tick = 0.06
    ax.plot([x + tick, x, x, x + tick], [top, top, bottom, bottom], color=BLACK, lw=0.9)
    ax.text(x - 0.06, (top + bottom) / 2, bracket, fontsize=NOTE_SIZE, ha="right", va="center")
    ismath = bracket.count("$") >= 2
    width = TextToPath().get_text_width_height_descent(bracket, FontProperties(size=NOTE_SIZE), ismath=ismath)[0] / 72
    x0, x1 = ax.get_xlim()
    extra = max(0.0, (x0 + 0.08) - (x - 0.06 - width))                     # room needed, with a margin
    ax.set_xlim(x0 - extra, x1)
    w, h = fig.get_size_inches()
    fig.set_size_inches(w + extra, h)
    return fig
