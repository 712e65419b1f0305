"""Image denoising (LBDL §6.1): a convolutional network with same-resolution skip
connections, the classical filters it is compared with, and PSNR.

A denoising autoencoder f maps a degraded image X̃ to an estimate of the clean image X.
Trained by minimising the mean squared error over pixels,

    L(w) = E ‖f(X̃; w) − X‖²,

the best possible f is the conditional mean f*(x̃) = E[X | X̃ = x̃]: for each x̃, the
average of all the clean images that could have produced it. Where X̃ determines X, that
is X; where it does not (a large hole, a colour lost to greyscale), it is a blend of the
possibilities, which no single real image looks like.

:class:`Denoiser` is a small U-Net [Ronneberger et al., 2015] built from the layers of
:mod:`lbdl_book.nn`. With widths (w_0, …, w_L), on an input of 3 × H × W (H and W
divisible by 2^L):

    G   = X̃, its missing pixels M filled    3 × H × W   (M: black in every channel)
    E_0 = block(concat(G, M))               w_0 × H × W
    E_l = block(maxpool₂(E_{l−1}))          w_l × H/2^l × W/2^l,     l = 1 … L
    D_L = E_L
    D_l = block(concat(E_l, up(D_{l+1})))   w_l × H/2^l × W/2^l,     l = L−1 … 0
    f(X̃) = G + conv₁ₓ₁(D_0)                 3 × H × W

where block = (3 × 3 convolution without bias → batch norm → ReLU) twice, up is a 2 × 2
transposed convolution of stride 2 (w_{l+1} → w_l channels), and the concatenation is the
same-resolution skip connection: the decoder gets back the details of E_l that the
pooling dropped. The final "G +" (``residual=True``) makes the network predict a
correction to the first guess G rather than the whole image; the head starts at zero, so an
untrained network returns G. G is X̃ itself, except that the pixels that are exactly 0 in
every channel (the hole of :func:`lbdl_book.data.degrade.cut_hole`; no scene pixel is black)
are filled by the normalised Gaussian convolution of the known pixels (σ = ``fill_sigma``,
:func:`gaussian_filter` with ``known``), and the network also reads that mask M as a
fourth input channel (``fill_missing=True``; ``False``: G = X̃ and no mask channel).

Classical filters, the baselines (written with ``conv2d`` and ``unfold``, borders
repeated outward like ``scipy.ndimage``'s ``mode="nearest"``):

* :func:`gaussian_filter`: the weighted mean with weights exp(−d²/2σ²) over a window of
  radius ⌊4σ + ½⌋ (scipy's kernel), one axis after the other;
* :func:`median_filter`: the median of the ``size`` × ``size`` window;
* with ``known`` (an (N, 1, H, W) mask of the pixels that are not missing), both use the
  known pixels only: the Gaussian filter becomes G∗(X̃·m) / G∗m (normalised convolution
  [Knutsson and Westin, 1993]), the median one the median of the known pixels of the
  window. :func:`classical_restore` then changes the missing pixels only.

PSNR = 10 log₁₀(1 / MSE) for images in [0, 1] (:func:`psnr`, per image, in decibels).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from lbdl_book._checks import model_input, module, positive_int
from lbdl_book.data.degrade import KINDS, _check_images, degrade, degrade_mixed
from lbdl_book.nn.activations import ReLU
from lbdl_book.nn.conv import Conv2d, ConvTranspose2d
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.norm import BatchNorm2d
from lbdl_book.nn.pooling import MaxPool2d
from lbdl_book.train import eval_mode, predict

__all__ = ["FILTERS", "IMAGE_SIZE", "KIND_WEIGHTS", "LEVELS", "SHIPPED", "TABLE_LEVELS", "Denoiser", "binned_mean",
           "chroma", "classical_restore", "evaluate_levels", "feature_shapes", "gaussian_filter", "gaussian_kernel1d",
           "median_filter", "missing_pixels", "object_colours", "object_interior", "psnr", "restore", "train_shipped",
           "training_pairs", "tune_filter"]

IMAGE_SIZE = 32
# The strengths of each degradation, for 32 × 32 images: σ of the noise, side of the hole
# (pixels), downscaling factor, amount of colour removed, radius of the defocus blur (pixels).
LEVELS: dict[str, tuple] = {"noise": (0.1, 0.2, 0.3), "hole": (8, 12, 16), "downscale": (2, 4, 8),
                            "greyscale": (1 / 3, 2 / 3, 1.0), "blur": (1.0, 2.0, 3.0)}
# How often each kind is drawn for training. The squared error of a noisy image is spread over
# all its pixels and large; that of a hole sits in the hole only (a seventh of the image at
# 12 × 12), that of a blur, a low resolution or a lost colour is small: drawn equally often,
# the noise would dominate the gradient. Holes are drawn 10 times as often as noise, the
# others twice.
KIND_WEIGHTS: dict[str, float] = {"noise": 1.0, "hole": 10.0, "downscale": 2.0, "greyscale": 2.0, "blur": 2.0}
# The strength of each degradation in the PSNR table of §6.1.
TABLE_LEVELS: dict[str, float] = {"noise": 0.2, "hole": 12, "downscale": 4, "greyscale": 1.0, "blur": 2.0}
# The classical filters and their parameters (σ in pixels, window side): the candidates tuned per degradation.
FILTERS: dict[str, tuple] = {"identity": (0,), "gaussian": (0.5, 0.75, 1.0, 1.5, 2.0, 3.0), "median": (3, 5, 7)}


# --- the network ------------------------------------------------------------------------

def _block(in_channels: int, out_channels: int) -> nn.Sequential:
    """(3 × 3 convolution, no bias → batch norm → ReLU) × 2: (N, in, H, W) → (N, out, H, W)."""
    return nn.Sequential(Conv2d(in_channels, out_channels, 3, padding=1, bias=False), BatchNorm2d(out_channels), ReLU(),
                         Conv2d(out_channels, out_channels, 3, padding=1, bias=False), BatchNorm2d(out_channels),
                         ReLU())


class Denoiser(nn.Module):
    """A U-Net for image restoration: (N, in_channels, H, W) → (N, in_channels, H, W), H
    and W divisible by 2^(len(widths) − 1); see the module docstring for the equations.

    * ``encoder[l]``: a block to ``widths[l]`` channels (after a 2 × 2 max pooling for l ≥ 1);
    * ``up[l]``: ConvTranspose2d(widths[l + 1] → widths[l], 2, stride 2);
    * ``decoder[l]``: a block from 2·widths[l] (the skip E_l concatenated with up(D_{l+1}))
      to widths[l] channels;
    * ``head``: a 1 × 1 convolution to ``in_channels``, added to the input if ``residual``.

    ``skips=False`` drops the concatenations (the decoder blocks then read widths[l]
    channels): a plain down-up network, for comparison. ``fused``: PyTorch's kernels
    (default) or the book's computations (:mod:`lbdl_book.nn.fused`); the input is checked
    here, once."""

    def __init__(self, widths: Sequence[int] = (16, 32, 64), *, in_channels: int = 3, residual: bool = True,
                 skips: bool = True, fill_missing: bool = True, fill_sigma: float = 1.0, fused: bool = True):
        super().__init__()
        if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence) or len(widths) < 2:
            raise ValueError(f"widths must be a sequence of at least 2 positive ints, got {widths!r}")
        for w in widths:
            positive_int(w, "each entry of widths")
        positive_int(in_channels, "in_channels")
        for name, value in (("residual", residual), ("skips", skips), ("fill_missing", fill_missing)):
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
        if isinstance(fill_sigma, bool) or not isinstance(fill_sigma, Real) or not 0 < fill_sigma < math.inf:
            raise ValueError(f"fill_sigma must be a finite number > 0, got {fill_sigma!r}")
        self.widths, self.in_channels = tuple(widths), in_channels
        self.residual, self.skips = residual, skips
        self.fill_missing, self.fill_sigma = fill_missing, float(fill_sigma)
        self.pool = MaxPool2d(2)
        first = in_channels + (1 if fill_missing else 0)              # + the mask of the missing pixels
        self.encoder = nn.ModuleList(_block(a, b) for a, b in zip((first, *self.widths[:-1]), self.widths))
        self.up = nn.ModuleList(ConvTranspose2d(b, a, 2, stride=2) for a, b in zip(self.widths[:-1], self.widths[1:]))
        self.decoder = nn.ModuleList(_block(2 * w if skips else w, w) for w in self.widths[:-1])
        self.head = Conv2d(self.widths[0], in_channels, 1)
        if residual:                    # at initialisation the output is the first guess: the correction starts at 0
            nn.init.zeros_(self.head.weight)
            nn.init.zeros_(self.head.bias)
        set_fused(self, fused)

    @property
    def multiple(self) -> int:
        """The height and width of an input must be multiples of this: 2^(levels − 1)."""
        return 2 ** (len(self.widths) - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        model_input(x, self)
        m = self.multiple
        if x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[2] % m or x.shape[3] % m or not x.shape[2]:
            raise ValueError(f"x must have shape (N, {self.in_channels}, H, W) with H and W positive multiples of "
                             f"{m}, got {tuple(x.shape)}")
        guess, h = x, x
        if self.fill_missing:
            missing = (x == 0).all(dim=1, keepdim=True)                 # (N, 1, H, W): black in every channel
            if missing.any():
                guess = torch.where(missing, gaussian_filter(x, self.fill_sigma, known=~missing), x)
            h = torch.cat([guess, missing.to(x.dtype)], dim=1)
        features = []
        for level, block in enumerate(self.encoder):
            h = block(self.pool(h) if level else h)
            features.append(h)
        for level in reversed(range(len(self.decoder))):
            h = self.up[level](h)
            h = self.decoder[level](torch.cat([features[level], h], dim=1) if self.skips else h)
        out = self.head(h)
        return guess + out if self.residual else out

    def extra_repr(self) -> str:
        return (f"widths={self.widths}, residual={self.residual}, skips={self.skips}, "
                f"fill_missing={self.fill_missing}, fill_sigma={self.fill_sigma:g}")


def feature_shapes(model: Denoiser, x: torch.Tensor) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape of one sample) of the input, of every encoder and decoder block's output
    and of the output, in the order they are computed, for the input ``x`` (N, C, H, W)."""
    if not isinstance(model, Denoiser):
        raise TypeError(f"model must be a Denoiser, got {type(model).__name__}")
    shapes: list[tuple[str, tuple[int, ...]]] = []
    hooks = [block.register_forward_hook(lambda m, i, o, name=name: shapes.append((name, tuple(o.shape[1:]))))
             for prefix, blocks in (("encoder", model.encoder), ("decoder", model.decoder))
             for name, block in ((f"{prefix}.{k}", b) for k, b in enumerate(blocks))]
    try:
        with eval_mode(model):
            out = model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return [("input", tuple(x.shape[1:])), *shapes, ("output", tuple(out.shape[1:]))]


