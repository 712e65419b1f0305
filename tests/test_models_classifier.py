"""Image classification (§6.2, lbdl_book.models.classifier): the object crops on a
hand-made scene and on generated ones, the two models (shapes, exact parameter counts),
top-k accuracy and the confusion matrix on hand-made cases and against references
(a rank count, scikit-learn), prediction, a short training run and the errors.

Tolerances. A crop whose window falls on pixel centres samples the scene exactly, up to
the rounding of the sampling grid: affine_grid and grid_sample compute each coordinate
with a few float32 operations on numbers of magnitude up to the image side S, so each
bilinear weight is off by about 8·S·u and a pixel by that times the largest pixel value
(1). Counts and accuracies are compared exactly: they are ratios of integers.
"""


import pytest
import torch
from sklearn.metrics import confusion_matrix as sk_confusion

from _bounds import assert_within, chain, chain_sizes
from lbdl_book.data.augment import Augmentation
from lbdl_book.data.scenes import SHAPES, Scenes, generate_scenes
from lbdl_book.models.classifier import (CROP_SIZE, confusion_matrix, object_crops, predict, shape_dataset,
                                         shape_resnet, shape_vit, top1_accuracy, topk_accuracy, train_classifier)

U32 = 2.0**-24


def count(module) -> int:
    return sum(p.numel() for p in module.parameters())


def one_square_scene(side=32, box=(8, 8, 16, 16)):
    """A black scene of side ``side`` with a white-to-grey gradient square at ``box``
    (x1, y1, x2, y2), class 2 (square)."""
    image = torch.zeros(1, 3, side, side)
    x1, y1, x2, y2 = box
    ramp = torch.linspace(0.2, 1.0, (y2 - y1) * (x2 - x1)).view(y2 - y1, x2 - x1)
    image[0, :, y1:y2, x1:x2] = ramp
    mask = torch.zeros(1, side, side, dtype=torch.long)
    mask[0, y1:y2, x1:x2] = 2
    return Scenes(image, mask, mask - 1, [torch.tensor([list(map(float, box))])], [torch.tensor([2])],
                  [torch.tensor([0])], [torch.tensor([1])], [torch.tensor([float((x2 - x1) * (y2 - y1))])])


# --- object crops -------------------------------------------------------------------------

def test_a_crop_on_pixel_centres_is_the_window_of_the_scene():
    scene = one_square_scene()
    # margin 2 around a box of side 8 centred at (12, 12): the window [4, 20)², 16 pixels for 16 outputs
    crops = object_crops(scene, 16, margin=2.0, supersample=1)
    bound = 8 * 32 * U32                      # grid rounding (module docstring), pixel values ≤ 1
    assert crops.images.shape == (1, 3, 16, 16)
    assert torch.allclose(crops.images[0], scene.images[0, :, 4:20, 4:20], rtol=0, atol=bound)
    # supersampling by 2 at half the size: the mean of each 2 × 2 block of that window
    half = object_crops(scene, 8, margin=2.0, supersample=2)
    blocks = scene.images[0, :, 4:20, 4:20].reshape(3, 8, 2, 8, 2).mean((2, 4))
    assert torch.allclose(half.images[0], blocks, rtol=0, atol=bound)
    assert crops.labels.tolist() == [1] and crops.scene.tolist() == [0]       # square: class 2 → index 1


def test_a_window_that_leaves_the_scene_repeats_the_edge_pixels():
    scene = one_square_scene(box=(0, 0, 8, 8))
    crops = object_crops(scene, 16, margin=2.0, supersample=1)               # window [-4, 12)²
    bound = 8 * 32 * U32
    inside = scene.images[0, :, 0:12, 0:12]
    assert torch.allclose(crops.images[0, :, 4:, 4:], inside, rtol=0, atol=bound)
    assert torch.allclose(crops.images[0, :, :4, 4:], inside[:, :1].expand(3, 4, 12), rtol=0, atol=bound)
    assert torch.allclose(crops.images[0, :, 4:, :4], inside[:, :, :1].expand(3, 12, 4), rtol=0, atol=bound)


