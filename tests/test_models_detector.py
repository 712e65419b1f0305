"""The SSD-style detector of §6.3 (lbdl_book.models.detector): shapes and parameter count,
default boxes, IoU, the book's matching rule on hand-placed boxes, the offsets' round
trip, non-maximum suppression against a brute-force reference, the loss and its hard
negatives, receptive fields, decoding end to end, the fused path and the torch.nn twin."""

import math

import pytest
import torch

from lbdl_book.data.scenes import generate_scenes
from lbdl_book.models.detection_eval import mean_average_precision
from lbdl_book.models.detector import (Detector, batched_nms, box_area, box_iou, decode_boxes, detection_loss,
                                       encode_boxes, nms)
from lbdl_book.nn.fused import set_fused

from twins import torch_twin

U32, U64 = 2.0**-24, 2.0**-53


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return Detector().eval()


# --- shapes, parameters, default boxes --------------------------------------------------

def test_feature_maps_and_outputs_have_the_books_shapes(model):
    x = torch.rand(2, 3, 64, 64)
    maps = model.feature_maps(x)
    assert [tuple(z.shape) for z in maps] == [(2, 32, 16, 16), (2, 64, 8, 8), (2, 64, 4, 4), (2, 32, 2, 2),
                                              (2, 32, 1, 1)]
    assert model.grid_sizes == (16, 8, 4, 2, 1) and model.cell_sizes == (4, 8, 16, 32, 64)
    b = 3 * (16**2 + 8**2 + 4**2 + 2**2 + 1)
    assert model.num_boxes == b == 1023 and model(x).shape == (2, b, 4 + 4 + 1)


def test_exact_parameter_count():
    conv = lambda c_in, c_out, k: c_in * c_out * k * k                              # noqa: E731
    bn = lambda c: 2 * c                                                             # noqa: E731
    stem = conv(3, 16, 3) + bn(16) + conv(16, 32, 3) + bn(32)
    stages = (2 * (conv(32, 32, 3) + bn(32)) + conv(32, 64, 3) + conv(64, 64, 3) + 2 * bn(64)
              + 2 * (conv(64, 64, 3) + bn(64)) + conv(64, 32, 3) + bn(32) + conv(32, 32, 1) + bn(32))
    heads = sum(conv(c, 27, k) + 27 for c, k in ((32, 3), (64, 3), (64, 3), (32, 3), (32, 1)))   # 3 × (4 + 5) outputs
    model = Detector()
    assert sum(p.numel() for p in model.parameters()) == stem + stages + heads == 220_471
    assert "default_boxes" not in model.state_dict()                     # a buffer computed, not stored


def test_default_boxes_are_centred_in_their_cells_with_the_ratios(model):
    boxes = model.default_boxes.double()
    x, y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    start = 0
    for grid, cell, size, count in zip(model.grid_sizes, model.cell_sizes, model.box_sizes, model.boxes_per_scale):
        part = slice(start, start + count)
        index = torch.arange(count, dtype=torch.float64).div(3, rounding_mode="floor")
        stored = 2 * U32 * 2 * size                                       # float32 coordinates of magnitude < 2·size
        assert torch.allclose(x[part], (index % grid + 0.5) * cell, rtol=0, atol=stored)
        assert torch.allclose(y[part], (index.div(grid, rounding_mode="floor") + 0.5) * cell, rtol=0, atol=stored)
        ratios = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64).repeat(grid * grid)
        # widths and heights from two stored coordinates: off by at most 2·stored, i.e. a relative 2·stored / (size/√2)
        relative = 2 * stored / (size / math.sqrt(2))
        assert torch.allclose(w[part] / h[part], ratios, rtol=3 * relative, atol=0)
        assert torch.allclose((w[part] * h[part]).sqrt(), torch.full((count,), float(size), dtype=torch.float64),
                              rtol=2 * relative, atol=0)
        start += count
    assert model.box_sizes == (8, 16, 32, 64, 128)


def test_receptive_fields_are_centred_on_their_cells():
    """Analytic fields (nn.conv.receptive_field) against the input pixels whose gradient is
    non-zero for the head output of the central cell, in eval mode, over a few random inputs."""
    torch.manual_seed(0)
    model = Detector().eval()
    fields = model.receptive_fields()
    assert [f.size for f in fields] == [34, 78, 166, 278, 246] and [f.jump for f in fields] == [4, 8, 16, 32, 64]
    for s, (field, grid, cell) in enumerate(zip(fields, model.grid_sizes, model.cell_sizes)):
        row = grid // 2
        reached = torch.zeros(64, 64, dtype=torch.bool)
        for _ in range(3):
            x = torch.randn(1, 3, 64, 64, requires_grad=True)
            out = model.heads[s](model.feature_maps(x)[s])[0, :, row, row]
            (grad,) = torch.autograd.grad(out.sum(), x)
            reached |= grad[0].abs().sum(0) > 0
        centre = (row + 0.5) * cell
        low, high = max(0, math.floor(centre - field.size / 2)), min(64, math.ceil(centre + field.size / 2))
        rows = torch.nonzero(reached.any(1)).flatten()
        cols = torch.nonzero(reached.any(0)).flatten()
        assert (rows.min().item(), rows.max().item() + 1) == (low, high), (s, rows, low, high)
        assert (cols.min().item(), cols.max().item() + 1) == (low, high)


