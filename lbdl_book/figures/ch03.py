"""Figures of Chapter 3 (training): one function per figure or demo plot.

Each function takes what a page computed (tensors, lists of numbers) and returns a
matplotlib figure in the house style of :mod:`lbdl_book.plot`; its docstring names the
figure it draws and the shapes of its inputs. Labels come from the string catalogues
``lbdl_book/strings/ch03*.py`` through :func:`lbdl_book.t`, in the page's language.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch

from .. import plot
from ..i18n import t

__all__ = [
    "adam_on_scaled_bowls",
    "causal_model",
    "chain_rule_frequencies",
    "dependency_maps",
    "digit_samples",
    "double_descent",
    "fine_tuning_gains",
    "overfitting_curves",
    "schedule_comparison",
    "scaling_sweep",
    "perplexity_curves",
    "segmentation_view",
    "checkpointing_costs",
    "clipping_runs",
    "excess_loss_curves",
    "feature_warping",
    "layer_panel",
    "gradient_descent_geometry",
    "gradient_norms_by_layer",
    "learning_rate_run",
    "minibatch_noise",
    "norms_explorer_view",
    "trapped_and_escaped",
]


# --- §3.2 autoregressive models -------------------------------------------------------------

def chain_rule_frequencies(names: Sequence[str], probabilities, frequencies, num_samples: int):
    """The toy check of the chain rule, §3.2: for every sequence (``names``, one label
    each), its probability by the chain rule and its frequency among ``num_samples``
    sequences sampled token by token, both (S,) tensors, side by side."""
    fig, ax = plot.subplots(width=8.0, height=3.0)
    position = torch.arange(len(names))
    ax.bar(position - 0.2, probabilities, width=0.4, color=plot.BLUE, label=t("ar_chain_rule"))
    ax.bar(position + 0.2, frequencies, width=0.4, color=plot.RED, label=t("ar_sampled", n=num_samples))
    ax.set_xticks(position, names, rotation=90, fontfamily="monospace")
    ax.set(xlabel=t("ar_sequence"), ylabel=t("ar_probability"), ylim=(0, 1.45 * probabilities.max()))
    ax.legend(loc="upper left")
    return fig


def causal_model(length: int = 5):
    """Figure 3.1, a causal autoregressive model on ``length`` positions: the inputs
    x_1 … x_(T−1) (bottom), the logits l_1 … l_T (top), in blue the dependencies of the
    logits on earlier tokens, in red the sampling of x_t from l_t."""
    fig, ax = plot.subplots(width=6.4, height=3.2)
    for t_in in range(1, length):
        for s in range(t_in + 1, length + 1):            # blue: x_t feeds l_s only for s > t
            ax.annotate("", xy=(s, 1), xytext=(t_in + 0.5, 0),
                        arrowprops=dict(arrowstyle="-|>", color=plot.BLUE, lw=1.1, shrinkA=11, shrinkB=11))
        ax.annotate("", xy=(t_in + 0.5, 0), xytext=(t_in, 1),   # red: sample x_t from l_t
                    arrowprops=dict(arrowstyle="-|>", color=plot.RED, lw=1.8, shrinkA=11, shrinkB=11,
                                    connectionstyle="arc3,rad=0.45"))
    box = dict(boxstyle="round,pad=0.35", fc="white", lw=1.2, ec=plot.BLACK)
    for s in range(1, length + 1):
        ax.text(s, 1, f"$l_{s}$", ha="center", va="center", fontsize=13, bbox=box)
    for t_in in range(1, length):
        ax.text(t_in + 0.5, 0, f"$x_{t_in}$", ha="center", va="center", fontsize=13, bbox=box)
    ax.text(0.35, 1, t("ar_fig_logits"), ha="right", va="center", color=plot.GREY)
    ax.text(0.35, 0, t("ar_fig_inputs"), ha="right", va="center", color=plot.GREY)
    ax.plot([], [], color=plot.BLUE, label=t("ar_fig_blue"))
    ax.plot([], [], color=plot.RED, lw=1.8, label=t("ar_fig_red"))
    ax.set(xlim=(-0.6, length + 0.5), ylim=(-0.75, 1.35))
    ax.axis("off")
    ax.legend(loc="lower center", ncol=1, bbox_to_anchor=(0.5, -0.05))
    return fig


def dependency_maps(causal_map, centred_map):
    """Causality measured, §3.2: two (T, T) maps of max |∂l_t / ∂e_s| (output position t
    down, input position s across), for the causal model and for a centred window."""
    size = len(causal_map)
    fig, axes = plot.subplots(1, 2, width=8.4, height=4.0)
    ticks = [1] + list(range(4, size + 1, 4))
    for ax, matrix, title in zip(axes, (causal_map, centred_map), (t("ar_causal_title"), t("ar_noncausal_title"))):
        image = ax.imshow(matrix, cmap="Blues", vmin=0, extent=(0.5, size + 0.5, size + 0.5, 0.5))
        ax.plot([0.5, size + 0.5], [0.5, size + 0.5], color=plot.RED, lw=0.8)
        ax.set(title=title, xlabel=t("ar_input_position"), ylabel=t("ar_output_position"), xticks=ticks, yticks=ticks)
        ax.grid(False)
    fig.colorbar(image, ax=axes, shrink=0.8, label=t("ar_dependency"))
    return fig


def segmentation_view(rows: Sequence[tuple[str, Sequence[str]]]):
    """The BPE explorer of §3.2: for each row, a header line and the tokens of one
    sentence (strings, spaces and line breaks already made visible), drawn as coloured
    boxes that wrap at the right edge."""
    fig, ax = plot.subplots(width=7.6, height=2.6)
    ax.set_axis_off()                                   # we write in figure coordinates, (0, 0) to (1, 1)
    renderer = fig.canvas.get_renderer()
    y = 0.95
    for header, pieces in rows:
        fig.text(0.01, y, header, fontsize=10, va="top")
        x, y = 0.01, y - 0.2
        for k, piece in enumerate(pieces):              # one coloured box per token, wrapping at the edge
            label = fig.text(x, y, piece, fontsize=11, va="center",
                             bbox=dict(boxstyle="square,pad=0.1", ec="none", fc=("#cfdff5", "#f6d0d0")[k % 2]))
            box = label.get_window_extent(renderer).transformed(fig.transFigure.inverted())
            if box.x1 > 0.99:
                x, y = 0.01, y - 0.16
                label.set_position((x, y))
                box = label.get_window_extent(renderer).transformed(fig.transFigure.inverted())
            x = box.x1 + 0.008
        y -= 0.17
    return fig


def perplexity_curves(train_loss: Sequence[float], val_loss: Sequence[float], vocab_size: int, unigram: float):
    """Training of the character model, §3.2: the perplexity (exp of the cross-entropy)
    per epoch on the training windows and on the validation text (lists, one value per
    epoch), with the uniform (``vocab_size``) and unigram baselines."""
    fig, ax = plot.subplots(width=6.4, height=3.2)
    epochs = range(1, len(train_loss) + 1)
    ax.plot(epochs, torch.tensor(train_loss).exp(), "o-", color=plot.BLUE, label=t("ar_train_curve"))
    ax.plot(epochs, torch.tensor(val_loss).exp(), "o-", color=plot.RED, label=t("ar_val_curve"))
    ax.axhline(vocab_size, color=plot.BLACK, ls="--", lw=1, label=t("ar_uniform"))
    ax.axhline(unigram, color=plot.GREY, ls=":", lw=1.5, label=t("ar_unigram"))
    ax.set(xlabel=t("epoch"), ylabel=t("ar_perplexity"), yscale="log", ylim=(2, 60))
    ax.set_yticks([2, 5, 10, 20, vocab_size], [2, 5, 10, 20, vocab_size])
    ax.minorticks_off()
    ax.legend(fontsize=8, loc="lower left")
    return fig


# --- §3.3 gradient descent -------------------------------------------------------------------

def _level_lines(ax, grid_1, grid_2, surface, levels) -> None:
    ax.contour(grid_1, grid_2, surface, levels=levels, colors=plot.GREY, linewidths=0.8)
    ax.grid(False)


def gradient_descent_geometry(grid_1, grid_2, surface, levels, anchors, arrows, paths, starts, minimum=(1.0, 1.0)):
    """Figure 3.2, the geometry of gradient descent on a two-parameter loss.

    ``grid_1``, ``grid_2``, ``surface``: (H, W) grids of w_1, w_2 and the loss; ``levels``:
    the loss values of the grey level lines. Left: unit vectors ``arrows`` (A, 2) along the
    gradient at the points ``anchors`` (A, 2). Right: the trajectories ``paths`` (a list of
    (S + 1, 2) tensors, one dot every 10 steps) from ``starts`` (K, 2) to ``minimum``."""
    fig, (left, right) = plot.subplots(1, 2, width=8.4, height=4.2)
    for ax in (left, right):
        _level_lines(ax, grid_1, grid_2, surface, levels)
        ax.set(xlim=(grid_1.min(), grid_1.max()), ylim=(grid_2.min(), grid_2.max()), aspect="equal",
               xlabel=t("gd_w1"), ylabel=t("gd_w2"))
    left.quiver(anchors[:, 0], anchors[:, 1], arrows[:, 0], arrows[:, 1], color=plot.RED, angles="xy",
                scale_units="xy", scale=3.5, width=0.006)
    left.plot(anchors[:, 0], anchors[:, 1], ".", color=plot.RED, ms=3)
    left.set_title(t("gd_gradient_title"))
    for path in paths:
        right.plot(path[:, 0], path[:, 1], color=plot.RED, lw=1.4)
        right.plot(path[::10, 0], path[::10, 1], ".", color=plot.RED, ms=4)
    right.plot(starts[:, 0], starts[:, 1], "o", color=plot.BLACK, ms=5)
    right.plot(*minimum, "*", color=plot.BLACK, ms=11)
    right.set_title(t("gd_trajectory_title"))
    return fig


def learning_rate_run(grid_1, grid_2, surface, path, losses, title):
    """The learning-rate explorer of §3.3: one run of gradient descent on a 2-D quadratic.

    ``grid_1``, ``grid_2``, ``surface``: (H, W) grids for the level lines; ``path``: the
    (S + 1, 2) iterates, drawn on the left; ``losses``: their (S + 1,) losses, on a log
    scale on the right; ``title``: the figure's title."""
    fig, (left, right) = plot.subplots(1, 2, width=8.0, height=3.2)
    _level_lines(left, grid_1, grid_2, surface, [0.25, 1, 2.5, 5, 10, 20])
    left.plot(path[:, 0], path[:, 1], ".-", color=plot.RED, lw=1.2, ms=5)
    left.plot(0, 0, "*", color=plot.BLACK, ms=10)
    left.set(xlim=(grid_1.min(), grid_1.max()), ylim=(grid_2.min(), grid_2.max()), aspect="equal",
             xlabel=t("gd_w1"), ylabel=t("gd_w2"))
    right.semilogy(losses, ".-", color=plot.RED, lw=1.2, ms=5)
    right.set(ylim=(1e-9, 1e4), xlabel=t("step"), ylabel=t("gd_loss_log"))
    fig.suptitle(title, fontsize=11)
    return fig


