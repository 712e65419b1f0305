"""§2.1 measurements and §2.2 storage arithmetic."""

import pytest
import torch

from lbdl_book.compute import (arithmetic_intensity, batch_timings, compare_times, product_error, timeit,
                                transfer_and_compute)
from lbdl_book.tensors import describe, shares_storage, storage_index


def test_timeit_measures_and_validates():
    assert 0 <= timeit(lambda: sum(range(100)), repeat=3, device="cpu") < 1
    with pytest.raises(TypeError):
        timeit(3)
    with pytest.raises(ValueError, match="repeat"):
        timeit(lambda: None, repeat=0)
    with pytest.raises(ValueError, match="threads"):
        timeit(lambda: None, threads=0)


def test_timeit_runs_with_the_requested_threads_and_restores_them():
    before = torch.get_num_threads()
    seen = []
    wanted = before + 1       # differs from the current setting, so the test sees the switch
    timeit(lambda: seen.append(torch.get_num_threads()), repeat=2, device="cpu", threads=wanted)
    assert seen == [wanted] * 3 and torch.get_num_threads() == before


def test_compare_times_interleaves_the_variants_and_rotates_their_order():
    calls = []
    medians = compare_times({"a": lambda: calls.append("a"), "b": lambda: calls.append("b"),
                             "c": lambda: calls.append("c")}, repeat=3, warmup=1, device="cpu")
    assert set(medians) == {"a", "b", "c"} and all(0 <= m < 1 for m in medians.values())
    # one warm-up round, then rounds that start with a, b, c in turn
    assert "".join(calls) == "abc" + "abc" + "bca" + "cab"


def test_compare_times_validates():
    with pytest.raises(TypeError, match="mapping"):
        compare_times({})
    with pytest.raises(TypeError, match="'x' must be callable"):
        compare_times({"x": 3})
    with pytest.raises(ValueError, match="repeat"):
        compare_times({"x": lambda: None}, repeat=0)
    with pytest.raises(ValueError, match="warmup"):
        compare_times({"x": lambda: None}, warmup=-1)


def test_batch_timings_shapes_and_per_sample_costs():
    result = batch_timings(64, [1, 8], repeat=3, device="cpu")
    assert result["batch_size"] == [1, 8]
    for key in ("batched", "loop", "batched_per_sample", "loop_per_sample"):
        assert len(result[key]) == 2 and all(t > 0 for t in result[key])
    assert result["loop_per_sample"][1] == pytest.approx(result["loop"][1] / 8)
    with pytest.raises(ValueError, match="batch size"):
        batch_timings(8, [0])
    with pytest.raises(ValueError, match="empty"):
        batch_timings(8, [])


def test_batching_amortises_the_weights_on_this_machine():
    # The claim of §2.1, measured: on any CPU, 256 samples at once cost far less than
    # 256 products of one sample, whose fixed cost per call is paid 256 times. A small
    # layer on one thread keeps the measurement robust while other tests (pytest -n 2)
    # load the CPU: two thread pools competing for two cores can stall a tiny product.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        result = batch_timings(64, [256], repeat=5, device="cpu")
    finally:
        torch.set_num_threads(threads)
    assert result["loop"][0] > 3 * result["batched"][0]


def test_arithmetic_intensity_formula_and_growth():
    assert arithmetic_intensity(1, 2, 3, bytes_per_value=1) == pytest.approx(12 / 11)
    values = [arithmetic_intensity(b, 1024, 1024) for b in (1, 16, 256, 4096)]
    assert values == sorted(values) and values[0] < 0.6 < 100 < values[-1]
    with pytest.raises(ValueError, match="batch"):
        arithmetic_intensity(0, 4, 4)


def test_product_error_orders_the_precisions():
    e32, e16, ebf16 = (product_error(d, size=128, device="cpu") for d in (torch.float32, torch.float16, torch.bfloat16))
    assert e32 < 1e-6 < e16 < ebf16 < 0.02
    with pytest.raises(TypeError, match="floating-point"):
        product_error(torch.int32)


def test_transfer_is_none_without_an_accelerator():
    assert transfer_and_compute(8, device="cpu") is None


@pytest.mark.parametrize("make_view", [
    lambda t: t,
    lambda t: t.t(),
    lambda t: t[1:, ::2],
    lambda t: t.reshape(2, 6).permute(1, 0),
    lambda t: t.unsqueeze(0).expand(3, 3, 4),
])
def test_storage_index_locates_every_element(make_view):
    base = torch.arange(12.0).reshape(3, 4)
    view = make_view(base)
    assert shares_storage(base, view)
    flat = base.flatten()
    assert torch.equal(flat[storage_index(view)], view)


def test_copies_and_views_are_told_apart():
    base = torch.zeros(50, 3, 24, 32)
    assert describe(base) == {"shape": (50, 3, 24, 32), "stride": (2304, 768, 32, 1), "offset": 0, "contiguous": True}
    channels_last = base.permute(0, 2, 3, 1)
    assert shares_storage(base, channels_last) and not channels_last.is_contiguous()
    assert not shares_storage(base, channels_last.contiguous())
    assert not shares_storage(base, base.permute(0, 2, 3, 1).reshape(50, -1))   # reshape had to copy
    with pytest.raises(TypeError, match="torch.Tensor"):
        storage_index([1, 2])
