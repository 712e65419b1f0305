"""Residual networks of Figures 5.3-5.5: shapes, exact parameter counts, strides, batch
normalization modes, equality with the same networks built from torch.nn layers, errors.

Tolerances. The references below are our models with every leaf layer replaced by its
``torch.nn`` twin, weights and buffers copied, run in float64: they differ only in the
order of floating-point sums (im2col + matrix products against PyTorch's kernels, our
batch-norm statistics against PyTorch's), so they agree up to rounding: `_bounds.chain`,
2 · stages · γ_n · max|reference|, with the stages and the longest sum n read off the
layers the input goes through (`_bounds.chain_sizes`). A misplaced stride or ReLU changes the
outputs by O(1).
"""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lbdl_book.nn
from _bounds import assert_within, chain, chain_sizes
from twins import assert_twin_agrees, torch_twin
from lbdl_book import diagrams
from lbdl_book.models.resnet import (BottleneckBlock, DownscalingBlock, ResNet, block_diagram, multiply_adds,
                                     reached_pixels, resnet50, resnet_digits, shape_table)
from lbdl_book.nn.conv import Conv2d
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.norm import BatchNorm2d

RESNET50_PARAMETERS = 25_557_032        # torchvision.models.resnet50(): its documented num_params


@pytest.fixture(scope="module")
def big():
    """One ResNet-50 for the whole module (building it takes a while)."""
    torch.manual_seed(0)
    return resnet50()


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# torch_twin lives in tests/twins.py (the benchmark uses it too).


