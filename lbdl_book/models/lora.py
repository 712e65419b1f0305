"""Adapters, LoRA and QLoRA (LBDL §8.3): fine-tuning a few added parameters, the rest frozen.

Fine-tuning all the weights of a large model costs the memory of their gradients and of
the optimizer's state (Adam keeps two running averages per parameter, §3.3). *Adapters*
[Houlsby et al., 2019] add small trainable components to a pre-trained model and freeze
all its original parameters.

**LoRA** [Hu et al., 2021]. A fully connected layer computes X Wᵀ, X (N × D), W (C × D).
LoRA replaces it with

    X (W + s·BA)ᵀ = X Wᵀ + s·(X Aᵀ) Bᵀ,     A (R × D), B (C × R), R ≪ min(C, D),

trains A and B and freezes W. A starts Gaussian and B at zero, so BA = 0 and the adapted
model starts as the base model, exactly. The factor s = α/R is not in LBDL (Hu et al.
use it so that changing R does not change the scale of the update; ``alpha=None`` means
s = 1). :class:`LoRALinear` wraps the book's :class:`~lbdl_book.nn.linear.Linear` and
computes the right-hand side (two thin products, no C × D matrix formed);
:class:`LoRAParametrization` adds s·BA to a weight matrix stored as a bare Parameter
(the stacked W^Q, W^K, W^V of :class:`~lbdl_book.nn.attention.MultiHeadAttention`).
Either can be *merged*: W ← W + s·BA, after which the layer costs what the base layer
costs, and *unmerged* back.

**Bottleneck adapter** (:class:`Adapter`, Houlsby et al.): h ↦ h + U φ(D h) with a
down-projection D (K × D), a nonlinearity φ (GELU), an up-projection U (D × K) that
starts at zero (exact identity at the start) or near zero, and a residual connection.
It adds computation at inference: it cannot be merged into W.

**QLoRA** [Dettmers et al., 2023]: the frozen base matrices stored in a 4-bit block format
of §8.2 (:mod:`lbdl_book.models.quantize`) and dequantized when a layer reads them, with
LoRA's A and B in float32 on top (:func:`quantize_base`).

Model-level helpers: :func:`add_lora`, :func:`add_adapters`, :func:`freeze`,
:func:`trainable_parameters`, :func:`adam_state_bytes`, :func:`merge_lora`,
:func:`unmerge_lora`, :func:`merged_state_dict`, :func:`lora_state_dict`, and the memory
counts :func:`stored_bytes`, :func:`training_bytes`. :func:`harbour_log` writes the new
text the page adapts the book's char-GPT to.
"""

from __future__ import annotations

import math
from numbers import Real

import torch
from torch import nn
from torch.nn.utils import parametrize

from lbdl_book._checks import boolean, module as check_module, positive_int
from lbdl_book.nn.activations import GELU
from lbdl_book.nn.attention import MultiHeadAttention
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear
from lbdl_book.models.transformer import FeedForwardBlock

__all__ = ["Adapter", "AdaptedLayer", "LORA_TARGETS", "LoRALinear", "LoRAParametrization", "QuantizedWeight",
           "adam_state_bytes", "add_adapters", "add_lora", "freeze", "harbour_log", "lora_modules", "lora_state_dict",
           "merge_lora", "merge_rounding_bound", "merged_state_dict", "quantize_base", "stored_bytes",
           "trainable_parameters", "training_bytes", "unmerge_lora"]

LORA_TARGETS = ("qkv", "out", "ffn")


def _scaling(rank: int, alpha) -> float:
    if alpha is None:
        return 1.0
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not (math.isfinite(alpha) and alpha > 0):
        raise ValueError(f"alpha must be a finite number > 0 or None, got {alpha!r}")
    return float(alpha) / rank