def trapped_and_escaped(loss, w, runs, starts, ends):
    """The local-minimum demo of §3.3 (and §3.6): gradient descent on a 1-D loss with a
    wide basin and a narrow well.

    ``loss``: the loss, a function of (..., 1) tensors; ``w``: (G,) grid on which it is
    drawn. ``runs``: a mapping label → (S + 1,) trajectory from one starting point,
    drawn on the loss curve (left). ``starts``: (K,) starting points; ``ends``: a mapping
    label → (K,) parameter at the end of the run from each start, whose loss is drawn
    against the start (right)."""
    fig, (left, right) = plot.subplots(1, 2, width=9.0, height=3.3)
    left.plot(w, loss(w[:, None]), color=plot.GREY, lw=1.5)
    colors, markers = (plot.BLUE, plot.RED, plot.GREEN, plot.BLACK), ("o", "x", "s", "^")
    for (label, path), color in zip(runs.items(), colors):
        left.plot(path, loss(path[:, None]), ".-", color=color, lw=0.8, ms=5, alpha=0.8, label=label)
    first = next(iter(runs.values()))[:1]
    left.plot(first, loss(first[:, None]), "o", color=plot.BLACK, ms=6)
    left.set(xlabel=t("gd_w"), ylabel=t("loss"), xlim=(w[0], w[-1]))
    left.legend(loc="upper center", fontsize=8)
    for (label, end), color, marker in zip(ends.items(), colors, markers):
        right.plot(starts, loss(end[:, None]), marker, color=color, ms=5, mfc="none", label=label)
    right.set(xlabel=t("gd_start"), ylabel=t("gd_final_loss"))
    right.legend(loc="upper left", fontsize=8)
    return fig