def restore(model: nn.Module, degraded: torch.Tensor, *, known: torch.Tensor | None = None,
            batch_size: int = 256) -> torch.Tensor:
    """``model``'s estimates of the clean images, in eval mode and without gradients,
    clipped to [0, 1] (as an image is stored), on the CPU: (N, 3, H, W) → (N, 3, H, W).
    With ``known`` ((N, 1, H, W) bool), the known pixels of ``degraded`` are kept and only
    the others are taken from the network, as :func:`classical_restore` does."""
    module(model, "model")
    _check_images(degraded, "degraded")
    known = _check_known(known, degraded)
    positive_int(batch_size, "batch_size")
    out = predict(model, degraded, batch_size=batch_size, each=lambda y: y.clamp(0, 1))
    return out if known is None else torch.where(known.cpu(), degraded.cpu().clamp(0, 1), out)


# --- metric ------------------------------------------------------------------------------

def psnr(estimate: torch.Tensor, target: torch.Tensor, peak: float = 1.0) -> torch.Tensor:
    """Peak signal-to-noise ratio of each image, in dB: 10·log₁₀(peak² / MSE), the MSE taken
    over the channels and pixels of the image. (N, C, H, W) twice → (N,); +inf where equal."""
    for name, value in (("estimate", estimate), ("target", target)):
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise TypeError(f"{name} must be a floating-point torch.Tensor, got {type(value).__name__}")
    if estimate.shape != target.shape or estimate.dim() != 4 or estimate.numel() == 0:
        raise ValueError(f"estimate and target must have the same non-empty shape (N, C, H, W), got "
                         f"{tuple(estimate.shape)} and {tuple(target.shape)}")
    if isinstance(peak, bool) or not isinstance(peak, Real) or not peak > 0:
        raise ValueError(f"peak must be a positive number, got {peak!r}")
    mse = (estimate - target).square().flatten(1).mean(1)
    return 10 * torch.log10(peak ** 2 / mse)