def _check_features(x, features: int, name: str) -> None:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        got = x.dtype if isinstance(x, torch.Tensor) else type(x).__name__
        raise TypeError(f"{name} must be a floating-point tensor (..., {features}), got {got}")
    if x.dim() == 0 or x.shape[-1] != features:
        raise ValueError(f"{name} must have shape (..., {features}), got {tuple(x.shape)}")


def _check_generator(generator) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")


class _LowRank(nn.Module):
    """The two factors of a LoRA update for a C × D matrix: ``lora_A`` (R × D), Gaussian of
    standard deviation 1/√D (so X Aᵀ keeps the scale of X), and ``lora_B`` (C × R), zero."""

    def __init__(self, out_features: int, in_features: int, rank: int, alpha=None, *, generator=None,
                 device=None, dtype=None):
        super().__init__()
        positive_int(out_features, "out_features")
        positive_int(in_features, "in_features")
        positive_int(rank, "rank")
        if rank > min(out_features, in_features):
            raise ValueError(f"rank must be <= min(C, D) = {min(out_features, in_features)} for a "
                             f"{out_features} × {in_features} matrix, got {rank}")
        _check_generator(generator)
        self.rank = rank
        self.alpha = alpha
        self.scaling = _scaling(rank, alpha)
        a = torch.randn(rank, in_features, generator=generator) / math.sqrt(in_features)
        self.lora_A = nn.Parameter(a.to(device=device, dtype=dtype or torch.get_default_dtype()))
        self.lora_B = nn.Parameter(torch.zeros(out_features, rank, device=device, dtype=a.dtype if dtype is None
                                               else dtype))
        self.merged = False

    def delta_weight(self) -> torch.Tensor:
        """s·BA, the C × D update of the weight matrix."""
        return self.scaling * (self.lora_B @ self.lora_A)

    def _lora_repr(self) -> str:
        return f"rank={self.rank}, scaling={self.scaling:g}, merged={self.merged}"


class LoRALinear(_LowRank):
    """A LoRA layer around a :class:`~lbdl_book.nn.linear.Linear` ``base`` (weight W, C × D):
    (..., D) → (..., C), computing X Wᵀ + b + s·(X Aᵀ) Bᵀ (Hu et al., Eq. 3).

    ``rank`` R (1 ≤ R ≤ min(C, D)), ``alpha``: s = α/R (``None``: s = 1), ``generator``
    for the draw of A. The base's parameters are frozen (``requires_grad = False``); the
    trainable ones are ``lora_A`` and ``lora_B``: R·(C + D) numbers instead of C·D.
    :meth:`merge` adds s·BA into W (then the layer computes X (W + s·BA)ᵀ + b in one
    product), :meth:`unmerge` takes it out again."""

    def __init__(self, base: Linear, rank: int, alpha=None, *, generator: torch.Generator | None = None):
        if not isinstance(base, Linear):
            raise TypeError(f"base must be a lbdl_book.nn.Linear, got {type(base).__name__}")
        weight = base.weight
        super().__init__(base.out_features, base.in_features, rank, alpha, generator=generator,
                         device=weight.device, dtype=weight.dtype)
        self.base = base
        for p in base.parameters():
            p.requires_grad_(False)

    @property
    def in_features(self) -> int:
        return self.base.in_features

    @property
    def out_features(self) -> int:
        return self.base.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_features(x, self.in_features, "x")
        y = self.base(x)                                       # X Wᵀ + b (W already holds s·BA if merged)
        if self.merged:
            return y
        return y + self.scaling * (x @ self.lora_A.T) @ self.lora_B.T   # + s·(X Aᵀ) Bᵀ: (..., R) then (..., C)

    @torch.no_grad()
    def merge(self) -> LoRALinear:
        """W ← W + s·BA; the layer then runs the base's single product. Returns self.
        A base whose weight is computed (a quantized one, :func:`quantize_base`) cannot
        take the update: ValueError."""
        if parametrize.is_parametrized(self.base, "weight"):
            raise ValueError("cannot merge LoRA into a quantized (parametrized) base weight; dequantize it first")
        if not self.merged:
            self.base.weight += self.delta_weight()
            self.merged = True
        return self

    @torch.no_grad()
    def unmerge(self) -> LoRALinear:
        """W ← W − s·BA, the inverse of :meth:`merge` (up to one rounding per entry). Returns self."""
        if self.merged:
            self.base.weight -= self.delta_weight()
            self.merged = False
        return self

    def extra_repr(self) -> str:
        return self._lora_repr()