def minibatch_noise(batch_sizes: Sequence[int], theory, rms, bias, repeats: int):
    """The mini-batch gradient noise of §3.3 against the batch size B, on log-log axes.

    All inputs are lists with one value per batch size: ``theory`` (the formula), ``rms``
    (the measured RMS error over ``repeats`` mini-batches) and ``bias`` (the error of the
    mean of the ``repeats`` estimates)."""
    fig, ax = plot.subplots(width=5.6, height=3.2)
    ax.loglog(batch_sizes, theory, color=plot.BLUE, lw=1.5, label=t("gd_noise_theory"))
    ax.loglog(batch_sizes, rms, "o", color=plot.RED, label=t("gd_noise_measured", k=repeats))
    ax.loglog(batch_sizes, [r / repeats**0.5 for r in rms], ":", color=plot.BLACK,
              label=t("gd_noise_averaged", k=repeats))
    ax.loglog(batch_sizes, bias, "x", color=plot.BLACK, label=t("gd_noise_bias", k=repeats))
    ax.set(xlabel=t("batch_size"), ylabel=t("gd_noise_axis"))
    ax.legend(loc="upper right", fontsize=8)
    return fig


def excess_loss_curves(samples: Mapping[str, torch.Tensor], excess: Mapping[str, torch.Tensor],
                       labels: Mapping[str, str], n: int):
    """Loss against compute in §3.3: for each run (same keys in the three mappings),
    ``samples`` (R,) per-sample gradients spent and ``excess`` (R,) excess loss at each
    record; ``labels`` the legend; ``n`` the size of the training set (one epoch)."""
    fig, ax = plot.subplots(width=6.4, height=3.4)
    for (name, label), color in zip(labels.items(), (plot.BLACK, plot.BLUE, plot.RED)):
        ax.semilogy(samples[name] / n, excess[name], ".-" if color == plot.BLACK else "-", color=color, lw=1.5,
                    label=label)
    ax.set(xlabel=t("gd_epochs_axis", n=n), ylabel=t("gd_excess_loss"))
    ax.legend()
    return fig


