"""Figures of Chapter 4 (the model components): one function per figure or demo plot.

Each function takes what a page computed (tensors, lists of numbers) and returns a
matplotlib figure in the house style of :mod:`lbdl_book.plot`; its docstring names the
figure it draws and the shapes of its inputs. Labels come from the string catalogues
``lbdl_book/strings/ch04_*.py`` through :func:`lbdl_book.t`, in the page's language.
"""

from __future__ import annotations

import torch

from .. import plot
from ..i18n import t


# §4.1-4.5 -------------------------------------------------------------------------------

LIGHT_BLUE, LIGHT_RED, PURPLE = "#a9c4ec", "#f4b6b6", "#b07cc6"


def _cells(ax, x0, y0, fill, dx=0.0, dy=0.0, hatch=None):
    """A grid of unit cells with lower-left corner (x0, y0); ``fill[r][c]`` is a colour
    (None: white), row 0 on top; cells filled with grey get the ``hatch``."""
    from matplotlib.patches import Rectangle

    rows = len(fill)
    for r, row in enumerate(fill):
        for c, color in enumerate(row):
            ax.add_patch(Rectangle((x0 + c + dx, y0 + rows - 1 - r + dy), 1, 1, facecolor=color or "white",
                                   edgecolor=plot.BLACK, lw=0.6, hatch=hatch if color == plot.GREY else None))


def _labelled_arrow(ax, start, end, label):
    """An arrow labelled on its right (vertical arrows) or above it (horizontal ones)."""
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color=plot.BLACK, lw=1))
    middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
    vertical = abs(end[1] - start[1]) > abs(end[0] - start[0])
    ax.text(middle[0] + (0.3 if vertical else 0), middle[1] + (0 if vertical else 0.45), label, fontsize=11,
            ha="left" if vertical else "center", va="center")


def _fill(rows, cols, color_of):
    return [[color_of(r, c) for c in range(cols)] for r in range(rows)]


def _stack(ax, x0, y0, channels, height, width, color_of, step=0.45):
    """A channels × height × width tensor as a stack of grids, the first channel in front."""
    for channel in reversed(range(channels)):
        _cells(ax, x0, y0, _fill(height, width, color_of), dx=channel * step, dy=channel * step)


def linear_readings(cloud, direction, coordinate, noisy, smoothed, scores, best_key: int, kept: float):
    """§4.2, three readings of W x. Left, projection: the points ``cloud`` (N, 2) in grey
    and their projections ``coordinate * direction`` (``coordinate`` (N, 1), ``direction``
    (1, 2)) in red, ``kept`` the fraction of variance kept. Middle, filtering: ``noisy``
    and ``smoothed`` (T,). Right, matching: the ``scores`` (K,) of K keys, ``best_key`` in red."""
    fig, (left, middle, right) = plot.subplots(1, 3, width=10.0, height=3.0)
    left.scatter(cloud[:, 0], cloud[:, 1], s=5, color=plot.GREY)
    foot = coordinate * direction                                       # back in the plane: Wᵀ W x
    left.scatter(foot[:, 0], foot[:, 1], s=5, color=plot.RED)
    left.set(aspect="equal", title=t("lin_projection", kept=kept), xticks=[], yticks=[])
    middle.plot(noisy, color=plot.GREY, lw=1, label=t("lin_signal"))
    middle.plot(smoothed, color=plot.RED, lw=2, label=t("lin_filtered"))
    middle.set(title=t("lin_filtering"), xlabel=t("lin_position"))
    middle.legend(loc="lower left", fontsize=8)
    colors = [plot.RED if k == best_key else plot.BLUE for k in range(len(scores))]
    right.bar(range(len(scores)), scores, color=colors)
    right.set(title=t("lin_matching"), xlabel=t("lin_key_index"), ylabel=t("lin_score"))
    return fig


def init_scales(stds: dict, labels: dict):
    """§4.2, initialisation: the std of the activations (one tensor (depth + 1,) per
    scheme in ``stds``) against the layer, on a log scale; ``labels``: scheme → legend."""
    colors = {"unit": plot.RED, "fan_in": plot.BLUE, "fan_in_relu": plot.BLACK, "default": plot.GREEN}
    fig, ax = plot.subplots(width=6.4, height=3.4)
    for scheme, values in stds.items():
        ax.semilogy(values, color=colors.get(scheme, plot.GREY), lw=2, label=labels[scheme])
    ax.set(xlabel=t("lin_layer"), ylabel=t("lin_activation_std"), ylim=(1e-25, 1e60))
    ax.legend(loc="upper left", fontsize=8)
    return fig


def conv1d_steps(x_conv, y_conv, x_tconv, y_tconv, kernel: int):
    """Figure 4.1: a 1D convolution (top row, input ``x_conv`` (D, T), output ``y_conv``
    (D', T − K + 1)) and a transposed convolution (bottom row, ``x_tconv`` (D, S), output
    ``y_tconv`` (D', S + K − 1)), each at three steps. Only the shapes are drawn."""
    (d_in, t_in), (d_out, t_out) = x_conv.shape, y_conv.shape
    (_, s_in), (_, s_out) = x_tconv.shape, y_tconv.shape
    k = kernel
    fig, axes = plot.subplots(2, 3, width=10.0, height=4.6)
    for ax, step in zip(axes[0], (0, 1, t_out - 1)):
        _cells(ax, 0, 0, _fill(d_in, t_in, lambda r, c: LIGHT_BLUE if step <= c < step + k else None))
        _cells(ax, 1, 4.5, _fill(d_out, t_out, lambda r, c: plot.RED if c == step else
                                 (LIGHT_RED if c < step else None)))
        _labelled_arrow(ax, (step + k / 2, 3.1), (step + 1.5, 4.4), r"$\phi$")
        ax.set_title(t("lin_fig41_conv_step", t=step), fontsize=9)
    for ax, step in zip(axes[1], (0, 1, s_in - 1)):
        _cells(ax, 1, 0, _fill(d_in, s_in, lambda r, c: plot.BLUE if c == step else None))

        def covered(c, upto):
            return any(s <= c < s + k for s in range(upto))

        _cells(ax, 0, 4.5, _fill(d_out, s_out, lambda r, c: (PURPLE if covered(c, step) else plot.RED)
                                 if step <= c < step + k else (LIGHT_RED if covered(c, step) else None)))
        _labelled_arrow(ax, (step + 1.5, 3.1), (step + k / 2, 4.4), r"$\psi$")
        ax.set_title(t("lin_fig41_tconv_step", t=step), fontsize=9)
    for ax in axes.flat:
        ax.set(xlim=(-0.5, 10), ylim=(-0.5, 7), aspect="equal")
        ax.axis("off")
    axes[0, 0].text(-0.4, 1.5, "X", ha="right", va="center")
    axes[0, 0].text(0.6, 5.5, "Y", ha="right", va="center")
    axes[1, 0].text(0.6, 1.5, "X", ha="right", va="center")
    axes[1, 0].text(-0.4, 5.5, "Y", ha="right", va="center")
    return fig