class LoRAParametrization(_LowRank):
    """LoRA on a weight matrix that is a bare Parameter (C × D), through
    ``torch.nn.utils.parametrize``: the module reads W + s·BA wherever it read W. Used for
    the stacked input projection ``in_proj_weight`` of an attention layer, which is not a
    :class:`Linear` (one update of rank R for the 3D × D stack [W^Q; W^K; W^V]).

    When merged, the stored W already holds s·BA and the parametrization returns it as is."""

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        shape = (self.lora_B.shape[0], self.lora_A.shape[1])
        if not isinstance(weight, torch.Tensor) or not weight.is_floating_point() or tuple(weight.shape) != shape:
            raise ValueError(f"weight must be a floating-point tensor of shape {shape}, got "
                             f"{tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__}")
        return weight if self.merged else weight + self.delta_weight()

    def extra_repr(self) -> str:
        return self._lora_repr()


@torch.no_grad()
def _merge_parametrization(owner: nn.Module, name: str, lora: LoRAParametrization, sign: int) -> None:
    chain = owner.parametrizations[name]
    if chain[0] is not lora:
        raise ValueError(f"cannot merge LoRA into {name}: its base is not a plain float tensor "
                         "(a quantized base stays quantized; merge into a dequantized copy instead)")
    chain.original += sign * lora.delta_weight()
    lora.merged = sign > 0


def freeze(model: nn.Module) -> nn.Module:
    """Set ``requires_grad = False`` on every parameter of ``model``; returns it."""
    check_module(model, "model")
    for p in model.parameters():
        p.requires_grad_(False)
    return model


def trainable_parameters(model: nn.Module) -> int:
    """The number of trainable parameters of ``model`` (``requires_grad``), each shared
    Parameter counted once (``model.parameters()`` already yields it once)."""
    check_module(model, "model")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def adam_state_bytes(model: nn.Module) -> int:
    """Bytes of Adam's state for ``model``: two running averages (of the gradient and of its
    square) per trainable parameter, in the parameter's dtype (float32: 8 bytes each). The
    step counter (one number per tensor) is left out."""
    check_module(model, "model")
    return sum(2 * p.numel() * p.element_size() for p in model.parameters() if p.requires_grad)


def _check_targets(targets) -> tuple[str, ...]:
    if isinstance(targets, str) or not isinstance(targets, (tuple, list)) or not targets:
        raise TypeError(f"targets must be a non-empty tuple of names among {LORA_TARGETS}, got {targets!r}")
    for name in targets:
        if name not in LORA_TARGETS:
            raise ValueError(f"targets must be names among {LORA_TARGETS}, got {name!r}")
    return tuple(targets)


