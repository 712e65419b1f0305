"""Figures of Chapter 8 (the compute schism): prompt engineering (§8.1), quantization
(§8.2), adapters (§8.3) and model merging (§8.4), one function per figure or demo plot.

Each function takes what a page computed and returns a matplotlib figure in the house
style of :mod:`lbdl_book.plot`; its docstring names the figure and the shapes of its
inputs. Labels come from ``lbdl_book/strings/ch08_*.py`` through :func:`lbdl_book.t`.
"""

from __future__ import annotations

from .. import plot
from ..i18n import t

# §8.1 Prompt engineering: chain of thought ----------------------------------------------

def pe_figure_8_1(panels: list[tuple[str, list[tuple[str, str]]]]):
    """Figure 8.1 (reconstructed as text): ``panels`` is a list of (title, lines), each
    line a pair (prompt text, generated text); the generated part is set in bold, right
    after the prompt, in a monospace font."""
    import matplotlib.transforms as mtransforms
    height = sum(len(lines) + 2 for _, lines in panels) * 0.22 + 0.4
    fig, ax = plot.subplots(width=7.2, height=height)
    ax.set_axis_off()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    size, row, y = 8.5, 1 / (sum(len(lines) + 2 for _, lines in panels)), 1.0
    for title, lines in panels:
        y -= row
        ax.text(0, y, title, fontsize=size + 1, color="0.3", va="center")
        for prompt, generated in lines:
            y -= row
            ax.text(0.02, y, prompt, family="monospace", fontsize=size, va="center")
            shift = mtransforms.offset_copy(ax.transData, fig=fig, x=0.602 * size * len(prompt), units="points")
            ax.text(0.02, y, generated, family="monospace", fontsize=size, va="center", weight="bold",
                    transform=shift)
        y -= row
    ax.set_title(t("pe_title_8_1"), fontsize=size + 1)
    return fig


def pe_accuracy(steps: list[int], direct, cot):
    """Demo figure of §8.1 (not a book figure): accuracy of the final answer against the
    number of operations; ``direct`` and ``cot`` are (seeds, len(steps)) arrays, one
    line per seed (thin) and their mean (thick)."""
    import numpy as np
    fig, ax = plot.subplots(width=6.0, height=3.6)
    for values, key, color in ((np.asarray(direct), "pe_without", "C0"), (np.asarray(cot), "pe_with", "C3")):
        for run in values:
            ax.plot(steps, run, color=color, alpha=0.35, lw=1)
        ax.plot(steps, values.mean(0), color=color, lw=2.5, marker="o", label=t(key))
    ax.set_xticks(steps)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(t("pe_axis_steps"))
    ax.set_ylabel(t("pe_axis_accuracy"))
    ax.set_title(t("pe_title"), fontsize=10)
    ax.legend(fontsize=8)
    return fig


# §8.1 Retrieval-augmented generation ----------------------------------------------------

def rag_results(recall: dict, accuracy: dict):
    """Demo figure of §8.1, retrieval-augmented generation (not a book figure). Left: the
    recall@k of each retriever, ``recall`` mapping a label to {k: recall}; right: the
    generator's answer accuracy with each context, ``accuracy`` mapping a label to
    (accuracy, standard error), drawn as horizontal bars with ±1 standard error."""
    fig, (left, right) = plot.subplots(1, 2, width=8.5, height=3.2, gridspec_kw={"width_ratios": [1, 1.3]})
    for name, values in recall.items():
        left.plot(list(values), list(values.values()), "o-", label=name)
    left.set_xticks(sorted({k for values in recall.values() for k in values}))
    left.set_ylim(0, 1.05)
    left.set_xlabel(t("rag_axis_k"))
    left.set_ylabel(t("rag_axis_recall"))
    left.legend(fontsize=8, loc="lower right")
    names = list(accuracy)
    right.barh(range(len(names)), [accuracy[n][0] for n in names], xerr=[accuracy[n][1] for n in names],
               color="tab:blue", alpha=0.8)
    right.set_yticks(range(len(names)), names, fontsize=8)
    right.invert_yaxis()
    right.set_xlim(0, 1.05)
    right.set_xlabel(t("rag_axis_accuracy"))
    return fig

# §8.2 Quantization ----------------------------------------------------------------------

