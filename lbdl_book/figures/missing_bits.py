"""Figures of "The missing bits": recurrent networks, autoencoders, generative
adversarial networks, graph neural networks and self-supervised training, one function
per figure or demo plot.

Each function takes what a page computed and returns a matplotlib figure in the house
style of :mod:`lbdl_book.plot`; its docstring names the figure and the shapes of its
inputs. Labels come from ``lbdl_book/strings/mb_*.py`` through :func:`lbdl_book.t`.
"""

from __future__ import annotations

from .. import plot
from ..i18n import t

# Recurrent neural networks ---------------------------------------------------------------

def rnn_gradient_vs_lag(curves):
    """fig-mb-rnn-gradient: for each layer, ``curves[label]`` (S, L + 1), the gradient
    reaching the input at lags 0..L for S initialisations: the median over S as a line,
    the min–max as a band, on a log scale."""
    fig, ax = plot.subplots(width=6.4, height=3.6)
    for label, values in curves.items():
        values = values.detach().cpu().clamp_min(1e-30)
        lags = range(values.shape[1])
        line, = ax.plot(lags, values.median(0).values, label=label)
        ax.fill_between(lags, values.min(0).values, values.max(0).values, color=line.get_color(), alpha=0.2, lw=0)
    ax.set(yscale="log", xlabel=t("mb_rnn_lag"), ylabel=t("mb_rnn_grad_axis"), ylim=(1e-24, 10))
    ax.legend(fontsize=8)
    return fig


def rnn_training(curves, steps_per_epoch, chance):
    """fig-mb-rnn-training: ``curves[label]`` the held-out accuracy after each epoch
    (list of floats), against the number of gradient steps; ``chance`` dotted."""
    fig, ax = plot.subplots(width=6.0, height=3.2)
    for label, accuracies in curves.items():
        steps = [steps_per_epoch * (k + 1) for k in range(len(accuracies))]
        ax.plot(steps, accuracies, marker="o", ms=3, label=label)
    ax.axhline(chance, color="grey", ls=":", label=t("mb_rnn_chance"))
    ax.set(xlabel=t("mb_rnn_steps"), ylabel=t("mb_rnn_accuracy"), ylim=(0, 1.05))
    ax.legend(fontsize=8)
    return fig


def rnn_scan_coverage(coverage, step):
    """The scan demo: ``coverage`` (T, T), entry [s, t] = 1 where the map f_s is already
    composed into position t after ``step`` steps of the scan; drawn with t down the rows."""
    length = coverage.shape[0]
    fig, ax = plot.subplots(width=4.6, height=4.2)
    ax.imshow(coverage.T.detach().cpu().numpy(), cmap="Blues", vmin=0, vmax=1.3, interpolation="nearest")
    ax.set(xlabel=t("mb_rnn_cov_maps"), ylabel=t("mb_rnn_cov_positions"), xticks=range(0, length, 4),
           yticks=range(0, length, 4), title=t("mb_rnn_cov_title", step=step, width=2**step))
    ax.grid(False)
    return fig


def rnn_scan_times(lengths, loop, scan):
    """fig-mb-rnn-scan: median times (s) of the loop and of the scan (lists, one per entry
    of ``lengths``), against T, log–log."""
    fig, ax = plot.subplots(width=5.6, height=3.4)
    ax.plot(lengths, loop, marker="o", label=t("mb_rnn_loop"))
    ax.plot(lengths, scan, marker="s", label=t("mb_rnn_scan"))
    ax.set(xscale="log", yscale="log", xlabel=t("mb_rnn_length"), ylabel=t("mb_rnn_seconds"))
    ax.legend(fontsize=8)
    return fig

# Autoencoders ----------------------------------------------------------------------------

def _ae_tile(ax, picture, title: str | None = None) -> None:
    """A grey-level picture (h, w) (a tensor, NaN = blank) on ``ax``, ink dark, no axes."""
    ax.imshow(picture.detach().cpu().numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
    ax.set(xticks=[], yticks=[])
    ax.grid(False)
    ax.spines[:].set_visible(False)
    if title is not None:
        ax.set_title(title, fontsize=9)


def _ae_scatter(ax, codes, labels, title: str) -> None:
    """Codes (N, 2) as points coloured by digit (labels (N,) in 0-9), each digit's label at its median."""
    import matplotlib

    colours = matplotlib.colormaps["tab10"]
    codes, labels = codes.detach().cpu(), labels.cpu()
    ax.scatter(codes[:, 0], codes[:, 1], c=[colours(int(k)) for k in labels], s=5, alpha=0.7, lw=0)
    for digit in range(10):
        centre = codes[labels == digit].median(0).values
        ax.text(centre[0], centre[1], str(digit), fontsize=11, ha="center", va="center",
                color=colours(digit), bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7})
    ax.set(xticks=[], yticks=[], title=title)