def adam_on_scaled_bowls(bowls, paths, labels):
    """Adam against gradient descent on a badly scaled quadratic, §3.3.

    ``bowls``: a mapping kind → loss (``"aligned"`` and ``"rotated"``, callables on (..., 2)
    tensors); ``paths``: a mapping (kind, ``"gd"`` or ``"adam"``) → (S + 1, 2) iterates;
    ``labels``: the legend of the loss curves, a mapping (kind, optimiser) → text, whose
    keys choose the curves of the right panel."""
    fig, axes = plot.subplots(1, 3, width=9.6, height=3.6)
    for ax, kind, title in zip(axes, bowls, (t("gd_axis_aligned"), t("gd_rotated"))):
        both = torch.cat([paths[kind, "gd"], paths[kind, "adam"]])
        low, high = both.min(0).values - 0.3, both.max(0).values + 0.3
        c1, c2 = torch.meshgrid(torch.linspace(low[0], high[0], 150, dtype=torch.float64),
                                torch.linspace(low[1], high[1], 150, dtype=torch.float64), indexing="xy")
        _level_lines(ax, c1, c2, bowls[kind](torch.stack([c1, c2], dim=-1)), [0.02, 0.1, 0.5, 2, 8, 32, 128])
        ax.plot(paths[kind, "gd"][:, 0], paths[kind, "gd"][:, 1], color=plot.BLUE, lw=0.5, alpha=0.6)
        ax.plot(paths[kind, "adam"][:, 0], paths[kind, "adam"][:, 1], ".-", color=plot.RED, lw=1.2, ms=2.5)
        ax.set(aspect="equal", title=title, xlabel=t("gd_w1"), ylabel=t("gd_w2"))
    for (kind, name), label in labels.items():
        style = dict(color=plot.BLUE if name == "gd" else plot.RED, ls="--" if kind == "rotated" else "-")
        axes[2].semilogy(bowls[kind](paths[kind, name]), label=label, **style)
    axes[2].set(ylim=(1e-8, 1e3), xlabel=t("step"), ylabel=t("gd_loss_log"))
    axes[2].legend(fontsize=8)
    return fig


# --- §3.4 backpropagation --------------------------------------------------------------------