def conv2d_steps(x2, y2, xt2, yt2, window=(1, 2), column=(1, 1), kernel: int = 3):
    """Figure 4.2: a 2D convolution (left, ``x2`` (D, H, W) → ``y2`` (D', H', W'), the
    window at ``window`` highlighted) and a 2D transposed convolution (right, ``xt2``
    (D, H, W) → ``yt2`` (D', H', W'), the column at ``column`` and its patch highlighted)."""
    (h0, w0), (ht, wt), k = window, column, kernel
    d_in, d_out = x2.shape[0], y2.shape[0]
    fig, (left, right) = plot.subplots(1, 2, width=10.0, height=2.9)
    _stack(left, 0, 0, d_in, *x2.shape[1:], lambda r, c: LIGHT_BLUE if h0 <= r < h0 + k and w0 <= c < w0 + k else None)
    _stack(left, 9.5, 1, d_out, *y2.shape[1:], lambda r, c: plot.RED if (r, c) == (h0, w0) else None)
    _labelled_arrow(left, (6.8, 3.2), (9.3, 3.2), r"$\phi$")
    _stack(right, 0, 1, d_in, *xt2.shape[1:], lambda r, c: plot.BLUE if (r, c) == (ht, wt) else None)
    _stack(right, 6.5, 0, d_out, *yt2.shape[1:],
           lambda r, c: plot.RED if ht <= r < ht + k and wt <= c < wt + k else LIGHT_RED)
    _labelled_arrow(right, (5.0, 3.2), (6.4, 3.2), r"$\psi$")
    left.set_title(t("lin_fig42_conv", x=tuple(x2.shape), y=tuple(y2.shape)), fontsize=9)
    right.set_title(t("lin_fig42_tconv", x=tuple(xt2.shape), y=tuple(yt2.shape)), fontsize=9)
    for ax in (left, right):
        ax.set(xlim=(-0.5, 14.5), ylim=(-0.3, 6.6), aspect="equal")
        ax.axis("off")
    return fig


def draw_connectivity(ax, links, length: int, kernel: int, stride=1, padding=0, dilation=1, highlight=None):
    """Figure 4.3 and the §4.2 explorer, one panel: input cells (bottom, padding hatched),
    output cells (top, each above the centre of its window) and one line per non-zero
    entry of ``links`` (T', T + 2p), the 0/1 matrix of which padded input cell feeds which
    output. One output (``highlight``, default the middle one) and its taps in colour.
    Returns the number of outputs T'."""
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Rectangle

    n_out, n_in = links.shape
    highlight = n_out // 2 if highlight is None else highlight
    centre = [j * stride + dilation * (kernel - 1) / 2 - padding + 0.5 for j in range(n_out)]
    segments = {True: [], False: []}                                   # highlighted or not
    for j, i in links.nonzero().tolist():
        segments[j == highlight].append([(i - padding + 0.5, 1), (centre[j], 3)])
    ax.add_collection(LineCollection(segments[False], colors=plot.GREY, linewidths=0.6, zorder=1))
    ax.add_collection(LineCollection(segments[True], colors=plot.RED, linewidths=1.6, zorder=3))
    taps = links[highlight].nonzero().flatten().tolist()
    _cells(ax, -padding, 0, [[plot.GREY if i < padding or i >= padding + length else
                              (LIGHT_BLUE if i in taps else None) for i in range(n_in)]], hatch="//")
    for j in range(n_out):
        ax.add_patch(Rectangle((centre[j] - 0.5, 3), 1, 1, facecolor=plot.RED if j == highlight else "white",
                               edgecolor=plot.BLACK, lw=0.6, zorder=4))
    ax.set(xlim=(-padding - 0.5, length + padding + 0.5), ylim=(-0.3, 4.3), aspect="equal")
    ax.axis("off")
    return n_out


def conv_settings(panels: list, length: int, kernel: int):
    """Figure 4.3: one :func:`draw_connectivity` panel per entry of ``panels``, a list of
    (title key, links (T', T + 2p), settings dict with stride/padding/dilation)."""
    widths = [length + 1 + 2 * settings.get("padding", 0) for _, _, settings in panels]
    fig, axes = plot.subplots(1, len(panels), width=10.0, height=1.9, gridspec_kw={"width_ratios": widths})
    for ax, (key, links, settings) in zip(axes, panels):
        n_out = draw_connectivity(ax, links, length, kernel, **settings)
        ax.set_title(t(key, out=n_out), fontsize=9)
    return fig


def receptive_field_masks(masks, sides, centre=(16, 16)):
    """Figure 4.4: one panel per Boolean mask (H, W) of ``masks``, the input pixels on
    which the output unit at ``centre`` depends (blue), titled with ``sides``."""
    fig, axes = plot.subplots(1, len(masks), width=10.0, height=2.1)
    for depth, (ax, mask, side) in enumerate(zip(axes, masks, sides), start=1):
        picture = torch.ones(*mask.shape, 3)
        picture[mask] = torch.tensor([0.12, 0.37, 0.75])                  # blue: the receptive field
        picture[centre] = torch.tensor([0.84, 0.15, 0.16])                # red: where the output unit sits
        ax.imshow(picture, interpolation="nearest")
        ax.set(xticks=[], yticks=[], title=t("lin_fig44_panel", depth=depth, side=side))
        ax.grid(False)
        ax.spines[:].set_visible(True)
    return fig


