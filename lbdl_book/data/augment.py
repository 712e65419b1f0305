"""Data augmentation for image classification (LBDL §6.2).

A classifier trained on a few hundred images can fit them by features that hold for
those images only: the colour that most triangles of the training set happen to have,
the orientation of its few crosses. *Data augmentation* replaces each training image,
every time the model sees it, by a random transformation of it chosen so that the class
does not change: the model meets a new variant of every image at every epoch, and what
the transformations change stops being a usable cue. The transformations LBDL names are
cropping, scaling, mirroring and colour changes; here each is a function of a batch and
of per-image parameters, so that it can be tested and drawn, and :class:`Augmentation`
draws the parameters and applies them all.

Every function takes ``images`` of shape (N, C, H, W), floating point with values in
[0, 1] (C = 3 for the colour functions), and returns a batch of the same shape, on the
same device; the per-image parameters are tensors whose first dimension is N:

* :func:`mirror`: ``flips`` (N,) bool; the images where it is True are reversed left to
  right, column j becoming column W − 1 − j. Applied twice, it is the identity;
* :func:`pad_crop`: ``offsets`` (N, 2) integers (top, left) in [0, 2p]; each image is
  padded by p pixels on every side (``padding_mode``: ``"reflect"`` mirrors the image
  across its border, ``"replicate"`` repeats the edge pixels, ``"zeros"`` adds black)
  and the H × W window at its offset is kept: the content moves by (p − top, p − left)
  pixels. At the offset (p, p) it is the image itself;
* :func:`rescale`: ``factors`` (N,) > 0; each image is zoomed about its centre, by
  bilinear interpolation: output pixel at position u from the centre shows the input at
  u / factor, so a factor above 1 enlarges the content (and crops it), below 1 shrinks it
  and fills the border by reflection. Factor 1 is the identity up to rounding;
* :func:`adjust_colour`: ``brightness``, ``contrast``, ``saturation`` (N,) ≥ 0 and
  ``hue`` (N,) in turns; with g the grey level of a pixel (the mean of its three channels)
  and m the mean grey level of the image, each pixel x (a colour, 3 values) becomes

      x ← brightness · x,   x ← m + contrast · (x − m),   x ← g + saturation · (x − g),
      x ← R(2π · hue) x,

  where R(θ) rotates colours by θ about the grey axis (1, 1, 1) (:func:`hue_rotation`):
  it keeps the grey level of every pixel and turns its hue; a third of a turn maps
  red → green → blue → red exactly. Values are then clipped to [0, 1].

:class:`Augmentation` (an ``nn.Module``) holds the ranges: ``padding`` p (offsets uniform
in {0, …, 2p}², independently per axis), ``scale`` (a, b) (log-uniform factors in
[a, b]), ``flip`` (the probability of a mirror), ``brightness`` b, ``contrast`` c,
``saturation`` s (factors uniform in [1 − b, 1 + b], …), ``hue`` h (a rotation uniform in
[−h, h] turns). :meth:`Augmentation.sample` draws the parameters of N images
(:class:`AugmentParams`) from a ``torch.Generator``; :meth:`Augmentation.apply` applies
them in the order scale, crop, mirror, colour. Called as a layer, it augments in training
mode and passes the images through unchanged in evaluation mode, so that
``nn.Sequential(Augmentation(...), model)`` trained with :func:`lbdl_book.fit` sees a new
variant of every image at every step and is evaluated on the images themselves. It
draws from its own generator, seeded by ``seed``: a run is reproducible.

The parameters are drawn on the CPU (the same numbers on every device) and moved to the
images' device; the images are transformed where they are.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import non_negative_int

__all__ = ["PADDING_MODES", "AugmentParams", "Augmentation", "adjust_colour", "hue_rotation", "mirror", "pad_crop",
           "rescale"]

PADDING_MODES = ("reflect", "replicate", "zeros")


def _check_images(images, name: str = "images", *, channels: int | None = None) -> torch.Tensor:
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape (N, C, H, W), got {type(images).__name__}")
    if not images.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {images.dtype}")
    if images.dim() != 4 or min(images.shape) == 0 or (channels is not None and images.shape[1] != channels):
        c = "C" if channels is None else str(channels)
        raise ValueError(f"{name} must have shape (N, {c}, H, W) with N, H, W >= 1, got {tuple(images.shape)}")
    return images


def _per_image(value, name: str, n: int, *, dtype=None, low: float | None = None) -> torch.Tensor:
    """``value`` as a tensor of shape (n,) (a Python number is repeated), checked."""
    if isinstance(value, Real) and not isinstance(value, bool):
        value = torch.full((n,), float(value))
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of shape (N,) = ({n},) or a number, got {type(value).__name__}")
    if value.shape != (n,):
        raise ValueError(f"{name} must have shape (N,) = ({n},), got {tuple(value.shape)}")
    if dtype is torch.bool:
        if value.dtype != torch.bool:
            raise TypeError(f"{name} must be a bool tensor, got {value.dtype}")
        return value
    if value.dtype == torch.bool or value.is_complex():
        raise TypeError(f"{name} must be a real tensor, got {value.dtype}")
    if not torch.isfinite(value.float()).all() or (low is not None and (value < low).any()):
        bound = f" and >= {low}" if low is not None else ""
        raise ValueError(f"{name} must be finite{bound}, got values in [{value.min().item()}, {value.max().item()}]")
    return value


def mirror(images: torch.Tensor, flips: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) → (N, C, H, W): the images where ``flips`` (N,) is True reversed left to
    right (column j ↔ column W − 1 − j), the others unchanged."""
    _check_images(images)
    flips = _per_image(flips, "flips", len(images), dtype=torch.bool).to(images.device)
    return torch.where(flips.view(-1, 1, 1, 1), images.flip(-1), images)