def checkpointing_costs(depths: Sequence[int], plain_bytes: Sequence[int], checkpoint_bytes: Sequence[int],
                        times: Mapping[str, float]):
    """The two sides of checkpointing, §3.4. Left: bytes of activations kept for the
    backward pass against the depth, without and with √D segments (lists, one value per
    depth in ``depths``). Right: forward and backward times in seconds of the plain and
    the checkpointed network, ``times`` with keys ``"forward"``, ``"forward+backward"``,
    ``"checkpointed forward"`` and ``"checkpointed forward+backward"``."""
    fig, (left, right) = plot.subplots(1, 2, width=9.0, height=3.3)
    left.plot(depths, [b / 2**20 for b in plain_bytes], "o-", color=plot.RED, label=t("bp_no_checkpointing"))
    left.plot(depths, [b / 2**20 for b in checkpoint_bytes], "o-", color=plot.BLUE, label=t("bp_checkpointing"))
    left.set(xlabel=t("bp_depth"), ylabel=t("bp_saved_mib"))
    left.legend()
    names = [t("bp_plain_short"), t("bp_checkpointed_short")]
    forward_ms = [1e3 * times["forward"], 1e3 * times["checkpointed forward"]]
    total_ms = [1e3 * times["forward+backward"], 1e3 * times["checkpointed forward+backward"]]
    right.bar(names, forward_ms, color=plot.GREY, label=t("bp_forward"))
    right.bar(names, [b - f for f, b in zip(forward_ms, total_ms)], bottom=forward_ms, color=plot.BLUE,
              label=t("bp_backward"))
    right.set(ylabel=t("bp_time_ms"))
    right.legend()
    return fig


def gradient_norms_by_layer(norms: Mapping[float, Mapping[str, torch.Tensor]]):
    """Vanishing and exploding gradients, §3.4: for each gain g (the keys of ``norms``),
    ``norms[g]["activations"]`` (D + 1,) the norms of the gradients with respect to the
    activations x^(0) … x^(D) (left) and ``norms[g]["weights"]`` (D,) those with respect
    to the weights of layers 1 … D (right), on log scales."""
    fig, (left, right) = plot.subplots(1, 2, width=9.0, height=3.4)
    for (gain, norm), color in zip(norms.items(), (plot.BLUE, plot.BLACK, plot.RED)):
        depth = len(norm["weights"])
        left.semilogy(range(depth + 1), norm["activations"], "o-", ms=2.5, color=color, label=t("bp_gain", gain=gain))
        right.semilogy(range(1, depth + 1), norm["weights"], "o-", ms=2.5, color=color, label=t("bp_gain", gain=gain))
    left.set(xlabel=t("bp_layer_d"), ylabel=t("bp_grad_activations"))
    right.set(xlabel=t("bp_layer_d"), ylabel=t("bp_grad_weights"))
    left.legend()
    return fig


def norms_explorer_view(norms: Mapping[str, torch.Tensor], activation: str, gain: float):
    """One frame of the gradient-norm explorer of §3.4: ``norms`` as one entry of
    :func:`gradient_norms_by_layer` (activations (D + 1,), weights (D,)), for a chain of
    ``activation`` layers initialised with ``gain``."""
    depth = len(norms["weights"])
    ratio = (norms["activations"][0] / norms["activations"][-1]).item()
    fig, ax = plot.subplots(width=6.0, height=3.3)
    ax.semilogy(range(depth + 1), norms["activations"], "o-", ms=2.5, color=plot.BLUE, label=t("bp_grad_activations"))
    ax.semilogy(range(1, depth + 1), norms["weights"], "o-", ms=2.5, color=plot.RED, label=t("bp_grad_weights"))
    ax.set(ylim=(1e-16, 1e22), xlabel=t("bp_layer_d"),
           title=t("bp_norms_title", activation=activation, gain=gain, ratio=ratio))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, fontsize=8)
    return fig


def clipping_runs(losses: Mapping[str, Sequence[float]], grad_norms: Mapping[str, Sequence[float]], tau: float):
    """Training with and without gradient-norm clipping, §3.4: for each run (the legend
    labels are the keys, the same in both mappings), the loss (left) and the gradient
    norm before clipping (right) at every step, with the threshold ``tau``."""
    fig, (left, right) = plot.subplots(1, 2, width=9.0, height=3.3)
    for (label, curve), color in zip(losses.items(), (plot.RED, plot.BLUE)):
        left.semilogy(curve, color=color, label=label)
        right.semilogy(grad_norms[label], color=color, label=label)
    right.axhline(tau, color=plot.BLACK, ls="--", lw=1, label=t("bp_threshold"))
    left.set(xlabel=t("step"), ylabel=t("loss"))
    right.set(xlabel=t("step"), ylabel=t("bp_grad_norm"))
    left.legend()
    right.legend()
    return fig


