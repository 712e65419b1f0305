"""Figures of Chapter 7 (synthesis): text generation (§7.1) and image generation
(§7.2), one function per figure or demo plot.

Each function takes what a page computed and returns a matplotlib figure in the house
style of :mod:`lbdl_book.plot`; its docstring names the figure and the shapes of its
inputs. Labels come from ``lbdl_book/strings/ch07_*.py`` through :func:`lbdl_book.t`.
"""

from __future__ import annotations

from .. import plot
from ..i18n import t

# §7.1 Text generation: sampling and decoding, knowledge in the weights ------------------

def tg_tradeoff(points: dict, curves: dict, singles: dict, reference: str, n: int = 3):
    """§7.1, the quality/diversity trade-off of decoding. ``points``: setting name →
    (mean log-likelihood per character, its standard error, mean distinct-``n``, its
    standard error), over the prompts; ``curves``: legend label → list of setting names
    joined by a line (a sweep of one knob), with the knob's value written at each point;
    ``singles``: legend label → one setting name (greedy, beam search) drawn as a marker;
    ``reference``: the setting of the real validation text, drawn as a star."""
    fig, ax = plot.subplots(width=7.0, height=4.0)
    colours = iter(plot.CLASS_COLORS)
    for label, names in curves.items():
        colour = next(colours)
        xs, xe, ys, ye = zip(*(points[name][:4] for name in names))
        ax.errorbar(xs, ys, xerr=xe, yerr=ye, fmt="o-", ms=4, lw=1.2, color=colour, label=label, capsize=2)
        for name, x, y in zip(names, xs, ys):
            ax.annotate(name.split("=")[-1], (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7,
                        color=colour)
    for (label, name), marker in zip(singles.items(), ("s", "D", "^")):
        x, xe, y, ye = points[name][:4]
        ax.errorbar([x], [y], xerr=[xe], yerr=[ye], fmt=marker, ms=7, color=plot.BLACK, mfc="white", label=label,
                    capsize=2)
    x, xe, y, ye = points[reference][:4]
    ax.errorbar([x], [y], xerr=[xe], yerr=[ye], fmt="*", ms=13, color=plot.ORANGE, label=t("tg_val_text"), capsize=2)
    ax.set(xlabel=t("tg_axis_likelihood"), ylabel=t("tg_axis_distinct", n=n))
    ax.legend(fontsize=8, loc="lower left")
    return fig


def tg_samples(prompts: list, texts: list, title: str):
    """§7.1 explorer, one frame: for each prompt (a string), the text a decoding setting
    wrote after it (a string): the prompt on one line in grey, the text under it in black,
    monospace, line breaks shown as ↵."""
    fig, ax = plot.subplots(width=7.0, height=0.4 + 0.5 * len(prompts))
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    step = 1.0 / len(prompts)
    for k, (prompt, text) in enumerate(zip(prompts, texts)):
        y = 1.0 - k * step
        ax.text(0.0, y, "…" + prompt.replace("\n", "↵") + " →", va="top", ha="left", fontfamily="monospace",
                fontsize=9, color=plot.GREY, transform=ax.transAxes)
        ax.text(0.04, y - 0.4 * step, text.replace("\n", "↵"), va="top", ha="left", fontfamily="monospace",
                fontsize=9, color=plot.BLACK, transform=ax.transAxes)
    return fig


def tg_facts(rows: list, chance: float):
    """§7.1, knowledge in the weights: greedy completion accuracy of each condition.
    ``rows``: list of (label, accuracy, standard error, number of prompts); ``chance``:
    the accuracy of a uniform guess among the names, drawn as a dashed line."""
    fig, ax = plot.subplots(width=7.0, height=0.6 + 0.45 * len(rows))
    labels, accuracy, se, counts = zip(*rows)
    ax.barh(range(len(rows)), accuracy, xerr=se, color=[plot.BLUE if a > 0.5 else plot.GREY for a in accuracy],
            capsize=3)
    for k, (a, n) in enumerate(zip(accuracy, counts)):
        inside = a > 0.5                                      # the label inside a long bar, after a short one
        ax.text(a - 0.02 if inside else a + 0.02, k, f"{a:.0%} ({n})", va="center", ha="right" if inside else "left",
                fontsize=8, color="white" if inside else plot.BLACK)
    ax.axvline(chance, color=plot.RED, ls="--", lw=1, label=t("tg_chance", chance=chance))
    ax.set_yticks(range(len(rows)), labels, fontsize=8)
    ax.set(xlim=(0, 1.05), xlabel=t("tg_accuracy"))
    ax.invert_yaxis()
    ax.grid(False)
    ax.legend(fontsize=8, loc="lower right")
    return fig


# §7.1 Few-shot prediction ---------------------------------------------------------------

def fs_curve(shots, accuracy, n: int, chance, ceiling, live=None):
    """§7.1, few-shot accuracy. ``shots`` (K,) numbers of examples in the prompt;
    ``accuracy`` (K,) the shipped GPT's accuracy on ``n`` test prompts per point, drawn
    with ±2 standard errors; ``chance`` and ``ceiling`` (K,) the two reference curves;
    ``live``: optional ``(accuracy (K,), seconds)`` of the live run."""
    fig, ax = plot.subplots(width=6.4, height=3.8)
    shots, accuracy = list(shots), [float(a) for a in accuracy]
    err = [2 * (a * (1 - a) / n) ** 0.5 for a in accuracy]
    ax.plot(shots, list(ceiling), "--", color=plot.GREY, lw=1.2, label=t("fs_ceiling"))
    ax.errorbar(shots, accuracy, yerr=err, fmt="o-", color=plot.BLUE, ms=5, lw=1.6, capsize=3,
                label=t("fs_model", n=n))
    if live is not None:
        ax.plot(shots, list(live[0]), "s:", color=plot.ORANGE, ms=4, lw=1.2, label=t("fs_live", seconds=live[1]))
    ax.plot(shots, list(chance), ":", color=plot.RED, lw=1.4, label=t("fs_chance"))
    ax.set(xlabel=t("fs_shots"), ylabel=t("fs_accuracy"), ylim=(0, 1.02), xticks=shots)
    ax.legend(fontsize=8, loc="upper left")
    return fig


def fs_emergence(checkpoints: dict, chance: dict):
    """§7.1, in-context ability during pre-training. ``checkpoints``: number of shots k →
    list (E,) of the test accuracy after each of the E epochs; ``chance``: k → the chance
    level at k shots, drawn as a dotted line in the same colour."""
    fig, ax = plot.subplots(width=6.4, height=3.6)
    for colour, (k, values) in zip(plot.CLASS_COLORS, checkpoints.items()):
        epochs = range(1, len(values) + 1)
        ax.plot(epochs, values, "o-", ms=4, color=colour, label=t("fs_k_shots", k=k))
        ax.axhline(chance[k], color=colour, ls=":", lw=0.9)
    ax.set(xlabel=t("fs_epoch"), ylabel=t("fs_accuracy"), ylim=(0, 1.02))
    ax.legend(fontsize=8, loc="center right")
    return fig


def fs_attention(words: list, attention, candidates: list, probabilities, answer: str):
    """§7.1 explorer, one frame: the prompt's ``words`` (T,) with the attention (T,) that
    the answer position pays to each of them, and the model's probabilities (L,) of the
    ``candidates`` label words for the next word; the correct ``answer`` in green."""
    fig, (top, bottom) = plot.subplots(2, 1, width=8.0, height=4.4, gridspec_kw={"height_ratios": [1.3, 1]},
                                       layout="constrained")
    x = range(len(words))
    top.bar(x, list(attention), color=plot.BLUE)
    top.set_xticks(list(x), words, rotation=90, fontsize=7, fontfamily="monospace")
    top.set(ylabel=t("fs_attention"), xlim=(-0.6, max(len(words), 10) - 0.4))
    top.yaxis.label.set_size(7)
    colours = [plot.GREEN if c == answer else plot.GREY for c in candidates]
    bottom.bar(range(len(candidates)), list(probabilities), color=colours)
    bottom.set_xticks(range(len(candidates)), candidates, fontsize=7, fontfamily="monospace")
    bottom.set(ylabel=t("fs_probability"), ylim=(0, 1))
    bottom.set_title(t("fs_answer", word=answer), fontsize=9)
    return fig


# §7.1 Reinforcement learning from human feedback ----------------------------------------

def _rlhf_smooth(values, width: int):
    import torch

    v = torch.tensor(values, dtype=torch.float64)
    c = torch.cat([torch.zeros(1, dtype=torch.float64), v.cumsum(0)])
    lo = (torch.arange(len(v)) - width + 1).clamp(min=0)
    return ((c[1:] - c[lo]) / (torch.arange(len(v)) + 1 - lo)).tolist()   # trailing mean of ≤ width steps


def rlhf_curves(runs: dict, sft: dict, width: int = 10):
    """§7.1 RLHF, fine-tuning against the reward model: ``runs`` maps a legend label to an
    :class:`~lbdl_book.models.rlhf.RLHFRun` (per-step batch means, smoothed here over
    ``width`` steps); three panels against the step: the reward model's reward, the hidden
    true score, and the KL estimate (symmetric-log scale). ``sft``: the SFT policy's
    ``reward`` and ``true`` means, drawn as dotted lines."""
    fig, axes = plot.subplots(1, 3, width=10.0, height=3.0)
    colours = (plot.BLUE, plot.RED, plot.GREEN, plot.ORANGE)
    for (label, run), colour in zip(runs.items(), colours):
        steps = range(1, len(run.reward) + 1)
        for ax, values in zip(axes, (run.reward, run.true, run.kl)):
            ax.plot(steps, _rlhf_smooth(values, width), color=colour, lw=1.4, label=label)
    for ax, key in zip(axes[:2], ("reward", "true")):
        ax.axhline(sft[key], color=plot.GREY, ls=":", lw=1.2, label=t("rlhf_sft_line"))
    axes[2].set_yscale("symlog", linthresh=0.1)
    for ax, key in zip(axes, ("rlhf_axis_reward", "rlhf_axis_true", "rlhf_axis_kl")):
        ax.set(xlabel=t("rlhf_axis_step"), ylabel=t(key))
    axes[1].legend(fontsize=8)
    return fig


# §7.2 Image generation: denoising diffusion ---------------------------------------------

def diff_moons(data, noise, samples, paths, *, limit: float = 3.2):
    """§7.2, diffusion in the plane: four panels on the same axes, the training data
    (N, 2), white noise x_T (M, 2), the generated samples x_0 (M, 2), and the
    trajectories ``paths`` (T + 1, K, 2) of K points from x_T (index 0) to x_0 (last
    index), coloured from light (t = T) to dark (t = 0)."""
    import numpy as np

    fig, axes = plot.subplots(1, 4, width=11.0, height=3.0)
    clouds = ((data, plot.GREY, "diff_fig_data"), (noise, plot.ORANGE, "diff_fig_noise"),
              (samples, plot.BLUE, "diff_fig_samples"))
    for ax, (points, colour, key) in zip(axes, clouds):
        points = points.detach().cpu()
        ax.scatter(points[:, 0], points[:, 1], s=2, color=colour, alpha=0.5, linewidths=0)
        ax.set_title(t(key, n=len(points)), fontsize=9)
    ax = axes[3]
    ax.scatter(data[:, 0].cpu(), data[:, 1].cpu(), s=1, color=plot.GREY, alpha=0.15, linewidths=0)
    paths = paths.detach().cpu().numpy()
    shades = plot.plt.cm.viridis(np.linspace(0.9, 0.0, len(paths) - 1))
    for k in range(paths.shape[1]):
        for step in range(len(paths) - 1):
            ax.plot(paths[step:step + 2, k, 0], paths[step:step + 2, k, 1], color=shades[step], lw=0.8)
    ax.scatter(paths[0, :, 0], paths[0, :, 1], s=10, color=plot.ORANGE, zorder=3, label="$x_T$")
    ax.scatter(paths[-1, :, 0], paths[-1, :, 1], s=10, color=plot.BLUE, zorder=3, label="$x_0$")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(t("diff_fig_paths", k=paths.shape[1]), fontsize=9)
    for ax in axes:
        ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal", xticks=[], yticks=[])
    return fig


def diff_grid(images, column_titles, row_titles=None, *, width: float = 8.6):
    """§7.2, a grid of small images (Figure 7.2 and the forward process) drawn as one
    mosaic: ``images`` (R, C, H, W) with pixels in [0, 1] (row r, column c), dark on
    white, one pixel of gap; ``column_titles`` C strings over the columns, ``row_titles``
    R strings on the left (or None)."""
    import torch

    rows, columns, h, w = images.shape
    mosaic = torch.full((rows * (h + 1) - 1, columns * (w + 1) - 1), 0.15)
    for r in range(rows):
        for c in range(columns):
            mosaic[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = images[r, c].detach().cpu()
    fig, ax = plot.subplots(1, 1, width=width, height=0.5 + width * rows / columns)
    ax.imshow(mosaic.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.xaxis.tick_top()
    ax.set_xticks([c * (w + 1) + (w - 1) / 2 for c in range(columns)], column_titles, fontsize=8)
    if row_titles is None:
        ax.set_yticks([])
    else:
        ax.set_yticks([r * (h + 1) + (h - 1) / 2 for r in range(rows)], row_titles, fontsize=8)
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    ax.grid(False)
    return fig


def diff_frame(images, title: str, columns: int = 8):
    """§7.2 explorer, one frame: ``images`` (n, H, W) in [0, 1] as one mosaic of
    ``columns`` pictures a row, with ``title``."""
    import torch

    n, h, w = images.shape
    rows = -(-n // columns)
    mosaic = torch.zeros(rows * (h + 1) - 1, columns * (w + 1) - 1)
    for k in range(n):
        r, c = divmod(k, columns)
        mosaic[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = images[k].detach().cpu()
    fig, ax = plot.subplots(1, 1, width=5.0, height=5.0 * rows / columns + 0.4)
    ax.imshow(mosaic.numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set(xticks=[], yticks=[])
    ax.spines[:].set_visible(False)
    ax.grid(False)
    ax.set_title(title, fontsize=9)
    return fig


# §7.2 Conditioning and guidance ---------------------------------------------------------

def _tile(images, columns: int):
    """(n, C, H, W) images in [0, 1] → one (rows·H, columns·W, 3) mosaic, a 1-pixel white
    gap between the pictures (greyscale images repeated over 3 channels)."""
    import torch

    images = images.detach().float().cpu().clamp(0, 1)
    if images.shape[1] == 1:
        images = 1 - images.repeat(1, 3, 1, 1)               # ink on paper, as the digits are drawn
    n, _, h, w = images.shape
    rows = -(-n // columns)
    mosaic = torch.ones(rows * (h + 1) - 1, columns * (w + 1) - 1, 3)
    for k in range(n):
        r, c = divmod(k, columns)
        mosaic[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = images[k].permute(1, 2, 0)
    return mosaic.numpy()


def guid_image_panels(panels: dict, columns: int, *, width: float = 8.6, height: float = 3.4):
    """Demo figures of the guidance page: one mosaic per entry ``title → images`` of
    ``panels`` ((n, C, H, W) in [0, 1], digits (C = 1) drawn dark on white), ``columns``
    pictures a row, side by side."""
    fig, axes = plot.subplots(1, len(panels), width=width, height=height, squeeze=False)
    for ax, (title, images) in zip(axes[0], panels.items()):
        ax.imshow(_tile(images, columns), interpolation="nearest")
        ax.set_title(title, fontsize=9)
        ax.set(xticks=[], yticks=[])
        ax.spines[:].set_visible(False)
    return fig


def guid_scale_curves(scales, match, confidence, variance, real_variance: float):
    """Classifier-free guidance on digits against the guidance scale ``scales`` (k,):
    left, the share of samples the judge assigns to the requested class (``match``, k)
    and its mean probability for that class (``confidence``, k); right, the pixel
    variance within a class (``variance``, k), with that of real digits as a line."""
    fig, (left, right) = plot.subplots(1, 2, width=8.6, height=3.2)
    left.plot(scales, match, "o-", color=plot.BLUE, label=t("guid_fig_match"))
    left.plot(scales, confidence, "s--", color=plot.ORANGE, label=t("guid_fig_confidence"))
    left.set(xlabel=t("guid_fig_scale"), ylim=(0, 1.02))
    left.legend(fontsize=8)
    right.plot(scales, variance, "o-", color=plot.BLUE, label=t("guid_fig_samples"))
    right.axhline(real_variance, color=plot.GREY, linestyle=":", label=t("guid_fig_real"))
    right.set(xlabel=t("guid_fig_scale"), ylabel=t("guid_fig_variance"), ylim=(0, None))
    right.legend(fontsize=8)
    return fig


def guid_strength_curves(strengths, rates: dict, n: int, chance: dict):
    """CLIP-gradient guidance: for each entry ``label → shares`` (k,) of ``rates`` (the
    judge's colour, shape and colour-and-shape match rates), the share against the
    guidance strength ``strengths`` (k,), with bars of ± 2 binomial standard errors for
    ``n`` samples per strength and the chance level ``chance[label]`` dotted."""
    import math

    fig, ax = plot.subplots(1, 1, width=6.0, height=3.4)
    colours = (plot.RED, plot.GREEN, plot.BLUE)
    for colour, (label, values) in zip(colours, rates.items()):
        bars = [2 * math.sqrt(max(p * (1 - p), 0.25 / n) / n) for p in values]
        ax.errorbar(strengths, values, yerr=bars, fmt="o-", color=colour, capsize=3, label=label)
        ax.axhline(chance[label], color=colour, linestyle=":", linewidth=1)
    ax.set(xlabel=t("guid_fig_strength"), ylabel=t("guid_fig_rate"), ylim=(0, 1.02))
    ax.legend(fontsize=8)
    return fig
