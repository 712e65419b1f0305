"""Conditioning and guidance of a diffusion model (LBDL §7.2, "Conditioning"), built on
the DDPM core of :mod:`lbdl_book.models.diffusion`.

**What LBDL says.** A diffusion model can be conditioned on a label or a text. For text,
the model of Nichol et al. (2021, GLIDE) adds to the mean of the reverse step (Eq. 7.1)
a bias along the gradient of a CLIP matching score between the image and the text
(§6.6), so that every step moves the sample a little towards images that CLIP finds
close to the prompt.

**CLIP-gradient guidance** (:func:`clip_guidance`, plugged into the ``mean_shift`` hook
of :func:`~lbdl_book.models.diffusion.ddpm_sample`). At step t, the denoiser's ε̂ gives
the predicted clean signal x̂_0 = (x_t − √(1 − ᾱ_t) ε̂) / √ᾱ_t. Its pixels, upsampled
from 32 × 32 to the 64 × 64 of the shipped CLIP, are scored against the prompt's text
embedding g(prompt):

    score(x̂_0) = s_CLIP · f(up(pixels(x̂_0))) · g(prompt)     (a scaled cosine similarity)

and the mean of Eq. 7.1 becomes μ_θ(x_t, t) + λ σ_t² ∇ score(x̂_0), λ the *guidance
strength*. The gradient is taken with respect to x̂_0 and applied to x_t: the path
through the denoiser (∂ε̂/∂x_t) is ignored, which saves a backward pass through the
U-Net (a common shortcut; GLIDE instead trains a CLIP on noisy images and differentiates
at x_t). The factor σ_t² (the variance of the step) makes the push strong early, when
the sample is still mostly noise, and faint at the last steps, as in classifier guidance.

**The scene model** (:class:`SceneModels`, shipped as ``guided_scenes``): an
unconditional :class:`~lbdl_book.models.diffusion.UNet` on 32 × 32 scenes that hold one
large object (:func:`object_scenes`, from :func:`lbdl_book.data.scenes.generate_scenes`),
T = 50 steps of the linear schedule; and an independent **judge**
(:class:`SceneJudge`), a small CNN trained on generated scenes with their exact labels,
which reads the colour (5 classes) and the shape (4 classes) of the object in an image.
The judge, not CLIP, decides whether a sample matches its prompt (:func:`match_rate`).

**Classifier-free guidance** [Ho and Salimans, 2022] lives in
:func:`~lbdl_book.models.diffusion.ddpm_sample` (``guidance_scale``); :func:`class_match`
measures it on the shipped class-conditional digit model. **DDIM** [Song et al., 2021]
(:func:`ddim_sample`) samples the same model with fewer, deterministic steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import boolean, module, non_negative_int, positive_int, tensor
from ..data.scenes import COLOURS, SHAPES, generate_scenes
from ..nn.fused import set_fused
from .clip import _image_encoder
from .diffusion import NoiseSchedule, UNet, to_pixels, to_signal, train_diffusion
from ..weights import round_to_float16

__all__ = ["SCENES", "SIZE", "TRAIN_SEED", "JUDGE_SEED", "TEST_SEED", "object_scenes", "SceneJudge", "judge_loss",
           "SceneModels", "scene_models", "scene_schedule", "clip_scores", "clip_guidance", "match_rate",
           "class_match", "within_class_variance", "ddim_sample", "train_shipped"]

SIZE = 32                                    # the side of the scene images the diffusion model makes
TRAIN_SEED, JUDGE_SEED, TEST_SEED = 7201, 7202, 7203
# The shipped scene model: its U-Net, its schedule and its training; the judge's training.
SCENES = {"widths": (16, 32, 48), "emb_dim": 64, "time_dim": 32, "steps": 50, "kind": "linear",
          "train_images": 8_000, "train_steps": 1_800, "batch_size": 32, "lr": 2e-3, "average": 0.995,
          "judge_widths": (16, 32, 64), "judge_images": 4_000, "judge_epochs": 8}


def object_scenes(n: int, seed: int, size: int = SIZE) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n`` scenes of ``size`` × ``size`` pixels holding one **large** object each, from
    :func:`~lbdl_book.data.scenes.generate_scenes` (``max_objects=1``; the scenes whose
    object is small are skipped, batch k drawn from seed ``seed + 1000·k``). Returns
    ``images`` (n, 3, size, size) in [0, 1], ``colours`` (n,) indices of :data:`COLOURS`
    and ``shapes`` (n,) 0 … 3, the index in :data:`SHAPES` (label − 1)."""
    positive_int(n, "n")
    non_negative_int(seed, "seed")
    positive_int(size, "size")
    images, colours, shapes, k = [], [], [], 0
    while sum(len(i) for i in images) < n:
        scenes = generate_scenes(2 * n + 16, size=size, seed=seed + 1000 * k, max_objects=1, min_visible=1)
        keep = [i for i, s in enumerate(scenes.sizes) if len(s) == 1 and s[0].item() == 1]
        keep = keep[:n - sum(len(i) for i in images)]
        images.append(scenes.images[keep])
        colours += [scenes.colours[i][0].item() for i in keep]
        shapes += [scenes.labels[i][0].item() - 1 for i in keep]
        k += 1
    return torch.cat(images), torch.tensor(colours), torch.tensor(shapes)