def receptive_field_layers(layers, masks, field):
    """§4.2 explorer, one frame: ``masks`` (one Boolean tensor per layer, input first) mark
    the units on which the central top unit depends; each unit is drawn at the centre of
    its own receptive field. ``layers``: (kernel, stride, dilation) per layer; ``field``:
    what :func:`lbdl_book.nn.conv.receptive_field` predicts."""
    depth = len(layers)
    fig, ax = plot.subplots(width=6.4, height=2.8, layout="none")        # fixed margins: frames draw faster
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.17, top=0.9)
    size, jump = 1, 1
    for level, mask in enumerate(masks):
        positions = torch.arange(len(mask)) * jump + (size - 1) / 2
        ax.plot(positions[~mask], [level] * int((~mask).sum()), "o", ms=1.5, color=plot.GREY)
        ax.plot(positions[mask], [level] * int(mask.sum()), "o", ms=3, color=plot.RED if level == depth else plot.BLUE)
        if level < depth:
            k, s, d = layers[level]
            size, jump = size + d * (k - 1) * jump, jump * s
    span = masks[0].nonzero()
    ax.set(yticks=range(depth + 1), ylabel=t("lin_layer"), xlabel=t("lin_input_position"),
           title=t("lin_rf_title", size=field.size, measured=int(span.max() - span.min() + 1), jump=field.jump))
    return fig


def filter_maps(image, edges, scene, score, found, box=8):
    """§4.2, filters: the ``image`` (H, W), its Sobel edge strength ``edges`` (H, W), a
    ``scene`` (H, W) and its template-matching ``score`` (H, W), with a red square of side
    ``box`` around each (row, column) of ``found``."""
    from matplotlib.patches import Rectangle

    fig, axes = plot.subplots(1, 4, width=10.0, height=2.8)
    for ax, picture, title in zip(axes, (image, edges, scene, score),
                                  (t("lin_image"), t("lin_sobel"), t("lin_scene"), t("lin_scores"))):
        ax.imshow(picture, cmap="gray" if ax is not axes[3] else "viridis")
        ax.set(xticks=[], yticks=[], title=title)
        ax.grid(False)
    for r, c in found:
        axes[3].add_patch(Rectangle((c - box / 2, r - box / 2), box, box, fill=False, edgecolor=plot.RED, lw=1.5))
    return fig


def upsampling_maps(coarse, fine, overlap_3, overlap_4):
    """§4.2, transposed convolutions: a ``coarse`` map (H, W), its bilinear upsampling
    ``fine`` (2H, 2W), and the number of patches received per cell with kernel 3
    (``overlap_3``) and kernel 4 (``overlap_4``), stride 2."""
    fig, axes = plot.subplots(1, 4, width=10.0, height=2.8)
    for ax, picture, title in zip(axes, (coarse, fine, overlap_3, overlap_4),
                                  (t("lin_coarse"), t("lin_upsampled"), t("lin_overlap", k=3), t("lin_overlap", k=4))):
        counts = ax in axes[2:]
        image = ax.imshow(picture, cmap="viridis", interpolation="nearest", vmin=1 if counts else None,
                          vmax=4 if counts else None)
        ax.set(xticks=[], yticks=[], title=title)
        ax.grid(False)
    fig.colorbar(image, ax=axes[2:], ticks=[1, 2, 3, 4], shrink=0.8, label=t("lin_patches_per_cell"))
    return fig


def sine_fits(x, y, grid, fits: dict, losses: dict):
    """§4.3, why a non-linearity: the training points ``x``, ``y`` (N, 1) and the fits
    (one tensor (G,) on ``grid`` (G, 1) per key of ``fits``: "none", "tanh", "relu"),
    labelled with their final training loss from ``losses``."""
    fig, ax = plot.subplots(width=6.4, height=3.2)
    ax.scatter(x, y, s=10, color=plot.BLACK, zorder=3, label=t("train_points"))
    for name, color in (("none", plot.GREY), ("tanh", plot.BLUE), ("relu", plot.RED)):
        label = t("act_fit_label", name=t(f"act_{name}"), loss=losses[name])
        ax.plot(grid, fits[name], color=color, lw=2, label=label)
    ax.set(xlabel=t("x"), ylabel=t("y"))
    ax.legend(loc="lower left", fontsize=8)
    return fig


def activation_frame(x, values, slopes, scale: float, title: str):
    """§4.3 explorer, one frame: an activation function (``values``, (N,) on the grid ``x``)
    in red, its derivative (``slopes``, (N,)) in blue, and the density of pre-activations
    drawn from N(0, ``scale``²) in grey."""
    density = torch.exp(-0.5 * (x / scale) ** 2)
    fig, ax = plot.subplots(width=5.6, height=3.3, layout="none")       # fixed margins: 24 frames draw faster
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.14, top=0.9)
    ax.fill_between(x, 0, 1.2 * density, color=plot.GREY, alpha=0.3, lw=0, label=t("act_density", s=scale))
    ax.plot(x, values, color=plot.RED, lw=2, label=t("act_function"))
    ax.plot(x, slopes, color=plot.BLUE, lw=2, label=t("act_derivative"))
    ax.set(xlim=(-5, 5), ylim=(-1.6, 3.0), xlabel=t("x"), title=title)
    ax.legend(loc="upper left", fontsize=8)
    return fig


def gradient_through_depth(norms: dict, slopes: dict):
    """§4.3, the vanishing gradient: left, the norm of the gradient at the input of each
    layer relative to the output (``norms``: name → tensor (D + 1,)), on a log scale; right,
    the mean derivative of the activation in each layer (``slopes``: name → tensor (D,))."""
    depth = len(next(iter(slopes.values())))
    fig, (left, right) = plot.subplots(1, 2, width=9.0, height=3.3)
    for (name, values), color in zip(norms.items(), (plot.GREEN, plot.BLUE, plot.RED)):
        left.semilogy(range(depth + 1), values / values[-1], "o-", ms=2.5, color=color, label=name)
        right.plot(range(1, depth + 1), slopes[name], "o-", ms=2.5, color=color, label=name)
    left.set(xlabel=t("act_layer"), ylabel=t("act_grad_ratio"), xticks=range(0, depth + 1, 5))
    right.set(xlabel=t("act_layer"), ylabel=t("act_mean_derivative"), ylim=(0, 1.05), xticks=range(0, depth + 1, 5))
    left.legend(fontsize=8)
    return fig


