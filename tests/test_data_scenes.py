"""The procedural scenes of Part III (lbdl_book.data.scenes): labels that agree with the
pixels, shapes of the right area, captions, determinism, speed and bad inputs."""

import math
import time

import pytest
import torch

from lbdl_book.data.scenes import COLOURS, SHAPES, Scenes, caption, describe_object, generate_scenes


@pytest.fixture(scope="module")
def scenes() -> Scenes:
    return generate_scenes(300, seed=3)


def test_shapes_types_and_ranges(scenes):
    n, s = 300, 64
    assert scenes.images.shape == (n, 3, s, s) and scenes.images.dtype == torch.float32
    assert 0 <= scenes.images.min() and scenes.images.max() <= 1
    assert scenes.masks.shape == scenes.instances.shape == (n, s, s)
    assert scenes.masks.dtype == scenes.instances.dtype == torch.int64
    assert len(scenes) == len(scenes.boxes) == len(scenes.labels) == len(scenes.colours) == n
    for boxes, labels, colours, sizes, areas in zip(scenes.boxes, scenes.labels, scenes.colours, scenes.sizes,
                                                     scenes.areas):
        k = len(labels)
        assert 1 <= k <= 4 and boxes.shape == (k, 4) and colours.shape == sizes.shape == areas.shape == (k,)
        assert ((1 <= labels) & (labels <= len(SHAPES))).all() and ((0 <= colours) & (colours < len(COLOURS))).all()
        assert ((boxes[:, :2] >= 0) & (boxes[:, 2:] <= s) & (boxes[:, 2:] > boxes[:, :2])).all()


def test_labels_boxes_and_areas_agree_with_the_pixels(scenes):
    """Every labelled object is seen: its pixels in the instance map have its class in the
    mask, its box is their tight box, its area their count; nothing else is labelled."""
    for i in range(len(scenes)):
        indices = scenes.instances[i].unique()
        objects = indices[indices >= 0]
        assert len(objects) == len(scenes.labels[i])
        for j, k in enumerate(objects.tolist()):
            pixels = scenes.instances[i] == k
            rows, cols = pixels.any(1).nonzero()[:, 0], pixels.any(0).nonzero()[:, 0]
            box = [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1]
            assert scenes.boxes[i][j].tolist() == [float(v) for v in box]
            assert scenes.areas[i][j] == pixels.sum() >= 12
            assert (scenes.masks[i][pixels] == scenes.labels[i][j]).all()
        assert (scenes.masks[i][scenes.instances[i] < 0] == 0).all()


def test_each_object_has_one_colour_its_palette_entry_times_a_shade(scenes):
    """The pixels of an object share one RGB value c = min(1, palette · shade) with the
    shade in [0.9, 1.1]: the unclipped components give the same shade, up to the float32
    rounding of one product and one division (4 u relative)."""
    from lbdl_book.data.scenes import RGB

    u = 2.0**-24
    for i in range(50):
        for j, k in enumerate(scenes.instances[i].unique()[1:].tolist()):
            pixels = scenes.images[i][:, scenes.instances[i] == k]          # (3, area)
            assert (pixels == pixels[:, :1]).all()
            c, palette = pixels[:, 0], RGB[scenes.colours[i][j]]
            shade = (c / palette)[c < 1]
            assert shade.max() - shade.min() <= 4 * u * shade.max()
            assert 0.9 * (1 - 4 * u) <= shade.min() and shade.max() <= 1.1 * (1 + 4 * u)
            assert (palette[c == 1] * 1.1 * (1 + 4 * u) >= 1).all()


@pytest.mark.parametrize("shape", range(len(SHAPES)))
def test_the_area_of_each_shape_is_its_geometric_area(shape):
    """A lone object, counted in pixels, has the area of its geometric shape up to the
    pixels its boundary crosses: at most about perimeter × √2 + 4 of them."""
    from lbdl_book.data.scenes import _shape_masks

    size, r = 64, torch.tensor([[14.3]])
    centre, angle = torch.tensor([[31.7]]), torch.tensor([[0.4]])
    covered = _shape_masks(torch.tensor([[shape]]), centre, centre, r, angle, torch.tensor([[True]]), size)
    r = r.item()
    side = 1.2 * r * math.sqrt(3)                                  # triangle of circumradius 1.2 r
    area, perimeter = {
        0: (math.pi * r**2, 2 * math.pi * r),
        1: ((1.6 * r) ** 2, 4 * 1.6 * r),
        2: (math.sqrt(3) / 4 * side**2, 3 * side),
        3: (2 * (0.7 * r) * (2 * r) - (0.7 * r) ** 2, 8 * r),
    }[shape]
    assert abs(covered.sum().item() - area) <= math.sqrt(2) * perimeter + 4


