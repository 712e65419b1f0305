"""Figures of Chapter 6 (prediction): the scenes, denoising (§6.1), classification
(§6.2), detection (§6.3) and segmentation (§6.4), one function per figure or demo plot.

Each function takes what a page computed and returns a matplotlib figure in the house
style of :mod:`lbdl_book.plot`; its docstring names the figure and the shapes of its
inputs. Labels come from ``lbdl_book/strings/ch06*.py`` through :func:`lbdl_book.t`.
"""

from __future__ import annotations

import torch

from .. import plot
from ..i18n import t

# §6 (chapter opening) ------------------------------------------------------------------------

CLASS_KEYS = ("scene_background", "scene_shapes", "scene_square", "scene_triangle", "scene_cross")


def scene_gallery(scenes, indices, captions):
    """The scenes of Part III: for each scene ``indices[j]`` of ``scenes`` (a
    :class:`lbdl_book.data.scenes.Scenes`), the image (3, S, S) with the boxes (K, 4) and
    class names of its objects, under its caption ``captions[j]`` (str), and below it the
    per-pixel class mask (S, S) in the classes' colours."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch, Rectangle

    colours = ["#d9d9d9", *plot.CLASS_COLORS[:4]]
    fig, axes = plot.subplots(2, len(indices), width=2.0 * len(indices), height=4.6)
    for column, i in enumerate(indices):
        top, bottom = axes[0, column], axes[1, column]
        top.imshow(scenes.images[i].permute(1, 2, 0).numpy())
        for box, label in zip(scenes.boxes[i].tolist(), scenes.labels[i].tolist()):
            x1, y1, x2, y2 = box
            top.add_patch(Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False, ec="white", lw=1.2))
            top.text(x1 - 0.5, y1 - 1.5, t(CLASS_KEYS[label]), color="white", fontsize=7,
                     bbox=dict(fc=colours[label], ec="none", pad=0.8))
        top.set_title(_wrap(captions[column]), fontsize=8)
        bottom.imshow(scenes.masks[i].numpy(), cmap=ListedColormap(colours), vmin=0, vmax=4, interpolation="nearest")
        for ax in (top, bottom):
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel(t("scene_image"))
    axes[1, 0].set_ylabel(t("scene_mask"))
    fig.legend(handles=[Patch(color=c, label=t(k)) for c, k in zip(colours, CLASS_KEYS)],
               loc="outside lower center", ncol=5, frameon=False, fontsize=8)
    return fig


def _wrap(text: str, width: int = 22) -> str:
    """``text`` on lines of about ``width`` characters (English by words; Chinese anywhere)."""
    if " " not in text:
        return "\n".join(text[i:i + width // 2] for i in range(0, len(text), width // 2))
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line])


# §6.1 ----------------------------------------------------------------------------------------

def den_label(kind: str, level) -> str:
    """§6.1, the name of a degradation and its strength: "noise σ = 0.2", "hole 12×12", ..."""
    return t(f"den_label_{kind}", level=level)


def den_filter_label(name: str, param, masked: bool = False) -> str:
    """§6.1, the name of a classical filter ("Gaussian σ = 1.5", "median 3×3", "none"); ``masked``:
    the version that reads the known pixels only."""
    label = t(f"den_filter_{name}", param=param)
    return t("den_filter_masked", name=label) if masked else label


def _den_show(ax, image: torch.Tensor, title: str | None = None, xlabel: str | None = None) -> None:
    """An RGB image (3, S, S), clipped to [0, 1], pixels as squares, without ticks or frame."""
    ax.imshow(image.detach().clamp(0, 1).permute(1, 2, 0).cpu().numpy(), interpolation="nearest")
    ax.set(xticks=[], yticks=[])
    ax.grid(False)
    ax.spines[:].set_visible(False)
    if title:
        ax.set_title(title, fontsize=8)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=7, labelpad=2)


def den_degradations(clean: torch.Tensor, degraded: dict, levels: dict):
    """§6.1, the degradations: one row per clean image of ``clean`` (n, 3, S, S), the clean
    image then ``degraded[kind]`` (n, 3, S, S) for each kind, titled with ``levels[kind]``."""
    n, kinds = len(clean), list(degraded)
    fig, axes = plot.subplots(n, 1 + len(kinds), width=1.35 * (1 + len(kinds)), height=1.35 * n + 0.35,
                              squeeze=False)
    for row in range(n):
        _den_show(axes[row, 0], clean[row], t("den_clean") if row == 0 else None)
        for column, kind in enumerate(kinds, start=1):
            _den_show(axes[row, column], degraded[kind][row], den_label(kind, levels[kind]) if row == 0 else None)
    return fig


def den_training(live, full_losses, live_images_per_epoch: int, full_images_per_round: int):
    """§6.1, training: the training loss (log scale) against the number of training images
    seen, for the live run (``live``: a History with ``train_loss`` per epoch of
    ``live_images_per_epoch`` images) and the full run of the shipped weights
    (``full_losses``: one loss per round of ``full_images_per_round`` images)."""
    fig, ax = plot.subplots(width=6.0, height=2.8)
    full_x = [full_images_per_round * (k + 1) for k in range(len(full_losses))]
    live_x = [live_images_per_epoch * (k + 1) for k in range(len(live["train_loss"]))]
    ax.loglog(full_x, full_losses, color=plot.GREY, label=t("den_full_curve"))
    ax.loglog(live_x, live["train_loss"], color=plot.RED, marker="o", label=t("den_live_curve"))
    ax.set(xlabel=t("den_images_seen"), ylabel=t("den_train_loss"))
    ax.legend(fontsize=8)
    return fig


def den_before_after(examples: dict, labels: dict, filters: dict, scores: dict):
    """§6.1, before and after: one row per degradation ``kind`` (row title ``labels[kind]``);
    for each of the m images, four columns: ``examples[kind]`` = (degraded, filtered,
    restored, clean), each (m, 3, S, S); under the first three, their PSNR
    ``scores[kind]`` = (m, 3) dB; the filter used is ``filters[kind]`` (a label)."""
    kinds = list(examples)
    m = len(examples[kinds[0]][0])
    fig, axes = plot.subplots(len(kinds), 4 * m, width=1.05 * 4 * m + 0.6, height=1.3 * len(kinds) + 0.4,
                              squeeze=False)
    heads = (t("den_col_input"), t("den_row_filter"), t("den_col_network"), t("den_clean"))
    for row, kind in enumerate(kinds):
        for j in range(m):
            for k in range(4):
                ax = axes[row, 4 * j + k]
                note = t("den_psnr", value=float(scores[kind][j, k])) if k < 3 else None
                if k == 1:
                    note = f"{filters[kind]}\n{note}"
                _den_show(ax, examples[kind][k][j], heads[k] if row == 0 else None, note)
        axes[row, 0].set_ylabel(labels[kind], fontsize=8)
    return fig


def den_colour_blend(panels: list, titles: list, edges: torch.Tensor, shares: torch.Tensor, palette: torch.Tensor,
                     strips: dict):
    """§6.1, the conditional mean under greyscale. Top: the images ``panels`` (each
    (3, S, S)) titled ``titles``. Bottom: against the luma of the grey input (bins
    ``edges``, (B + 1,)), the real colours that give that luma, as bars of the ``palette``
    (K, 3) colours stacked by their ``shares`` (B, K) among the pixels of the bin; then one
    strip per entry of ``strips`` (label → (B, 3) colours, NaN where the bin is empty)."""
    from matplotlib.gridspec import GridSpec

    fig = plot.subplots(width=1.3 * len(panels) + 0.4, height=4.4)[0]
    fig.clf()
    grid = GridSpec(2, len(panels), figure=fig, height_ratios=(1.0, 1.05), hspace=0.45)
    for k, (image, title) in enumerate(zip(panels, titles)):
        _den_show(fig.add_subplot(grid[0, k]), image, title)
    ax = fig.add_subplot(grid[1, :])
    left, width = edges[:-1].numpy(), (edges[1:] - edges[:-1]).numpy()
    rows = 1 + len(strips)
    for b in range(len(left)):
        bottom = rows - 1.0
        for k in range(len(palette)):
            if shares[b, k] > 0:
                ax.bar(left[b], float(shares[b, k]) * 0.9, width[b], bottom=bottom, align="edge",
                       color=palette[k].clamp(0, 1).tolist(), lw=0)
                bottom += float(shares[b, k]) * 0.9
        for r, colours in enumerate(strips.values()):
            if not torch.isnan(colours[b]).any():
                ax.bar(left[b], 0.9, width[b], bottom=rows - 2.0 - r, align="edge",
                       color=colours[b].clamp(0, 1).tolist(), lw=0)
    ax.set_yticks([rows - 0.55 - r for r in range(rows)], [t("den_strip_possible"), *strips])
    ax.set(xlabel=t("den_luma"), ylim=(0, rows), xlim=(float(edges[0]), float(edges[-1])))
    ax.grid(False)
    return fig


def den_hole(degraded: torch.Tensor, restored: torch.Tensor, clean: torch.Tensor):
    """§6.1, a large hole: three rows, the input ``degraded``, the network's output
    ``restored`` and the ``clean`` image, each (m, 3, S, S), one column per image."""
    m = len(clean)
    fig, axes = plot.subplots(3, m, width=1.25 * m + 0.5, height=4.0, squeeze=False)
    for row, (images, key) in enumerate(((degraded, "den_col_input"), (restored, "den_col_network"),
                                         (clean, "den_clean"))):
        for j in range(m):
            _den_show(axes[row, j], images[j])
        axes[row, 0].set_ylabel(t(key), fontsize=8)
    return fig


def den_explore_frame(rows: list, labels: list, title: str):
    """§6.1 explorer, one frame: one row per entry of ``rows`` (each (m, 3, S, S): the
    degraded, filtered, restored and clean images), labelled ``labels``, under ``title``."""
    m = len(rows[0])
    fig, axes = plot.subplots(len(rows), m, width=1.15 * m + 0.7, height=1.15 * len(rows) + 0.5, squeeze=False,
                              layout="none")
    fig.subplots_adjust(left=0.12, right=0.99, bottom=0.01, top=0.9, wspace=0.05, hspace=0.08)
    for r, (images, label) in enumerate(zip(rows, labels)):
        for j in range(m):
            _den_show(axes[r, j], images[j])
        axes[r, 0].set_ylabel(label, fontsize=8)
    fig.suptitle(title, fontsize=9)
    return fig

# §6.2 ----------------------------------------------------------------------------------------

def cls_class_name(index: int) -> str:
    """The name of shape ``index`` (0 … 3, the classifier's classes), in the page's language."""
    return t(CLASS_KEYS[int(index) + 1])


def _cls_show(ax, image: torch.Tensor) -> None:
    ax.imshow(image.permute(1, 2, 0).clamp(0, 1).cpu().numpy(), interpolation="nearest")
    ax.set(xticks=[], yticks=[])
    ax.grid(False)


def cls_augmentations(rows: dict):
    """The data-augmentation figure of §6.2: one row per transformation, ``rows`` maps a
    row label (str) to a batch of images (N, 3, H, W); column j shows image j of each."""
    labels = list(rows)
    n = len(rows[labels[0]])
    fig, axes = plot.subplots(len(labels), n, width=0.95 * n + 1.2, height=0.95 * len(labels), squeeze=False)
    for r, label in enumerate(labels):
        for j in range(n):
            _cls_show(axes[r, j], rows[label][j])
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    return fig


def cls_frame(images: torch.Tensor, title: str):
    """One frame of the augmentation demo of §6.2: the (N, 3, H, W) ``images`` in a row."""
    fig, axes = plot.subplots(1, len(images), width=0.95 * len(images), height=1.35, squeeze=False)
    for j, image in enumerate(images):
        _cls_show(axes[0, j], image)
    fig.suptitle(title, fontsize=9)
    return fig


def cls_seed_accuracies(panels: dict):
    """The low-data comparison of §6.2: ``panels`` maps a panel title to a dict
    {condition label: list of top-1 accuracies, one per seed}; each seed a dot, the mean ±
    one standard deviation a bar."""
    import statistics

    fig, axes = plot.subplots(1, len(panels), width=3.4 * len(panels), height=2.6, squeeze=False)
    for ax, (title, results) in zip(axes[0], panels.items()):
        for k, (label, values) in enumerate(results.items()):
            mean, std = statistics.mean(values), statistics.stdev(values)
            ax.errorbar([mean], [k], xerr=[std], fmt="s", color=plot.CLASS_COLORS[k], capsize=4, ms=6)
            ax.scatter(values, [k + 0.18] * len(values), color=plot.CLASS_COLORS[k], s=14, alpha=0.7)
        ax.set_yticks(range(len(results)), [_wrap(label, 18) for label in results], fontsize=8)
        ax.set_ylim(-0.6, len(results) - 0.3)
        ax.invert_yaxis()
        ax.set_xlabel(t("cls_accuracy_axis"), fontsize=8)
        ax.set_title(title, fontsize=9)
    return fig


def cls_confusion(matrices: dict):
    """Confusion matrices of §6.2: ``matrices`` maps a model name to a (C, C) int tensor,
    entry (i, j) the held-out crops of class i predicted as j."""
    fig, axes = plot.subplots(1, len(matrices), width=3.3 * len(matrices), height=3.1, squeeze=False)
    for ax, (name, matrix) in zip(axes[0], matrices.items()):
        c = matrix.shape[0]
        off = matrix.clone().float()
        off.fill_diagonal_(float("nan"))
        ax.imshow(off.numpy(), cmap="Reds", vmin=0)
        for i in range(c):
            for j in range(c):
                dark = i != j and matrix[i, j] > off.nan_to_num(0).max() / 2
                ax.text(j, i, str(int(matrix[i, j])), ha="center", va="center", fontsize=8,
                        color="#1f5fbf" if i == j else ("white" if dark else "black"))
        names = [cls_class_name(k) for k in range(c)]
        ax.set_xticks(range(c), names, fontsize=7)
        ax.set_yticks(range(c), names, fontsize=7)
        ax.set_xlabel(t("cls_predicted"), fontsize=8)
        ax.set_ylabel(t("cls_truth"), fontsize=8)
        ax.set_title(t("cls_confusion_title", name=name, wrong=int(matrix.sum() - matrix.trace()),
                       total=int(matrix.sum())), fontsize=9)
        ax.grid(False)
    return fig


def cls_mistakes(images: torch.Tensor, truth: torch.Tensor, predicted: torch.Tensor, confidence: torch.Tensor,
                 models: list, *, columns: int = 8):
    """The misclassified held-out crops of §6.2: ``images`` (M, 3, H, W), their true and
    predicted classes ``truth``, ``predicted`` (M,), the probability the model gave its
    prediction ``confidence`` (M,) and the name of the model that erred ``models`` (M str)."""
    columns = max(1, min(columns, len(images)))
    rows = max(1, -(-len(images) // columns))
    fig, axes = plot.subplots(rows, columns, width=1.25 * columns, height=1.6 * rows, squeeze=False)
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k < len(images):
            _cls_show(ax, images[k])
            ax.set_title(t("cls_mistake", model=models[k], truth=cls_class_name(truth[k]),
                           predicted=cls_class_name(predicted[k]), p=float(confidence[k])), fontsize=7)
    return fig

# §6.3 ----------------------------------------------------------------------------------------

def det_class_name(label: int) -> str:
    """The name of class ``label`` (1 … 4) of the scenes, in the page's language."""
    return t(CLASS_KEYS[int(label)])


def _det_image(ax, image: torch.Tensor) -> None:
    """Show a (3, S, S) image with pixel coordinates: pixel (i, j) covers [j, j+1) × [i, i+1)."""
    size = image.shape[-1]
    ax.imshow(image.permute(1, 2, 0).clamp(0, 1).cpu().numpy(), extent=(0, size, size, 0), interpolation="nearest")
    ax.set(xticks=[], yticks=[])
    ax.grid(False)


def _det_rect(ax, box, **style):
    import matplotlib.patches as patches

    x1, y1, x2, y2 = [float(v) for v in box]
    ax.add_patch(patches.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, **style))


