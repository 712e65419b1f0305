"""Image denoising (§6.1, lbdl_book.models.denoiser): the U-Net's shapes, exact parameter
count and skip connections, the first guess it starts from, the book's computations, the
PSNR and the classical filters against direct references, the conditional-mean helpers on
hand-made cases, and bad inputs.

Tolerances. The references are computed in float64 from the definitions. A Gaussian filter
is a sum of (2r + 1)² products of weights summing to 1 with pixels of magnitude ≤ max|x|:
two summation orders differ by at most 2·γ_{(2r+1)²}·max|x| (the separable version rounds
its two passes, each of 2r + 1 terms, within that). A normalised convolution divides two
such sums: the relative error of each is within γ_n, of the quotient within 2γ_n + u,
times the magnitude of the result. The PSNR is 10·log₁₀ of a mean of n squares (relative
error γ_{n+1}), so it is off by at most 10/ln 10 · 2γ_{n+1} plus the rounding of the
logarithm (a few u of the result). Medians pick one of the values: they are compared
exactly. The whole network against the book's computations: `_bounds.chain`.
"""

import math

import pytest
import scipy.ndimage
import torch
import torch.nn.functional as F

from _bounds import chain, chain_sizes, gamma
from lbdl_book.data.degrade import cut_hole
from lbdl_book.data.scenes import generate_scenes
from lbdl_book.models.denoiser import (Denoiser, binned_mean, chroma, classical_restore, feature_shapes,
                                       gaussian_filter, gaussian_kernel1d, median_filter, missing_pixels,
                                       object_colours, object_interior, psnr, restore, tune_filter)
from lbdl_book.nn.fused import set_fused

U64 = 2.0**-53


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def conv_bn(cin: int, cout: int, k: int = 3) -> int:
    """A k × k convolution without bias and a batch norm (γ, β)."""
    return cin * cout * k * k + 2 * cout


def expected_parameters(widths, in_channels: int = 3, skips: bool = True, fill_missing: bool = True) -> int:
    """The count of Denoiser, layer by layer, from its docstring."""
    first = in_channels + (1 if fill_missing else 0)
    total = sum(conv_bn(a, w) + conv_bn(w, w) for a, w in zip((first, *widths[:-1]), widths))        # encoder
    total += sum(deeper * w * 2 * 2 + w for w, deeper in zip(widths[:-1], widths[1:]))             # up (with bias)
    total += sum(conv_bn(2 * w if skips else w, w) + conv_bn(w, w) for w in widths[:-1])           # decoder
    return total + widths[0] * in_channels + in_channels                                           # head 1 × 1


@pytest.fixture(scope="module")
def scenes():
    return generate_scenes(8, size=32, seed=11)


# --- the network --------------------------------------------------------------------------

def test_exact_parameter_counts():
    assert count(Denoiser()) == expected_parameters((16, 32, 64)) == 117_539
    assert count(Denoiser((4, 8, 16, 32))) == expected_parameters((4, 8, 16, 32))
    assert count(Denoiser((4, 8), skips=False)) == expected_parameters((4, 8), skips=False)
    assert count(Denoiser((4, 8), fill_missing=False, in_channels=1)) == expected_parameters((4, 8), 1, True, False)


def test_the_output_has_the_shape_of_the_input_and_skips_keep_the_resolution(scenes):
    torch.manual_seed(0)
    model = Denoiser((4, 8, 16))
    x = scenes.images[:2]
    assert model(x).shape == x.shape
    shapes = dict(feature_shapes(model, x))
    assert list(shapes) == ["input", "encoder.0", "encoder.1", "encoder.2", "decoder.1", "decoder.0", "output"]
    assert shapes["encoder.0"] == (4, 32, 32) and shapes["encoder.1"] == (8, 16, 16) and shapes["encoder.2"] == (16, 8, 8)
    # every decoder block works at the resolution of the encoder block it is joined to
    assert shapes["decoder.1"] == shapes["encoder.1"] and shapes["decoder.0"] == shapes["encoder.0"]
    assert shapes["output"] == shapes["input"] == (3, 32, 32)
    # the skip is a concatenation: the decoder block reads twice the width
    assert model.decoder[0][0].in_channels == 2 * 4 and Denoiser((4, 8, 16), skips=False).decoder[0][0].in_channels == 4


def test_at_initialisation_the_output_is_the_first_guess(scenes):
    """The head starts at zero: f(X̃) = X̃ where nothing is missing, the normalised Gaussian
    fill of the known pixels inside a hole."""
    torch.manual_seed(0)
    model = Denoiser((4, 8)).eval()
    x = scenes.images[:4]
    assert torch.equal(model(x), x)
    holed, hole = cut_hole(x, 8, generator=torch.Generator().manual_seed(0), return_mask=True)
    fill = gaussian_filter(holed, model.fill_sigma, known=~hole)
    assert torch.equal(model(holed), torch.where(hole, fill, holed))
    assert torch.equal(missing_pixels(holed), hole)


