"""Mean average precision (§6.3): how object detection is scored, computed as the COCO
evaluator computes it.

A detector returns, for each image, boxes with a class and a score. The ground truth of
an image is a list of boxes with a class. For one class and one IoU threshold t:

1. take the detections of that class in every image, at most ``max_detections`` per
   image (the highest scores), and sort them all by decreasing score (ties keep their
   order: image by image, then as given);
2. in each image, walk its detections from the highest score down; each one takes the
   ground-truth box of its class, not taken yet, with the highest IoU, if that IoU is at
   least t (among equal IoUs, the last box in the image's list). A detection that takes a
   box is a *true positive*, any other a *false positive*;
3. after the k best detections, precision_k = TP_k / k and recall_k = TP_k / G, with G
   the number of ground-truth boxes of the class;
4. make precision non-increasing from the right, p̃_k = max_{j ≥ k} precision_j, and read
   it at the 101 recall levels r = 0, 0.01, …, 1: p̃ at the first k with recall_k ≥ r,
   0 where the recall never reaches r;
5. AP is the mean of these 101 values:

       AP_c(t) = (1/101) Σ_{r ∈ {0, 0.01, …, 1}} p̃(r).

mAP@0.5 averages AP_c(0.5) over the classes that have ground truth; the COCO-style
mAP@[.5:.95] averages AP_c(t) over the classes and over the ten thresholds
t = 0.5, 0.55, …, 0.95, so that it rewards boxes that are placed precisely.

These are the rules of ``pycocotools.cocoeval.COCOeval`` (``iouType="bbox"``, area range
"all", ``maxDets`` = 100, no crowd regions), down to the order of its floating-point
operations: the tests require equal numbers to 1e-6 on random and hand-made detections
(``tests/test_detection_eval.py``). :func:`to_coco` writes the same data in COCO's
format (boxes as (x, y, w, h), annotation ids from 1, ``iscrowd`` = 0), so that a reader
can run the reference evaluator on it. Boxes here are (x1, y1, x2, y2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from .._checks import positive_int

__all__ = ["COCO_IOU_THRESHOLDS", "RECALL_LEVELS", "Detections", "AveragePrecision", "mean_average_precision",
           "to_coco"]

# The thresholds and recall levels of COCOeval's Params, computed as it computes them (np.linspace),
# so that a threshold such as 0.8999999999999999 is the same number here and there.
COCO_IOU_THRESHOLDS: tuple[float, ...] = tuple(
    float(v) for v in np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True))
RECALL_LEVELS: tuple[float, ...] = tuple(
    float(v) for v in np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True))
_SPACING = float(np.spacing(1))      # COCOeval adds it to the denominator of the precision


class Detections(NamedTuple):
    """What a detector found in one image: ``boxes`` (K, 4) as (x1, y1, x2, y2) in pixels,
    ``scores`` (K,) and ``labels`` (K,) integer classes."""

    boxes: torch.Tensor
    scores: torch.Tensor
    labels: torch.Tensor


@dataclass(frozen=True)
class AveragePrecision:
    """The result of :func:`mean_average_precision`.

    * ``map``: mAP@[.5:.95], the mean of ``ap`` over its thresholds and its classes with
      ground truth; ``map50`` and ``map75``: the means over those classes at t = 0.5 and
      t = 0.75 (NaN when that threshold was not evaluated);
    * ``ap`` (T, K): AP of each class at each threshold, NaN for a class without ground truth;
    * ``precision`` (T, 101, K): the interpolated precision p̃ at each recall level, −1 for
      a class without ground truth (COCOeval's ``eval["precision"][..., 0, -1]``);
    * ``recall`` (T, K): the recall reached with all the detections kept;
    * ``classes``: the K classes, ``iou_thresholds``: the T thresholds."""

    map: float
    map50: float
    map75: float
    ap: torch.Tensor
    precision: torch.Tensor
    recall: torch.Tensor
    classes: tuple[int, ...]
    iou_thresholds: tuple[float, ...]


def _boxes(value, name: str) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of boxes (K, 4), got {type(value).__name__}")
    if value.dim() != 2 or value.shape[1] != 4:
        raise ValueError(f"{name} must have shape (K, 4) (x1, y1, x2, y2), got {tuple(value.shape)}")
    value = value.detach().to("cpu", torch.float64)
    if not torch.isfinite(value).all():
        raise ValueError(f"{name} must hold finite coordinates")
    if (value[:, 2] < value[:, 0]).any() or (value[:, 3] < value[:, 1]).any():
        raise ValueError(f"{name} must satisfy x2 >= x1 and y2 >= y1 (boxes as (x1, y1, x2, y2))")
    return value


def _labels(value, name: str, count: int) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of integer classes, got {type(value).__name__}")
    if value.is_floating_point() or value.is_complex() or value.dtype == torch.bool:
        raise TypeError(f"{name} must be an integer tensor of classes, got {value.dtype}")
    if value.shape != (count,):
        raise ValueError(f"{name} must have shape ({count},), one class per box, got {tuple(value.shape)}")
    return value.detach().to("cpu", torch.int64)


def _scores(value, name: str, count: int) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise TypeError(f"{name} must be a floating-point torch.Tensor of scores, got "
                        f"{value.dtype if isinstance(value, torch.Tensor) else type(value).__name__}")
    if value.shape != (count,):
        raise ValueError(f"{name} must have shape ({count},), one score per box, got {tuple(value.shape)}")
    if not torch.isfinite(value).all():
        raise ValueError(f"{name} must be finite")
    return value.detach().to("cpu", torch.float64)


def _image_lists(detections, boxes, labels) -> tuple[list, list, list]:
    """Check the three per-image lists and return them as (detections, boxes, labels) of
    float64 / int64 CPU tensors."""
    for value, name in ((detections, "detections"), (boxes, "boxes"), (labels, "labels")):
        if isinstance(value, (str, bytes, torch.Tensor)) or not isinstance(value, Sequence):
            raise TypeError(f"{name} must be a sequence with one entry per image, got {type(value).__name__}")
    if not len(detections) == len(boxes) == len(labels):
        raise ValueError(f"detections, boxes and labels must have one entry per image each, got "
                         f"{len(detections)}, {len(boxes)} and {len(labels)}")
    if len(boxes) == 0:
        raise ValueError("boxes must hold at least one image")
    found, true_boxes, true_labels = [], [], []
    for i, (d, b, l) in enumerate(zip(detections, boxes, labels)):
        if not isinstance(d, tuple) or len(d) != 3:
            raise TypeError(f"detections[{i}] must be a Detections (boxes, scores, labels), got {type(d).__name__}")
        d_boxes = _boxes(d[0], f"detections[{i}].boxes")
        found.append((d_boxes, _scores(d[1], f"detections[{i}].scores", len(d_boxes)),
                      _labels(d[2], f"detections[{i}].labels", len(d_boxes))))
        true_boxes.append(_boxes(b, f"boxes[{i}]"))
        true_labels.append(_labels(l, f"labels[{i}]", len(true_boxes[-1])))
    return found, true_boxes, true_labels


def _coco_iou(detected: torch.Tensor, true: torch.Tensor) -> torch.Tensor:
    """(D, G) IoU of float64 (x1, y1, x2, y2) boxes, with the operations of COCO's C
    function ``bbIou`` on (x, y, w, h) boxes, in its order, so that the values are equal bit
    for bit: a pair that does not overlap has IoU 0, and the union is (area_d + area_g) − I."""
    dx, dy, dw, dh = detected[:, 0:1], detected[:, 1:2], detected[:, 2:3] - detected[:, 0:1], \
        detected[:, 3:4] - detected[:, 1:2]
    gx, gy, gw, gh = true[:, 0], true[:, 1], true[:, 2] - true[:, 0], true[:, 3] - true[:, 1]
    w = torch.minimum(dx + dw, gx + gw) - torch.maximum(dx, gx)
    h = torch.minimum(dy + dh, gy + gh) - torch.maximum(dy, gy)
    inter = w * h
    union = (dw * dh + gw * gh) - inter
    iou = inter / union
    return torch.where((w > 0) & (h > 0), iou, torch.zeros_like(iou))


def _match(iou: torch.Tensor, thresholds: tuple[float, ...]) -> torch.Tensor:
    """(D, T) bool: which detections (rows of ``iou`` (D, G), by decreasing score) take a
    ground-truth box at each IoU threshold, by COCOeval's greedy rule (module docstring).
    COCOeval compares with min(t, 1 − 1e-10), so that a threshold of 1 accepts IoU 1 − 1e-10."""
    n_d, n_g = iou.shape
    hit = np.zeros((n_d, len(thresholds)), dtype=bool)
    if n_d == 0 or n_g == 0:
        return torch.from_numpy(hit)
    values = iou.numpy()
    limits = np.minimum(np.asarray(thresholds, dtype=np.float64), 1 - 1e-10)[:, None]   # (T, 1)
    taken = np.zeros((len(thresholds), n_g), dtype=bool)
    rows = np.arange(len(thresholds))
    for d in range(n_d):
        candidates = ~taken & (values[d] >= limits)                                    # (T, G)
        scored = np.where(candidates, values[d], -1.0)
        best = scored.max(1, keepdims=True)
        # among equal IoUs COCOeval keeps the last box: the first of the reversed row
        last = n_g - 1 - np.argmax((scored == best)[:, ::-1], axis=1)
        found = candidates.any(1)
        taken[rows[found], last[found]] = True
        hit[d] = found
    return torch.from_numpy(hit)


def mean_average_precision(detections: Sequence[Detections], boxes: Sequence[torch.Tensor],
                           labels: Sequence[torch.Tensor], *, classes: Sequence[int] | None = None,
                           iou_thresholds: Sequence[float] = COCO_IOU_THRESHOLDS,
                           max_detections: int = 100) -> AveragePrecision:
    """Average precision of ``detections`` against the ground truth, per class and IoU
    threshold, and its means: mAP@0.5 and mAP@[.5:.95] (see the module docstring).

    * ``detections``: one :class:`Detections` (boxes (K_i, 4), scores (K_i,), labels (K_i,))
      per image;
    * ``boxes``, ``labels``: the ground truth of each image, (G_i, 4) (x1, y1, x2, y2) and
      (G_i,) (e.g. ``scenes.boxes`` and ``scenes.labels``);
    * ``classes``: the classes to score (default: those of the ground truth); detections of
      other classes are ignored, a class without ground truth gets NaN and is left out of
      the means;
    * ``iou_thresholds``: default COCO's ten; ``max_detections``: per image and class.

    Returns an :class:`AveragePrecision`."""
    found, true_boxes, true_labels = _image_lists(detections, boxes, labels)
    positive_int(max_detections, "max_detections")
    if isinstance(iou_thresholds, (str, bytes)) or not isinstance(iou_thresholds, Sequence) or not iou_thresholds:
        raise TypeError(f"iou_thresholds must be a non-empty sequence of numbers in (0, 1], got {iou_thresholds!r}")
    thresholds = tuple(iou_thresholds)
    if not all(isinstance(t, (int, float)) and not isinstance(t, bool) and 0 < t <= 1 for t in thresholds):
        raise ValueError(f"iou_thresholds must hold numbers in (0, 1], got {thresholds}")
    if classes is None:
        classes = sorted(set(torch.cat(true_labels).tolist()))
    elif isinstance(classes, (str, bytes)) or not isinstance(classes, Sequence) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in classes) or len(set(classes)) != len(classes):
        raise ValueError(f"classes must be a sequence of distinct ints, got {classes!r}")
    classes = tuple(sorted(classes))
    n_t, n_r, n_k = len(thresholds), len(RECALL_LEVELS), len(classes)
    levels = torch.tensor(RECALL_LEVELS, dtype=torch.float64)
    precision = -torch.ones(n_t, n_r, n_k, dtype=torch.float64)
    recall = -torch.ones(n_t, n_k, dtype=torch.float64)
    for k, c in enumerate(classes):
        scores, hits, total = [], [], 0
        for (d_boxes, d_scores, d_labels), g_boxes, g_labels in zip(found, true_boxes, true_labels):
            mine, truth = d_labels == c, g_boxes[g_labels == c]
            order = torch.sort(d_scores[mine], descending=True, stable=True).indices[:max_detections]
            mine_boxes, mine_scores = d_boxes[mine][order], d_scores[mine][order]
            iou = _coco_iou(mine_boxes, truth)
            scores.append(mine_scores)
            hits.append(_match(iou, thresholds))
            total += len(truth)
        if total == 0:
            continue                                                   # no ground truth: −1, left out
        order = torch.sort(torch.cat(scores), descending=True, stable=True).indices
        tp = torch.cat(hits)[order].T                                  # (T, D) by decreasing score
        tp_sum = torch.cumsum(tp, 1).to(torch.float64)
        fp_sum = torch.cumsum(~tp, 1).to(torch.float64)
        rc = tp_sum / total
        pr = tp_sum / (fp_sum + tp_sum + _SPACING)
        recall[:, k] = rc[:, -1] if tp.shape[1] else 0.0
        pr = torch.flip(torch.cummax(torch.flip(pr, [1]), 1).values, [1])      # p̃_k = max_{j ≥ k} precision_j
        for ti in range(n_t):
            where = torch.searchsorted(rc[ti].contiguous(), levels, side="left")
            inside = where < tp.shape[1]
            row = torch.zeros(n_r, dtype=torch.float64)
            row[inside] = pr[ti, where[inside]]
            precision[ti, :, k] = row
    valid = precision[0, 0] > -1                                       # (K,) classes with ground truth
    ap = torch.where(valid, precision.mean(1), torch.full((n_t, n_k), float("nan"), dtype=torch.float64))

    def mean_at(t: float | None) -> float:
        if t is not None and t not in thresholds:
            return float("nan")
        chosen = precision if t is None else precision[[thresholds.index(t)]]
        chosen = chosen[chosen > -1]
        return float(chosen.mean()) if chosen.numel() else float("nan")

    return AveragePrecision(map=mean_at(None), map50=mean_at(COCO_IOU_THRESHOLDS[0]),
                            map75=mean_at(COCO_IOU_THRESHOLDS[5]), ap=ap, precision=precision, recall=recall,
                            classes=classes, iou_thresholds=thresholds)


def to_coco(detections: Sequence[Detections], boxes: Sequence[torch.Tensor],
            labels: Sequence[torch.Tensor]) -> tuple[dict, list[dict]]:
    """The same detections and ground truth in COCO's format, for
    ``pycocotools``: a ground-truth dataset (``images`` with ids 1 … N, ``annotations``
    with ids from 1 (COCOeval takes id 0 for "no match"), ``bbox`` = [x, y, w, h],
    ``area`` = w·h, ``iscrowd`` = 0, and ``categories``: the classes of the ground truth and
    of the detections) and a list of results (``image_id``, ``category_id``, ``bbox``,
    ``score``), e.g. for ``COCO.loadRes``. Arguments as for :func:`mean_average_precision`."""
    found, true_boxes, true_labels = _image_lists(detections, boxes, labels)

    def xywh(box: torch.Tensor) -> list[float]:
        x1, y1, x2, y2 = box.tolist()
        return [x1, y1, x2 - x1, y2 - y1]

    annotations, results = [], []
    for i, (g_boxes, g_labels) in enumerate(zip(true_boxes, true_labels)):
        for box, label in zip(g_boxes, g_labels.tolist()):
            bbox = xywh(box)
            annotations.append({"id": len(annotations) + 1, "image_id": i + 1, "category_id": label, "bbox": bbox,
                                "area": bbox[2] * bbox[3], "iscrowd": 0})
    for i, (d_boxes, d_scores, d_labels) in enumerate(found):
        for box, score, label in zip(d_boxes, d_scores.tolist(), d_labels.tolist()):
            results.append({"image_id": i + 1, "category_id": label, "bbox": xywh(box), "score": score})
    categories = sorted(set(torch.cat(true_labels).tolist()) | set(torch.cat([d[2] for d in found]).tolist()))
    dataset = {"images": [{"id": i + 1} for i in range(len(true_boxes))], "annotations": annotations,
               "categories": [{"id": c} for c in categories]}
    return dataset, results
