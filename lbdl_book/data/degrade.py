"""Degradations of images, for image denoising (LBDL §6.1).

A denoising model is trained on pairs (X̃, X): a clean image X and a degraded version
X̃ of it. Photographs taken in bad conditions would give such pairs; here, as in most
practice, they are made by degrading clean images with an algorithm. Each function
below takes a batch ``images`` of shape (N, 3, H, W) with values in [0, 1] (such as
:func:`lbdl_book.data.scenes.generate_scenes` draws) and returns a degraded batch **of
the same shape**, so that a network can map one to the other pixel for pixel; the
random ones take a ``generator`` (a seeded ``torch.Generator``; ``None`` draws from
PyTorch's global one):

* :func:`add_noise`: X + σ·Z, Z standard Gaussian per value (sensor noise of a
  photograph taken in low light). Not clipped to [0, 1], so that the noise is exactly
  Gaussian;
* :func:`cut_hole`: a square of ``size`` × ``size`` pixels, at a random position
  inside the image, set to 0 in every channel (a masked region, to fill in). No scene
  pixel is 0 in all three channels, so the hole is visible in X̃ itself;
* :func:`downscale` and :func:`upscale`: the mean of every ``factor`` × ``factor``
  block (a picture of lower resolution), and the reverse direction, each low-resolution
  pixel repeated over its block, which brings the image back to H × W;
  :func:`low_resolution` is the two in turn;
* :func:`greyscale`: the colour replaced by the luma Y = 0.299 R + 0.587 G + 0.114 B
  (ITU-R BT.601) in all three channels; ``amount`` < 1 removes that fraction of it;
* :func:`defocus`: the average over a disc of ``radius`` pixels around every pixel,
  the blur of a lens out of focus (its point spread function is a disc, not a Gaussian).

Borders: the blur repeats the edge pixels outward ("replicate" padding). Everything
is computed on whole batches, on the device of ``images``.

:func:`degrade` applies one of them by name (:data:`KINDS`), and :func:`degrade_mixed`
gives every image of a batch its own degradation and strength, drawn at random from a
table of levels: the training data of a single network for all of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real

import torch
import torch.nn.functional as F

from .._checks import positive_int

__all__ = ["KINDS", "LUMA", "add_noise", "cut_hole", "defocus", "degrade", "degrade_mixed", "disc_kernel",
           "downscale", "greyscale", "low_resolution", "upscale"]

KINDS = ("noise", "hole", "downscale", "greyscale", "blur")
LUMA = (0.299, 0.587, 0.114)          # ITU-R BT.601 weights of R, G and B in the luma


def _check_images(images, name: str = "images") -> torch.Tensor:
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, 3, H, W), got {type(images).__name__}")
    if not images.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {images.dtype}")
    if images.dim() != 4 or images.shape[1] != 3 or images.shape[0] == 0 or min(images.shape[2:]) == 0:
        raise ValueError(f"{name} must have shape (N, 3, H, W) with N, H, W >= 1, got {tuple(images.shape)}")
    return images


def _check_generator(generator) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")


def _real(value, name: str, low: float, high: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not (low <= value <= high) or math.isnan(value):
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
    return float(value)


def _randn(shape, generator, like: torch.Tensor) -> torch.Tensor:
    """Standard Gaussian values drawn on the CPU (the same numbers on every device), moved to ``like``."""
    return torch.randn(shape, generator=generator, dtype=like.dtype).to(like.device)


def add_noise(images: torch.Tensor, sigma: float, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """X + σ·Z with Z ~ N(0, 1) independently for every value of ``images`` (N, 3, H, W)."""
    _check_images(images)
    sigma = _real(sigma, "sigma", 0.0)
    _check_generator(generator)
    return images + sigma * _randn(images.shape, generator, images)


def cut_hole(images: torch.Tensor, size: int, *, generator: torch.Generator | None = None,
             return_mask: bool = False):
    """``images`` (N, 3, H, W) with one square of ``size`` × ``size`` pixels per image set to 0,
    at a position drawn uniformly among those where the square fits. With ``return_mask``,
    also the (N, 1, H, W) boolean mask of the hole (True where the pixel is missing)."""
    _check_images(images)
    positive_int(size, "size")
    n, _, height, width = images.shape
    if size > min(height, width):
        raise ValueError(f"size must be at most the image side {min(height, width)}, got {size}")
    if not isinstance(return_mask, bool):
        raise TypeError(f"return_mask must be a bool, got {type(return_mask).__name__}")
    _check_generator(generator)
    top = torch.randint(0, height - size + 1, (n, 1, 1, 1), generator=generator).to(images.device)
    left = torch.randint(0, width - size + 1, (n, 1, 1, 1), generator=generator).to(images.device)
    rows = torch.arange(height, device=images.device).view(1, 1, height, 1)
    cols = torch.arange(width, device=images.device).view(1, 1, 1, width)
    mask = (rows >= top) & (rows < top + size) & (cols >= left) & (cols < left + size)
    holed = images.masked_fill(mask, 0.0)
    return (holed, mask) if return_mask else holed


def _check_factor(images: torch.Tensor, factor) -> int:
    positive_int(factor, "factor")
    if images.shape[2] % factor or images.shape[3] % factor:
        raise ValueError(f"factor must divide the height and width of images {tuple(images.shape[2:])}, got {factor}")
    return factor


def downscale(images: torch.Tensor, factor: int) -> torch.Tensor:
    """(N, 3, H, W) → (N, 3, H / factor, W / factor): the mean of every ``factor`` × ``factor`` block."""
    _check_images(images)
    return F.avg_pool2d(images, _check_factor(images, factor))


def upscale(images: torch.Tensor, factor: int) -> torch.Tensor:
    """(N, 3, h, w) → (N, 3, h·factor, w·factor): every pixel repeated over a ``factor`` ×
    ``factor`` block (nearest-neighbour upsampling), the reverse direction of :func:`downscale`."""
    _check_images(images)
    positive_int(factor, "factor")
    return images.repeat_interleave(factor, dim=2).repeat_interleave(factor, dim=3)


def low_resolution(images: torch.Tensor, factor: int) -> torch.Tensor:
    """``upscale(downscale(images, factor), factor)``: the image at 1/``factor`` of its
    resolution, shown at its original size (N, 3, H, W)."""
    return upscale(downscale(images, factor), factor)


def greyscale(images: torch.Tensor, amount: float = 1.0) -> torch.Tensor:
    """X + amount·(Y − X), with Y the luma of each pixel (:data:`LUMA`) in all three
    channels: ``amount`` = 1 leaves a grey image (R = G = B exactly), 0 the image itself."""
    _check_images(images)
    amount = _real(amount, "amount", 0.0, 1.0)
    weights = torch.tensor(LUMA, dtype=images.dtype, device=images.device).view(1, 3, 1, 1)
    luma = (images * weights).sum(1, keepdim=True).expand_as(images)
    return torch.lerp(images, luma, amount)          # exactly the luma in every channel when amount = 1


def disc_kernel(radius: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The (2r + 1) × (2r + 1) kernel of :func:`defocus`, r = ⌊``radius``⌋: equal weights on
    the pixels whose centre lies within ``radius`` of the centre, summing to 1."""
    radius = _real(radius, "radius", 0.0)
    r = math.floor(radius)
    offsets = torch.arange(-r, r + 1, dtype=torch.float64)
    inside = (offsets.view(-1, 1) ** 2 + offsets.view(1, -1) ** 2 <= radius ** 2).double()
    return (inside / inside.sum()).to(dtype)


