"""Data augmentation (lbdl_book.data.augment): each transformation on hand-made cases and
against a direct computation, its exact identities (mirroring twice, the centre crop of the
padded image, a third of a turn of hue), values kept in [0, 1], the statistics of the
random parameters, determinism, and the layer's training/evaluation behaviour."""

import math

import pytest
import torch
import torch.nn.functional as F

from lbdl_book.data.augment import (PADDING_MODES, AugmentParams, Augmentation, adjust_colour, hue_rotation, mirror,
                                    pad_crop, rescale)

U32 = 2.0**-24                    # unit roundoff of float32
K = 5                             # statistical checks: 5 standard errors (a false alarm below 6e-7 per check)


def images(n=6, c=3, h=9, w=11, seed=0, dtype=torch.float32):
    return torch.rand(n, c, h, w, generator=torch.Generator().manual_seed(seed), dtype=dtype)


# --- mirror -------------------------------------------------------------------------------

def test_mirror_twice_is_the_identity_and_mirror_reverses_columns():
    x = images()
    flips = torch.tensor([True, False, True, True, False, False])
    once = mirror(x, flips)
    assert torch.equal(mirror(once, flips), x)
    assert torch.equal(once[flips], x[flips].flip(-1)) and torch.equal(once[~flips], x[~flips])
    # column j of a mirrored image is column W - 1 - j of the original
    assert torch.equal(once[0, :, :, 0], x[0, :, :, -1]) and torch.equal(once[0, :, :, 3], x[0, :, :, 11 - 1 - 3])
    assert torch.equal(mirror(x, torch.zeros(6, dtype=torch.bool)), x)


def test_mirror_checks_its_flags():
    with pytest.raises(TypeError, match="flips"):
        mirror(images(), torch.ones(6))
    with pytest.raises(ValueError, match="flips"):
        mirror(images(), torch.ones(5, dtype=torch.bool))


# --- pad_crop -----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", PADDING_MODES)
def test_the_crop_at_the_centre_offset_of_the_padded_image_is_the_image(mode):
    x = images()
    for p in (0, 1, 3):
        assert torch.equal(pad_crop(x, torch.full((6, 2), p), p, mode), x)


@pytest.mark.parametrize("mode", PADDING_MODES)
def test_pad_crop_equals_padding_then_slicing_image_by_image(mode):
    x, p = images(), 3
    offsets = torch.randint(0, 2 * p + 1, (6, 2), generator=torch.Generator().manual_seed(1))
    padded = F.pad(x, (p, p, p, p), mode="constant" if mode == "zeros" else mode)
    expected = torch.stack([padded[i, :, top:top + 9, left:left + 11] for i, (top, left) in enumerate(offsets.tolist())])
    assert torch.equal(pad_crop(x, offsets, p, mode), expected)


def test_pad_crop_moves_the_content_by_p_minus_the_offset():
    x = images(n=1)
    moved = pad_crop(x, torch.tensor([[0, 4]]), 2, "zeros")         # down by 2, left by 2
    assert torch.equal(moved[0, :, 2:, :-2], x[0, :, :-2, 2:])
    assert torch.equal(moved[0, :, :2], torch.zeros(3, 2, 11)) and torch.equal(moved[0, :, :, -2:], torch.zeros(3, 9, 2))


def test_pad_crop_checks_offsets_and_padding():
    x = images()
    with pytest.raises(ValueError, match="offsets"):
        pad_crop(x, torch.full((6, 2), 5), 2)
    with pytest.raises(TypeError, match="offsets"):
        pad_crop(x, torch.zeros(6, 2), 2)
    with pytest.raises(ValueError, match="padding"):
        pad_crop(x, torch.zeros(6, 2, dtype=torch.long), 9)              # reflect needs p < H
    with pytest.raises(ValueError, match="padding_mode"):
        pad_crop(x, torch.zeros(6, 2, dtype=torch.long), 1, "circular")


# --- rescale ------------------------------------------------------------------------------

def test_rescale_by_one_is_the_identity_up_to_rounding():
    x = images(h=16, w=16)
    # Each sample position is computed from the output index in a few float32 operations on
    # numbers up to W: it is off by at most about 4·W·u pixel, and the bilinear weights by as
    # much; the values are in [0, 1], so neighbours differ by at most 1, and the interpolation
    # itself adds a few u: |error| <= 4u(W + 1).
    bound = 4 * U32 * (16 + 1)
    assert (rescale(x, torch.ones(6)) - x).abs().max() <= bound


