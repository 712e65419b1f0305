"""Training speed of the models of Chapters 5 and 6 against their torch.nn twins (`make bench-models`).

    python tools/bench_models.py                     # print the table
    python tools/bench_models.py --write README.md   # and replace it between the bench-models markers
    python tools/bench_models.py --scratch           # add a column: the book's computations (fused=False)
    python tools/bench_models.py --only gpt vit      # some rows only

For each model, at the sizes its page trains with the cpu profile (plus a larger GPT and
MLP), one training step is timed: forward pass, loss (cross-entropy; MSE for the
denoiser), backward pass and an AdamW step. Ours (``lbdl_book.models``, built from ``lbdl_book.nn`` with the fused path that the
models use by default, :mod:`lbdl_book.nn.fused`) and its twin (``tests/twins.py``:
``nn.TransformerEncoderLayer``, ``nn.Transformer``, ``nn.Conv2d``, ...) hold the same
weights and train on the same batch. The steps run on one thread, in blocks of
interleaved rounds with a rotating order (``lbdl_book.compute.compare_times``; a block
runs each variant once in each position), so a load that comes and goes on the machine
slows both alike. Each time is the median over the blocks; the ratio is the median of the
blocks' ratios, the twin's time over ours (our throughput relative to the twin's), given
with a distribution-free 95 % confidence interval for that median. Each model should
reach at least 0.9: "yes" when the whole interval is at or above 0.9, "no" when it is
below, "within noise" when the machine was too busy to tell.

Before timing, the logits of ours and of the twin are compared: they must agree within
the rounding bound of the unit tests (``tests/_bounds.chain``), which proves that the two
really compute the same function with the same weights.

The allocator is held still (:func:`steady_allocator`): by default glibc's ``malloc``
raises its mmap threshold as large blocks are freed, so whether the gradient buffers of a
step are fresh pages (a page fault per page, every step) or reused heap memory depends on
the history of the process. Two models that run the very same kernels (the MLP, where
both run the same 303 ATen operations per step) then differ by up to ±30 % from one run to
the next, a bias of the process and not of either model.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from _bounds import chain, chain_sizes  # noqa: E402
from twins import gpt_twin, recurrent_twin, torch_twin, transformer_twin, vit_twin  # noqa: E402
from bench import write_between_markers  # noqa: E402

from lbdl_book.compute import compare_times  # noqa: E402
from lbdl_book.nn.fused import set_fused  # noqa: E402

START, END = "<!-- bench-models:start -->", "<!-- bench-models:end -->"
TARGET = 0.9                    # our throughput must be at least 0.9 × the twin's
MIN_BLOCKS, MAX_BLOCKS = 15, 400


@dataclass
class Case:
    """One row: ``build()`` returns (our model, its inputs as a tuple, the target tensor);
    ``twin`` makes the torch.nn twin of our model; ``ignore_index``: padding left out of the
    cross-entropy; ``loss``: "cross_entropy" over the last axis of the logits (a class per
    row), "per_pixel" (logits (N, C, H, W), one class per pixel) or "mse" (images)."""

    name: str
    config: str
    build: Callable[[], tuple[torch.nn.Module, tuple, torch.Tensor]]
    twin: Callable[[torch.nn.Module], torch.nn.Module]
    ignore_index: int = -100
    loss: str = "cross_entropy"


def steady_allocator() -> str:
    """Fix glibc's mmap threshold at 32 MiB (its maximum) and its trim threshold at 64 MiB,
    which also stops the threshold from moving: a step's buffers then come from the heap
    and are reused from step to step, for ours and for the twin alike. Returns what was
    done, for the table's footnote."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return "the default allocator"
    m_trim_threshold, m_mmap_threshold = -1, -3                    # from glibc's malloc.h
    if mallopt(m_mmap_threshold, 32 << 20) and mallopt(m_trim_threshold, 64 << 20):
        return "glibc's mmap threshold fixed (`mallopt`)"
    return "the default allocator"


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _mlp(sizes, batch):
    def build():
        from lbdl_book.models.mlp import MLP
        torch.manual_seed(0)
        x = torch.randn(batch, sizes[0], generator=_generator())
        return MLP(sizes), (x,), torch.randint(sizes[-1], (batch,), generator=_generator(1))
    return build


def _lenet():
    from lbdl_book.models.lenet import LeNet
    torch.manual_seed(0)
    x = torch.randn(32, 1, 28, 28, generator=_generator())
    return LeNet(), (x,), torch.randint(10, (32,), generator=_generator(1))


