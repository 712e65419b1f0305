"""Image classification (LBDL §6.2): the task, its data, its models and its metrics.

A classifier maps an image to C logits, one per class of a fixed list, and is trained by
minimising the cross-entropy (§3.1); its prediction is the class of the largest logit.

**Data.** The procedural scenes of :mod:`lbdl_book.data.scenes` hold one to four objects;
classification is about one. :func:`object_crops` cuts, around every visible object of a
batch of scenes, a square window centred on its box, of side ``margin`` times the longer
side of the box, and resamples it to ``size`` × ``size`` pixels (bilinear interpolation at
``supersample`` times the resolution, then the mean of each ``supersample`` ×
``supersample`` block, so that shrinking does not alias); where the window leaves the
scene, the edge pixels are repeated. Every object then appears at the same place and
about the same size, as in photographs taken of one object each, and the class is the
object's shape (:data:`SHAPES`: disc, square, triangle, cross), index 0 … 3.
:func:`shape_dataset` draws scenes with a single object and crops them. The label is the
shape alone: its colour, size and orientation are left to vary, so that every
augmentation of :mod:`lbdl_book.data.augment` (colour changes included) keeps the label.

**Models.** :func:`shape_resnet` and :func:`shape_vit` build the ResNet and the ViT of
Chapter 5 (:mod:`lbdl_book.models.resnet`, :mod:`lbdl_book.models.vit`) at the size of
these crops: 3 × 16 × 16 images → 4 logits.

**Training.** :func:`train_classifier` trains a model with :func:`lbdl_book.fit`: the
cross-entropy, AdamW, a learning rate that warms up linearly and decays along a cosine,
mini-batches; with an :class:`~lbdl_book.data.augment.Augmentation`, the model is trained
as ``nn.Sequential(augmentation, model)``, which augments in training mode only.

**Metrics.** :func:`predict` gives the predicted classes, :func:`top1_accuracy` the
fraction of images whose largest logit is the true class (:func:`topk_accuracy`: the true
class among the k largest), :func:`confusion_matrix` the (C, C) table whose entry (i, j)
counts the images of class i predicted as j (rows: truth, columns: prediction; the
diagonal holds the correct ones).

:func:`compare_augmentations` measures the effect of data augmentation: the same model
trained from several seeds with and without it, in the low-data regime (:data:`LOW_DATA`:
128 crops). :func:`train_shipped` is the recipe of the shipped weights ``classifier``: both
models trained on 4,096 crops, and the low-data comparison for the ViT, for the page to load
and evaluate (``make weights``).
"""

from __future__ import annotations

import math
import time
from numbers import Real
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from lbdl_book._checks import module, non_negative_int, positive_int
from lbdl_book.data.augment import Augmentation
from lbdl_book.data.scenes import SHAPES, Scenes, generate_scenes
from lbdl_book.models.resnet import ResNet
from lbdl_book.models.vit import ViT
from lbdl_book import train

__all__ = ["AUGMENTATIONS", "CROP_SIZE", "HELD_OUT_SEED", "LOW_DATA", "SHAPES", "SHIPPED", "ObjectCrops",
           "compare_augmentations", "confusion_matrix", "object_crops", "predict", "shape_classifiers",
           "shape_dataset", "shape_resnet", "shape_vit", "top1_accuracy", "topk_accuracy", "train_classifier",
           "train_shipped"]

CROP_SIZE = 16


class ObjectCrops(NamedTuple):
    """One crop per object: ``images`` (M, 3, size, size) in [0, 1], ``labels`` (M,) int64
    shape indices 0 … 3 (:data:`SHAPES`), ``colours`` (M,) and ``sizes`` (M,) as in
    :class:`~lbdl_book.data.scenes.Scenes` (0 = small, 1 = large), ``scene`` (M,) the index
    of the scene each crop comes from."""

    images: torch.Tensor
    labels: torch.Tensor
    colours: torch.Tensor
    sizes: torch.Tensor
    scene: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