def add_lora(model: nn.Module, rank: int, alpha=None, targets=("qkv", "out"), *, seed: int = 0) -> nn.Module:
    """Freeze ``model`` and add LoRA of ``rank`` to the chosen matrices of its Transformer
    blocks, in place; returns the model (only the LoRA factors are trainable).

    ``targets``: ``"qkv"`` the stacked W^Q, W^K, W^V of each :class:`MultiHeadAttention`
    (a :class:`LoRAParametrization`), ``"out"`` its output projection W^O (a
    :class:`LoRALinear`), ``"ffn"`` both layers of each :class:`FeedForwardBlock`. The
    default, attention only, is the usual choice (LBDL §8.3). ``alpha``: s = α/R. A is drawn
    from a generator seeded with ``seed``, module after module."""
    check_module(model, "model")
    positive_int(rank, "rank")
    targets = _check_targets(targets)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if lora_modules(model):
        raise ValueError("model already has LoRA layers")
    generator = torch.Generator().manual_seed(seed)
    freeze(model)
    found = False
    for module in list(model.modules()):
        if isinstance(module, MultiHeadAttention):
            found = True
            if "qkv" in targets:
                w = module.in_proj_weight
                lora = LoRAParametrization(w.shape[0], w.shape[1], rank, alpha, generator=generator,
                                           device=w.device, dtype=w.dtype)
                parametrize.register_parametrization(module, "in_proj_weight", lora)
                module.parametrizations.in_proj_weight.original.requires_grad_(False)
            if "out" in targets:
                module.out_proj = LoRALinear(module.out_proj, rank, alpha, generator=generator)
        elif isinstance(module, FeedForwardBlock):
            found = True
            if "ffn" in targets:
                module.linear1 = LoRALinear(module.linear1, rank, alpha, generator=generator)
                module.linear2 = LoRALinear(module.linear2, rank, alpha, generator=generator)
    if not found:
        raise ValueError("model has no MultiHeadAttention or FeedForwardBlock to add LoRA to")
    return model


def lora_modules(model: nn.Module) -> list[_LowRank]:
    """The LoRA layers and parametrizations inside ``model``, in module order."""
    check_module(model, "model")
    return [m for m in model.modules() if isinstance(m, _LowRank)]


def _parametrized_owners(model: nn.Module):
    for owner in model.modules():
        if parametrize.is_parametrized(owner):
            for name, chain in owner.parametrizations.items():
                for p in chain:
                    if isinstance(p, LoRAParametrization):
                        yield owner, name, p


def merge_lora(model: nn.Module) -> nn.Module:
    """Merge every LoRA of ``model`` into its weights (W ← W + s·BA), in place; returns it.
    A quantized base (:func:`quantize_base`) cannot be merged into: ValueError."""
    check_module(model, "model")
    if any(isinstance(m, QuantizedWeight) for m in model.modules()):
        raise ValueError("cannot merge LoRA into a quantized base; dequantize it first")
    for m in lora_modules(model):
        if isinstance(m, LoRALinear):
            m.merge()
    for owner, name, p in _parametrized_owners(model):
        if not p.merged:
            _merge_parametrization(owner, name, p, +1)
    return model


def unmerge_lora(model: nn.Module) -> nn.Module:
    """Undo :func:`merge_lora` (W ← W − s·BA), in place; returns the model."""
    for m in lora_modules(model):
        if isinstance(m, LoRALinear):
            m.unmerge()
    for owner, name, p in _parametrized_owners(model):
        if p.merged:
            _merge_parametrization(owner, name, p, -1)
    return model


def lora_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """Only the LoRA factors of ``model`` (the entries whose name ends in ``lora_A`` or
    ``lora_B``): what one stores per task, next to a single copy of the base model. Load
    them back with ``model.load_state_dict(d, strict=False)``."""
    check_module(model, "model")
    return {k: v.detach().clone() for k, v in model.state_dict().items() if k.endswith(("lora_A", "lora_B"))}


# --- Bottleneck adapters -----------------------------------------------------------------