def test_the_fast_path_equals_the_books_computations(scenes):
    torch.manual_seed(1)
    model = Denoiser((4, 8, 16)).double()
    for p in model.head.parameters():                         # a non-zero correction, so that the head is tested
        torch.nn.init.normal_(p, std=0.1)
    x = cut_hole(scenes.images[:4].double(), 8, generator=torch.Generator().manual_seed(1))
    model.train()
    fast = model(x)
    set_fused(model, False)
    book = model(x)
    stages, terms = chain_sizes(model, x)
    assert ((fast - book).abs() <= chain(fast, stages=stages, terms=terms)).all()
    assert not torch.equal(fast, x)


def test_restore_clips_keeps_known_pixels_and_restores_the_mode(scenes):
    torch.manual_seed(2)
    model = Denoiser((4, 8)).train()
    for p in model.head.parameters():
        torch.nn.init.normal_(p, std=0.5)
    holed, hole = cut_hole(scenes.images, 8, generator=torch.Generator().manual_seed(2), return_mask=True)
    out = restore(model, holed, known=~hole, batch_size=3)
    assert out.shape == holed.shape and out.min() >= 0 and out.max() <= 1
    assert torch.equal(out.masked_select(~hole), holed.masked_select(~hole.expand_as(holed)))
    assert model.training


# --- PSNR and the classical filters -------------------------------------------------------

def test_psnr_matches_its_formula():
    torch.manual_seed(3)
    a, b = torch.rand(4, 3, 5, 6, dtype=torch.float64), torch.rand(4, 3, 5, 6, dtype=torch.float64)
    n = 3 * 5 * 6
    reference = torch.tensor([10 * math.log10(1 / sum((x - y) ** 2 for x, y in zip(u.flatten().tolist(),
                                                                                  v.flatten().tolist())) * n)
                              for u, v in zip(a, b)], dtype=torch.float64)
    bound = 10 / math.log(10) * 2 * gamma(n + 1, torch.float64) + 4 * U64 * reference.abs()
    assert ((psnr(a, b) - reference).abs() <= bound).all()
    # halving the error adds 10·log₁₀ 2 dB, a peak of 2 adds 20·log₁₀ 2 dB
    assert ((psnr(a + (b - a) / 2, b) - psnr(a, b) - 20 * math.log10(2)).abs() <= 1e3 * U64 * reference.abs()).all()
    assert ((psnr(a, b, peak=2.0) - psnr(a, b) - 20 * math.log10(2)).abs() <= 1e3 * U64 * reference.abs()).all()
    assert psnr(a, a).isinf().all()


def test_gaussian_filter_equals_a_direct_convolution_and_scipy():
    torch.manual_seed(4)
    x = torch.rand(2, 3, 9, 11, dtype=torch.float64)
    for sigma in (0.5, 1.0, 1.5):
        k = gaussian_kernel1d(sigma)
        r = len(k) // 2
        assert len(k) == 2 * int(4 * sigma + 0.5) + 1 and abs(k.sum().item() - 1) <= gamma(len(k), torch.float64)
        kernel2d = torch.outer(k, k)
        direct = F.conv2d(F.pad(x, (r, r, r, r), mode="replicate"), kernel2d.expand(3, 1, -1, -1), groups=3)
        bound = 2 * gamma(len(k) ** 2, torch.float64) * x.abs().max()
        assert ((gaussian_filter(x, sigma) - direct).abs() <= bound).all(), sigma
        ours = gaussian_filter(x, sigma)
        theirs = torch.from_numpy(scipy.ndimage.gaussian_filter(x.numpy(), (0, 0, sigma, sigma), mode="nearest"))
        assert ((ours - theirs).abs() <= bound).all(), sigma


def test_the_masked_gaussian_filter_is_a_normalised_convolution():
    torch.manual_seed(5)
    x = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    known = torch.rand(2, 1, 8, 8) > 0.4
    known[1, :, :, :] = False
    known[1, 0, 0, 0] = True                                  # one known pixel, far from most of the image
    sigma = 1.0
    k = gaussian_kernel1d(sigma)
    r = len(k) // 2
    weights = known.double()
    kernel = torch.outer(k, k).expand(1, 1, -1, -1)
    num = F.conv2d(F.pad((x * weights).view(6, 1, 8, 8), (r,) * 4, mode="replicate"), kernel).view(2, 3, 8, 8)
    den = F.conv2d(F.pad(weights, (r,) * 4, mode="replicate"), kernel)
    ours = gaussian_filter(x, sigma, known=known)
    reachable = (den > 0).expand_as(x)
    expected = num / den.clamp(min=1e-300)
    bound = (4 * gamma(len(k) ** 2, torch.float64) + U64) * expected.abs()
    assert ((ours - expected).abs() <= bound)[reachable].all()
    # where no known pixel is within reach: the mean of the image's known pixels (here the one known pixel)
    assert torch.equal(ours[1][~reachable[1]], x[1, :, 0, 0].view(3, 1, 1).expand(3, 8, 8)[~reachable[1]])
    # classical_restore changes the missing pixels only
    restored = classical_restore(x, "gaussian", sigma, known=known)
    assert torch.equal(restored.masked_select(known.expand_as(x)), x.masked_select(known.expand_as(x)))


