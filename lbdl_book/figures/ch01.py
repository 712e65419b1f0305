"""Figures of Chapter 1 (machine learning): one function per figure or demo plot.

Each function takes what a page computed (tensors, lists of numbers, trained models) and
returns a matplotlib figure in the house style of :mod:`lbdl_book.plot`, or draws on an
axis it is given; its docstring names the figure and the shapes of its inputs. Labels
come from ``lbdl_book/strings/ch01.py`` through :func:`lbdl_book.t`, in the page's
language.
"""

from __future__ import annotations

import torch

from .. import plot
from ..data import sine
from ..i18n import t


# §1.1 --------------------------------------------------------------------------------------


def one_parameter_fit(x, y, w_fit: float, candidates, losses, path, path_losses):
    """§1.1, the whole recipe on f(x; w) = w x. Left: the training points ``x``, ``y``
    (N,) and the fitted line of slope ``w_fit``. Right: the loss at each of the
    ``candidates`` (G,) of the grid search (``losses``, (G,)) and the path of gradient
    descent, ``path`` (S,) weights with their ``path_losses`` (S,), on a log scale."""
    fig, (left, right) = plot.subplots(1, 2, width=9.0, height=3.3)
    left.scatter(x, y, color=plot.BLACK, s=12, label=t("train_points"))
    line = torch.linspace(-1, 1, 2, dtype=torch.float64)
    left.plot(line, w_fit * line, color=plot.RED, lw=2, label=t("fit") + f": $w^*$ = {w_fit:.2f}")
    left.set(xlabel=t("signal_axis"), ylabel=t("target_axis"))
    left.legend()
    right.plot(candidates, losses, color=plot.BLUE, label=t("grid_search"))
    right.plot(path, path_losses, "o-", color=plot.RED, ms=3, lw=1, label=t("gradient_descent"))
    right.set(xlabel=t("slope_w"), ylabel=t("loss_of_w"), yscale="log")
    right.legend()
    return fig


# §1.2 and §1.3 --------------------------------------------------------------------------------


def kernel_regression(grid, weighted_bases, prediction, x_train, y_train):
    """Figure 1.1: ``weighted_bases`` (G, K), the K basis functions times their weights on
    the ``grid`` (G,), in blue; their sum ``prediction`` (G,) in red; the training points
    ``x_train``, ``y_train`` (N,) in black."""
    fig, ax = plot.subplots(width=6.4, height=3.4)
    ax.plot(grid, weighted_bases, color=plot.BLUE, lw=1, alpha=0.8)
    ax.plot([], [], color=plot.BLUE, lw=1, label=t("weighted_basis"))
    ax.plot(grid, prediction, color=plot.RED, lw=2.2, label=t("fit"))
    ax.scatter(x_train, y_train, color=plot.BLACK, s=14, zorder=3, label=t("train_points"))
    ax.set(xlabel=t("x"), ylabel=t("y"))
    ax.legend(loc="upper right")
    return fig


def gradient_descent_convergence(distance, w_star, w_gd):
    """§1.2, gradient descent reaches the closed form. Left: ``distance`` (S + 1,), the
    distance ‖w_t − w*‖ after each step, on a log scale. Right: the K weights of the
    closed form ``w_star`` (K,) beside those of gradient descent ``w_gd`` (K,)."""
    fig, (left, right) = plot.subplots(1, 2, width=8.4, height=3.0)
    left.semilogy(distance, color=plot.RED)
    left.set(xlabel=t("gd_iterations"), ylabel=t("distance_to_closed_form"))
    k = torch.arange(1, len(w_star) + 1)
    right.bar(k - 0.2, w_star, width=0.4, color=plot.BLUE, label=t("closed_form"))
    right.bar(k + 0.2, w_gd, width=0.4, color=plot.RED, label=t("gradient_descent"))
    right.set(xlabel=t("weight_index"), ylabel=t("weight_value"), xticks=k)
    right.legend()
    return fig


def sine_fit_panel(ax, grid, curve, x, y, title: str, point_size: float = 12):
    """§1.2 explorer and §1.3 panels: on ``ax``, the true function sin(2πx) on the
    ``grid`` (G,), a fitted ``curve`` (G,) in red, and the training points ``x``, ``y``
    (N,), under ``title``."""
    ax.plot(grid, sine(grid), color=plot.BLACK, lw=0.8, label=t("true_function"))
    ax.plot(grid, curve, color=plot.RED, lw=2, label=t("fit"))
    ax.scatter(x, y, color=plot.BLACK, s=point_size, zorder=3, label=t("train_points"))
    ax.set(ylim=(-2, 2), xlabel=t("x"), title=title)
    return ax


