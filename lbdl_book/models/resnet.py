"""Residual networks (LBDL §5.2, Figures 5.3-5.5), after [He et al., 2016].

A residual network is a stack of *residual blocks*: each computes a correction f(x) of
its input and outputs relu(x + f(x)), so that a block that learns nothing passes its
input through. ResNet-50 uses the *bottleneck* block of Figure 5.3: the cost of a 3 × 3
convolution grows with the square of the number of channels, so the block first
shrinks the C channels to C/4 with a 1 × 1 convolution, convolves spatially at that
width, and expands back to C with a second 1 × 1 convolution:

    x (C×H×W) → conv 1×1 → BN → ReLU → conv 3×3 p=1 → BN → ReLU → conv 1×1 → BN → + x → ReLU

The *downscaling* block of Figure 5.4 starts each stage. Its hyper-parameter S is a
stride: it divides the height and width by S, and it changes the number of channels,
so the shortcut can no longer be the identity; it is a 1 × 1 convolution of stride S
followed by batch normalization. Where the stride S sits on the main path is a choice:

* ``stride_at="3x3"`` (the default): on the 3 × 3 convolution. This is what the book's
  drawing shows and what torchvision's ``resnet50`` does ("ResNet v1.5");
* ``stride_at="1x1"``: on the first 1 × 1 convolution, as in the original paper and in
  the book's caption of Figure 5.4. A 1 × 1 convolution of stride 2 reads one pixel out
  of four and ignores the other three; on the 3 × 3 convolution the stride-2 windows
  still cover every pixel.

A stride has no weights, so both choices have the same parameters and the same output
shapes; they compute different functions.

ResNet-50 (Figure 5.5, :func:`resnet50`): a 7 × 7 convolution of stride 2 and a max
pooling, four stages of 3, 4, 6 and 3 blocks with 256, 512, 1024 and 2048 output
channels (the first stage keeps the 56 × 56 resolution and only multiplies the channels
by 4), an average pooling and a fully connected layer: 3 × 224 × 224 → 1000 logits,
25,557,032 parameters. The layers come from :mod:`lbdl_book.nn` (Chapter 4); the
convolutions followed by batch normalization have no bias, which the normalization's β
would make redundant.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from lbdl_book._checks import model_input, positive_int
from lbdl_book import diagrams
from lbdl_book.models.lenet import layer_table
from lbdl_book.nn.activations import ReLU
from lbdl_book.nn.conv import Conv2d, conv_output_size
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear
from lbdl_book.nn.norm import BatchNorm2d
from lbdl_book.nn.pooling import AvgPool2d, MaxPool2d, pool_output_size
from lbdl_book.nn.skip import Residual
from lbdl_book.train import eval_mode

__all__ = ["BasicBlock", "BottleneckBlock", "DownscalingBlock", "ResNet", "STRIDE_PLACES", "block_diagram", "resnet50",
           "multiply_adds", "reached_pixels", "resnet_digits", "shape_table", "depth_study_net"]

STRIDE_PLACES = ("3x3", "1x1")


def _check_input(x, channels: int, name: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 4 or x.shape[1] != channels:
        raise ValueError(f"{name} expects x of shape (N, {channels}, H, W), got {tuple(x.shape)}")


def _conv_bn(in_channels: int, out_channels: int, kernel_size: int, stride: int = 1) -> list[nn.Module]:
    """A convolution without bias (padding k // 2 keeps the size at stride 1) and its batch normalization."""
    return [Conv2d(in_channels, out_channels, kernel_size, stride=stride, padding=kernel_size // 2, bias=False),
            BatchNorm2d(out_channels)]


class BottleneckBlock(nn.Module):
    """The residual block of Figure 5.3: (N, C, H, W) → (N, C, H, W).

    ``residual``: y = x + f(x), with f = conv 1×1 (C → W) → BN → ReLU → conv 3×3 p=1
    (W → W) → BN → ReLU → conv 1×1 (W → C) → BN, where the width W = ``width`` defaults to
    C / 4; then ``relu``. Parameters: C·W + 9·W² + W·C weights and 2·(W + W + C) for the
    batch normalizations."""

    def __init__(self, channels: int, width: int | None = None):
        super().__init__()
        positive_int(channels, "channels")
        width = channels // 4 if width is None else width
        positive_int(width, "width (default channels // 4)")
        self.channels, self.width = channels, width
        self.residual = Residual(nn.Sequential(
            *_conv_bn(channels, width, 1), ReLU(),
            *_conv_bn(width, width, 3), ReLU(),
            *_conv_bn(width, channels, 1)))
        self.relu = ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.channels, "BottleneckBlock")
        return self.relu(self.residual(x))


class DownscalingBlock(nn.Module):
    """The residual block of Figure 5.4, with hyper-parameter S = ``stride``:
    (N, C_in, H, W) → (N, C_out, ⌈H / S⌉, ⌈W / S⌉).

    ``branch``: conv 1×1 (C_in → W) → BN → ReLU → conv 3×3 p=1 (W → W) → BN → ReLU →
    conv 1×1 (W → C_out) → BN, with W = ``width`` (default C_out / 4) and the stride on
    the 3×3 or on the first 1×1 convolution (``stride_at``, see the module docstring).
    ``shortcut``: conv 1×1 of stride S (C_in → C_out) → BN. Output:
    relu(branch(x) + shortcut(x))."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 2, *, width: int | None = None,
                 stride_at: str = "3x3"):
        super().__init__()
        positive_int(in_channels, "in_channels")
        positive_int(out_channels, "out_channels")
        positive_int(stride, "stride")
        if stride_at not in STRIDE_PLACES:
            raise ValueError(f"stride_at must be one of {STRIDE_PLACES}, got {stride_at!r}")
        width = out_channels // 4 if width is None else width
        positive_int(width, "width (default out_channels // 4)")
        self.in_channels, self.out_channels, self.width = in_channels, out_channels, width
        self.stride, self.stride_at = stride, stride_at
        first, middle = (1, stride) if stride_at == "3x3" else (stride, 1)
        self.branch = nn.Sequential(
            *_conv_bn(in_channels, width, 1, first), ReLU(),
            *_conv_bn(width, width, 3, middle), ReLU(),
            *_conv_bn(width, out_channels, 1))
        self.shortcut = nn.Sequential(*_conv_bn(in_channels, out_channels, 1, stride))
        self.relu = ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_channels, "DownscalingBlock")
        return self.relu(self.branch(x) + self.shortcut(x))

    def extra_repr(self) -> str:
        return f"stride={self.stride}, stride_at={self.stride_at!r}"


class ResNet(nn.Module):
    """A residual network for classification: (N, in_channels, image_size, image_size) →
    (N, num_classes) logits.

    * ``stem``: conv k=``stem_kernel_size`` (stride ``stem_stride``, padding k // 2) to
      ``stem_channels`` → BN → ReLU, then, if ``stem_pool``, max pooling k=3 s=2 p=1;
    * ``stages``: stage i is a :class:`DownscalingBlock` to ``channels[i]`` channels with
      stride ``strides[i]``, then ``blocks[i] − 1`` :class:`BottleneckBlock`;
    * ``head``: average pooling over the whole final map (its size follows from
      ``image_size``), reshape, fully connected to ``num_classes``.

    ``zero_init_residual``: set the γ of the last batch normalization of every block's
    main path to 0, so that each block starts as relu(shortcut(x)) [Goyal et al., 2017].
    ``fused``: the layers run PyTorch's fused kernels (default), or the book's computations
    with ``fused=False`` (:mod:`lbdl_book.nn.fused`); the input is checked here, once."""

    def __init__(self, blocks: Sequence[int] = (3, 4, 6, 3), channels: Sequence[int] = (256, 512, 1024, 2048),
                 strides: Sequence[int] = (1, 2, 2, 2), *, in_channels: int = 3, num_classes: int = 1000,
                 image_size: int = 224, stem_channels: int = 64, stem_kernel_size: int = 7, stem_stride: int = 2,
                 stem_pool: bool = True, stride_at: str = "3x3", zero_init_residual: bool = False,
                 fused: bool = True):
        super().__init__()
        blocks, channels, strides = tuple(blocks), tuple(channels), tuple(strides)
        if not blocks or not len(blocks) == len(channels) == len(strides):
            raise ValueError(f"blocks, channels and strides must be non-empty and of the same length, got "
                             f"{blocks}, {channels} and {strides}")
        for name, values in (("blocks", blocks), ("channels", channels), ("strides", strides)):
            for v in values:
                positive_int(v, f"each entry of {name}")
        for name, value in (("in_channels", in_channels), ("num_classes", num_classes), ("image_size", image_size),
                            ("stem_channels", stem_channels), ("stem_kernel_size", stem_kernel_size),
                            ("stem_stride", stem_stride)):
            positive_int(value, name)
        if not isinstance(stem_pool, bool):
            raise TypeError(f"stem_pool must be a bool, got {type(stem_pool).__name__}")
        self.in_channels, self.image_size = in_channels, image_size

        side = conv_output_size(image_size, stem_kernel_size, stem_stride, stem_kernel_size // 2)
        stem = [*_conv_bn(in_channels, stem_channels, stem_kernel_size, stem_stride), ReLU()]
        if stem_pool:
            stem.append(MaxPool2d(3, stride=2, padding=1))
            side = pool_output_size(side, 3, 2, 1)
        self.stem = nn.Sequential(*stem)

        stages, previous = [], stem_channels
        for count, width, stride in zip(blocks, channels, strides):
            stage = [DownscalingBlock(previous, width, stride, stride_at=stride_at)]
            stage += [BottleneckBlock(width) for _ in range(count - 1)]
            stages.append(nn.Sequential(*stage))
            side = conv_output_size(side, 3, stride, 1)           # the strided conv of the first block
            previous = width
        self.stages = nn.Sequential(*stages)
        self.head = nn.Sequential(AvgPool2d(side), nn.Flatten(), Linear(previous, num_classes))
        if zero_init_residual:
            for module in self.modules():
                if isinstance(module, (BottleneckBlock, DownscalingBlock)):
                    path = module.residual.branch if isinstance(module, BottleneckBlock) else module.branch
                    nn.init.zeros_(path[-1].weight)
        set_fused(self, fused)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        model_input(x, self)                        # float, of the parameters' dtype: checked once, here
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, expected))}), got {tuple(x.shape)}")
        return self.head(self.stages(self.stem(x)))


def resnet50(num_classes: int = 1000, *, stride_at: str = "3x3", zero_init_residual: bool = False,
             fused: bool = True) -> ResNet:
    """ResNet-50 of Figure 5.5: 3 × 224 × 224 images → ``num_classes`` logits; 25,557,032
    parameters with 1,000 classes, the count of torchvision's ``resnet50``."""
    return ResNet((3, 4, 6, 3), (256, 512, 1024, 2048), (1, 2, 2, 2), in_channels=3, num_classes=num_classes,
                  image_size=224, stride_at=stride_at, zero_init_residual=zero_init_residual, fused=fused)


def resnet_digits(*, channels: Sequence[int] = (32, 64, 128), blocks: Sequence[int] = (1, 1, 1),
                  stride_at: str = "3x3", fused: bool = True) -> ResNet:
    """A small ResNet for the 1 × 8 × 8 digits of :mod:`lbdl_book.data.digits`: a 3 × 3
    stem to 16 channels without pooling, then stages of strides 1, 2, 2 (8 × 8 → 8 × 8 →
    4 × 4 → 2 × 2) with ``channels`` output channels; 10 classes."""
    return ResNet(blocks, channels, (1, 2, 2)[:len(tuple(channels))], in_channels=1, num_classes=10, image_size=8,
                  stem_channels=16, stem_kernel_size=3, stem_stride=1, stem_pool=False, stride_at=stride_at,
                  fused=fused)


class BasicBlock(nn.Module):
    """The block of He et al.'s CIFAR-10 networks (and of ResNet-18/34): two 3 × 3
    convolutions, (N, C_in, H, W) → (N, C_out, ⌈H / S⌉, ⌈W / S⌉).

    ``branch``: conv 3×3 p=1 of stride S = ``stride`` (C_in → C_out) → BN → ReLU → conv 3×3
    p=1 (C_out → C_out) → BN. With ``residual=True`` the output is
    relu(branch(x) + shortcut(x)), the shortcut being the identity, or a 1 × 1 convolution
    of stride S and its BN when the shape changes; with ``residual=False`` it is
    relu(branch(x)), the *plain* block made of the same main-path layers."""

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *, residual: bool = True):
        super().__init__()
        positive_int(in_channels, "in_channels")
        positive_int(out_channels, "out_channels")
        positive_int(stride, "stride")
        if not isinstance(residual, bool):
            raise TypeError(f"residual must be a bool, got {type(residual).__name__}")
        self.in_channels, self.out_channels, self.stride, self.residual = in_channels, out_channels, stride, residual
        self.branch = nn.Sequential(*_conv_bn(in_channels, out_channels, 3, stride), ReLU(),
                                    *_conv_bn(out_channels, out_channels, 3))
        reshapes = stride != 1 or in_channels != out_channels
        self.shortcut = (nn.Sequential(*_conv_bn(in_channels, out_channels, 1, stride)) if residual and reshapes
                         else None)
        self.relu = ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_input(x, self.in_channels, "BasicBlock")
        y = self.branch(x)
        if self.residual:
            y = y + (x if self.shortcut is None else self.shortcut(x))
        return self.relu(y)

    def extra_repr(self) -> str:
        return f"stride={self.stride}, residual={self.residual}"


class _DepthStudyNet(nn.Sequential):
    """The network of :func:`depth_study_net`: its layers in order, the input checked once, here."""

    def __init__(self, *layers: nn.Module, in_channels: int, image_size: int):
        super().__init__(*layers)
        self.expected = (in_channels, image_size, image_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        model_input(x, self)
        if x.dim() != 4 or tuple(x.shape[1:]) != self.expected:
            raise ValueError(f"x must have shape (N, {', '.join(map(str, self.expected))}), got {tuple(x.shape)}")
        return super().forward(x)


def depth_study_net(blocks_per_stage: int, *, residual: bool, channels: Sequence[int] = (4, 8, 16),
                    in_channels: int = 1, num_classes: int = 10, image_size: int = 8,
                    fused: bool = True) -> nn.Sequential:
    """The networks of He et al.'s depth study on CIFAR-10 [He et al., 2016, §4.2], at toy
    scale: (N, in_channels, image_size, image_size) → (N, num_classes) logits.

    A 3 × 3 convolution to ``channels[0]`` → BN → ReLU; one stage of ``blocks_per_stage``
    :class:`BasicBlock` per entry of ``channels`` (stride 2 in the first block of every
    stage but the first); average pooling over the final map, reshape, fully connected.
    That is 6n + 2 layers with weights on the main path for n = ``blocks_per_stage`` and
    three stages (He et al. compare n = 3, 5, 7, 9: 20 to 56 layers). ``residual=False``
    gives the plain network of the same layers. ``fused`` as for :class:`ResNet`: PyTorch's
    fused kernels (default) or the book's computations (:mod:`lbdl_book.nn.fused`)."""
    positive_int(blocks_per_stage, "blocks_per_stage")
    channels = tuple(channels)
    if not channels:
        raise ValueError("channels must not be empty")
    for value, name in [(c, "each entry of channels") for c in channels] + [
            (in_channels, "in_channels"), (num_classes, "num_classes"), (image_size, "image_size")]:
        positive_int(value, name)
    layers, previous, side = [*_conv_bn(in_channels, channels[0], 3), ReLU()], channels[0], image_size
    for i, width in enumerate(channels):
        for k in range(blocks_per_stage):
            stride = 2 if i > 0 and k == 0 else 1
            layers.append(BasicBlock(previous, width, stride, residual=residual))
            side, previous = conv_output_size(side, 3, stride, 1), width
    net = _DepthStudyNet(*layers, AvgPool2d(side), nn.Flatten(), Linear(previous, num_classes),
                         in_channels=in_channels, image_size=image_size)
    return set_fused(net, fused)


# --- drawing and tabulating --------------------------------------------------------------

def _conv_label(module: nn.Module) -> tuple[str, str]:
    """The diagrams' label of a convolution, without "bias=False": in a ResNet every
    convolution followed by a batch normalization has no bias, and the book does not draw it."""
    name, hyper = diagrams.LABELS["Conv2d"](module)
    return name, " ".join(part for part in hyper.split() if part != "bias=False")


# How the diagrams and tables of this module name the layers (see lbdl_book.diagrams.layer_label).
LABELS = {
    "Conv2d": _conv_label,
    "BottleneckBlock": lambda m: ("resblock", ""),
    "DownscalingBlock": lambda m: ("dresblock", f"S={m.stride}"),
}


def block_diagram(block: nn.Module, example_input: torch.Tensor) -> tuple[list, list]:
    """Items and shapes for :func:`lbdl_book.diagrams.draw_stack` of one block
    (Figures 5.3 and 5.4): X, the residual frame (main path, and for a downscaling block
    the 1 × 1 shortcut), the final ReLU, Y. ``example_input``: (N, C, H, W)."""
    if isinstance(block, BottleneckBlock):
        path, shortcut = block.residual.branch, None
    elif isinstance(block, DownscalingBlock):
        path, shortcut = block.branch, block.shortcut
    else:
        raise TypeError(f"block must be a BottleneckBlock or a DownscalingBlock, got {type(block).__name__}")
    items, shapes = diagrams.describe(path, example_input, input_name=None, output_name=None, collapse=False,
                                      labels=LABELS)
    short = diagrams.describe(shortcut, example_input, input_name=None, output_name=None, collapse=False,
                              labels=LABELS)[0] if shortcut is not None else ()
    with eval_mode(block):
        output_shape = tuple(block(example_input).shape[1:])
    return ([diagrams.Signal("$X$"), diagrams.Residual(items, shortcut=short, shapes=shapes),
             diagrams.Box("relu"), diagrams.Signal("$Y$")],
            [tuple(example_input.shape[1:]), output_shape, output_shape, output_shape])


def shape_table(model: ResNet, example_input: torch.Tensor) -> list[tuple[str, str, tuple[int, ...], int, int]]:
    """The table of Figure 5.5: (name, label, output shape, parameters, multiply-adds) for
    every layer of the stem, every block of the stages and every layer of the head of
    ``model``, in the order they run (see :func:`lbdl_book.models.lenet.layer_table`)."""
    if not isinstance(model, ResNet):
        raise TypeError(f"model must be a ResNet, got {type(model).__name__}")
    units = [(f"stem.{n}", m) for n, m in model.stem.named_children()]
    units += [(f"stages.{i}.{j}", b) for i, stage in enumerate(model.stages) for j, b in enumerate(stage)]
    units += [(f"head.{n}", m) for n, m in model.head.named_children()]
    return layer_table(model, example_input, units, labels=LABELS)


def multiply_adds(model: nn.Module, example_input: torch.Tensor) -> int:
    """The multiply-adds of the convolutions and fully connected layers of ``model`` for one
    input, measured on ``example_input`` (N, ...) (see :func:`lbdl_book.models.lenet.layer_table`)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(row[4] for row in layer_table(model, example_input))


def reached_pixels(module: nn.Module, input_shape: Sequence[int], *, trials: int = 8, seed: int = 0) -> torch.Tensor:
    """Which input positions influence the output of ``module``: a (H, W) boolean tensor.

    ``input_shape``: (C, H, W). For ``trials`` random inputs (N(0, 1), seeded), computes
    the gradient of a random projection of the output with respect to the input, in eval
    mode; a position is reached if the gradient is non-zero there, in some channel, for
    some trial (a single trial could miss a position whose ReLUs all happen to be off).
    The module's mode is restored afterwards."""
    if not isinstance(module, nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(input_shape, (tuple, list, torch.Size)):
        raise ValueError(f"input_shape must be (C, H, W) with positive ints, got {input_shape!r}")
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or not all(isinstance(d, int) and d >= 1 for d in input_shape):
        raise ValueError(f"input_shape must be (C, H, W) with positive ints, got {input_shape}")
    positive_int(trials, "trials")
    g = torch.Generator().manual_seed(seed)
    dtype = next(module.parameters()).dtype if any(True for _ in module.parameters()) else torch.float32
    reached = torch.zeros(input_shape[1:], dtype=torch.bool)
    with eval_mode(module, no_grad=False):
        for _ in range(trials):
            x = torch.randn(1, *input_shape, generator=g, dtype=dtype).requires_grad_(True)
            y = module(x)
            (gradient,) = torch.autograd.grad((y * torch.randn(y.shape, generator=g, dtype=dtype)).sum(), x)
            reached |= (gradient[0] != 0).any(dim=0)
    return reached