def relu_activity(stats: dict):
    """§4.3, the ReLU at initialisation: for each input (``stats``: label → (positive,
    dead), two lists with one fraction per layer), the fraction of positive activations
    (left, with the 1/2 line) and of units positive for no sample (right)."""
    fig, (left, right) = plot.subplots(1, 2, width=8.4, height=3.0, sharex=True)
    layers = len(next(iter(stats.values()))[0])
    index = torch.arange(1, layers + 1)
    for offset, (label, (positive, dead)), color in zip((-0.2, 0.2), stats.items(), (plot.BLUE, plot.RED)):
        left.bar(index + offset, positive, width=0.4, color=color, label=label)
        right.bar(index + offset, dead, width=0.4, color=color, label=label)
    left.axhline(0.5, color=plot.BLACK, lw=0.8, ls="--")
    left.set(xlabel=t("act_layer"), ylabel=t("act_fraction_positive"), ylim=(0, 1), xticks=index)
    right.set(xlabel=t("act_layer"), ylabel=t("act_fraction_dead"), ylim=(0, 1), xticks=index)
    right.legend(fontsize=8)
    return fig


def max_pool_1d(x, y, winners, kernel: int):
    """Figure 4.6: 1D max pooling of ``x`` (D, T) into ``y`` (D, T / kernel). Every window
    of ``x`` is framed in blue, the entries where ``winners`` (D, T) is 1 are shaded, and
    the output is drawn below in red; the values are written in the cells."""
    from matplotlib.patches import Rectangle

    d, length = x.shape
    light_blue, light_red = "#cfe0f7", "#f8d0d0"

    def cells(values, left, bottom, face, edge):
        rows, cols = values.shape
        for r in range(rows):
            for c in range(cols):
                px, py = left + c, bottom + rows - 1 - r
                ax.add_patch(Rectangle((px, py), 1, 1, facecolor=face[r][c], edgecolor=edge, lw=0.8))
                ax.text(px + 0.5, py + 0.5, f"{values[r, c]:.0f}", ha="center", va="center", fontsize=10)

    fig, ax = plot.subplots(width=6.4, height=3.6)
    cells(x, 0, d + 1.6, [[light_blue if w else "white" for w in row] for row in winners], plot.GREY)
    for row in range(d):                                   # a blue frame around every window
        for start in range(0, length, kernel):
            ax.add_patch(Rectangle((start + 0.06, d + 1.6 + d - 1 - row + 0.06), kernel - 0.12, 0.88, fill=False,
                                   edgecolor=plot.BLUE, lw=1.8))
    out = length // kernel
    cells(y, (length - out) / 2, 0, [[light_red] * out] * d, plot.RED)
    ax.annotate("", xy=(length / 2, d + 0.15), xytext=(length / 2, d + 1.45),
                arrowprops=dict(arrowstyle="-|>", color=plot.BLACK, lw=1.2))
    ax.text(length / 2 + 0.3, d + 0.8, t("pool_window_note", l=kernel), va="center", fontsize=9)
    ax.text(-0.4, d + 1.6 + d / 2, t("pool_input", d=d, t=length), ha="right", va="center", fontsize=10,
            color=plot.BLUE)
    ax.text((length - out) / 2 - 0.4, d / 2, t("pool_output", d=d, t=out), ha="right", va="center", fontsize=10,
            color=plot.RED)
    ax.set(xlim=(-3.2, length + 0.2), ylim=(-0.2, 2 * d + 1.8), aspect="equal")
    ax.axis("off")
    return fig


def shift_sensitivity(kernels, sensitivity: dict):
    """§4.4, robustness to small shifts: for max and average pooling (``sensitivity``:
    "max"/"avg" → list of (relative change, fraction unchanged), one per kernel size in
    ``kernels``), the relative change (left) and the fraction of unchanged outputs (right)."""
    fig, (left, right) = plot.subplots(1, 2, width=8.4, height=3.1)
    for name, color, marker in (("max", plot.RED, "o"), ("avg", plot.BLUE, "s")):
        label = t("pool_max") if name == "max" else t("pool_avg")
        left.plot(kernels, [c for c, _ in sensitivity[name]], color=color, marker=marker, label=label)
        right.plot(kernels, [s for _, s in sensitivity[name]], color=color, marker=marker, label=label)
    for ax, ylabel in ((left, t("pool_rel_change")), (right, t("pool_unchanged"))):
        ax.set(xscale="log", xticks=kernels, xticklabels=kernels, xlabel=t("pool_kernel"), ylabel=ylabel,
               ylim=(0, None))
        ax.minorticks_off()
    right.legend(loc="upper left")
    return fig


def _mosaic(channels):
    """The channels of a (D, H, W) tensor side by side, separated by blank (NaN) columns."""
    gap = torch.full((channels.shape[1], 3), float("nan"))
    return torch.cat([torch.cat([c, gap], dim=1) for c in channels], dim=1)[:, :-3]


def dropout_rows(rows: dict, vmax: float):
    """Figure 4.8: one row per entry of ``rows`` (label → tensor (D, H, W)), its D channels
    side by side, colours from 0 to ``vmax``."""
    fig, axes = plot.subplots(len(rows), 1, width=8.4, height=4.6)
    for ax, (label, tensor) in zip(axes, rows.items()):
        ax.imshow(_mosaic(tensor), cmap="magma", vmin=0, vmax=vmax)
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
        ax.set(xticks=[], yticks=[])
        ax.grid(False)
    return fig


def dropout_mask_frame(out, vmax: float, title: str):
    """§4.5 explorer, one frame: the channels of ``out`` (D, H, W) side by side, colours
    from 0 to ``vmax``."""
    fig, ax = plot.subplots(width=8.4, height=1.9)
    ax.imshow(_mosaic(out), cmap="magma", vmin=0, vmax=vmax)
    ax.set(xticks=[], yticks=[], title=title)
    ax.grid(False)
    return fig


def mc_dropout(grid, mean, std, deterministic, x_train, y_train):
    """§4.5, Monte Carlo dropout: on ``grid`` (G,), the mean of the random passes ``mean``
    (G,) with a band of ±2 ``std`` (G,), the evaluation-mode output ``deterministic`` (G,),
    the true function sin(3x) and the training points ``x_train``, ``y_train`` (N,)."""
    fig, ax = plot.subplots(width=6.4, height=3.4)
    ax.fill_between(grid, mean - 2 * std, mean + 2 * std, color=plot.RED, alpha=0.2, label=t("drop_mc_band"))
    ax.plot(grid, torch.sin(3 * grid), color=plot.BLACK, lw=0.8, label=t("true_function"))
    ax.plot(grid, mean, color=plot.RED, lw=2, label=t("drop_mc_mean_label"))
    ax.plot(grid, deterministic, color=plot.BLUE, lw=1, ls="--", label=t("drop_eval_label"))
    ax.scatter(x_train, y_train, color=plot.BLACK, s=10, zorder=3, label=t("train_points"))
    ax.set(xlabel=t("x"), ylabel=t("y"), ylim=(-4, 4))
    ax.legend(loc="lower left", fontsize=8, ncol=2)
    return fig