def _det_grid(ax, grid: int, cell: float, **style) -> None:
    """The lines between the ``grid`` × ``grid`` cells of side ``cell``, inside the image."""
    lines = [k * cell for k in range(1, grid)]
    if lines:
        ax.hlines(lines, 0, grid * cell, **style)
        ax.vlines(lines, 0, grid * cell, **style)


def det_scales(model, image: torch.Tensor, boxes: torch.Tensor, labels: torch.Tensor):
    """Figure 6.1, drawn from a :class:`~lbdl_book.models.detector.Detector` ``model``: one
    panel per scale s over the (3, S, S) ``image``: the H_s × W_s grid of cells, the objects
    (``boxes`` (K, 4), ``labels`` (K,)) that the matching rule gives to that scale with their
    cells filled, the A default boxes of one cell (an object's, else a central one; dashed,
    the matched one solid) and the receptive field of that cell (dotted, cut by the image)."""
    size = model.image_size
    scales = len(model.grid_sizes)
    assignment = model.assign(boxes) if len(boxes) else None
    fields = model.receptive_fields()
    starts = [sum(model.boxes_per_scale[:s]) for s in range(scales)]
    fig, axes = plot.subplots(1, scales, width=2.05 * scales, height=2.9)
    for s, ax in enumerate(axes):
        grid, cell, field = model.grid_sizes[s], model.cell_sizes[s], fields[s]
        _det_image(ax, image)
        _det_grid(ax, grid, cell, color="white", lw=0.6, alpha=0.7)
        mine = torch.nonzero(assignment.scale == s).flatten().tolist() if assignment is not None else []
        for k in mine:
            row, column = assignment.row[k].item(), assignment.column[k].item()
            _det_rect(ax, (column * cell, row * cell, (column + 1) * cell, (row + 1) * cell), color="yellow",
                      lw=1.6)
            _det_rect(ax, boxes[k], color=plot.CLASS_COLORS[int(labels[k]) - 1], lw=1.8)
        if mine:
            k = max(mine, key=lambda j: float((boxes[j, 2] - boxes[j, 0]) * (boxes[j, 3] - boxes[j, 1])))
            row, column, chosen = assignment.row[k].item(), assignment.column[k].item(), assignment.ratio[k].item()
        else:
            row = column = grid // 2
            chosen = None
        first = starts[s] + (row * grid + column) * len(model.aspect_ratios)
        defaults = model.default_boxes[first:first + len(model.aspect_ratios)]
        for a, box in enumerate(defaults):
            _det_rect(ax, box, color="white", lw=1.4 if a == chosen else 0.9, ls="-" if a == chosen else "--")
        cx, cy = (column + 0.5) * cell, (row + 0.5) * cell
        _det_rect(ax, (max(0, cx - field.size / 2), max(0, cy - field.size / 2), min(size, cx + field.size / 2),
                       min(size, cy + field.size / 2)), color="cyan", lw=1.2, ls=":")
        # wide enough for the default boxes of the cell (grey outside the image), centred on the image
        margin = min(max(0.0, -float(defaults[:, :2].min()), float(defaults[:, 2:].max()) - size), size) + 1
        ax.set_xlim(-margin, size + margin)
        ax.set_ylim(size + margin, -margin)
        ax.set_facecolor("#c8c8c8")
        ax.spines[:].set_visible(False)
        ax.set_title(t("det_scale_panel", s=s + 1, grid=grid, cell=f"{cell:g}", box=f"{model.box_sizes[s]:g}",
                       field=field.size), fontsize=8.5)
    return fig


