"""The degradations of §6.1 (lbdl_book.data.degrade): shapes, exact values on hand-made
images, the statistics of the noise, the hole, reproducibility with a seed, and bad inputs.

Tolerances. Block means, the luma and the disc average are sums of at most k² terms of
magnitude ≤ 1 with positive weights summing to 1, so two evaluations differ by at most
2·γ_{k²+1}·max|x| (γ_n = n·u/(1 − n·u), u the unit roundoff). The noise test is statistical:
5 standard errors.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from _bounds import gamma
from lbdl_book.data.degrade import (KINDS, LUMA, add_noise, cut_hole, defocus, degrade, degrade_mixed, disc_kernel,
                                    downscale, greyscale, low_resolution, upscale)
from lbdl_book.data.scenes import generate_scenes


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return generate_scenes(16, size=32, seed=5).images


def test_every_degradation_keeps_the_shape_and_dtype(images):
    for kind, level in zip(KINDS, (0.2, 8, 4, 1.0, 2.0)):
        out = degrade(images, kind, level, generator=torch.Generator().manual_seed(0))
        assert out.shape == images.shape and out.dtype == images.dtype, kind
        assert not torch.equal(out, images), kind


def test_noise_is_gaussian_with_the_stated_sigma(images):
    sigma = 0.2
    noise = (add_noise(images, sigma, generator=torch.Generator().manual_seed(1)) - images).flatten()
    n = noise.numel()
    # mean 0 and variance σ² within 5 standard errors (the variance of a squared N(0, σ²) is 2σ⁴)
    assert abs(noise.mean().item()) < 5 * sigma / math.sqrt(n)
    assert abs(noise.square().mean().item() - sigma**2) < 5 * math.sqrt(2) * sigma**2 / math.sqrt(n)
    assert torch.equal(add_noise(images, 0.0), images)


def test_the_hole_is_one_black_square_of_the_given_side_inside_the_image(images):
    holed, mask = cut_hole(images, 12, generator=torch.Generator().manual_seed(2), return_mask=True)
    assert mask.shape == (16, 1, 32, 32) and mask.dtype == torch.bool
    assert (mask.flatten(1).sum(1) == 144).all()
    rows, cols = mask.any(3).squeeze(1), mask.any(2).squeeze(1)       # (N, 32): which rows and columns it touches
    assert (rows.sum(1) == 12).all() and (cols.sum(1) == 12).all()
    assert (holed.masked_select(mask) == 0).all()
    assert torch.equal(holed.masked_select(~mask), images.masked_select(~mask.expand_as(images)))
    # no pixel of a scene is black in all three channels, so the hole is visible in the image itself
    assert not (images == 0).all(1).any()
    positions = {(int(r.nonzero()[0]), int(c.nonzero()[0])) for r, c in zip(rows, cols)}
    assert len(positions) > 1                                          # drawn at random, not always the same


def test_a_seed_gives_the_same_degradation():
    x = generate_scenes(4, size=32, seed=6).images
    for kind, level in (("noise", 0.1), ("hole", 8)):
        a = degrade(x, kind, level, generator=torch.Generator().manual_seed(3))
        b = degrade(x, kind, level, generator=torch.Generator().manual_seed(3))
        c = degrade(x, kind, level, generator=torch.Generator().manual_seed(4))
        assert torch.equal(a, b) and not torch.equal(a, c), kind


def test_downscale_averages_blocks_and_upscale_repeats_them():
    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float64).view(2, 3, 4, 4)
    small = downscale(x, 2)
    assert small.shape == (2, 3, 2, 2)
    assert small[0, 0].tolist() == [[(0 + 1 + 4 + 5) / 4, (2 + 3 + 6 + 7) / 4], [(8 + 9 + 12 + 13) / 4, (10 + 11 + 14 + 15) / 4]]
    big = upscale(small, 2)
    assert big.shape == x.shape and torch.equal(big[..., ::2, ::2], small) and torch.equal(big[..., 1::2, 1::2], small)
    assert torch.equal(low_resolution(x, 2), big)
    # a picture already constant on blocks is unchanged (up to the rounding of a mean of 4 equal values)
    blocky = upscale(torch.rand(2, 3, 8, 8, dtype=torch.float64), 4)
    assert (low_resolution(blocky, 4) - blocky).abs().max() <= 2 * gamma(17, torch.float64)
    with pytest.raises(ValueError, match="factor"):
        downscale(torch.rand(1, 3, 6, 6), 4)


def test_greyscale_puts_the_luma_in_every_channel(images):
    grey = greyscale(images)
    assert torch.equal(grey[:, 0], grey[:, 1]) and torch.equal(grey[:, 1], grey[:, 2])
    red = torch.zeros(1, 3, 2, 2)
    red[:, 0] = 1.0
    assert torch.allclose(greyscale(red), torch.full_like(red, LUMA[0]), rtol=0, atol=2 * gamma(4, torch.float32))
    assert torch.equal(greyscale(images, 0.0), images)
    half = greyscale(images, 0.5)
    bound = 2 * gamma(6, torch.float32) * images.abs().max()
    assert ((half - (images + grey) / 2).abs() <= bound).all()


def test_the_defocus_kernel_is_a_disc_and_the_blur_keeps_constants():
    assert disc_kernel(0.0).tolist() == [[1.0]]
    k1 = disc_kernel(1.0, torch.float64)
    assert torch.equal(k1 > 0, torch.tensor([[False, True, False], [True, True, True], [False, True, False]]))
    assert torch.allclose(k1.sum(), torch.tensor(1.0, dtype=torch.float64))
    k3 = disc_kernel(3.0, torch.float64)
    assert k3.shape == (7, 7) and int((k3 > 0).sum()) == 29             # the pixels within 3 of the centre
    flat = torch.full((1, 3, 9, 9), 0.4, dtype=torch.float64)
    assert (defocus(flat, 3.0) - flat).abs().max() <= 2 * gamma(30, torch.float64) * 0.4
    # a single bright pixel spreads into the disc (far from the edges)
    dot = torch.zeros(1, 3, 9, 9, dtype=torch.float64)
    dot[..., 4, 4] = 1.0
    spread = defocus(dot, 2.0)[0, 0, 2:7, 2:7]
    assert torch.allclose(spread, disc_kernel(2.0, torch.float64), rtol=0, atol=2 * gamma(14, torch.float64))
    # the edges are repeated outward: the same as padding by hand and convolving
    x = torch.rand(2, 3, 8, 8, dtype=torch.float64)
    by_hand = F.conv2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), disc_kernel(2.0, torch.float64).expand(3, 1, 5, 5),
                       groups=3)
    assert (defocus(x, 2.0) - by_hand).abs().max() <= 2 * gamma(14, torch.float64)


def test_degrade_mixed_gives_each_image_its_own_degradation(images):
    levels = {"noise": (0.1, 0.3), "greyscale": (1.0,)}
    out, kinds, which = degrade_mixed(images, levels, generator=torch.Generator().manual_seed(0))
    assert out.shape == images.shape and kinds.shape == which.shape == (16,)
    assert set(kinds.tolist()) <= {KINDS.index("noise"), KINDS.index("greyscale")}
    for i in range(16):
        if kinds[i] == KINDS.index("greyscale"):
            assert torch.equal(out[i], greyscale(images[i:i + 1])[0])
        else:
            residual = (out[i] - images[i]).std().item()
            sigma = levels["noise"][int(which[i])]
            # the sample std of 3072 Gaussian values is within 5 standard errors (σ/√(2n)) of σ
            assert abs(residual - sigma) < 5 * sigma / math.sqrt(2 * out[i].numel()), (i, residual, sigma)
    again = degrade_mixed(images, levels, generator=torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip((out, kinds, which), again))


def test_bad_arguments_name_themselves(images):
    with pytest.raises(ValueError, match="kind"):
        degrade(images, "jpeg", 1)
    with pytest.raises(ValueError, match="images"):
        add_noise(torch.rand(3, 32, 32), 0.1)
    with pytest.raises(ValueError, match="size"):
        cut_hole(images, 40)
    with pytest.raises(ValueError, match="amount"):
        greyscale(images, 1.5)
    with pytest.raises(ValueError, match="sigma"):
        add_noise(images, -0.1)
    with pytest.raises(TypeError, match="generator"):
        add_noise(images, 0.1, generator=0)
    with pytest.raises(ValueError, match="levels"):
        degrade_mixed(images, {"noise": ()})