def test_median_filter_equals_the_median_of_the_unfolded_windows_and_scipy():
    torch.manual_seed(6)
    x = torch.rand(2, 3, 7, 9, dtype=torch.float64)
    for size in (3, 5):
        r = size // 2
        windows = F.unfold(F.pad(x, (r,) * 4, mode="replicate"), size).view(2, 3, size * size, 7, 9)
        assert torch.equal(median_filter(x, size), torch.median(windows, dim=2).values)
        theirs = scipy.ndimage.median_filter(x.numpy(), (1, 1, size, size), mode="nearest")
        assert torch.equal(median_filter(x, size), torch.from_numpy(theirs))
    # with a mask: the median of the known pixels of the window
    image = torch.arange(1.0, 10.0, dtype=torch.float64).view(1, 1, 3, 3).expand(1, 3, 3, 3) / 10
    known = torch.tensor([[True, True, False], [True, False, False], [False, False, True]]).view(1, 1, 3, 3)
    out = median_filter(image, 3, known=known)
    assert out[0, 0, 1, 1].item() == 0.2                     # known: .1, .2, .4, .9 → the lower middle value
    kept = known.expand(1, 3, 3, 3)
    assert torch.equal(classical_restore(image, "median", 3, known=known)[kept], image[kept])


def test_tune_filter_prefers_smoothing_for_noise_and_nothing_for_grey():
    clean = generate_scenes(16, size=32, seed=12).images
    noisy = clean + 0.2 * torch.randn(clean.shape, generator=torch.Generator().manual_seed(7))
    (name, _), scores = tune_filter(clean, noisy)
    assert name != "identity" and len(scores) == 10
    grey = clean.mean(1, keepdim=True).expand_as(clean).contiguous()
    (name, param), _ = tune_filter(clean, grey)
    assert (name, param) == ("identity", 0)


# --- the conditional mean: helpers ----------------------------------------------------------

def test_chroma_binned_mean_and_interior_on_hand_made_cases(scenes):
    colours = torch.tensor([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.25, 0.75, 0.5]])
    assert torch.equal(chroma(colours, -1), torch.tensor([1.0, 0.0, 0.5]))           # exact in binary
    keys = torch.tensor([0.1, 0.15, 0.6, 0.9, 2.0])
    values = torch.tensor([[1.0], [3.0], [5.0], [7.0], [9.0]])
    means, counts = binned_mean(keys, values, torch.tensor([0.0, 0.5, 1.0, 1.5]))
    assert counts.tolist() == [2, 2, 0] and means[:2, 0].tolist() == [2.0, 6.0] and means[2].isnan().all()
    instances = torch.full((1, 5, 5), -1)
    instances[0, 1:4, 1:4] = 0
    interior = object_interior(instances)
    assert interior.sum() == 1 and interior[0, 2, 2]
    colour = object_colours(scenes)
    assert colour.shape == scenes.masks.shape and torch.equal(colour < 0, scenes.masks == 0)


# --- bad inputs -------------------------------------------------------------------------------

def test_bad_arguments_name_themselves():
    x = torch.rand(2, 3, 16, 16)
    with pytest.raises(ValueError, match="widths"):
        Denoiser((8,))
    with pytest.raises(ValueError, match="widths"):
        Denoiser((8, 0))
    with pytest.raises(TypeError, match="skips"):
        Denoiser(skips=1)
    with pytest.raises(ValueError, match="fill_sigma"):
        Denoiser(fill_sigma=0)
    with pytest.raises(ValueError, match="multiples of 4"):
        Denoiser((4, 8, 16))(torch.rand(1, 3, 10, 12))
    with pytest.raises(ValueError, match="shape"):
        Denoiser((4, 8))(torch.rand(1, 1, 8, 8))
    with pytest.raises(ValueError, match="same non-empty shape"):
        psnr(x, x[:1])
    with pytest.raises(TypeError, match="estimate"):
        psnr(x.long(), x)
    with pytest.raises(ValueError, match="peak"):
        psnr(x, x, peak=0)
    with pytest.raises(ValueError, match="sigma"):
        gaussian_filter(x, -1.0)
    with pytest.raises(ValueError, match="odd"):
        median_filter(x, 4)
    with pytest.raises(ValueError, match="known"):
        gaussian_filter(x, 1.0, known=torch.ones(2, 3, 16, 16, dtype=torch.bool))
    with pytest.raises(TypeError, match="known"):
        median_filter(x, 3, known=torch.ones(2, 1, 16, 16))
    with pytest.raises(ValueError, match="name"):
        classical_restore(x, "wiener", 1)
    with pytest.raises(ValueError, match="same shape"):
        tune_filter(x, x[:1])
    with pytest.raises(ValueError, match="size 3"):
        chroma(torch.rand(4, 2), -1)
    with pytest.raises(TypeError, match="model"):
        feature_shapes(torch.nn.Linear(2, 2), x)
