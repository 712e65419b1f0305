"""Text-image representations (LBDL §6.6): a small CLIP [Radford et al., 2021] trained on
the scenes of :mod:`lbdl_book.data.scenes` and their captions.

Two encoders map an image and a text to vectors of one space, of unit norm:

* the image encoder f is a small convolutional network (§4.2, §5.2): four stages of
  conv 3×3 → batch normalization → ReLU, 2×2 max poolings between them, a max pooling
  over the whole last map (each channel keeps its strongest response, wherever it is) and
  a linear projection to the shared space (C → E). The paper used ResNets and ViTs; a ViT
  with 8 × 8 patches, tried first here, learned the colours but hardly the shapes of
  objects a few pixels wide in a few CPU minutes;
* the text encoder g is a GPT (§5.3, :class:`~lbdl_book.models.gpt.GPT`) read as an
  encoder: an "end of sentence" token ``<eos>`` closes every caption, and the
  representation of that token after the last layer (and the final LayerNorm), projected
  by a matrix without bias (D_txt → E), is the embedding. With causal attention, the
  ``<eos>`` token is the first that has seen the whole caption; padding after it changes
  nothing.

For a batch of N pairs (i_m, t_m), the logits are the scaled cosine similarities

    l_{m,n} = s · f(i_m) · g(t_n),        m, n = 1 … N,      (f, g of unit norm)

row m comparing image m with every text, column n text n with every image, and
s = exp(τ) a learned scale (τ a parameter, s capped at 100 as in the paper; the
temperature is 1/s). The loss is the cross-entropy of every row and of every column
against its own pair, the diagonal, averaged over the two directions:

    L = −1/(2N) · Σ_m log softmax_n(l_{m,·})_m  −  1/(2N) · Σ_n log softmax_m(l_{·,n})_n

so that, at its minimum, l_{n,n} exceeds both l_{n,m} and l_{m,n} for every m ≠ n.
(LBDL's text, in the two source documents of this project, misprints this in two ways:
one writes f(t_m) for f(i_m), the other "n = m" for m ≠ n.)

Captions are short (at most 9 words over a vocabulary of 40 words), so the tokenizer is
a word list (:class:`CaptionTokenizer`): English captions are split at spaces, Chinese
ones cut into the longest words of the list, and both languages share one vocabulary,
so one model reads both.

Zero-shot classification (:func:`zero_shot_probabilities`) embeds one text per class
("a red disc") and picks, for an image, the class whose text is most similar;
:func:`recall_at_k` measures retrieval in both directions, :func:`linear_probe` fits a
logistic regression on frozen image embeddings for comparison. :func:`train_shipped`
trains the model whose weights ship as ``lbdl_book/weights/clip.safetensors``; colour-shape
combinations listed in :data:`HELD_OUT` never appear in its training scenes. Half of its
training scenes hold a single object: in a batch of captions of busy scenes the colours and
the relation tell almost every caption apart, so the shape words weigh little in the loss,
while single-object captions often differ by the shape alone (§6.6 measures what the
model learned with zero-shot classification and linear probes).
"""

from __future__ import annotations

import math
import time

import torch
import torch.nn.functional as F
from torch import nn

from lbdl_book._checks import boolean, module, non_negative_int, positive_int, positive_ints, positive_real, tensor, token_ids
from lbdl_book.data.scenes import (COLOURS, COLOURS_ZH, RELATIONS, SHAPES, SHAPES_ZH, Scenes, caption,
                                   generate_scenes)
from lbdl_book.models.gpt import GPT
from lbdl_book.nn.activations import ReLU
from lbdl_book.nn.conv import Conv2d
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear
from lbdl_book.nn.norm import BatchNorm2d
from lbdl_book.nn.pooling import MaxPool2d
from lbdl_book.weights import round_to_float16

__all__ = ["CLIP", "CaptionTokenizer", "HELD_OUT", "PairTrainer", "VOCABULARY", "captions_of", "class_embeddings",
           "clip_loss", "contrastive_loss", "held_out_mask", "linear_probe", "object_prompts", "parameter_count",
           "recall_at_k", "similarity_logits", "single_object_labels", "train_shipped", "zero_shot_probabilities"]