def _resnet():
    from lbdl_book.models.resnet import resnet_digits
    torch.manual_seed(0)
    x = torch.randn(32, 1, 8, 8, generator=_generator())
    return resnet_digits(), (x,), torch.randint(10, (32,), generator=_generator(1))


def _transformer():
    from lbdl_book.data.seq2seq import PAD, VOCAB_SIZE, seq2seq_task
    from lbdl_book.models.transformer import Transformer
    train, _ = seq2seq_task(64, 1, min_length=3, max_length=6, seed=0)
    torch.manual_seed(0)
    model = Transformer(VOCAB_SIZE, dim=32, num_heads=4, num_encoder_layers=2, num_decoder_layers=2, max_len=8,
                        pad_index=PAD)
    pairs = train.packed()
    source_length = train.source.shape[1]
    return model, (pairs[:, :source_length], pairs[:, source_length:]), train.target


def _gpt(vocab, context, dim, heads, layers, batch):
    def build():
        from lbdl_book.models.gpt import GPT
        torch.manual_seed(0)
        tokens = torch.randint(vocab, (batch, context + 1), generator=_generator())
        return GPT(vocab, context, dim, heads, layers), (tokens[:, :-1],), tokens[:, 1:]
    return build


def _vit():
    from lbdl_book.models.vit import ViT
    torch.manual_seed(0)
    model = ViT(8, 2, 1, 10, dim=32, num_heads=4, num_layers=2, mlp_dim=64)
    return model, (torch.randn(64, 1, 8, 8, generator=_generator()),), torch.randint(10, (64,), generator=_generator(1))


def _detector():
    from lbdl_book.models.detector import Detector
    torch.manual_seed(0)
    # the cross-entropy of the bench runs over the 4 + C + 1 = 9 outputs of each of the B default boxes
    x = torch.rand(64, 3, 64, 64, generator=_generator())
    return Detector(), (x,), torch.randint(9, (64, 1023), generator=_generator(1))


def _dqn():
    from lbdl_book.models.dqn import QNetwork
    x = torch.rand(32, 4, 10, 8, generator=_generator())
    return QNetwork(), (x,), torch.randint(3, (32,), generator=_generator(1))


def _denoiser():
    from lbdl_book.models.denoiser import IMAGE_SIZE, Denoiser
    torch.manual_seed(0)
    x = torch.rand(32, 3, IMAGE_SIZE, IMAGE_SIZE, generator=_generator())
    return Denoiser(), (x,), torch.rand(32, 3, IMAGE_SIZE, IMAGE_SIZE, generator=_generator(1))


def _segmenter(name: str):
    def build():
        from lbdl_book.models import segmenter
        torch.manual_seed(0)
        x = torch.rand(16, 3, 64, 64, generator=_generator())
        target = torch.randint(segmenter.NUM_CLASSES, (16, 64, 64), generator=_generator(1))
        return getattr(segmenter, name)(), (x,), target
    return build


def _crop_classifier(name: str):
    def build():
        from lbdl_book.models import classifier
        torch.manual_seed(0)
        x = torch.rand(64, 3, classifier.CROP_SIZE, classifier.CROP_SIZE, generator=_generator())
        return getattr(classifier, name)(), (x,), torch.randint(4, (64,), generator=_generator(1))
    return build


def _recurrent(kind: str):
    def build():
        from lbdl_book.data.memory_tasks import marked_recall
        from lbdl_book.models.rnn import RecurrentClassifier
        torch.manual_seed(0)
        x, y = marked_recall(64, 50, seed=0)
        return RecurrentClassifier(kind, x.shape[-1], 16, 4), (x,), y
    return build


def _pad_index() -> int:
    from lbdl_book.data.seq2seq import PAD
    return PAD