def object_crops(scenes: Scenes, size: int = CROP_SIZE, *, margin: float = 1.8, supersample: int = 2) -> ObjectCrops:
    """A ``size`` × ``size`` crop around every visible object of ``scenes``: centred on the
    centre of its box, of side ``margin`` × max(x2 − x1, y2 − y1) scene pixels, resampled
    (see the module docstring). Objects are taken scene by scene, in the order of
    ``scenes.labels``."""
    if not isinstance(scenes, Scenes):
        raise TypeError(f"scenes must be a Scenes batch (from generate_scenes), got {type(scenes).__name__}")
    positive_int(size, "size")
    positive_int(supersample, "supersample")
    if isinstance(margin, bool) or not isinstance(margin, Real) or not 1 <= margin <= 8:
        raise ValueError(f"margin must be a number in [1, 8], got {margin!r}")
    counts = torch.tensor([len(b) for b in scenes.boxes])
    boxes = torch.cat(scenes.boxes) if len(scenes) else torch.zeros(0, 4)
    if len(boxes) == 0:
        raise ValueError("scenes must hold at least one visible object")
    scene = torch.repeat_interleave(torch.arange(len(scenes)), counts)
    height, width = scenes.images.shape[2:]
    side = margin * torch.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    centre_x, centre_y = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
    # affine_grid maps the output square [-1, 1]² to the window, in the scene's coordinates
    # normalised to [-1, 1] (align_corners=False: -1 and 1 are the outer edges of the image).
    theta = torch.zeros(len(boxes), 2, 3)
    theta[:, 0, 0], theta[:, 1, 1] = side / width, side / height
    theta[:, 0, 2], theta[:, 1, 2] = 2 * centre_x / width - 1, 2 * centre_y / height - 1
    fine = size * supersample
    grid = F.affine_grid(theta, [len(boxes), 3, fine, fine], align_corners=False)
    images = F.grid_sample(scenes.images[scene], grid, mode="bilinear", padding_mode="border", align_corners=False)
    images = F.avg_pool2d(images, supersample) if supersample > 1 else images
    return ObjectCrops(images.clamp(0, 1), torch.cat(scenes.labels) - 1, torch.cat(scenes.colours),
                       torch.cat(scenes.sizes), scene)


def shape_dataset(n: int, *, seed: int, size: int = CROP_SIZE) -> ObjectCrops:
    """``n`` crops of ``size`` × ``size`` pixels, one per scene of 64 × 64 pixels holding a
    single object (``generate_scenes(n, seed=seed, max_objects=1)``)."""
    positive_int(n, "n")
    return object_crops(generate_scenes(n, seed=seed, min_objects=1, max_objects=1), size)


def shape_resnet(*, image_size: int = CROP_SIZE, fused: bool = True) -> ResNet:
    """The ResNet of §5.2 for 3 × 16 × 16 crops and the 4 shapes: a 3 × 3 convolution to 16
    channels (stride 1, no pooling), three stages of one downscaling block each (stride 2,
    16, 32 and 64 output channels, bottleneck widths 4, 8 and 16: 16 → 8 → 4 → 2 pixels),
    average pooling and a linear layer to 4 logits; 9,172 parameters."""
    return ResNet((1, 1, 1), (16, 32, 64), (2, 2, 2), in_channels=3, num_classes=len(SHAPES), image_size=image_size,
                  stem_channels=16, stem_kernel_size=3, stem_stride=1, stem_pool=False, fused=fused)


def shape_vit(*, image_size: int = CROP_SIZE, fused: bool = True) -> ViT:
    """The ViT of §5.3.3 for 3 × 16 × 16 crops and the 4 shapes: patches of 4 × 4 pixels
    (16 patches of 48 values, 17 tokens), D = 32, 4 heads, 2 layers, feed-forward width 64,
    a linear read-out to 4 logits; 19,428 parameters."""
    return ViT(image_size, 4, 3, len(SHAPES), dim=32, num_heads=4, num_layers=2, mlp_dim=64, fused=fused)