def capacity_curves(capacities, train_curve, test_curve, num_points: int, best: int):
    """§1.3, error against capacity: the median training and test errors (one value per
    entry of ``capacities``) on a log scale, with the interpolation threshold K = N
    (``num_points``) dashed and the underfitting (K < ``best``) and overfitting
    (``best`` < K ≤ N) ranges shaded."""
    fig, ax = plot.subplots(width=6.8, height=3.6)
    ax.semilogy(capacities, train_curve, "o-", ms=3, color=plot.BLUE, label=t("train_mse"))
    ax.semilogy(capacities, test_curve, "o-", ms=3, color=plot.RED, label=t("test_mse"))
    ax.axvline(num_points, color=plot.GREY, ls="--", lw=1)
    ax.text(num_points + 0.3, 3e5, t("interpolation_threshold"), color=plot.GREY)
    ax.axvspan(0.5, best - 0.5, color=plot.BLUE, alpha=0.06)
    ax.axvspan(best + 0.5, num_points + 0.5, color=plot.RED, alpha=0.06)
    ax.text(0.7, 2e-3, t("underfitting"), color=plot.BLUE, fontsize=8, rotation=90)
    ax.text(best + 1, 3e5, t("overfitting"), color=plot.RED)
    ax.set(xlabel=t("capacity_axis"), ylabel=t("mse_axis"), ylim=(1e-3, 1e8))
    ax.legend(loc="upper right")
    return fig


def weight_decay_curves(capacities, test_curve, test_decay, num_points: int, weight_decay: float):
    """§1.3, weight decay: the median test errors without (``test_curve``) and with
    (``test_decay``) a penalty ``weight_decay`` on the weights, one value per entry of
    ``capacities``, on a log scale, with K = N (``num_points``) dashed."""
    fig, ax = plot.subplots(width=6.8, height=3.2)
    ax.semilogy(capacities, test_curve, "o-", ms=3, color=plot.RED, label=t("test_mse"))
    ax.semilogy(capacities, test_decay, "o-", ms=3, color=plot.GREEN,
                label=t("test_mse") + ", " + t("ridge_label", lam=weight_decay))
    ax.axvline(num_points, color=plot.GREY, ls="--", lw=1)
    ax.set(xlabel=t("capacity_axis"), ylabel=t("mse_axis"))
    ax.legend()
    return fig


# §1.4 --------------------------------------------------------------------------------------


@torch.no_grad()
def three_categories(points, labels, regressor, classifier, mixture, samples):
    """§1.4, one dataset, three questions. ``points`` (N, 2) with cluster ``labels`` (N,).
    Left: the ``regressor`` (a 1-D model, x_1 → x_2) over the points. Middle: the region
    where each class scores highest under ``classifier`` ((M, 2) → (M, C)). Right:
    contours of the density of ``mixture`` ((M, 2) → (M,) log-density) and ``samples``
    (S, 2) drawn from it."""
    fig, axes = plot.subplots(1, 3, width=11.5, height=3.7, sharex=True, sharey=True)
    line = torch.linspace(-2.5, 2.7, 300, dtype=torch.float64)
    axes[0].scatter(points[:, 0], points[:, 1], s=6, color=plot.GREY, label=t("data"))
    axes[0].plot(line, regressor(line), color=plot.RED, lw=2, label=t("fit"))
    axes[0].set(title=t("regression_title"), xlabel="$x_1$", ylabel="$x_2$")
    axes[0].legend(loc="lower right", fontsize=8)

    u, v = torch.meshgrid(torch.linspace(-2.8, 2.8, 200), torch.linspace(-2.5, 2.8, 200), indexing="xy")
    plane = torch.stack([u.flatten(), v.flatten()], dim=1)
    regions = classifier(plane).argmax(dim=1).reshape(u.shape)
    axes[1].contourf(u, v, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=plot.CLASS_COLORS[:3], alpha=0.15)
    axes[1].scatter(points[:, 0], points[:, 1], s=6, c=[plot.CLASS_COLORS[k] for k in labels])
    axes[1].set(title=t("classification_title"), xlabel="$x_1$")

    density = mixture(plane).exp().reshape(u.shape)
    axes[2].contour(u, v, density, levels=8, cmap="viridis", linewidths=1)
    axes[2].scatter(samples[:, 0], samples[:, 1], s=6, color=plot.BLACK, label=t("samples"))
    axes[2].set(title=t("density_title"), xlabel="$x_1$")
    axes[2].legend(loc="lower right", fontsize=8)
    return fig