# §4.6-4.10 ------------------------------------------------------------------------------


def normalization_groups(groups: dict):
    """Figure 4.9: which activations batch and layer normalization standardise together.

    ``groups``: title → Boolean tensor of shape (HW, B, D) (positions, samples, channels),
    True on the group drawn in blue. One 3-D panel per entry."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(8.4, 3.6))
    for k, (title, group) in enumerate(groups.items()):
        ax = fig.add_subplot(1, len(groups), k + 1, projection="3d")
        ax.voxels((~group).numpy(), facecolors="#d0d0d0", edgecolor=plot.GREY, linewidth=0.3, alpha=0.25)
        ax.voxels(group.numpy(), facecolors=plot.BLUE, edgecolor="#0b2d63", linewidth=0.5)
        ax.set_box_aspect(tuple(group.shape), zoom=1.1)
        ax.set_xlabel(t("norm_axis_hw"), labelpad=-10)
        ax.set_ylabel("$B$", labelpad=-10)
        ax.set_zlabel("$D$", labelpad=-10)
        ax.set(xticks=[], yticks=[], zticks=[], title=title)
        ax.xaxis.pane.fill = ax.yaxis.pane.fill = ax.zaxis.pane.fill = False
        ax.grid(False)
        ax.view_init(elev=22, azim=-58)
    return fig


def batch_dependence(outputs: dict, eval_output, channel: int, batch_sizes, spread, gap, shown=(4, 32, 256)):
    """§4.6, batch normalization depends on the batch. Left: histograms of the output of
    sample 0 in channel ``channel`` over random batches of the sizes ``shown``
    (``outputs[B]``: tensor (R, D) of its outputs in R batches of size B), with its
    evaluation-mode output (``eval_output``: (D,)) dashed. Right: ``spread`` and ``gap``
    (one number per entry of ``batch_sizes``) on log-log axes, with a 1/sqrt(B) guide."""
    fig, (left, right) = plot.subplots(1, 2, width=8.8, height=3.3)
    for size, color in zip(shown, (plot.RED, plot.ORANGE, plot.BLUE)):
        left.hist(outputs[size][:, channel], bins=40, range=(-1.5, 4.5), density=True, histtype="step", lw=1.5,
                  color=color, label=t("norm_batch_of", size=size))
    left.axvline(eval_output[channel], color=plot.BLACK, ls="--", lw=1.2, label=t("norm_eval_output"))
    left.set(xlabel=t("norm_output_of_sample", d=channel), ylabel=t("norm_density"))
    left.legend(fontsize=8, loc="upper left")
    right.loglog(batch_sizes, spread, "o-", color=plot.RED, label=t("norm_spread"))
    right.loglog(batch_sizes, gap, "s-", color=plot.BLUE, label=t("norm_gap"))
    largest = batch_sizes[-1]
    right.loglog(batch_sizes, [spread[-1] * (largest / b) ** 0.5 for b in batch_sizes], ":", color=plot.GREY,
                 label=t("norm_reference"))
    right.set(xlabel=t("norm_batch_size"), xticks=batch_sizes, xticklabels=[str(b) for b in batch_sizes])
    right.minorticks_off()
    right.legend(fontsize=8)
    return fig


def loss_curves(curves: dict, colors: dict, ylabel: str, *, ylim=(0, 2.5), width=6.4, height=3.6, legend_below=False):
    """Training-loss curves, one per entry: ``curves`` maps a label to a list of losses (one
    per epoch), ``colors`` the same labels to colours. §4.6 (four normalizations) and §4.7
    (plain against residual)."""
    fig, ax = plot.subplots(width=width, height=height)
    for label, losses in curves.items():
        ax.plot(range(1, len(losses) + 1), losses, "o-", ms=3, color=colors[label], label=label)
    epochs = max(len(losses) for losses in curves.values())
    ax.set(xlabel=t("epoch"), ylabel=ylabel, ylim=ylim)
    if epochs <= 12:
        ax.set_xticks(range(1, epochs + 1))
    if legend_below:
        fig.legend(loc="outside lower center", ncol=2, fontsize=8)
    else:
        ax.legend()
    return fig


def _layer_box(ax, y, width, height):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((-width / 2, y - height / 2), width, height,
                                boxstyle="round,pad=0.02,rounding_size=0.08", facecolor="#dbe6f7",
                                edgecolor=plot.BLUE, lw=1.2))


def _arrow_path(ax, points, color=plot.BLACK, lw=1.2):
    """A polyline through the points, with an arrow head at the end."""
    from matplotlib.patches import FancyArrowPatch

    xs, ys = zip(*points)
    ax.plot(xs, ys, color=color, lw=lw, solid_joinstyle="round")
    ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=9, color=color, lw=lw))


def _merge(ax, y, symbol=""):
    from matplotlib.patches import Circle

    ax.add_patch(Circle((0, y), 0.16, facecolor="white", edgecolor=plot.BLACK, lw=1.2, zorder=3))
    ax.text(0, y, symbol, ha="center", va="center", fontsize=10, zorder=4)


def _chain(ax, ys, widths, height=0.42):
    """Layer boxes at heights ``ys`` (top to bottom), joined by the arrows of the main path."""
    for y, w in zip(ys, widths):
        _layer_box(ax, y, w, height)
    for a, b in zip(ys, ys[1:]):
        _arrow_path(ax, [(0, a - height / 2), (0, b + height / 2)])
    _arrow_path(ax, [(0, ys[0] + 0.5), (0, ys[0] + height / 2)])
    _arrow_path(ax, [(0, ys[-1] - height / 2), (0, ys[-1] - 0.5)])


def skip_connections():
    """Figure 4.10: three patterns of skip connections (no input). Left, long skips across
    a chain; middle, a down-then-up-scaling model with skips between layers of the same
    scale; right, residual connections summed around pairs of layers."""
    fig, axes = plot.subplots(1, 3, width=8.4, height=4.2)
    ys = [6.4, 5.4, 4.4, 3.4, 2.4, 1.4]
    _chain(axes[0], ys, [1.4] * 6)
    for start, end, side in ((5.9, 2.9, 1.05), (4.9, 3.9, -1.05)):
        _arrow_path(axes[0], [(0, start), (side, start), (side, end), (0.16 * (1 if side > 0 else -1), end)],
                    plot.RED, 1.8)
        _merge(axes[0], end)
    widths = [1.6, 1.1, 0.65, 0.35, 0.65, 1.1, 1.6]
    ys = [6.6, 5.7, 4.8, 3.9, 3.0, 2.1, 1.2]
    _chain(axes[1], ys, widths)
    for i in range(3):
        j = len(ys) - 1 - i
        start, end, side = (ys[i] + ys[i + 1]) / 2, (ys[j - 1] + ys[j]) / 2, widths[i] / 2 + 0.25
        _arrow_path(axes[1], [(0, start), (side, start), (side, end), (0.16, end)], plot.RED, 1.6)
        _merge(axes[1], end)
    ys = [6.3, 5.5, 4.3, 3.5, 2.3, 1.5]
    _chain(axes[2], ys, [1.4] * 6)
    for k in range(3):
        start, end = ys[2 * k] + 0.42, ys[2 * k + 1] - 0.52
        _arrow_path(axes[2], [(0, start), (1.0, start), (1.0, end), (0.16, end)], plot.RED, 1.8)
        _merge(axes[2], end, "+")
    for ax, title in zip(axes, (t("skip_panel_long"), t("skip_panel_multiscale"), t("skip_panel_residual"))):
        ax.set(xlim=(-1.6, 1.6), ylim=(0.4, 7.2), aspect="equal", title=title)
        ax.axis("off")
    return fig


def gradient_norm_profiles(profiles: dict, *, title=None, ylim=None, ratio_in_legend=False, width=6.4, height=3.3):
    """§4.7: the norm of the weight gradient of every layer, plain against residual.
    ``profiles``: ``{"plain": tensor (L,), "residual": tensor (L,)}`` (layer 1 first)."""
    fig, ax = plot.subplots(width=width, height=height)
    for name, color in (("plain", plot.GREY), ("residual", plot.RED)):
        profile = profiles[name]
        label = t(f"skip_{name}")
        if ratio_in_legend:
            label = t("skip_legend_ratio", name=label, ratio=(profile[0] / profile[-1]).item())
        ax.semilogy(range(1, len(profile) + 1), profile, "o-", ms=2.5 if ratio_in_legend else 3, color=color,
                    label=label)
    ax.set(xlabel=t("skip_layer"), ylabel=t("skip_gradient_norm"))
    if ylim is not None:
        ax.set_ylim(ylim)
    if title is not None:
        ax.set_title(title)
    ax.legend(loc="lower right" if ratio_in_legend else "best", fontsize=8 if ratio_in_legend else None)
    return fig


def _heat_matrix(ax, matrix, names, heat):
    ax.imshow(matrix, **heat)
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks([])
    ax.grid(False)


def attention_one_query(query, keys, values, y_q, a_q, match: int):
    """Figure 4.11: one query against all the keys. ``query`` (D_QK,), ``keys`` (N_KV, D_QK),
    ``values`` (N_KV, D_V), the result ``y_q`` (D_V,) and the scores ``a_q`` (N_KV,); the
    key of index ``match`` is drawn in red. Left: query, keys and scores; right: scores,
    values and result."""
    import matplotlib.pyplot as plt

    n_kv = len(keys)
    vmax = max(keys.abs().max(), values.abs().max(), query.abs().max()).item()
    heat = dict(cmap="RdBu_r", vmin=-vmax, vmax=vmax, aspect="auto")
    fig = plt.figure(figsize=(8.6, 3.8))
    grid = fig.add_gridspec(2, 5, width_ratios=[1, n_kv, 0.8, n_kv, 1])
    ax_q, ax_k = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1])
    ax_a1, ax_a2 = fig.add_subplot(grid[1, 1]), fig.add_subplot(grid[0, 3])
    ax_v, ax_y = fig.add_subplot(grid[1, 3]), fig.add_subplot(grid[1, 4])
    _heat_matrix(ax_q, query[:, None], ["$Q_q$"], heat)
    _heat_matrix(ax_k, keys.T, [f"$K_{k + 1}$" for k in range(n_kv)], heat)
    _heat_matrix(ax_v, values.T, [f"$V_{k + 1}$" for k in range(n_kv)], heat)
    _heat_matrix(ax_y, y_q[:, None], ["$Y_q$"], heat)
    colors = [plot.RED if k == match else plot.BLUE for k in range(n_kv)]
    for ax in (ax_a1, ax_a2):
        ax.bar(range(n_kv), a_q, color=colors, width=0.7)
        ax.set(xlim=(-0.5, n_kv - 0.5), ylim=(0, 1), ylabel="$A_{q,k}$")
        ax.set_xticks(range(n_kv), [f"$A_{{q,{k + 1}}}$" for k in range(n_kv)] if ax is ax_a1 else [], fontsize=8)
    ax_k.set_title(t("att_fig411_left"))
    ax_a2.set_title(t("att_fig411_right"))
    ax_k.tick_params(axis="x", labeltop=True, labelbottom=False)
    return fig


def attention_scaling(dims, variance_raw, variance_scaled, entropy_raw, entropy_scaled, n_keys: int):
    """§4.8, why divide by sqrt(D_QK): left, the variance of a dot product against D_QK,
    with and without the scaling; right, the mean entropy of the attention rows over
    ``n_keys`` keys. All lists have one entry per element of ``dims``."""
    import math

    fig, (left, right) = plot.subplots(1, 2, width=8.6, height=3.2)
    left.loglog(dims, variance_raw, "o-", color=plot.RED, label=t("att_unscaled"))
    left.loglog(dims, variance_scaled, "o-", color=plot.BLUE, label=t("att_scaled"))
    left.loglog(dims, dims, "--", color=plot.GREY, lw=1, label="$D^{QK}$")
    left.set(xlabel="$D^{QK}$", ylabel=t("att_dot_variance"))
    left.legend()
    right.semilogx(dims, entropy_raw, "o-", color=plot.RED, label=t("att_unscaled"))
    right.semilogx(dims, entropy_scaled, "o-", color=plot.BLUE, label=t("att_scaled"))
    right.axhline(math.log(n_keys), ls="--", color=plot.GREY, lw=1, label=t("att_uniform"))
    right.set(xlabel="$D^{QK}$", ylabel=t("att_row_entropy"), ylim=(0, 3.3))
    right.legend(loc="lower left")
    return fig


def _node(ax, x, y, text, data=False):
    style = dict(boxstyle="round,pad=0.4", fc="#e8eef8" if data else "white", ec=plot.BLUE if data else plot.BLACK,
                 lw=1.1)
    return ax.text(x, y, text, ha="center", va="center", fontsize=12, bbox=style)


def _link(ax, src, dst, out=(1, 0.5), into=(0, 0.5)):
    ax.annotate("", xy=into, xycoords=dst, xytext=out, textcoords=src,
                arrowprops=dict(arrowstyle="-|>", color=plot.BLACK, lw=1.1, shrinkA=7, shrinkB=7))


def attention_operator():
    """Figure 4.12: the complete attention operator as a data-flow diagram (no input):
    scaled products, exp, mask, normalisation, dropout, product with V."""
    fig, ax = plot.subplots(width=8.6, height=2.2)
    ax.set(xlim=(-0.5, 10.6), ylim=(-1.5, 1.0))
    ax.axis("off")
    q_node, k_node = _node(ax, 0, 0.55, "$Q$", data=True), _node(ax, 0, -0.55, "$K$", data=True)
    chain = [_node(ax, 1.7, 0, r"$\times^{\top}/\sqrt{D^{QK}}$"), _node(ax, 3.5, 0, r"$\exp$"),
             _node(ax, 4.8, 0, r"$\odot$"), _node(ax, 6.1, 0, r"$1/\Sigma_k$"), _node(ax, 7.7, 0, t("att_dropout")),
             _node(ax, 9.1, 0, r"$\times$")]
    y_node = _node(ax, 10.3, 0, "$Y$", data=True)
    m_node, v_node = _node(ax, 4.8, -1.15, "$M$", data=True), _node(ax, 9.1, -1.15, "$V$", data=True)
    _link(ax, q_node, chain[0])
    _link(ax, k_node, chain[0])
    for a, b in zip(chain, chain[1:] + [y_node]):
        _link(ax, a, b)
    _link(ax, m_node, chain[2], out=(0.5, 1), into=(0.5, 0))
    _link(ax, v_node, chain[5], out=(0.5, 1), into=(0.5, 0))
    ax.text(6.9, 0.18, "$A$", ha="center", fontsize=12, color=plot.RED)
    return fig


def causal_dependence(mask, dependence_causal, dependence_full):
    """§4.8: the causal mask (T, T) and the dependence matrices (T, T) of a multi-head
    attention layer's outputs on its inputs, with and without the mask."""
    n = len(mask)
    fig, axes = plot.subplots(1, 3, width=8.6, height=3.1)
    panels = [(mask.float(), "Greys", t("att_causal_mask_title"), t("att_key_k"), t("att_query_q")),
              (dependence_causal, "viridis", t("att_dependence_causal"), t("att_input_s"), t("att_output_t")),
              (dependence_full, "viridis", t("att_dependence_full"), t("att_input_s"), t("att_output_t"))]
    for ax, (matrix, cmap, title, xlabel, ylabel) in zip(axes, panels):
        ax.imshow(matrix, cmap=cmap, extent=(0.5, n + 0.5, n + 0.5, 0.5))
        ax.set(title=title, xlabel=xlabel, ylabel=ylabel, xticks=range(1, n + 1), yticks=range(1, n + 1))
        ax.grid(False)
    return fig