def pad_crop(images: torch.Tensor, offsets: torch.Tensor, padding: int, padding_mode: str = "reflect") -> torch.Tensor:
    """(N, C, H, W) → (N, C, H, W): each image padded by ``padding`` = p pixels on every side,
    then the H × W window whose top-left corner is at ``offsets[i]`` = (top, left), two
    integers in [0, 2p], kept. The content moves down by p − top and right by p − left
    pixels; the offset (p, p) gives the image back. ``padding_mode``: one of
    :data:`PADDING_MODES` ("reflect" needs p < H and p < W)."""
    _check_images(images)
    p = non_negative_int(padding, "padding")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
    n, _, height, width = images.shape
    if padding_mode == "reflect" and p >= min(height, width):
        raise ValueError(f"padding must be smaller than the image side {min(height, width)} with reflect padding, "
                         f"got {p}")
    if not isinstance(offsets, torch.Tensor):
        raise TypeError(f"offsets must be an integer tensor of shape (N, 2), got {type(offsets).__name__}")
    if offsets.is_floating_point() or offsets.is_complex() or offsets.dtype == torch.bool:
        raise TypeError(f"offsets must be an integer tensor, got {offsets.dtype}")
    if offsets.shape != (n, 2) or (offsets < 0).any() or (offsets > 2 * p).any():
        raise ValueError(f"offsets must have shape (N, 2) = ({n}, 2) with values in [0, 2·padding] = [0, {2 * p}], "
                         f"got shape {tuple(offsets.shape)}" + (f" and values in [{offsets.min().item()}, "
                                                                 f"{offsets.max().item()}]" if offsets.numel() else ""))
    mode = "constant" if padding_mode == "zeros" else padding_mode
    padded = F.pad(images, (p, p, p, p), mode=mode) if p else images
    offsets = offsets.to(images.device).long()
    rows = offsets[:, :1] + torch.arange(height, device=images.device)           # (N, H)
    cols = offsets[:, 1:] + torch.arange(width, device=images.device)            # (N, W)
    batch = torch.arange(n, device=images.device).view(n, 1, 1)
    return padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)   # (N, H, W, C) → (N, C, H, W)


