"""The Vision Transformer, ViT (LBDL §5.3, Figure 5.9), after [Dosovitskiy et al., 2021].

A Transformer processes a sequence of vectors; ViT turns an image into one. An image of
C channels and H × W pixels is cut into M = (H/P)·(W/P) square patches of P × P pixels,
and each patch is flattened into a vector of C·P² values, in the row-major order of
the patch grid:

    X = patchify(image)             M × C·P²        (3P² for an RGB image)
    E_1 … E_M = X W^E               M × D           a trainable C·P² × D matrix (+ bias)
    E_0                             1 × D           a trainable vector, the class token
    H⁰ = (E_0, E_1, …, E_M) + P     (M+1) × D       P: learned positional encoding
    Hⁿ = FFWₙ(SAₙ(Hⁿ⁻¹))            n = 1, …, N     self-attention + feed-forward blocks
    Z = LN(Hᴺ),  logits = readout(Z_0)              C' logits from the class token only

The blocks are those of the Transformer's encoder (Figure 5.6, pre-norm, GELU,
:mod:`lbdl_book.models.transformer`), without any mask: every patch may look at every
other. E_0 belongs to no part of the image; its output Z_0 collects, through attention,
what the classification needs. The idea of such a token comes from BERT's [CLS] token
[Devlin et al., 2019].

The read-out. The reference implementations use one linear layer on Z_0 (the ViT paper
uses an MLP with one hidden layer during pre-training and a single linear layer for
fine-tuning); Figure 5.9 of LBDL draws an MLP with two hidden GELU layers.
``readout="linear"`` (default) builds the former, ``readout="mlp"`` the latter.

W^E applied to the flattened patches is a convolution with kernel P and stride P: the
same C·P²·D + D parameters, reshaped (:func:`as_conv2d`).

ViT-B/16 (:func:`vit_b_16`): 224 × 224 RGB images, P = 16 (M = 196 patches of 768
values, 197 tokens), D = 768, 12 heads, N = 12, MLP width 3,072, 1,000 classes and a
linear read-out: 86,567,656 parameters (:func:`parameter_count`), the count of the
reference implementation of torchvision.
"""

from __future__ import annotations

from numbers import Real

import torch
from torch import nn

from lbdl_book._checks import model_input, positive_int
from lbdl_book import diagrams
from lbdl_book.models.transformer import (BLOCK_LABELS, EncoderLayer, FeedForwardBlock, SelfAttentionBlock,
                                          block_parameter_count, layer_attention_maps, parameter_breakdown_of)
from lbdl_book.nn.activations import GELU
from lbdl_book.nn.conv import Conv2d
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear
from lbdl_book.nn.norm import LayerNorm
from lbdl_book.nn.positional import LearnedPositionalEncoding
from lbdl_book.train import eval_mode

__all__ = ["VIT_B_16", "ClassToken", "Patchify", "TakeToken", "ViT", "as_conv2d", "num_patches",
           "parameter_breakdown", "parameter_count", "patchify", "unpatchify", "vit_b_16", "vit_stack"]

VIT_B_16 = {"image_size": 224, "patch_size": 16, "in_channels": 3, "num_classes": 1000, "dim": 768,
            "num_heads": 12, "num_layers": 12, "mlp_dim": 3072}
INIT_STD = 0.02          # standard deviation of the initial positional encoding [Dosovitskiy et al., 2021]


# --- argument checks -------------------------------------------------------------------

def _size_pair(size, name: str) -> tuple[int, int]:
    """An int s, or a pair (H, W) of ints, as (H, W)."""
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return positive_int(size[0], name), positive_int(size[1], name)
    positive_int(size, name)
    return size, size