def _check_logits(logits, targets) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(f"logits must be a floating-point tensor of shape (N, C), got "
                        f"{logits.dtype if isinstance(logits, torch.Tensor) else type(logits).__name__}")
    if not isinstance(targets, torch.Tensor) or targets.is_floating_point() or targets.dtype == torch.bool:
        raise TypeError(f"targets must be an integer tensor of shape (N,), got "
                        f"{targets.dtype if isinstance(targets, torch.Tensor) else type(targets).__name__}")
    if logits.dim() != 2 or logits.shape[0] == 0 or logits.shape[1] == 0 or targets.shape != logits.shape[:1]:
        raise ValueError(f"logits must have shape (N, C) with N, C >= 1 and targets shape (N,), got "
                         f"{tuple(logits.shape)} and {tuple(targets.shape)}")
    if (targets < 0).any() or (targets >= logits.shape[1]).any():
        raise ValueError(f"targets must be classes in [0, C) = [0, {logits.shape[1]}), got values in "
                         f"[{targets.min().item()}, {targets.max().item()}]")
    return logits, targets


def topk_accuracy(logits: torch.Tensor, targets: torch.Tensor, k: int = 1) -> float:
    """The fraction of the N samples whose true class ``targets`` (N,) is among the ``k``
    largest of their ``logits`` (N, C). Ties are broken by ``torch.topk``."""
    _check_logits(logits, targets)
    positive_int(k, "k")
    if k > logits.shape[1]:
        raise ValueError(f"k must be at most the number of classes C = {logits.shape[1]}, got {k}")
    top = logits.topk(k, dim=1).indices
    return (top == targets.to(top.device)[:, None]).any(dim=1).float().mean().item()


def top1_accuracy(logits: torch.Tensor, targets: torch.Tensor) -> float:
    """The fraction of the N samples whose largest logit (N, C) is that of their class ``targets`` (N,)."""
    return topk_accuracy(logits, targets, 1)


