"""Bad inputs (DESIGN rule 13): every public callable of ``lbdl_book`` answers junk with a
clear ``ValueError`` or ``TypeError``.

The public API is discovered, not listed: every module of ``lbdl_book`` found by
``pkgutil.walk_packages`` (modules whose name starts with ``_`` are private), and in each
module the names not starting with ``_`` that the module itself defines
(``obj.__module__ == module.__name__``): functions, and classes through their
constructor. For a class that is a ``torch.nn.Module``, ``forward`` is swept too, on an
instance built from valid arguments.

For every required parameter (no default; ``*args`` and ``**kwargs`` are not required)
each value of :data:`JUNK` is substituted while the other arguments stay valid, and the
call must raise ``ValueError`` or ``TypeError`` whose message names the parameter
(DESIGN rule 13: the argument, what was expected, what was received). Anything else
(an ``AttributeError``, a ``RuntimeError`` from deep inside PyTorch, a message that
does not say which argument is wrong, no error at all) fails, naming the function, the
argument and the junk. The valid call itself must succeed, so that an error cannot come
from a wrong example.

The valid arguments come from :data:`CASES`, a table kept here, one entry per public
callable that has a required parameter, and per ``nn.Module`` class (for ``forward``).
A new public function without an entry FAILS ``test_every_public_callable_has_a_case``
with a message asking for one, so a new module cannot slip past this sweep. Where a
junk value is legitimately valid for a parameter (``None`` meaning "default", ``-1``
meaning "the last axis", an empty tensor for an elementwise function, any value for
``pick``), the entry says so, per parameter, in ``valid``.

Excluded:

* ``lbdl_book.figures``: the page-plotting functions, one per figure of a page, whose
  inputs are the data computed a few cells earlier on that page; they are written and
  tested with their pages (their callers are the pages themselves, never a reader).
* ``lbdl_book.strings``: catalogues of strings (``STRINGS`` dicts), no callables.
* Plain records (dataclasses and named tuples that ``lbdl_book`` builds and returns, or
  rows of its own data tables): their constructors store fields without using them; each
  is listed in :data:`RECORDS`, so a new class must still be classified here.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import math
import tempfile
from pathlib import Path
import pkgutil
import re
from collections.abc import Callable

import pytest
import torch

import lbdl_book
from lbdl_book import autoregressive as ar, backprop as bp, diagrams, scale, widgets
from lbdl_book.models import denoiser, gpt, mlp, resnet, segmenter as seg, transformer as tr, vit
from lbdl_book.models import clip
from lbdl_book.models import dqn
from lbdl_book.models import gan
from lbdl_book.models import rlhf
from lbdl_book.models import bert as bert_models, ssl as ssl_models
from lbdl_book.models import gnn
from lbdl_book.models import lora
from lbdl_book.data.graphs import karate_club
from lbdl_book.data.games import Catch, GridWorld
from lbdl_book import weights
from lbdl_book.data import scenes
from lbdl_book.nn import attention, conv, linear

EXCLUDED = ("lbdl_book.figures", "lbdl_book.strings")


class _Junk:
    def __repr__(self) -> str:
        return "<junk object>"


# label -> a fresh junk value (a function, so that no call sees another's mutated value)
JUNK: dict[str, Callable[[], object]] = {
    "None": lambda: None,
    "str": lambda: "junk",
    "-1": lambda: -1,
    "nan": lambda: math.nan,
    "empty tensor": lambda: torch.empty(0),
    "nested list": lambda: [[1, 2], [3, 4]],
    "object": _Junk,
}
ALL = frozenset(JUNK)
EMPTY = "empty tensor"


@dataclasses.dataclass
class Case:
    """``args``: a function returning fresh valid arguments, by parameter name (a
    ``*args`` parameter takes a tuple); ``valid``: parameter → junk labels that are
    legitimately valid there; ``forward``/``forward_valid``: the same for ``forward`` of
    an ``nn.Module`` class, or a ``str`` saying why ``forward`` is not swept."""

    args: Callable[[], dict] = dict
    valid: dict[str, set[str] | frozenset[str]] = dataclasses.field(default_factory=dict)
    forward: Callable[[], dict] | str | None = None
    forward_valid: dict[str, set[str] | frozenset[str]] = dataclasses.field(default_factory=dict)


def r(*shape, dtype=torch.float32) -> torch.Tensor:
    return torch.randn(*shape, dtype=dtype)


def r64(*shape) -> torch.Tensor:
    return torch.randn(*shape, dtype=torch.float64)


def ids(*shape, vocab: int = 5) -> torch.Tensor:
    return torch.randint(0, vocab, shape)


def small_gpt() -> gpt.GPT:
    return gpt.GPT(vocab_size=7, context=6, dim=8, num_heads=2, num_layers=1)


def small_transformer() -> tr.Transformer:
    return tr.Transformer(vocab_size=7, dim=8, num_heads=2, num_encoder_layers=1, num_decoder_layers=1, max_len=8)


def small_vit() -> vit.ViT:
    return vit.ViT(image_size=8, patch_size=4, in_channels=1, num_classes=3, dim=8, num_heads=2, num_layers=1,
                   mlp_dim=16)


def small_clip() -> clip.CLIP:
    return clip.CLIP(context=4, image_size=16, image_channels=(4, 8), text_dim=8, text_layers=1,
                     num_heads=2, embed_dim=4)


def small_resnet() -> resnet.ResNet:
    return resnet.ResNet(blocks=(1,), channels=(8,), strides=(1,), in_channels=1, num_classes=3, image_size=8,
                         stem_channels=4, stem_kernel_size=3, stem_stride=1, stem_pool=False)


def quadratic_loss(w: torch.Tensor, *batch: torch.Tensor) -> torch.Tensor:
    return (w ** 2).sum() if not batch else ((batch[0] @ w - batch[1]) ** 2).mean()


def small_speech():
    from lbdl_book.models.speech import SpeechRecognizer
    return SpeechRecognizer(vocab_size=70, dim=8, num_heads=2, num_encoder_layers=1, num_decoder_layers=1)


def speech_clips():
    from lbdl_book.data.speech import speech_dataset
    return speech_dataset(1, seed=0, duration=1.0, max_words=1)


def fewshot_tasks():
    from lbdl_book.data.fewshot import generate_tasks
    return generate_tasks(2, examples=3)


def rag_small_world():
    from lbdl_book.models.rag import rag_world
    return rag_world(train=4, test=2)


def rag_encoder():
    from lbdl_book.models.rag import DualEncoder
    return DualEncoder(6, dim=4)


def rag_small_gpt():
    from lbdl_book.models.gpt import GPT
    return GPT(len(rag_small_world().vocab), 40, 8, 2, 1)


def fewshot_model():
    from lbdl_book.models.fewshot import fewshot_gpt
    return fewshot_gpt(0)


def merge_digits():
    from lbdl_book.models.merge import digit_tasks
    return digit_tasks()


def box4(k: int) -> torch.Tensor:
    """k boxes (x1, y1, x2, y2) of positive size."""
    corner = torch.rand(k, 2) * 10
    return torch.cat([corner, corner + 1 + torch.rand(k, 2) * 5], 1)


def img() -> torch.Tensor:
    """A batch of two 3 × 8 × 8 images with values in (0, 1]."""
    return torch.rand(2, 3, 8, 8) * 0.9 + 0.1


def crops():
    from lbdl_book.models.classifier import shape_dataset
    return shape_dataset(4, seed=1)


def one_detection():
    from lbdl_book.models.detection_eval import Detections
    return Detections(box4(1), torch.tensor([0.5]), torch.tensor([1]))


def quant_gpt() -> gpt.GPT:
    """A GPT whose matrices can be cut into blocks of 32 (§8.2)."""
    return gpt.GPT(vocab_size=7, context=6, dim=32, num_heads=2, num_layers=1)


def quant():
    from lbdl_book.models import quantize
    return quantize


WEIGHTS_FOLDER = Path(tempfile.mkdtemp(prefix="lbdl-sweep-weights-"))


def saved_weights() -> str:
    """The name of a small weights file in WEIGHTS_FOLDER (written once)."""
    if not (WEIGHTS_FOLDER / "saved.safetensors").exists():
        weights.save(linear.Linear(2, 2), "saved", {"what": "a test file"}, folder=WEIGHTS_FOLDER)
    return "saved"


def draw_figure(**settings):
    import matplotlib.pyplot as plt

    fig, _ = plt.subplots(figsize=(1, 1))
    return fig


TENSOR_ANY_SHAPE = {"x": {EMPTY}}      # an elementwise function maps an empty tensor to an empty tensor

# Plain records: dataclasses and named tuples that hold results lbdl_book returns, or the
# rows of its own data tables. Their constructors store the fields and use none of them.
RECORDS = {
    "backprop.Gradients", "data.digits.Digits", "data.landmarks.Dataset", "data.landmarks.Landmark",
    "data.scenes.Scenes", "data.seq2seq.Seq2SeqSet", "nn.conv.ReceptiveField", "optim.SGDRun", "scale.Accelerator",
    "scale.Exponential", "scale.PowerLaw", "scale.ScalingLaw", "scale.Sweep",
    "models.detection_eval.AveragePrecision", "models.detection_eval.Detections", "models.detector.Assignment",
    "models.detector.Targets", "data.augment.AugmentParams", "models.classifier.ObjectCrops",
    "data.games.MDPTables", "models.dqn.DQNRun", "models.dqn.Episode",
    "models.quantize.BlockFormat",
    "data.speech.SpeechSet",
    "data.graphs.Graph",
    "models.autoencoder.VAEOutput",
    "models.gan.GANRun", "models.gan.JudgeScore", "models.gan.ModeCoverage",
    "data.facts.FactCorpus",
    "models.diffusion.DiffusionRun",
    "models.merge.MergeDigits", "models.merge.SearchResult",
    "models.rlhf.RLHFRun",
    "data.fewshot.FewShotTasks",
    "models.rag.RagWorld",
}

CASES: dict[str, Case] = {
    # --- autoregressive -----------------------------------------------------------------
    "autoregressive.CausalConvLM": Case(lambda: dict(vocab_size=5, context=3, dim=4, hidden=8),
                                        forward=lambda: dict(tokens=ids(2, 6))),
    "autoregressive.dependency_matrix": Case(lambda: dict(fn=lambda e: e * 2, inputs=r(4, 3))),
    "autoregressive.perplexity": Case(lambda: dict(logits=r(2, 3, 5), targets=ids(2, 3))),
    "autoregressive.sample": Case(lambda: dict(model=ar.CausalConvLM(5, context=3, dim=4, hidden=8), length=4)),
    "autoregressive.sequence_cross_entropy": Case(lambda: dict(logits=r(2, 3, 5), tokens=ids(2, 3))),
    "autoregressive.sequence_log_prob": Case(lambda: dict(logits=r(2, 3, 5), tokens=ids(2, 3))),
    "autoregressive.windows": Case(lambda: dict(ids=[1, 2, 3, 4, 5], length=2)),
    # --- backprop -----------------------------------------------------------------------
    "backprop.ChainMLP": Case(lambda: dict(widths=(3, 4, 2))),
    # elementwise: an empty tensor in, an empty tensor out
    "backprop.activate": Case(lambda: dict(z=r(2, 3), activation="tanh"), valid={"z": {EMPTY}}),
    "backprop.activation_derivative": Case(lambda: dict(y=r(2, 3), activation="tanh"), valid={"y": {EMPTY}}),
    "backprop.activation_memory": Case(lambda: dict(layers=[linear.Linear(3, 3), torch.nn.Tanh()],
                                                    x=r(2, 3).requires_grad_())),
    "backprop.checkpointed": Case(lambda: dict(layers=[torch.nn.Linear(3, 3), torch.nn.Tanh()], segments=1)),
    # a single tensor is accepted as the whole gradient; an empty one has norm 0
    "backprop.clip_grad_norm": Case(lambda: dict(gradients=[r(3)], max_norm=1.0), valid={"gradients": {EMPTY}}),
    "backprop.counted_flops": Case(lambda: dict(fn=lambda: r(2, 3) @ r(3, 2))),
    "backprop.gradient_norms": Case(lambda: dict(model=bp.ChainMLP((3, 4, 2)), x=r64(5, 3), target=r64(5, 2))),
    "backprop.layer_backward": Case(lambda: dict(grad_y=r64(2, 4), x=r64(2, 3), y=torch.tanh(r64(2, 4)),
                                                 weight=r64(4, 3), activation="tanh")),
    "backprop.layer_forward": Case(lambda: dict(x=r64(2, 3), weight=r64(4, 3), bias=r64(4), activation="tanh")),
    "backprop.matmul_flops": Case(lambda: dict(widths=(3, 4, 2), batch=5)),
    "backprop.mse_and_gradient": Case(lambda: dict(prediction=r(2, 3), target=r(2, 3))),
    "backprop.saved_tensor_bytes": Case(lambda: dict(fn=lambda: (r(2, 3).requires_grad_() * 2).sum())),
    # a single tensor is accepted as the one parameter; an empty one has no gradient to reset
    "compute.arithmetic_intensity": Case(lambda: dict(batch=4, d_in=3, d_out=2)),
    "compute.batch_timings": Case(lambda: dict(dim=4, batch_sizes=[1, 2], repeat=1)),
    "compute.compare_times": Case(lambda: dict(variants={"a": lambda: None}, repeat=1, warmup=0)),
    "compute.product_error": Case(lambda: dict(dtype=torch.float32, size=4)),
    "compute.timeit": Case(lambda: dict(fn=lambda: None, repeat=1, warmup=0)),
    # --- config -------------------------------------------------------------------------
    # pick returns whichever value the profile selects: any value is a valid setting
    "config.pick": Case(lambda: dict(cpu=1, gpu=2), valid={"cpu": ALL, "gpu": ALL}),
    # --- data ---------------------------------------------------------------------------
    "data.digits_synth.synthetic_digits": Case(lambda: dict(n=4, size=8)),
    "data.planar.moons": Case(lambda: dict(n=4)),
    "data.planar.rings": Case(lambda: dict(n=4)),
    # [[1, 2], [3, 4]] is a list of two edges
    "data.graphs.undirected_edge_index": Case(lambda: dict(edges=[(0, 1), (1, 2)]), valid={"edges": {"nested list"}}),
    # --- models.gnn (graph neural networks): the karate club's edge_index (2, 156) -----------
    "models.gnn.GCN": Case(lambda: dict(in_features=34, hidden_features=4, out_features=2),
                           forward=lambda: dict(x=r(34, 34), graph=karate_club().edge_index)),
    "models.gnn.GraphConv": Case(lambda: dict(in_features=3, out_features=2),
                                 forward=lambda: dict(x=r(34, 3), graph=karate_club().edge_index)),
    "models.gnn.accuracy": Case(lambda: dict(logits=r(5, 2), labels=ids(5, vocab=2))),
    "models.gnn.adjacency": Case(lambda: dict(graph=karate_club().edge_index)),
    "models.gnn.embedding_spread": Case(lambda: dict(h=r(5, 3))),
    "models.gnn.fit_nodes": Case(lambda: dict(model=gnn.GCN(34, 4, 2), graph=karate_club().edge_index,
                                              features=r(34, 34), labels=karate_club().labels, train_nodes=[0, 33],
                                              steps=2)),
    "models.gnn.hop_distances": Case(lambda: dict(graph=karate_club().edge_index, sources=[0])),
    "models.gnn.masked_cross_entropy": Case(lambda: dict(logits=r(5, 2), targets=torch.tensor([0, -1, 1, -1, -1]))),
    "models.gnn.nearest_seed": Case(lambda: dict(graph=karate_club().edge_index, seeds=[0, 33], seed_labels=[0, 1])),
    "models.gnn.propagation_matrix": Case(lambda: dict(graph=karate_club().edge_index)),
    "models.gnn.spring_layout": Case(lambda: dict(graph=karate_club().edge_index, iterations=2)),
    "data.scenes.caption": Case(lambda: dict(scenes=scenes.generate_scenes(2), i=0, lang="en"), valid={"lang": {"None"}}),
    "data.scenes.describe_object": Case(lambda: dict(label=1, colour=0, large=0, lang="en"), valid={"lang": {"None"}}),
    "data.scenes.generate_scenes": Case(lambda: dict(n=2)),
    "data.fewshot.generate_tasks": Case(lambda: dict(n=2)),
    "data.fewshot.is_test_rule": Case(lambda: dict(rule_labels=torch.tensor([[0, 1, 2, 3]]))),
    "data.fewshot.prompts": Case(lambda: dict(tasks=fewshot_tasks(), shots=1)),
    "data.fewshot.encode": Case(lambda: dict(text="I: red disc")),
    "data.fewshot.decode": Case(lambda: dict(tokens=torch.tensor([0, 2, 6]))),
    "models.rag.bm25_scores": Case(lambda: dict(query=["a", "b"], documents=[["a", "c"], ["b"]])),
    "models.rag.DualEncoder": Case(lambda: dict(vocab_size=6, dim=4), forward=lambda: dict(tokens=ids(2, 3))),
    "models.rag.InfoNCEScorer": Case(lambda: dict(encoder=rag_encoder(), document_tokens=ids(3, 2)),
                                     forward=lambda: dict(queries=ids(2, 3))),
    "models.rag.recall_at_k": Case(lambda: dict(scores=r(2, 3), right=torch.tensor([0, 2]), k=1)),
    "models.rag.rag_prompts": Case(lambda: dict(world=rag_small_world(), questions=["which city governs X ?"],
                                                retrieved=[[0]])),
    "models.rag.generator_data": Case(lambda: dict(world=rag_small_world(), n=2, k=2, length=40)),
    "models.rag.answer_accuracy": Case(lambda: dict(model=rag_small_gpt(), world=rag_small_world(),
                                                    prompts=["which city governs →"], answers=["city"], length=8)),
    "models.rag.attention_flops": Case(lambda: dict(length=4, dim=2)),
    "models.rag.train_generator": Case(lambda: dict(model=rag_small_gpt(), world=rag_small_world(), prompts=4,
                                                    documents=2, epochs=1, lr=0.01)),
    "models.fewshot.accuracy_by_shots": Case(lambda: dict(model=fewshot_model(), tasks=fewshot_tasks(), shots=(0, 1))),
    "models.fewshot.correct_by_shots": Case(lambda: dict(model=fewshot_model(), tasks=fewshot_tasks(), shots=(0, 1))),
    "models.fewshot.reference_levels": Case(lambda: dict(tasks=fewshot_tasks(), shots=(0, 1))),
    "models.fewshot.answer_loss": Case(lambda: dict(logits=r(2, 4, 26), targets=ids(2, 4))),
    "models.fewshot.answer_position": Case(lambda: dict(shots=1)),
    "models.fewshot.answer_targets": Case(lambda: dict(tokens=fewshot_tasks().tokens)),
    "models.fewshot.complete": Case(lambda: dict(model=fewshot_model(), prompt=torch.tensor([0, 2, 6]))),
    "models.fewshot.previous_token_head": Case(lambda: dict(model=fewshot_model())),
    "models.fewshot.show_prompts": Case(lambda: dict(rows=[("I: red disc", "O: gal")])),
    "models.fewshot.train_fewshot": Case(lambda: dict(model=fewshot_model(), sequences=2, epochs=1)),
    # --- augmentation (§6.2) -------------------------------------------------------------
    "data.augment.Augmentation": Case(forward=lambda: dict(images=img())),
    "data.augment.adjust_colour": Case(lambda: dict(images=img())),
    "data.augment.hue_rotation": Case(lambda: dict(turns=r(3)), valid={"turns": {EMPTY}}),   # no angles, no matrices
    "data.augment.mirror": Case(lambda: dict(images=img(), flips=torch.tensor([True, False]))),
    "data.augment.pad_crop": Case(lambda: dict(images=img(), offsets=torch.tensor([[0, 1], [2, 2]]), padding=1)),
    "data.augment.rescale": Case(lambda: dict(images=img(), factors=torch.tensor([0.9, 1.1]))),
    # --- degradations (§6.1) -------------------------------------------------------------
    "data.degrade.add_noise": Case(lambda: dict(images=img(), sigma=0.1)),
    "data.degrade.cut_hole": Case(lambda: dict(images=img(), size=2)),
    "data.degrade.defocus": Case(lambda: dict(images=img(), radius=1.0)),
    "data.degrade.degrade": Case(lambda: dict(images=img(), kind="noise", level=0.1)),
    "data.degrade.degrade_mixed": Case(lambda: dict(images=img(), levels={"noise": (0.1,), "hole": (2,)})),
    "data.degrade.disc_kernel": Case(lambda: dict(radius=1.0)),
    "data.degrade.downscale": Case(lambda: dict(images=img(), factor=2)),
    "data.degrade.greyscale": Case(lambda: dict(images=img())),
    "data.degrade.low_resolution": Case(lambda: dict(images=img(), factor=2)),
    "data.degrade.upscale": Case(lambda: dict(images=img(), factor=2)),
    "data.seq2seq.exact_match": Case(lambda: dict(predicted=ids(2, 3), target=ids(2, 3))),
    "data.seq2seq.seq2seq_task": Case(lambda: dict(num_train=4, num_test=2)),
    "data.seq2seq.to_text": Case(lambda: dict(tokens=torch.tensor([6, 4, 7, 2, 0]))),
    "data.text.text": Case(lambda: dict(language="en")),
    "data.toy.clusters": Case(lambda: dict(n=4)),
    "data.toy.identities": Case(lambda: dict(n=4)),
    "data.toy.line_data": Case(lambda: dict(n=4)),
    "data.toy.sine": Case(lambda: dict(x=r(3)), valid=TENSOR_ANY_SHAPE),
    "data.toy.sine_regression": Case(lambda: dict(n=4)),
    # --- diagrams -----------------------------------------------------------------------
    # any text is a name; a str times is a symbol such as "N"
    "diagrams.Box": Case(lambda: dict(name="conv"), valid={"name": {"str"}}),
    "diagrams.Repeat": Case(lambda: dict(items=[diagrams.Box("fc")], times=2), valid={"times": {"str"}}),
    "diagrams.Residual": Case(lambda: dict(items=[diagrams.Box("fc")])),
    "diagrams.Signal": Case(lambda: dict(name="$X$"), valid={"name": {"str"}}),
    "diagrams.describe": Case(lambda: dict(module=torch.nn.Sequential(linear.Linear(3, 2)), example_input=r(1, 3))),
    "diagrams.draw_stack": Case(lambda: dict(items=[diagrams.Signal("$X$"), diagrams.Box("fc")])),
    # None: nothing written; a str is kept as it is (e.g. "T×D")
    "diagrams.format_shape": Case(lambda: dict(shape=(3, 4)), valid={"shape": {"None", "str"}}),
    "diagrams.layer_label": Case(lambda: dict(module=torch.nn.Linear(3, 2))),
    # --- i18n, losses -------------------------------------------------------------------
    "i18n.t": Case(lambda: dict(key=next(iter(lbdl_book.i18n.STRINGS)))),
    "losses.cross_entropy": Case(lambda: dict(logits=r(4, 3), target=ids(4, vocab=3))),
    "losses.log_softmax": Case(lambda: dict(logits=r(4, 3))),
    "losses.naive_log_softmax": Case(lambda: dict(logits=r(4, 3))),
    "losses.negative_log_likelihood": Case(lambda: dict(log_density=r(4))),
    "losses.sample_triplets": Case(lambda: dict(labels=torch.tensor([0, 0, 1, 1]), count=3)),
    "losses.softmax": Case(lambda: dict(logits=r(4, 3))),
    "losses.triplet_loss": Case(lambda: dict(anchor=r(4, 2), positive=r(4, 2), negative=r(4, 2))),
    # a single tensor is accepted as the one parameter; an empty one adds 0
    "losses.weight_decay": Case(lambda: dict(parameters=[r(3)], strength=0.1), valid={"parameters": {EMPTY}}),
    "losses.zero_one_error": Case(lambda: dict(logits=r(4, 3), target=ids(4, vocab=3))),
    # --- models.basis, density, depth ---------------------------------------------------
    "models.basis.BasisFunctionRegression": Case(lambda: dict(num_basis=4, width=0.2),
                                                 forward=lambda: dict(x=r64(5)),
                                                 forward_valid={"x": {EMPTY}}),        # no point: no value
    "models.basis.fit_gradient_descent": Case(lambda: dict(model=lbdl_book.models.BasisFunctionRegression(4, 0.2),
                                                           x=r64(5), y=r64(5), steps=2)),
    "models.basis.gaussian_features": Case(lambda: dict(x=r64(5), centers=r64(3), width=0.2),
                                           valid={"x": {EMPTY}, "centers": {EMPTY}}),   # (0, K) or (N, 0)
    "models.basis.mse": Case(lambda: dict(prediction=r64(5), target=r64(5))),
    "models.density.GaussianMixture": Case(lambda: dict(num_components=2, dim=3), forward=lambda: dict(x=r(4, 3))),
    "models.depth.DeepTanhClassifier": Case(lambda: dict(depth=2), forward=lambda: dict(x=r(4, 2))),
    "models.depth.best_linear_accuracy": Case(lambda: dict(points=r(6, 2), labels=torch.tensor([0, 1] * 3))),
    "models.depth.count_linear_pieces": Case(lambda: dict(x=torch.linspace(0, 1, 5), y=torch.linspace(0, 1, 5))),
    "models.depth.decision_boundary": Case(lambda: dict(model=lbdl_book.models.depth.DeepTanhClassifier(depth=2),
                                                        xlim=(-1.0, 1.0), ylim=(-1.0, 1.0), resolution=(8, 6))),
    "models.depth.grid_lines": Case(lambda: dict(xlim=(-1.0, 1.0), ylim=(-1.0, 1.0), count=3, resolution=4)),
    "models.depth.sawtooth": Case(lambda: dict(x=r(3), k=2), valid=TENSOR_ANY_SHAPE),
    "models.depth.tent": Case(lambda: dict(x=r(3)), valid=TENSOR_ANY_SHAPE),
    # --- models.gpt ---------------------------------------------------------------------
    # --- classification (§6.2) ----------------------------------------------------------
    "models.classifier.compare_augmentations": Case(lambda: dict(
        build=lbdl_book.models.classifier.shape_resnet, train=crops(), test=crops(), augmentations={"none": None},
        epochs=1, seeds=(0,))),
    "models.classifier.confusion_matrix": Case(lambda: dict(predictions=ids(4, vocab=3), targets=ids(4, vocab=3),
                                                            num_classes=3)),
    "models.classifier.object_crops": Case(lambda: dict(scenes=scenes.generate_scenes(2))),
    "models.classifier.predict": Case(lambda: dict(model=small_resnet(), images=r(2, 1, 8, 8))),
    "models.classifier.shape_dataset": Case(lambda: dict(n=2, seed=1)),
    "models.classifier.top1_accuracy": Case(lambda: dict(logits=r(4, 3), targets=ids(4, vocab=3))),
    "models.classifier.topk_accuracy": Case(lambda: dict(logits=r(4, 3), targets=ids(4, vocab=3))),
    "models.classifier.train_classifier": Case(lambda: dict(model=small_resnet(), images=r(4, 1, 8, 8),
                                                            labels=ids(4, vocab=3), epochs=1)),
    # --- detection (§6.3) ---------------------------------------------------------------
    "models.detection_eval.mean_average_precision": Case(lambda: dict(detections=[one_detection()],
                                                                      boxes=[box4(1)], labels=[torch.tensor([1])])),
    "models.detection_eval.to_coco": Case(lambda: dict(detections=[one_detection()], boxes=[box4(1)],
                                                       labels=[torch.tensor([1])])),
    "models.detector.Detector": Case(forward=lambda: dict(x=r(2, 3, 64, 64))),   # batch norm at 1 × 1 needs 2
    "models.detector.batched_nms": Case(lambda: dict(boxes=box4(3), scores=r(3), labels=torch.tensor([1, 1, 2]),
                                                     iou_threshold=0.5)),
    "models.detector.box_area": Case(lambda: dict(boxes=box4(3))),
    "models.detector.box_iou": Case(lambda: dict(boxes1=box4(3), boxes2=box4(2))),
    "models.detector.decode_boxes": Case(lambda: dict(offsets=r(3, 4), defaults=box4(3))),
    "models.detector.detection_loss": Case(lambda: dict(outputs=r(2, 5, 9), target_labels=ids(2, 5),
                                                        target_offsets=r(2, 5, 4))),
    "models.detector.encode_boxes": Case(lambda: dict(boxes=box4(3), defaults=box4(3))),
    "models.detector.nms": Case(lambda: dict(boxes=box4(3), scores=r(3), iou_threshold=0.5)),
    "models.detector.train_shipped": Case(lambda: dict(quick=True)),
    "models.dqn.FrameStack": Case(lambda: dict(env=Catch())),
    "models.dqn.QNetwork": Case(forward=lambda: dict(x=r(2, 4, 10, 8))),
    "models.dqn.ReplayMemory": Case(lambda: dict(capacity=4)),
    "models.dqn.dqn_loss": Case(lambda: dict(q_net=dqn.QNetwork(), target_net=dqn.QNetwork(), states=r(2, 4, 10, 8),
                                             actions=torch.tensor([0, 2]), rewards=r(2), next_states=r(2, 4, 10, 8),
                                             done=torch.tensor([True, False]))),
    "models.dqn.epsilon_greedy": Case(lambda: dict(q_net=dqn.QNetwork(), state=r(4, 10, 8), epsilon=0.1)),
    "models.dqn.play": Case(lambda: dict(env=Catch(), q_net=dqn.QNetwork())),
    "models.dqn.q_learning": Case(lambda: dict(world=GridWorld(), episodes=2)),
    "models.dqn.train_dqn": Case(lambda: dict(env=Catch(), q_net=dqn.QNetwork(), steps=2)),
    "models.dqn.train_shipped": Case(lambda: dict(quick=True)),
    "models.dqn.value_iteration": Case(lambda: dict(tables=GridWorld().transitions())),
    "models.dqn.win_rate": Case(lambda: dict(q_net=dqn.QNetwork())),
    # The missing bits: autoencoders
    "models.autoencoder.Autoencoder": Case(forward=lambda: dict(x=torch.rand(2, 1, 8, 8))),
    "models.autoencoder.VAE": Case(forward=lambda: dict(x=torch.rand(2, 1, 8, 8))),
    "models.autoencoder.PCA": Case(lambda: dict(d=2)),
    "models.autoencoder.add_noise": Case(lambda: dict(images=torch.rand(2, 1, 8, 8), sigma=0.3),
                                         valid={"images": {EMPTY}}),
    "models.autoencoder.gaussian_kl": Case(lambda: dict(mean=r(3, 2), logvar=r(3, 2))),
    "models.autoencoder.reparameterize": Case(lambda: dict(mean=r(3, 2), logvar=r(3, 2))),
    "models.autoencoder.elbo_terms": Case(lambda: dict(output=importlib.import_module(
        "lbdl_book.models.autoencoder").VAE()(torch.rand(2, 1, 8, 8)), x=torch.rand(2, 1, 8, 8))),
    "models.autoencoder.negative_elbo": Case(lambda: dict(output=importlib.import_module(
        "lbdl_book.models.autoencoder").VAE()(torch.rand(2, 1, 8, 8)), x=torch.rand(2, 1, 8, 8))),
    "models.autoencoder.knn_accuracy": Case(lambda: dict(train_codes=r(6, 2), train_labels=ids(6), test_codes=r(3, 2),
                                                         test_labels=ids(3), k=3)),
    # The missing bits: generative adversarial networks
    "models.gan.Generator": Case(forward=lambda: dict(z=r(3, 2))),
    "models.gan.Discriminator": Case(forward=lambda: dict(x=r(3, 2))),
    "models.gan.discriminator_loss": Case(lambda: dict(real_logits=r(4), fake_logits=r(3))),
    "models.gan.generator_loss": Case(lambda: dict(fake_logits=r(4))),
    "models.gan.ring_of_gaussians": Case(lambda: dict(n=10)),
    "models.gan.mode_coverage": Case(lambda: dict(samples=r(10, 2))),
    "models.gan.train_gan": Case(lambda: dict(generator=gan.Generator(2, 2, (4,)), discriminator=gan.Discriminator(
        2, (4,)), data=r(10, 2), steps=2)),
    "models.gan.optimal_discriminator": Case(lambda: dict(p_data=torch.rand(5) + 0.1, p_g=torch.rand(5) + 0.1)),
    "models.gan.js_divergence": Case(lambda: dict(p_data=torch.rand(5) + 0.1, p_g=torch.rand(5) + 0.1, dx=0.1)),
    "models.gan.gan_value": Case(lambda: dict(p_data=torch.rand(5) + 0.1, p_g=torch.rand(5) + 0.1, dx=0.1)),
    "models.gan.digit_judge": Case(lambda: dict(x_train=torch.rand(8, 1, 8, 8), y_train=ids(8, vocab=10), epochs=1)),
    "models.gan.judge_samples": Case(lambda: dict(judge=mlp.MLP((4, 10)), samples=r(5, 4))),
    "models.gan.train_shipped": Case(lambda: dict(quick=True)),
    # --- denoising (§6.1) ----------------------------------------------------------------
    "models.denoiser.Denoiser": Case(lambda: dict(widths=(4, 8)), forward=lambda: dict(x=img())),
    "models.denoiser.binned_mean": Case(lambda: dict(keys=torch.rand(5), values=r(5, 2),
                                                     edges=torch.tensor([0.0, 0.5, 1.0]))),
    "models.denoiser.chroma": Case(lambda: dict(colours=img())),
    "models.denoiser.classical_restore": Case(lambda: dict(degraded=img(), name="gaussian", param=1.0)),
    "models.denoiser.evaluate_levels": Case(lambda: dict(model=denoiser.Denoiser((4, 8)), n=2, seed=0)),
    "models.denoiser.feature_shapes": Case(lambda: dict(model=denoiser.Denoiser((4, 8)), x=img())),
    "models.denoiser.gaussian_filter": Case(lambda: dict(images=img(), sigma=1.0)),
    "models.denoiser.gaussian_kernel1d": Case(lambda: dict(sigma=1.0)),
    "models.denoiser.median_filter": Case(lambda: dict(images=img(), size=3)),
    "models.denoiser.missing_pixels": Case(lambda: dict(degraded=img())),
    "models.denoiser.object_colours": Case(lambda: dict(scenes=scenes.generate_scenes(2, size=32))),
    "models.denoiser.object_interior": Case(lambda: dict(instances=ids(2, 4, 4))),
    "models.denoiser.psnr": Case(lambda: dict(estimate=img(), target=img())),
    "models.denoiser.restore": Case(lambda: dict(model=denoiser.Denoiser((4, 8)), degraded=img())),
    "models.denoiser.training_pairs": Case(lambda: dict(n=2, seed=0)),
    "models.denoiser.tune_filter": Case(lambda: dict(clean=img(), degraded=img())),
    # --- text-image representations (§6.6) ----------------------------------------------
    "models.clip.CLIP": Case(forward=lambda: dict(images=r(2, 3, 64, 64), tokens=torch.tensor([[2, 1], [3, 1]]))),
    "models.clip.PairTrainer": Case(lambda: dict(clip=small_clip()), forward=lambda: dict(images=r(2, 3, 16, 16))),
    "models.clip.captions_of": Case(lambda: dict(scenes=scenes.generate_scenes(2, size=32))),
    "models.clip.class_embeddings": Case(lambda: dict(model=small_clip(), tokenizer=clip.CaptionTokenizer(),
                                                      prompts=[["a red disc"], ["a blue cross", "a cross"]])),
    "models.clip.clip_loss": Case(lambda: dict(image_features=r(3, 4), text_features=r(3, 4))),
    "models.clip.contrastive_loss": Case(lambda: dict(logits=r(3, 3))),
    "models.clip.held_out_mask": Case(lambda: dict(scenes=scenes.generate_scenes(2, size=32))),
    "models.clip.linear_probe": Case(lambda: dict(features=r(4, 3), labels=ids(4, vocab=2), num_classes=2, epochs=1)),
    "models.clip.object_prompts": Case(lambda: dict(colour=1, shape=2), valid={"colour": {"None"}}),
    "models.clip.parameter_count": Case(lambda: dict(model=small_clip())),
    "models.clip.recall_at_k": Case(lambda: dict(similarity=r(3, 3), k=2)),
    "models.clip.similarity_logits": Case(lambda: dict(image_features=r(3, 4), text_features=r(2, 4))),
    "models.clip.single_object_labels": Case(lambda: dict(scenes=scenes.generate_scenes(2, size=32, max_objects=1))),
    "models.clip.zero_shot_probabilities": Case(lambda: dict(image_features=r(3, 4), class_features=r(2, 4))),
    # --- models.diffusion (§7.2, image generation) ------------------------------------------
    "models.diffusion.time_embedding": Case(lambda: dict(t=ids(3, vocab=50), dim=8), valid={"t": {EMPTY}}),
    "models.diffusion.TimeMLP": Case(forward=lambda: dict(x=r(3, 2), t=ids(3, vocab=50))),
    "models.diffusion.ResBlock": Case(lambda: dict(in_channels=2, out_channels=3, emb_dim=4),
                                      forward=lambda: dict(x=r(2, 2, 4, 4), e=r(2, 4))),
    "models.diffusion.UNet": Case(forward=lambda: dict(x=r(2, 1, 8, 8), t=ids(2, vocab=50))),
    "models.diffusion.diffusion_loss": Case(lambda: dict(
        model=importlib.import_module("lbdl_book.models.diffusion").TimeMLP(2, (8,)),
        schedule=importlib.import_module("lbdl_book.models.diffusion").NoiseSchedule(10), x0=r(4, 2))),
    "models.diffusion.train_diffusion": Case(lambda: dict(
        model=importlib.import_module("lbdl_book.models.diffusion").TimeMLP(2, (8,)),
        schedule=importlib.import_module("lbdl_book.models.diffusion").NoiseSchedule(10), x0=r(4, 2), steps=2,
        batch_size=2)),
    "models.diffusion.ddpm_sample": Case(lambda: dict(
        model=importlib.import_module("lbdl_book.models.diffusion").TimeMLP(2, (8,)),
        schedule=importlib.import_module("lbdl_book.models.diffusion").NoiseSchedule(5), shape=(3, 2))),
    "models.diffusion.to_signal": Case(lambda: dict(images=torch.rand(2, 4)), valid={"images": {EMPTY}}),
    "models.diffusion.to_pixels": Case(lambda: dict(signal=r(2, 4)), valid={"signal": {EMPTY}}),
    "models.diffusion.median_bandwidth": Case(lambda: dict(x=r(5, 2))),
    "models.diffusion.mmd": Case(lambda: dict(x=r(5, 2), y=r(4, 2), bandwidth=1.0)),
    "models.diffusion.sliced_wasserstein": Case(lambda: dict(x=r(5, 2), y=r(5, 2))),
    "models.diffusion.two_moons": Case(lambda: dict(n=10)),
    "models.diffusion.train_shipped": Case(lambda: dict(quick=True)),
    # --- models.cot (§8.1, chain of thought) ---------------------------------------------
    "models.cot.problems": Case(lambda: dict(n=3, steps=2)),
    "models.cot.training_set": Case(lambda: dict(n=8, cot=True)),
    "models.cot.train": Case(lambda: dict(cot=True, examples=16, epochs=1)),
    "models.cot.answer": Case(lambda: dict(model=gpt.GPT(54, **importlib.import_module("lbdl_book.models.cot").CONFIG),
                                           prompt=importlib.import_module("lbdl_book.models.cot").problems(2, 2)[0],
                                           cot=True)),
    "models.cot.accuracy": Case(lambda: dict(model=gpt.GPT(54, **importlib.import_module("lbdl_book.models.cot").CONFIG),
                                             steps=2, cot=False, n=4)),
    "models.cot.decode": Case(lambda: dict(tokens=[20, 50, 3, 52])),
    # --- models.merge (§8.4, model merging) ---------------------------------------------
    "models.merge.task_vector": Case(lambda: dict(finetuned={"w": r(3)}, base={"w": r(3)})),
    "models.merge.add": Case(lambda: dict(base={"w": r(3)}, vectors=[{"w": r(3)}])),
    "models.merge.negate": Case(lambda: dict(base={"w": r(3)}, vector={"w": r(3)})),
    "models.merge.layer_names": Case(lambda: dict(state={"0.w": r(3)})),
    "models.merge.ties_merge": Case(lambda: dict(vectors=[{"w": r(3)}, {"w": r(3)}])),
    "models.merge.dare": Case(lambda: dict(vector={"w": r(3)}, p=0.5)),
    "models.merge.evolution_search": Case(lambda: dict(objective=lambda x: -x.sum().item(), initial=[0.0, 1.0],
                                                       generations=1, population=2, elite=1)),
    "models.merge.correct": Case(lambda: dict(model=mlp.MLP((4, 3)), state=mlp.MLP((4, 3)).state_dict(),
                                              images=r(5, 4), labels=ids(5, vocab=3))),
    "models.merge.task_accuracies": Case(lambda: dict(model=mlp.MLP((4, 10)), state=mlp.MLP((4, 10)).state_dict(),
                                                      images=r(10, 4), labels=torch.arange(10))),
    "models.merge.train_digit_models": Case(lambda: dict(data=merge_digits(), hidden=4, base_epochs=1,
                                                         finetune_epochs=1)),
    # --- models.guidance (§7.2, conditioning and guidance) ------------------------------
    "models.guidance.object_scenes": Case(lambda: dict(n=2, seed=0)),
    "models.guidance.SceneJudge": Case(forward=lambda: dict(images=torch.rand(2, 3, 32, 32))),
    "models.guidance.SceneModels": Case(forward="it holds two networks: its forward only raises, naming them"),
    "models.guidance.judge_loss": Case(lambda: dict(logits=r(3, 9), targets=torch.zeros(3, 2, dtype=torch.int64))),
    "models.guidance.clip_scores": Case(lambda: dict(clip_model=small_clip(), pixels=torch.rand(2, 3, 8, 8),
                                                     text_features=r(4))),
    "models.guidance.clip_guidance": Case(lambda: dict(
        denoiser=importlib.import_module("lbdl_book.models.diffusion").UNet((4, 8), in_channels=3, emb_dim=8,
                                                                             time_dim=8),
        schedule=importlib.import_module("lbdl_book.models.diffusion").NoiseSchedule(25), clip_model=small_clip(),
        text_features=r(4), strength=1.0)),
    "models.guidance.match_rate": Case(lambda: dict(
        judge=importlib.import_module("lbdl_book.models.guidance").SceneJudge(), pixels=torch.rand(2, 3, 32, 32),
        colours=torch.zeros(2, dtype=torch.int64), shapes=torch.zeros(2, dtype=torch.int64))),
    "models.guidance.class_match": Case(lambda: dict(judge=mlp.MLP((4, 10)), samples=r(3, 4), labels=ids(3, vocab=10))),
    "models.guidance.within_class_variance": Case(lambda: dict(samples=r(4, 2), labels=torch.tensor([0, 0, 1, 1]))),
    "models.guidance.ddim_sample": Case(lambda: dict(
        model=importlib.import_module("lbdl_book.models.diffusion").UNet((4, 8), in_channels=1, emb_dim=8, time_dim=8),
        schedule=importlib.import_module("lbdl_book.models.diffusion").NoiseSchedule(25), shape=(2, 1, 8, 8),
        steps=3)),
    "models.guidance.train_shipped": Case(lambda: dict(quick=True)),
    # --- segmentation (§6.4) ------------------------------------------------------------
    "models.segmenter.Bilinear": Case(forward=lambda: dict(x=r(1, 2, 3, 3))),
    "models.segmenter.DownUpNet": Case(lambda: dict(widths=(2, 3), skips=True), forward=lambda: dict(x=r(2, 3, 4, 4))),
    "models.segmenter.PSPNet": Case(lambda: dict(widths=(4, 6), reduced=2, head_width=4, image_size=8),
                                    forward=lambda: dict(x=r(2, 3, 8, 8))),   # batch norm at 1 × 1 needs 2
    "models.segmenter.PyramidPooling": Case(lambda: dict(channels=3, reduced=2, size=4),
                                            forward=lambda: dict(x=r(2, 3, 4, 4))),
    "models.segmenter.Segmenters": Case(forward=lambda: dict(x=r(2, 3, 64, 64))),
    "models.segmenter.band_accuracy": Case(lambda: dict(predicted=ids(2, 4, 4), target=ids(2, 4, 4))),
    "models.segmenter.boundary_band": Case(lambda: dict(masks=ids(2, 4, 4))),
    "models.segmenter.boundary_f_score": Case(lambda: dict(predicted=ids(2, 4, 4), target=ids(2, 4, 4))),
    "models.segmenter.class_iou": Case(lambda: dict(confusion=ids(5, 5) + 1)),
    "models.segmenter.confusion_matrix": Case(lambda: dict(predicted=ids(2, 4, 4), target=ids(2, 4, 4))),
    "models.segmenter.input_gradient_map": Case(lambda: dict(model=seg.DownUpNet((2, 3), skips=True), image=r(3, 4, 4),
                                                             row=1, column=2)),
    "models.segmenter.mean_iou": Case(lambda: dict(confusion=ids(5, 5) + 1)),
    "models.segmenter.multiply_adds": Case(lambda: dict(model=seg.DownUpNet((2, 3), skips=False), images=r(1, 3, 4, 4))),
    "models.segmenter.pixel_accuracy": Case(lambda: dict(confusion=ids(5, 5) + 1)),
    "models.segmenter.pixel_cross_entropy": Case(lambda: dict(logits=r(2, 5, 4, 4), masks=ids(2, 4, 4))),
    "models.segmenter.predict": Case(lambda: dict(model=seg.DownUpNet((2, 3), skips=True), images=r(2, 3, 4, 4))),
    "models.segmenter.scores": Case(lambda: dict(predicted=ids(2, 4, 4), target=ids(2, 4, 4))),
    # --- §6.5: audio, data.speech, models.speech -----------------------------------------
    "audio.hz_to_mel": Case(lambda: dict(hz=440.0), valid={"hz": {EMPTY}}),
    "audio.mel_to_hz": Case(lambda: dict(mel=10.0), valid={"mel": {EMPTY}}),
    "audio.mel_filter_bank": Case(lambda: dict(sample_rate=8000, n_fft=64, n_mels=8)),
    "audio.power_spectrogram": Case(lambda: dict(wave=r(300))),
    "audio.power_to_db": Case(lambda: dict(power=r(4, 5).abs())),
    "audio.log_mel": Case(lambda: dict(wave=r(400), sample_rate=8000)),
    "data.speech.translate": Case(lambda: dict(text="three one")),
    "data.speech.synthesize": Case(lambda: dict(text="one", duration=0.6)),
    "data.speech.speech_dataset": Case(lambda: dict(n=1, seed=0, duration=1.0, max_words=1)),
    # The missing bits: self-supervised training (models/ssl.py, models/bert.py)
    "models.ssl.BarlowTwins": Case(lambda: dict(encoder=ssl_models.DigitEncoder(hidden=8, features=4)),
                                   forward=lambda: dict(images=r(3, 1, 8, 8))),
    "models.ssl.DigitEncoder": Case(forward=lambda: dict(images=r(3, 1, 8, 8))),
    "models.ssl.DigitJitter": Case(forward=lambda: dict(images=r(3, 1, 8, 8))),
    "models.ssl.barlow_twins_loss": Case(lambda: dict(z1=r(4, 3), z2=r(4, 3))),
    "models.ssl.cross_correlation": Case(lambda: dict(z1=r(4, 3), z2=r(4, 3))),
    "models.ssl.features": Case(lambda: dict(encoder=ssl_models.DigitEncoder(hidden=8, features=4),
                                             images=r(3, 1, 8, 8))),
    "models.ssl.few_labels": Case(lambda: dict(labels=torch.arange(3).repeat(2), per_class=1)),
    "models.ssl.jitter": Case(lambda: dict(images=r(2, 1, 8, 8))),
    "models.ssl.linear_probe": Case(lambda: dict(train_features=r(6, 3), train_labels=torch.arange(3).repeat(2),
                                                 test_features=r(4, 3), test_labels=torch.tensor([0, 1, 2, 0]))),
    "models.bert.BERT": Case(lambda: dict(vocab_size=7, max_len=6, dim=8, num_heads=2, num_layers=1),
                             forward=lambda: dict(tokens=ids(2, 3, vocab=7))),
    "models.bert.BertLayer": Case(lambda: dict(dim=8, num_heads=2, hidden_dim=16), forward=lambda: dict(x=r(2, 3, 8))),
    "models.bert.MaskedLanguageModel": Case(lambda: dict(encoder=bert_models.BERT(7, 6, 8, 2, 1)),
                                            forward=lambda: dict(tokens=ids(2, 3, vocab=7))),
    "models.bert.fill_in": Case(lambda: dict(models=bert_models.text_models(7, context=6, dim=8, num_heads=2,
                                                                            num_layers=1),
                                             windows=ids(2, 6), mask_index=6, position=2)),
    "models.bert.mask_tokens": Case(lambda: dict(tokens=ids(2, 6), mask_index=6, vocab_size=7)),
    "models.bert.masked_copies": Case(lambda: dict(windows=ids(2, 6), mask_index=6, vocab_size=7, copies=2)),
    "models.bert.masked_cross_entropy": Case(lambda: dict(logits=r(2, 3, 7), targets=ids(2, 3))),
    "models.bert.parameter_count": Case(lambda: dict(vocab_size=7, max_len=6, dim=8, num_layers=1)),
    "models.bert.text_models": Case(lambda: dict(vocab_size=7)),
    "models.bert.train_text_models": Case(lambda: dict(models=bert_models.text_models(7, context=6, dim=8,
                                                                                      num_heads=2, num_layers=1),
                                                       windows=ids(4, 6), mask_index=6, copies=1)),
    "models.speech.SpeechRecognizer": Case(lambda: dict(vocab_size=70, dim=8, num_heads=2, num_encoder_layers=1,
                                                        num_decoder_layers=1),
                                           forward=lambda: dict(mel=r(2, 9, 40), tokens=ids(2, 3))),
    "models.speech.SpeechTeacherForcing": Case(lambda: dict(model=small_speech(), frames=9),
                                               forward=lambda: dict(packed=torch.cat([r(2, 360), ids(2, 3).float()], 1))),
    "models.speech.features": Case(lambda: dict(waves=r(2, 400))),
    "models.speech.encode_targets": Case(lambda: dict(texts=["one"], tasks=["translate"])),
    "models.speech.decode_tokens": Case(lambda: dict(tokens=ids(2, 3))),
    "models.speech.speech_loss": Case(lambda: dict(logits=r(2, 3, 70), targets=ids(2, 3))),
    "models.speech.parameter_count": Case(lambda: dict(vocab_size=70)),
    "models.speech.transcribe": Case(lambda: dict(model=small_speech(), mel=r(2, 9, 40))),
    "models.speech.cross_attention": Case(lambda: dict(model=small_speech(), mel=r(2, 9, 40))),
    "models.speech.edit_distance": Case(lambda: dict(a="one", b="two"), valid={"a": {"str"}, "b": {"str"}}),
    "models.speech.cer": Case(lambda: dict(hypotheses=["one"], references=["two"])),
    "models.speech.no_speech_accuracy": Case(lambda: dict(outputs=["<nospeech>", "one"],
                                                          no_speech=torch.tensor([True, False]))),
    "models.speech.evaluate": Case(lambda: dict(model=small_speech(), data=speech_clips(), mel=r(1, 9, 40))),
    "models.lora.AdaptedLayer": Case(lambda: dict(layer=linear.Linear(4, 4), adapter=lora.Adapter(4, 2)),
                                     forward=lambda: dict(x=r(2, 4))),
    "models.lora.Adapter": Case(lambda: dict(dim=4, bottleneck=2), forward=lambda: dict(h=r(2, 4))),
    "models.lora.LoRALinear": Case(lambda: dict(base=linear.Linear(4, 3), rank=2), forward=lambda: dict(x=r(2, 4))),
    "models.lora.LoRAParametrization": Case(lambda: dict(out_features=3, in_features=4, rank=2),
                                            forward=lambda: dict(weight=r(3, 4))),
    "models.lora.QuantizedWeight": Case(lambda: dict(weight=r(2, 32)),
                                        forward="a parametrization whose input is an empty placeholder it ignores"),
    "models.lora.adam_state_bytes": Case(lambda: dict(model=linear.Linear(3, 2))),
    "models.lora.add_adapters": Case(lambda: dict(model=small_gpt(), bottleneck=2)),
    "models.lora.add_lora": Case(lambda: dict(model=small_gpt(), rank=2)),
    "models.lora.freeze": Case(lambda: dict(model=linear.Linear(3, 2))),
    "models.lora.harbour_log": Case(lambda: dict(entries=2)),
    "models.lora.lora_modules": Case(lambda: dict(model=small_gpt())),
    "models.lora.lora_state_dict": Case(lambda: dict(model=lora.add_lora(small_gpt(), 1))),
    "models.lora.merge_lora": Case(lambda: dict(model=lora.add_lora(small_gpt(), 1))),
    "models.lora.merge_rounding_bound": Case(lambda: dict(layer=lora.LoRALinear(linear.Linear(4, 3), 2), x=r(2, 4))),
    "models.lora.merged_state_dict": Case(lambda: dict(model=lora.add_lora(small_gpt(), 1))),
    "models.lora.quantize_base": Case(lambda: dict(model=gpt.GPT(vocab_size=7, context=6, dim=32, num_heads=2,
                                                                 num_layers=1))),
    "models.lora.stored_bytes": Case(lambda: dict(model=linear.Linear(3, 2))),
    "models.lora.trainable_parameters": Case(lambda: dict(model=linear.Linear(3, 2))),
    "models.lora.training_bytes": Case(lambda: dict(model=linear.Linear(3, 2))),
    "models.lora.unmerge_lora": Case(lambda: dict(model=lora.add_lora(small_gpt(), 1))),
    "models.gpt.GPT": Case(lambda: dict(vocab_size=7, context=6, dim=8, num_heads=2, num_layers=1),
                           forward=lambda: dict(tokens=ids(2, 4))),
    "models.gpt.GPTLayer": Case(lambda: dict(dim=8, num_heads=2, hidden_dim=16), forward=lambda: dict(x=r(2, 3, 8))),
    "models.gpt.generate": Case(lambda: dict(model=small_gpt(), prompt_ids=ids(3), steps=2)),
    "models.gpt.gpt_stack": Case(lambda: dict(model=small_gpt())),
    "models.gpt.next_token_distribution": Case(lambda: dict(logits=r(2, 7))),
    "models.gpt.parameter_breakdown": Case(lambda: dict(model=small_gpt())),
    # --- models.quantize (§8.2) -----------------------------------------------------------
    "models.quantize.QuantizedTensor": Case(lambda: dict(data=torch.zeros(20, dtype=torch.uint8), fmt="Q4_1",
                                                         shape=(32,))),
    "models.quantize.add_ste": Case(lambda: dict(model=quant_gpt(), fmt="Q4_0")),
    "models.quantize.block_format": Case(lambda: dict(fmt="Q4_1")),
    "models.quantize.dequantize": Case(lambda: dict(q=quant().quantize(r(2, 32), "Q4_1"))),
    "models.quantize.dequantize_blocks": Case(lambda: dict(data=torch.zeros(2, 20, dtype=torch.uint8), fmt="Q4_1")),
    "models.quantize.fake_quantize": Case(lambda: dict(x=r(2, 32), fmt="Q8_0")),
    "models.quantize.fake_quantize_torch": Case(lambda: dict(x=r(2, 32), fmt="Q5_1")),
    "models.quantize.model_bytes": Case(lambda: dict(model=quant_gpt(), plan="Q4_1")),
    "models.quantize.quantize": Case(lambda: dict(x=r(2, 32), fmt="Q4_0")),
    "models.quantize.quantize_blocks": Case(lambda: dict(x=r(2, 32), fmt="Q5_0")),
    "models.quantize.quantize_model": Case(lambda: dict(model=quant_gpt(), plan="Q2_L")),
    "models.quantize.remove_ste": Case(lambda: dict(model=quant().add_ste(quant_gpt(), "Q3_L"))),
    "models.quantize.ste": Case(lambda: dict(x=r(2, 32), fmt="Q4_1")),
    "models.quantize.weight_matrices": Case(lambda: dict(model=quant_gpt())),
    "models.quantize.window_losses": Case(lambda: dict(model=quant_gpt(), windows=ids(2, 5, vocab=7))),
    "models.gpt.parameter_count": Case(lambda: dict(vocab_size=7, context=6, dim=8, num_layers=1)),
    "models.gpt.train_char_gpt": Case(lambda: dict(config=dict(context=6, dim=8, num_heads=2, num_layers=1),
                                                   quick=True)),
    "models.decoding.beam_search": Case(lambda: dict(model=small_gpt(), prompt_ids=ids(3), steps=2, beam_size=2)),
    "models.decoding.distinct_n": Case(lambda: dict(texts=["abcab", "aaaa"], n=2),
                                       valid={"texts": {"nested list"}}),        # two texts of token ids
    "models.decoding.greedy": Case(lambda: dict(model=small_gpt(), prompt_ids=ids(3), steps=2)),
    "models.decoding.log_likelihood": Case(lambda: dict(model=small_gpt(), tokens=ids(2, 5), start=1)),
    "data.facts.padded_cross_entropy": Case(lambda: dict(logits=r(2, 3, 5), targets=ids(2, 3))),
    # --- models.lenet, mlp --------------------------------------------------------------
    "models.lenet.LeNet": Case(lambda: dict(image_size=12, channels=(2, 3), kernel_size=3, pool_sizes=(2, 2), hidden=8),
                               forward=lambda: dict(x=r(2, 1, 12, 12))),
    "models.lenet.layer_table": Case(lambda: dict(model=torch.nn.Sequential(torch.nn.Linear(3, 2)),
                                                  example_input=r(1, 3))),
    "models.mlp.MLP": Case(lambda: dict(sizes=(3, 4, 2)), forward=lambda: dict(x=r(5, 3))),
    "models.mlp.ParallelShallowMLPs": Case(lambda: dict(in_features=3, widths=(2, 4), out_features=2),
                                           forward=lambda: dict(x=r(5, 3))),
    "models.mlp.Square": Case(forward=lambda: dict(x=r(3)), forward_valid=TENSOR_ANY_SHAPE),
    "models.mlp.count_parameters": Case(lambda: dict(sizes=(3, 4, 2))),
    "models.mlp.draw_mlp": Case(lambda: dict(model=mlp.MLP((3, 4, 2)))),
    "models.mlp.fit_last_layer_": Case(lambda: dict(model=mlp.MLP((3, 4, 2)), x=r(6, 3), y=r(6, 2))),
    "models.mlp.relu_interpolant": Case(lambda: dict(knots=torch.tensor([0.0, 0.5, 1.0]),
                                                     values=torch.tensor([0.0, 1.0, 0.0]))),
    "models.mlp.summed_mse": Case(lambda: dict(outputs=r(5, 2, 3), target=r(5, 3))),
    # --- models.rnn, models.ssm, data.memory_tasks (the missing bits: recurrent networks) -
    "data.memory_tasks.marked_recall": Case(lambda: dict(n=4, lag=3)),
    "models.rnn.GRU": Case(lambda: dict(input_size=3, hidden_size=4), forward=lambda: dict(x=r(2, 5, 3))),
    "models.rnn.LSTM": Case(lambda: dict(input_size=3, hidden_size=4), forward=lambda: dict(x=r(2, 5, 3))),
    "models.rnn.RNN": Case(lambda: dict(input_size=3, hidden_size=4), forward=lambda: dict(x=r(2, 5, 3))),
    "models.rnn.RecurrentClassifier": Case(lambda: dict(kind="gru", input_size=3, hidden_size=4, num_classes=2),
                                           forward=lambda: dict(x=r(2, 5, 3))),
    "models.rnn.accuracy": Case(lambda: dict(model=lbdl_book.models.rnn.RecurrentClassifier("gru", 3, 4, 2),
                                             x=r(2, 5, 3), y=ids(2, vocab=2))),
    "models.rnn.gradient_reaching_inputs": Case(lambda: dict(
        model=lbdl_book.models.rnn.RecurrentClassifier("rnn", 3, 4, 2), x=r(2, 5, 3))),
    "models.ssm.SelectiveSSM": Case(lambda: dict(input_size=3, state_size=4), forward=lambda: dict(x=r(2, 5, 3))),
    "models.ssm.linear_recurrence_loop": Case(lambda: dict(a=r(2, 5, 3), b=r(2, 5, 3))),
    "models.ssm.linear_recurrence_scan": Case(lambda: dict(a=r(2, 5, 3), b=r(2, 5, 3))),
    "models.ssm.scan_rounding_bound": Case(lambda: dict(a=torch.rand(2, 5, 3), b=r(2, 5, 3))),
    "models.ssm.scan_steps": Case(lambda: dict(length=8)),
    # --- models.resnet ------------------------------------------------------------------
    "models.resnet.BasicBlock": Case(lambda: dict(in_channels=4, out_channels=8), forward=lambda: dict(x=r(1, 4, 4, 4))),
    "models.resnet.depth_study_net": Case(lambda: dict(blocks_per_stage=1, residual=True)),
    "models.resnet.BottleneckBlock": Case(lambda: dict(channels=8), forward=lambda: dict(x=r(1, 8, 4, 4))),
    "models.resnet.DownscalingBlock": Case(lambda: dict(in_channels=4, out_channels=8),
                                           forward=lambda: dict(x=r(1, 4, 4, 4))),
    "models.resnet.ResNet": Case(lambda: dict(blocks=(1,), channels=(8,), strides=(1,), in_channels=1, num_classes=3,
                                              image_size=8, stem_channels=4, stem_kernel_size=3, stem_stride=1,
                                              stem_pool=False),
                                 forward=lambda: dict(x=r(2, 1, 8, 8))),
    "models.resnet.block_diagram": Case(lambda: dict(block=resnet.BottleneckBlock(8), example_input=r(1, 8, 4, 4))),
    "models.resnet.multiply_adds": Case(lambda: dict(model=torch.nn.Sequential(torch.nn.Linear(3, 2)),
                                                     example_input=r(1, 3))),
    "models.resnet.reached_pixels": Case(lambda: dict(module=torch.nn.Conv2d(1, 1, 3), input_shape=(1, 5, 5),
                                                      trials=1)),
    "models.resnet.shape_table": Case(lambda: dict(model=small_resnet(), example_input=r(1, 1, 8, 8))),
    # --- models.transformer -------------------------------------------------------------
    "models.transformer.CrossAttentionBlock": Case(lambda: dict(dim=8, num_heads=2),
                                                   forward=lambda: dict(x=r(2, 3, 8), z=r(2, 4, 8))),
    "models.transformer.Decoder": Case(lambda: dict(vocab_size=7, dim=8, num_heads=2, hidden_dim=16, num_layers=1,
                                                    max_len=8),
                                       forward=lambda: dict(tgt=ids(2, 3), z=r(2, 4, 8))),
    "models.transformer.DecoderLayer": Case(lambda: dict(dim=8, num_heads=2, hidden_dim=16),
                                            forward=lambda: dict(y=r(2, 3, 8), z=r(2, 4, 8))),
    "models.transformer.Encoder": Case(lambda: dict(vocab_size=7, dim=8, num_heads=2, hidden_dim=16, num_layers=1,
                                                    max_len=8),
                                       forward=lambda: dict(src=ids(2, 3))),
    "models.transformer.EncoderLayer": Case(lambda: dict(dim=8, num_heads=2, hidden_dim=16),
                                            forward=lambda: dict(x=r(2, 3, 8))),
    "models.transformer.FeedForwardBlock": Case(lambda: dict(dim=8, hidden_dim=16), forward=lambda: dict(x=r(2, 3, 8))),
    "models.transformer.SelfAttentionBlock": Case(lambda: dict(dim=8, num_heads=2), forward=lambda: dict(x=r(2, 3, 8))),
    "models.transformer.TeacherForcing": Case(lambda: dict(model=small_transformer(), source_length=3),
                                              forward=lambda: dict(pairs=ids(2, 5))),
    "models.transformer.Transformer": Case(lambda: dict(vocab_size=7, dim=8, num_heads=2, num_encoder_layers=1,
                                                        num_decoder_layers=1, max_len=8),
                                           forward=lambda: dict(src=ids(2, 3), tgt=ids(2, 4))),
    "models.transformer.block_parameter_count": Case(lambda: dict(kind="self_attention", dim=8)),
    "models.transformer.block_stack": Case(lambda: dict(block=tr.FeedForwardBlock(8, 16), example=(r(1, 3, 8),))),
    "models.transformer.decoder_stack": Case(lambda: dict(model=small_transformer(), tgt=ids(1, 3), z=r(1, 4, 8))),
    "models.transformer.draw_stacks": Case(lambda: dict(stacks=[([diagrams.Box("fc")], None)])),
    "models.transformer.encoder_stack": Case(lambda: dict(model=small_transformer(), src=ids(1, 3))),
    "models.transformer.greedy_decode": Case(lambda: dict(model=small_transformer(), src=ids(2, 3), start_index=1,
                                                          end_index=2, max_len=3)),
    "models.transformer.layer_attention_maps": Case(lambda: dict(layers=[tr.EncoderLayer(8, 2, 16)], h=r(2, 3, 8))),
    "models.transformer.parameter_breakdown_of": Case(lambda: dict(parts={"fc": [torch.nn.Linear(3, 2)]})),
    "models.transformer.parameter_count": Case(lambda: dict(vocab_size=7, dim=8, hidden_dim=16, num_encoder_layers=1,
                                                            num_decoder_layers=1)),
    "models.transformer.sequence_cross_entropy": Case(lambda: dict(logits=r(2, 3, 7), target=ids(2, 3, vocab=7))),
    # --- models.vit ---------------------------------------------------------------------
    "models.vit.ClassToken": Case(lambda: dict(dim=8), forward=lambda: dict(x=r(2, 4, 8))),
    "models.vit.Patchify": Case(lambda: dict(patch_size=4), forward=lambda: dict(images=r(2, 1, 8, 8))),
    "models.vit.TakeToken": Case(forward=lambda: dict(x=r(2, 4, 8))),
    "models.vit.ViT": Case(lambda: dict(image_size=8, patch_size=4, in_channels=1, num_classes=3, dim=8, num_heads=2,
                                        num_layers=1, mlp_dim=16),
                           forward=lambda: dict(images=r(2, 1, 8, 8))),
    "models.vit.as_conv2d": Case(lambda: dict(linear=linear.Linear(16, 8), in_channels=1, patch_size=4)),
    "models.vit.num_patches": Case(lambda: dict(image_size=8, patch_size=4)),
    "models.vit.parameter_breakdown": Case(lambda: dict(model=small_vit())),
    "models.vit.parameter_count": Case(lambda: dict(image_size=8, patch_size=4, in_channels=1, num_classes=3, dim=8,
                                                    num_layers=1, mlp_dim=16)),
    "models.vit.patchify": Case(lambda: dict(images=r(2, 1, 8, 8), patch_size=4)),
    "models.vit.unpatchify": Case(lambda: dict(patches=r(2, 4, 16), patch_size=4, image_size=8, in_channels=1)),
    "models.vit.vit_stack": Case(lambda: dict(model=small_vit(), images=r(1, 1, 8, 8))),
    # --- nn.activations -----------------------------------------------------------------
    "nn.activations.GELU": Case(forward=lambda: dict(x=r(3)), forward_valid=TENSOR_ANY_SHAPE),
    "nn.activations.LeakyReLU": Case(forward=lambda: dict(x=r(3)), forward_valid=TENSOR_ANY_SHAPE),
    "nn.activations.ReLU": Case(forward=lambda: dict(x=r(3)), forward_valid=TENSOR_ANY_SHAPE),
    "nn.activations.Sigmoid": Case(forward=lambda: dict(x=r(3)), forward_valid=TENSOR_ANY_SHAPE),
    "nn.activations.Tanh": Case(forward=lambda: dict(x=r(3)), forward_valid=TENSOR_ANY_SHAPE),
    "nn.activations.derivative": Case(lambda: dict(activation=torch.tanh, x=r(3)), valid=TENSOR_ANY_SHAPE),
    "nn.activations.gelu": Case(lambda: dict(x=r(3)), valid=TENSOR_ANY_SHAPE),
    "nn.activations.leaky_relu": Case(lambda: dict(x=r(3)), valid=TENSOR_ANY_SHAPE),
    "nn.activations.relu": Case(lambda: dict(x=r(3)), valid=TENSOR_ANY_SHAPE),
    "nn.activations.sigmoid": Case(lambda: dict(x=r(3)), valid=TENSOR_ANY_SHAPE),
    "nn.activations.tanh": Case(lambda: dict(x=r(3)), valid=TENSOR_ANY_SHAPE),
    # --- nn.attention -------------------------------------------------------------------
    "nn.attention.MultiHeadAttention": Case(lambda: dict(embed_dim=8, num_heads=2),
                                            forward=lambda: dict(x_q=r(2, 3, 8))),
    "nn.attention.attention_rounding_bound": Case(lambda: dict(q=r(2, 3, 4), k=r(2, 5, 4), v=r(2, 5, 6))),
    "nn.attention.layer_rounding_bound": Case(lambda: dict(layer=attention.MultiHeadAttention(8, 2), x_q=r(2, 3, 8))),
    "nn.attention.attention": Case(lambda: dict(q=r(2, 3, 4), k=r(2, 5, 4), v=r(2, 5, 6))),
    "nn.attention.causal_mask": Case(lambda: dict(n_q=3)),
    "nn.attention.linear_attention": Case(lambda: dict(q=r(2, 3, 4), k=r(2, 5, 4), v=r(2, 5, 6))),
    "nn.attention.parameter_count": Case(lambda: dict(embed_dim=8, num_heads=2)),
    "nn.attention.softargmax": Case(lambda: dict(x=r(2, 3), dim=1), valid={"dim": {"-1"}}),   # -1: the last axis
    # --- nn.conv ------------------------------------------------------------------------
    "nn.conv.Conv1d": Case(lambda: dict(in_channels=2, out_channels=3, kernel_size=3),
                           forward=lambda: dict(x=r(1, 2, 6))),
    "nn.conv.Conv2d": Case(lambda: dict(in_channels=2, out_channels=3, kernel_size=3),
                           forward=lambda: dict(x=r(1, 2, 6, 6))),
    "nn.conv.ConvTranspose1d": Case(lambda: dict(in_channels=2, out_channels=3, kernel_size=3),
                                    forward=lambda: dict(x=r(1, 2, 6))),
    "nn.conv.ConvTranspose2d": Case(lambda: dict(in_channels=2, out_channels=3, kernel_size=3),
                                    forward=lambda: dict(x=r(1, 2, 6, 6))),
    "nn.conv.conv1d": Case(lambda: dict(x=r(1, 2, 6), weight=r(3, 2, 3))),
    "nn.conv.conv2d": Case(lambda: dict(x=r(1, 2, 6, 6), weight=r(3, 2, 3, 3))),
    "nn.conv.conv_output_size": Case(lambda: dict(length=6, kernel_size=3)),
    "nn.conv.conv_transpose1d": Case(lambda: dict(x=r(1, 2, 6), weight=r(2, 3, 3))),
    "nn.conv.conv_transpose2d": Case(lambda: dict(x=r(1, 2, 6, 6), weight=r(2, 3, 3, 3))),
    "nn.conv.conv_transpose_output_size": Case(lambda: dict(length=6, kernel_size=3)),
    # [[1, 2], [3, 4]] is a valid stack: (K=1, stride 2) then (K=3, stride 4)
    "nn.conv.receptive_field": Case(lambda: dict(layers=[conv.Conv1d(1, 1, 3), conv.Conv1d(1, 1, 3)]),
                                    valid={"layers": {"nested list"}}),
    # --- nn.dropout, embedding, linear --------------------------------------------------
    "nn.dropout.Dropout": Case(forward=lambda: dict(x=r(3)), forward_valid=TENSOR_ANY_SHAPE),
    "nn.dropout.Dropout2d": Case(forward=lambda: dict(x=r(2, 3, 4, 4))),
    "nn.dropout.dropout": Case(lambda: dict(x=r(3)), valid=TENSOR_ANY_SHAPE),
    "nn.dropout.dropout2d": Case(lambda: dict(x=r(2, 3, 4, 4))),
    "nn.dropout.dropout_mask": Case(lambda: dict(shape=(2, 3), p=0.5)),
    "nn.embedding.Embedding": Case(lambda: dict(num_embeddings=5, embedding_dim=3), forward=lambda: dict(x=ids(2, 4))),
    "nn.embedding.embedding": Case(lambda: dict(x=ids(2, 4), weight=r(5, 3))),
    "nn.fused.fused_components": Case(lambda: dict(module=linear.Linear(3, 2))),
    "nn.fused.set_fused": Case(lambda: dict(module=linear.Linear(3, 2))),
    "nn.linear.Linear": Case(lambda: dict(in_features=3, out_features=2), forward=lambda: dict(x=r(4, 3))),
    "nn.linear.forward_stds": Case(lambda: dict(depth=2, width=4, scheme="fan_in", batch_size=8)),
    "nn.linear.init_std": Case(lambda: dict(scheme="fan_in", fan_in=4)),
    "nn.linear.init_weight_": Case(lambda: dict(weight=torch.empty(3, 4), scheme="fan_in")),
    "nn.linear.linear": Case(lambda: dict(x=r(4, 3), weight=r(2, 3))),
    # --- nn.norm ------------------------------------------------------------------------
    "nn.norm.BatchNorm1d": Case(lambda: dict(num_features=3), forward=lambda: dict(x=r(4, 3))),
    "nn.norm.BatchNorm2d": Case(lambda: dict(num_features=3), forward=lambda: dict(x=r(4, 3, 2, 2))),
    "nn.norm.LayerNorm": Case(lambda: dict(normalized_shape=3), forward=lambda: dict(x=r(4, 3))),
    "nn.norm.batch_norm": Case(lambda: dict(x=r(4, 3), running_mean=torch.zeros(3), running_var=torch.ones(3))),
    "nn.norm.layer_norm": Case(lambda: dict(x=r(4, 3), normalized_shape=(3,))),
    # --- nn.pooling ---------------------------------------------------------------------
    "nn.pooling.AvgPool1d": Case(lambda: dict(kernel_size=2), forward=lambda: dict(x=r(1, 2, 6))),
    "nn.pooling.AvgPool2d": Case(lambda: dict(kernel_size=2), forward=lambda: dict(x=r(1, 2, 6, 6))),
    "nn.pooling.MaxPool1d": Case(lambda: dict(kernel_size=2), forward=lambda: dict(x=r(1, 2, 6))),
    "nn.pooling.MaxPool2d": Case(lambda: dict(kernel_size=2), forward=lambda: dict(x=r(1, 2, 6, 6))),
    "nn.pooling.avg_pool1d": Case(lambda: dict(x=r(1, 2, 6), kernel_size=2)),
    "nn.pooling.avg_pool2d": Case(lambda: dict(x=r(1, 2, 6, 6), kernel_size=2)),
    "nn.pooling.max_pool1d": Case(lambda: dict(x=r(1, 2, 6), kernel_size=2)),
    "nn.pooling.max_pool2d": Case(lambda: dict(x=r(1, 2, 6, 6), kernel_size=2)),
    "nn.pooling.pool_output_size": Case(lambda: dict(size=6, kernel_size=2)),
    # --- nn.positional, skip ------------------------------------------------------------
    "nn.positional.LearnedPositionalEncoding": Case(lambda: dict(max_len=6, dim=4), forward=lambda: dict(x=r(2, 3, 4))),
    "nn.positional.SinusoidalPositionalEncoding": Case(lambda: dict(dim=4, max_len=6),
                                                       forward=lambda: dict(x=r(2, 3, 4))),
    "nn.positional.frequencies": Case(lambda: dict(dim=4)),
    # a negative offset rotates backwards: pos-enc[t - 1] = R(-1) pos-enc[t]
    "nn.positional.relative_rotation": Case(lambda: dict(offset=2, dim=4), valid={"offset": {"-1"}}),
    "nn.positional.sinusoidal_encoding": Case(lambda: dict(length=3, dim=4)),
    "nn.skip.ConcatSkip": Case(lambda: dict(branch=linear.Linear(3, 2)), forward=lambda: dict(x=r(4, 3))),
    "nn.skip.Residual": Case(lambda: dict(branch=linear.Linear(3, 3)), forward=lambda: dict(x=r(4, 3))),
    "nn.skip.plain_mlp": Case(lambda: dict(depth=3, width=4, in_features=3, out_features=2)),
    "nn.skip.residual_mlp": Case(lambda: dict(depth=3, width=4, in_features=3, out_features=2)),
    "nn.skip.weight_gradient_norms": Case(lambda: dict(model=torch.nn.Sequential(linear.Linear(3, 2)), x=r(4, 3),
                                                       target=ids(4, vocab=2))),
    # --- optim --------------------------------------------------------------------------
    "optim.Adam": Case(lambda: dict(params=[r(3).requires_grad_()])),
    "optim.GradientDescent": Case(lambda: dict(params=[r(3).requires_grad_()], lr=0.1)),
    "optim.Quadratic": Case(lambda: dict(hessian=torch.eye(2))),
    "optim.descend": Case(lambda: dict(loss=quadratic_loss, w0=r(2), lr=0.1, steps=2)),
    "optim.minibatch_sgd": Case(lambda: dict(loss=quadratic_loss, w0=r(2), data=(r(6, 2), r(6)), lr=0.1, batch_size=2,
                                             budget=12, record_every=6)),
    "optim.minibatches": Case(lambda: dict(n=6, batch_size=2)),
    "optim.two_basins": Case(lambda: dict(w=r(5, 1))),
    "optim.per_sample_gradients": Case(lambda: dict(loss=quadratic_loss, w=r(2), data=(r(6, 2), r(6)))),
    # --- plot ---------------------------------------------------------------------------
    "plot.to_png": Case(lambda: dict(figure=draw_figure())),
    # --- scale --------------------------------------------------------------------------
    "scale.StudentBank": Case(lambda: dict(dim=3, widths=(2, 4)), forward=lambda: dict(x=r(5, 3))),
    "scale.accelerator_days": Case(lambda: dict(flop=1e20)),
    "scale.count_format": Case(lambda: dict(n=1.2e6)),
    "scale.fit_exponential": Case(lambda: dict(t=[0.0, 1.0, 2.0], y=[1.0, 2.0, 4.1])),
    "scale.fit_power_law": Case(lambda: dict(x=[1.0, 2.0, 4.0], y=[1.0, 0.5, 0.26])),
    "scale.flop_per_kwh": Case(lambda: dict(peak_flops=1e12, watts=100.0)),
    "scale.flop_to_pf_days": Case(lambda: dict(flop=1e20)),
    # [[1, 2], [3, 4]] is a table of two rows of two numbers
    "scale.html_table": Case(lambda: dict(header=["a", "b"], rows=[["x", 1]]), valid={"rows": {"nested list"}}),
    "scale.pf_days_to_flop": Case(lambda: dict(pf_days=1.0)),
    "scale.si_format": Case(lambda: dict(value=1.5e11)),
    "scale.teacher_student_data": Case(lambda: dict(teacher=scale.make_teacher(dim=2, width=4), n=5, seed=0)),
    "scale.training_energy_kwh": Case(lambda: dict(flop=1e20)),
    "scale.width_sweep": Case(lambda: dict(widths=[2], train=(r(6, 2), r(6)), test=(r(4, 2), r(4)), steps=1)),
    # --- schedules ----------------------------------------------------------------------
    "schedules.constant": Case(lambda: dict(step=0, lr=0.1)),
    "schedules.cosine_annealing": Case(lambda: dict(step=1, lr=0.1, total_steps=10)),
    "schedules.linear_warmup": Case(lambda: dict(step=1, lr=0.1, warmup_steps=5)),
    "schedules.schedule_values": Case(lambda: dict(schedule=lambda t: 0.1, steps=3)),
    "schedules.step_decay": Case(lambda: dict(step=1, lr=0.1, step_size=5)),
    "schedules.to_torch": Case(lambda: dict(optimizer=torch.optim.SGD([r(2).requires_grad_()], lr=0.1),
                                            schedule=lambda t: 0.1)),
    "schedules.warmup_cosine": Case(lambda: dict(step=1, lr=0.1, warmup_steps=2, total_steps=10)),
    # --- source, tensors, tokenizer -----------------------------------------------------
    "source.show_source": Case(lambda: dict(obj=lbdl_book.tensors.describe)),
    # any tensor has a layout, an empty one included
    "tensors.describe": Case(lambda: dict(t=r(2, 3)), valid={"t": {EMPTY}}),
    "tensors.shares_storage": Case(lambda: dict(a=r(2, 3), b=r(2, 3)), valid={"a": {EMPTY}, "b": {EMPTY}}),
    "tensors.storage_index": Case(lambda: dict(t=r(2, 3)), valid={"t": {EMPTY}}),
    # a str is an iterable of distinct characters
    "tokenizer.BPETokenizer": Case(lambda: dict(alphabet="abc"), valid={"alphabet": {"str"}}),
    "tokenizer.merge_pair": Case(lambda: dict(ids=[0, 1, 0, 1], pair=(0, 1), new_id=2)),
    # --- train, widgets -----------------------------------------------------------------
    "train.eval_mode": Case(lambda: dict(model=linear.Linear(3, 2))),
    "train.predict": Case(lambda: dict(model=linear.Linear(3, 2), x=r(5, 3))),
    "train.evaluate": Case(lambda: dict(model=linear.Linear(3, 2), loss_fn=lbdl_book.losses.cross_entropy,
                                        data=(r(4, 3), ids(4, vocab=2)), device="cpu")),
    "train.fit": Case(lambda: dict(model=linear.Linear(3, 2), loss_fn=lbdl_book.losses.cross_entropy,
                                   train_data=(r(4, 3), ids(4, vocab=2)), epochs=1, lr=0.1, device="cpu",
                                   progress=False)),
    "widgets.Explorer": Case(lambda: dict(draw=draw_figure, sliders=[widgets.Slider("a", "a", [1, 2])])),
    # "junk" is an identifier and a label; a slider's values may be any objects, lists included
    "widgets.Slider": Case(lambda: dict(name="a", label="a", values=[1, 2]),
                           valid={"name": {"str"}, "label": {"str"}, "values": {"nested list"}}),
    "widgets.explore": Case(lambda: dict(draw=draw_figure, sliders=(widgets.Slider("a", "a", [1, 2]),))),
    # --- models.rlhf (§7.1, reinforcement learning from human feedback) -------------------
    "models.rlhf.RewardModel": Case(forward=lambda: dict(tokens=rlhf.web_answers(3, seed=0))),
    "models.rlhf.answer_mask": Case(lambda: dict(tokens=rlhf.web_answers(3, seed=0))),
    "models.rlhf.true_score": Case(lambda: dict(tokens=rlhf.web_answers(3, seed=0))),
    "models.rlhf.score_parts": Case(lambda: dict(tokens=rlhf.web_answers(3, seed=0))),
    "models.rlhf.render": Case(lambda: dict(tokens=rlhf.web_answers(3, seed=0))),
    "models.rlhf.encode": Case(lambda: dict(text="3 ? 4 thanks .")),
    "models.rlhf.right_answer": Case(lambda: dict(question=ids(4, vocab=10))),
    "models.rlhf.questions": Case(lambda: dict(n=3)),
    "models.rlhf.web_answers": Case(lambda: dict(n=3)),
    "models.rlhf.demonstrations": Case(lambda: dict(n=3)),
    "models.rlhf.bradley_terry_loss": Case(lambda: dict(rewards=r(4, 2), winner=ids(4, vocab=2))),
    "models.rlhf.pair_accuracy": Case(lambda: dict(rewards=r(4, 2), winner=ids(4, vocab=2))),
    "models.rlhf.rate_pairs": Case(lambda: dict(pairs=rlhf.web_answers(6, seed=0).reshape(3, 2, -1))),
    "models.rlhf.sample_answers": Case(lambda: dict(model=rlhf.policy_gpt(0), prompts=rlhf.questions(3))),
    "models.rlhf.sequence_log_probs": Case(lambda: dict(model=rlhf.policy_gpt(0), tokens=rlhf.web_answers(3))),
    "models.rlhf.train_rlhf": Case(lambda: dict(policy=rlhf.policy_gpt(0), reference=rlhf.policy_gpt(0),
                                                reward_model=rlhf.RewardModel(), beta=0.1, steps=1, batch_size=8)),
    # --- weights: files in a temporary folder ---------------------------------------------
    "weights.load": Case(lambda: dict(model=linear.Linear(2, 2), name=saved_weights(), folder=WEIGHTS_FOLDER)),
    "weights.metadata": Case(lambda: dict(name=saved_weights(), folder=WEIGHTS_FOLDER)),
    "weights.recipe": Case(lambda: dict(name=next(iter(weights.RECIPES)))),
    "weights.round_to_float16": Case(lambda: dict(model=linear.Linear(2, 2))),
    # "junk" is a valid name for a new file
    "weights.save": Case(lambda: dict(model=linear.Linear(2, 2), name="swept", info={}, folder=WEIGHTS_FOLDER),
                         valid={"name": {"str"}}),
}


# --- discovery ---------------------------------------------------------------------------

def _public_modules():
    """Every module of lbdl_book, by ``pkgutil.walk_packages``, without importing the
    excluded packages (walk_packages imports each package it descends into)."""
    def public(name: str) -> bool:
        return not name.startswith(EXCLUDED) and not any(part.startswith("_") for part in name.split("."))

    for info in pkgutil.iter_modules(lbdl_book.__path__, "lbdl_book."):
        if not public(info.name):
            continue
        top = importlib.import_module(info.name)
        yield top
        if info.ispkg:
            for sub in pkgutil.walk_packages(top.__path__, f"{info.name}."):
                if public(sub.name):
                    yield importlib.import_module(sub.name)


def _required(signature: inspect.Signature) -> list[str]:
    return [p.name for p in signature.parameters.values()
            if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _is_module_class(obj) -> bool:
    return inspect.isclass(obj) and issubclass(obj, torch.nn.Module)


def public_callables() -> dict[str, object]:
    """``"module.name"`` (without the ``lbdl_book.`` prefix) → the function or class."""
    found = {}
    for module in _public_modules():
        for name, obj in vars(module).items():
            if name.startswith("_") or not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            if getattr(obj, "__module__", None) != module.__name__:
                continue
            found[f"{module.__name__.removeprefix('lbdl_book.')}.{name}"] = obj
    return found


PUBLIC = public_callables()


def _needs_case(key: str, obj) -> bool:
    return key not in RECORDS and (_is_module_class(obj) or bool(_required(inspect.signature(obj))))


SWEPT = sorted(key for key, obj in PUBLIC.items() if _needs_case(key, obj))


# --- calling -----------------------------------------------------------------------------

def _call(fn, signature: inspect.Signature, arguments: dict):
    positional, keywords = [], {}
    has_var_positional = any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values())
    for p in signature.parameters.values():
        if p.name not in arguments:
            continue
        if p.kind is p.VAR_POSITIONAL:
            positional.extend(arguments[p.name])
        elif p.kind is p.POSITIONAL_ONLY or (has_var_positional and p.kind is p.POSITIONAL_OR_KEYWORD):
            positional.append(arguments[p.name])
        else:
            keywords[p.name] = arguments[p.name]
    return fn(*positional, **keywords)


def _sweep(label: str, fn, signature: inspect.Signature, make_args: Callable[[], dict], valid: dict) -> list[str]:
    """Call ``fn`` with valid arguments, then with each junk value in each required
    parameter (a junk declared valid there must work; any other must be refused with a
    ValueError or TypeError naming the parameter); return the problems found."""
    unknown = set(valid) - set(signature.parameters)
    assert not unknown, f"{label}: the table names parameters it does not have: {sorted(unknown)}"
    try:
        _call(fn, signature, make_args())
    except Exception as error:                    # the example itself must be valid
        return [f"{label}: the valid example arguments of tests/test_bad_inputs.py fail: "
                f"{type(error).__name__}: {error}"]
    problems = []
    for parameter in _required(signature):
        for junk_label, junk in JUNK.items():
            arguments = make_args()
            arguments[parameter] = junk()
            if junk_label in valid.get(parameter, ()):  # declared valid: it must then work
                try:
                    _call(fn, signature, arguments)
                except Exception as error:
                    problems.append(f"{label}({parameter}={junk_label}) is declared valid in CASES but raises "
                                    f"{type(error).__name__}: {error}"[:300])
                continue
            try:
                _call(fn, signature, arguments)
            except (ValueError, TypeError) as error:
                if not re.search(rf"\b{parameter}\b", str(error)):
                    problems.append(f"{label}({parameter}={junk_label}): the message does not name {parameter!r}: "
                                    f"{type(error).__name__}: {error}"[:300])
            except Exception as error:
                problems.append(f"{label}({parameter}={junk_label}): {type(error).__name__}: {error}"[:300])
            else:
                problems.append(f"{label}({parameter}={junk_label}): no error (if this junk is valid there, "
                                f"say so in its entry's valid=)")
    return problems


# --- the tests ---------------------------------------------------------------------------

def test_every_public_callable_has_a_case():
    missing = [key for key in SWEPT if key not in CASES]
    assert not missing, (
        "tests/test_bad_inputs.py has no valid example arguments for these public callables of lbdl_book: "
        f"{missing}. Add an entry to CASES (and to its valid= any junk that is a legitimate value), or, for a "
        "dataclass that only holds results, to RECORDS.")
    stale = sorted(set(CASES) - set(SWEPT)) + sorted(RECORDS - set(PUBLIC))
    assert not stale, f"entries of CASES or RECORDS that name no public callable with a required parameter: {stale}"
    not_records = [key for key in RECORDS
                   if not (dataclasses.is_dataclass(PUBLIC[key]) or issubclass(PUBLIC[key], tuple))]
    assert not not_records, f"RECORDS may only list dataclasses and named tuples, not {not_records}"
    undecided = [key for key in SWEPT if _is_module_class(PUBLIC[key]) and CASES[key].forward is None]
    assert not undecided, (f"nn.Module classes without forward arguments (or a reason not to sweep forward) "
                           f"in their CASES entry: {undecided}")


def test_the_sweep_is_not_empty():
    assert len(SWEPT) > 150
    assert all(key.split(".")[0] not in ("figures", "strings") for key in PUBLIC)


@pytest.mark.parametrize("key", SWEPT)
def test_junk_is_refused(key):
    if key not in CASES:
        pytest.fail(f"no CASES entry for {key}: see test_every_public_callable_has_a_case")
    obj, case = PUBLIC[key], CASES[key]
    signature = inspect.signature(obj)
    problems = []
    if _required(signature) or not _is_module_class(obj):
        problems += _sweep(key, obj, signature, case.args, case.valid)
    if _is_module_class(obj) and not isinstance(case.forward, str):
        instance = obj(**case.args())
        forward = instance.forward
        problems += _sweep(f"{key}.forward", forward, inspect.signature(forward), case.forward, case.forward_valid)
    assert not problems, "junk not refused with a ValueError or TypeError:\n" + "\n".join(problems)
