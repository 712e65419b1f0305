"""Synthetic hand-written-like digits, generated offline (used from §3.6 on).

Each image starts from a 5 × 7 bitmap glyph of the digit, the same glyphs for every
seed. A random affine map (rotation, scale, shear, shift) is applied to it, a blur
softens the strokes, and Gaussian pixel noise is added. The result looks like a
small, noisy version of the scikit-learn ``digits`` set, without any download. All the
randomness comes from ``seed``: the same arguments always give the same tensors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F

__all__ = ["GLYPHS", "synthetic_digits"]

# 5 columns × 7 rows per digit, "#" = ink.
GLYPHS: dict[int, tuple[str, ...]] = {
    0: (" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "),
    1: ("  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "),
    2: (" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"),
    3: ("#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "),
    4: ("   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "),
    5: ("#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "),
    6: ("  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "),
    7: ("#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "),
    8: (" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "),
    9: (" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "),
}


def _glyph_tensor() -> torch.Tensor:
    """The ten glyphs as a (10, 7, 5) float tensor of 0s and 1s."""
    return torch.tensor([[[float(c == "#") for c in row] for row in GLYPHS[d]] for d in range(10)])


def _check_int(value, name: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")


def synthetic_digits(n: int, *, digits: Sequence[int] = tuple(range(10)), size: int = 16,
                     noise: float = 0.15, distortion: float = 1.0, label_noise: float = 0.0,
                     seed: int = 0, dtype: torch.dtype = torch.float32) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random images of the given ``digits`` and their labels.

    Returns ``images`` of shape (n, 1, size, size), ink ≈ 1 on background ≈ 0 plus
    Gaussian noise of standard deviation ``noise``, and ``labels`` of shape (n,) int64:
    the position of each image's digit in ``digits`` (so ``digits=(5, 6, 7, 8, 9)`` gives
    labels 0-4). Classes are balanced: sample i shows ``digits[i % len(digits)]``, and
    the samples are then shuffled.

    ``distortion`` scales the random affine map (0: every glyph centred and upright; 1:
    rotations up to ±15°, scale 0.85-1.15, shear up to ±0.2, shifts up to ±1.5 pixels
    at size 16). ``label_noise``: the probability that a label is replaced by another
    class, drawn uniformly among the others; such a training set can only be fitted
    exactly by memorising it. The images do not depend on ``label_noise``.
    """
    _check_int(n, "n", 1)
    _check_int(size, "size", 8)
    if isinstance(digits, (str, bytes)) or not isinstance(digits, Sequence) or len(digits) < 2:
        raise ValueError(f"digits must be a sequence of at least 2 distinct digits in 0-9, got {digits!r}")
    if len(set(digits)) != len(digits) or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 9
                                                  for d in digits):
        raise ValueError(f"digits must be a sequence of at least 2 distinct digits in 0-9, got {digits!r}")
    for name, value in (("noise", noise), ("distortion", distortion)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    if isinstance(label_noise, bool) or not isinstance(label_noise, (int, float)) or not 0 <= label_noise <= 1:
        raise ValueError(f"label_noise must be a number in [0, 1], got {label_noise!r}")
    if not (isinstance(dtype, torch.dtype) and dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")

    g = torch.Generator().manual_seed(seed)
    k = len(digits)
    labels = (torch.arange(n) % k)[torch.randperm(n, generator=g)]
    # Glyphs on a size × size canvas: 7 rows span about 70 % of the height.
    glyphs = _glyph_tensor()[torch.tensor(digits)][labels][:, None]           # (n, 1, 7, 5)
    rows = round(0.7 * size)
    cols = max(3, round(rows * 5 / 7))
    canvas = torch.zeros(n, 1, size, size)
    top, left = (size - rows) // 2, (size - cols) // 2
    canvas[:, :, top:top + rows, left:left + cols] = F.interpolate(glyphs, size=(rows, cols), mode="nearest")

    # Random affine map in the normalised coordinates of grid_sample ([-1, 1]²).
    u = lambda: 2 * torch.rand(n, generator=g) - 1                             # noqa: E731, U[-1, 1]
    angle = distortion * math.radians(15) * u()
    scale = 1 + distortion * 0.15 * u()
    shear = distortion * 0.2 * u()
    shift = distortion * 1.5 * (2 / size) * torch.stack([u(), u()], dim=1)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin + shear, shift[:, 0]], 1),
                         torch.stack([sin, cos, shift[:, 1]], 1)], dim=1)      # (n, 2, 3)
    grid = F.affine_grid(theta, list(canvas.shape), align_corners=False)
    images = F.grid_sample(canvas, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # Soften the strokes: a 3 × 3 blur that keeps the peak ink near 1.
    blur = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
    images = F.conv2d(images, blur[None, None], padding=1)
    images = (images / 0.75).clamp(max=1.0)
    images = images + noise * torch.randn(images.shape, generator=g)

    if label_noise > 0:
        flip = torch.rand(n, generator=g) < label_noise
        offset = torch.randint(1, k, (n,), generator=g)                     # never the true class
        labels = torch.where(flip, (labels + offset) % k, labels)
    return images.to(dtype), labels