def attention_matrix(a, labels, title):
    """§4.8 explorer: an attention matrix ``a`` (N_Q, N_KV) with the tokens ``labels`` on
    both axes."""
    fig, ax = plot.subplots(width=4.2, height=4.0)
    ax.imshow(a, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel=t("att_keys_axis"), ylabel=t("att_queries_axis"), title=title)
    ax.grid(False)
    return fig


def attention_timings(lengths, ours, torch_fused, linear_lengths, linear, slopes: dict):
    """§4.8, the quadratic cost: median seconds per call against the sequence length, on
    log-log axes, for our attention and PyTorch's (``lengths``) and for linear attention
    (``linear_lengths``), with a quadratic guide through our longest point. ``slopes``:
    the fitted slopes, keys ``ours``, ``torch``, ``linear``."""
    import numpy as np

    fig, ax = plot.subplots(width=6.4, height=3.6)
    ax.loglog(lengths, ours, "o-", color=plot.RED, label=t("att_ours", slope=slopes["ours"]))
    ax.loglog(lengths, torch_fused, "s-", color=plot.BLUE, label=t("att_torch", slope=slopes["torch"]))
    ax.loglog(linear_lengths, linear, "^-", color=plot.GREEN, label=t("att_linear", slope=slopes["linear"]))
    guide = np.array([lengths[0], lengths[-1]], dtype=float)
    ax.loglog(guide, ours[-1] * (guide / guide[-1]) ** 2, "--", color=plot.GREY, lw=1, label=t("att_quadratic_guide"))
    ax.set(xlabel=t("att_length"), ylabel=t("att_seconds"))
    ax.legend(fontsize=8)
    return fig