class Adapter(nn.Module):
    """The bottleneck adapter of Houlsby et al. (2019): (..., D) → (..., D),
    h ↦ h + up(φ(down(h))), ``down`` D → K and ``up`` K → D fully connected layers
    (with biases), φ = GELU, K = ``bottleneck``.

    ``init_std``: the up-projection's weights start from N(0, init_std²) (``0.0``, the
    default: exactly zero, so the adapter starts as the identity; Houlsby et al. use a
    near-zero init) and its bias at zero; the down-projection keeps the default init of
    :class:`Linear`. Trainable parameters: 2·D·K + K + D. ``fused``: as in the models of
    Chapter 5 (:mod:`lbdl_book.nn.fused`)."""

    def __init__(self, dim: int, bottleneck: int, *, init_std: float = 0.0, generator: torch.Generator | None = None,
                 fused: bool = True):
        super().__init__()
        self.dim = positive_int(dim, "dim")
        self.bottleneck = positive_int(bottleneck, "bottleneck")
        if isinstance(init_std, bool) or not isinstance(init_std, Real) or not (math.isfinite(init_std)
                                                                              and init_std >= 0):
            raise ValueError(f"init_std must be a finite number >= 0, got {init_std!r}")
        _check_generator(generator)
        self.down = Linear(dim, bottleneck)
        self.activation = GELU()
        self.up = Linear(bottleneck, dim)
        with torch.no_grad():
            bound = 1 / math.sqrt(dim)
            self.down.weight.uniform_(-bound, bound, generator=generator)
            self.down.bias.uniform_(-bound, bound, generator=generator)
            self.up.weight.normal_(0.0, init_std, generator=generator) if init_std > 0 else self.up.weight.zero_()
            self.up.bias.zero_()
        set_fused(self, boolean(fused, "fused"))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        _check_features(h, self.dim, "h")
        return h + self.up(self.activation(self.down(h)))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, bottleneck={self.bottleneck}"


class AdaptedLayer(nn.Module):
    """A frozen ``layer`` followed by an :class:`Adapter`: x ↦ adapter(layer(x))."""

    def __init__(self, layer: nn.Module, adapter: Adapter):
        super().__init__()
        self.layer = check_module(layer, "layer")
        if not isinstance(adapter, Adapter):
            raise TypeError(f"adapter must be an Adapter, got {type(adapter).__name__}")
        self.adapter = adapter

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or not x.is_floating_point():
            got = x.dtype if isinstance(x, torch.Tensor) else type(x).__name__
            raise TypeError(f"x must be a floating-point tensor, got {got}")
        return self.adapter(self.layer(x))


def add_adapters(model: nn.Module, bottleneck: int, *, init_std: float = 0.0, seed: int = 0) -> nn.Module:
    """Freeze ``model`` (a GPT, or any model with a ``layers`` ModuleList of (N, T, D) → (N, T, D)
    layers and a ``dim``) and put an :class:`Adapter` of width ``bottleneck`` after each of
    its layers, in place; returns the model (only the adapters are trainable)."""
    check_module(model, "model")
    positive_int(bottleneck, "bottleneck")
    layers, dim = getattr(model, "layers", None), getattr(model, "dim", None)
    if not isinstance(layers, nn.ModuleList) or not isinstance(dim, int):
        raise TypeError(f"model must have a `layers` ModuleList and an int `dim` (a GPT), got {type(model).__name__}")
    if any(isinstance(layer, AdaptedLayer) for layer in model.layers):
        raise ValueError("model already has adapters")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    generator = torch.Generator().manual_seed(seed)
    freeze(model)
    device = next(model.parameters()).device
    for i, layer in enumerate(model.layers):
        adapter = Adapter(model.dim, bottleneck, init_std=init_std, generator=generator).to(device)
        model.layers[i] = AdaptedLayer(layer, adapter)
    return model


# --- A new text for the char-GPT to adapt to ------------------------------------------------

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_TIMES = ("dawn", "noon", "dusk", "night")
_WINDS = ("north", "south", "east", "west", "north east", "south west")
_FORCE = ("calm", "light", "fresh", "strong", "gale")
_SKY = ("clear sky", "grey sky", "low cloud", "fog", "rain", "light rain", "snow", "hail")
_SEA = ("flat", "slight", "rough", "high")
_ORDERS = ("boats stay in", "boats may go out", "light the lamp", "close the shutters", "check the ropes")