CASES = {
    "mlp": Case("MLP (§5.1)", "sizes (2, 25, 10, 2), ReLU, batch 400", _mlp((2, 25, 10, 2), 400), torch_twin),
    "mlp-large": Case("MLP", "sizes (784, 512, 256, 10), ReLU, batch 64", _mlp((784, 512, 256, 10), 64), torch_twin),
    "lenet": Case("LeNet (§5.2)", "Figure 5.2, 1 × 28 × 28, batch 32", _lenet, torch_twin),
    "resnet": Case("ResNet (§5.2)", "`resnet_digits()`, 1 × 8 × 8, batch 32", _resnet, torch_twin),
    "transformer": Case("Transformer (§5.3)", "D = 32, 4 heads, 2 + 2 layers, S = T = 7, batch 64", _transformer,
                        transformer_twin, ignore_index=_pad_index()),
    "gpt": Case("GPT (§5.3)", "D = 64, 4 heads, 2 layers, T = 32, batch 32", _gpt(52, 32, 64, 4, 2, 32), gpt_twin),
    "gpt-large": Case("GPT", "D = 128, 4 heads, 4 layers, T = 128, batch 16", _gpt(52, 128, 128, 4, 4, 16), gpt_twin),
    "vit": Case("ViT (§5.3)", "D = 32, 4 heads, 2 layers, P = 2, 1 × 8 × 8, batch 64", _vit, vit_twin),
    "shape-resnet": Case("ResNet (§6.2)", "`shape_resnet()`, 3 × 16 × 16 crops, batch 64",
                         _crop_classifier("shape_resnet"), torch_twin),
    "shape-vit": Case("ViT (§6.2)", "`shape_vit()`, 3 × 16 × 16 crops, batch 64", _crop_classifier("shape_vit"),
                      vit_twin),
    "denoiser": Case("Denoiser (§6.1)", "`Denoiser()`, 3 × 32 × 32, batch 32", _denoiser, torch_twin, loss="mse"),
    "detector": Case("Detector (§6.3)", "`Detector()`, 3 × 64 × 64, batch 64", _detector, torch_twin),
    "plain-net": Case("Down-up network (§6.4)", "`plain_net()`, 3 × 64 × 64, batch 16", _segmenter("plain_net"),
                      torch_twin, loss="per_pixel"),
    "unet": Case("U-Net (§6.4)", "`unet()`, 3 × 64 × 64, batch 16", _segmenter("unet"), torch_twin,
                 loss="per_pixel"),
    "psp-net": Case("PSPNet (§6.4)", "`psp_net()`, 3 × 64 × 64, batch 16", _segmenter("psp_net"), torch_twin,
                    loss="per_pixel"),
    "dqn": Case("Q-network (§6.7)", "`QNetwork()`, 4 × 10 × 8, batch 32 (cross-entropy stands in for Eq. 6.2)",
                _dqn, torch_twin),
    "gru": Case("GRU (missing bits)", "hidden 16, marked recall at lag 50 (T = 51), batch 64", _recurrent("gru"),
                recurrent_twin),
    "lstm": Case("LSTM (missing bits)", "hidden 16, marked recall at lag 50 (T = 51), batch 64", _recurrent("lstm"),
                 recurrent_twin),
}


def training_step(model: torch.nn.Module, inputs: tuple, target: torch.Tensor, ignore_index: int,
                  loss: str = "cross_entropy") -> Callable:
    """One step of training: zero the gradients, forward, the loss, backward, AdamW."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    losses = {"cross_entropy": lambda out: F.cross_entropy(out.flatten(0, -2), target.flatten(), ignore_index=ignore_index),
              "per_pixel": lambda out: F.cross_entropy(out, target),
              "mse": lambda out: F.mse_loss(out, target)}

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        losses[loss](model(*inputs)).backward()
        optimizer.step()
    return step


def check_same_function(model, twin, inputs) -> None:
    """The logits of ``model`` and ``twin`` agree within the unit tests' rounding bound."""
    stages, terms = chain_sizes(twin, *inputs)
    with torch.no_grad():
        ours, theirs = model(*inputs), twin(*inputs)
    bound = chain(theirs, stages=stages, terms=terms)
    gap = (ours - theirs).abs().max()
    if not gap <= bound:
        raise SystemExit(f"the twin does not compute the same function: max |difference| {gap.item():.3g} > "
                         f"rounding bound {bound.item():.3g}")