def test_crops_of_generated_scenes_one_per_visible_object():
    scenes = generate_scenes(12, seed=3)
    crops = object_crops(scenes)
    m = sum(len(b) for b in scenes.boxes)
    assert len(crops) == m and crops.images.shape == (m, 3, CROP_SIZE, CROP_SIZE)
    assert crops.images.min() >= 0 and crops.images.max() <= 1
    assert torch.equal(crops.labels, torch.cat(scenes.labels) - 1)
    assert torch.equal(crops.colours, torch.cat(scenes.colours)) and torch.equal(crops.sizes, torch.cat(scenes.sizes))
    per_scene = torch.tensor([len(b) for b in scenes.boxes])
    assert torch.equal(crops.scene, torch.repeat_interleave(torch.arange(12), per_scene))


def test_shape_dataset_is_seeded_and_holds_one_crop_per_scene():
    a, b, c = shape_dataset(40, seed=5), shape_dataset(40, seed=5), shape_dataset(40, seed=6)
    assert len(a) == 40 and a.images.shape == (40, 3, CROP_SIZE, CROP_SIZE)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, c.images)
    assert set(a.labels.tolist()) <= set(range(len(SHAPES))) and torch.equal(a.scene, torch.arange(40))


def test_object_crops_rejects_bad_inputs():
    with pytest.raises(TypeError, match="scenes"):
        object_crops(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="margin"):
        object_crops(one_square_scene(), margin=0.5)
    with pytest.raises(ValueError, match="size"):
        object_crops(one_square_scene(), 0)
    with pytest.raises(ValueError, match="n"):
        shape_dataset(0, seed=1)


# --- the models ---------------------------------------------------------------------------

def test_shape_resnet_shapes_and_exact_parameter_count():
    model = shape_resnet()
    # stem: conv 3→16 (3×3, no bias) + BN; each stage (in c, bottleneck b, out o): 1×1 c→b, 3×3 b→b, 1×1 b→o,
    # three BNs, and a 1×1 stride-2 projection c→o with its BN; head: linear 64→4.
    stem = 3 * 16 * 9 + 2 * 16

    def stage(c, b, o):
        return c * b + b * b * 9 + b * o + 2 * (b + b + o) + c * o + 2 * o

    expected = stem + stage(16, 4, 16) + stage(16, 8, 32) + stage(32, 16, 64) + 64 * 4 + 4
    assert count(model) == expected == 9_172
    assert model(torch.rand(5, 3, 16, 16)).shape == (5, 4)


def test_shape_vit_shapes_and_exact_parameter_count():
    model = shape_vit()
    d, tokens, mlp, layers = 32, 16 + 1, 64, 2
    embed = (4 * 4 * 3) * d + d + d + tokens * d                              # patches, class token, positions
    layer = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * mlp + mlp) + (mlp * d + d)
    expected = embed + layers * layer + 2 * d + d * 4 + 4
    assert count(model) == expected == 19_428
    assert model(torch.rand(5, 3, 16, 16)).shape == (5, 4)


# --- metrics ------------------------------------------------------------------------------