def rescale(images: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """(N, C, H, W) → (N, C, H, W): each image zoomed by ``factors[i]`` > 0 about its centre,
    by bilinear interpolation; the output at position u from the centre is the input at
    u / factor (above 1: enlarged, the border cut; below 1: shrunk, the border filled by
    reflecting the image)."""
    _check_images(images)
    factors = _per_image(factors, "factors", len(images))
    if not (factors > 0).all():
        raise ValueError(f"factors must be > 0, got a minimum of {factors.min().item()}")
    theta = torch.zeros(len(images), 2, 3, dtype=images.dtype, device=images.device)
    theta[:, 0, 0] = theta[:, 1, 1] = 1 / factors.to(images)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def hue_rotation(turns: torch.Tensor) -> torch.Tensor:
    """(N,) angles in turns → (N, 3, 3) rotations of the RGB cube about the grey axis
    n = (1, 1, 1)/√3 (Rodrigues' formula): R = cos θ I + sin θ [n]ₓ + (1 − cos θ) n nᵀ with
    θ = 2π · turns. A colour x becomes R x: its grey level (the mean of its channels) is
    kept, its hue turned by θ; at θ = 2π/3 R is the permutation (r, g, b) → (b, r, g)."""
    if not isinstance(turns, torch.Tensor) or turns.dim() != 1 or not turns.is_floating_point():
        got = f"{turns.dtype} tensor of shape {tuple(turns.shape)}" if isinstance(turns, torch.Tensor) \
            else type(turns).__name__
        raise TypeError(f"turns must be a floating-point tensor of shape (N,), got {got}")
    if not torch.isfinite(turns).all():
        raise ValueError("turns must be finite")
    theta = 2 * math.pi * turns.double()
    cos, sin = torch.cos(theta).view(-1, 1, 1), torch.sin(theta).view(-1, 1, 1)
    axis = torch.full((3,), 1 / math.sqrt(3), dtype=torch.float64, device=turns.device)
    cross = torch.tensor([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]], dtype=torch.float64,
                         device=turns.device) / math.sqrt(3)                        # [n]ₓ
    eye = torch.eye(3, dtype=torch.float64, device=turns.device)
    return (cos * eye + sin * cross + (1 - cos) * torch.outer(axis, axis)).to(turns.dtype)


def adjust_colour(images: torch.Tensor, brightness=1.0, contrast=1.0, saturation=1.0, hue=0.0) -> torch.Tensor:
    """(N, 3, H, W) → (N, 3, H, W): brightness, contrast, saturation and hue of each image
    changed by its own factor (tensors of shape (N,), or one number for all; see the module
    docstring for the formulas), then clipped to [0, 1]. The factors 1, 1, 1 and hue 0
    leave an image in [0, 1] as it is, up to rounding."""
    _check_images(images, channels=3)
    n = len(images)
    shape = (n, 1, 1, 1)
    brightness = _per_image(brightness, "brightness", n, low=0.0).to(images).view(shape)
    contrast = _per_image(contrast, "contrast", n, low=0.0).to(images).view(shape)
    saturation = _per_image(saturation, "saturation", n, low=0.0).to(images).view(shape)
    hue = _per_image(hue, "hue", n).to(images)
    x = images * brightness
    mean = x.mean(dim=(1, 2, 3), keepdim=True)                    # m: the mean grey level of each image
    x = mean + contrast * (x - mean)
    grey = x.mean(dim=1, keepdim=True)                            # g: the grey level of each pixel
    x = grey + saturation * (x - grey)
    x = torch.einsum("nij,njhw->nihw", hue_rotation(hue), x)
    return x.clamp(0, 1)


class AugmentParams(NamedTuple):
    """The random parameters of a batch of N images (see :class:`Augmentation`)."""

    factors: torch.Tensor      # (N,) zoom factors (rescale)
    offsets: torch.Tensor      # (N, 2) int64 crop offsets (top, left) in [0, 2p]
    flips: torch.Tensor        # (N,) bool
    brightness: torch.Tensor   # (N,)
    contrast: torch.Tensor     # (N,)
    saturation: torch.Tensor   # (N,)
    hue: torch.Tensor          # (N,) in turns