def confusion_matrix(predictions: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """(C, C) int64 counts: entry (i, j) is the number of samples of true class i
    (``targets`` (N,)) predicted as j (``predictions`` (N,)), C = ``num_classes``. Row i sums
    to the number of samples of class i; the trace is the number of correct predictions."""
    positive_int(num_classes, "num_classes")
    for name, value in (("predictions", predictions), ("targets", targets)):
        if not isinstance(value, torch.Tensor) or value.is_floating_point() or value.dtype == torch.bool \
                or value.is_complex():
            raise TypeError(f"{name} must be an integer tensor of shape (N,), got "
                            f"{value.dtype if isinstance(value, torch.Tensor) else type(value).__name__}")
        if value.dim() != 1:
            raise ValueError(f"{name} must have shape (N,), got {tuple(value.shape)}")
        if value.numel() and ((value < 0).any() or (value >= num_classes).any()):
            raise ValueError(f"{name} must hold classes in [0, {num_classes}), got values in "
                             f"[{value.min().item()}, {value.max().item()}]")
    if predictions.shape != targets.shape:
        raise ValueError(f"predictions and targets must have the same shape, got {tuple(predictions.shape)} and "
                         f"{tuple(targets.shape)}")
    index = targets.cpu().long() * num_classes + predictions.cpu().long()
    return torch.bincount(index, minlength=num_classes * num_classes).view(num_classes, num_classes)


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, *, batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """The logits (N, C) and predicted classes (N,) of ``model`` on ``images`` (N, ...), in
    evaluation mode, on the model's device; returned on the CPU."""
    module(model, "model")
    if not isinstance(images, torch.Tensor) or not images.is_floating_point():
        raise TypeError("images must be a floating-point tensor")
    if images.dim() == 0 or len(images) == 0:
        raise ValueError(f"images must hold at least one image, got shape {tuple(images.shape)}")
    positive_int(batch_size, "batch_size")
    logits = train.predict(model, images, batch_size=batch_size, each=lambda y: y.float())
    return logits, logits.argmax(dim=1)


def train_classifier(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, *, epochs: int,
                     augmentation: Augmentation | None = None, batch_size: int = 32, lr: float = 3e-3,
                     weight_decay: float = 0.05, seed: int = 0, device=None) -> dict:
    """Train ``model`` on ``images`` (N, 3, H, W) and ``labels`` (N,) with :func:`lbdl_book.fit`:
    cross-entropy, AdamW (``lr``, ``weight_decay``), mini-batches of ``batch_size`` drawn in
    the order of ``seed``, a linear warm-up over the first tenth of the steps and a cosine
    decay to 0. With ``augmentation``, the model is trained behind it, each batch augmented
    afresh. Returns ``{"history", "seconds" (CPU time of the process), "steps"}``."""
    from lbdl_book.losses import cross_entropy
    from lbdl_book.schedules import warmup_cosine
    from lbdl_book.train import fit

    module(model, "model")
    if not isinstance(images, torch.Tensor) or not images.is_floating_point() or images.dim() != 4 or not len(images):
        raise TypeError(f"images must be a floating-point tensor of shape (N, C, H, W) with N >= 1, got "
                        f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__}")
    if (not isinstance(labels, torch.Tensor) or labels.is_floating_point() or labels.dtype == torch.bool
            or labels.shape != images.shape[:1]):
        raise TypeError(f"labels must be an integer tensor of shape (N,) = ({len(images)},), got "
                        f"{tuple(labels.shape) if isinstance(labels, torch.Tensor) else type(labels).__name__}")
    positive_int(epochs, "epochs")
    positive_int(batch_size, "batch_size")
    if augmentation is not None and not isinstance(augmentation, Augmentation):
        raise TypeError(f"augmentation must be an Augmentation or None, got {type(augmentation).__name__}")
    steps = math.ceil(len(images) / batch_size) * epochs
    schedule = _schedule(lr, steps, warmup_cosine) if steps > 1 else None      # one step: nothing to schedule
    trained = model if augmentation is None else nn.Sequential(augmentation, model)
    start = time.process_time()
    history = fit(trained, cross_entropy, (images, labels), epochs=epochs, lr=lr, batch_size=batch_size,
                  optimizer="adamw", weight_decay=weight_decay, schedule=schedule, seed=seed, device=device,
                  progress=False)
    return {"history": history, "seconds": time.process_time() - start, "steps": steps}


def _schedule(lr: float, steps: int, warmup_cosine):
    def rate(step: int) -> float:
        return warmup_cosine(step, lr=lr, warmup_steps=max(1, steps // 10), total_steps=steps)
    return rate


# --- augmentation in the low-data regime, and the shipped weights ---------------------------

HELD_OUT_SEED = 6209          # the held-out crops of the page and of the recipe (never trained on)
LOW_DATA = {"train_images": 128, "train_seed": 6201, "batch_size": 32, "seeds": (0, 1, 2)}
# The augmentations compared: mirroring and colour changes (they keep the shape and the
# crops' alignment), and the same with a shift of up to 1 pixel and a zoom in [0.9, 1.1].
AUGMENTATIONS = {"mirror_colour": {"flip": 0.5, "hue": 0.5, "brightness": 0.2, "contrast": 0.2, "saturation": 0.2},
                 "all": {"padding": 1, "scale": (0.9, 1.1), "flip": 0.5, "hue": 0.5, "brightness": 0.2,
                         "contrast": 0.2, "saturation": 0.2}}
SHIPPED = {"train_images": 4096, "train_seed": 6203, "epochs": 30, "batch_size": 64, "lr": 3e-3,
           "weight_decay": 0.05, "test_images": 1000, "augmentation": "mirror_colour", "low_data_vit_epochs": 150}


def compare_augmentations(build, train: ObjectCrops, test: ObjectCrops, augmentations: dict, *, epochs: int,
                          seeds=(0, 1, 2), batch_size: int = 32) -> dict[str, list[float]]:
    """Train a fresh ``build()`` model on ``train`` for every seed and every entry of
    ``augmentations`` (name → keyword arguments of :class:`Augmentation`, or None for no
    augmentation) with :func:`train_classifier`, and return, per name, the top-1 accuracy
    on ``test`` of each seed's model. Seed s fixes the initial weights
    (``torch.manual_seed(s)``), the order of the mini-batches and the augmentation's draws."""
    from lbdl_book.config import seed_everything

    if not callable(build):
        raise TypeError(f"build must be a callable returning a model, got {type(build).__name__}")
    for name, value in (("train", train), ("test", test)):
        if not isinstance(value, ObjectCrops):
            raise TypeError(f"{name} must be ObjectCrops (from object_crops or shape_dataset), got "
                            f"{type(value).__name__}")
    if not isinstance(augmentations, dict) or not augmentations:
        raise TypeError(f"augmentations must be a non-empty dict name -> kwargs or None, got {augmentations!r}")
    if not isinstance(seeds, (tuple, list)) or not seeds:
        raise ValueError(f"seeds must be a non-empty tuple of ints, got {seeds!r}")
    seeds = [non_negative_int(s, "seeds") for s in seeds]
    positive_int(epochs, "epochs")
    results = {}
    for name, kwargs in augmentations.items():
        if kwargs is not None and not isinstance(kwargs, dict):
            raise TypeError(f"augmentations[{name!r}] must be a dict of Augmentation arguments or None")
        accuracies = []
        for seed in seeds:
            seed_everything(seed)
            model = build()
            augmentation = None if kwargs is None else Augmentation(**kwargs, seed=seed)
            train_classifier(model, train.images, train.labels, epochs=epochs, augmentation=augmentation,
                             batch_size=batch_size, seed=seed)
            logits, _ = predict(model, test.images)
            accuracies.append(top1_accuracy(logits, test.labels))
        results[name] = accuracies
    return results


def shape_classifiers() -> nn.ModuleDict:
    """The two shipped models, ``{"resnet": shape_resnet(), "vit": shape_vit()}``."""
    return nn.ModuleDict({"resnet": shape_resnet(), "vit": shape_vit()})


def train_shipped(quick: bool = False) -> tuple[nn.ModuleDict, dict]:
    """The recipe of the shipped weights ``classifier``: :func:`shape_resnet` and
    :func:`shape_vit` trained with :func:`train_classifier` on ``SHIPPED["train_images"]``
    crops (seed ``train_seed``) with the augmentation ``AUGMENTATIONS[SHIPPED["augmentation"]]``,
    and evaluated on ``test_images`` held-out crops (seed :data:`HELD_OUT_SEED`). It also
    runs the low-data comparison for the ViT, too slow for the page: :func:`compare_augmentations`
    on the ``LOW_DATA`` crops, without augmentation and with each of :data:`AUGMENTATIONS`,
    ``low_data_vit_epochs`` epochs, and records the accuracies. ``quick``: a few steps of each."""
    from lbdl_book._checks import boolean
    from lbdl_book.config import device, seed_everything

    boolean(quick, "quick")
    recipe = dict(SHIPPED, **({"train_images": 64, "epochs": 2, "test_images": 32, "low_data_vit_epochs": 2}
                              if quick else {}))
    where = device()
    models = shape_classifiers()
    train = shape_dataset(recipe["train_images"], seed=recipe["train_seed"])
    test = shape_dataset(recipe["test_images"], seed=HELD_OUT_SEED)
    info = {"recipe": recipe, "held_out_seed": HELD_OUT_SEED, "device": str(where)}
    for name, model in models.items():
        seed_everything(0)
        result = train_classifier(model, train.images, train.labels, epochs=recipe["epochs"],
                                  augmentation=Augmentation(**AUGMENTATIONS[recipe["augmentation"]], seed=0),
                                  batch_size=recipe["batch_size"], lr=recipe["lr"],
                                  weight_decay=recipe["weight_decay"], device=where)
        model.cpu()
        logits, _ = predict(model, test.images)
        info[name] = {"parameters": sum(p.numel() for p in model.parameters()), "steps": result["steps"],
                      "cpu_seconds": round(result["seconds"], 1),
                      "train_loss": round(result["history"].last("train_loss"), 5),
                      "test_accuracy": round(top1_accuracy(logits, test.labels), 5)}
    low = shape_dataset(LOW_DATA["train_images"] if not quick else 32, seed=LOW_DATA["train_seed"])
    start = time.process_time()
    accuracies = compare_augmentations(shape_vit, low, test, {"none": None, **AUGMENTATIONS},
                                       epochs=recipe["low_data_vit_epochs"],
                                       seeds=LOW_DATA["seeds"] if not quick else (0,),
                                       batch_size=LOW_DATA["batch_size"])
    info["low_data_vit"] = {"accuracies": {k: [round(a, 5) for a in v] for k, v in accuracies.items()},
                            "cpu_seconds": round(time.process_time() - start, 1)}
    return models.cpu(), info