def _check_images(images, patch_size: int, name: str = "images") -> None:
    """``images`` must be a float tensor (N, C, H, W) with H and W multiples of ``patch_size``."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(images).__name__}")
    if not images.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {images.dtype}")
    if images.dim() != 4:
        raise ValueError(f"{name} must have shape (N, C, H, W), got {tuple(images.shape)}")
    h, w = images.shape[-2:]
    if h % patch_size or w % patch_size:
        raise ValueError(f"{name} height and width must be multiples of patch_size={patch_size}, got "
                         f"H={h}, W={w}")


# --- patches ---------------------------------------------------------------------------

def num_patches(image_size, patch_size: int) -> int:
    """M = (H/P)·(W/P), the number of P × P patches of an H × W image (``image_size``: an
    int for a square image, or (H, W)); H and W must be multiples of P."""
    h, w = _size_pair(image_size, "image_size")
    positive_int(patch_size, "patch_size")
    if h % patch_size or w % patch_size:
        raise ValueError(f"image_size must be a multiple of patch_size={patch_size} in both directions, "
                         f"got {image_size!r}")
    return (h // patch_size) * (w // patch_size)


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """(N, C, H, W) → (N, M, C·P²): the P × P patches in row-major order of the grid,
    each flattened channel by channel, then row by row (the layout of a Conv2d kernel
    (C, P, P), so that :func:`as_conv2d` is a reshape). Needs H, W multiples of P."""
    positive_int(patch_size, "patch_size")
    _check_images(images, patch_size)
    p = patch_size
    x = images.unflatten(2, (-1, p)).unflatten(4, (-1, p))    # (N, C, H/P, P, W/P, P)
    x = x.permute(0, 2, 4, 1, 3, 5)                            # (N, H/P, W/P, C, P, P)
    return x.flatten(3).flatten(1, 2)                          # (N, M, C·P²)


def unpatchify(patches: torch.Tensor, patch_size: int, image_size, in_channels: int) -> torch.Tensor:
    """The inverse of :func:`patchify`: (N, M, C·P²) → (N, C, H, W)."""
    h, w = _size_pair(image_size, "image_size")
    m, c, p = num_patches((h, w), patch_size), positive_int(in_channels, "in_channels"), patch_size
    if not isinstance(patches, torch.Tensor):
        raise TypeError(f"patches must be a torch.Tensor, got {type(patches).__name__}")
    if patches.dim() != 3 or patches.shape[1:] != (m, c * p * p):
        raise ValueError(f"patches must have shape (N, M={m}, C·P²={c * p * p}), got {tuple(patches.shape)}")
    x = patches.unflatten(1, (h // p, w // p)).unflatten(3, (c, p, p))   # (N, H/P, W/P, C, P, P)
    return x.permute(0, 3, 1, 4, 2, 5).reshape(len(patches), c, h, w)


class Patchify(nn.Module):
    """:func:`patchify` as a layer (no parameters): (N, C, H, W) → (N, M, C·P²)."""

    def __init__(self, patch_size: int):
        super().__init__()
        self.patch_size = positive_int(patch_size, "patch_size")

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return patchify(images, self.patch_size)

    def extra_repr(self) -> str:
        return f"patch_size={self.patch_size}"


class ClassToken(nn.Module):
    """Prepends the trainable vector E_0 to every sequence: (N, M, D) → (N, M+1, D).
    Parameter ``weight`` (D,), initialised at 0 as in the reference implementations."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = positive_int(dim, "dim")
        self.weight = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != self.dim:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must have shape (N, M, D={self.dim}), got {got}")
        e0 = self.weight.to(x.dtype).expand(len(x), 1, self.dim)
        return torch.cat([e0, x], dim=1)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class TakeToken(nn.Module):
    """(N, T, D) → (N, D): the vector at position ``index`` (0: Z_0, the class token's)."""

    def __init__(self, index: int = 0):
        super().__init__()
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"index must be an int, got {type(index).__name__}")
        self.index = index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or not -x.shape[1] <= self.index < x.shape[1]:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x must be a tensor of shape (N, T, D) with a position index={self.index}, got {got}")
        return x[:, self.index]

    def extra_repr(self) -> str:
        return f"index={self.index}"


def as_conv2d(linear: Linear, in_channels: int, patch_size: int) -> Conv2d:
    """The patch embedding ``linear`` (C·P² → D) as the equivalent convolution with
    kernel P and stride P: weight (D, C·P²) reshaped to (D, C, P, P), the same bias.
    ``conv(images).flatten(2).transpose(1, 2)`` equals ``linear(patchify(images, P))``."""
    if not isinstance(linear, (Linear, nn.Linear)):
        raise TypeError(f"linear must be a Linear layer, got {type(linear).__name__}")
    c, p = positive_int(in_channels, "in_channels"), positive_int(patch_size, "patch_size")
    if linear.in_features != c * p * p:
        raise ValueError(f"linear must have in_features = C·P² = {c * p * p}, got {linear.in_features}")
    conv = Conv2d(c, linear.out_features, p, stride=p, bias=linear.bias is not None,
                  device=linear.weight.device, dtype=linear.weight.dtype)
    with torch.no_grad():
        conv.weight.copy_(linear.weight.reshape(linear.out_features, c, p, p))
        if linear.bias is not None:
            conv.bias.copy_(linear.bias)
    return conv


# --- the model of Figure 5.9 -----------------------------------------------------------

READOUTS = ("linear", "mlp")