def randomize_batchnorm_(model: nn.Module, seed: int = 0) -> None:
    """Non-trivial γ, β and running statistics, so that eval mode is not the identity."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, BatchNorm2d):
                m.weight.copy_(0.5 + torch.rand(m.num_features, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.num_features, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.num_features, generator=g))


def assert_same_as_torch_twin(model: nn.Module, x: torch.Tensor, train: bool) -> None:
    model = model.to(torch.float64).train(train)
    twin = torch_twin(model).train(train)
    x = x.to(torch.float64)
    stages, terms = assert_twin_agrees(model, twin, x)
    for (name, b), c in zip(model.named_buffers(), twin.buffers(), strict=True):   # running statistics
        if name.endswith("num_batches_tracked"):
            assert torch.equal(b, c), name
        else:   # statistics of activations that carry the rounding of the stages before them
            assert_within(b, c, chain(c, stages=stages, terms=terms), msg=name)


# --- ResNet-50 (Figure 5.5) ------------------------------------------------------------

def test_resnet50_has_exactly_the_reference_parameter_count(big):
    assert count(big) == RESNET50_PARAMETERS
    assert count(resnet50(stride_at="1x1")) == RESNET50_PARAMETERS     # a stride has no weights
    # 1 stem conv + 16 blocks × 3 convs + 4 projection shortcuts, each with a batch norm; 1 fully connected
    kinds = [type(m).__name__ for m in big.modules()]
    assert kinds.count("Conv2d") == kinds.count("BatchNorm2d") == 53 and kinds.count("Linear") == 1
    assert len(list(big.parameters())) == 161 and len(big.state_dict()) == 320


def test_resnet50_forward_and_shape_table(big):
    x = torch.randn(1, 3, 224, 224)
    big.eval()
    with torch.no_grad():
        assert big(x).shape == (1, 1000)
    rows = shape_table(big, x)
    assert [r[0] for r in rows[:5]] == ["stem.0", "stem.1", "stem.2", "stem.3", "stages.0.0"]
    assert rows[0][1:] == ("conv-2d k=7 s=2 p=3", (64, 112, 112), 64 * 3 * 49, 64 * 112 * 112 * 3 * 49)
    assert rows[3][1:3] == ("maxpool k=3 s=2 p=1", (64, 56, 56))
    stage_ends = {r[0]: r[2] for r in rows}
    assert stage_ends["stages.0.2"] == (256, 56, 56) and stage_ends["stages.1.3"] == (512, 28, 28)
    assert stage_ends["stages.2.5"] == (1024, 14, 14) and stage_ends["stages.3.2"] == (2048, 7, 7)
    assert [r[1] for r in rows if r[0].startswith("stages")].count("resblock") == 12
    assert rows[-3][1:3] == ("avgpool k=7", (2048, 1, 1))
    assert rows[-1][1:] == ("fully-conn", (1000,), 2_049_000, 2_048_000)
    assert sum(r[3] for r in rows) == RESNET50_PARAMETERS
    assert sum(r[4] for r in rows) == 4_089_184_256


def test_resnet50_multiply_adds():
    # 4.09 G for torchvision's resnet50 (its documented "GFLOPS"), 3.8e9 in Table 1 of
    # He et al. (2016), whose blocks put the stride on the first 1x1 convolution.
    x = torch.zeros(1, 3, 224, 224)
    assert multiply_adds(resnet50(), x) == 4_089_184_256
    assert multiply_adds(resnet50(stride_at="1x1"), x) == 3_857_973_248


def test_resnet50_is_built_from_lbdl_book_nn(big):
    for module in big.modules():
        if not list(module.children()) and not isinstance(module, nn.Flatten):
            assert type(module).__module__.startswith(lbdl_book.nn.__name__), type(module)


def test_batchnorm_in_eval_mode_makes_the_model_deterministic():
    torch.manual_seed(0)
    model = resnet_digits()
    randomize_batchnorm_(model)
    x = torch.randn(6, 1, 8, 8)
    model.eval()
    with torch.no_grad():
        first, second = model(x), model(x)
        alone = model(x[:2])
    assert torch.equal(first, second)
    # In eval mode an image's logits do not depend on the rest of the batch (float32
    # products of different batch sizes may round differently: within the rounding bound).
    stages, terms = chain_sizes(model, x)
    rounding = chain(first[:2], stages=stages, terms=terms)
    assert_within(alone, first[:2], rounding)
    model.train()
    with torch.no_grad():
        alone_train = model(x[:2])
    # In training mode, batch statistics couple the images of a batch: far more than rounding.
    assert ((alone_train - first[:2]).abs() > rounding).any()


@pytest.mark.parametrize("fused", [False, True], ids=["book", "fused"])   # the book's computations, and the fast path
def test_small_resnet_equals_its_torch_twin_in_train_and_eval_mode(fused):
    torch.manual_seed(0)
    model = ResNet((2, 2), (32, 64), (1, 2), in_channels=3, num_classes=5, image_size=32, stem_channels=16,
                   fused=fused)
    randomize_batchnorm_(model, seed=1)
    x = torch.randn(4, 3, 32, 32)
    assert model(x).shape == (4, 5)
    for train in (True, False):
        assert_same_as_torch_twin(copy.deepcopy(model), x, train)


def test_resnet_digits():
    model = resnet_digits()
    assert model(torch.randn(3, 1, 8, 8)).shape == (3, 10)
    # stem 16·9 + 2·16; then per stage: conv weights of the branch, the shortcut, and 2 per channel of each BN
    stem = 16 * 9 + 32

    def downscaling(c_in, c_out):
        w = c_out // 4
        return c_in * w + 9 * w * w + w * c_out + c_in * c_out + 2 * (w + w + c_out + c_out)

    expected = stem + downscaling(16, 32) + downscaling(32, 64) + downscaling(64, 128) + 128 * 10 + 10
    assert count(model) == expected == 33_498
    assert_same_as_torch_twin(resnet_digits(stride_at="1x1"), torch.randn(5, 1, 8, 8), train=True)


# --- the blocks (Figures 5.3 and 5.4) ---------------------------------------------------

@pytest.mark.parametrize("channels", [8, 256])
def test_bottleneck_block_shapes_and_parameters(channels):
    block = BottleneckBlock(channels)
    w = channels // 4
    assert block.width == w
    assert block(torch.randn(2, channels, 5, 7)).shape == (2, channels, 5, 7)
    # weights C·W + 9·W² + W·C, and γ, β of the three batch norms
    assert count(block) == 2 * channels * w + 9 * w * w + 2 * (w + w + channels)
    assert count(BottleneckBlock(channels, width=channels // 2)) == \
        channels * channels + 9 * (channels // 2) ** 2 + 2 * (channels + channels)


def test_the_bottleneck_saving_of_supplement_row_a7():
    # Weights of the convolutions only (what the saving is about).
    def conv_weights(m):
        return sum(x.weight.numel() for x in m.modules() if isinstance(x, Conv2d))

    assert conv_weights(BottleneckBlock(256)) == 256 * 64 + 9 * 64 * 64 + 64 * 256 == 69_632
    basic = nn.Sequential(Conv2d(256, 256, 3, padding=1, bias=False), Conv2d(256, 256, 3, padding=1, bias=False))
    assert conv_weights(basic) == 1_179_648


@pytest.mark.parametrize("stride_at", ["3x3", "1x1"])
@pytest.mark.parametrize(("size", "stride", "expected"), [(56, 2, 28), (7, 2, 4), (56, 1, 56), (9, 3, 3)])
def test_downscaling_block_shapes(stride_at, size, stride, expected):
    block = DownscalingBlock(64, 128, stride, stride_at=stride_at)
    assert block(torch.randn(2, 64, size, size)).shape == (2, 128, expected, expected)


def test_where_the_stride_sits():
    middle, first = DownscalingBlock(256, 512, 2), DownscalingBlock(256, 512, 2, stride_at="1x1")
    strides = lambda b: [m.stride for m in b.branch if isinstance(m, Conv2d)]   # noqa: E731
    assert strides(middle) == [(1, 1), (2, 2), (1, 1)] and strides(first) == [(2, 2), (1, 1), (1, 1)]
    assert middle.shortcut[0].stride == first.shortcut[0].stride == (2, 2)
    assert count(middle) == count(first) == 256 * 128 + 9 * 128 * 128 + 128 * 512 + 256 * 512 + 2 * (128 + 128 + 512
                                                                                                     + 512)
    assert middle.width == 128


@pytest.mark.parametrize(("stride_at", "fraction"), [("3x3", 1.0), ("1x1", 0.25)])
def test_which_input_pixels_reach_the_output(stride_at, fraction):
    # With the stride on a 1x1 convolution, both paths read only the pixels (2i, 2j).
    torch.manual_seed(0)
    block = DownscalingBlock(8, 16, 2, stride_at=stride_at).to(torch.float64)
    randomize_batchnorm_(block)
    reached = reached_pixels(block, (8, 8, 8))
    assert reached.shape == (8, 8) and block.training               # the mode is restored
    assert reached.float().mean().item() == fraction
    if stride_at == "1x1":
        assert reached[::2, ::2].all() and not reached[1::2].any() and not reached[:, 1::2].any()
    # One trial can miss pixels whose ReLUs are all off; the union of 8 does not.
    x = torch.randn(1, 8, 8, 8, dtype=torch.float64, requires_grad=True)
    block.eval()(x).sum().backward()
    assert (x.grad.abs().sum(dim=1)[0] > 0).float().mean() <= fraction


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("fused", [False, True], ids=["book", "fused"])   # the book's computations, and the fast path
def test_blocks_equal_their_torch_twins(train, fused):
    torch.manual_seed(0)
    for block, x in [(BottleneckBlock(16), torch.randn(3, 16, 6, 6)),
                     (DownscalingBlock(8, 32, 2), torch.randn(3, 8, 7, 7)),
                     (DownscalingBlock(8, 32, 2, stride_at="1x1"), torch.randn(3, 8, 7, 7)),
                     (DownscalingBlock(16, 64, 1), torch.randn(3, 16, 5, 5))]:
        randomize_batchnorm_(block)
        set_fused(block, fused)
        assert_same_as_torch_twin(block, x, train)


def conv_bn_functional(conv, bn, x, training):
    """torch.nn.functional's conv2d then batch_norm with the parameters of our layers."""
    y = F.conv2d(x, conv.weight, None, conv.stride, conv.padding)
    return F.batch_norm(y, bn.running_mean.clone(), bn.running_var.clone(), bn.weight, bn.bias, training)


