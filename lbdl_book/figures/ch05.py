"""Figures of Chapter 5 (the architectures): one function per figure or demo plot.

Each function takes what a page computed (tensors, lists of numbers, training
histories) and returns a matplotlib figure in the house style of :mod:`lbdl_book.plot`;
its docstring names the plot it draws and the shapes of its inputs. Labels come from the
string catalogues ``lbdl_book/strings/ch05*.py`` through :func:`lbdl_book.t`, in the
page's language. The architecture diagrams (Figures 5.1-5.9) are not here: they are
drawn from the model objects by :mod:`lbdl_book.diagrams`.
"""

from __future__ import annotations

import math

import torch

from .. import plot
from ..i18n import t

ACTIVATION_NAMES = {"relu": "ReLU", "tanh": "tanh", "square": "$x^2$"}


def _bare(ax) -> None:
    """No ticks, no grid, no frame: for images."""
    ax.set(xticks=[], yticks=[])
    ax.grid(False)
    ax.spines[:].set_visible(False)


def mosaic(images: torch.Tensor, columns: int) -> torch.Tensor:
    """Tile (N, h, w) images into one (rows·(h+1) − 1, columns·(w+1) − 1) picture, ``columns``
    per row, separated by blank (NaN) lines."""
    n, h, w = images.shape
    grid = torch.full((math.ceil(n / columns) * (h + 1) - 1, columns * (w + 1) - 1), float("nan"))
    for k, picture in enumerate(images):
        r, c = divmod(k, columns)
        grid[r * (h + 1):r * (h + 1) + h, c * (w + 1):c * (w + 1) + w] = picture
    return grid


# §5.1 Multi-layer perceptrons ------------------------------------------------------------

def mlp_width_sweep(widths, trained_error: dict, built_error: dict, bound: dict, quadratic_error: float):
    """§5.1, the max error on [−2, 2] against the hidden width, log-log: one curve per
    trained activation (``trained_error[activation, m]``, activations "tanh", "relu",
    "square"), the ReLU construction (``built_error[m]``) and its bound (``bound[m]``), and
    the best quadratic (a horizontal line). ``widths``: the list of widths m."""
    fig, ax = plot.subplots(width=6.4, height=3.6)
    styles = {"tanh": (plot.BLUE, "o"), "relu": (plot.RED, "s"), "square": (plot.GREY, "^")}
    for activation in ("relu", "tanh", "square"):
        color, marker = styles[activation]
        ax.loglog(widths, [trained_error[activation, m] for m in widths], marker=marker, color=color,
                  label=t("mlp_trained", activation=ACTIVATION_NAMES[activation]))
    ax.loglog(widths, [built_error[m] for m in widths], marker="D", color=plot.BLACK, label=t("mlp_constructed"))
    ax.loglog(widths, [bound[m] for m in widths], color=plot.BLACK, ls=":", lw=1, label=t("mlp_bound"))
    ax.axhline(quadratic_error, color=plot.GREY, ls="--", lw=1, label=t("mlp_best_quadratic"))
    ax.set(xlabel=t("mlp_width"), ylabel=t("mlp_max_error"), xticks=widths, xticklabels=widths)
    ax.legend(fontsize=8, loc="lower left")
    return fig


def mlp_network_frame(x, target, curve, x_train, y_train, activation: str, width: int, error: float):
    """§5.1 explorer, one frame: the ``target`` and the network's ``curve`` at the points
    ``x`` (all (K, 1)), and the training points ``x_train``, ``y_train`` (N, 1)."""
    fig, ax = plot.subplots(width=6.0, height=3.2, layout="none")          # fixed margins: frames drawn fast
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.14, top=0.9)
    ax.plot(x, target, color=plot.BLACK, lw=1, label=t("mlp_target"))
    ax.plot(x, curve, color=plot.RED, lw=2, label=t("mlp_network"))
    ax.scatter(x_train, y_train, color=plot.BLACK, s=8, zorder=3, label=t("train_points"))
    ax.set(xlabel=t("x"), ylabel=t("y"), ylim=(-1.5, 5.5),
           title=t("mlp_explore_title", activation=activation, m=width, error=error))
    ax.legend(loc="upper center", fontsize=8, ncol=3)
    return fig