class SceneJudge(nn.Module):
    """The independent judge of generated scenes: a small CNN (conv 3×3 → BN → ReLU
    stages of ``widths`` channels, 2 × 2 max poolings between them, a max pooling over the
    last map, a linear layer) that maps images (N, 3, S, S) in [0, 1] to 9 logits: the
    first 5 for the colour (:data:`COLOURS`), the last 4 for the shape (:data:`SHAPES`).
    S must be a multiple of 2^(len(widths) − 1)."""

    def __init__(self, widths: Sequence[int] = SCENES["judge_widths"], size: int = SIZE, *, fused: bool = True):
        super().__init__()
        from .._checks import positive_ints

        widths = positive_ints(widths, "widths")
        positive_int(size, "size")
        side = size // 2 ** (len(widths) - 1)
        if side < 1 or side * 2 ** (len(widths) - 1) != size:
            raise ValueError(f"size must be a multiple of 2**(len(widths) - 1) = {2 ** (len(widths) - 1)}, "
                             f"got {size}")
        self.size = size
        self.body = _image_encoder(size, widths, len(COLOURS) + len(SHAPES))     # CLIP's image encoder, §6.6
        set_fused(self, fused)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        tensor(images, "images", floating=True)
        if images.dim() != 4 or images.shape[1:] != (3, self.size, self.size):
            raise ValueError(f"images must have shape (N, 3, {self.size}, {self.size}), got {tuple(images.shape)}")
        return self.body(images)

    @torch.no_grad()
    def read(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """(colour, shape, p_colour, p_shape): the judge's colour and shape classes of each
        image and the probabilities it gives them, (N,) each."""
        logits = self(images)
        pc, c = logits[:, :len(COLOURS)].softmax(1).max(1)
        ps, s = logits[:, len(COLOURS):].softmax(1).max(1)
        return c, s, pc, ps


def judge_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The sum of the colour and the shape cross-entropies: ``logits`` (N, 9) of a
    :class:`SceneJudge`, ``targets`` (N, 2) int64 (colour, shape)."""
    tensor(logits, "logits", floating=True)
    tensor(targets, "targets")
    if logits.dim() != 2 or logits.shape[1] != len(COLOURS) + len(SHAPES):
        raise ValueError(f"logits must have shape (N, {len(COLOURS) + len(SHAPES)}), got {tuple(logits.shape)}")
    if targets.dtype != torch.int64 or targets.shape != (len(logits), 2):
        raise ValueError(f"targets must be int64 of shape ({len(logits)}, 2), got {targets.dtype} "
                         f"{tuple(targets.shape)}")
    return (F.cross_entropy(logits[:, :len(COLOURS)], targets[:, 0])
            + F.cross_entropy(logits[:, len(COLOURS):], targets[:, 1]))


class SceneModels(nn.Module):
    """What the ``guided_scenes`` weights hold: ``denoiser``, the unconditional
    :class:`~lbdl_book.models.diffusion.UNet` of 32 × 32 scenes (3 channels, signal in
    [−1, 1]), and ``judge``, the :class:`SceneJudge` that grades its samples. One file,
    two independent networks (the judge never sees the denoiser's samples in training)."""

    def __init__(self, *, fused: bool = True):
        super().__init__()
        self.denoiser = UNet(SCENES["widths"], in_channels=3, emb_dim=SCENES["emb_dim"],
                             time_dim=SCENES["time_dim"], fused=fused)
        self.judge = SceneJudge(fused=fused)

    def forward(self, *args, **kwargs):
        raise TypeError("SceneModels holds two networks: call .denoiser(x, t) or .judge(images)")


def scene_models(*, fused: bool = True) -> SceneModels:
    """A fresh :class:`SceneModels` (the architecture of the shipped ``guided_scenes``)."""
    boolean(fused, "fused")
    return SceneModels(fused=fused)


def scene_schedule() -> NoiseSchedule:
    """The noise schedule the scene model was trained with (T = 50, linear)."""
    return NoiseSchedule(SCENES["steps"], SCENES["kind"])


def _clip_model(clip_model):
    from .clip import CLIP

    if not isinstance(clip_model, CLIP):
        raise TypeError(f"clip_model must be a lbdl_book.models.clip.CLIP, got {type(clip_model).__name__}")
    return clip_model


def clip_scores(clip_model, pixels: torch.Tensor, text_features: torch.Tensor) -> torch.Tensor:
    """s_CLIP · f(up(pixels)) · g: the CLIP matching score of each image with its prompt.
    ``pixels`` (N, 3, S, S) in [0, 1], bilinearly resized to CLIP's image size;
    ``text_features`` (N, E) or (E,) unit text embeddings (one prompt for all). Returns
    (N,); differentiable with respect to ``pixels``."""
    clip_model = _clip_model(clip_model)
    tensor(pixels, "pixels", floating=True)
    if pixels.dim() != 4 or pixels.shape[1] != 3 or not len(pixels):
        raise ValueError(f"pixels must have shape (N, 3, S, S) with N >= 1, got {tuple(pixels.shape)}")
    tensor(text_features, "text_features", floating=True)
    g = text_features if text_features.dim() == 2 else text_features.reshape(1, -1).expand(len(pixels), -1)
    if g.shape != (len(pixels), clip_model.embed_dim):
        raise ValueError(f"text_features must have shape ({len(pixels)}, {clip_model.embed_dim}) or "
                         f"({clip_model.embed_dim},), got {tuple(text_features.shape)}")
    side = clip_model.image_size
    big = pixels if pixels.shape[-1] == side else F.interpolate(pixels, size=(side, side), mode="bilinear",
                                                                align_corners=False)
    f = clip_model.encode_image(big)
    return clip_model.scale().detach() * (f * F.normalize(g, dim=-1)).sum(1)


class _Recorder(nn.Module):
    """Wraps a denoiser and keeps its last output, so that the guidance hook reuses the
    ε̂ the sampler has just computed at x_t instead of running the U-Net again."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model, self.last = model, None

    def forward(self, x, t, labels=None):
        self.last = self.model(x, t, labels)
        return self.last


def clip_guidance(denoiser: nn.Module, schedule: NoiseSchedule, clip_model, text_features: torch.Tensor,
                  strength: float, *, until: int = 1, start: int | None = None):
    """CLIP-gradient guidance for :func:`~lbdl_book.models.diffusion.ddpm_sample`:
    returns ``(model, mean_shift)``, to pass as the sampler's model and ``mean_shift``.

    At the steps ``until`` ≤ t ≤ ``start`` (``start=None``: every step down from T),
    ``mean_shift(x_t, t)`` = λ σ_t² ∇ score(x̂_0), where x̂_0 is the clean signal
    predicted from x_t and the ε̂ the sampler computed (detached), score is
    :func:`clip_scores` of its pixels with ``text_features`` (N, E) or (E,), λ =
    ``strength`` (≥ 0), and the gradient is taken with respect to x̂_0 (see the module
    docstring); at the other steps, zero. ``start=T // 2`` guides the second half of the
    chain only, where x̂_0 already shows an object, at half the cost."""
    module(denoiser, "denoiser")
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    clip_model = _clip_model(clip_model)
    tensor(text_features, "text_features", floating=True)
    if isinstance(strength, bool) or not isinstance(strength, Real) or not (math.isfinite(strength) and strength >= 0):
        raise ValueError(f"strength must be a finite number >= 0, got {strength!r}")
    if text_features.dim() not in (1, 2) or text_features.shape[-1] != clip_model.embed_dim or not len(text_features):
        raise ValueError(f"text_features must have shape (N, {clip_model.embed_dim}) or ({clip_model.embed_dim},), "
                         f"got {tuple(text_features.shape)}")
    positive_int(until, "until")
    if start is not None:
        positive_int(start, "start")
    recorder = _Recorder(denoiser)
    clip_model.eval()

    def mean_shift(x_t: torch.Tensor, t: int) -> torch.Tensor:
        if strength == 0 or t < until or (start is not None and t > start):
            return torch.zeros_like(x_t)
        x0 = schedule.predict_x0(x_t, t, recorder.last.detach()).requires_grad_(True)
        score = clip_scores(clip_model, to_pixels(x0), text_features.to(x0.device)).sum()
        gradient, = torch.autograd.grad(score, x0)
        return strength * float(schedule.sigmas[t]) ** 2 * gradient

    return recorder, mean_shift


def match_rate(judge: SceneJudge, pixels: torch.Tensor, colours: torch.Tensor, shapes: torch.Tensor) -> dict:
    """How often the judge reads the requested colour and shape in generated ``pixels``
    (N, 3, S, S): a dict of floats ``colour``, ``shape``, ``both`` (shares of the N
    samples) and ``n``. ``colours``, ``shapes``: (N,) int64, the requested classes."""
    if not isinstance(judge, SceneJudge):
        raise TypeError(f"judge must be a SceneJudge, got {type(judge).__name__}")
    tensor(pixels, "pixels", floating=True)
    if pixels.dim() != 4 or not len(pixels):
        raise ValueError(f"pixels must have shape (N, 3, S, S) with N >= 1, got {tuple(pixels.shape)}")
    tensor(colours, "colours")
    tensor(shapes, "shapes")
    if colours.shape != (len(pixels),) or shapes.shape != (len(pixels),):
        raise ValueError(f"colours and shapes must have shape ({len(pixels)},), got {tuple(colours.shape)} and "
                         f"{tuple(shapes.shape)}")
    c, s, _, _ = judge.eval().read(pixels)
    right_c, right_s = c.cpu() == colours.cpu(), s.cpu() == shapes.cpu()
    return {"colour": right_c.double().mean().item(), "shape": right_s.double().mean().item(),
            "both": (right_c & right_s).double().mean().item(), "n": len(pixels)}


@torch.no_grad()
def class_match(judge: nn.Module, samples: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """For class-conditional samples (N, D) flattened and their requested ``labels`` (N,):
    the share the ``judge`` (a classifier, (N, D) → logits) assigns to the requested class,
    and the mean probability it gives that class (its confidence in the request)."""
    module(judge, "judge")
    tensor(samples, "samples", floating=True)
    tensor(labels, "labels")
    if samples.dim() != 2 or labels.shape != (len(samples),):
        raise ValueError(f"samples must be (N, D) and labels (N,), got {tuple(samples.shape)} and "
                         f"{tuple(labels.shape)}")
    p = judge(samples).softmax(1)
    picked = p.argmax(1) == labels
    return picked.double().mean().item(), p.gather(1, labels[:, None]).mean().item()


def within_class_variance(samples: torch.Tensor, labels: torch.Tensor) -> float:
    """The diversity of samples within each class: the mean over classes of the per-pixel
    variance of that class's samples (N, D), averaged over the pixels."""
    tensor(samples, "samples", floating=True)
    tensor(labels, "labels")
    if samples.dim() != 2 or labels.shape != (len(samples),):
        raise ValueError(f"samples must be (N, D) and labels (N,), got {tuple(samples.shape)} and "
                         f"{tuple(labels.shape)}")
    values = [samples[labels == c].var(0).mean() for c in labels.unique() if (labels == c).sum() > 1]
    if not values:
        raise ValueError("labels must give some class at least two samples")
    return torch.stack(values).mean().item()


@torch.no_grad()
def ddim_sample(model: nn.Module, schedule: NoiseSchedule, shape: Sequence[int], steps: int, *,
                labels: torch.Tensor | None = None, noise: torch.Tensor | None = None,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """DDIM [Song et al., 2021] (Beyond LBDL), deterministic (η = 0): visit ``steps``
    evenly spaced steps τ_1 > … > τ_K of the schedule, and from x at τ_i jump to

        x_{τ_{i+1}} = √ᾱ_{τ_{i+1}} x̂_0 + √(1 − ᾱ_{τ_{i+1}}) ε̂,   x̂_0 = (x − √(1 − ᾱ_τ) ε̂)/√ᾱ_τ,

    with ᾱ = 1 after the last step: the same trained ε̂-network, ``steps`` ≤ T calls.
    ``labels`` as in :func:`~lbdl_book.models.diffusion.ddpm_sample` (no guidance here).
    Returns x_0 (N, …)."""
    module(model, "model")
    if not isinstance(schedule, NoiseSchedule):
        raise TypeError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    positive_int(steps, "steps")
    if steps > schedule.steps:
        raise ValueError(f"steps must be at most the schedule's T = {schedule.steps}, got {steps}")
    from .._checks import positive_ints

    shape = positive_ints(shape, "shape")
    p = next(model.parameters())
    if noise is None:
        noise = torch.randn(shape, generator=generator, dtype=p.dtype)
    tensor(noise, "noise", floating=True)
    if tuple(noise.shape) != shape:
        raise ValueError(f"noise must have shape {shape}, got {tuple(noise.shape)}")
    was_training = model.training
    model.eval()
    if labels is not None:
        from .diffusion import _check_labels

        null = getattr(model, "null_class", None)
        if null is None:
            raise ValueError("labels need a conditional model (with a null_class)")
        _check_labels(labels, shape[0], null)
    x = noise.to(p.device, p.dtype)
    labels = None if labels is None else labels.to(p.device)
    times = torch.linspace(schedule.steps, 1, steps).round().long().tolist()
    for i, t in enumerate(times):
        eps = model(x, torch.full((shape[0],), t, dtype=torch.int64, device=p.device), labels)
        x0 = schedule.predict_x0(x, t, eps)
        next_bar = float(schedule.alpha_bars[times[i + 1]]) if i + 1 < len(times) else 1.0
        x = math.sqrt(next_bar) * x0 + math.sqrt(1 - next_bar) * eps
    model.train(was_training)
    return x


def train_shipped(quick: bool) -> tuple[SceneModels, dict]:
    """The recipe of ``lbdl_book/weights/guided_scenes.safetensors`` (:data:`SCENES`):
    the denoiser trained by :func:`~lbdl_book.models.diffusion.train_diffusion` on
    ``train_images`` scenes of :func:`object_scenes` (seed :data:`TRAIN_SEED`), Adam with a
    cosine decay and weight averaging; the judge trained by :func:`lbdl_book.fit` on
    ``judge_images`` other scenes (seed :data:`JUDGE_SEED`), AdamW, and scored on 1,000
    scenes of :data:`TEST_SEED`. Weights rounded to float16 (the file's precision).
    ``train_seconds`` and ``judge_seconds`` are wall times, ``cpu_seconds`` the CPU time of
    the whole recipe. ``quick``: 256 images, 5 steps, 1 judge epoch."""
    from ..train import fit

    boolean(quick, "quick")
    cpu_start = time.process_time()
    torch.manual_seed(0)
    models = scene_models()
    n, steps = (256, 5) if quick else (SCENES["train_images"], SCENES["train_steps"])
    images, _, _ = object_scenes(n, TRAIN_SEED)
    run = train_diffusion(models.denoiser, scene_schedule(), to_signal(images), steps=steps,
                          batch_size=SCENES["batch_size"], lr=SCENES["lr"], average=SCENES["average"], seed=0)
    judge_n, epochs = (256, 1) if quick else (SCENES["judge_images"], SCENES["judge_epochs"])
    x, c, s = object_scenes(judge_n, JUDGE_SEED)
    start = time.perf_counter()
    history = fit(models.judge, judge_loss, (x, torch.stack([c, s], 1)), epochs=epochs, lr=3e-3, batch_size=64,
                  optimizer="adamw", weight_decay=1e-4, seed=0, progress=False)
    judge_seconds = time.perf_counter() - start
    models.eval()
    round_to_float16(models)  # the precision of the file
    x, c, s = object_scenes(1000, TEST_SEED)
    score = match_rate(models.judge, x, c, s)
    info = {key: list(value) if isinstance(value, tuple) else value for key, value in SCENES.items()}
    info |= {"quick": quick, "train_images": n, "train_steps": steps, "train_seconds": round(run.seconds, 1),
             "final_loss": round(run.losses[-100:].mean().item(), 4), "judge_images": judge_n,
             "judge_epochs": epochs, "judge_seconds": round(judge_seconds, 1),
             "judge_loss": [round(v, 4) for v in history["train_loss"]],
             "judge_colour": round(score["colour"], 4), "judge_shape": round(score["shape"], 4),
             "denoiser_parameters": sum(p.numel() for p in models.denoiser.parameters()),
             "judge_parameters": sum(p.numel() for p in models.judge.parameters()),
             "device": "cpu", "dtype": "float16", "cpu_seconds": round(time.process_time() - cpu_start, 1)}
    return models.cpu().half(), info
