"""The LeNet-like convolutional network of LBDL §5.2 (Figure 5.2), after [LeCun et al., 1998].

A convolutional network for classification has two halves. The *feature extractor*
alternates convolutions and max pooling: each convolution looks at small windows and
each pooling shrinks the image, so the spatial size goes down while the number of
channels goes up, and each unit sees a larger part of the input. The last feature
maps are reshaped into one vector, and the *classifier*, a small MLP, turns it into
one logit per class.

Figure 5.2, for 1 × 28 × 28 grey-level digits (default arguments):

    conv k=5        1 × 28 × 28 → 32 × 24 × 24        32·(1·5·5) + 32   =    832
    maxpool k=3                 → 32 × 8 × 8
    relu
    conv k=5                    → 64 × 4 × 4         64·(32·5·5) + 64  = 51,264
    maxpool k=2                 → 64 × 2 × 2
    relu
    reshape                     → 256
    fully-conn 200              → 200                200·256 + 200     = 51,400
    relu
    fully-conn 10               → 10                 10·200 + 10       =  2,010
                                                                  total 105,506

Every layer comes from :mod:`lbdl_book.nn` (Chapter 4), except the reshape, which is
``torch.nn.Flatten`` (no parameters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import nn

from lbdl_book._checks import model_input, positive_int
from lbdl_book.diagrams import layer_label
from lbdl_book.nn.activations import ReLU
from lbdl_book.nn.conv import Conv2d
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear
from lbdl_book.nn.pooling import MaxPool2d
from lbdl_book.train import eval_mode

__all__ = ["LeNet", "layer_table", "lenet_shapes"]


def lenet_shapes(image_size: int = 28, channels: Sequence[int] = (32, 64), kernel_size: int = 5,
                 pool_sizes: Sequence[int] = (3, 2)) -> list[tuple[int, int, int]]:
    """The (channels, height, width) after each conv and each pooling of the feature
    extractor, for a square input of side ``image_size``: a convolution without padding
    maps a side s to s − K + 1, a max pooling of kernel (and stride) P to ⌊s / P⌋.
    Raises ValueError if a side drops below 1."""
    positive_int(image_size, "image_size")
    positive_int(kernel_size, "kernel_size")
    side, shapes = image_size, []
    for i, (c, p) in enumerate(zip(channels, pool_sizes)):
        if side < kernel_size:
            raise ValueError(f"image_size={image_size} is too small: convolution {i + 1} gets a {side}×{side} "
                             f"input, smaller than its kernel_size={kernel_size}")
        side = side - kernel_size + 1
        shapes.append((c, side, side))
        if side < p:
            raise ValueError(f"image_size={image_size} is too small: max pooling {i + 1} gets a {side}×{side} "
                             f"input, smaller than its kernel size {p}")
        side = side // p
        shapes.append((c, side, side))
    return shapes


class LeNet(nn.Module):
    """The LeNet-like model of Figure 5.2: input (N, in_channels, image_size, image_size),
    output (N, num_classes) logits.

    ``features``: [conv k → maxpool p → ReLU] for each entry of ``channels`` and
    ``pool_sizes``, then a reshape to one vector per image; ``classifier``: fully
    connected ``hidden`` → ReLU → fully connected ``num_classes``. The defaults are the
    book's configuration, with exactly 105,506 parameters. The convolutions have no
    padding and stride 1; each max pooling has stride equal to its kernel size.
    ``fused``: the layers run PyTorch's fused kernels (default), or the book's computations
    with ``fused=False`` (:mod:`lbdl_book.nn.fused`); the input is checked here, once."""

    def __init__(self, in_channels: int = 1, num_classes: int = 10, *, image_size: int = 28,
                 channels: Sequence[int] = (32, 64), kernel_size: int = 5, pool_sizes: Sequence[int] = (3, 2),
                 hidden: int = 200, fused: bool = True):
        super().__init__()
        positive_int(in_channels, "in_channels")
        positive_int(num_classes, "num_classes")
        positive_int(hidden, "hidden")
        channels, pool_sizes = tuple(channels), tuple(pool_sizes)
        if not channels or len(channels) != len(pool_sizes):
            raise ValueError(f"channels and pool_sizes must be non-empty and of the same length, got "
                             f"channels={channels} and pool_sizes={pool_sizes}")
        for c in channels:
            positive_int(c, "each entry of channels")
        for p in pool_sizes:
            positive_int(p, "each entry of pool_sizes")
        shapes = lenet_shapes(image_size, channels, kernel_size, pool_sizes)
        self.in_channels, self.image_size = in_channels, image_size

        layers: list[nn.Module] = []
        previous = in_channels
        for c, p in zip(channels, pool_sizes):
            layers += [Conv2d(previous, c, kernel_size), MaxPool2d(p), ReLU()]
            previous = c
        layers.append(nn.Flatten())                          # (N, C, H, W) -> (N, C·H·W)
        self.features = nn.Sequential(*layers)
        c, h, w = shapes[-1]
        self.classifier = nn.Sequential(Linear(c * h * w, hidden), ReLU(), Linear(hidden, num_classes))
        set_fused(self, fused)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expected = (self.in_channels, self.image_size, self.image_size)
        model_input(x, self)                        # float, of the parameters' dtype: checked once, here
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, expected))}), got {tuple(x.shape)}")
        return self.classifier(self.features(x))


def layer_table(model: nn.Module, example_input: torch.Tensor, units: list[tuple[str, nn.Module]] | None = None,
                labels: Mapping | None = None) -> list[tuple[str, str, tuple[int, ...], int, int]]:
    """One row per layer: (name in the model, label as drawn in the diagrams, output shape
    without the batch dimension, number of parameters, multiply-adds per input), in the
    order the layers run.

    ``units``: the (name, module) pairs to list; by default every leaf module (a module
    without submodules). ``labels``: as in :func:`lbdl_book.diagrams.layer_label`. The
    multiply-adds of a unit are those of the convolutions and fully connected layers it
    contains: C_in / groups · K · L per output value of a convolution, in_features per
    output value of a fully connected layer; normalizations, activations, poolings and
    additions are cheap in comparison and not counted. Runs ``model`` once on
    ``example_input`` (N, ...) in eval mode, without gradients, with forward hooks; the
    model's mode is restored afterwards."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(example_input, torch.Tensor) or example_input.dim() < 1 or len(example_input) < 1:
        raise ValueError(f"example_input must be a tensor with a non-empty batch dimension, got {example_input!r}")
    if units is None:
        units = [(n, m) for n, m in model.named_modules() if n and not any(True for _ in m.children())]
    rows: list[tuple[str, str, tuple[int, ...], int, int]] = []
    products = {name: 0 for name, _ in units}

    def record(name):
        def hook(module, args, output):
            label = " ".join(part for part in layer_label(module, labels) if part)
            rows.append((name, label, tuple(output.shape[1:]), sum(p.numel() for p in module.parameters()),
                         products[name] // len(example_input)))
        return hook

    def count(name):
        def hook(module, args, output):
            if isinstance(module, Conv2d):
                per_value = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
            else:
                per_value = module.in_features
            products[name] += output.numel() * per_value
        return hook

    handles = []
    for name, unit in units:
        handles += [m.register_forward_hook(count(name)) for m in unit.modules() if isinstance(m, (Conv2d, Linear))]
        handles.append(unit.register_forward_hook(record(name)))      # after the inner counts: registered last
    try:
        with eval_mode(model):
            model(example_input)
    finally:
        for h in handles:
            h.remove()
    return rows