# --- IoU, offsets -------------------------------------------------------------------------

def test_iou_of_known_boxes():
    a = torch.tensor([[0.0, 0, 2, 2], [0, 0, 4, 4], [0, 0, 1, 1], [0, 0, 0, 0]])
    b = torch.tensor([[0.0, 0, 2, 2], [1, 0, 3, 2], [1, 1, 3, 3], [2, 0, 4, 2], [0, 0, 0, 0]])
    expected = torch.tensor([
        [1, 2 / 6, 1 / 7, 0, 0],            # itself; half overlap; a corner; touching edges
        [4 / 16, 4 / 16, 4 / 16, 4 / 16, 0],  # each small box lies inside the 4 × 4 one
        [1 / 4, 0, 0, 0, 0],
        [0, 0, 0, 0, 0],                    # an empty box overlaps nothing, even itself
    ])
    assert torch.allclose(box_iou(a, b), expected, atol=4 * U32)
    assert torch.equal(box_area(a), torch.tensor([4.0, 16, 1, 0]))


def test_encode_decode_round_trip():
    g = torch.Generator().manual_seed(0)
    defaults = torch.rand(500, 2, generator=g, dtype=torch.float64) * 64
    defaults = torch.cat([defaults, defaults + 1 + torch.rand(500, 2, generator=g, dtype=torch.float64) * 40], 1)
    boxes = torch.rand(500, 2, generator=g, dtype=torch.float64) * 64
    boxes = torch.cat([boxes, boxes + 0.5 + torch.rand(500, 2, generator=g, dtype=torch.float64) * 40], 1)
    again = decode_boxes(encode_boxes(boxes, defaults), defaults)
    # a dozen roundings of numbers up to ~110 pixels: each coordinate is off by at most ~12·u·110
    assert (again - boxes).abs().max() <= 12 * U64 * 128
    # a box equal to its default box has zero offsets
    assert encode_boxes(defaults, defaults).abs().max() <= 4 * U64 * 128
    with pytest.raises(ValueError, match="x2 > x1"):
        encode_boxes(torch.tensor([[0.0, 0, 0, 1]]), torch.tensor([[0.0, 0, 1, 1]]))


# --- matching ----------------------------------------------------------------------------

def test_the_books_matching_rule_on_hand_placed_boxes(model):
    boxes = torch.tensor([
        [6.0, 18, 14, 26],      # 8 × 8 at (10, 22): scale 0 (a = 8), cell (⌊22/4⌋, ⌊10/4⌋) = (5, 2), square
        [30.0, 35, 50, 45],     # 20 × 10 at (40, 40): size 20 nearest a = 16: scale 1, cell (5, 5), ratio 2
        [1.0, 0, 11, 30],       # 10 × 30 at (6, 15): size 30 → scale 2 (a = 32), cell (0, 0), ratio 1/3 → 0.5
        [4.0, 4, 12, 12],       # 8 × 8 centred on a corner of cells, (8, 8): the cell below-right, (2, 2)
        [60.0, 60, 70, 70],     # 10 × 10 → scale 0, centre (65, 65) outside the image: clamped to cell (15, 15)
    ])
    a = model.assign(boxes)
    assert a.scale.tolist() == [0, 1, 2, 0, 0]
    assert a.row.tolist() == [5, 5, 0, 2, 15] and a.column.tolist() == [2, 5, 0, 2, 15]
    assert a.ratio.tolist() == [1, 2, 0, 1, 1]
    starts = [0, 768, 960, 1008, 1020]
    expected = [starts[s] + (r * g + c) * 3 + k for s, r, c, k, g in
                zip(a.scale.tolist(), a.row.tolist(), a.column.tolist(), a.ratio.tolist(), [16, 8, 4, 16, 16])]
    assert a.index.tolist() == expected
    # the default box that a box is assigned to contains its centre in its cell
    cell = torch.tensor(model.cell_sizes)[a.scale]
    default = model.default_boxes[a.index]
    centre = (default[:, :2] + default[:, 2:]) / 2
    assert torch.equal(centre, torch.stack([(a.column + 0.5) * cell, (a.row + 0.5) * cell], 1))