def defocus(images: torch.Tensor, radius: float) -> torch.Tensor:
    """Every pixel of ``images`` (N, 3, H, W) replaced by the mean of the pixels within
    ``radius`` of it (the :func:`disc_kernel`), edges repeated outward."""
    _check_images(images)
    kernel = disc_kernel(radius, images.dtype).to(images.device)
    r = kernel.shape[0] // 2
    padded = F.pad(images, (r, r, r, r), mode="replicate") if r else images
    return F.conv2d(padded, kernel.expand(3, 1, -1, -1), groups=3)


def degrade(images: torch.Tensor, kind: str, level, *, generator: torch.Generator | None = None) -> torch.Tensor:
    """Apply the degradation ``kind`` (one of :data:`KINDS`) at strength ``level``: σ for
    "noise", the side of the square for "hole", the factor for "downscale" (with the
    reverse direction, :func:`low_resolution`), the amount for "greyscale", the radius for
    "blur". Same shape as ``images``."""
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    _check_images(images)
    _check_generator(generator)
    try:
        if kind == "noise":
            return add_noise(images, level, generator=generator)
        if kind == "hole":
            return cut_hole(images, level, generator=generator)
        if kind == "downscale":
            return low_resolution(images, level)
        if kind == "greyscale":
            return greyscale(images, level)
        return defocus(images, level)
    except (TypeError, ValueError) as error:          # name the argument of this function, not the inner one's
        raise type(error)(f"level of {kind!r}: {error}") from None


def degrade_mixed(images: torch.Tensor, levels: Mapping[str, Sequence], *, weights: Mapping[str, float] | None = None,
                  generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Degrade every image of ``images`` (N, 3, H, W) with its own kind and level, drawn at
    random: first a kind among the keys of ``levels`` (kinds of :data:`KINDS`), with
    probabilities proportional to ``weights`` (default: all equal), then one of its
    ``levels[kind]``, uniformly. Returns the degraded batch, the index in :data:`KINDS` of
    each image's kind (N,) and the index of its level in ``levels[kind]`` (N,)."""
    _check_images(images)
    if not isinstance(levels, Mapping) or not levels:
        raise TypeError(f"levels must be a non-empty dict {{kind: [level, ...]}}, got {type(levels).__name__}")
    for kind, values in levels.items():
        if kind not in KINDS:
            raise ValueError(f"levels: kind must be one of {KINDS}, got {kind!r}")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or not values:
            raise ValueError(f"levels[{kind!r}] must be a non-empty sequence of levels, got {values!r}")
    _check_generator(generator)
    n, kinds = len(images), list(levels)
    if weights is None:
        which = torch.randint(0, len(kinds), (n,), generator=generator)
    else:
        if not isinstance(weights, Mapping) or set(weights) != set(kinds):
            raise ValueError(f"weights must be a dict with the kinds of levels as keys {kinds}, got {weights!r}")
        p = torch.tensor([_real(weights[kind], f"weights[{kind!r}]", 0.0) for kind in kinds], dtype=torch.float64)
        if not p.sum() > 0:
            raise ValueError(f"weights must not all be 0, got {weights!r}")
        which = torch.multinomial(p, n, replacement=True, generator=generator)
    level_index = torch.zeros(n, dtype=torch.int64)
    out = torch.empty_like(images)
    for k, kind in enumerate(kinds):
        chosen = (which == k).nonzero().flatten()
        level_index[chosen] = torch.randint(0, len(levels[kind]), (len(chosen),), generator=generator)
        for j, level in enumerate(levels[kind]):
            rows = chosen[level_index[chosen] == j]
            if len(rows):
                index = rows.to(images.device)
                out[index] = degrade(images[index], kind, level, generator=generator)
    kind_index = torch.tensor([KINDS.index(kind) for kind in kinds])[which]
    return out, kind_index, level_index