@pytest.mark.parametrize("training", [True, False])
def test_blocks_compute_the_equations_of_figures_5_3_and_5_4(training):
    # The wiring, written out with torch.nn.functional: relu(x + f(x)) and relu(f(x) + g(x)).
    torch.manual_seed(0)
    block = BottleneckBlock(16).to(torch.float64).train(training)
    randomize_batchnorm_(block)
    c1, b1, _, c2, b2, _, c3, b3 = block.residual.branch
    x = torch.randn(3, 16, 6, 6, dtype=torch.float64)
    h = F.relu(conv_bn_functional(c1, b1, x, training))
    h = F.relu(conv_bn_functional(c2, b2, h, training))
    expected = F.relu(x + conv_bn_functional(c3, b3, h, training))
    stages, terms = chain_sizes(block, x)
    assert_within(block(x), expected, chain(expected, stages=stages, terms=terms))
    for stride_at in ("3x3", "1x1"):
        down = DownscalingBlock(8, 32, 2, stride_at=stride_at).to(torch.float64).train(training)
        randomize_batchnorm_(down)
        c1, b1, _, c2, b2, _, c3, b3 = down.branch
        cs, bs = down.shortcut
        x = torch.randn(3, 8, 7, 7, dtype=torch.float64)
        h = F.relu(conv_bn_functional(c1, b1, x, training))
        h = F.relu(conv_bn_functional(c2, b2, h, training))
        expected = F.relu(conv_bn_functional(c3, b3, h, training) + conv_bn_functional(cs, bs, x, training))
        stages, terms = chain_sizes(down, x)
        assert_within(down(x), expected, chain(expected, stages=stages, terms=terms))