# --- §3.6 training protocols ------------------------------------------------------------------

def digit_samples(images, labels, wrong):
    """A row of training images of §3.6 with their labels: ``images`` (16, 1, 16, 16),
    ``labels`` (16,) and ``wrong`` (16,) booleans, the labels changed by the noise, in red."""
    fig, axes = plot.subplots(2, 8, width=8.0, height=2.5)
    for ax, image, label, bad in zip(axes.flat, images, labels.tolist(), wrong.tolist()):
        ax.imshow(image[0], cmap="gray_r")
        ax.set_title(t("tp_label_title", label=label), fontsize=9, color=plot.RED if bad else plot.BLACK)
        ax.set_axis_off()
    return fig


def overfitting_curves(train_loss, val_loss, best: int):
    """Figure 3.5, training and validation losses: ``train_loss`` and ``val_loss`` (E,)
    per epoch, epochs counted from 1; ``best`` the epoch of the validation minimum, from
    which the overfitting region is shaded."""
    epochs = len(train_loss)
    fig, ax = plot.subplots(width=6.4, height=3.4)
    ax.axvspan(best, epochs, color=plot.ORANGE, alpha=0.15, lw=0)
    ax.text((best + epochs) / 2, 0.45 * max(val_loss), t("tp_overfitting"), ha="center", color=plot.ORANGE, fontsize=12)
    ax.plot(range(1, epochs + 1), train_loss, color=plot.BLUE, lw=2, label=t("training"))
    ax.plot(range(1, epochs + 1), val_loss, color=plot.RED, lw=2, label=t("tp_validation"))
    ax.axvline(best, color=plot.GREY, ls="--", lw=1, label=t("tp_best_epoch", epoch=best))
    ax.set(xlabel=t("tp_epochs"), ylabel=t("loss"), xlim=(0, epochs), ylim=(0, 1.05 * max(val_loss)))
    ax.legend(loc="lower left")
    return fig


def double_descent(num_features: Sequence[int], error, squared_error, threshold: int):
    """Double descent with random features, §3.6: the test error rate (left) and the test
    squared error (right) against the number of features p (lists or (P,) tensors),
    with the interpolation threshold p = N = ``threshold``."""
    fig, (left, right) = plot.subplots(1, 2, width=8.4, height=3.2)
    left.semilogx(num_features, error, "o-", ms=3, color=plot.RED)
    left.set(xlabel=t("tp_features"), ylabel=t("tp_test_error"), ylim=(0, 1))
    right.loglog(num_features, squared_error, "o-", ms=3, color=plot.RED)
    right.set(xlabel=t("tp_features"), ylabel=t("tp_test_squared_error"))
    for ax in (left, right):
        ax.axvline(threshold, color=plot.GREY, ls="--", lw=1, label=t("tp_threshold"))
    left.legend(loc="lower left")
    return fig


def schedule_comparison(rates: Mapping[str, torch.Tensor], curves: Mapping[str, Sequence[float]],
                        colors: Mapping[str, str]):
    """Learning-rate schedules, §3.6: for each schedule (string keys of ``t``), its rate at
    every step (``rates``, (S,)) on the left and its training loss per epoch (``curves``)
    on the right, in ``colors``."""
    fig, (left, right) = plot.subplots(1, 2, width=8.8, height=3.3)
    for key, values in rates.items():
        left.plot(values, color=colors[key], lw=2, label=t(key))
        right.semilogy(range(1, len(curves[key]) + 1), curves[key], "o-", ms=3, color=colors[key], label=t(key))
    left.set(xlabel=t("step"), ylabel=t("tp_learning_rate"))
    right.set(xlabel=t("epoch"), ylabel=t("tp_training_loss"))
    right.legend(loc="lower left", fontsize=8)
    return fig