def det_matching(model, box: torch.Tensor, image_size: int):
    """The §6.3 demo: where the book's matching rule puts one (4,) ``box`` (x1, y1, x2, y2):
    the grid of its scale over a blank ``image_size`` square, its cell (filled), the default
    box it is matched to (dashed red) and the box itself (black), with the rule's steps in
    the title."""
    import matplotlib.patches as patches

    a = model.assign(box[None])
    s, row, column, ratio = a.scale.item(), a.row.item(), a.column.item(), a.ratio.item()
    grid, cell = model.grid_sizes[s], model.cell_sizes[s]
    fig, ax = plot.subplots(width=4.4, height=4.6)
    ax.add_patch(patches.Rectangle((0, 0), image_size, image_size, color="#f2f2f2", zorder=0))
    _det_grid(ax, grid, cell, color=plot.GREY, lw=0.6)
    ax.add_patch(patches.Rectangle((column * cell, row * cell), cell, cell, color="gold", alpha=0.5))
    _det_rect(ax, model.default_boxes[a.index.item()], color=plot.RED, lw=1.6, ls="--")
    _det_rect(ax, box, color=plot.BLACK, lw=2)
    ax.plot([(box[0] + box[2]).item() / 2], [(box[1] + box[3]).item() / 2], "o", color=plot.BLACK, ms=4)
    size = max((box[2] - box[0]).item(), (box[3] - box[1]).item())
    ax.set(xlim=(-2, image_size + 2), ylim=(image_size + 2, -2), xticks=[0, 16, 32, 48, 64], yticks=[0, 16, 32, 48, 64])
    ax.set_aspect("equal")
    ax.grid(False)
    ax.set_title(t("det_matching_title", size=f"{size:g}", s=s + 1, grid=grid, box=f"{model.box_sizes[s]:g}",
                   row=row, column=column, ratio=f"{model.aspect_ratios[ratio]:g}"), fontsize=9)
    return fig