def mlp_abs_fits(x, y, relu_curve, square_curves: dict):
    """§5.1, |x| on [−1, 1]: the target ``y``, the two-unit ReLU network ``relu_curve`` and
    the x² networks ``square_curves`` (width → curve), all (K, 1) at the points ``x``."""
    fig, ax = plot.subplots(width=5.6, height=3.0)
    ax.plot(x, y, color=plot.BLACK, lw=3, alpha=0.3, label=t("mlp_abs"))
    ax.plot(x, relu_curve, color=plot.RED, lw=1.2, ls="--", label=t("mlp_relu_two"))
    for (m, curve), color in zip(square_curves.items(), (plot.BLUE, plot.GREEN, plot.ORANGE)):
        ax.plot(x, curve, color=color, lw=1.2, label=t("mlp_square_net", m=m))
    ax.set(xlabel=t("x"), ylabel=t("y"))
    ax.legend(fontsize=8)
    return fig


def mlp_decision_regions(u, regions: list, titles: list, x_test, y_test):
    """§5.1, decision regions in the plane, one panel per classifier: ``regions[k]`` (K, K)
    holds the predicted class (0 or 1) on the grid ``u`` × ``u`` (``u``: (K,)), ``titles[k]``
    its title; the test points ``x_test`` (N, 2), coloured by ``y_test`` (N,)."""
    fig, axes = plot.subplots(1, len(regions), width=8.0, height=3.9)
    colors = [plot.CLASS_COLORS[k] for k in y_test]
    for ax, region, title in zip(axes, regions, titles):
        ax.contourf(u, u, region, levels=[-0.5, 0.5, 1.5], colors=plot.CLASS_COLORS[:2], alpha=0.18)
        ax.contour(u, u, region, levels=[0.5], colors=plot.BLACK, linewidths=1.2)
        ax.scatter(x_test[:, 0], x_test[:, 1], s=4, c=colors)
        ax.set(title=title, aspect="equal", xticks=[], yticks=[])
        ax.grid(False)
    return fig


# §5.2.1 Convolutional networks and §5.2.2 Residual networks -------------------------------