def test_scale_boundaries_are_geometric_means(model):
    def scale_of(size):
        return model.assign(torch.tensor([[20.0, 20, 20 + size, 20 + size]])).scale.item()
    for s, (small, large) in enumerate(zip(model.box_sizes, model.box_sizes[1:])):
        boundary = math.sqrt(small * large)
        assert scale_of(boundary * 0.99) == s and scale_of(boundary * 1.01) == s + 1


def test_targets_encode_the_matched_boxes_and_resolve_collisions(model):
    boxes = [torch.tensor([[6.0, 18, 14, 26], [30, 35, 50, 45]]),
             torch.tensor([[6.0, 18, 14, 26], [7, 19, 14, 25]])]            # two boxes on one default box
    labels = [torch.tensor([2, 3]), torch.tensor([1, 4])]
    targets = model.targets(boxes, labels)
    assert targets.labels.shape == (2, 1023) and targets.offsets.shape == (2, 1023, 4)
    slots = model.assign(boxes[0]).index
    assert torch.nonzero(targets.labels[0]).flatten().tolist() == sorted(slots.tolist())
    assert targets.labels[0, slots].tolist() == [2, 3]
    decoded = decode_boxes(targets.offsets[0, slots], model.default_boxes[slots])
    assert torch.allclose(decoded, boxes[0], atol=16 * U32 * 64)
    # the larger box (8 × 8) keeps the default box, the 7 × 6 one is dropped
    assert targets.dropped == 1 and (targets.labels[1] > 0).sum() == 1 and targets.labels[1, slots[0]] == 1


def test_ssds_iou_rule_matches_at_least_the_best_default_box(model):
    scenes = generate_scenes(16, seed=5)
    book = model.targets(scenes.boxes, scenes.labels)
    iou = model.targets(scenes.boxes, scenes.labels, rule="iou")
    objects = sum(len(b) for b in scenes.boxes)
    assert (book.labels > 0).sum() == objects - book.dropped
    assert (iou.labels > 0).sum() >= objects - iou.dropped
    for i, b in enumerate(scenes.boxes):
        best = box_iou(b, model.default_boxes).argmax(1)
        assert (iou.labels[i, best] > 0).all()


# --- non-maximum suppression -----------------------------------------------------------------

def brute_force_nms(boxes, scores, threshold):
    """The definition, with Python floats: walk the boxes by decreasing score; keep one if
    no kept box overlaps it with an IoU above the threshold."""
    def iou(a, b):
        w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
        h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
        union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h
        return w * h / union if union > 0 else 0.0
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    kept = []
    for i in order:
        if all(iou(boxes[i], boxes[j]) <= threshold for j in kept):
            kept.append(i)
    return kept


def test_nms_on_a_hand_made_set():
    boxes = torch.tensor([[0.0, 0, 10, 10],     # A, 0.9
                          [0.0, 2.5, 10, 12.5],  # B, 0.8: IoU(A, B) = 75 / 125 = 0.6 → suppressed
                          [0.0, 5, 10, 15],      # C, 0.7: IoU(A, C) = 1/3 → kept, although B (suppressed) overlaps it
                          [30.0, 30, 40, 40],    # D, 0.95: alone → kept
                          [0.0, 0, 10, 5]])      # E, 0.6: IoU(A, E) = 0.5 exactly: not above 0.5 → kept
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95, 0.6])
    assert nms(boxes, scores, 0.5).tolist() == [3, 0, 2, 4]
    assert nms(boxes, scores, 0.3).tolist() == [3, 0]
    assert nms(boxes[:0], scores[:0], 0.5).tolist() == []
    # per class: B is another class, so A does not suppress it
    labels = torch.tensor([1, 2, 1, 1, 1])
    assert batched_nms(boxes, scores, labels, 0.5).tolist() == [3, 0, 1, 2, 4]


@pytest.mark.parametrize("seed", range(20))
def test_nms_equals_a_brute_force_reference(seed):
    g = torch.Generator().manual_seed(seed)
    k = int(torch.randint(1, 60, (1,), generator=g))
    corner = torch.rand(k, 2, generator=g, dtype=torch.float64) * 40
    boxes = torch.cat([corner, corner + 1 + torch.rand(k, 2, generator=g, dtype=torch.float64) * 20], 1)
    scores = torch.randperm(k, generator=g).double() / k            # distinct scores
    threshold = float(torch.rand(1, generator=g)) * 0.8 + 0.1
    assert nms(boxes, scores, threshold).tolist() == brute_force_nms(boxes.tolist(), scores.tolist(), threshold)


# --- loss ---------------------------------------------------------------------------------