def det_loss_curve(history, *, height: float = 2.6):
    """§6.3, the live training run: the training loss (mean over each epoch's batches) per
    epoch. ``history``: the :class:`lbdl_book.train.History` of :func:`lbdl_book.fit`."""
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, ax = plot.subplots(width=4.6, height=height)
    ax.plot(epochs, history["train_loss"], color=plot.BLUE, marker="o")
    ax.set(xlabel=t("epoch"), ylabel=t("loss"), xticks=list(epochs))
    return fig


def _det_draw(ax, image, found, boxes, threshold: float, labelled: float | None = None) -> None:
    """One scene: the true boxes (dashed white) and the detections of score ≥ ``threshold``
    in the colour of their class, thicker for higher scores, with the class and the score
    for those of score ≥ ``labelled`` (default: all of them)."""
    _det_image(ax, image)
    for box in boxes:
        _det_rect(ax, box, color="white", lw=1.0, ls="--")
    labelled = threshold if labelled is None else labelled
    for box, score, label in sorted(zip(found.boxes, found.scores.tolist(), found.labels), key=lambda d: d[1]):
        if score < threshold:
            continue
        colour = plot.CLASS_COLORS[int(label) - 1]
        _det_rect(ax, box, color=colour, lw=0.6 + 1.2 * score)
        if score < labelled:
            continue
        ax.text(float(box[0]), float(box[1]) - 0.6, f"{det_class_name(label)} {float(score):.2f}", fontsize=6.5,
                color="white", va="bottom", bbox={"facecolor": colour, "edgecolor": "none", "pad": 0.8, "alpha": 0.85})


