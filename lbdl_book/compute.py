"""Efficient computation (LBDL §2.1): measuring what batching and precision buy.

The functions here time real operations on the machine that runs them (CPU, or the
GPU of :func:`lbdl_book.device`), so the numbers in §2.1 are measurements, not
quotations. Timings are medians over repeats, with the GPU synchronised around each.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence

import torch

from ._checks import positive_int, synchronize
from .config import device as default_device


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _clock(name: str) -> Callable[[], float]:
    """The function that reads the clock ``name`` ("wall" or "cpu"), in seconds."""
    if name not in CLOCKS:
        raise ValueError(f"clock must be one of {sorted(CLOCKS)}, got {name!r}")
    return CLOCKS[name]


def timeit(fn: Callable[[], object], *, repeat: int = 7, warmup: int = 1, device=None,
           threads: int | None = None, clock: str = "wall") -> float:
    """Median time of ``fn()`` in seconds, after ``warmup`` untimed calls.

    ``threads``: run with this many CPU threads (e.g. 1, to compare with a Python loop,
    or to get steady numbers on a busy machine); ``None`` keeps PyTorch's setting.
    ``clock="cpu"`` measures the CPU time of this process instead of the wall-clock time:
    with one thread, the time the processor spent on ``fn``, whatever else the machine
    runs (it leaves out the moments when other programs have the processor)."""
    if not callable(fn):
        raise TypeError("fn must be callable")
    positive_int(repeat, "repeat")
    if threads is not None:
        positive_int(threads, "threads")
    now = _clock(clock)
    device = torch.device(device) if device is not None else default_device()
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads or previous_threads)
    try:
        for _ in range(warmup):
            fn()
        times = []
        for _ in range(repeat):
            synchronize(device)
            start = now()
            fn()
            synchronize(device)
            times.append(now() - start)
    finally:
        torch.set_num_threads(previous_threads)
    return statistics.median(times)


def compare_times(variants: Mapping[str, Callable[[], object]], *, repeat: int = 7, warmup: int = 1,
                  device=None, threads: int | None = None, clock: str = "wall") -> dict[str, float]:
    """Median time in seconds of each of several ``variants`` (name → function).

    The variants are timed in interleaved rounds: every round calls each of them once,
    in an order that rotates from round to round. A load that comes and goes on a busy
    machine then slows all of them alike, and the ratio of two medians stays steady where
    separate timings (all of A, then all of B) would credit one variant with the other's
    quiet moment. Every comparison of speeds in the book goes through this function.
    ``threads`` and ``clock`` as in :func:`timeit`; ``clock="cpu"`` (CPU device only, since
    it does not see the time a GPU spends) leaves out the moments when other programs have
    the processor, which no interleaving can fully even out on an overloaded machine."""
    if not isinstance(variants, Mapping) or not variants:
        raise TypeError(f"variants must be a non-empty mapping of names to functions, got {variants!r}")
    for name, fn in variants.items():
        if not callable(fn):
            raise TypeError(f"variant {name!r} must be callable, got {type(fn).__name__}")
    positive_int(repeat, "repeat")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(f"warmup must be an int >= 0, got {warmup!r}")
    if threads is not None:
        positive_int(threads, "threads")
    now = _clock(clock)
    device = torch.device(device) if device is not None else default_device()
    if clock == "cpu" and device.type != "cpu":
        raise ValueError(f"clock='cpu' needs the CPU device (it does not count the GPU's time), got {device}")
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads or previous_threads)
    try:
        for _ in range(warmup):
            for name in names:
                variants[name]()
        for round_ in range(repeat):
            shift = round_ % len(names)
            for name in names[shift:] + names[:shift]:
                synchronize(device)
                start = now()
                variants[name]()
                synchronize(device)
                times[name].append(now() - start)
    finally:
        torch.set_num_threads(previous_threads)
    return {name: statistics.median(values) for name, values in times.items()}


def batch_timings(dim: int, batch_sizes: Sequence[int], *, device=None, repeat: int = 7,
                  seed: int = 0, threads: int | None = None) -> dict[str, list[float]]:
    """Time a linear map ``x @ W`` with ``W`` of shape (dim, dim) on batches of inputs.

    For each batch size B it measures the product of the (B, dim) batch at once, and a
    Python loop that multiplies the B samples one at a time. Returns lists, one value
    per batch size, of seconds: ``"batched"`` (whole batch), ``"loop"`` (whole batch,
    sample by sample), and the per-sample costs ``"batched_per_sample"`` and
    ``"loop_per_sample"``. The two variants of each size are timed in interleaved rounds
    (:func:`compare_times`, medians), so a load on the machine slows both alike;
    ``threads`` as in :func:`timeit`."""
    positive_int(dim, "dim")
    if isinstance(batch_sizes, (str, bytes)) or not isinstance(batch_sizes, Sequence) or not batch_sizes:
        raise ValueError(f"batch_sizes must be a non-empty sequence of positive ints, got {batch_sizes!r}")
    for i, b in enumerate(batch_sizes):
        positive_int(b, f"batch_sizes[{i}]")
    device = torch.device(device) if device is not None else default_device()
    g = torch.Generator().manual_seed(seed)
    weight = torch.randn(dim, dim, generator=g).to(device)
    result: dict[str, list[float]] = {"batch_size": list(batch_sizes), "batched": [], "loop": []}
    for b in batch_sizes:
        x = torch.randn(b, dim, generator=g).to(device)
        medians = compare_times({"batched": lambda: x @ weight, "loop": lambda: [row @ weight for row in x]},
                                repeat=repeat, device=device, threads=threads)
        result["batched"].append(medians["batched"])
        result["loop"].append(medians["loop"])
    result["batched_per_sample"] = [t / b for t, b in zip(result["batched"], batch_sizes)]
    result["loop_per_sample"] = [t / b for t, b in zip(result["loop"], batch_sizes)]
    return result


def arithmetic_intensity(batch: int, d_in: int, d_out: int, bytes_per_value: int = 4) -> float:
    """FLOPs per byte moved for the product of a (batch, d_in) input with a (d_in, d_out)
    weight matrix: 2·B·D·D' operations for B·D + D·D' values read and B·D' written.

    The weights are read once whatever the batch size, so the intensity grows with B
    until the input and output dominate: this is why a batch costs little more than
    one sample on a device limited by memory traffic."""
    for name, value in (("batch", batch), ("d_in", d_in), ("d_out", d_out), ("bytes_per_value", bytes_per_value)):
        positive_int(value, name)
    flops = 2 * batch * d_in * d_out
    moved = bytes_per_value * (batch * d_in + d_in * d_out + batch * d_out)
    return flops / moved


def product_error(dtype: torch.dtype, *, size: int = 256, seed: int = 0, device=None) -> float:
    """Relative error ‖AB − (AB)_64‖ / ‖(AB)_64‖ of a product of two random (size, size)
    matrices computed in ``dtype``, against the same product in float64."""
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating-point torch.dtype, got {dtype!r}")
    positive_int(size, "size")
    device = torch.device(device) if device is not None else default_device()
    g = torch.Generator().manual_seed(seed)
    a, b = torch.randn(size, size, generator=g, dtype=torch.float64), torch.randn(size, size, generator=g, dtype=torch.float64)
    exact = a @ b
    low = (a.to(device, dtype) @ b.to(device, dtype)).to("cpu", torch.float64)
    return ((low - exact).norm() / exact.norm()).item()


def transfer_and_compute(size: int = 4096, *, device=None, repeat: int = 5) -> dict[str, float] | None:
    """On a GPU, seconds to move a (size, size) float32 matrix over the host-to-device
    link (``"host_to_device"``), to copy it within the device's own memory
    (``"on_device"``), and to multiply two such matrices there (``"matmul"``), plus the
    ``"bytes"`` moved and the ``"flops"`` of the product. ``None`` on a CPU-only machine,
    where there is no host-to-device link to measure."""
    positive_int(size, "size")
    device = torch.device(device) if device is not None else default_device()
    if device.type == "cpu":
        return None
    host = torch.randn(size, size).pin_memory() if device.type == "cuda" else torch.randn(size, size)
    on_device = host.to(device)
    return {
        "host_to_device": timeit(lambda: host.to(device), repeat=repeat, device=device),
        "on_device": timeit(lambda: on_device.clone(), repeat=repeat, device=device),
        "matmul": timeit(lambda: on_device @ on_device, repeat=repeat, device=device),
        "bytes": host.numel() * 4,
        "flops": 2 * size**3,
    }