def harbour_log(entries: int, seed: int = 0) -> str:
    """A harbour's weather log, generated for this book (§8.3): ``entries`` lines such as
    "Monday, dawn: wind west, strong. Rain. Sea rough. Boats stay in." drawn with a
    generator seeded with ``seed``; the days follow each other and each day has its four
    times. Only characters of the corpus of :mod:`lbdl_book.data.corpus`, so the book's
    char-GPT can read it, but a very different distribution: short, formulaic lines with
    capitals after every full stop and far more colons and commas."""
    positive_int(entries, "entries")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    g = torch.Generator().manual_seed(seed)

    def pick(options):
        return options[int(torch.randint(len(options), (1,), generator=g))]

    lines = []
    start = int(torch.randint(7, (1,), generator=g))
    for i in range(entries):
        day, time = _DAYS[(start + i // 4) % 7], _TIMES[i % 4]
        sky, sea = pick(_SKY), pick(_SEA)
        force = pick(_FORCE)
        wind = "no wind" if force == "calm" else f"wind {pick(_WINDS)}, {force}"
        order = "boats stay in" if sea == "high" or force == "gale" else pick(_ORDERS)
        lines.append(f"{day}, {time}: {wind}. {sky[0].upper()}{sky[1:]}. Sea {sea}. {order[0].upper()}{order[1:]}.")
    return "\n".join(lines) + "\n"


# --- QLoRA: a quantized frozen base -------------------------------------------------------

class QuantizedWeight(nn.Module):
    """A parametrization that stores a frozen weight matrix (C × D, D a multiple of 32) in a
    block format of §8.2 (:func:`lbdl_book.models.quantize.quantize_blocks`, e.g. Q4_1) as
    a uint8 buffer ``data`` and returns the dequantized float32 matrix each time the
    layer reads it (:func:`~lbdl_book.models.quantize.dequantize_blocks`). The float
    matrix is never stored: the parametrization keeps an empty placeholder instead."""

    def __init__(self, weight: torch.Tensor, fmt: str = "Q4_1"):
        super().__init__()
        from lbdl_book.models.quantize import BLOCK, block_format, quantize_blocks

        if not isinstance(weight, torch.Tensor) or not weight.is_floating_point() or weight.dim() != 2:
            raise TypeError("weight must be a 2-d floating-point tensor (C, D)")
        if weight.shape[1] % BLOCK:
            raise ValueError(f"weight's rows must have a multiple of {BLOCK} entries, got shape {tuple(weight.shape)}")
        self.fmt = block_format(fmt).name
        self.shape = tuple(weight.shape)
        self.register_buffer("data", quantize_blocks(weight.detach().cpu(), self.fmt).to(weight.device))

    def forward(self, placeholder: torch.Tensor) -> torch.Tensor:
        from lbdl_book.models.quantize import dequantize_blocks

        return dequantize_blocks(self.data, self.fmt).reshape(self.shape)

    def right_inverse(self, weight: torch.Tensor) -> torch.Tensor:
        return weight.new_empty(0)                          # what the module keeps as "original": nothing

    def extra_repr(self) -> str:
        return f"{self.fmt}, shape={self.shape}, bytes={self.data.numel()}"


def quantize_base(model: nn.Module, fmt: str = "Q4_1") -> nn.Module:
    """Store the weight matrices of the Transformer blocks of ``model`` (the attention's
    stacked W^Q, W^K, W^V and W^O, both feed-forward layers) in the block format ``fmt``
    (:class:`QuantizedWeight`), frozen and dequantized on the fly; in place, returns the
    model. Call it before :func:`add_lora` to get QLoRA [Dettmers et al., 2023]: a 4-bit
    base with float32 LoRA factors on top. The embedding (tied to the output layer), the
    positional table, the biases and the LayerNorms stay in float32."""
    check_module(model, "model")
    from lbdl_book.models.quantize import block_format

    fmt = block_format(fmt).name
    if lora_modules(model):
        raise ValueError("quantize the base before adding LoRA (quantize_base, then add_lora)")
    found = False
    for module in list(model.modules()):
        if isinstance(module, MultiHeadAttention):
            owners = [(module, "in_proj_weight"), (module.out_proj, "weight")]
        elif isinstance(module, FeedForwardBlock):
            owners = [(module.linear1, "weight"), (module.linear2, "weight")]
        else:
            continue
        found = True
        for owner, name in owners:
            if parametrize.is_parametrized(owner, name):
                raise ValueError(f"{type(owner).__name__}.{name} is already parametrized (quantized twice?)")
            parametrize.register_parametrization(owner, name, QuantizedWeight(getattr(owner, name), fmt), unsafe=True)
    if not found:
        raise ValueError("model has no MultiHeadAttention or FeedForwardBlock to quantize")
    freeze(model)
    return model


def stored_bytes(model: nn.Module) -> int:
    """Bytes that ``model`` keeps in memory: every parameter and buffer, each once, at its
    element size (a quantized matrix counts its uint8 blocks, 20 bytes per 32 weights in
    Q4_1)."""
    check_module(model, "model")
    seen, total = set(), 0
    for t in list(model.parameters()) + list(model.buffers()):
        if id(t) not in seen:
            seen.add(id(t))
            total += t.numel() * t.element_size()
    return total


def training_bytes(model: nn.Module) -> int:
    """Memory of training ``model`` with Adam, activations aside: the stored weights
    (:func:`stored_bytes`), plus one gradient and two running averages per trainable
    parameter (:func:`adam_state_bytes`)."""
    check_module(model, "model")
    grads = sum(p.numel() * p.element_size() for p in model.parameters() if p.requires_grad)
    return stored_bytes(model) + grads + adam_state_bytes(model)


def merge_rounding_bound(layer: LoRALinear, x: torch.Tensor) -> torch.Tensor:
    """How far the merged and unmerged outputs of ``layer`` on ``x`` (..., D) can be apart,
    entry by entry, to first order in the unit roundoff u of the dtype.

    Unmerged, an output entry is fl(x·W) + s·fl(fl(x·A)·B) + b: sums of D and R terms; merged,
    it is fl(x·fl(W + s·BA)) + b, whose merged matrix has a sum of R terms per entry. Either
    order is within (D + R + 3)·u·(|x|(|W| + s|B||A|)ᵀ + |b|) of the exact value (a sum of n
    terms is off by at most n·u times the sum of their magnitudes), so the two are within
    twice that. ``layer`` must be unmerged (W without s·BA)."""
    if not isinstance(layer, LoRALinear):
        raise TypeError(f"layer must be a LoRALinear, got {type(layer).__name__}")
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.dim() == 0 or x.shape[-1] != layer.in_features:
        raise ValueError(f"x must be a floating-point tensor (..., {layer.in_features})")
    if layer.merged:
        raise ValueError("layer must be unmerged")
    u = torch.finfo(x.dtype).eps / 2
    with torch.no_grad():
        w = layer.base.weight.abs() + layer.scaling * layer.lora_B.abs() @ layer.lora_A.abs()
        b = 0 if layer.base.bias is None else layer.base.bias.abs()
        d, r = layer.in_features, layer.rank
        return 2 * (d + r + 3) * u * (x.abs() @ w.T + b)


def merged_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """Merge every LoRA of ``model`` (:func:`merge_lora`) and return its weights under the
    names of the model before :func:`add_lora`: a state dict that loads, strictly, into a
    plain copy of the base architecture (same layers, same parameter count, no LoRA left).
    Adapters cannot be merged (they add a nonlinearity), nor can a quantized base."""
    check_module(model, "model")
    if any(isinstance(m, AdaptedLayer) for m in model.modules()):
        raise ValueError("a model with bottleneck adapters cannot be merged into the base architecture")
    if any(isinstance(m, QuantizedWeight) for m in model.modules()):
        raise ValueError("a quantized base cannot be merged into float weights here; dequantize it first")
    merge_lora(model)
    out = {}
    for name, value in model.state_dict().items():
        if name.endswith(("lora_A", "lora_B")):
            continue
        name = name.replace("parametrizations.", "").replace(".original", "").replace(".base.", ".")
        out[name] = value.detach().clone()
    return out