def test_a_zero_initialised_block_passes_its_input():
    torch.manual_seed(0)
    model = ResNet((2,), (32,), (1,), in_channels=1, num_classes=3, image_size=8, stem_channels=8,
                   stem_kernel_size=3, stem_stride=1, stem_pool=False, zero_init_residual=True)
    block = model.stages[0][1]
    x = torch.rand(2, 32, 8, 8)                                   # non-negative, like a block's output
    assert torch.equal(block.eval()(x), x)                        # relu(x + 0) = x
    down = model.stages[0][0].eval()
    assert torch.equal(down(x[:, :8]), F.relu(down.shortcut(x[:, :8])))


def test_block_diagrams():
    items, shapes = block_diagram(BottleneckBlock(256), torch.zeros(1, 256, 56, 56))
    assert isinstance(items[1], diagrams.Residual) and not items[1].shortcut
    assert [b.name for b in items[1].items] == ["conv-2d", "batchnorm", "relu"] * 2 + ["conv-2d", "batchnorm"]
    assert [b.hyper for b in items[1].items if b.name == "conv-2d"] == ["k=1", "k=3 p=1", "k=1"]
    assert shapes[0] == shapes[-1] == (256, 56, 56)
    items, shapes = block_diagram(DownscalingBlock(256, 512, 2), torch.zeros(1, 256, 56, 56))
    assert [b.hyper for b in items[1].shortcut] == ["k=1 s=2", ""]
    assert [b.hyper for b in items[1].items if b.name == "conv-2d"] == ["k=1", "k=3 s=2 p=1", "k=1"]
    assert shapes[-1] == (512, 28, 28)
    with pytest.raises(TypeError, match="block must be a BottleneckBlock or a DownscalingBlock, got Linear"):
        block_diagram(nn.Linear(2, 2), torch.zeros(1, 2))


# --- errors -----------------------------------------------------------------------------

def test_errors():
    with pytest.raises(ValueError, match="stride_at must be one of"):
        DownscalingBlock(64, 256, 2, stride_at="first")
    with pytest.raises(ValueError, match="channels must be a positive int, got 0"):
        BottleneckBlock(0)
    with pytest.raises(ValueError, match=r"width \(default channels // 4\) must be a positive int, got 0"):
        BottleneckBlock(3)
    with pytest.raises(ValueError, match=r"BottleneckBlock expects x of shape \(N, 256, H, W\), got \(1, 64, 8, 8\)"):
        BottleneckBlock(256)(torch.zeros(1, 64, 8, 8))
    with pytest.raises(ValueError, match=r"DownscalingBlock expects x of shape \(N, 64, H, W\)"):
        DownscalingBlock(64, 256, 1)(torch.zeros(64, 8, 8))
    with pytest.raises(ValueError, match="blocks, channels and strides must be non-empty and of the same length"):
        ResNet((3, 4), (256, 512, 1024), (1, 2, 2))
    with pytest.raises(ValueError, match="each entry of strides must be a positive int, got 0"):
        ResNet((1,), (64,), (0,))
    with pytest.raises(TypeError, match="stem_pool must be a bool"):
        ResNet((1,), (64,), (1,), stem_pool=1)
    model = resnet_digits()
    with pytest.raises(ValueError, match=r"x must have shape \(N, 1, 8, 8\), got \(2, 1, 28, 28\)"):
        model(torch.zeros(2, 1, 28, 28))
    with pytest.raises(TypeError, match="x must be a torch.Tensor"):
        model(None)
    with pytest.raises(TypeError, match="model must be a ResNet"):
        shape_table(nn.Linear(2, 2), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="example_input must be a tensor with a non-empty batch dimension"):
        multiply_adds(model, torch.zeros(0, 1, 8, 8))
    with pytest.raises(ValueError, match=r"input_shape must be \(C, H, W\) with positive ints, got \(8, 8\)"):
        reached_pixels(model, (8, 8))
