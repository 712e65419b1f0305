"""Semantic segmentation (§6.4): the three models (shapes, exact parameter counts, equality
with the same networks built from torch.nn layers, the book's computations, receptive
fields, errors) and the metrics on hand-made masks and against scikit-learn.

Tolerances. The twins below are our models with every leaf layer replaced by its
``torch.nn`` twin, weights and buffers copied, run in float64; they differ from ours only
in the order of floating-point sums, so they agree within `_bounds.chain` (stages × γ_n ×
max|reference|, with the stages and the longest sum n read off the layers run). A missing
skip or a misplaced pooling changes the outputs by O(1). The metrics count pixels: they
are compared exactly, except for ratios of counts (one division each: within 2u of the
quotient in float64).
"""

import copy
import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score, confusion_matrix as sk_confusion, jaccard_score
from torch import nn

from _bounds import assert_within, chain, chain_sizes, cross_entropy_bounds
from twins import assert_twin_agrees, torch_twin
from lbdl_book.models import segmenter as S
from lbdl_book.models.segmenter import (Bilinear, DownUpNet, PSPNet, PyramidPooling, Segmenters, band_accuracy,
                                        boundary_band, boundary_f_score, class_iou, confusion_matrix,
                                        input_gradient_map, mean_iou, pixel_accuracy, pixel_cross_entropy,
                                        predict, psp_net, scores, unet)
from lbdl_book.nn.conv import receptive_field
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.norm import BatchNorm2d

U64 = 2.0**-53


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# --- the models ---------------------------------------------------------------------------

def conv_bn(cin: int, cout: int, k: int = 3) -> int:
    """Parameters of conv k×k without bias + batch norm (γ, β)."""
    return cin * cout * k * k + 2 * cout


def down_up_parameters(widths, skips: bool, in_channels: int = 3, classes: int = 5) -> int:
    """The count of DownUpNet, layer by layer, from its docstring."""
    total = sum(conv_bn(a, w) + conv_bn(w, w) for a, w in zip((in_channels, *widths[:-1]), widths))
    for w, deeper in zip(widths[:-1], widths[1:]):
        out = w if skips else 2 * w
        total += deeper * out * 2 * 2 + 2 * out          # transposed conv 2×2 (no bias) + BN
        total += conv_bn(2 * w, w)                        # merge
    return total + widths[0] * classes + classes          # head: conv 1×1 with bias


def basic_block_parameters(cin: int, cout: int, stride: int) -> int:
    shortcut = conv_bn(cin, cout, 1) if stride != 1 or cin != cout else 0
    return conv_bn(cin, cout) + conv_bn(cout, cout) + shortcut


def psp_parameters(widths, bins, reduced, head, classes: int = 5) -> int:
    total = conv_bn(3, widths[0])
    total += sum(basic_block_parameters(a, b, 2) for a, b in zip(widths[:-1], widths[1:]))
    total += basic_block_parameters(widths[-1], widths[-1], 1)
    total += len(bins) * conv_bn(widths[-1], reduced, 1)
    return total + conv_bn(widths[-1] + len(bins) * reduced, head) + head * classes + classes


def test_the_three_models_have_the_counted_parameters_and_the_output_shape():
    models = Segmenters().models
    assert count(models["plain"]) == down_up_parameters((8, 16, 32, 48), False) == 95_029
    assert count(models["unet"]) == down_up_parameters((8, 16, 32, 48), True) == 86_213
    assert count(models["psp"]) == psp_parameters((16, 24, 40), (1, 2, 4), 8, 40) == 87_165
    x = torch.rand(2, 3, 64, 64)
    for model in models.values():
        assert model(x).shape == (2, S.NUM_CLASSES, 64, 64)
    # The plain network and the U-Net have the same layers, apart from the width of the upscaling.
    kinds = [[type(m).__name__ for m in models[name].modules()] for name in ("plain", "unet")]
    assert kinds[0] == kinds[1]


@pytest.mark.parametrize("upscale", S.UPSCALES)
@pytest.mark.parametrize("skips", [False, True])
def test_down_up_net_is_fully_convolutional(skips, upscale):
    model = DownUpNet((4, 6, 8), skips=skips, upscale=upscale)
    assert model(torch.rand(3, 3, 32, 48)).shape == (3, 5, 32, 48)
    assert model(torch.rand(1, 3, 8, 4)).shape == (1, 5, 8, 4)
    with pytest.raises(ValueError, match="multiples of 4"):
        model(torch.rand(1, 3, 30, 32))


