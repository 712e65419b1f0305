"""§2.1 measurements and §2.2 storage arithmetic."""

import pytest
import torch

from lbdl_book.compute import (arithmetic_intensity, batch_timings, compare_times, product_error, timeit,
                                transfer_and_compute)
from _bounds import gamma, unit_roundoff
from lbdl_book.tensors import describe, shares_storage, storage_index


def test_timeit_measures_and_validates():
    assert 0 <= timeit(lambda: sum(range(100)), repeat=3, device="cpu") < 1
    with pytest.raises(TypeError):
        timeit(3)
    with pytest.raises(ValueError, match="repeat"):
        timeit(lambda: None, repeat=0)
    with pytest.raises(ValueError, match="threads"):
        timeit(lambda: None, threads=0)


def test_timeit_cpu_clock_leaves_out_waiting():
    import time

    wall = timeit(lambda: time.sleep(0.02), repeat=3, warmup=0, device="cpu")
    cpu = timeit(lambda: time.sleep(0.02), repeat=3, warmup=0, device="cpu", clock="cpu")
    assert wall >= 0.02 and cpu < 0.01            # sleeping takes time on the wall, almost none of the CPU
    with pytest.raises(ValueError, match="clock"):
        timeit(lambda: None, clock="sundial")


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
    with pytest.raises(ValueError, match="clock"):
        compare_times({"x": lambda: None}, clock="sundial")
    with pytest.raises(ValueError, match="CPU device"):
        compare_times({"x": lambda: None}, clock="cpu", device="meta")


def test_compare_times_cpu_clock_leaves_out_waiting():
    """A variant that sleeps takes wall time but almost no CPU time: the CPU clock counts
    only the processor's work, whatever else the machine runs."""
    import time

    wall = compare_times({"sleep": lambda: time.sleep(0.02)}, repeat=3, warmup=0, device="cpu")
    cpu = compare_times({"sleep": lambda: time.sleep(0.02)}, repeat=3, warmup=0, device="cpu", clock="cpu")
    assert wall["sleep"] >= 0.02 and cpu["sleep"] < 0.01


def test_batch_timings_shapes_and_per_sample_costs():
    result = batch_timings(64, [1, 8], repeat=3, device="cpu")
    assert result["batch_size"] == [1, 8]
    for key in ("batched", "loop", "batched_per_sample", "loop_per_sample"):
        assert len(result[key]) == 2 and all(t > 0 for t in result[key])
    assert result["loop_per_sample"][1] == result["loop"][1] / 8                # the same division
    with pytest.raises(ValueError, match=r"batch_sizes\[0\] must be a positive int"):
        batch_timings(8, [0])
    with pytest.raises(ValueError, match="empty"):
        batch_timings(8, [])


def test_batching_amortises_the_weights_on_this_machine():
    # The claim of §2.1, measured: on any CPU, 256 samples at once cost far less than
    # 256 products of one sample, whose fixed cost per call is paid 256 times (≈ 20 times
    # less here). The two variants run in interleaved rounds with a rotating order
    # (compare_times) on one thread, and the medians are compared: a load that comes and
    # goes (the other pytest worker, a busy laptop) slows both alike, and the margin of 3
    # holds with two CPU hogs on both cores (tools/cpu_paths.py --hogs).
    g = torch.Generator().manual_seed(0)
    weight, x = torch.randn(64, 64, generator=g), torch.randn(256, 64, generator=g)
    medians = compare_times({"batched": lambda: x @ weight, "loop": lambda: [row @ weight for row in x]},
                            repeat=9, warmup=2, device="cpu", threads=1)
    assert medians["loop"] > 3 * medians["batched"], medians


def test_arithmetic_intensity_formula_and_growth():
    assert arithmetic_intensity(1, 2, 3, bytes_per_value=1) == 12 / 11            # exact integers, one division
    values = [arithmetic_intensity(b, 1024, 1024) for b in (1, 16, 256, 4096)]
    assert values == sorted(values) and values[0] < 0.6 < 100 < values[-1]
    with pytest.raises(ValueError, match="batch"):
        arithmetic_intensity(0, 4, 4)


def test_product_error_orders_the_precisions():
    n = 128
    e32, e16, ebf16 = (product_error(d, size=n, device="cpu") for d in (torch.float32, torch.float16, torch.bfloat16))
    # float32: rigorously below γ_{n+2}·‖|A||B|‖/‖AB‖ (inputs rounded, sums of n products);
    # the same seed-0 matrices as product_error
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(n, n, generator=g, dtype=torch.float64), torch.randn(n, n, generator=g, dtype=torch.float64)
    ratio = ((a.abs() @ b.abs()).norm() / (a @ b).norm()).item()
    assert e32 <= gamma(n + 2, torch.float32) * ratio
    # float16 and bfloat16: dominated by rounding the inputs, whose errors behave like
    # independent uniform errors of size ≤ u (Higham and Mary's probabilistic model): the
    # relative error concentrates near √(2/3)·u (over n² entries: a spread of about 1 %),
    # well inside [u/4, 2u]; u = 2⁻¹¹ and 2⁻⁸, so the precisions are ordered
    u16, ubf16 = unit_roundoff(torch.float16), unit_roundoff(torch.bfloat16)
    assert gamma(n + 2, torch.float32) * ratio < u16 / 4 < e16 < 2 * u16 <= ubf16 / 4 < ebf16 < 2 * ubf16
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