def quant_figure_8_2(results: dict):
    """Figure 8.2 (substitute): validation perplexity against parameter memory.

    ``results``: model label → {format name → (bytes, perplexity)}, one entry per model
    size; the formats "F32" and "F16" (the unquantized originals) are drawn as crosses,
    the block formats as dots joined by a line and labelled with their names. The memory
    axis (bytes) is logarithmic."""
    from matplotlib.ticker import EngFormatter

    fig, ax = plot.subplots(width=6.8, height=4.0)
    colours = (plot.BLUE, plot.RED, plot.GREEN, plot.ORANGE)
    for k, (label, points) in enumerate(results.items()):
        colour = colours[k % len(colours)]
        blocks = sorted((b, p, name) for name, (b, p) in points.items() if name not in ("F32", "F16"))
        ax.plot([b for b, _, _ in blocks], [p for _, p, _ in blocks], "o-", color=colour, ms=4, lw=1, label=label)
        for b, p, name in blocks:
            ax.annotate(name, (b, p), textcoords="offset points", xytext=(1, 5), fontsize=6.5, color=colour,
                        rotation=70)
        for name in ("F32", "F16"):
            if name in points:
                b, p = points[name]
                ax.plot([b], [p], "x", color=colour, ms=8, mew=2)
                ax.annotate(name, (b, p), textcoords="offset points", xytext=(1, 7), fontsize=6.5, color=colour,
                            rotation=70)
    from matplotlib.ticker import NullFormatter

    ax.set_xscale("log")
    ax.set_yscale("log")
    low, high = ax.get_xlim()
    ax.set_xticks([v for v in (1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6) if low <= v <= high])
    ax.xaxis.set_major_formatter(EngFormatter(unit="B", sep=" "))
    low, high = ax.get_ylim()
    ax.set_ylim(top=high * 1.15)
    ax.set_yticks([v for v in (3, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30, 50, 100) if low <= v <= high * 1.15])
    ax.yaxis.set_major_formatter("{x:g}")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(t("quant_axis_bytes"))
    ax.set_ylabel(t("quant_axis_perplexity"))
    ax.legend(fontsize=8, loc="upper right")
    return fig


def quant_block(x, decoded, levels, fmt: str, error: float):
    """Demo of §8.2 (not a book figure): one block of 32 weights in a block format.

    ``x`` (32,): the float weights; ``decoded`` (32,): their values x̃ after encoding in
    ``fmt`` and decoding; ``levels`` (L,): every value the block can represent (d·q + m,
    or d·(q − zero), for each code q); ``error``: the block's largest |x − x̃|, printed."""
    import numpy as np

    fig, ax = plot.subplots(width=6.8, height=2.9)
    for level in np.asarray(levels, dtype=float):
        ax.axhline(level, color=plot.GREY, lw=0.5, alpha=0.6, zorder=0)
    index = np.arange(len(x))
    ax.vlines(index, x, decoded, color=plot.RED, lw=1)
    ax.plot(index, x, "o", color=plot.BLUE, ms=4, label=t("quant_block_float"))
    ax.plot(index, decoded, "_", color=plot.RED, ms=9, mew=2, label=t("quant_block_decoded"))
    ax.set_xlabel(t("quant_block_index"))
    ax.set_title(t("quant_block_title", fmt=fmt, levels=len(levels), error=error), fontsize=9)
    ax.legend(fontsize=7, loc="lower right", ncols=2)
    return fig

# §8.3 Adapters --------------------------------------------------------------------------

def adapt_tradeoff(results: dict, base: tuple[float, float], steps: int):
    """Demo figure of §8.3 (not a book figure): learning against forgetting.

    ``results``: label → (loss on the old text, loss on the new text, trainable
    parameters), one point per adaptation method; ``base``: the base model's (old, new)
    losses. The x-axis is the loss on the old text (further right: more forgetting), the
    y-axis the loss on the new one (lower: more learned)."""
    fig, ax = plot.subplots(width=6.4, height=3.8)
    ax.scatter([base[0]], [base[1]], marker="*", s=140, color="black", zorder=3)
    ax.annotate(t("adapt_base"), base, textcoords="offset points", xytext=(6, -4), fontsize=8)
    for label, (old, new, params) in results.items():
        ax.scatter([old], [new], s=40, zorder=3)
        ax.annotate(f"{label}\n{t('adapt_params_label', params=params)}", (old, new), textcoords="offset points",
                    xytext=(6, 2), fontsize=7)
    ax.set_xlabel(t("adapt_axis_old"))
    ax.set_ylabel(t("adapt_axis_new"))
    ax.set_title(t("adapt_title", steps=steps))
    ax.margins(x=0.25, y=0.08)
    return fig


# §8.4 Model merging ---------------------------------------------------------------------