def det_detections(images: torch.Tensor, detections, boxes, threshold: float, *, columns: int = 4):
    """The Figure 6.2 substitute: held-out ``images`` (N, 3, S, S), their ``detections``
    (N :class:`~lbdl_book.models.detection_eval.Detections`) of score ≥ ``threshold`` and
    their true ``boxes`` (N tensors (K_i, 4), dashed)."""
    rows = -(-len(images) // columns)
    fig, axes = plot.subplots(rows, columns, width=2.1 * columns, height=2.15 * rows, squeeze=False)
    for ax in axes.flat[len(images):]:
        ax.set_visible(False)
    for ax, image, found, truth in zip(axes.flat, images, detections, boxes):
        _det_draw(ax, image, found, truth, threshold)
    return fig


def det_nms(image: torch.Tensor, before, after, boxes: torch.Tensor, threshold: float, labelled: float = 0.5):
    """§6.3, non-maximum suppression on one scene (3, S, S): the candidates of score ≥
    ``threshold`` (``before``, a Detections without suppression) and what NMS keeps
    (``after``), labelled from a score of ``labelled``; true ``boxes`` (K, 4) dashed."""
    fig, axes = plot.subplots(1, 2, width=5.6, height=3.0)
    for ax, found, key in zip(axes, (before, after), ("det_nms_before", "det_nms_after")):
        _det_draw(ax, image, found, boxes, threshold, labelled)
        ax.set_title(t(key, n=int((found.scores >= threshold).sum()), threshold=threshold), fontsize=9)
    return fig


def det_precision_recall(result):
    """§6.3, mean average precision: the interpolated precision p̃ against the recall level
    at IoU 0.5 and 0.75, one curve per class, from an
    :class:`~lbdl_book.models.detection_eval.AveragePrecision` ``result`` (its ``precision``
    (T, 101, K)); the legend gives each class's AP (the mean of its curve)."""
    from ..models.detection_eval import RECALL_LEVELS

    fig, axes = plot.subplots(1, 2, width=8.0, height=3.0, sharey=True)
    for ax, threshold in zip(axes, (0.5, 0.75)):
        ti = result.iou_thresholds.index(threshold)
        for k, c in enumerate(result.classes):
            ax.plot(RECALL_LEVELS, result.precision[ti, :, k], color=plot.CLASS_COLORS[c - 1],
                    label=f"{det_class_name(c)} ({float(result.ap[ti, k]):.2f})")
        ax.set(xlabel=t("det_recall"), title=t("det_iou_at", threshold=threshold), xlim=(0, 1), ylim=(0, 1.02))
        ax.legend(fontsize=7.5, loc="lower left")
    axes[0].set_ylabel(t("det_precision"))
    return fig


# §6.4 ----------------------------------------------------------------------------------------

SEG_MODEL_KEYS = {"plain": "seg_plain", "unet": "seg_unet", "psp": "seg_psp"}


def _seg_colours() -> list[str]:
    """The colour of each class of the masks: grey background, then the scenes' class colours."""
    return ["#d9d9d9", *plot.CLASS_COLORS[:4]]


def _seg_overlay(ax, image: torch.Tensor, classes: torch.Tensor, truth: torch.Tensor | None = None) -> None:
    """``image`` (3, S, S) with the (S, S) ``classes`` painted over it (background left
    clear); with ``truth`` (S, S), the wrong pixels are drawn in white."""
    from matplotlib.colors import to_rgb

    palette = torch.tensor([to_rgb(c) for c in _seg_colours()])
    rgb = image.permute(1, 2, 0).clamp(0, 1)
    alpha = (classes > 0).unsqueeze(-1).float() * 0.85
    shown = (1 - alpha) * rgb + alpha * palette[classes]
    if truth is not None:
        shown[classes != truth] = 1.0
    ax.imshow(shown.numpy(), interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def seg_predictions(images: torch.Tensor, truths: torch.Tensor, predictions: dict):
    """The Figure 6.3 substitute: one row per held-out scene, ``images`` (N, 3, S, S); the
    columns are the image, its true classes ``truths`` (N, S, S) painted over it, and the
    classes predicted by each model of ``predictions`` (name → (N, S, S)), wrong pixels in
    white, with the scene's pixel accuracy."""
    from matplotlib.patches import Patch

    columns = 2 + len(predictions)
    fig, axes = plot.subplots(len(images), columns, width=1.75 * columns, height=1.8 * len(images) + 0.5,
                              squeeze=False)
    for row, (image, truth) in enumerate(zip(images, truths)):
        axes[row, 0].imshow(image.permute(1, 2, 0).clamp(0, 1).numpy())
        axes[row, 0].set_xticks([])
        axes[row, 0].set_yticks([])
        _seg_overlay(axes[row, 1], image, truth)
        for ax, (name, predicted) in zip(axes[row, 2:], predictions.items()):
            _seg_overlay(ax, image, predicted[row], truth)
            accuracy = (predicted[row] == truth).double().mean().item()
            ax.set_xlabel(f"{accuracy:.1%}", fontsize=8, labelpad=2)
    titles = [t("seg_image"), t("seg_truth"), *(t(SEG_MODEL_KEYS[name]) for name in predictions)]
    for ax, title in zip(axes[0], titles):
        ax.set_title(title, fontsize=9)
    handles = [Patch(color=c, label=t(k)) for c, k in zip(_seg_colours()[1:], CLASS_KEYS[1:])]
    handles.append(Patch(facecolor="white", edgecolor="#888888", label=t("seg_wrong")))
    fig.legend(handles=handles, loc="outside lower center", ncol=5, frameon=False, fontsize=8)
    return fig


def seg_loss_curves(histories: dict, *, height: float = 2.6):
    """§6.4, the live run: the training loss per epoch of each model (``histories``: name →
    :class:`lbdl_book.train.History`)."""
    fig, ax = plot.subplots(width=4.8, height=height)
    for colour, (name, history) in zip(plot.CLASS_COLORS, histories.items()):
        epochs = range(1, len(history["train_loss"]) + 1)
        ax.plot(epochs, history["train_loss"], color=colour, marker="o", label=t(SEG_MODEL_KEYS[name]))
    ax.set(xlabel=t("epoch"), ylabel=t("loss"), xticks=list(epochs))
    ax.legend(fontsize=8)
    return fig


def seg_by_distance(distances, panels: dict, shares):
    """§6.4, where the errors are: one panel per entry of ``panels`` (a strings key → {model
    name → list of floats, one per entry of ``distances``}): the accuracy of each model
    among the pixels at each distance (in pixels, max-norm) from the nearest true boundary;
    the grey bars (right axis) give the share ``shares`` of the pixels at that distance."""
    fig, axes = plot.subplots(1, len(panels), width=4.4 * len(panels), height=3.1, squeeze=False)
    for ax, (key, accuracies) in zip(axes[0], panels.items()):
        other = ax.twinx()
        other.bar(distances, shares, color="#d9d9d9", width=0.6, zorder=0)
        other.set_ylabel(t("seg_share_of_pixels"), color="#888888")
        other.grid(False)
        ax.set_zorder(other.get_zorder() + 1)
        ax.patch.set_visible(False)
        for colour, (name, values) in zip(plot.CLASS_COLORS, accuracies.items()):
            ax.plot(distances, values, color=colour, marker="o", label=t(SEG_MODEL_KEYS[name]))
        ax.set(xlabel=t("seg_distance"), title=t(key), xticks=list(distances))
        ax.legend(fontsize=8, loc="lower right")
    axes[0, 0].set_ylabel(t("seg_accuracy"))
    return fig


def seg_scene(image: torch.Tensor, truth: torch.Tensor, predictions: dict, title: str):
    """§6.4, the interactive demo: one held-out scene, ``image`` (3, S, S), its true classes
    ``truth`` (S, S) and each model's predicted classes (name → (S, S)), wrong pixels in
    white, with the scene's pixel accuracy; ``title`` above."""
    fig, axes = plot.subplots(1, 2 + len(predictions), width=1.9 * (2 + len(predictions)), height=2.4)
    axes[0].imshow(image.permute(1, 2, 0).clamp(0, 1).numpy())
    axes[0].set_xticks([])
    axes[0].set_yticks([])
    axes[0].set_title(t("seg_image"), fontsize=9)
    _seg_overlay(axes[1], image, truth)
    axes[1].set_title(t("seg_truth"), fontsize=9)
    for ax, (name, predicted) in zip(axes[2:], predictions.items()):
        _seg_overlay(ax, image, predicted, truth)
        ax.set_title(f"{t(SEG_MODEL_KEYS[name])}\n{(predicted == truth).double().mean().item():.1%}", fontsize=9)
    fig.suptitle(title, fontsize=9)
    return fig


# §6.6 ----------------------------------------------------------------------------------------

def _clip_thumb(ax, image: torch.Tensor) -> None:
    ax.imshow(image.permute(1, 2, 0).clamp(0, 1).numpy())
    ax.set_xticks([])
    ax.set_yticks([])


def _clip_bars(ax, prompts, probabilities, correct: int | None) -> None:
    """Horizontal bars of the prompts' probabilities (in %), the first at the top; the bar
    ``correct`` (an index in ``prompts``, or None) in red, the others in blue."""
    values = [100 * float(p) for p in probabilities]
    colours = [plot.RED if j == correct else plot.BLUE for j in range(len(values))]
    ax.barh(range(len(values)), values, color=colours)
    ax.set_yticks(range(len(values)), prompts, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel(t("clip_probability"), fontsize=8)


def clip_loss_curves(live, full_losses):
    """§6.6: the training loss per epoch of the live run (``live``, a History) and of the
    full run whose weights ship (``full_losses``, a list)."""
    fig, axes = plot.subplots(1, 2, width=8.0, height=2.6)
    for ax, losses, key in ((axes[0], live["train_loss"], "clip_live_run"), (axes[1], full_losses, "clip_full_run")):
        ax.plot(range(1, len(losses) + 1), losses, marker="o", color=plot.BLUE)
        ax.set(xlabel=t("clip_epoch"), ylabel=t("clip_loss"), title=t(key))
    return fig


def clip_similarity(images: torch.Tensor, captions, logits: torch.Tensor):
    """§6.6: the N × N matrix l_{m,n} (``logits`` (N, N), rows = images ``images`` (N, 3, S, S)
    shown on the left, columns = their ``captions``), the diagonal framed."""
    from matplotlib.patches import Rectangle

    n = len(captions)
    fig = plot.plt.figure(figsize=(7.6, 6.4))
    grid = fig.add_gridspec(n, 2, width_ratios=[1, n], wspace=0.02, hspace=0.08)
    for m in range(n):
        _clip_thumb(fig.add_subplot(grid[m, 0]), images[m])
    ax = fig.add_subplot(grid[:, 1])
    shown = ax.imshow(logits.numpy(), cmap="viridis")
    for k in range(n):
        ax.add_patch(Rectangle((k - 0.5, k - 0.5), 1, 1, fill=False, ec="white", lw=1.5))
        for m in range(n):
            ax.text(k, m, f"{logits[m, k].item():.0f}", ha="center", va="center", fontsize=7, color="white")
    ax.set_yticks(range(n), [f"$i_{{{m + 1}}}$" for m in range(n)])
    ax.yaxis.tick_right()
    ax.set_xticks(range(n), [_wrap(c, 18) for c in captions], rotation=90, fontsize=7)
    ax.set_title(t("clip_matrix_title"), fontsize=9)
    fig.colorbar(shown, ax=ax, fraction=0.04, pad=0.08)
    return fig


def clip_zero_shot(images: torch.Tensor, panels: list):
    """Figure 6.4 substitute: for each image of ``images`` (K, 3, S, S), its panel (a dict
    with ``title`` (str), ``prompts`` (the top-5 prompts, best first), ``probabilities``
    (their 5 probabilities), ``correct`` (index of the right prompt among them, or None)):
    the image and the bars of the five most probable prompts."""
    k = len(panels)
    fig, axes = plot.subplots(2, k, width=3.3 * k, height=4.6, gridspec_kw={"height_ratios": [1.3, 1]}, squeeze=False)
    for j, panel in enumerate(panels):
        _clip_thumb(axes[0, j], images[j])
        axes[0, j].set_title(panel["title"], fontsize=8)
        _clip_bars(axes[1, j], panel["prompts"], panel["probabilities"], panel["correct"])
    return fig


def clip_explore_frame(image: torch.Tensor, prompts, probabilities, correct: int | None, title: str):
    """§6.6, the interactive demo: one image (3, S, S) and the zero-shot probabilities of
    ``prompts`` (best first), the right one in red; ``title`` above."""
    fig, axes = plot.subplots(1, 2, width=7.2, height=2.9, gridspec_kw={"width_ratios": [1, 1.6]})
    _clip_thumb(axes[0], image)
    _clip_bars(axes[1], prompts, probabilities, correct)
    fig.suptitle(title, fontsize=9)
    return fig


# §6.7 ----------------------------------------------------------------------------------------

_RL_ARROWS = {0: (0, 0.32), 1: (0.32, 0), 2: (0, -0.32), 3: (-0.32, 0)}      # up, right, down, left (y up)


def rl_gridworld(world, panels: dict):
    """§6.7, the gridworld: for each panel ``title → Q`` (Q a (S, A) array of the states of
    ``world``, a :class:`lbdl_book.data.games.GridWorld`), the grid coloured by
    V(s) = max_a Q(s, a), with the value and an arrow for the greedy action in every
    non-terminal cell; walls grey, the goal and the pit labelled."""
    import numpy as np

    rows, cols = len(world.layout), len(world.layout[0])
    fig, axes = plot.subplots(1, len(panels), width=3.3 * len(panels), height=3.4)
    axes = np.atleast_1d(axes)
    for ax, (title, Q) in zip(axes, panels.items()):
        grid = np.full((rows, cols), np.nan)
        for s, (i, j) in enumerate(world.cells):
            grid[i, j] = 0.0 if world.terminal[s] else Q[s].max()
        ax.imshow(np.ma.masked_invalid(grid), cmap="RdYlGn", vmin=-1, vmax=1)
        for i in range(rows):
            for j in range(cols):
                c = world.layout[i][j]
                if c == "#":
                    ax.add_patch(plot.plt.Rectangle((j - 0.5, i - 0.5), 1, 1, color=plot.GREY))
                elif c in "GP":
                    ax.text(j, i, t("rl_goal" if c == "G" else "rl_pit"), ha="center", va="center", fontsize=9)
        for s, (i, j) in enumerate(world.cells):
            if not world.terminal[s]:
                dx, dy = _RL_ARROWS[int(Q[s].argmax())]
                ax.annotate("", (j + dx, i - dy), (j, i), arrowprops={"arrowstyle": "->", "lw": 1.6})
                ax.text(j, i + 0.36, f"{Q[s].max():.2f}", ha="center", va="center", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=9)
    return fig


def _rl_image(ax, frame, title: str | None = None) -> None:
    ax.imshow(frame, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def rl_frames(frames, titles):
    """§6.7, Catch: the observations ``frames`` (T, H, W) of an episode side by side,
    each under its title (``titles``, T str)."""
    fig, axes = plot.subplots(1, len(frames), width=0.95 * len(frames), height=1.9)
    for ax, frame, title in zip(axes, frames, titles):
        _rl_image(ax, frame, title)
    return fig


def rl_training(curve, live_returns, live_ends, *, height: float = 2.8):
    """§6.7, training: left, the live run's episode returns (list of ±1) against the step
    at which each episode ended (list of int), averaged over windows of 50 episodes;
    right, the shipped run's ``curve`` (list of (step, share of wins over 200 episodes))."""
    import numpy as np

    fig, (left, right) = plot.subplots(1, 2, width=8.0, height=height)
    wins = (np.asarray(live_returns) > 0).astype(float)
    k = min(50, len(wins))
    if k:
        smooth = np.convolve(wins, np.ones(k) / k, mode="valid")
        left.plot(np.asarray(live_ends)[k - 1:], smooth, color=plot.BLUE)
    left.set(xlabel=t("rl_step"), ylabel=t("rl_win_share"), title=t("rl_live_title"), ylim=(0, 1.02))
    steps, shares = zip(*curve)
    right.plot(steps, shares, color=plot.GREEN)
    right.axhline(0.9, color=plot.GREY, ls="--", lw=1)
    right.set(xlabel=t("rl_step"), ylabel=t("rl_win_share"), title=t("rl_shipped_title"), ylim=(0, 1.02))
    return fig


def rl_values(episodes: dict, gamma: float, events: list):
    """Figure 6.5 substitute: V(S_t) = max_a Q(S_t, a) along episodes (``label → Episode``
    of :func:`lbdl_book.models.dqn.play`, q_values (T, A)), with the values of a sure win
    and a sure loss, ±γ^(T−1−t), dashed; ``events`` is a list of (label, t, text): the
    text is written at step t of the episode ``label``, numbered (1), (2), …"""
    import numpy as np

    fig, ax = plot.subplots(width=7.2, height=3.6)
    colours = (plot.BLUE, plot.RED, plot.GREEN)
    for (label, episode), colour in zip(episodes.items(), colours):
        v = episode.q_values.max(1).values.numpy()
        ax.plot(range(len(v)), v, "o-", color=colour, label=label)
    steps = len(next(iter(episodes.values())).actions)
    ideal = gamma ** (steps - 1 - np.arange(steps))
    ax.plot(range(steps), ideal, ":", color=plot.GREY, label=t("rl_ideal", gamma=gamma))
    ax.plot(range(steps), -ideal, ":", color=plot.GREY)
    for n, (label, step, text) in enumerate(events, 1):
        v = episodes[label].q_values[step].max().item()
        ax.annotate(f"({n})", (step, v), (step + 0.15, v + (0.18 if v < 0.8 else -0.25)), fontsize=9,
                    arrowprops={"arrowstyle": "-", "lw": 0.8})
    ax.axhline(0, color=plot.BLACK, lw=0.6)
    ax.set(xlabel="$t$", ylabel=r"$V(S_t) = \max_a Q(S_t, a)$", ylim=(-1.15, 1.15))
    ax.legend(fontsize=8, loc="lower left")
    return fig


def rl_step(state, q_values, action: int, title: str):
    """§6.7, the interactive demo: the stacked frames ``state`` (k, H, W) of S_t, oldest
    first, and the bars of Q(S_t, a) (A,), the action taken (``action``) highlighted."""
    k = len(state)
    fig = plot.plt.figure(figsize=(7.6, 2.4))
    grid = fig.add_gridspec(1, k + 1, width_ratios=[1] * k + [2.2], wspace=0.3)
    for j in range(k):
        _rl_image(fig.add_subplot(grid[0, j]), state[j], t("rl_frame_age", age=k - 1 - j))
    ax = fig.add_subplot(grid[0, k])
    names = [t(f"rl_action_{a}") for a in range(len(q_values))]
    ax.barh(names, q_values, color=[plot.RED if a == action else plot.BLUE for a in range(len(q_values))])
    ax.set_xlim(-1.05, 1.05)
    ax.axvline(0, color=plot.BLACK, lw=0.6)
    ax.set_xlabel("$Q(S_t, a)$")
    fig.suptitle(title, fontsize=9)
    return fig


# §6.5 ----------------------------------------------------------------------------------------

def _asr_mel_panel(ax, mel, hop_seconds: float, title: str | None = None):
    """A log-mel panel: ``mel`` (T, bands) in [-1, 1] (frames first, as the model reads it)."""
    frames = mel.shape[0]
    image = ax.imshow(mel.T.numpy(), origin="lower", aspect="auto", cmap="magma", vmin=-1, vmax=1,
                      extent=(0, frames * hop_seconds, 0, mel.shape[1]))
    ax.set(xlabel=t("asr_time"), ylabel=t("asr_band"))
    if title:
        ax.set_title(title, fontsize=9)
    ax.grid(False)
    return image


def asr_signal(wave, sample_rate: int, text: str, pitch: float, vowel_time: float, formants, f0: float):
    """§6.5, the anatomy of a clip: ``wave`` (L,) float, the words ``text`` spoken at
    ``pitch`` Hz; (a) the waveform, (b) the power spectrogram with 64 ms windows, where the
    harmonics show as stripes and the formants as the bright bands they cross, (c) the
    log-mel spectrogram the model reads, (d) the spectrum of the frame at ``vowel_time``
    seconds: peaks every ``f0`` Hz (the measured pitch) under the envelope the synthesiser's
    ``formants`` (F1, F2, F3 in Hz) shape."""
    from .. import audio

    fig, axes = plot.subplots(2, 2, width=9.0, height=5.6)
    seconds = torch.arange(len(wave)) / sample_rate
    axes[0, 0].plot(seconds.numpy(), wave.numpy(), lw=0.4, color="#333333")
    axes[0, 0].set(xlabel=t("asr_time"), ylabel=t("asr_amplitude"), xlim=(0, seconds[-1].item()))
    axes[0, 0].set_title(t("asr_wave_title", text=text, pitch=pitch), fontsize=9)
    hop = 40
    power = audio.power_to_db(audio.power_spectrogram(wave, 512, hop), top_db=70.0)
    axes[0, 1].imshow(power.numpy(), origin="lower", aspect="auto", cmap="magma",
                      extent=(0, power.shape[1] * hop / sample_rate, 0, sample_rate / 2))
    axes[0, 1].set(xlabel=t("asr_time"), ylabel=t("asr_frequency"))
    axes[0, 1].set_title(t("asr_linear_title"), fontsize=9)
    axes[0, 1].axvline(vowel_time, color="white", lw=0.8, ls=":")
    axes[0, 1].grid(False)
    mel = audio.log_mel(wave, sample_rate)
    mel = ((mel - mel.max()) / 40 + 1).T
    _asr_mel_panel(axes[1, 0], mel, 80 / sample_rate, t("asr_mel_title"))
    frame = int(round(vowel_time * sample_rate / hop))
    freqs = torch.arange(power.shape[0]) * sample_rate / 512
    axes[1, 1].plot(freqs.numpy(), power[:, frame].numpy(), color="#1f77b4", lw=1)
    top = power[:, frame].max().item()
    for k in range(1, int(sample_rate / 2 / f0)):
        axes[1, 1].axvline(k * f0, color="#bbbbbb", lw=0.5, zorder=0,
                           label=t("asr_harmonic", f0=f0) if k == 1 else None)
    for k, f in enumerate(formants):
        axes[1, 1].axvline(f, color="#d62728", lw=1.2, ls="--", label=t("asr_formant") if k == 0 else None)
        axes[1, 1].text(f, top + 2, f"F{k + 1}", color="#d62728", ha="center", fontsize=8)
    axes[1, 1].set(xlabel=t("asr_frequency"), ylabel=t("asr_level_db"), xlim=(0, sample_rate / 2),
                   ylim=(top - 70, top + 8))
    axes[1, 1].set_title(t("asr_slice_title", time=vowel_time), fontsize=9)
    axes[1, 1].legend(fontsize=7, loc="lower left")
    return fig


def asr_gallery(mels, titles, hop_seconds: float = 0.01):
    """§6.5, a few clips as the model sees them: ``mels`` (K, T, bands) log-mel features in
    [-1, 1], with one title per clip."""
    fig, axes = plot.subplots(1, len(mels), width=3.0 * len(mels), height=2.6)
    for ax, mel, title in zip(axes, mels, titles):
        _asr_mel_panel(ax, mel, hop_seconds, title)
    return fig


def asr_attention(mel, weights, tokens, hop_seconds: float = 0.01, stride: int = 4):
    """§6.5, where the decoder listens: the clip's log-mel ``mel`` (T, bands) above the
    cross-attention ``weights`` (L, P) of the L output ``tokens`` (their strings) on the P
    encoder positions (each ``stride`` frames), on the same time axis."""
    fig, axes = plot.subplots(2, 1, width=7.5, height=4.8, sharex=True,
                              gridspec_kw={"height_ratios": [1, 1.2]})
    _asr_mel_panel(axes[0], mel, hop_seconds)
    axes[0].set_xlabel("")
    span = weights.shape[1] * stride * hop_seconds
    axes[1].imshow(weights.numpy(), aspect="auto", cmap="Blues", extent=(0, span, len(tokens) - 0.5, -0.5),
                   interpolation="nearest")
    axes[1].set_yticks(range(len(tokens)), [repr(s)[1:-1] for s in tokens], fontsize=8)
    axes[1].set(xlabel=t("asr_time"), ylabel=t("asr_output_token"))
    axes[1].set_title(t("asr_attention_title"), fontsize=9)
    axes[1].grid(False)
    return fig


def asr_explore(mel, title: str, hop_seconds: float = 0.01):
    """§6.5, the interactive demo: the log-mel ``mel`` (T, bands) of one clip, ``title`` above."""
    fig, ax = plot.subplots(1, 1, width=6.5, height=2.6)
    _asr_mel_panel(ax, mel, hop_seconds, title)
    return fig
