"""lbdl_book.data.digits: scikit-learn's bundled digits as a fixed, seeded split."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits as sklearn_digits

from lbdl_book.data.digits import NUM_DIGITS, Digits, load_digits


def sorted_rows(images: torch.Tensor) -> np.ndarray:
    """The images as rows of 64 values, in lexicographic order (a multiset of images)."""
    rows = images.reshape(len(images), -1).numpy()
    return rows[np.lexsort(rows.T[::-1])]


def test_default_split_shapes_types_and_ranges():
    data = load_digits()
    assert isinstance(data, Digits)
    x_train, y_train, x_test, y_test = data
    assert x_train.shape == (1297, 1, 8, 8) and x_test.shape == (500, 1, 8, 8)
    assert y_train.shape == (1297,) and y_test.shape == (500,)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    for x in (x_train, x_test):
        assert x.min() >= 0 and x.max() <= 1 and x.max() == 1      # 16 / 16: the darkest pixels
    for y in (y_train, y_test):
        assert set(y.tolist()) == set(range(10))                   # every digit in both sets


def test_the_split_is_a_partition_of_sklearns_images():
    bunch = sklearn_digits()
    x_train, y_train, x_test, y_test = load_digits(dtype=torch.float64)
    everything = torch.cat([x_train, x_test])
    # Same multiset of images (pixels / 16 are exact in float64) and of labels.
    assert np.array_equal(sorted_rows(everything * 16), sorted_rows(torch.from_numpy(bunch.images)))
    assert torch.equal(torch.cat([y_train, y_test]).bincount(), torch.from_numpy(bunch.target).bincount())
    assert len(everything) == NUM_DIGITS == len(bunch.images)


def test_the_split_is_repeatable_and_depends_on_the_seed():
    a, b, c = load_digits(seed=0), load_digits(seed=0), load_digits(seed=1)
    for u, v in zip(a, b):
        assert torch.equal(u, v)
    assert not torch.equal(a.y_test, c.y_test)


@pytest.mark.parametrize("size", [16, 28])
def test_upsampled_images_are_the_bilinear_interpolation_of_the_same_split(size):
    small, large = load_digits(8), load_digits(size)
    assert large.x_train.shape == (1297, 1, size, size)
    assert torch.equal(small.y_train, large.y_train) and torch.equal(small.y_test, large.y_test)
    expected = F.interpolate(small.x_test, size=(size, size), mode="bilinear", align_corners=False)
    assert torch.equal(large.x_test, expected)
    # Bilinear weights are convex: values stay in [0, 1].
    assert large.x_train.min() >= 0 and large.x_train.max() <= 1


def test_test_size_and_dtype():
    x_train, y_train, x_test, y_test = load_digits(test_size=97, dtype=torch.float64)
    assert len(x_test) == len(y_test) == 97 and len(x_train) == NUM_DIGITS - 97
    assert x_train.dtype == torch.float64


@pytest.mark.parametrize(("kwargs", "error", "message"), [
    ({"size": 7}, ValueError, r"size must be an int >= 8 .*got 7"),
    ({"size": 28.0}, ValueError, "size must be an int"),
    ({"size": True}, ValueError, "size must be an int"),
    ({"test_size": 0}, ValueError, r"test_size must be an int in \[1, 1796\], got 0"),
    ({"test_size": 1797}, ValueError, "test_size must be an int in"),
    ({"seed": -1}, ValueError, "seed must be an int >= 0, got -1"),
    ({"dtype": torch.int64}, TypeError, "dtype must be a floating-point torch.dtype"),
])
def test_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        load_digits(**kwargs)