def merge_coefficients(grid, accuracy, names, points):
    """The demo figure of §8.4: the test accuracy of θ + λ_1 τ_1 + λ_2 τ_2 over a grid of
    coefficients. ``grid``: (K,) values of λ; ``accuracy``: (K, K, 2), entry [i, j, k] the
    accuracy on task ``names[k]`` with λ_1 = grid[i], λ_2 = grid[j]; ``points``: dict
    ``{"base": (λ_1, λ_2), "ft": [...], "sum": (...), "best": (...), "neg": [...]}`` of the
    merges to mark. Three panels: each task, and their mean."""
    import torch

    panels = [accuracy[..., 0], accuracy[..., 1], accuracy.mean(-1)]
    titles = [t("merge_fig_acc", name=names[0]), t("merge_fig_acc", name=names[1]), t("merge_fig_mean")]
    fig, axes = plot.subplots(1, 3, width=12.0, height=4.0, sharey=True)
    step = float(grid[1] - grid[0])
    extent = [float(grid[0]) - step / 2, float(grid[-1]) + step / 2, float(grid[0]) - step / 2,
              float(grid[-1]) + step / 2]
    markers = [("base", "o", plot.BLACK), ("ft", "s", plot.BLUE), ("sum", "^", plot.GREEN),
               ("best", "*", plot.ORANGE), ("neg", "v", plot.RED)]
    for ax, panel, title in zip(axes, panels, titles):
        image = ax.imshow(torch.as_tensor(panel).T, origin="lower", extent=extent, cmap="viridis", vmin=0, vmax=1,
                          aspect="equal")
        for key, marker, colour in markers:
            spots = points[key] if isinstance(points[key], list) else [points[key]]
            ax.scatter([p[0] for p in spots], [p[1] for p in spots], marker=marker, s=70, color=colour,
                       edgecolor="white", linewidth=0.8, label=t(f"merge_pt_{key}"), zorder=3)
        ax.set_title(title)
        ax.set_xlabel(t("merge_fig_x"))
    axes[0].set_ylabel(t("merge_fig_y"))
    fig.colorbar(image, ax=list(axes), shrink=0.85, pad=0.02)
    axes[0].legend(loc="lower left", fontsize=8, framealpha=0.85)
    return fig


def merge_table(results: dict, names) -> str:
    """The table of §8.4 as text: ``results`` maps a method key ``k`` (labelled by the string
    ``merge_m_<k>``) to a list over seeds of dicts task name → test accuracy; ``names``: the
    task names (columns). Each cell is the mean ± standard deviation over the seeds; columns
    are aligned for Chinese labels too (wide characters count twice)."""
    import statistics
    import unicodedata

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)

    def pad(text: str, size: int) -> str:
        return text + " " * max(0, size - width(text))

    labels = {key: t(f"merge_m_{key}") for key in results}
    first = max(width(label) for label in labels.values()) + 2
    seeds = len(next(iter(results.values())))
    lines = [t("merge_table_note", seeds=seeds), pad("", first) + "".join(pad(t("merge_task", name=n), 17)
                                                                         for n in names)]
    for key, runs in results.items():
        cells = [f"{statistics.mean(r[n] for r in runs):.3f} ± {statistics.stdev(r[n] for r in runs):.3f}"
                 for n in names]
        lines.append(pad(labels[key], first) + "".join(pad(cell, 17) for cell in cells))
    return "\n".join(line.rstrip() for line in lines)


def merge_classes(per_class, base_per_class, coefficients, accuracies, names):
    """The interactive demo of §8.4: the test accuracy of one merged model on each digit
    class. ``per_class``, ``base_per_class``: (10,) accuracies of the merge and of the base;
    ``coefficients``: (λ_1, λ_2); ``accuracies``: dict task name → accuracy of the merge;
    ``names``: the two task names (classes 0-4 and 5-9, coloured apart)."""
    fig, ax = plot.subplots(width=6.4, height=3.2)
    colours = [plot.BLUE] * 5 + [plot.ORANGE] * 5
    ax.bar(range(10), [float(v) for v in per_class], color=colours, width=0.7)
    ax.scatter(range(10), [float(v) for v in base_per_class], marker="_", s=300, color=plot.BLACK, zorder=3,
               label=t("merge_pt_base"))
    ax.set_xticks(range(10))
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(t("merge_fig_class"))
    ax.set_ylabel(t("merge_fig_class_acc"))
    ax.set_title(t("merge_fig_class_title", a=coefficients[0], b=coefficients[1],
                   acc_a=accuracies[names[0]], acc_b=accuracies[names[1]]), fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    return fig