def _fraction(value, name: str, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if not 0 <= value <= high:
        raise ValueError(f"{name} must be in [0, {high}], got {value!r}")
    return float(value)


class Augmentation(nn.Module):
    """Random cropping, scaling, mirroring and colour changes of a batch: (N, 3, H, W) →
    (N, 3, H, W). See the module docstring for each transformation and its parameters.

    ``padding`` (p, pixels), ``padding_mode``, ``scale`` (a, b) with 0 < a ≤ b, ``flip``
    (a probability), ``brightness``, ``contrast``, ``saturation`` (in [0, 1]), ``hue`` (in
    [0, 0.5] turns), ``seed`` of the module's own generator. The defaults change nothing:
    each transformation is switched on by its argument."""

    def __init__(self, *, padding: int = 0, padding_mode: str = "reflect", scale: tuple[float, float] = (1.0, 1.0),
                 flip: float = 0.0, brightness: float = 0.0, contrast: float = 0.0, saturation: float = 0.0,
                 hue: float = 0.0, seed: int = 0):
        super().__init__()
        self.padding = non_negative_int(padding, "padding")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.padding_mode = padding_mode
        if (not isinstance(scale, (tuple, list)) or len(scale) != 2
                or not all(isinstance(v, Real) and not isinstance(v, bool) for v in scale)):
            raise TypeError(f"scale must be a pair of numbers (a, b), got {scale!r}")
        if not 0 < scale[0] <= scale[1] < math.inf:
            raise ValueError(f"scale must satisfy 0 < a <= b < inf, got {tuple(scale)}")
        self.scale = (float(scale[0]), float(scale[1]))
        self.flip = _fraction(flip, "flip", 1.0)
        self.brightness = _fraction(brightness, "brightness", 1.0)
        self.contrast = _fraction(contrast, "contrast", 1.0)
        self.saturation = _fraction(saturation, "saturation", 1.0)
        self.hue = _fraction(hue, "hue", 0.5)
        non_negative_int(seed, "seed")
        self.seed = seed
        self.generator = torch.Generator().manual_seed(seed)

    def sample(self, n: int, generator: torch.Generator | None = None) -> AugmentParams:
        """The parameters of ``n`` images, drawn on the CPU from ``generator`` (default: the
        module's own): factors log-uniform in [a, b], offsets uniform in {0, …, 2p}² (each
        axis independently), flips Bernoulli(``flip``), brightness, contrast and saturation
        uniform in [1 − b, 1 + b] …, hue uniform in [−h, h]."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        if generator is None:
            generator = self.generator
        elif not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
        g = generator
        low, high = math.log(self.scale[0]), math.log(self.scale[1])
        factors = torch.exp(low + (high - low) * torch.rand(n, generator=g))
        offsets = torch.randint(0, 2 * self.padding + 1, (n, 2), generator=g)
        flips = torch.rand(n, generator=g) < self.flip

        def spread(half_width):
            return 1 + half_width * (2 * torch.rand(n, generator=g) - 1)

        brightness, contrast, saturation = spread(self.brightness), spread(self.contrast), spread(self.saturation)
        hue = self.hue * (2 * torch.rand(n, generator=g) - 1)
        return AugmentParams(factors, offsets, flips, brightness, contrast, saturation, hue)

    def apply(self, images: torch.Tensor, params: AugmentParams) -> torch.Tensor:
        """``images`` (N, 3, H, W) rescaled, cropped, mirrored and recoloured by ``params``
        (the transformations whose range is trivial are skipped)."""
        _check_images(images, channels=3)
        if not isinstance(params, AugmentParams):
            raise TypeError(f"params must be an AugmentParams (from Augmentation.sample), got {type(params).__name__}")
        if len(params.flips) != len(images):
            raise ValueError(f"params must be drawn for N = {len(images)} images, got {len(params.flips)}")
        x = images
        if self.scale != (1.0, 1.0):
            x = rescale(x, params.factors)
        if self.padding:
            x = pad_crop(x, params.offsets, self.padding, self.padding_mode)
        if self.flip:
            x = mirror(x, params.flips)
        if self.brightness or self.contrast or self.saturation or self.hue:
            x = adjust_colour(x, params.brightness, params.contrast, params.saturation, params.hue)
        return x

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """In training mode, ``apply(images, sample(N))``; in evaluation mode, ``images``."""
        _check_images(images, channels=3)
        if not self.training:
            return images
        return self.apply(images, self.sample(len(images)))

    def extra_repr(self) -> str:
        return (f"padding={self.padding}, padding_mode={self.padding_mode!r}, scale={self.scale}, flip={self.flip}, "
                f"brightness={self.brightness}, contrast={self.contrast}, saturation={self.saturation}, "
                f"hue={self.hue}, seed={self.seed}")