PAD, EOS = "<pad>", "<eos>"
_ZH_WORDS = (*COLOURS_ZH, *SHAPES_ZH, "大", "小", "的", *RELATIONS["zh"], "有一个", "一个", "空白", "场景")
_EN_WORDS = ("a", "an", "small", "large", *COLOURS, *SHAPES, "left", "right", "of", "above", "below", "empty",
             "scene")
VOCABULARY: tuple[str, ...] = (PAD, EOS, *_EN_WORDS, *_ZH_WORDS)
# Colour-shape pairs (colour index, shape label 1 … 4) kept out of the training scenes:
# each shape is held out in one colour, and each of four colours loses one shape.
# red cross, green triangle, blue square, yellow disc
HELD_OUT: tuple[tuple[int, int], ...] = ((0, 4), (1, 3), (2, 2), (3, 1))
TRAIN_SEED, PROBE_SEED, TEST_SEED = 6601, 6602, 6603
MAX_SCALE = 100.0


class CaptionTokenizer:
    """Word-level tokenizer for the captions of the scenes, English and Chinese.

    ``encode(texts)`` → (N, T) int64: the words' indices in :data:`VOCABULARY`, then
    ``<eos>``, then ``<pad>`` (index 0) up to the longest caption (or ``length``).
    English is split at spaces; Chinese is cut greedily into the longest words of the
    vocabulary. A word outside the vocabulary is a ``ValueError``."""

    def __init__(self, vocabulary=VOCABULARY):
        if not isinstance(vocabulary, (tuple, list)) or not all(isinstance(w, str) and w for w in vocabulary) \
                or len(set(vocabulary)) != len(vocabulary) or list(vocabulary[:2]) != [PAD, EOS]:
            raise ValueError(f"vocabulary must be a list of distinct non-empty words starting with {PAD!r}, "
                             f"{EOS!r}, got {vocabulary!r:.80}")
        self.vocabulary = tuple(vocabulary)
        self.index = {w: i for i, w in enumerate(self.vocabulary)}
        self._longest = max(len(w) for w in self.vocabulary)

    def __len__(self) -> int:
        return len(self.vocabulary)

    def words(self, text: str) -> list[str]:
        """The words of ``text`` (one caption)."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"text must be a non-empty caption (str), got {text!r}")
        if text.isascii():
            words = text.split()
        else:
            words, i, text = [], 0, text.replace(" ", "")
            while i < len(text):
                for j in range(min(len(text), i + self._longest), i, -1):
                    if text[i:j] in self.index:
                        words.append(text[i:j])
                        i = j
                        break
                else:
                    raise ValueError(f"text has a character outside the vocabulary at {text[i:]!r}")
        unknown = [w for w in words if w not in self.index or w in (PAD, EOS)]
        if unknown:
            raise ValueError(f"text has words outside the vocabulary: {unknown}")
        return words

    def encode(self, texts, length: int | None = None) -> torch.Tensor:
        if isinstance(texts, str) or not isinstance(texts, (list, tuple)) or not texts:
            raise TypeError(f"texts must be a non-empty list of captions (str), got {type(texts).__name__}")
        rows = [[self.index[w] for w in self.words(text)] + [1] for text in texts]
        longest = max(map(len, rows))
        if length is not None and positive_int(length, "length") < longest:
            raise ValueError(f"length must be at least {longest} (the longest caption and <eos>), got {length}")
        out = torch.zeros(len(rows), length or longest, dtype=torch.int64)
        for i, row in enumerate(rows):
            out[i, :len(row)] = torch.tensor(row)
        return out

    def decode(self, tokens: torch.Tensor) -> list[str]:
        """(N, T) → the N captions (words up to ``<eos>``; Chinese words joined without spaces)."""
        token_ids(tokens, len(self.vocabulary))
        texts = []
        for row in tokens.tolist():
            words = [self.vocabulary[i] for i in row[:row.index(1)]] if 1 in row else \
                [self.vocabulary[i] for i in row if i != 0]
            texts.append(" ".join(words) if all(w.isascii() for w in words) else "".join(words))
        return texts


class CLIP(nn.Module):
    """A small CLIP: images (N, 3, S, S) and tokens (N, T) → logits (N, N), l_{m,n} = s·f(i_m)·g(t_n).

    Image side (``image_encoder``, built by :func:`_image_encoder`): L = ``len(image_channels)``
    stages of conv 3×3 p=1 (no bias) → BN → ReLU with ``image_channels`` output channels,
    a 2×2 max pooling between two stages, then a max pooling over the whole remaining map
    (S / 2^(L−1) pixels a side) and a linear projection to the shared space (C_L → E).
    Text side: a :class:`GPT` (``vocab_size``, ``context``, width ``text_dim``,
    ``text_layers``; its output layer is replaced by the identity, since no next-token
    logits are needed) read at the ``<eos>`` token, and ``text_projection`` (no bias).
    ``logit_scale`` τ, s = exp(τ), starts at log(1/0.07) as in the paper. ``fused``:
    PyTorch's kernels (default) or the book's computations (:mod:`lbdl_book.nn.fused`)."""

    def __init__(self, *, vocab_size: int = len(VOCABULARY), context: int = 12, image_size: int = 64,
                 image_channels=(16, 32, 64, 128), text_dim: int = 48, text_layers: int = 2, num_heads: int = 4,
                 embed_dim: int = 32, eos: int = 1, fused: bool = True):
        super().__init__()
        self.embed_dim = positive_int(embed_dim, "embed_dim")
        self.eos = eos if isinstance(eos, int) and not isinstance(eos, bool) and 0 <= eos < vocab_size else \
            _raise(ValueError(f"eos must be a token id in [0, vocab_size), got {eos!r}"))
        self.image_size = positive_int(image_size, "image_size")
        self.image_encoder = _image_encoder(image_size, image_channels, embed_dim)
        self.text_encoder = GPT(vocab_size, context, text_dim, num_heads, text_layers, hidden_dim=2 * text_dim,
                                fused=fused)
        self.text_encoder.head = nn.Identity()      # no next-token logits: the text side reads the hidden states
        self.text_projection = Linear(text_dim, embed_dim, bias=False)
        nn.init.normal_(self.text_projection.weight, std=text_dim ** -0.5)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07)))
        set_fused(self, fused)

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        """f(i): (N, 3, S, S) → (N, E), unit norm. In evaluation mode without gradients,
        where every layer treats each image on its own, the images go through 256 at a
        time, which bounds the memory the first stages' feature maps take."""
        tensor(images, "images", floating=True)
        if images.dim() != 4 or images.shape[1:] != (3, self.image_size, self.image_size) or not len(images):
            raise ValueError(f"images must have shape (N, 3, {self.image_size}, {self.image_size}) with N >= 1, "
                             f"got {tuple(images.shape)}")
        if not self.training and not torch.is_grad_enabled():
            return F.normalize(torch.cat([self.image_encoder(chunk) for chunk in images.split(256)]), dim=-1)
        return F.normalize(self.image_encoder(images), dim=-1)

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        """g(t): (N, T) token ids, each row with an ``<eos>`` → (N, E), unit norm, from the
        last layer's representation of the first ``<eos>``."""
        gpt = self.text_encoder
        token_ids(tokens, gpt.vocab_size, gpt.context)
        if tokens.dim() != 2:
            raise ValueError(f"tokens must have shape (N, T), got {tuple(tokens.shape)}")
        has_eos = (tokens == self.eos)
        if not has_eos.any(1).all():
            raise ValueError(f"tokens: every row must contain the <eos> token ({self.eos})")
        h = gpt.positional(gpt.embedding(tokens))
        for layer in gpt.layers:
            h = layer(h)
        at = has_eos.int().argmax(1)                            # the first <eos> of each row
        z = gpt.norm(h[torch.arange(len(tokens), device=tokens.device), at])
        return F.normalize(self.text_projection(z), dim=-1)

    def scale(self) -> torch.Tensor:
        """s = exp(τ), capped at 100 (the inverse temperature)."""
        return self.logit_scale.exp().clamp(max=MAX_SCALE)

    def forward(self, images: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return similarity_logits(self.encode_image(images), self.encode_text(tokens), self.scale())


class PairTrainer(nn.Module):
    """Adapts a :class:`CLIP` to :func:`lbdl_book.train.fit`, which calls ``loss_fn(model(x), y)``:
    with ``train_data = (images, tokens)``, ``model(images)`` is the image side and
    :meth:`loss` runs the text side on the batch's tokens, so that both encoders and the
    scale are trained by the one loop: ``fit(trainer, trainer.loss, (images, tokens), ...)``."""

    def __init__(self, clip: CLIP):
        super().__init__()
        if not isinstance(clip, CLIP):
            raise TypeError(f"clip must be a CLIP, got {type(clip).__name__}")
        self.clip = clip

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.clip.encode_image(images)

    def loss(self, image_features: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        return clip_loss(image_features, self.clip.encode_text(tokens), self.clip.scale())


def _image_encoder(image_size: int, channels, embed_dim: int) -> nn.Sequential:
    """The image encoder f of :class:`CLIP`, a small convolutional network (§4.2, §5.2),
    (N, 3, S, S) → (N, E) with S = ``image_size``, E = ``embed_dim``: for each of the L
    widths C_1 … C_L of ``channels``, conv 3×3 p=1 (no bias, the BN's β has one) → BN →
    ReLU, with a 2×2 max pooling between two stages; then a max pooling over the whole
    S / 2^(L−1) × S / 2^(L−1) map, which keeps, for each of the C_L channels, its largest
    response wherever it is in the image, and a linear projection C_L → E. S must be a
    multiple of 2^(L−1). Parameters: Σ_l 9·C_{l−1}·C_l (C_0 = 3) + 2·Σ_l C_l + C_L·E + E."""
    positive_int(image_size, "image_size")
    positive_int(embed_dim, "embed_dim")
    channels = positive_ints(channels, "image_channels")
    side = image_size // 2 ** (len(channels) - 1)
    if side * 2 ** (len(channels) - 1) != image_size:
        raise ValueError(f"image_size must be a multiple of 2**(len(image_channels) - 1) = "
                         f"{2 ** (len(channels) - 1)}, got {image_size}")
    layers, previous = [], 3
    for stage, width in enumerate(channels):
        if stage:
            layers.append(MaxPool2d(2))
        layers += [Conv2d(previous, width, 3, padding=1, bias=False), BatchNorm2d(width), ReLU()]
        previous = width
    return nn.Sequential(*layers, MaxPool2d(side), nn.Flatten(), Linear(previous, embed_dim))


def _raise(error: Exception):
    raise error


def _features(value, name: str) -> torch.Tensor:
    tensor(value, name, floating=True)
    if value.dim() != 2 or value.shape[0] == 0 or value.shape[1] == 0:
        raise ValueError(f"{name} must have shape (N, E) with N, E >= 1, got {tuple(value.shape)}")
    return value


def _scale(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1 or not value.is_floating_point() or not torch.isfinite(value).all() or value.item() <= 0:
            raise ValueError(f"scale must be a positive finite number (or a one-element float tensor), got {value!r}")
        return value.reshape(())
    return torch.tensor(positive_real(value, "scale"), dtype=torch.float64)


def similarity_logits(image_features: torch.Tensor, text_features: torch.Tensor, scale=1.0) -> torch.Tensor:
    """l_{m,n} = s · f(i_m) · g(t_n): (M, E) and (N, E) embeddings → (M, N), the features
    normalised here (cosine similarity) whatever their norm."""
    f, g = _features(image_features, "image_features"), _features(text_features, "text_features")
    if f.shape[1] != g.shape[1]:
        raise ValueError(f"text_features must have E={f.shape[1]} columns like image_features, got {g.shape[1]}")
    return _scale(scale).to(f) * F.normalize(f, dim=-1) @ F.normalize(g, dim=-1).T


def contrastive_loss(logits: torch.Tensor) -> torch.Tensor:
    """The symmetric cross-entropy of an N × N logit matrix: every row m must pick column m
    (image → text) and every column n row n (text → image), averaged over the 2N terms."""
    tensor(logits, "logits", floating=True)
    if logits.dim() != 2 or logits.shape[0] != logits.shape[1] or logits.shape[0] == 0:
        raise ValueError(f"logits must be a square matrix (N, N) with N >= 1, got {tuple(logits.shape)}")
    target = torch.arange(len(logits), device=logits.device)
    return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


def clip_loss(image_features: torch.Tensor, text_features: torch.Tensor, scale=1.0) -> torch.Tensor:
    """The CLIP loss of a batch of N pairs: :func:`contrastive_loss` of :func:`similarity_logits`."""
    f, g = _features(image_features, "image_features"), _features(text_features, "text_features")
    if f.shape != g.shape:
        raise ValueError(f"text_features must have the shape of image_features {tuple(f.shape)} (N pairs), "
                         f"got {tuple(g.shape)}")
    return contrastive_loss(similarity_logits(f, g, scale))


def zero_shot_probabilities(image_features: torch.Tensor, class_features: torch.Tensor, scale=1.0) -> torch.Tensor:
    """(N, C): for each image, the softmax over the C classes of s · f(i) · g(prompt_c), the
    classes given by the embeddings (C, E) of their descriptions."""
    f, g = _features(image_features, "image_features"), _features(class_features, "class_features")
    if f.shape[1] != g.shape[1]:
        raise ValueError(f"class_features must have E={f.shape[1]} columns like image_features, got {g.shape[1]}")
    return similarity_logits(f, g, scale).softmax(-1)


def recall_at_k(similarity: torch.Tensor, k: int, positives: torch.Tensor | None = None) -> float:
    """The share of rows (queries) whose ``k`` most similar columns contain a positive:
    ``similarity`` (Q, M); ``positives`` (Q, M) bool, by default the diagonal (query q's
    match is item q). Ties are broken towards the lower index. Transpose both for the other
    direction of a retrieval."""
    tensor(similarity, "similarity", floating=True)
    if similarity.dim() != 2 or 0 in similarity.shape:
        raise ValueError(f"similarity must have shape (Q, M) with Q, M >= 1, got {tuple(similarity.shape)}")
    positive_int(k, "k")
    if positives is None:
        if similarity.shape[0] != similarity.shape[1]:
            raise ValueError(f"positives must be given for a non-square similarity {tuple(similarity.shape)}")
        positives = torch.eye(len(similarity), dtype=torch.bool, device=similarity.device)
    elif not isinstance(positives, torch.Tensor) or positives.dtype != torch.bool \
            or positives.shape != similarity.shape:
        got = f"{positives.dtype} {tuple(positives.shape)}" if isinstance(positives, torch.Tensor) else \
            type(positives).__name__
        raise ValueError(f"positives must be a bool tensor of shape {tuple(similarity.shape)}, got {got}")
    order = torch.sort(similarity, dim=1, descending=True, stable=True).indices[:, :k]
    return positives.gather(1, order).any(1).double().mean().item()


def captions_of(scenes: Scenes, lang: str = "en") -> list[str]:
    """The caption of every scene of ``scenes`` (:func:`lbdl_book.data.scenes.caption`)."""
    if not isinstance(scenes, Scenes):
        raise TypeError(f"scenes must be a Scenes batch, got {type(scenes).__name__}")
    return [caption(scenes, i, lang) for i in range(len(scenes))]


def held_out_mask(scenes: Scenes, pairs=HELD_OUT) -> torch.Tensor:
    """(N,) bool: the scenes that show at least one visible object of a colour-shape pair
    of ``pairs`` ((colour index, shape label 1 … 4) pairs)."""
    if not isinstance(scenes, Scenes):
        raise TypeError(f"scenes must be a Scenes batch, got {type(scenes).__name__}")
    if not isinstance(pairs, (tuple, list)) or not all(
            isinstance(p, tuple) and len(p) == 2 and 0 <= p[0] < len(COLOURS) and 1 <= p[1] <= len(SHAPES)
            for p in pairs):
        raise ValueError(f"pairs must be a list of (colour index, shape label) pairs, got {pairs!r}")
    codes = torch.tensor([c * 8 + s for c, s in pairs], dtype=torch.int64)
    return torch.tensor([bool(torch.isin(colours * 8 + labels, codes).any())
                         for colours, labels in zip(scenes.colours, scenes.labels)])


def single_object_labels(scenes: Scenes) -> torch.Tensor:
    """(N, 3) int64: (colour index, shape label, large) of the one object of each scene of a
    batch generated with one object per scene."""
    if not isinstance(scenes, Scenes):
        raise TypeError(f"scenes must be a Scenes batch, got {type(scenes).__name__}")
    if any(len(labels) != 1 for labels in scenes.labels):
        raise ValueError("scenes must have exactly one visible object each (generate_scenes(..., max_objects=1))")
    return torch.stack([torch.cat(x) for x in zip(scenes.colours, scenes.labels, scenes.sizes)])


def object_prompts(colour: int | None, shape: int, lang: str = "en") -> list[str]:
    """The prompts of one class, one per size (an ensemble, averaged by the caller):
    ``"a small red disc"``, ``"a large red disc"`` for ``colour`` 0 and ``shape`` 1; with
    ``colour=None``, every colour (a shape-only class)."""
    from lbdl_book.data.scenes import describe_object

    if isinstance(shape, bool) or not isinstance(shape, int) or not 1 <= shape <= len(SHAPES):
        raise ValueError(f"shape must be a shape label in [1, {len(SHAPES)}], got {shape!r}")
    if colour is not None and (isinstance(colour, bool) or not isinstance(colour, int)
                               or not 0 <= colour < len(COLOURS)):
        raise ValueError(f"colour must be None or a colour index in [0, {len(COLOURS)}), got {colour!r}")
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    colours = range(len(COLOURS)) if colour is None else [colour]
    prefix = "" if lang == "en" else "一个"
    return [prefix + describe_object(shape, c, large, lang) for c in colours for large in (0, 1)]


@torch.no_grad()
def class_embeddings(model: CLIP, tokenizer: CaptionTokenizer, prompts) -> torch.Tensor:
    """(C, E): for each class, the mean of the unit text embeddings of its prompts
    (``prompts``: one list of captions per class), normalised again (prompt ensembling)."""
    if not isinstance(model, CLIP):
        raise TypeError(f"model must be a CLIP, got {type(model).__name__}")
    if not isinstance(tokenizer, CaptionTokenizer):
        raise TypeError(f"tokenizer must be a CaptionTokenizer, got {type(tokenizer).__name__}")
    if not isinstance(prompts, (list, tuple)) or not prompts or not all(
            isinstance(p, (list, tuple)) and p and all(isinstance(x, str) for x in p) for p in prompts):
        raise TypeError("prompts must be a non-empty list of non-empty lists of captions (one list per class)")
    device = next(model.parameters()).device
    flat = [text for group in prompts for text in group]
    features = model.encode_text(tokenizer.encode(flat).to(device))
    groups = torch.split(features, [len(group) for group in prompts])
    return F.normalize(torch.stack([g.mean(0) for g in groups]), dim=-1)


def linear_probe(features: torch.Tensor, labels: torch.Tensor, num_classes: int, *, epochs: int = 200,
                 lr: float = 0.05, weight_decay: float = 1e-4, seed: int = 0) -> Linear:
    """A logistic regression (one :class:`Linear` layer, E → ``num_classes``) fitted on
    frozen embeddings ``features`` (N, E) with integer ``labels`` (N,) by full-batch Adam:
    the *linear probe* that measures what a linear classifier can read from them."""
    from lbdl_book.train import fit

    f = _features(features, "features").detach()
    positive_int(num_classes, "num_classes")
    if not isinstance(labels, torch.Tensor):
        raise TypeError(f"labels must be a torch.Tensor, got {type(labels).__name__}")
    token_ids(labels.reshape(1, -1), num_classes, name="labels")
    if labels.shape != f.shape[:1]:
        raise ValueError(f"labels must have shape ({len(f)},), got {tuple(labels.shape)}")
    torch.manual_seed(non_negative_int(seed, "seed"))
    probe = Linear(f.shape[1], num_classes).to(f)
    fit(probe, F.cross_entropy, (f, labels), epochs=epochs, lr=lr, optimizer="adamw", weight_decay=weight_decay,
        device=f.device, progress=False)
    return probe


def parameter_count(model: CLIP) -> dict[str, int]:
    """Parameters of ``model`` by part: ``image`` (the CNN and its projection), ``text``
    (the GPT without an output layer), ``projection`` (text side), ``scale``."""
    module(model, "model")
    if not isinstance(model, CLIP):
        raise TypeError(f"model must be a CLIP, got {type(model).__name__}")
    count = lambda m: sum(p.numel() for p in m.parameters())
    return {"image": count(model.image_encoder), "text": count(model.text_encoder),
            "projection": count(model.text_projection), "scale": model.logit_scale.numel()}


def _training_pairs(count: int, seed: int, tokenizer: CaptionTokenizer, context: int, chunk: int = 2_000):
    """Scenes without any held-out pair, each with its caption in English (even scenes)
    or Chinese (odd scenes); drawn ``chunk`` at a time, chunk k from seed ``seed + 100·k``,
    with 1 to 4 objects for even k and a single object for odd k."""
    images, texts = [], []
    for k, start in enumerate(range(0, count, chunk)):
        scenes = generate_scenes(min(chunk, count - start), seed=seed + 100 * k, max_objects=1 if k % 2 else 4)
        keep = ~held_out_mask(scenes)
        images.append(scenes.images[keep])
        texts += [caption(scenes, i, "en" if (len(texts) + j) % 2 == 0 else "zh")
                  for j, i in enumerate(keep.nonzero().flatten().tolist())]
    return torch.cat(images), tokenizer.encode(texts, context)


def train_shipped(quick: bool = False) -> tuple[CLIP, dict]:
    """The recipe of ``lbdl_book/weights/clip.safetensors``: :class:`CLIP` with its default
    sizes, built from seed 0, trained on the scenes of ``TRAIN_SEED`` that show no held-out
    pair (:data:`HELD_OUT`), captioned in English and Chinese in turn, drawn 2,000 at a
    time, chunk k from seed ``TRAIN_SEED + 100·k``, with 1 to 4 objects in the even chunks
    and one object in the odd ones (single-object captions that differ only by a shape word
    often share a batch, so that the loss cannot be lowered without the shapes); AdamW (weight
    decay 0.05), 15 epochs over 24,000 scenes in batches of 32 pairs (small batches: more
    steps for the same computation), a learning rate of 2e-3 warmed up over the first
    5 % of the steps and decayed along a cosine. The weights are rounded to float16, the
    precision of the file. ``quick``: 256 scenes, one epoch (what the tests run)."""
    from lbdl_book.config import device, seed_everything
    from lbdl_book.schedules import warmup_cosine
    from lbdl_book.train import fit

    boolean(quick, "quick")
    count, epochs, batch_size, lr = (256, 1, 64, 2e-3) if quick else (24_000, 15, 32, 2e-3)
    tokenizer = CaptionTokenizer()
    seed_everything(0)
    model = CLIP()
    images, tokens = _training_pairs(count, TRAIN_SEED, tokenizer, model.text_encoder.context)
    total = epochs * math.ceil(len(images) / batch_size)

    def schedule(step: int) -> float:
        return warmup_cosine(step, lr=lr, warmup_steps=max(1, total // 20), total_steps=total)

    where = device()
    trainer = PairTrainer(model).to(where)
    start = time.perf_counter()
    history = fit(trainer, trainer.loss, (images, tokens), epochs=epochs, lr=lr, batch_size=batch_size,
                  optimizer="adamw", weight_decay=0.05, schedule=schedule, seed=0)
    seconds = time.perf_counter() - start
    model = model.cpu().eval()
    round_to_float16(model)
    info = {"quick": quick, "train_scenes": count, "train_pairs": len(images), "train_seed": TRAIN_SEED,
            "epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": "adamw", "device": str(where),
            "train_seconds": round(seconds, 1), "train_loss": [round(v, 4) for v in history["train_loss"]],
            "scale": round(model.scale().item(), 3), "parameters": sum(parameter_count(model).values())}
    return model.half(), info