def ae_latent(panels: dict):
    """Autoencoders, the 2-D codes of the test digits: one scatter per entry of ``panels``
    (title → (codes (N, 2), labels (N,))), coloured by the digit the model never saw."""
    fig, axes = plot.subplots(1, len(panels), width=3.4 * len(panels), height=3.4)
    for ax, (title, (codes, labels)) in zip(axes, panels.items()):
        _ae_scatter(ax, codes, labels, title)
    return fig


def ae_sizes(sizes, errors: dict, originals, reconstructions: dict):
    """Autoencoders, reconstruction against the latent size. Left: the test mean squared
    error per pixel against the size (``sizes``: list of ints; ``errors``: label → list of
    errors, one per size), log scale. Right: ``originals`` (K, h, w) on the first row and
    ``reconstructions[d]`` (K, h, w) for each size d below it."""
    import torch

    from .ch05 import mosaic

    fig = plot.plt.figure(figsize=(9.6, 3.6))
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 1.4], wspace=0.2)
    ax = fig.add_subplot(grid[0, 0])
    for (label, values), (colour, marker) in zip(errors.items(), ((plot.BLUE, "o"), (plot.GREY, "s"))):
        ax.semilogy(sizes, values, marker=marker, color=colour, label=label)
    ax.set(xscale="log", xticks=sizes, xticklabels=sizes, xlabel=t("mb_autoencoders_latent_size"), ylabel=t("mb_autoencoders_mse"))
    ax.minorticks_off()
    ax.legend(fontsize=8)
    rows = [originals] + [reconstructions[d] for d in sizes]
    picture = mosaic(torch.cat([r.detach().cpu() for r in rows]), len(originals))
    image = fig.add_subplot(grid[0, 1])
    _ae_tile(image, picture)
    h = originals.shape[-2] + 1
    for k, name in enumerate([t("mb_autoencoders_original")] + [f"d = {d}" for d in sizes]):
        image.text(-1.0, k * h + h / 2 - 1, name, ha="right", va="center", fontsize=8)
    return fig


def ae_denoising(rows: dict):
    """Autoencoders, denoising (§6.1): each entry of ``rows`` (label → images (K, h, w))
    is one row of pictures, labelled on the left."""
    import torch

    from .ch05 import mosaic

    first = next(iter(rows.values()))
    fig, ax = plot.subplots(width=7.6, height=0.55 * len(rows) * first.shape[-2] / 8 + 0.3)
    picture = mosaic(torch.cat([r.detach().cpu().clamp(0, 1) for r in rows.values()]), len(first))
    _ae_tile(ax, picture)
    h = first.shape[-2] + 1
    for k, name in enumerate(rows):
        ax.text(-1.0, k * h + h / 2 - 1, name, ha="right", va="center", fontsize=8)
    return fig


def ae_vae(codes, labels, manifold, samples, columns: int):
    """Autoencoders, the VAE: the means μ(x) of the test digits (``codes`` (N, 2), coloured
    by ``labels``) with the circles of radius 1 and 2 of the prior; the decoded grid
    ``manifold`` (G·G, h, w, row by row from the top, z_2 decreasing); prior samples
    ``samples`` (S, h, w), ``columns`` per row."""
    import math

    import torch

    from .ch05 import mosaic

    fig, axes = plot.subplots(1, 3, width=11.0, height=4.2)
    _ae_scatter(axes[0], codes, labels, t("mb_autoencoders_vae_codes"))
    angle = torch.linspace(0, 2 * math.pi, 200)
    for radius in (1, 2):
        axes[0].plot(radius * angle.cos(), radius * angle.sin(), color=plot.BLACK, lw=0.8, ls=":")
    axes[0].set_aspect("equal")
    side = int(round(len(manifold) ** 0.5))
    _ae_tile(axes[1], mosaic(manifold.detach().cpu(), side), t("mb_autoencoders_vae_manifold"))
    _ae_tile(axes[2], mosaic(samples.detach().cpu(), columns), t("mb_autoencoders_vae_samples"))
    return fig