# --- classical filters -------------------------------------------------------------------

def gaussian_kernel1d(sigma: float, truncate: float = 4.0, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """The weights exp(−x²/2σ²) / Σ for x = −r … r, r = ⌊truncate·σ + ½⌋: the kernel of
    ``scipy.ndimage.gaussian_filter``. (2r + 1,)."""
    for name, value in (("sigma", sigma), ("truncate", truncate)):
        if isinstance(value, bool) or not isinstance(value, Real) or not value > 0 or not math.isfinite(value):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    radius = int(truncate * sigma + 0.5)
    x = torch.arange(-radius, radius + 1, dtype=torch.float64)
    phi = torch.exp(-0.5 / sigma ** 2 * x ** 2)
    return (phi / phi.sum()).to(dtype)


def _check_known(known, images: torch.Tensor):
    if known is None:
        return None
    if not isinstance(known, torch.Tensor) or known.dtype != torch.bool:
        raise TypeError(f"known must be a bool tensor of shape (N, 1, H, W) or None, got {type(known).__name__}")
    n, _, h, w = images.shape
    if tuple(known.shape) != (n, 1, h, w):
        raise ValueError(f"known must have shape {(n, 1, h, w)}, got {tuple(known.shape)}")
    return known


def _separable(images: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Correlate every channel with ``kernel`` along the width, then the height, edges repeated."""
    r = len(kernel) // 2
    c = images.shape[1]
    padded = F.pad(images, (r, r, r, r), mode="replicate")
    k = kernel.to(images.dtype).to(images.device)
    along_width = F.conv2d(padded, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(along_width, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def _fill_empty(values: torch.Tensor, empty: torch.Tensor, images: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """Where no known pixel is in reach (``empty``, (N, 1, H, W)), the mean of the image's known pixels."""
    weights = known.to(images.dtype)
    mean = (images * weights).sum((2, 3), keepdim=True) / weights.sum((2, 3), keepdim=True).clamp(min=1)
    return torch.where(empty, mean, values)


def gaussian_filter(images: torch.Tensor, sigma: float, *, truncate: float = 4.0,
                    known: torch.Tensor | None = None) -> torch.Tensor:
    """Gaussian smoothing of every channel of ``images`` (N, C, H, W), as
    ``scipy.ndimage.gaussian_filter(images, (0, 0, σ, σ), mode="nearest", truncate=truncate)``.
    With ``known`` (N, 1, H, W) bool: the normalised convolution G∗(X·m) / G∗m over the
    known pixels m; a pixel with no known pixel in its window gets the mean of the known
    pixels of its image."""
    if not isinstance(images, torch.Tensor) or not images.is_floating_point() or images.dim() != 4:
        raise TypeError(f"images must be a floating-point tensor (N, C, H, W), got "
                        f"{images.dtype if isinstance(images, torch.Tensor) else type(images).__name__}")
    kernel = gaussian_kernel1d(sigma, truncate)
    known = _check_known(known, images)
    if known is None:
        return _separable(images, kernel)
    weights = known.to(images.dtype)
    numerator, denominator = _separable(images * weights, kernel), _separable(weights, kernel)
    empty = denominator <= torch.finfo(images.dtype).tiny
    return _fill_empty(numerator / denominator.clamp(min=torch.finfo(images.dtype).tiny), empty, images, known)


def median_filter(images: torch.Tensor, size: int, *, known: torch.Tensor | None = None) -> torch.Tensor:
    """The median of the ``size`` × ``size`` window (``size`` odd) around every pixel of every
    channel of ``images`` (N, C, H, W), edges repeated: ``scipy.ndimage.median_filter(images,
    (1, 1, size, size), mode="nearest")``. With ``known`` (N, 1, H, W) bool: the median of the
    known pixels of the window (the lower middle one for an even count); a pixel with none
    gets the mean of the known pixels of its image."""
    if not isinstance(images, torch.Tensor) or not images.is_floating_point() or images.dim() != 4:
        raise TypeError(f"images must be a floating-point tensor (N, C, H, W), got "
                        f"{images.dtype if isinstance(images, torch.Tensor) else type(images).__name__}")
    positive_int(size, "size")
    if size % 2 == 0:
        raise ValueError(f"size must be odd, so that the window has a centre, got {size}")
    known = _check_known(known, images)
    n, c, h, w = images.shape
    r = size // 2
    values = images if known is None else images.masked_fill(~known, math.nan)
    windows = F.unfold(F.pad(values, (r, r, r, r), mode="replicate"), size)        # (N, C·size², H·W)
    windows = windows.view(n, c, size * size, h, w)
    if known is None:
        return windows.median(dim=2).values
    median = windows.nanmedian(dim=2).values
    empty = median[:, :1].isnan()
    return _fill_empty(median, empty, images, known)


def missing_pixels(degraded: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) bool: the pixels that are exactly 0 in every channel, the hole that
    :func:`lbdl_book.data.degrade.cut_hole` cuts (no pixel of a scene is black)."""
    _check_images(degraded, "degraded")
    return (degraded == 0).all(dim=1, keepdim=True)


def classical_restore(degraded: torch.Tensor, name: str, param, *, known: torch.Tensor | None = None) -> torch.Tensor:
    """The filter ``name`` (a key of :data:`FILTERS`: "identity", "gaussian" with σ = ``param``,
    "median" with window ``param``) applied to ``degraded`` (N, 3, H, W), clipped to [0, 1].
    With ``known``: only the missing pixels change, filled from the known ones."""
    _check_images(degraded, "degraded")
    if not isinstance(name, str) or name not in FILTERS:
        raise ValueError(f"name must be one of {tuple(FILTERS)}, got {name!r}")
    known = _check_known(known, degraded)
    try:
        if name == "identity":
            if isinstance(param, bool) or not isinstance(param, Real) or math.isnan(param):
                raise TypeError(f"the identity takes a number (ignored), got {type(param).__name__}")
            out = degraded
        elif name == "gaussian":
            out = gaussian_filter(degraded, param, known=known)
        else:
            out = median_filter(degraded, param, known=known)
    except (TypeError, ValueError) as error:          # name the argument of this function, not the inner one's
        raise type(error)(f"param of the {name} filter: {error}") from None
    if known is not None:
        out = torch.where(known, degraded, out)
    return out.clamp(0, 1)


def tune_filter(clean: torch.Tensor, degraded: torch.Tensor, *, known: torch.Tensor | None = None,
                candidates: Mapping[str, Sequence] | None = None) -> tuple[tuple[str, object], dict]:
    """The classical filter that restores ``degraded`` best, in mean PSNR against ``clean``
    (both (N, 3, H, W)), among ``candidates`` (default :data:`FILTERS`): returns
    ``(name, param)`` and the mean PSNR of every candidate ``{(name, param): dB}``. Tune on
    held-out images that are not those of the final comparison."""
    _check_images(clean, "clean")
    _check_images(degraded, "degraded")
    if clean.shape != degraded.shape:
        raise ValueError(f"clean and degraded must have the same shape, got {tuple(clean.shape)} and "
                         f"{tuple(degraded.shape)}")
    candidates = FILTERS if candidates is None else candidates
    if not isinstance(candidates, Mapping) or not candidates:
        raise TypeError(f"candidates must be a non-empty dict {{name: params}}, got {type(candidates).__name__}")
    scores = {(name, param): psnr(classical_restore(degraded, name, param, known=known), clean).mean().item()
              for name, params in candidates.items() for param in params}
    return max(scores, key=scores.get), scores


# --- what the network predicts where the input is ambiguous --------------------------------

def chroma(colours: torch.Tensor, dim: int = 1) -> torch.Tensor:
    """How coloured each pixel is: max(R, G, B) − min(R, G, B) along ``dim`` (of size 3), 0
    for a grey: (N, 3, H, W) → (N, H, W) with the default ``dim=1``, (P, 3) → (P,) with ``dim=-1``."""
    if not isinstance(colours, torch.Tensor) or not colours.is_floating_point():
        raise TypeError(f"colours must be a floating-point torch.Tensor, got {type(colours).__name__}")
    if isinstance(dim, bool) or not isinstance(dim, int) or not -colours.dim() <= dim < colours.dim():
        raise ValueError(f"dim must be an int naming a dimension of colours {tuple(colours.shape)}, got {dim!r}")
    if colours.shape[dim] != 3:
        raise ValueError(f"colours must have size 3 (R, G, B) along dim {dim}, got shape {tuple(colours.shape)}")
    return colours.amax(dim) - colours.amin(dim)


def object_colours(scenes) -> torch.Tensor:
    """(N, H, W) int64: the colour (an index of :data:`lbdl_book.data.scenes.COLOURS`) of the
    object seen at each pixel of ``scenes`` (a :class:`~lbdl_book.data.scenes.Scenes`), −1 on
    the background."""
    from lbdl_book.data.scenes import Scenes

    if not isinstance(scenes, Scenes):
        raise TypeError(f"scenes must be a Scenes batch, got {type(scenes).__name__}")
    colours = torch.full_like(scenes.instances, -1)
    for i in range(len(scenes)):
        seen = scenes.instances[i].unique()
        for j, k in enumerate(seen[seen >= 0].tolist()):           # the labels list the visible objects in order
            colours[i][scenes.instances[i] == k] = scenes.colours[i][j]
    return colours


def object_interior(instances: torch.Tensor) -> torch.Tensor:
    """(N, H, W) bool: the pixels of an object (instance ≥ 0) whose 3 × 3 neighbourhood
    (edges repeated) belongs to the same object, away from its outline. ``instances``:
    (N, H, W) integer object index per pixel, −1 for the background (as in
    :class:`lbdl_book.data.scenes.Scenes`)."""
    if not isinstance(instances, torch.Tensor) or instances.is_floating_point() or instances.dim() != 3:
        raise TypeError(f"instances must be an integer tensor of shape (N, H, W), got "
                        f"{instances.dtype if isinstance(instances, torch.Tensor) else type(instances).__name__}")
    n, h, w = instances.shape
    padded = F.pad(instances[:, None].double(), (1, 1, 1, 1), mode="replicate")
    windows = F.unfold(padded, 3).view(n, 9, h, w)
    return (instances >= 0) & (windows == instances[:, None].double()).all(dim=1)


def binned_mean(keys: torch.Tensor, values: torch.Tensor, edges: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean of the ``values`` (P, D) whose ``keys`` (P,) fall in each bin [edges[b],
    edges[b + 1]), and the count in each bin: (B, D) and (B,), B = len(edges) − 1; NaN
    for an empty bin. An estimate of E[value | key] from samples."""
    for name, value in (("keys", keys), ("values", values), ("edges", edges)):
        if not isinstance(value, torch.Tensor) or not value.is_floating_point():
            raise TypeError(f"{name} must be a floating-point torch.Tensor, got {type(value).__name__}")
    if keys.dim() != 1 or values.dim() != 2 or len(values) != len(keys):
        raise ValueError(f"keys must be (P,) and values (P, D), got {tuple(keys.shape)} and {tuple(values.shape)}")
    if edges.dim() != 1 or len(edges) < 2 or not (edges[1:] > edges[:-1]).all():
        raise ValueError(f"edges must be an increasing (B + 1,) tensor with B >= 1, got {tuple(edges.shape)}")
    bins = len(edges) - 1
    index = torch.bucketize(keys, edges, right=True) - 1
    inside = (index >= 0) & (index < bins)
    index, kept = index[inside], values[inside].double()
    counts = torch.zeros(bins, dtype=torch.int64).index_add_(0, index, torch.ones_like(index))
    sums = torch.zeros(bins, values.shape[1], dtype=torch.float64).index_add_(0, index, kept)
    means = (sums / counts[:, None]).to(values.dtype)
    return means, counts


# --- data and training -----------------------------------------------------------------------

def training_pairs(n: int, *, seed: int, levels: Mapping[str, Sequence] | None = None,
                   weights: Mapping[str, float] | None = None, size: int = IMAGE_SIZE) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` scenes of ``size`` × ``size`` pixels (seed ``seed``), each degraded by a kind and a
    level drawn from ``levels`` (default :data:`LEVELS`; kinds in proportion to ``weights``,
    default :data:`KIND_WEIGHTS`) with a generator of the same seed: returns (degraded,
    clean), two (n, 3, size, size) tensors."""
    from lbdl_book.data.scenes import generate_scenes

    positive_int(n, "n")
    levels = LEVELS if levels is None else levels
    if weights is None:
        weights = {kind: KIND_WEIGHTS.get(kind, 1.0) for kind in levels}
    clean = generate_scenes(n, size=size, seed=seed).images
    degraded, _, _ = degrade_mixed(clean, levels, weights=weights, generator=torch.Generator().manual_seed(seed))
    return degraded, clean


SHIPPED = {"widths": (16, 32, 64), "images_per_round": 4096, "rounds": 30, "batch_size": 32, "lr": 2e-3,
           "seed": 10_000}


def train_shipped(quick: bool = False) -> tuple[Denoiser, dict]:
    """The recipe of the shipped weights ``denoiser``: :class:`Denoiser` with widths
    ``SHIPPED["widths"]`` trained with Adam on the MSE, one epoch on each of ``rounds`` fresh
    batches of scenes (seeds ``seed + round``), every image degraded by a kind and a level of
    :data:`LEVELS`, with a cosine decay of the learning rate over all rounds. Returns the
    model and what it reached on held-out scenes (seed 2): the mean PSNR per degradation at
    :data:`TABLE_LEVELS`, before and after restoration. ``quick``: 2 rounds of 64 images."""
    from lbdl_book.config import seed_everything
    from lbdl_book.train import fit

    if not isinstance(quick, bool):
        raise TypeError(f"quick must be a bool, got {type(quick).__name__}")
    recipe = dict(SHIPPED, **({"images_per_round": 64, "rounds": 2} if quick else {}))
    seed_everything(0)
    model = Denoiser(recipe["widths"])
    steps_per_round = math.ceil(recipe["images_per_round"] / recipe["batch_size"])
    total = steps_per_round * recipe["rounds"]
    losses = []
    for r in range(recipe["rounds"]):
        degraded, clean = training_pairs(recipe["images_per_round"], seed=recipe["seed"] + r)
        offset = r * steps_per_round
        schedule = (lambda step, offset=offset:
                    recipe["lr"] * 0.5 * (1 + math.cos(math.pi * min(step + offset, total) / total)))
        history = fit(model, F.mse_loss, (degraded, clean), epochs=1, lr=recipe["lr"],
                      batch_size=recipe["batch_size"], optimizer="adam", schedule=schedule, seed=r, progress=False)
        losses.append(history.last("train_loss"))
    held_out = evaluate_levels(model, n=64 if quick else 512, seed=2)
    info = {"recipe": {k: list(v) if isinstance(v, tuple) else v for k, v in recipe.items()},
            "train_losses": [round(v, 6) for v in losses], "held_out_psnr": held_out}
    return model.cpu(), info


def evaluate_levels(model: nn.Module, *, n: int, seed: int, levels: Mapping[str, object] | None = None) -> dict:
    """Mean PSNR (dB) of the degraded input and of ``model``'s output on ``n`` held-out
    scenes of seed ``seed``, for each degradation at ``levels`` (default :data:`TABLE_LEVELS`):
    ``{kind: {"input": dB, "network": dB}}``."""
    from lbdl_book.data.scenes import generate_scenes

    module(model, "model")
    positive_int(n, "n")
    levels = TABLE_LEVELS if levels is None else levels
    clean = generate_scenes(n, size=IMAGE_SIZE, seed=seed).images
    scores = {}
    for k, (kind, level) in enumerate(levels.items()):
        degraded = degrade(clean, kind, level, generator=torch.Generator().manual_seed(seed * len(KINDS) + k))
        known = ~missing_pixels(degraded) if kind == "hole" else None
        scores[kind] = {"input": psnr(degraded.clamp(0, 1), clean).mean().item(),
                        "network": psnr(restore(model, degraded, known=known), clean).mean().item()}
    return scores