def test_the_same_seed_gives_the_same_scenes_and_another_seed_others():
    a, b, c = generate_scenes(20, seed=5), generate_scenes(20, seed=5), generate_scenes(20, seed=6)
    assert torch.equal(a.images, b.images) and torch.equal(a.masks, b.masks)
    assert all(torch.equal(x, y) for x, y in zip(a.boxes, b.boxes))
    assert not torch.equal(a.images, c.images)


def test_object_counts_follow_the_arguments():
    one = generate_scenes(100, seed=0, max_objects=1)
    assert all(len(labels) == 1 for labels in one.labels)
    many = generate_scenes(200, seed=0, min_objects=3, max_objects=4)
    counts = [len(labels) for labels in many.labels]
    assert max(counts) == 4 and min(counts) >= 1       # occlusion may hide some of the 3-4 drawn
    assert sum(c >= 3 for c in counts) > 150


def test_describe_object_in_both_languages():
    assert describe_object(3, 0, 0, "en") == "a small red triangle"
    assert describe_object(1, 2, 1, "zh") == "蓝色大圆盘"
    assert describe_object(2, 3, 1, "en", with_size=False) == "a yellow square"
    with pytest.raises(ValueError, match="label"):
        describe_object(0, 0, 0, "en")


def hand_made(boxes, labels, colours, sizes, areas) -> Scenes:
    empty = torch.zeros(1, 8, 8, dtype=torch.int64)
    return Scenes(torch.zeros(1, 3, 8, 8), empty, empty - 1, [torch.tensor(boxes, dtype=torch.float32)],
                  [torch.tensor(labels)], [torch.tensor(colours)], [torch.tensor(sizes)], [torch.tensor(areas)])


@pytest.mark.parametrize("second_box, relation_en, relation_zh", [
    ([40, 10, 50, 20], "left of", "左边"), ([0, 10, 8, 20], "right of", "右边"),
    ([10, 40, 20, 50], "above", "上方"), ([10, 0, 20, 6], "below", "下方"),
])
def test_caption_names_the_largest_object_and_where_it_is(second_box, relation_en, relation_zh):
    scene = hand_made([[10, 10, 20, 20], second_box], labels=[3, 1], colours=[0, 2], sizes=[0, 1], areas=[90, 40])
    assert caption(scene, 0, "en") == f"a small red triangle {relation_en} a blue disc"
    assert caption(scene, 0, "zh") == f"蓝色圆盘的{relation_zh}有一个红色小三角形"


def test_caption_of_a_single_object_and_the_order_by_area():
    single = hand_made([[1, 1, 5, 5]], labels=[4], colours=[4], sizes=[1], areas=[30])
    assert caption(single, 0, "en") == "a large purple cross" and caption(single, 0, "zh") == "一个紫色大十字"
    swapped = hand_made([[10, 10, 20, 20], [40, 10, 50, 20]], labels=[3, 1], colours=[0, 2], sizes=[0, 1],
                        areas=[40, 90])
    assert caption(swapped, 0, "en") == "a large blue disc right of a red triangle"


def test_generated_captions_are_sentences(scenes):
    for i in range(20):
        en, zh = caption(scenes, i, "en"), caption(scenes, i, "zh")
        assert en.startswith("a ") and any(shape in en for shape in SHAPES)
        assert "有一个" in zh or zh.startswith("一个")


def test_thousands_of_scenes_per_second_of_cpu_time():
    """CPU time of the process (not wall time): unaffected by other processes on the
    machine. Measured 0.6 s per 1,000 scenes on one core of a 2-core CI machine."""
    generate_scenes(10)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        start = time.process_time()
        generate_scenes(1000, seed=1)
        cpu = time.process_time() - start
    finally:
        torch.set_num_threads(threads)
    assert cpu < 1.0 * 2, f"1,000 scenes took {cpu:.2f} s of CPU time"


@pytest.mark.parametrize("kwargs, error", [
    (dict(n=0), ValueError), (dict(n=2, size=8), ValueError), (dict(n=2, min_objects=3, max_objects=2), ValueError),
    (dict(n=2, seed=-1), ValueError), (dict(n=2, seed=1.5), ValueError), (dict(n="3"), ValueError),
    (dict(n=2, min_visible=-1), ValueError),
])
def test_bad_arguments(kwargs, error):
    with pytest.raises(error):
        generate_scenes(**kwargs)


def test_caption_bad_arguments(scenes):
    with pytest.raises(TypeError, match="scenes"):
        caption("scenes", 0)
    with pytest.raises(ValueError, match="i must be"):
        caption(scenes, len(scenes))
    with pytest.raises(ValueError, match="lang"):
        caption(scenes, 0, "fr")