def ae_interpolation(codes, labels, path, point, decoded, blend, title: str):
    """Autoencoders, the interpolation demo: the VAE codes of the test digits (``codes``
    (N, 2), ``labels`` (N,)), the straight ``path`` (P, 2) between two of them with the
    current ``point`` (2,); the image decoded at that point (``decoded`` (h, w)) and the
    pixel blend of the two end images with the same weight (``blend`` (h, w))."""
    fig = plot.plt.figure(figsize=(7.6, 3.0))
    grid = fig.add_gridspec(1, 3, width_ratios=[1.6, 1, 1], wspace=0.15)
    ax = fig.add_subplot(grid[0, 0])
    _ae_scatter(ax, codes, labels, "")
    ax.plot(path[:, 0], path[:, 1], color=plot.BLACK, lw=1.2)
    ax.plot([float(point[0])], [float(point[1])], "o", ms=9, mfc="none", mec=plot.BLACK, mew=2)
    _ae_tile(fig.add_subplot(grid[0, 1]), decoded, t("mb_autoencoders_interp_latent"))
    _ae_tile(fig.add_subplot(grid[0, 2]), blend.clamp(0, 1), t("mb_autoencoders_interp_pixels"))
    fig.suptitle(title, fontsize=9)
    return fig


# Generative adversarial networks ---------------------------------------------------------

def _gan_points(ax, points, colour, size: float = 3.0, alpha: float = 0.4) -> None:
    points = points.detach().cpu()
    ax.scatter(points[:, 0], points[:, 1], s=size, color=colour, alpha=alpha, lw=0)


def _gan_ring_axes(ax, centres, radius: float, title: str | None = None) -> None:
    """The square view of the ring, the mode centres as small black crosses."""
    centres = centres.cpu()
    ax.scatter(centres[:, 0], centres[:, 1], marker="x", s=18, color=plot.BLACK, lw=1)
    limit = 1.6 * radius
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), xticks=[], yticks=[], aspect="equal")
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color(plot.GREY)
        spine.set_linewidth(0.5)
    if title is not None:
        ax.set_title(title, fontsize=9)


def gan_optimal_discriminator(x, p_data, p_g, d_star, x_learned, d_learned):
    """Beyond-LBDL, the best discriminator: left, the densities p_data and p_g (K,) on the
    grid ``x`` (K,); right, D* = p_data / (p_data + p_g) on that grid and a trained
    discriminator's D(x) (M,) on ``x_learned`` (M,)."""
    fig, (left, right) = plot.subplots(1, 2, width=8.0, height=2.8)
    left.plot(x, p_data, color=plot.BLUE, label=t("mb_gan_p_data"))
    left.plot(x, p_g, color=plot.RED, label=t("mb_gan_p_g"))
    left.set(xlabel="x", xlim=(-4, 6), title=t("mb_gan_densities"))
    left.legend(fontsize=8)
    right.plot(x, d_star, color=plot.BLACK, label="$D^*$")
    right.plot(x_learned, d_learned, "--", color=plot.GREEN, label=t("mb_gan_d_learned"))
    right.axhline(0.5, color=plot.GREY, lw=0.8, ls=":")
    right.set(xlabel="x", xlim=(-4, 6), ylim=(0, 1), title=t("mb_gan_d_star"))
    right.legend(fontsize=8)
    return fig


def gan_ring_data(data, centres, radius: float, std: float, k: float):
    """The ring of Gaussians: real points ``data`` (N, 2), the centres (modes, 2), and the
    high-quality discs of radius k·std around them."""
    from matplotlib.patches import Circle

    fig, ax = plot.subplots(width=3.4, height=3.4)
    _gan_points(ax, data, plot.BLUE)
    for centre in centres.cpu().tolist():
        ax.add_patch(Circle(centre, k * std, fill=False, ec=plot.GREY, lw=0.8))
    _gan_ring_axes(ax, centres, radius, t("mb_gan_ring_title", n=len(data)))
    return fig


def _gan_runs(axes, steps, series, kinds, **style):
    """One curve per run on each of ``axes``: ``series[i]`` (S, copies) against ``steps``
    (S,) on ``axes[i]``, coloured by the generator loss of the run (``kinds`` (copies,)),
    with one legend label per loss."""
    colours = {"non_saturating": plot.BLUE, "saturating": plot.ORANGE}
    for c, kind in enumerate(kinds):
        label = t(f"mb_gan_{kind}") if kinds.index(kind) == c else None
        for ax, values in zip(axes, series, strict=True):
            ax.plot(steps, values[:, c], color=colours[kind], alpha=0.8, label=label, **style)