def test_the_loss_trains_positives_and_three_hard_negatives_each():
    torch.manual_seed(0)
    n, b, c = 2, 50, 4
    outputs = torch.randn(n, b, 4 + c + 1, requires_grad=True)
    labels = torch.zeros(n, b, dtype=torch.int64)
    labels[0, [3, 7]] = torch.tensor([1, 4])                       # two positives in image 0, none in image 1
    offsets = torch.randn(n, b, 4)
    loss = detection_loss(outputs, labels, offsets)
    (grad,) = torch.autograd.grad(loss, outputs)
    trained = grad[..., 4:].abs().sum(-1) > 0
    assert trained[0].sum() == 2 + 3 * 2 and trained[1].sum() == 3 * 1        # an image without objects: 3
    assert trained[0, 3] and trained[0, 7]
    # the mined negatives are those with the largest "no object" cross-entropy
    ce = torch.nn.functional.cross_entropy(outputs[0, :, 4:].detach(), torch.zeros(b, dtype=torch.int64),
                                           reduction="none")
    ce[[3, 7]] = -1
    assert set(torch.nonzero(trained[0]).flatten().tolist()) == {3, 7} | set(ce.topk(6).indices.tolist())
    # only the matched boxes get a coordinate gradient
    assert (grad[..., :4].abs().sum(-1) > 0).sum() == 2
    # the value, from its definition (smooth L1, summed, over P = 2)
    chosen = torch.nonzero(trained[0]).flatten()
    ce_all = torch.nn.functional.cross_entropy(outputs[0, chosen, 4:], labels[0, chosen], reduction="sum")
    ce_empty = torch.nn.functional.cross_entropy(outputs[1, trained[1], 4:], labels[1, trained[1]], reduction="sum")
    box = torch.nn.functional.smooth_l1_loss(outputs[0, [3, 7], :4], offsets[0, [3, 7]], reduction="sum")
    expected = (ce_all + ce_empty + box) / 2
    assert abs(loss.item() - expected.item()) <= 64 * U32 * expected.item()
    mse = detection_loss(outputs, labels, offsets, regression="mse")
    expected_mse = (ce_all + ce_empty + (outputs[0, [3, 7], :4] - offsets[0, [3, 7]]).square().sum()) / 2
    assert abs(mse.item() - expected_mse.item()) <= 64 * U32 * expected_mse.item()


# --- decoding end to end ----------------------------------------------------------------------

class Oracle(Detector):
    """A detector whose outputs are the targets themselves: offsets of the matched boxes and
    a logit of 20 for their class (for "no object" elsewhere)."""

    def __init__(self, targets):
        super().__init__()
        self.wanted = targets

    def forward(self, x):
        n = len(x)
        logits = torch.nn.functional.one_hot(self.wanted.labels[:n], 5).float() * 20
        return torch.cat([self.wanted.offsets[:n], logits], -1)


def test_detect_returns_the_matched_boxes_of_perfect_outputs():
    scenes = generate_scenes(24, seed=11)
    oracle = Oracle(Detector().targets(scenes.boxes, scenes.labels)).eval()
    found = oracle.detect(scenes.images)
    kept = oracle.wanted.dropped
    assert sum(len(d.boxes) for d in found) == sum(len(b) for b in scenes.boxes) - kept
    for d, boxes, labels in zip(found, scenes.boxes, scenes.labels):
        assert (d.scores > 0.99).all() and set(d.labels.tolist()) <= set(labels.tolist())
        assert (box_iou(d.boxes, boxes).max(1).values > 1 - 1e-4).all()
    result = mean_average_precision(found, scenes.boxes, scenes.labels)
    assert result.map50 > 0.95


def test_detect_thresholds():
    scenes = generate_scenes(4, seed=3)
    oracle = Oracle(Detector().targets(scenes.boxes, scenes.labels)).eval()
    assert all(len(d.boxes) <= 1 for d in oracle.detect(scenes.images, max_detections=1))
    with pytest.raises(ValueError, match="score_threshold"):
        oracle.detect(scenes.images, score_threshold=1.5)


# --- computations and inputs ----------------------------------------------------------------------

def test_fused_and_books_computations_and_the_torch_twin_agree():
    torch.manual_seed(0)
    model = Detector().eval()
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        fast = model(x)
        twin = torch_twin(model)(x)
        set_fused(model, False)
        slow = model(x)
    # outputs of ~10 layers of sums of at most 576 terms of size ~1: relative rounding ≲ 10·576·u
    bound = 10 * 576 * U32 * fast.abs().max().item()
    assert (fast - slow).abs().max() <= bound and (fast - twin).abs().max() <= bound


def test_bad_inputs_are_refused(model):
    with pytest.raises(ValueError, match="x must have shape"):
        model(torch.rand(2, 3, 32, 32))
    with pytest.raises(ValueError, match="image_size"):
        Detector(image_size=32)
    with pytest.raises(ValueError, match="labels"):
        model.targets([torch.tensor([[0.0, 0, 5, 5]])], [torch.tensor([7])])
    with pytest.raises(ValueError, match="iou_threshold"):
        nms(torch.rand(3, 4), torch.rand(3), 1.5)