def test_rescale_zooms_a_ramp_about_the_centre():
    """Bilinear interpolation reproduces a linear function exactly: zooming the ramp
    x[i, j] = j by f ≥ 1 (all samples inside the image) gives c + (j − c) / f, c = (W − 1)/2."""
    w = 12
    ramp = torch.arange(w, dtype=torch.float64).expand(3, 3, 8, w).clone()
    factors = torch.tensor([1.0, 1.25, 2.0], dtype=torch.float64)
    c = (w - 1) / 2
    expected = c + (torch.arange(w, dtype=torch.float64) - c) / factors.view(3, 1, 1, 1)
    bound = 8 * 2.0**-53 * w * w        # float64 positions off by a few u·W pixels, times a slope of 1, values <= W
    assert (rescale(ramp, factors) - expected).abs().max() <= bound


def test_rescale_checks_factors():
    with pytest.raises(ValueError, match="factors"):
        rescale(images(), torch.zeros(6))
    with pytest.raises(ValueError, match="factors"):
        rescale(images(), torch.ones(5))


# --- colour -------------------------------------------------------------------------------

def test_hue_rotation_is_a_rotation_about_the_grey_axis():
    turns = torch.tensor([0.0, 0.1, -0.37, 0.5])
    r = hue_rotation(turns)
    eye = torch.eye(3).expand(4, 3, 3)
    # entries computed in float64 and rounded to float32: each off by u; sums of 3 products of entries <= 1
    assert (r @ r.transpose(1, 2) - eye).abs().max() <= 8 * U32
    assert (torch.linalg.det(r.double()) - 1).abs().max() <= 8 * U32
    grey = torch.ones(3)
    assert (r @ grey - grey).abs().max() <= 4 * U32                       # grey stays grey
    assert torch.equal(hue_rotation(torch.zeros(1))[0], torch.eye(3))     # cos 0 = 1, sin 0 = 0 exactly


def test_a_third_of_a_turn_of_hue_permutes_the_channels():
    x = images(h=5, w=5)
    r = hue_rotation(torch.tensor([1 / 3]))[0]
    assert (r - torch.tensor([[0.0, 0, 1], [1, 0, 0], [0, 1, 0]])).abs().max() <= 4 * U32
    turned = adjust_colour(x, hue=torch.full((6,), 1 / 3))
    # (r, g, b) → (b, r, g): a sum of 3 terms, two of them products of x with entries below 4u
    assert (turned - x[:, [2, 0, 1]]).abs().max() <= 8 * U32


def test_hue_keeps_the_grey_level_of_every_pixel():
    x = images(h=5, w=5) * 0.5 + 0.25                                     # far from 0 and 1: no clipping
    turned = adjust_colour(x, hue=torch.linspace(-0.08, 0.08, 6))
    # small turns keep x + R x − x within [0, 1]; the channel mean changes by rounding only
    assert turned.min() > 0 and turned.max() < 1
    assert (turned.mean(1) - x.mean(1)).abs().max() <= 8 * U32


def test_neutral_colour_factors_change_nothing_and_extreme_ones_do_what_they_say():
    x = images()
    # brightness ×1 is exact; contrast and saturation m + 1·(x − m): two roundings each of numbers <= 1
    assert (adjust_colour(x) - x).abs().max() <= 6 * U32
    grey = adjust_colour(x, saturation=0.0)
    assert torch.equal(grey[:, 0], grey[:, 1]) and torch.equal(grey[:, 1], grey[:, 2])
    assert (grey[:, 0] - x.mean(1)).abs().max() <= 4 * U32
    flat = adjust_colour(x, contrast=0.0)                                 # every value becomes the image mean
    assert (flat - x.mean(dim=(1, 2, 3), keepdim=True)).abs().max() <= 4 * U32 * 9 * 11 * 3
    assert torch.equal(adjust_colour(x, brightness=0.0), torch.zeros_like(x))


def test_colour_changes_keep_values_in_the_unit_interval():
    x = images(n=64)
    g = torch.Generator().manual_seed(2)
    out = adjust_colour(x, brightness=2 * torch.rand(64, generator=g), contrast=2 * torch.rand(64, generator=g),
                        saturation=2 * torch.rand(64, generator=g), hue=torch.rand(64, generator=g) - 0.5)
    assert out.min() >= 0 and out.max() <= 1
    with pytest.raises(ValueError, match="contrast"):
        adjust_colour(x, contrast=-1.0)
    with pytest.raises(ValueError, match="images"):
        adjust_colour(images(c=1))


# --- Augmentation -------------------------------------------------------------------------

FULL = dict(padding=2, scale=(0.8, 1.25), flip=0.5, brightness=0.3, contrast=0.2, saturation=0.4, hue=0.25)


