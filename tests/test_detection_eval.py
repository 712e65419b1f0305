"""Mean average precision (lbdl_book.models.detection_eval, §6.3): hand-made cases whose AP
follows from the definition, and equality with the reference COCO evaluator
(pycocotools.cocoeval.COCOeval) on random and hand-made detections."""

import contextlib
import io

import pytest
import torch

from lbdl_book.models.detection_eval import (COCO_IOU_THRESHOLDS, RECALL_LEVELS, Detections, mean_average_precision,
                                             to_coco)

# the reference evaluator is pinned in requirements.txt: a missing pycocotools must fail, not skip
from pycocotools.coco import COCO                       # noqa: E402
from pycocotools.cocoeval import COCOeval               # noqa: E402

# The issue asks for agreement to 1e-6. Our evaluator repeats COCOeval's operations (IoU, greedy
# matching, cumulative sums, the interpolation) in float64 and in its order, so the precision arrays
# are equal and the means differ only by the order of a sum of at most T·101·K terms in [0, 1]:
# at most T·101·K·2^-53 ≈ 1e-13 for the sizes below, far inside 1e-6.
TOLERANCE = 1e-6
# COCOeval's precision is TP / (TP + FP + 2^-52): a perfect precision is 1 − 2^-52, not 1, and a mean of
# such values is off by a few units of 2^-53 more. Hand-computed APs are compared within this bound.
EXACT = 8 * 2.0**-52


def close(value: float, expected: float) -> bool:
    return abs(value - expected) <= EXACT


def coco_eval(detections, boxes, labels) -> COCOeval:
    """COCOeval on the same data, through to_coco (its printing silenced)."""
    dataset, results = to_coco(detections, boxes, labels)
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO()
        truth.dataset = dataset
        truth.createIndex()
        found = truth.loadRes(results)
        evaluation = COCOeval(truth, found, "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return evaluation


def assert_same_as_coco(detections, boxes, labels):
    dataset, _ = to_coco(detections, boxes, labels)
    classes = [c["id"] for c in dataset["categories"]]
    ours = mean_average_precision(detections, boxes, labels, classes=classes)
    reference = coco_eval(detections, boxes, labels)
    assert abs(ours.map - reference.stats[0]) <= TOLERANCE, (ours.map, reference.stats[0])
    assert abs(ours.map50 - reference.stats[1]) <= TOLERANCE, (ours.map50, reference.stats[1])
    assert abs(ours.map75 - reference.stats[2]) <= TOLERANCE, (ours.map75, reference.stats[2])
    # area "all" (index 0), maxDets = 100 (index -1)
    precision = torch.from_numpy(reference.eval["precision"][:, :, :, 0, -1])
    recall = torch.from_numpy(reference.eval["recall"][:, :, 0, -1])
    assert torch.allclose(ours.precision, precision, rtol=0, atol=TOLERANCE)
    assert torch.allclose(ours.recall, recall, rtol=0, atol=TOLERANCE)
    return ours


def det(boxes, scores, labels) -> Detections:
    return Detections(torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4), torch.tensor(scores),
                      torch.tensor(labels, dtype=torch.int64))


def gt(boxes):
    return torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4)


def test_constants_are_cocos():
    assert len(COCO_IOU_THRESHOLDS) == 10 and COCO_IOU_THRESHOLDS[0] == 0.5 and COCO_IOU_THRESHOLDS[5] == 0.75
    assert len(RECALL_LEVELS) == 101 and RECALL_LEVELS[0] == 0.0 and RECALL_LEVELS[-1] == 1.0
    params = COCOeval(iouType="bbox").params
    assert list(COCO_IOU_THRESHOLDS) == params.iouThrs.tolist() and list(RECALL_LEVELS) == params.recThrs.tolist()
    assert params.maxDets[-1] == 100


