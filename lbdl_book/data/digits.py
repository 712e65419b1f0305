"""Scikit-learn's hand-written digits, as PyTorch tensors (used from §5.2 on).

The dataset ships inside scikit-learn (no download): 1,797 grey-level images of the
digits 0-9, 8 × 8 pixels with integer values 0-16. It is the test part of the UCI
"optical recognition of handwritten digits" set (E. Alpaydin and C. Kaynak, 1998),
written by 13 people: each pixel counts the inked pixels of one 4 × 4 block of a
32 × 32 binary bitmap. :func:`load_digits` turns it into a fixed training / test split:

* pixels are divided by 16, so they lie in [0, 1];
* the split is a random permutation drawn from ``seed``: the same arguments always give
  the same 1,297 training and 500 test images (by default). The same 13 people wrote
  both sets, so the test accuracy is that of a reader who already saw their hands;
* ``size`` > 8 upsamples every image bilinearly to ``size`` × ``size``. The book's
  LeNet-like model of Figure 5.2 takes 28 × 28 inputs (the size of MNIST); the digits
  upsampled to 28 × 28 carry no more information than the 8 × 8 originals, they are
  only smoother and larger.

Example::

    from lbdl_book.data.digits import load_digits
    x_train, y_train, x_test, y_test = load_digits(size=28)   # (1297, 1, 28, 28), (1297,), ...
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import torch
import torch.nn.functional as F

__all__ = ["NUM_DIGITS", "Digits", "load_digits"]

NUM_DIGITS = 1797          # images in scikit-learn's bundled set


class Digits(NamedTuple):
    """A training / test split; unpacks as ``x_train, y_train, x_test, y_test``.

    ``x_*``: (N, 1, size, size) float in [0, 1]; ``y_*``: (N,) int64 in 0-9."""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor


@lru_cache(maxsize=1)
def _raw() -> tuple[torch.Tensor, torch.Tensor]:
    """All 1,797 images (1797, 8, 8) float64 in [0, 16] and labels (1797,) int64, read once."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    return torch.from_numpy(bunch.images.copy()), torch.from_numpy(bunch.target.copy()).long()


def load_digits(size: int = 8, *, test_size: int = 500, seed: int = 0,
                dtype: torch.dtype = torch.float32) -> Digits:
    """The digits as ``Digits(x_train, y_train, x_test, y_test)``.

    ``size``: side of the returned images, an int >= 8; 8 gives the original pixels,
    larger values upsample bilinearly (``F.interpolate``, ``align_corners=False``),
    which keeps the values in [0, 1]. ``test_size``: number of test images, in
    [1, 1796]; the other 1,797 − ``test_size`` images form the training set.
    ``seed``: the seed of the permutation that splits the images. ``dtype``: a floating
    dtype for the images. Returns images of shape (N, 1, size, size) and int64 labels
    of shape (N,)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 8:
        raise ValueError(f"size must be an int >= 8 (8 = the original images), got {size!r}")
    if isinstance(test_size, bool) or not isinstance(test_size, int) or not 1 <= test_size < NUM_DIGITS:
        raise ValueError(f"test_size must be an int in [1, {NUM_DIGITS - 1}], got {test_size!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    images, labels = _raw()
    x = (images / 16).to(dtype)[:, None]                                   # (1797, 1, 8, 8) in [0, 1]
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    order = torch.randperm(NUM_DIGITS, generator=torch.Generator().manual_seed(seed))
    test, train = order[:test_size], order[test_size:]
    return Digits(x[train].contiguous(), labels[train], x[test].contiguous(), labels[test])