class ViT(nn.Module):
    """The Vision Transformer of Figure 5.9: images (N, C, H, W) → logits (N, num_classes).

    ``image_size`` (an int, or (H, W)), ``patch_size`` P (must divide both), ``in_channels``
    C, ``num_classes``, ``dim`` D, ``num_heads`` (D/heads dimensions per head),
    ``num_layers`` N, ``mlp_dim`` (width of the feed-forward blocks, 4D in ViT-B),
    ``dropout`` (attention weights and feed-forward output), ``readout``: ``"linear"``
    (one layer D → classes) or ``"mlp"`` (fully-conn, GELU, fully-conn, GELU, fully-conn,
    as LBDL draws it, hidden width ``readout_dim``, D by default). ``fused``: the layers
    run PyTorch's fused kernels (default), or the book's computations with ``fused=False``
    (:mod:`lbdl_book.nn.fused`); the images are checked here, once.

    Submodules, in the order they run: ``patchify``, ``patch_embedding`` (W^E, C·P² → D),
    ``class_token`` (E_0), ``positional`` ((M+1) × D), ``layers`` (N encoder layers),
    ``norm`` (final LayerNorm), ``take`` (Z_0) and ``head``."""

    def __init__(self, image_size, patch_size: int, in_channels: int, num_classes: int, dim: int,
                 num_heads: int, num_layers: int, mlp_dim: int, dropout: float = 0.0, readout: str = "linear",
                 readout_dim: int | None = None, *, fused: bool = True):
        super().__init__()
        self.image_size = _size_pair(image_size, "image_size")
        self.patch_size = positive_int(patch_size, "patch_size")
        self.num_patches = num_patches(self.image_size, patch_size)
        self.in_channels = positive_int(in_channels, "in_channels")
        self.num_classes = positive_int(num_classes, "num_classes")
        self.dim = positive_int(dim, "dim")
        self.num_layers = positive_int(num_layers, "num_layers")
        positive_int(mlp_dim, "mlp_dim")
        if isinstance(dropout, bool) or not isinstance(dropout, Real) or not 0 <= dropout < 1:
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        if readout not in READOUTS:
            raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
        self.readout = readout

        self.patchify = Patchify(patch_size)
        self.patch_embedding = Linear(in_channels * patch_size**2, dim)          # W^E
        self.class_token = ClassToken(dim)                                        # E_0
        self.positional = LearnedPositionalEncoding(self.num_patches + 1, dim)
        self.layers = nn.ModuleList(EncoderLayer(dim, num_heads, mlp_dim, dropout) for _ in range(num_layers))
        self.norm = LayerNorm(dim)
        self.take = TakeToken(0)
        if readout == "linear":
            self.head = Linear(dim, num_classes)
        else:
            h = dim if readout_dim is None else positive_int(readout_dim, "readout_dim")
            self.head = nn.Sequential(Linear(dim, h), GELU(), Linear(h, h), GELU(), Linear(h, num_classes))
        nn.init.normal_(self.positional.weight, std=INIT_STD)
        set_fused(self, fused)

    @property
    def num_heads(self) -> int:
        return self.layers[0].self_attention.attention.num_heads

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """H⁰ = (E_0, X W^E) + P: (N, C, H, W) → (N, M+1, D)."""
        _check_images(images, self.patch_size)
        model_input(images, self, "images")         # of the parameters' dtype: checked once, here
        if images.shape[1:] != (self.in_channels, *self.image_size):
            raise ValueError(f"images must have shape (N, C={self.in_channels}, H={self.image_size[0]}, "
                             f"W={self.image_size[1]}), got {tuple(images.shape)}")
        x = self.patch_embedding(self.patchify(images))     # (N, M, D)
        return self.positional(self.class_token(x))          # (N, M+1, D)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        h = self.embed(images)
        for layer in self.layers:                            # Hⁿ = FFWₙ(SAₙ(Hⁿ⁻¹))
            h = layer(h)
        return self.head(self.take(self.norm(h)))            # readout(Z_0): (N, num_classes)

    @torch.no_grad()
    def attention_maps(self, images: torch.Tensor) -> list[torch.Tensor]:
        """The attention weights of one forward pass in eval mode: one (N, heads, M+1, M+1)
        tensor per layer; row 0 says where the class token takes its information from."""
        with eval_mode(self):
            _, maps = layer_attention_maps(self.layers, self.embed(images))
        return maps

    def class_token_attention(self, images: torch.Tensor, layer: int = -1) -> torch.Tensor:
        """How much the class token attends to each patch in ``layer`` (default: the last):
        (N, heads, H/P, W/P), on the patch grid; each map sums to 1 minus what E_0 keeps
        for itself."""
        if isinstance(layer, bool) or not isinstance(layer, int) or not -self.num_layers <= layer < self.num_layers:
            raise ValueError(f"layer must be an int in [{-self.num_layers}, {self.num_layers}), got {layer!r}")
        weights = self.attention_maps(images)[layer][:, :, 0, 1:]          # (N, heads, M)
        grid = (self.image_size[0] // self.patch_size, self.image_size[1] // self.patch_size)
        return weights.unflatten(-1, grid)

    def extra_repr(self) -> str:
        return f"image_size={self.image_size}, patch_size={self.patch_size}, readout={self.readout!r}"


def vit_b_16(**options) -> ViT:
    """ViT-B/16 [Dosovitskiy et al., 2021]: 224 × 224 RGB images, 16 × 16 patches, D = 768,
    12 heads, 12 layers, MLP 3,072, 1,000 classes; 86,567,656 parameters with the linear
    read-out. ``options`` (``dropout``, ``readout``, ``readout_dim``) go to :class:`ViT`.
    To count parameters without allocating 346 MB, build it under
    ``with torch.device("meta"):``."""
    return ViT(**VIT_B_16, **options)


# --- parameter counts ------------------------------------------------------------------

def parameter_count(image_size, patch_size: int, in_channels: int, num_classes: int, dim: int, num_layers: int,
                    mlp_dim: int, readout: str = "linear", readout_dim: int | None = None) -> int:
    """Parameters of :class:`ViT`, from its shapes: W^E and its bias C·P²·D + D, the class
    token D, the positional encoding (M+1)·D, N layers of (4D² + 6D) + (2DH + H + 3D)
    (H = ``mlp_dim``), the final LayerNorm 2D and the read-out (D·C' + C' for a linear
    one). The number of heads does not matter: the heads split D, they do not add to it."""
    m = num_patches(image_size, patch_size)
    for name, value in (("in_channels", in_channels), ("num_classes", num_classes), ("dim", dim),
                        ("num_layers", num_layers), ("mlp_dim", mlp_dim)):
        positive_int(value, name)
    d, h, c = dim, mlp_dim, num_classes
    layer = block_parameter_count("self_attention", d) + block_parameter_count("feed_forward", d, h)
    if readout == "linear":
        head = d * c + c
    elif readout == "mlp":
        r = d if readout_dim is None else positive_int(readout_dim, "readout_dim")
        head = (d * r + r) + (r * r + r) + (r * c + c)
    else:
        raise ValueError(f"readout must be one of {READOUTS}, got {readout!r}")
    return in_channels * patch_size**2 * d + d + d + (m + 1) * d + num_layers * layer + 2 * d + head


def parameter_breakdown(model: ViT) -> dict[str, int]:
    """Where the parameters of ``model`` sit, counted on the object: ``"patch_embedding"``
    (W^E and bias), ``"class_token"``, ``"positional"``, ``"attention"`` and
    ``"feed_forward"`` (all layers, the LayerNorms of the blocks included), ``"norm"`` and
    ``"head"``. The values sum to the model's total."""
    if not isinstance(model, ViT):
        raise TypeError(f"model must be a ViT, got {type(model).__name__}")

    return parameter_breakdown_of({
        "patch_embedding": [model.patch_embedding],
        "class_token": [model.class_token],
        "positional": [model.positional],
        "attention": [layer.self_attention for layer in model.layers],
        "feed_forward": [layer.feed_forward for layer in model.layers],
        "norm": [model.norm],
        "head": [model.head],
    })


# --- Figure 5.9 ------------------------------------------------------------------------

def vit_stack(model: ViT, images: torch.Tensor) -> tuple[list, list]:
    """Items and shapes for :func:`lbdl_book.diagrams.draw_stack`, read off ``model`` by
    running it on ``images``: the layers in the order they run, each encoder layer as a
    self-attention box and a feed-forward box, the N layers in one ×N frame."""
    if not isinstance(model, ViT):
        raise TypeError(f"model must be a ViT, got {type(model).__name__}")
    _check_images(images, model.patch_size)

    def linear_label(m):
        return ("fully-conn", "$W^E$") if m is model.patch_embedding else diagrams.layer_label(m)

    labels = {
        **BLOCK_LABELS,
        SelfAttentionBlock: lambda m: ("self-att", f"H={m.attention.num_heads}"),
        FeedForwardBlock: lambda m: ("ffw", ""),
        Patchify: lambda m: ("patchify", f"P={m.patch_size}"),
        ClassToken: lambda m: ("cat $E_0$", ""),
        LearnedPositionalEncoding: lambda m: ("pos-enc", ""),
        TakeToken: lambda m: ("take $Z_0$", ""),
        Linear: linear_label,
    }
    items, shapes = diagrams.describe(model, images, input_name="image", output_name="logits",
                                      atomic=(SelfAttentionBlock, FeedForwardBlock),
                                      labels=labels, collapse=False)
    first = next(i for i, item in enumerate(items) if isinstance(item, diagrams.Box) and item.name == "self-att")
    frame = diagrams.Repeat(items[first:first + 2], model.num_layers, shapes=shapes[first:first + 2])
    end = first + 2 * model.num_layers
    return items[:first] + [frame] + items[end:], shapes[:first] + [shapes[end - 1]] + shapes[end:]