def multi_head_attention():
    """Figure 4.13: the multi-head attention layer as a data-flow diagram (no input):
    per-head projections and attention (stacked boxes), concatenation, W^O."""
    import matplotlib.pyplot as plt

    fig, ax = plot.subplots(width=5.4, height=4.4)
    ax.set(xlim=(0.7, 8.7), ylim=(-0.5, 6.5))
    ax.axis("off")
    ax.add_patch(plt.Rectangle((1.0, 0.8), 7.5, 2.5, fill=False, ls="--", ec=plot.GREY, lw=1))
    ax.text(8.4, 3.05, t("att_for_each_head"), ha="right", va="center", color=plot.GREY, fontsize=10)

    def stacked(x, y, text):
        """A box drawn H = 3 times, slightly shifted, for an operation done once per head."""
        for shift in (0.16, 0.08):
            ax.text(x + shift, y + shift, text, ha="center", va="center", fontsize=12, color="none",
                    bbox=dict(boxstyle="round,pad=0.4", fc="white", ec=plot.GREY, lw=0.9))
        return _node(ax, x, y, text)

    inputs = [_node(ax, x, 0, name, data=True) for x, name in ((2, "$X^Q$"), (4.6, "$X^K$"), (7.2, "$X^V$"))]
    projections = [stacked(x, 1.35, name) for x, name in ((2, r"$\times W^Q_h$"), (4.6, r"$\times W^K_h$"),
                                                          (7.2, r"$\times W^V_h$"))]
    att_node = stacked(4.6, 2.75, r"$\mathrm{att}$")
    concat = _node(ax, 4.6, 4.15, r"$(Y_1 | \cdots | Y_H)$")
    out_node = _node(ax, 4.6, 5.15, r"$\times W^O$")
    y_out = _node(ax, 4.6, 6.15, "$Y$", data=True)
    for a, b in zip(inputs, projections):
        _link(ax, a, b, out=(0.5, 1), into=(0.5, 0))
    for p, side in zip(projections, ((0.1, 0), (0.5, 0), (0.9, 0))):
        _link(ax, p, att_node, out=(0.5, 1), into=side)
    for a, b in ((att_node, concat), (concat, out_node), (out_node, y_out)):
        _link(ax, a, b, out=(0.5, 1), into=(0.5, 0))
    for x, y, name in ((3.0, 2.3, "$Q$"), (4.8, 2.05, "$K$"), (6.2, 2.3, "$V$")):
        ax.text(x, y, name, ha="center", va="center", fontsize=11, color=plot.BLUE)
    ax.text(4.8, 3.6, "$Y_h$", ha="left", va="center", fontsize=11, color=plot.RED)
    return fig