def gan_ring_training(snapshots, centres, radius: float, steps, covered, quality, kinds):
    """The ring GANs over training. Top row: the samples (M, 2) of one run at a few steps,
    ``snapshots`` a list of (step, samples, covered, quality). Bottom: covered modes and
    high-quality fraction against ``steps`` (S,), for every run: ``covered`` and
    ``quality`` (S, copies), ``kinds`` (copies,) the generator loss of each run."""
    import matplotlib.gridspec as gridspec

    fig = plot.plt.figure(figsize=(8.4, 4.6))
    grid = gridspec.GridSpec(2, len(snapshots), figure=fig, height_ratios=(1, 1.1), hspace=0.3, wspace=0.15)
    for j, (step, samples, n_modes, share) in enumerate(snapshots):
        ax = fig.add_subplot(grid[0, j])
        _gan_points(ax, samples, plot.RED)
        _gan_ring_axes(ax, centres, radius, t("mb_gan_snapshot", step=step, modes=n_modes, quality=share))
    half = max(len(snapshots) // 2, 1)
    left, right = fig.add_subplot(grid[1, :half]), fig.add_subplot(grid[1, half:])
    _gan_runs((left, right), steps, (covered, quality), kinds)
    left.set(xlabel=t("mb_gan_step"), ylabel=t("mb_gan_modes"), ylim=(-0.3, 8.5))
    right.set(xlabel=t("mb_gan_step"), ylabel=t("mb_gan_quality"), ylim=(0, 1))
    left.legend(fontsize=8, loc="lower right")
    return fig


def gan_ring_frame(samples, d_map, extent: float, centres, radius: float, title: str):
    """One frame of the demo: D(x) (G, G) on the square [−extent, extent]², blue where D
    says "real", the generated samples (M, 2) in red, the centres as crosses."""
    fig, ax = plot.subplots(width=3.8, height=3.8)
    image = ax.imshow(d_map.detach().cpu().numpy(), origin="lower", extent=(-extent, extent, -extent, extent),
                      cmap="RdBu", vmin=0, vmax=1, alpha=0.55, interpolation="bilinear")
    _gan_points(ax, samples, plot.RED, size=4, alpha=0.6)
    _gan_ring_axes(ax, centres, radius, title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03, label="D(x)")
    return fig


def gan_saturation(g_grad, d_fake, kinds):
    """The saturating and the non-saturating generator loss against a confident D:
    left, ‖∂ℓ/∂x‖ (steps, copies) on a log scale; right, the mean D(G(z)) (steps, copies);
    ``kinds`` (copies,) the loss of each run."""
    fig, (left, right) = plot.subplots(1, 2, width=8.0, height=2.8)
    steps = range(1, g_grad.shape[0] + 1)
    _gan_runs((left, right), steps, (g_grad.clamp_min(1e-12), d_fake), kinds, lw=1)
    left.set(yscale="log", xlabel=t("mb_gan_step"), ylabel=t("mb_gan_grad"))
    right.set(xlabel=t("mb_gan_step"), ylabel=t("mb_gan_d_fake"), ylim=(0, 1))
    left.legend(fontsize=8)
    return fig


def gan_collapse(snapshots, centres, radius: float):
    """Mode collapse: the samples (M, 2) of one run at a few steps, ``snapshots`` a list
    of (step, samples, covered, quality)."""
    fig, axes = plot.subplots(1, len(snapshots), width=1.9 * len(snapshots), height=2.3)
    for ax, (step, samples, n_modes, share) in zip(axes, snapshots):
        _gan_points(ax, samples, plot.RED)
        _gan_ring_axes(ax, centres, radius, t("mb_gan_snapshot", step=step, modes=n_modes, quality=share))
    return fig


def gan_digits(rows: dict, counts: dict):
    """Digits: each entry ``title → images`` (n, 8, 8) of ``rows`` is a row of pictures;
    ``counts`` maps a title to the class histogram (10,) of confident predictions,
    drawn as bars on the right."""
    import matplotlib.gridspec as gridspec

    n = max(len(images) for images in rows.values())
    fig = plot.plt.figure(figsize=(8.6, 0.3 + 0.75 * len(rows)))
    grid = gridspec.GridSpec(len(rows), n + 4, figure=fig, wspace=0.1, hspace=0.35)
    for r, (title, images) in enumerate(rows.items()):
        for j, picture in enumerate(images):
            ax = fig.add_subplot(grid[r, j])
            ax.imshow(picture.detach().cpu().numpy(), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
            ax.set(xticks=[], yticks=[])
            ax.spines[:].set_visible(False)
            if j == 0:
                ax.set_ylabel(title, rotation=0, ha="right", va="center", fontsize=8)
        bars = fig.add_subplot(grid[r, n + 1:])
        bars.bar(range(10), counts[title], color=plot.BLUE)
        bars.set(xticks=range(10), yticks=[])
        bars.tick_params(labelsize=7)
    return fig


# Graph neural networks -------------------------------------------------------------------

def gnn_graph(positions, edge_index, predicted, *, labelled=(), wrong=(), title: str | None = None,
              width: float = 6.0, height: float = 4.6):
    """The karate club (or any small graph) drawn at ``positions`` (N, 2): the edges of
    ``edge_index`` (2, E) in grey, each vertex a disc numbered from 0, filled with the
    colour of its ``predicted`` faction (N,) (0 = Mr. Hi, 1 = Officer); the ``labelled``
    vertices drawn as squares, the ``wrong`` ones (vertex numbers) circled in black."""
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    positions = positions.detach().cpu()
    fig, ax = plot.subplots(1, 1, width=width, height=height)
    colours = (plot.BLUE, plot.RED)
    pairs = [(i, j) for i, j in edge_index.T.tolist() if i < j]
    xy = positions.numpy()
    ax.add_collection(LineCollection([(xy[i], xy[j]) for i, j in pairs], colors=plot.GREY, linewidths=0.7,
                                     alpha=0.6, zorder=1))
    labelled, wrong = set(labelled), set(wrong)
    for square in (False, True):
        vertices = [v for v in range(len(positions)) if (v in labelled) == square]
        ax.scatter(positions[vertices, 0], positions[vertices, 1], s=260 if square else 170,
                   marker="s" if square else "o", c=[colours[int(predicted[v])] for v in vertices],
                   edgecolors=[plot.BLACK if v in wrong else "white" for v in vertices],
                   linewidths=[2.5 if v in wrong else 0.8 for v in vertices], zorder=2)
    for v, (x, y) in enumerate(positions.tolist()):
        ax.text(x, y, str(v), color="white", fontsize=7, ha="center", va="center", zorder=3)
    handles = [Line2D([], [], marker="o", ls="", color=colours[c], markersize=9,
                      label=t("mb_gnn_predicted", name=t(f"mb_gnn_faction_{c}"))) for c in (0, 1)]
    handles += [Line2D([], [], marker="s", ls="", color=plot.GREY, markersize=10, label=t("mb_gnn_labelled")),
                Line2D([], [], marker="o", ls="", mfc="white", mec=plot.BLACK, mew=2.5, markersize=9,
                       label=t("mb_gnn_wrong"))]
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set(xticks=[], yticks=[], aspect="equal")
    ax.spines[:].set_visible(False)
    ax.grid(False)
    if title:
        ax.set_title(title, fontsize=10)
    return fig


def gnn_depth(depths, accuracies, trained_spreads, ks, spreads, lam: float, *, chance: float):
    """Over-smoothing on the stochastic block model. Left: accuracy on the unlabelled
    vertices against the number of layers ``depths`` (L,), ``accuracies`` (L, runs), the
    mean as a line and each run as a dot, with ``chance`` dashed. Right, on a log scale:
    the spread (:func:`lbdl_book.models.gnn.embedding_spread`) of Â^k X at ``ks`` (K,)
    (``spreads`` (K,)), the line |λ₂|^k (``lam``) through its value at the largest k, and
    the trained networks' last hidden layers (``trained_spreads`` (L,), at k = layers − 1)."""
    import numpy as np

    fig, (left, right) = plot.subplots(1, 2, width=9.0, height=3.4)
    acc = np.asarray(accuracies, dtype=float)
    left.plot(depths, acc.mean(1), color=plot.BLUE, marker="o")
    for d, runs in zip(depths, acc):
        left.scatter([d] * len(runs), runs, color=plot.BLUE, s=12, alpha=0.5)
    left.axhline(chance, color=plot.GREY, ls="--", lw=1, label=t("mb_gnn_chance"))
    left.set(xscale="log", xticks=list(depths), xticklabels=[str(d) for d in depths], ylim=(0, 1.02),
             xlabel=t("mb_gnn_layers"), ylabel=t("mb_gnn_accuracy"), title=t("mb_gnn_acc_title"))
    left.minorticks_off()
    left.legend(fontsize=8, frameon=False)
    ks = np.asarray(ks, dtype=float)
    right.semilogy(ks, spreads, color=plot.BLACK, marker="o", label=t("mb_gnn_spread_prop"))
    right.semilogy(ks, spreads[-1] * lam ** (ks - ks[-1]), color=plot.GREY, ls="--", label=t("mb_gnn_spread_rate"))
    shown = [(d - 1, s) for d, s in zip(depths, trained_spreads) if s > 0]
    if shown:
        right.scatter(*zip(*shown), color=plot.RED, zorder=3, label=t("mb_gnn_spread_trained"))
    right.set(xlabel=t("mb_gnn_k"), ylabel=t("mb_gnn_spread"), title=t("mb_gnn_spread_title"))
    right.legend(fontsize=7, frameon=False)
    return fig


# Self-supervised training ----------------------------------------------------------------


def ssl_views(images, views):
    """Self-supervised training: the distortions of Barlow Twins. ``images`` (K, 1, S, S),
    K digits; ``views`` (V, K, 1, S, S), V random distortions of each. One row per digit:
    the digit, then its views."""
    k, n_views = images.shape[0], views.shape[0]
    fig, axes = plot.subplots(k, n_views + 1, width=1.0 * (n_views + 1), height=1.05 * k + 0.3)
    for row in range(k):
        shown = [images[row, 0], *[views[v, row, 0] for v in range(n_views)]]
        for column, picture in enumerate(shown):
            ax = axes[row, column]
            ax.imshow(picture.numpy(), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title(t("mb_ssl_original"), fontsize=9)
    for column in range(1, n_views + 1):
        axes[0, column].set_title(t("mb_ssl_view", k=column), fontsize=9)
    return fig


def ssl_probe(results: dict, per_class: int):
    """Self-supervised training: linear-probe test accuracy with ``per_class`` labels
    per class. ``results``: method label → list of accuracies, one per labelled subset
    (seed). Each seed is a dot, the mean a bar."""
    import numpy as np

    fig, ax = plot.subplots(width=6.4, height=2.8)
    names = list(results)
    colours = (plot.GREY, plot.BLACK, plot.BLUE, plot.RED, plot.GREEN)
    for i, name in enumerate(names):
        values = np.asarray(results[name], dtype=float)
        ax.barh(i, values.mean(), color=colours[i % len(colours)], alpha=0.35)
        ax.plot(values, np.full(len(values), i), "o", color=colours[i % len(colours)], ms=4)
        ax.text(values.mean() + 0.004, i + 0.3, f"{100 * values.mean():.1f}%", fontsize=8, va="center")
    ax.set_yticks(range(len(names)), names, fontsize=8)
    low = min(min(v) for v in results.values())
    ax.set_xlim(max(0.0, low - 0.05), 1.0)
    ax.set_xlabel(t("mb_ssl_probe_axis", k=per_class))
    ax.invert_yaxis()
    return fig


def ssl_fill(text: str, position: int, predictions: dict, truth: str):
    """Self-supervised training, the interactive demo: the window ``text`` (str) with its
    character at ``position`` hidden, and for each model (``predictions``: label → list of
    (character, probability), most probable first) the bars of its top guesses; the true
    character ``truth`` is drawn in red."""
    fig = plot.plt.figure(figsize=(7.6, 2.8))
    grid = fig.add_gridspec(2, len(predictions), height_ratios=(0.5, 2.2))
    top = fig.add_subplot(grid[0, :])
    top.axis("off")
    shown = text[:position] + "▢" + text[position + 1:]
    top.text(0.5, 0.5, shown.replace(" ", "·"), family="monospace", fontsize=12, ha="center", va="center")
    for column, (label, guesses) in enumerate(predictions.items()):
        ax = fig.add_subplot(grid[1, column])
        characters = [repr(c)[1:-1] if c != " " else "·" for c, _ in guesses]
        colours = [plot.RED if c == truth else plot.BLUE for c, _ in guesses]
        ax.barh(range(len(guesses)), [p for _, p in guesses], color=colours)
        ax.set_yticks(range(len(guesses)), characters, family="monospace")
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel(t("mb_ssl_probability"), fontsize=8)
    return fig