def test_topk_accuracy_on_a_hand_made_case():
    logits = torch.tensor([[0.1, 0.9, 0.0], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    targets = torch.tensor([1, 1, 0, 2])
    # ranks of the true class: 1, 2, 3, 3
    assert top1_accuracy(logits, targets) == 0.25
    assert topk_accuracy(logits, targets, 2) == 0.5
    assert topk_accuracy(logits, targets, 3) == 1.0


def test_topk_accuracy_against_a_rank_count():
    g = torch.Generator().manual_seed(0)
    logits, targets = torch.randn(500, 7, generator=g), torch.randint(0, 7, (500,), generator=g)
    # continuous random logits have no ties: the true class is in the top k iff fewer than k logits beat it
    beaten_by = (logits > logits.gather(1, targets[:, None])).sum(1)
    for k in range(1, 8):
        assert topk_accuracy(logits, targets, k) == (beaten_by < k).float().mean().item()
    assert top1_accuracy(logits, targets) == (logits.argmax(1) == targets).float().mean().item()


def test_confusion_matrix_on_a_hand_made_case_and_against_scikit_learn():
    predictions, targets = torch.tensor([0, 1, 1, 2, 0, 2]), torch.tensor([0, 1, 2, 2, 1, 2])
    assert confusion_matrix(predictions, targets, 3).tolist() == [[1, 0, 0], [1, 1, 0], [0, 1, 2]]
    g = torch.Generator().manual_seed(1)
    predictions, targets = torch.randint(0, 5, (300,), generator=g), torch.randint(0, 5, (300,), generator=g)
    matrix = confusion_matrix(predictions, targets, 5)
    assert matrix.tolist() == sk_confusion(targets.numpy(), predictions.numpy(), labels=list(range(5))).tolist()
    assert torch.equal(matrix.sum(1), torch.bincount(targets, minlength=5))
    assert matrix.trace().item() == (predictions == targets).sum().item()
    assert confusion_matrix(torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long), 2).tolist() == \
        [[0, 0], [0, 0]]


def test_metrics_reject_bad_inputs():
    logits, targets = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    with pytest.raises(TypeError, match="logits"):
        topk_accuracy(logits.long(), targets)
    with pytest.raises(TypeError, match="targets"):
        topk_accuracy(logits, targets.float())
    with pytest.raises(ValueError, match="targets"):
        topk_accuracy(logits, torch.tensor([0, 1, 3, 0]))
    with pytest.raises(ValueError, match="k"):
        topk_accuracy(logits, targets, 4)
    with pytest.raises(ValueError):
        topk_accuracy(logits, targets[:3])
    with pytest.raises(TypeError, match="predictions"):
        confusion_matrix(targets.float(), targets, 3)
    with pytest.raises(ValueError, match="targets"):
        confusion_matrix(targets, targets + 1, 3)
    with pytest.raises(ValueError, match="same shape"):
        confusion_matrix(targets, targets[:3], 3)
    with pytest.raises(ValueError, match="num_classes"):
        confusion_matrix(targets, targets, 0)


# --- prediction and training --------------------------------------------------------------

def test_predict_is_the_argmax_in_evaluation_mode_and_restores_the_mode():
    torch.manual_seed(0)
    model = shape_resnet().train()
    images = torch.rand(10, 3, 16, 16)
    logits, classes = predict(model, images, batch_size=3)
    assert model.training
    with torch.no_grad():
        expected = model.eval()(images)
    # batches of 3 vs 10 in evaluation mode: the same per-image computation (no batch statistics), up to the
    # order of the sums inside the kernels: the chain bound, stages and longest sum read off the layers run
    stages, terms = chain_sizes(model.eval(), images)
    assert_within(logits, expected, chain(expected, stages=stages, terms=terms))
    assert torch.equal(classes, logits.argmax(1))


def test_a_short_training_run_lowers_the_loss_with_and_without_augmentation():
    data = shape_dataset(64, seed=9)
    for augmentation in (None, Augmentation(flip=0.5, hue=0.5, seed=0)):
        torch.manual_seed(0)
        model = shape_resnet()
        result = train_classifier(model, data.images, data.labels, epochs=6, augmentation=augmentation, batch_size=16)
        losses = result["history"]["train_loss"]
        assert result["steps"] == 6 * 4 and len(losses) == 6
        assert losses[-1] < losses[0]
        assert not isinstance(model, torch.nn.Sequential)               # the model itself is trained, not a copy
    with pytest.raises(TypeError, match="augmentation"):
        train_classifier(shape_resnet(), data.images, data.labels, epochs=1, augmentation=lambda x: x)
    with pytest.raises(ValueError, match="epochs"):
        train_classifier(shape_resnet(), data.images, data.labels, epochs=0)


def test_compare_augmentations_is_reproducible_and_reports_every_seed():
    from lbdl_book.models.classifier import AUGMENTATIONS, compare_augmentations, shape_classifiers, train_shipped

    train, test = shape_dataset(16, seed=2), shape_dataset(16, seed=3)
    variants = {"none": None, "mirror_colour": AUGMENTATIONS["mirror_colour"]}
    first = compare_augmentations(shape_resnet, train, test, variants, epochs=1, seeds=(0, 1), batch_size=8)
    again = compare_augmentations(shape_resnet, train, test, variants, epochs=1, seeds=(0, 1), batch_size=8)
    assert first == again and list(first) == ["none", "mirror_colour"]
    # each accuracy is a count out of 16 test crops
    assert all(len(v) == 2 and all(float(a * 16).is_integer() for a in v) for v in first.values())
    with pytest.raises(TypeError, match="augmentations"):
        compare_augmentations(shape_resnet, train, test, {}, epochs=1)
    with pytest.raises(TypeError, match="train"):
        compare_augmentations(shape_resnet, train.images, test, variants, epochs=1)
    assert set(shape_classifiers()) == {"resnet", "vit"}
    with pytest.raises(TypeError, match="quick"):
        train_shipped("yes")