def test_models_are_built_from_lbdl_book_nn():
    for model in Segmenters().models.values():
        for module in model.modules():
            if not list(module.children()) and not isinstance(module, Bilinear):
                assert type(module).__module__.startswith("lbdl_book.nn"), type(module)


def randomize_batchnorm_(model: nn.Module, seed: int = 0) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, BatchNorm2d):
                m.weight.copy_(0.5 + torch.rand(m.num_features, generator=g, dtype=m.weight.dtype))
                m.bias.copy_(0.1 * torch.randn(m.num_features, generator=g, dtype=m.bias.dtype))
                m.running_mean.copy_(0.1 * torch.randn(m.num_features, generator=g, dtype=m.running_mean.dtype))
                m.running_var.copy_(0.5 + torch.rand(m.num_features, generator=g, dtype=m.running_var.dtype))


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("build", [
    lambda: DownUpNet((4, 6, 8), skips=False), lambda: DownUpNet((4, 6, 8), skips=True),
    lambda: DownUpNet((4, 6, 8), skips=True, upscale="bilinear"),
    lambda: PSPNet((4, 6, 8), (1, 2, 4), reduced=3, head_width=5, image_size=32)], ids=["plain", "unet", "bilinear", "psp"])
def test_models_equal_their_torch_nn_twins_values_and_gradients(build, train):
    torch.manual_seed(0)
    model = build().double()
    randomize_batchnorm_(model)
    model.train(train)
    twin = torch_twin(model).train(train)
    assert not any(type(m).__module__.startswith("lbdl_book.nn") for m in twin.modules())
    x = torch.rand(3, 3, 32, 32, dtype=torch.float64)
    assert_twin_agrees(model, twin, x)


@pytest.mark.parametrize("name", ["plain", "unet", "psp"])
def test_the_books_computations_give_the_same_logits(name):
    torch.manual_seed(0)
    model = Segmenters().models[name].double().eval()
    randomize_batchnorm_(model)
    x = torch.rand(2, 3, 64, 64, dtype=torch.float64)
    fast = model(x)
    slow = set_fused(copy.deepcopy(model), False)(x)
    stages, terms = chain_sizes(model, x)
    assert_within(slow, fast, chain(fast, stages=stages, terms=terms))


def test_pyramid_pooling_pools_bins_and_concatenates():
    torch.manual_seed(0)
    pyramid = PyramidPooling(3, (1, 2, 4), reduced=2, size=8).double().eval()
    randomize_batchnorm_(pyramid)
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    y = pyramid(x)
    assert y.shape == (2, 3 + 3 * 2, 8, 8)
    assert torch.equal(y[:, :3], x)                                 # the features pass unchanged
    # The 1 × 1 bin: one value per map, the same at every pixel after upscaling (bilinear weights
    # sum to 1: within a few roundings of the value).
    global_branch = y[:, 3:5]
    assert_within(global_branch, global_branch[:, :, :1, :1].expand_as(global_branch),
                  4 * U64 * global_branch.abs().amax((2, 3), keepdim=True).expand_as(global_branch))
    branch = pyramid.branches[1]                                     # 2 × 2 bins of 4 × 4 pixels
    quarters = x.reshape(2, 3, 2, 4, 2, 4).mean((3, 5))
    assert_within(branch[0](x), quarters, 16 * U64 * x.abs().max())
    with pytest.raises(ValueError, match="divide size"):
        PyramidPooling(3, (3,), reduced=2, size=8)


def test_psp_sees_the_whole_image_through_its_pyramid_and_a_small_plain_net_does_not():
    torch.manual_seed(0)
    image = torch.rand(3, 64, 64)
    psp = psp_net()
    corners = [0, 0, -1, -1], [0, -1, 0, -1]
    assert (input_gradient_map(psp, image, 32, 32)[corners] > 0).all()
    # Cut the pyramid's branches (zero their 1 × 1 convolutions): the corners no longer reach the centre.
    cut = copy.deepcopy(psp)
    with torch.no_grad():
        for branch in cut.pyramid.branches:
            branch[1].weight.zero_()
    assert (input_gradient_map(cut, image, 32, 32)[corners] == 0).all()
    # A two-stage down-up network: its receptive field (conv 3, conv 3, pool 2, conv 3, conv 3, then the
    # merge conv 3 at full resolution) bounds the pixels that reach the centre.
    small = DownUpNet((4, 4), skips=False)
    field = receptive_field([3, 3, (2, 2), 3, 3]).size + 2
    reached = input_gradient_map(small, torch.rand(3, 32, 32), 16, 16) > 0
    rows, columns = reached.any(1).nonzero()[:, 0], reached.any(0).nonzero()[:, 0]
    assert 0 < rows.max() - rows.min() + 1 <= field and 0 < columns.max() - columns.min() + 1 <= field
    assert field < 32