def seconds_per_step(step: Callable, rounds: int = 2) -> float:
    """A first estimate, on one thread, to choose the number of blocks."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        for _ in range(rounds):
            step()
        return (time.perf_counter() - start) / rounds
    finally:
        torch.set_num_threads(threads)


def measure(case: Case, budget: float, scratch: bool) -> dict:
    model, inputs, target = case.build()
    twin = case.twin(model)
    check_same_function(model, twin, inputs)
    variants = {"ours": training_step(model, inputs, target, case.ignore_index, case.loss),
                "twin": training_step(twin, inputs, target, case.ignore_index, case.loss)}
    if scratch:
        book, _, _ = case.build()
        set_fused(book, False)
        variants["book"] = training_step(book, inputs, target, case.ignore_index, case.loss)
    compare_times(variants, repeat=1, warmup=2, threads=1)          # optimizer states, allocator
    # Blocks of len(variants) interleaved rounds, each variant once in each position: the
    # ratio of one block compares steps run within a few milliseconds of each other. The
    # variant that opens a block changes from block to block too: the first step after
    # compare_times starts runs a little slower (by 2 to 7 % here, measured with a model
    # against a copy of itself), and must not always be the same one.
    per_block = len(variants) * sum(seconds_per_step(step) for step in variants.values())
    count = max(MIN_BLOCKS, min(MAX_BLOCKS, int(budget / per_block)))
    names = list(variants)
    blocks = []
    for i in range(count):
        order = names[i % len(names):] + names[:i % len(names)]
        blocks.append(compare_times({name: variants[name] for name in order}, repeat=len(variants), warmup=0,
                                    threads=1))
    times = {name: statistics.median(block[name] for block in blocks) for name in variants}
    ratios = sorted(block["twin"] / block["ours"] for block in blocks)
    return {"times": times, "blocks": count, "ratio": statistics.median(ratios), "interval": median_interval(ratios)}


def median_interval(values: list[float]) -> tuple[float, float]:
    """A 95 % confidence interval for the median of the distribution ``values`` (sorted)
    were drawn from, without assuming its shape: the order statistics of ranks
    n/2 ∓ 1.96·√n/2 (the number of values below the median is Binomial(n, 1/2))."""
    n = len(values)
    half_width = 1.96 * math.sqrt(n) / 2
    low, high = max(math.floor(n / 2 - half_width), 1), min(math.ceil(n / 2 + half_width) + 1, n)
    return values[low - 1], values[high - 1]


def verdict(low: float, high: float) -> str:
    """Whether the interval of the ratio clears the target, misses it, or straddles it."""
    if low >= TARGET:
        return "yes"
    if high < TARGET:
        return "**no**"
    return "within noise"


def machine() -> str:
    name = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def load() -> str:
    """The machine's 1-minute load average, where the system reports one."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except (AttributeError, OSError):
        return "unknown"


def table(results: dict[str, dict], scratch: bool, load_before: str, allocator: str) -> str:
    head = "| model | configuration | ours (ms/step) | twin (ms/step) | ratio (95 % interval) | ≥ 0.9× |"
    rule = "| --- | --- | ---: | ---: | ---: | :---: |"
    if scratch:
        head += " book's computations (ms/step) | fused speed-up |"
        rule += " ---: | ---: |"
    lines = [head, rule]
    for key, result in results.items():
        case, times, (low, high) = CASES[key], result["times"], result["interval"]
        row = (f"| {case.name} | {case.config} | {1e3 * times['ours']:.2f} | {1e3 * times['twin']:.2f} | "
               f"{result['ratio']:.2f} ({low:.2f}–{high:.2f}) | {verdict(low, high)} |")
        if scratch:
            row += f" {1e3 * times['book']:.2f} | {times['book'] / times['ours']:.1f}× |"
        lines.append(row)
    blocks = sorted({r["blocks"] for r in results.values()})
    blocks = f"{blocks[0]}" if len(blocks) == 1 else f"{blocks[0]}–{blocks[-1]}"
    lines += ["", f"Measured by `make bench-models` (`tools/bench_models.py`) on {machine()}, torch "
                  f"{torch.__version__}, one thread, {allocator}, load average {load_before} at the start, "
                  f"{datetime.date.today().isoformat()}: one training step (forward, "
                  f"loss, backward, AdamW) of our model (fused path, the default of `lbdl_book.models`) and "
                  f"of its torch.nn twin (`tests/twins.py`) with the same weights and data, in {blocks} blocks of "
                  f"interleaved rounds (`compare_times`); times are medians over the blocks. Ratio = twin time / "
                  f"our time, our throughput relative to the twin's: the median of the blocks' ratios, with a 95 % "
                  f"confidence interval for it; \"within noise\" when that interval contains 0.9."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, help="replace the table between the bench-models markers of this file")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds of timing per model (default 20)")
    parser.add_argument("--only", nargs="+", choices=sorted(CASES), help="time these models only")
    parser.add_argument("--scratch", action="store_true", help="also time the book's computations (fused=False)")
    args = parser.parse_args(argv)
    allocator = steady_allocator()
    results, load_before = {}, load()
    for key in args.only or CASES:
        results[key] = measure(CASES[key], args.budget, args.scratch)
        result = results[key]
        print(f"{key}: " + ", ".join(f"{name} {1e3 * t:.2f} ms" for name, t in result["times"].items())
              + f", ratio {result['ratio']:.2f} ({result['interval'][0]:.2f}–{result['interval'][1]:.2f}), "
              f"{result['blocks']} blocks", file=sys.stderr, flush=True)
    text = table(results, args.scratch, load_before, allocator)
    print(text)
    if args.write:
        write_between_markers(args.write, START, END, text)


if __name__ == "__main__":
    main()