def test_apply_is_the_composition_scale_crop_mirror_colour():
    x = images(h=12, w=12)
    aug = Augmentation(**FULL, seed=3)
    p = aug.sample(6)
    expected = adjust_colour(mirror(pad_crop(rescale(x, p.factors), p.offsets, 2), p.flips), p.brightness, p.contrast,
                             p.saturation, p.hue)
    assert torch.equal(aug.apply(x, p), expected)
    out = aug(x)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1


def test_the_default_augmentation_is_the_identity_and_evaluation_mode_passes_images_through():
    x = images()
    assert torch.equal(Augmentation()(x), x)
    aug = Augmentation(**FULL).eval()
    assert aug(x) is x
    aug.train()
    assert not torch.equal(aug(x), x)


def test_a_seed_gives_the_same_augmentations_and_two_seeds_differ():
    x = images()
    a, b, c = Augmentation(**FULL, seed=5), Augmentation(**FULL, seed=5), Augmentation(**FULL, seed=6)
    first, second = a(x), b(x)
    assert torch.equal(first, second) and not torch.equal(first, c(x))
    assert not torch.equal(a(x), first)                                   # the generator moves on


def _within(sample: torch.Tensor, mean: float, variance: float) -> None:
    """The sample's mean and variance agree with the distribution's within K standard errors
    (the variance's standard error from the sample's fourth central moment)."""
    n = len(sample)
    sample = sample.double()
    assert abs(sample.mean().item() - mean) <= K * math.sqrt(variance / n), (sample.mean().item(), mean)
    d2 = (sample - sample.mean()) ** 2
    se_var = math.sqrt(((d2 - d2.mean()) ** 2).mean().item() / n)
    assert abs(d2.mean().item() - variance) <= K * se_var + 2 * variance / n, (d2.mean().item(), variance)


def test_the_random_parameters_follow_their_distributions():
    n = 20_000
    aug = Augmentation(**FULL, seed=11)
    p = aug.sample(n)
    assert isinstance(p, AugmentParams) and p.offsets.dtype == torch.int64 and p.flips.dtype == torch.bool
    # offsets: uniform on {0, …, 2p}: mean p, variance ((2p + 1)² − 1) / 12, both axes
    for axis in range(2):
        _within(p.offsets[:, axis].float(), 2.0, (5**2 - 1) / 12)
    assert p.offsets.min() == 0 and p.offsets.max() == 4
    # flips: Bernoulli(0.5)
    _within(p.flips.float(), 0.5, 0.25)
    # log factors: uniform on [log a, log b]
    a, b = math.log(0.8), math.log(1.25)
    _within(p.factors.log(), (a + b) / 2, (b - a) ** 2 / 12)
    assert p.factors.min() >= 0.8 and p.factors.max() <= 1.25
    # colour factors: uniform on [1 − s, 1 + s], hue on [−h, h]: variance s² / 3
    for values, spread in ((p.brightness, 0.3), (p.contrast, 0.2), (p.saturation, 0.4), (p.hue + 1, 0.25)):
        _within(values, 1.0, spread**2 / 3)
        assert values.min() >= 1 - spread and values.max() <= 1 + spread
    # independence of two parameters drawn together: correlation within K / √n of 0
    corr = torch.corrcoef(torch.stack([p.brightness, p.hue]).double())[0, 1].item()
    assert abs(corr) <= K / math.sqrt(n)


def test_float64_images_and_the_layer_in_a_model():
    x = images(dtype=torch.float64)
    out = Augmentation(**FULL)(x)
    assert out.dtype == torch.float64 and out.shape == x.shape
    model = torch.nn.Sequential(Augmentation(flip=1.0), torch.nn.Flatten())
    y = images(n=2)
    assert torch.equal(model(y), y.flip(-1).flatten(1))                  # training mode: always mirrored
    assert torch.equal(model.eval()(y), y.flatten(1))


def test_augmentation_checks_its_settings():
    with pytest.raises(ValueError, match="scale"):
        Augmentation(scale=(1.2, 0.8))
    with pytest.raises(TypeError, match="scale"):
        Augmentation(scale=1.0)
    with pytest.raises(ValueError, match="flip"):
        Augmentation(flip=1.5)
    with pytest.raises(ValueError, match="hue"):
        Augmentation(hue=0.7)
    with pytest.raises(ValueError, match="padding_mode"):
        Augmentation(padding_mode="wrap")
    with pytest.raises(ValueError, match="n"):
        Augmentation().sample(0)
    with pytest.raises(TypeError, match="params"):
        Augmentation().apply(images(), {"flips": None})
    with pytest.raises(ValueError, match="params"):
        Augmentation().apply(images(), Augmentation().sample(3))