def test_models_check_their_inputs():
    model = unet()
    with pytest.raises(TypeError, match="x"):
        model(torch.zeros(1, 3, 64, 64, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        model(torch.zeros(1, 1, 64, 64))
    with pytest.raises(ValueError, match="64"):
        psp_net()(torch.zeros(1, 3, 32, 32))
    with pytest.raises(ValueError, match="upscale"):
        DownUpNet((4, 4), skips=True, upscale="nearest")
    with pytest.raises(TypeError, match="skips"):
        DownUpNet((4, 4), skips=1)
    with pytest.raises(ValueError, match="multiple of 4"):
        PSPNet((4, 4, 4), image_size=30)


# --- the loss and the predictions ---------------------------------------------------------

def test_pixel_cross_entropy_is_the_mean_over_pixels_and_matches_pytorch():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 4, 3)
    masks = torch.randint(0, 5, (2, 4, 3))
    ours = pixel_cross_entropy(logits, masks)
    rows = logits.permute(0, 2, 3, 1).reshape(-1, 5)                 # one row per pixel
    value_bound, _ = cross_entropy_bounds(rows, masks.reshape(-1))
    assert_within(ours, F.cross_entropy(logits, masks), 2 * value_bound)
    exact = -torch.log_softmax(rows.double(), 1)[torch.arange(24), masks.reshape(-1)].mean()
    assert_within(ours.double(), exact, value_bound)
    with pytest.raises(ValueError, match="masks"):
        pixel_cross_entropy(logits, masks.clone().fill_(5))


def test_predict_takes_the_argmax_by_batches_and_restores_the_mode():
    torch.manual_seed(0)
    model = unet().train()
    images = torch.rand(5, 3, 64, 64)
    predicted = predict(model, images, batch_size=2)
    assert model.training and predicted.shape == (5, 64, 64) and predicted.dtype == torch.int64
    with torch.no_grad():
        assert torch.equal(predicted, model.eval()(images).argmax(1))


# --- the metrics on hand-made masks ----------------------------------------------------------

def test_confusion_matrix_pixel_accuracy_and_iou_by_hand():
    target = torch.tensor([[[0, 0, 1], [2, 2, 1]]])
    predicted = torch.tensor([[[0, 1, 1], [2, 0, 1]]])
    m = confusion_matrix(predicted, target, 4)
    assert m.tolist() == [[1, 1, 0, 0], [0, 2, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]
    assert pixel_accuracy(m) == 4 / 6
    iou = class_iou(m)
    # class 0: 1 / (2 + 2 − 1); class 1: 2 / (2 + 3 − 2); class 2: 1 / (2 + 1 − 1); class 3: absent
    assert iou[:3].tolist() == [1 / 3, 2 / 3, 1 / 2] and math.isnan(iou[3])
    assert abs(mean_iou(m) - (1 / 3 + 2 / 3 + 1 / 2) / 3) <= 4 * U64
    inside = torch.tensor([[[True, False, False], [True, True, False]]])
    assert confusion_matrix(predicted, target, 4, where=inside).tolist() == [
        [1, 0, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0], [0, 0, 0, 0]]


def test_metrics_agree_with_scikit_learn():
    g = torch.Generator().manual_seed(0)
    target = torch.randint(0, 5, (3, 16, 16), generator=g)
    predicted = torch.where(torch.rand(3, 16, 16, generator=g) < 0.6, target, torch.randint(0, 4, (3, 16, 16), generator=g))
    m = confusion_matrix(predicted, target)
    t, p = target.flatten().numpy(), predicted.flatten().numpy()
    assert m.tolist() == sk_confusion(t, p, labels=range(5)).tolist()
    assert abs(pixel_accuracy(m) - accuracy_score(t, p)) <= 2 * U64
    reference = torch.tensor(jaccard_score(t, p, labels=range(5), average=None, zero_division=0))
    assert_within(class_iou(m), reference, 2 * U64)
    assert abs(mean_iou(m) - reference.mean().item()) <= 8 * U64


def test_boundary_band_by_hand():
    square = torch.zeros(1, 6, 6, dtype=torch.int64)
    square[0, 2:4, 2:4] = 1
    band = boundary_band(square, 1)[0]
    expected = torch.zeros(6, 6, dtype=torch.bool)
    expected[1:5, 1:5] = True                     # the square and the ring of pixels that touch it
    assert torch.equal(band, expected)
    assert boundary_band(square, 2).all()
    assert not boundary_band(square, 0).any()
    halves = torch.zeros(1, 4, 6, dtype=torch.int64)
    halves[0, :, 3:] = 2
    expected = torch.zeros(4, 6, dtype=torch.bool)
    expected[:, 2:4] = True                       # the two columns on either side; the image border is none
    assert torch.equal(boundary_band(halves, 1)[0], expected)
    expected[:, 1:5] = True
    assert torch.equal(boundary_band(halves, 2)[0], expected)
    assert not boundary_band(torch.full((2, 5, 5), 3), 2).any()


@pytest.mark.parametrize("k", [1, 2, 3])
def test_boundary_band_is_its_definition(k):
    """Against the definition, pixel by pixel: the window of half-width k, cut by the border,
    holds two classes (also for classes beyond float32's exact integers)."""
    g = torch.Generator().manual_seed(k)
    masks = torch.randint(0, 3, (2, 9, 11), generator=g).repeat_interleave(2, 1)[:, :11]   # runs of equal classes
    for offset in (0, 2**25):
        shifted = masks + offset
        expected = torch.zeros(masks.shape, dtype=torch.bool)
        for n, i, j in itertools.product(range(masks.shape[0]), range(masks.shape[1]), range(masks.shape[2])):
            window = shifted[n, max(i - k, 0):i + k + 1, max(j - k, 0):j + k + 1]
            expected[n, i, j] = bool((window != shifted[n, i, j]).any())
        assert torch.equal(boundary_band(shifted, k), expected)


def test_band_accuracy_and_boundary_f_score_by_hand():
    target = torch.zeros(1, 4, 6, dtype=torch.int64)
    target[0, :, 3:] = 1                          # true boundary between columns 2 and 3
    shifted = torch.zeros(1, 4, 6, dtype=torch.int64)
    shifted[0, :, 4:] = 1                         # predicted one column to the right: column 3 wrong
    # Band of width 1: columns 2 and 3, half of it wrong; width 2: columns 1-4, a quarter wrong.
    assert band_accuracy(shifted, target, 1) == 0.5 and band_accuracy(shifted, target, 2) == 0.75
    assert band_accuracy(target, target, 3) == 1.0
    assert math.isnan(band_accuracy(target[:, :, :3], target[:, :, :3], 1))
    # Boundary pixels: columns 2, 3 (truth) and 3, 4 (prediction). Tolerance 0: one of two columns
    # matches each way; tolerance 1: all do.
    assert boundary_f_score(shifted, target, 0) == {"precision": 0.5, "recall": 0.5, "f_score": 0.5}
    assert boundary_f_score(shifted, target, 1) == {"precision": 1.0, "recall": 1.0, "f_score": 1.0}
    # Predicting background everywhere: no predicted boundary, recall 0, precision and F undefined.
    empty = boundary_f_score(torch.zeros_like(target), target, 1)
    assert math.isnan(empty["precision"]) and empty["recall"] == 0.0 and math.isnan(empty["f_score"])
    result = scores(shifted, target, k=1)
    assert result["pixel_accuracy"] == 20 / 24 and result["band_accuracy"] == 0.5 and result["boundary_f"] == 1.0
    # IoU: background true 12, predicted 16, intersection 12; class 1: true 12, predicted 8, intersection 8.
    assert result["class_iou"][:2] == [12 / 16, 8 / 12] and all(math.isnan(v) for v in result["class_iou"][2:])


def test_metrics_check_their_inputs():
    masks = torch.zeros(1, 4, 4, dtype=torch.int64)
    with pytest.raises(ValueError, match="same shape"):
        confusion_matrix(masks, torch.zeros(1, 4, 5, dtype=torch.int64))
    with pytest.raises(ValueError, match="predicted"):
        confusion_matrix(masks.float().long() + 7, masks)
    with pytest.raises(ValueError, match="where"):
        confusion_matrix(masks, masks, where=torch.ones(1, 4, 4))
    with pytest.raises(ValueError, match="k"):
        boundary_band(masks, -1)
    with pytest.raises(ValueError, match="confusion"):
        pixel_accuracy(torch.zeros(3, 3, dtype=torch.int64))