def test_perfect_detections_score_one():
    boxes = [gt([[0, 0, 10, 10], [20, 20, 30, 35]]), gt([[5, 5, 9, 9]])]
    labels = [torch.tensor([1, 2]), torch.tensor([1])]
    found = [Detections(b, torch.tensor([0.9, 0.8][:len(b)]), l) for b, l in zip(boxes, labels)]
    result = assert_same_as_coco(found, boxes, labels)
    assert close(result.map, 1) and close(result.map50, 1) and ((result.ap - 1).abs() <= EXACT).all()


def test_a_hand_computed_precision_recall_curve():
    """Two boxes, three detections: hit (0.9), miss (0.8), hit (0.7). Precision 1, 1/2, 2/3 at
    recall 1/2, 1/2, 1; interpolated: 1 up to recall 0.5 (51 levels), then 2/3 (50 levels)."""
    boxes, labels = [gt([[0, 0, 10, 10], [20, 0, 30, 10]])], [torch.tensor([1, 1])]
    found = [det([[0, 0, 10, 10], [40, 40, 50, 50], [20, 0, 30, 10]], [0.9, 0.8, 0.7], [1, 1, 1])]
    result = assert_same_as_coco(found, boxes, labels)
    expected = (51 * 1 + 50 * 2 / 3) / 101
    assert close(result.map50, expected) and close(result.map, expected)
    assert result.recall[0, 0] == 1.0


def test_the_iou_threshold_is_inclusive_and_the_thresholds_are_averaged():
    """IoU = 50/100 exactly: a hit at t = 0.5, a miss at every higher threshold, so mAP@0.5 = 1
    and mAP@[.5:.95] = 1/10. IoU = 0.76 hits up to t = 0.75: 6/10."""
    boxes, labels = [gt([[0, 0, 10, 10]])], [torch.tensor([1])]
    half = assert_same_as_coco([det([[0, 0, 10, 5]], [0.5], [1])], boxes, labels)
    assert close(half.map50, 1) and close(half.map, 0.1) and half.map75 == 0.0
    most = assert_same_as_coco([det([[0, 0, 10, 7.6]], [0.5], [1])], boxes, labels)
    assert close(most.map, 0.6) and close(most.map75, 1)


def test_classes_detections_and_images_that_count_for_nothing():
    """A class without ground truth is left out (NaN), a detection of it is ignored for the
    others, a wrong-class detection is a false positive of its own class, an image without
    boxes only contributes false positives."""
    boxes = [gt([[0, 0, 10, 10]]), gt([])]
    labels = [torch.tensor([1]), torch.tensor([], dtype=torch.int64)]
    found = [det([[0, 0, 10, 10], [0, 0, 10, 10]], [0.9, 0.95], [1, 3]),
             det([[5, 5, 15, 15]], [0.99], [1])]
    result = assert_same_as_coco(found, boxes, labels)
    assert result.classes == (1, 3) and torch.isnan(result.ap[:, 1]).all()
    # class 1: a false positive (0.99, empty image) before the hit (0.9): precision 1/2 at recall 1
    assert close(result.map50, 0.5)
    default = mean_average_precision(found, boxes, labels)
    assert default.classes == (1,) and default.map50 == result.map50


def test_ties_in_scores_and_in_iou_follow_coco():
    """Equal scores keep the images' order; a detection between two equally overlapping boxes
    takes the later one; a box is taken once."""
    boxes = [gt([[0, 0, 10, 10], [10, 0, 20, 10]]), gt([[0, 0, 10, 10]])]
    labels = [torch.tensor([1, 1]), torch.tensor([1])]
    found = [det([[5, 0, 15, 10], [5, 0, 15, 10], [0, 0, 10, 10]], [0.5, 0.5, 0.5], [1, 1, 1]),
             det([[0, 0, 10, 10], [50, 50, 60, 60]], [0.5, 0.5], [1, 1])]
    assert_same_as_coco(found, boxes, labels)