def digits_enlarged(small, large, labels):
    """§5.2.1, the digits: the first 8 images of ``small`` (N, 1, 8, 8) above the same digits
    enlarged, ``large`` (N, 1, 28, 28), titled by ``labels`` (N,)."""
    fig, axes = plot.subplots(2, 8, width=8.0, height=2.4)
    for k in range(8):
        axes[0, k].imshow(small[k, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[1, k].imshow(large[k, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[0, k].set_title(str(int(labels[k])))
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
        ax.spines[:].set_visible(False)
    axes[0, 0].set_ylabel(t("cnn_original"), fontsize=8)
    axes[1, 0].set_ylabel(t("cnn_upsampled"), fontsize=8)
    return fig


def training_curves(history, *, height: float = 3.0, ylim=(80, 100)):
    """§5.2.1 and §5.2.2, a classifier's training: left, the training and validation losses
    per epoch (log scale); right, the validation accuracy in %. ``history``: the
    :class:`lbdl_book.train.History` of :func:`lbdl_book.fit` with ``val_loss`` and
    ``val_accuracy`` (one value per epoch)."""
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (left, right) = plot.subplots(1, 2, width=8.4, height=height)
    left.semilogy(epochs, history["train_loss"], color=plot.BLUE, marker="o", label=t("cnn_train_loss"))
    left.semilogy(epochs, history["val_loss"], color=plot.RED, marker="o", label=t("cnn_val_loss"))
    left.set(xlabel=t("epoch"), ylabel=t("loss"))
    left.legend()
    right.plot(epochs, [100 * a for a in history["val_accuracy"]], color=plot.RED, marker="o")
    right.set(xlabel=t("epoch"), ylabel=t("cnn_val_accuracy") + " (%)", ylim=ylim)
    return fig


def confusion_and_mistakes(confusion, images, labels, predictions, wrong):
    """§5.2.1, the test set: left, the (10, 10) ``confusion`` matrix (row: true digit,
    column: prediction); right, up to 8 misclassified ``images`` (N, 1, H, W), indices
    ``wrong`` (K,), titled with their ``labels`` and ``predictions`` (N,)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(8.4, 3.6))
    left, right = fig.subfigures(1, 2, width_ratios=[1, 1.2])
    ax = left.subplots()
    ax.imshow(confusion.clamp(max=5), cmap="Blues")
    for i in range(10):
        for j in range(10):
            if confusion[i, j]:
                ax.text(j, i, str(confusion[i, j].item()), ha="center", va="center", fontsize=7,
                        color="white" if confusion[i, j] >= 4 else plot.BLACK)
    ax.set(xticks=range(10), yticks=range(10), xlabel=t("cnn_predicted"), ylabel=t("cnn_true"),
           title=t("cnn_confusion"))
    ax.grid(False)
    shown = wrong[:8].tolist()
    for ax, k in zip(right.subplots(2, 4).flat, shown + [None] * (8 - len(shown))):
        ax.axis("off")
        if k is not None:
            ax.imshow(images[k, 0], cmap="gray_r", vmin=0, vmax=1)
            ax.set_title(t("cnn_mistake", true=int(labels[k]), pred=int(predictions[k])), fontsize=8)
    right.suptitle(t("cnn_mistakes"), fontsize=10)
    return fig


def filters_and_maps(filters, maps):
    """§5.2.1, inside the feature extractor: left, the first convolution's ``filters``
    (32, 5, 5) on one colour scale (red positive, blue negative); right, the ``maps``
    (32, 24, 24) it computes for one digit, each scaled to its own range."""
    low, high = maps.amin(dim=(1, 2), keepdim=True), maps.amax(dim=(1, 2), keepdim=True)
    scale = filters.abs().max().item()
    fig, (left, right) = plot.subplots(1, 2, width=8.4, height=2.9)
    left.imshow(mosaic(filters, 8), cmap="RdBu_r", vmin=-scale, vmax=scale)
    left.set_title(t("cnn_filters"), fontsize=9)
    right.imshow(mosaic((maps - low) / (high - low), 8), cmap="gray_r")
    right.set_title(t("cnn_maps"), fontsize=9)
    for ax in (left, right):
        ax.axis("off")
    return fig


def stride_reach(reached: dict):
    """§5.2.2, Figure 5.4's two stride placements: for each placement name → (H, W) bool
    map of the input pixels that reach the output, the map in blue."""
    fig, axes = plot.subplots(1, len(reached), width=5.0, height=2.6)
    for ax, (place, pixels) in zip(axes, reached.items()):
        ax.imshow(pixels, cmap="Blues", vmin=0, vmax=1.4)
        ax.set(title=t("res_stride_on", place=place), xticks=[], yticks=[])
        ax.grid(False)
    fig.suptitle(t("res_reached"), fontsize=10)
    return fig


def depth_study(histories: dict, errors: dict):
    """§5.2.2, degradation: the training loss per epoch (log scale) of each network,
    ``histories[(layers, residual)]`` a :class:`lbdl_book.train.History`, and the final
    training error in % of each, ``errors[(layers, residual)]``, as bars."""
    fig, (left, right) = plot.subplots(1, 2, width=8.4, height=3.0)
    depths = sorted({layers for layers, _ in histories})
    for (layers, residual), history in histories.items():
        epochs = range(1, len(history["train_loss"]) + 1)
        left.semilogy(epochs, history["train_loss"], color=plot.BLUE if residual else plot.RED,
                      ls="-" if layers == depths[-1] else "--", marker="o", ms=3,
                      label=t("res_depth_label", layers=layers, kind=t("res_residual" if residual else "res_plain")))
    left.set(xlabel=t("epoch"), ylabel=t("res_depth_train_loss"))
    left.legend(fontsize=8)
    for k, residual in enumerate((False, True)):
        values = [100 * errors[layers, residual] for layers in depths]
        positions = [i + 0.38 * k for i in range(len(depths))]
        right.bar(positions, values, width=0.36, color=plot.BLUE if residual else plot.RED,
                  label=t("res_residual" if residual else "res_plain"))
        for x, v in zip(positions, values):
            right.text(x, v + 1, f"{v:.1f}", ha="center", fontsize=8)
    right.set_xticks([i + 0.19 for i in range(len(depths))], [t("res_layers_n", layers=d) for d in depths])
    right.set(ylabel=t("res_depth_train_error"))
    right.legend(fontsize=8)
    return fig


# §5.3.1 Attention models and the Transformer ---------------------------------------------

def cross_attention_map(weights, source_labels, output_labels, layer: int):
    """§5.3.1 explorer, one frame: the (n, n) cross-attention ``weights`` of one decoder
    layer (rows: output tokens, columns: source tokens), with their tick labels."""
    fig, ax = plot.subplots(width=4.2, height=3.8)
    ax.imshow(weights, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(source_labels)), source_labels)
    ax.set_yticks(range(len(output_labels)), output_labels)
    ax.set(xlabel=t("tf_source_position"), ylabel=t("tf_output_position"), title=t("tf_map_title", layer=layer))
    ax.title.set_fontsize(9)
    ax.grid(False)
    return fig


def warmup_curves(curves: dict, reference: float, *, layers: int, lr: float):
    """§5.3.1, pre-norm against post-norm: the training loss at every step of each run,
    ``curves[name]`` a list of floats, and a dashed ``reference`` level (ln 10)."""
    fig, ax = plot.subplots(width=6.0, height=3.2)
    for (name, curve), color in zip(curves.items(), (plot.BLUE, plot.RED, plot.GREEN)):
        ax.plot(range(1, len(curve) + 1), curve, color=color, label=name)
    ax.axhline(reference, color=plot.GREY, lw=0.8, ls="--")
    ax.set(xlabel=t("step"), ylabel=t("tf_training_loss"), title=t("tf_warmup_title", layers=layers, lr=lr))
    ax.legend(fontsize=8)
    return fig


# §5.3.2 Generative Pre-trained Transformer -----------------------------------------------

def gpt_baselines(rows: list, per_position: dict, context: int, conv_reach: int = 4):
    """§5.3.2, the GPT against its baselines. Left, the validation perplexity of each model,
    ``rows`` a list of (name, cross-entropy in nats), log scale; right, the loss at each
    position t = 1..``context`` of the window, ``per_position["gpt"]`` and
    ``per_position["conv"]`` (context,), with the convolution's reach marked."""
    fig, (left, right) = plot.subplots(1, 2, width=9.0, height=2.8)
    perplexities = [math.exp(loss) for _, loss in rows]
    left.barh(range(len(rows)), perplexities, color=[plot.GREY, plot.GREY, plot.BLUE, plot.RED][:len(rows)])
    for k, value in enumerate(perplexities):
        left.text(value * 1.05, k, f"{value:.1f}", va="center")
    left.set_yticks(range(len(rows)), [name for name, _ in rows], fontsize=8)
    left.set(xscale="log", xlabel=t("gpt_perplexity"), xlim=(1, 150))
    left.invert_yaxis()
    left.grid(False)
    positions = torch.arange(1, context + 1)
    right.plot(positions, per_position["conv"], "o-", ms=3, color=plot.BLUE, label=t("gpt_conv_short"))
    right.plot(positions, per_position["gpt"], "o-", ms=3, color=plot.RED, label=t("gpt_gpt_short"))
    right.axvline(conv_reach, color=plot.GREY, ls=":", lw=1)
    right.set(xlabel=t("gpt_context_length"), ylabel=t("gpt_loss_per_position"))
    right.legend()
    return fig


def next_character(p, labels: list, prompt: str, title: str):
    """§5.3.2 explorer, one frame: the probabilities ``p`` (K,) of the K most likely next
    characters, whose ``labels`` are written under the bars; ``title`` above."""
    fig, ax = plot.subplots(width=7.0, height=3.0)
    ax.bar(range(len(p)), p, color=plot.BLUE)
    ax.set_xticks(range(len(p)), labels, fontfamily="monospace")
    ax.set(ylim=(0, 1), ylabel=t("gpt_probability"), xlabel=t("gpt_next_char", prompt=prompt), title=title)
    return fig


def gpt_attention_maps(maps: list, labels: list):
    """§5.3.2, the attention of every head of every layer on one sentence: ``maps[i]``
    (1, heads, C, C) for layer i, rows the queries; ``labels`` the C characters."""
    layers, heads, n = len(maps), maps[0].shape[1], len(labels)
    fig, axes = plot.subplots(layers, heads, width=2.1 * heads, height=2.3 * layers, squeeze=False)
    for i in range(layers):
        for j in range(heads):
            ax = axes[i, j]
            ax.imshow(maps[i][0, j], cmap="Blues", vmin=0, vmax=1)
            ax.set_title(t("gpt_head_title", layer=i + 1, head=j + 1), fontsize=9)
            bottom, first = i == layers - 1, j == 0
            ax.set_xticks(range(n) if bottom else [], labels if bottom else [], fontsize=5, fontfamily="monospace")
            ax.set_yticks(range(n) if first else [], labels if first else [], fontsize=5, fontfamily="monospace")
            ax.tick_params(length=0)
            ax.grid(False)
    fig.supxlabel(t("gpt_key"), fontsize=9)
    fig.supylabel(t("gpt_query"), fontsize=9)
    return fig


def parameter_shares(breakdowns: list, labels: list, parts: list, part_labels: list):
    """§5.3.2, where the parameters sit: one horizontal bar per model, ``breakdowns[k]`` a
    dict part → count, split into the ``parts`` (in that order, legend ``part_labels``),
    as shares of the model's total; ``labels[k]`` names the bar."""
    colors = [plot.RED, plot.ORANGE, plot.BLUE, "#7fa6df", plot.BLACK]
    fig, ax = plot.subplots(width=7.0, height=2.0)
    for row, shares in enumerate(breakdowns):
        whole, left = sum(shares.values()), 0.0
        for part, name, color in zip(parts, part_labels, colors):
            ax.barh(row, shares[part] / whole, left=left, color=color, label=name if row == 0 else None)
            left += shares[part] / whole
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlim=(0, 1), xlabel=t("gpt_share"))
    ax.invert_yaxis()
    ax.grid(False)
    ax.legend(ncol=3, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.45))
    return fig


# §5.3.3 Vision Transformer ----------------------------------------------------------------

def vit_patches(digit, patches, patch_size: int = 2):
    """§5.3.3, an image as a sequence of patches: left, the ``digit`` (H, W) with the grid of
    patches numbered in reading order; right, the M ``patches`` (M, P²) in a row."""
    import matplotlib.pyplot as plt

    side, count = digit.shape[-1], patches.shape[0]
    per_row = side // patch_size
    fig = plt.figure(figsize=(8.4, 2.0))
    grid_ax, strip_ax = fig.subplots(1, 2, width_ratios=[1.5, 4.6])
    grid_ax.imshow(digit, cmap="gray_r", vmin=0, vmax=1)
    for line in range(0, side + 1, patch_size):                       # the borders of the patches
        grid_ax.axhline(line - 0.5, color=plot.BLUE, lw=1.5)
        grid_ax.axvline(line - 0.5, color=plot.BLUE, lw=1.5)
    for k in range(count):
        i, j = divmod(k, per_row)
        grid_ax.text(patch_size * j + (patch_size - 1) / 2, patch_size * i + (patch_size - 1) / 2, str(k + 1),
                     color=plot.RED, fontsize=7, ha="center", va="center",
                     bbox=dict(facecolor="white", edgecolor="none", alpha=0.75, pad=0.5))
    grid_ax.set_title(t("vit_digit_grid"), fontsize=9)
    step = patch_size * 1.3                                           # a gap between two patches
    for k, piece in enumerate(patches.reshape(count, patch_size, patch_size)):
        left = step * k
        strip_ax.imshow(piece, cmap="gray_r", vmin=0, vmax=1, extent=(left, left + patch_size, patch_size, 0))
        strip_ax.add_patch(plt.Rectangle((left, 0), patch_size, patch_size, fill=False, edgecolor=plot.BLUE, lw=1.2))
        strip_ax.text(left + patch_size / 2, -0.5, str(k + 1), color=plot.RED, fontsize=8, ha="center", va="bottom")
    strip_ax.set(xlim=(-0.3, step * count), ylim=(patch_size + 0.3, -2.6), aspect="equal")
    strip_ax.set_title(t("vit_patch_sequence"), fontsize=9)
    for ax in (grid_ax, strip_ax):
        _bare(ax)
    return fig


def vit_training(history, *, ylim=(50, 100)):
    """§5.3.3, the ViT's training: the training loss per epoch (log scale) and the
    validation accuracy in %. ``history``: a :class:`lbdl_book.train.History` with
    ``val_accuracy``."""
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (left, right) = plot.subplots(1, 2, width=8.4, height=2.8)
    left.semilogy(epochs, history["train_loss"], color=plot.BLUE)
    left.set(xlabel=t("epoch"), ylabel=t("vit_train_loss"))
    right.plot(epochs, [100 * a for a in history["val_accuracy"]], color=plot.RED)
    right.set(xlabel=t("epoch"), ylabel=t("vit_val_accuracy"), ylim=ylim)
    return fig


def class_token_maps(images, labels, maps: list):
    """§5.3.3, where the class token looks: the ``images`` (K, 1, H, W) with their
    ``labels`` (K,) on the first row, then one row per layer, ``maps[l]`` (K, g, g) the
    attention of the class token on the g × g patches, averaged over the heads, with the
    digit's outline drawn over it."""
    k_shown, side = len(images), images.shape[-1]
    fig, axes = plot.subplots(1 + len(maps), k_shown, width=8.4, height=1.45 * (1 + len(maps)))
    for col in range(k_shown):
        axes[0, col].imshow(images[col, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[0, col].set_title(t("vit_digit_label", label=int(labels[col])), fontsize=9)
        for row, layer_map in enumerate(maps, start=1):
            axes[row, col].imshow(layer_map[col], cmap="Reds", vmin=0, extent=(-0.5, side - 0.5, side - 0.5, -0.5))
            axes[row, col].contour(images[col, 0], levels=[0.5], colors=plot.BLACK, linewidths=0.8)
    for row in range(len(maps)):
        axes[row + 1, 0].set_ylabel(t("vit_layer_k", k=row + 1), fontsize=9)
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
    return fig


def scrambled_digits(images, scrambled, predictions, shown: int = 6):
    """§5.3.3, the scrambled images: the first ``shown`` ``images`` (N, 1, H, W) above their
    ``scrambled`` versions, titled with the ``predictions`` (N,) made on them."""
    fig, axes = plot.subplots(2, shown, width=8.4, height=3.0)
    for col in range(shown):
        axes[0, col].imshow(images[col, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[1, col].imshow(scrambled[col, 0], cmap="gray_r", vmin=0, vmax=1)
        axes[1, col].set_title(t("vit_prediction", label=int(predictions[col])), fontsize=9)
    axes[0, 0].set_ylabel(t("vit_original"), fontsize=9)
    axes[1, 0].set_ylabel(t("vit_scrambled"), fontsize=9)
    for ax in axes.flat:
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
    return fig


def position_similarity(similarity, grid: int = 4):
    """§5.3.3, what the positional table learned: for the g × g patches (g = ``grid``), the
    (g², g²) cosine ``similarity`` of their position vectors, shown as one g × g tile per
    patch, in the patch's place, each tile holding the patch's similarity to all others."""
    size = grid * (grid + 1) - 1
    tiles = torch.full((size, size), float("nan"))
    for k in range(grid * grid):
        i, j = divmod(k, grid)
        tiles[(grid + 1) * i:(grid + 1) * i + grid, (grid + 1) * j:(grid + 1) * j + grid] = similarity[k].reshape(grid, grid)
    fig, ax = plot.subplots(width=4.6, height=4.0)
    shown = ax.imshow(tiles, cmap="RdBu_r", vmin=-1, vmax=1)
    centres = [(grid - 1) / 2 + (grid + 1) * k for k in range(grid)]
    ax.set(xticks=centres, xticklabels=range(1, grid + 1), xlabel=t("vit_pe_column"),
           yticks=centres, yticklabels=range(1, grid + 1), ylabel=t("vit_pe_row"))
    ax.tick_params(length=0)
    ax.grid(False)
    ax.spines[:].set_visible(False)
    fig.colorbar(shown, ax=ax, shrink=0.8, label=t("vit_cosine"))
    return fig