def row_gradient_norms(row_norms, counts):
    """§4.9: the norm of the gradient of each row of an embedding table, ``row_norms``
    (N,), red for the rows whose token occurs in the batch, annotated with ``counts``
    (N,), the number of occurrences of each token."""
    n = len(row_norms)
    fig, ax = plot.subplots(width=6.4, height=2.8)
    ax.bar(range(n), row_norms, color=[plot.RED if c > 0 else plot.GREY for c in counts])
    for k in counts.nonzero()[:, 0].tolist():
        ax.annotate(t("emb_times", k=counts[k].item()), (k, row_norms[k]), ha="center", va="bottom", fontsize=8)
    ax.set(xlabel=t("emb_row"), ylabel=t("emb_gradient_norm"), xticks=range(n), ylim=(0, 1.2 * row_norms.max()))
    return fig


def principal_plane(weight):
    """Coordinates (N, 2) of the rows of ``weight`` (N, D) on their two principal directions."""
    centred = weight - weight.mean(dim=0)
    _, _, directions = torch.linalg.svd(centred, full_matrices=False)
    return centred @ directions[:2].T


def embedding_rings(tables: dict):
    """§4.9, learned token embeddings: each table (N, D) of ``tables`` (title → table)
    projected on its two principal directions, rows joined in order (a closing grey ring)
    and coloured by their index."""
    fig, axes = plot.subplots(1, len(tables), width=3.2 * len(tables), height=3.5)
    for ax, (title, weight) in zip(axes, tables.items()):
        points = principal_plane(weight)
        ring = torch.cat([points, points[:1]])
        ax.plot(ring[:, 0], ring[:, 1], color=plot.GREY, lw=0.8, zorder=1)
        ax.scatter(points[:, 0], points[:, 1], c=range(len(weight)), cmap="twilight", s=36, zorder=2)
        for h in range(len(weight)):
            ax.annotate(str(h), points[h], xytext=(3, 3), textcoords="offset points", fontsize=7)
        ax.set(title=title, xticks=[], yticks=[], aspect="equal")
    return fig


def encoding_matrix(pe, columns=(2, 8, 16, 24, 40)):
    """§4.10, the positional encoding matrix: left, ``pe`` (T, D) as an image; right, the
    columns ``columns`` as functions of the position."""
    fig, (left, right) = plot.subplots(1, 2, width=9.0, height=3.6, gridspec_kw={"width_ratios": [1, 1.25]})
    image = left.imshow(pe, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    left.set(xlabel=t("pos_dimension"), ylabel=t("pos_position"), title=t("pos_matrix", dim=pe.shape[1]))
    left.grid(False)
    fig.colorbar(image, ax=left, shrink=0.8)
    for d, color in zip(columns, (plot.RED, plot.ORANGE, plot.BLUE, plot.GREEN, plot.BLACK)):
        right.plot(pe[:, d], color=color, lw=1.3, label=t("pos_column", d=d))
    right.set(xlabel=t("pos_position"), ylabel=t("pos_value"), ylim=(-1.15, 1.7))
    right.legend(ncols=3, loc="upper center", fontsize=8)
    return fig


def encoding_similarity(similarity, offsets, curves, starts, dim: int):
    """§4.10, an offset is a rotation: left, the Gram matrix ``similarity`` (T, T) of the
    encodings; right, ``curves`` (len(starts), K): the similarity of position s (one
    curve per s in ``starts``) to the positions s + k, k in ``offsets`` (K,), with the
    maximum D/2 as a grey line."""
    fig, (left, right) = plot.subplots(1, 2, width=9.0, height=3.4, gridspec_kw={"width_ratios": [1, 1.3]})
    image = left.imshow(similarity, cmap="viridis", interpolation="nearest")
    left.set(xlabel=t("pos_position"), ylabel=t("pos_position_s"), title=t("pos_gram"))
    left.grid(False)
    fig.colorbar(image, ax=left, shrink=0.8)
    for s, curve, style in zip(starts, curves, ("-", "--", ":")):
        right.plot(offsets, curve, style, lw=2, label=t("pos_from", s=s))
    right.axhline(dim / 2, color=plot.GREY, lw=0.8)
    right.set(xlabel=t("pos_offset"), ylabel=t("pos_dot"))
    right.legend()
    return fig


def encoding_explorer_frame(table, normalised, half: int, highest: float):
    """§4.10 explorer, one frame: left, the encoding ``table`` (T, D) of the first 128
    positions; right, ``normalised`` (T,), the similarity of position 0 to every position
    divided by D/2, with the offset ``half`` where it first falls below 1/2 dashed. The
    title prints ``half`` and ``highest`` (the highest similarity at offsets >= 16)."""
    # a fixed layout: the 15 frames are drawn when the page is built, and constrained layout costs 40 % more
    fig, (left, right) = plot.subplots(1, 2, width=8.0, height=3.0, gridspec_kw={"width_ratios": [1, 1.4]},
                                       layout="none")
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.17, top=0.88, wspace=0.25)
    left.imshow(table[:128], cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto", interpolation="nearest")
    left.set(xlabel=t("pos_dimension"), ylabel=t("pos_position"))
    left.grid(False)
    right.plot(normalised, color=plot.RED, lw=1)
    right.axvline(half, color=plot.GREY, lw=0.8, ls="--")
    right.set(ylim=(-0.6, 1.05), xlabel=t("pos_offset"), ylabel=t("pos_normalised_dot"),
              title=t("pos_explorer_title", half=half, worst=highest))
    return fig