def test_at_most_100_detections_per_image_and_class_count():
    boxes, labels = [gt([[0, 0, 10, 10]])], [torch.tensor([1])]
    misses = [[20 + i % 10, 20, 30 + i % 10, 30] for i in range(100)]
    # the hit has the lowest score of 101: it is cut, AP = 0
    cut = assert_same_as_coco([det(misses + [[0, 0, 10, 10]], [0.9] * 100 + [0.1], [1] * 101)], boxes, labels)
    assert cut.map50 == 0.0
    kept = mean_average_precision([det(misses + [[0, 0, 10, 10]], [0.9] * 100 + [0.1], [1] * 101)], boxes, labels,
                                  max_detections=101)
    assert 0 < kept.map50 < 0.02


@pytest.mark.parametrize("seed", range(12))
def test_random_detections_equal_pycocotools(seed):
    """Random scenes of 1-15 images, 0-6 boxes of 3 classes each, and detections that are
    jittered copies of the boxes (some with the wrong class) mixed with random boxes."""
    g = torch.Generator().manual_seed(seed)
    images = int(torch.randint(1, 16, (1,), generator=g))
    boxes, labels, found = [], [], []
    for _ in range(images):
        k = int(torch.randint(0, 7, (1,), generator=g))
        corner = torch.rand(k, 2, generator=g) * 50
        truth = torch.cat([corner, corner + 2 + torch.rand(k, 2, generator=g) * 20], 1)
        classes = torch.randint(1, 4, (k,), generator=g)
        m = int(torch.randint(0, 15, (1,), generator=g))
        corner = torch.rand(m, 2, generator=g) * 50
        guess = torch.cat([corner, corner + 1 + torch.rand(m, 2, generator=g) * 20], 1)
        guess_classes = torch.randint(1, 4, (m,), generator=g)
        if k:
            source = torch.randint(0, k, (m,), generator=g)
            jittered = truth[source] + torch.randn(m, 4, generator=g) * torch.rand(m, 1, generator=g) * 3
            jittered[:, 2:] = torch.maximum(jittered[:, 2:], jittered[:, :2] + 0.5)
            near = torch.rand(m, generator=g) < 0.7
            guess[near] = jittered[near]
            right = near & (torch.rand(m, generator=g) < 0.85)
            guess_classes[right] = classes[source][right]
        boxes.append(truth)
        labels.append(classes)
        found.append(Detections(guess, torch.rand(m, generator=g), guess_classes))
    if sum(len(d.boxes) for d in found) == 0 or sum(len(b) for b in boxes) == 0:
        pytest.skip("COCO.loadRes needs at least one detection; this draw has none")   # not reached for seeds 0-11
    result = assert_same_as_coco(found, boxes, labels)
    assert 0 <= result.map <= result.map50 <= 1


def test_to_coco_writes_cocos_conventions():
    boxes, labels = [gt([[1, 2, 4, 8]])], [torch.tensor([2])]
    dataset, results = to_coco([det([[1, 2, 5, 6]], [0.5], [2])], boxes, labels)
    (annotation,) = dataset["annotations"]
    assert annotation["id"] == 1 and annotation["bbox"] == [1, 2, 3, 6] and annotation["area"] == 18
    assert annotation["iscrowd"] == 0 and annotation["image_id"] == 1 and dataset["categories"] == [{"id": 2}]
    assert results == [{"image_id": 1, "category_id": 2, "bbox": [1, 2, 4, 4], "score": 0.5}]


def test_bad_inputs_are_refused():
    boxes, labels = [gt([[0, 0, 1, 1]])], [torch.tensor([1])]
    good = [det([[0, 0, 1, 1]], [0.5], [1])]
    with pytest.raises(ValueError, match="one entry per image"):
        mean_average_precision(good * 2, boxes, labels)
    with pytest.raises(ValueError, match="x2 >= x1"):
        mean_average_precision(good, [gt([[2, 0, 1, 1]])], labels)
    with pytest.raises(TypeError, match="scores"):
        mean_average_precision([Detections(gt([[0, 0, 1, 1]]), torch.tensor([1]), torch.tensor([1]))], boxes, labels)
    with pytest.raises(ValueError, match="iou_thresholds"):
        mean_average_precision(good, boxes, labels, iou_thresholds=[0.0])
