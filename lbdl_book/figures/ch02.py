"""Figures of Chapter 2 (efficient computation): one function per figure or demo plot.

Each function takes what a page computed (lists of numbers, tensors) and returns a
matplotlib figure in the house style of :mod:`lbdl_book.plot`; its docstring names the
figure and the shapes of its inputs. Labels come from ``lbdl_book/strings/ch02.py``
through :func:`lbdl_book.t`, in the page's language.
"""

from __future__ import annotations

import torch

from .. import plot
from ..i18n import t
from ..tensors import describe, storage_index


# §2.1 --------------------------------------------------------------------------------------


def intensity_curve(batch_sizes, intensity, d: int, annotate=(1, 64, 4096)):
    """§2.1, arithmetic intensity of a d x d linear layer: ``intensity`` (FLOPs per byte,
    one value per entry of ``batch_sizes``) on log-log axes, with the values at the batch
    sizes in ``annotate`` written beside their points."""
    fig, ax = plot.subplots(width=6.2, height=3.2)
    ax.loglog(batch_sizes, intensity, "o-", color=plot.BLUE, ms=4)
    ax.set(xlabel=t("batch_size"), ylabel=t("intensity_axis"), title=t("intensity_title", d=d))
    for b, value in zip(batch_sizes, intensity):
        if b in annotate:
            ax.annotate(f"{value:.1f}", (b, value), textcoords="offset points", xytext=(4, -12), fontsize=8)
    return fig


def batching_times(timings: dict):
    """§2.1, one sample at a time against a batch: the dict of
    :func:`lbdl_book.compute.batch_timings` (lists of seconds, one value per entry of
    ``timings["batch_size"]``). Left: time for the whole batch, looped and batched. Right:
    time per sample (µs). Log-log axes."""
    sizes = timings["batch_size"]
    fig, (left, right) = plot.subplots(1, 2, width=9.6, height=3.3)
    for name, label, color in (("loop", "one_at_a_time", plot.RED), ("batched", "batched", plot.BLUE)):
        left.loglog(sizes, timings[name], "o-", color=color, ms=4, label=t(label))
        right.loglog(sizes, [1e6 * s for s in timings[f"{name}_per_sample"]], "o-", color=color, ms=4, label=t(label))
    left.set(xlabel=t("batch_size"), ylabel=t("time_per_batch"))
    right.set(xlabel=t("batch_size"), ylabel=t("time_per_sample"))
    left.legend()
    right.legend()
    return fig


# §2.2 --------------------------------------------------------------------------------------


def _storage_grid(ax, tensor: torch.Tensor, color_by_storage: bool) -> None:
    """Draw ``tensor`` (1-D or 2-D) as a grid of cells, each numbered with the position of
    its value in the storage; coloured by that position, or grey for a copy."""
    grid = tensor.reshape(1, -1) if tensor.dim() == 1 else tensor
    index = storage_index(grid)
    if color_by_storage:       # same colour = same place in the original memory
        ax.imshow(index, cmap="viridis", vmin=-4, vmax=11)
    else:                      # a copy lives elsewhere: grey
        ax.imshow(torch.full_like(index, 8), cmap="Greys", vmin=-4, vmax=11)
    rows, cols = grid.shape
    for (row, col), value in zip(torch.cartesian_prod(torch.arange(rows), torch.arange(cols)).tolist(),
                                 index.flatten().tolist()):
        ax.text(col, row, str(value), ha="center", va="center", color="white", fontsize=10)
    ax.set(xticks=[], yticks=[])
    ax.grid(False)


def storage_views(base: torch.Tensor, result: torch.Tensor, operation: str, shared: bool):
    """§2.2, a shape over a flat storage. Left: ``base``, a contiguous (3, 4) tensor, each
    cell numbered with its position in memory. Right: ``result`` of ``operation`` (the
    code, as a string) on it, numbered the same way, coloured like the original where it
    ``shared`` its storage (a view) and grey where it is a copy."""
    info = describe(result)
    fig, (left, right) = plot.subplots(1, 2, width=8.0, height=2.8, gridspec_kw={"width_ratios": [1, 1.6]})
    _storage_grid(left, base, True)
    left.set_title(t("storage_original", stride=base.stride()))
    _storage_grid(right, result, shared)
    right.set_title(f"{operation}: {t('shape_stride', shape=info['shape'], stride=info['stride'])}\n"
                    + t("view_shares" if shared else "view_copies"))
    return fig