def fine_tuning_gains(labels_per_class: Sequence[int], results: Mapping[str, torch.Tensor]):
    """Fine-tuning against training from scratch, §3.6: ``results["scratch"]`` and
    ``results["tuned"]`` are (K, R) test accuracies, one row per number of labels per class
    in ``labels_per_class``, one column per draw; dots for the draws, lines for the means."""
    fig, ax = plot.subplots(width=6.0, height=3.3)
    for name, color, key in (("scratch", plot.BLUE, "tp_from_scratch"), ("tuned", plot.RED, "tp_fine_tuned")):
        draws = results[name].shape[1]
        for i, k in enumerate(labels_per_class):
            ax.scatter([k] * draws, results[name][i], s=12, color=color, alpha=0.5)
        ax.plot(labels_per_class, results[name].mean(dim=1), "o-", color=color, lw=2, label=t(key))
    ax.set(xscale="log", xticks=labels_per_class, xticklabels=labels_per_class, xlabel=t("tp_labels_per_class"),
           ylabel=t("tp_test_accuracy"))
    ax.legend(loc="lower right")
    return fig


# --- §3.5 the value of depth ------------------------------------------------------------------

def layer_panel(ax, views, d: int, point_colors: Sequence[str]) -> None:
    """Draw on ``ax`` the plane after the first ``d`` layers of the model of Figure 3.4.

    ``views`` = (grid, points, boundary, (normal, offset)): the grid lines (D + 1, L, R, 2)
    and the training points (D + 1, N, 2) after each number of layers, the decision
    boundary as a list of (D + 1, P, 2) curves, and the final linear classifier
    normal · x + offset = 0, drawn as a whole line at d = D. ``point_colors``: N colours."""
    grid, points, boundary, (normal, offset) = views
    for line in grid[d]:
        ax.plot(line[:, 0], line[:, 1], color=plot.GREY, lw=0.5, alpha=0.6)
    ax.scatter(points[d][:, 0], points[d][:, 1], s=5, c=point_colors, zorder=3)
    for curve in boundary:
        ax.plot(curve[d][:, 0], curve[d][:, 1], color=plot.BLACK, lw=1.2)
    ax.set(xticks=[], yticks=[], aspect="equal", xlim=ax.get_xlim(), ylim=ax.get_ylim())
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if d == len(grid) - 1:                        # the whole line normal . x + offset = 0
        foot = -offset * normal / normal.dot(normal)
        ax.axline(foot.tolist(), (foot + torch.stack([-normal[1], normal[0]])).tolist(), color=plot.BLACK, lw=1.2)


def feature_warping(views, point_colors: Sequence[str]):
    """Figure 3.4, feature warping: a 3 × 3 grid of :func:`layer_panel`, after d = 0 … 8
    layers, with a legend for the two classes and the decision boundary."""
    from matplotlib.lines import Line2D

    fig, axes = plot.subplots(3, 3, width=7.6, height=6.6)
    for d, ax in enumerate(axes.flat):
        layer_panel(ax, views, d, point_colors)
        ax.set_title(t("depth_panel", d=d))
    handles = [Line2D([], [], ls="", marker="o", color=plot.CLASS_COLORS[k], label=t("depth_class", k=k))
               for k in (0, 1)]
    handles.append(Line2D([], [], color=plot.BLACK, label=t("depth_decision_boundary")))
    fig.legend(handles=handles, loc="outside lower center", ncol=3)
    return fig


# --- §3.7 the benefits of scale ---------------------------------------------------------------

def scaling_sweep(big, small, big_fit, n_big: int, n_small: int):
    """A scaling law on a laptop, §3.7: the test loss of the students against their number
    of parameters, trained on ``n_big`` points (``big``, with the power-law fit ``big_fit``)
    and on ``n_small`` points (``small``, test and training losses). ``big`` and ``small``
    have ``parameters``, ``test_loss`` and ``train_loss``, (W,) each."""
    fig, ax = plot.subplots(width=6.4, height=3.8)
    n_line = torch.logspace(math.log10(big.parameters[0]), math.log10(big.parameters[-1]), 100)
    ax.loglog(big.parameters, big.test_loss, "o", color=plot.RED, label=t("scale_train_points", n=n_big))
    ax.loglog(n_line, big_fit(n_line), "--", color=plot.RED, lw=1.2,
              label=t("scale_fit_label", c=big_fit.constant, k=big_fit.exponent))
    ax.loglog(small.parameters, small.test_loss, "s-", color=plot.BLUE, lw=1, label=t("scale_train_points", n=n_small))
    ax.loglog(small.parameters, small.train_loss, "s:", color=plot.BLUE, mfc="none", lw=1,
              label=t("scale_train_loss_label", n=n_small))
    ax.set(xlabel=t("scale_student_parameters"), ylabel=t("scale_relative_loss"))
    ax.legend(loc="lower left", fontsize=8)
    return fig
