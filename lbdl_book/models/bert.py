"""BERT, a bidirectional Transformer encoder trained by masked-token prediction
[Devlin et al., 2018] ("The missing bits", self-supervised training).

Where GPT (§5.3) predicts each token from the tokens before it, BERT hides some tokens
of a text and predicts them from everything around them, left and right: its
self-attention blocks have no causal mask. Given tokens x_1, …, x_T and segment ids
s_1, …, s_T ∈ {0, 1} (which of two sentences a token belongs to),

    H⁰ = LN(E[x_t] + P[t] + S[s_t])                      token + learned position + segment
    Hⁿ = FFWₙ(SAₙ(Hⁿ⁻¹)),  n = 1, …, N                   self-attention (no mask), feed-forward
    pooled = tanh(W_p Hᴺ_1 + b_p)                         the "pooler", on the first token ([CLS])

with BERT's post-norm blocks, y = LN(x + f(x)) (``norm_first=False``; the blocks of
Figure 5.6 are pre-norm) and a GELU in the feed-forward blocks. The masked-token head
(:class:`MaskedLanguageModel`) maps each Hᴺ_t to logits over the vocabulary through a
fully connected layer, a GELU and a LayerNorm, then the token embedding transposed plus
a bias (weight tying, as in BERT).

Masked-token training (Beyond-LBDL detail, :func:`mask_tokens`): 15% of the positions
are chosen; of those, 80% are replaced by the [MASK] token, 10% by a random token and
10% are left as they are; the loss is the cross-entropy at the chosen positions only
(:func:`masked_cross_entropy`). ``causal=True`` builds the same network with causal
masks, to train it by next-token prediction instead: the two objectives on one
architecture.

BERT-base (:func:`bert_base`): V = 30,522 WordPiece tokens, 512 positions, 2 segment
types, D = 768, 12 heads, 12 layers, feed-forward width 3,072, with the pooler:
109,482,240 parameters (:func:`parameter_count`), the count of the reference
implementation (google-research/bert) and of Hugging Face's ``BertModel``.
"""

from __future__ import annotations

from numbers import Real

import torch
import torch.nn.functional as F
from torch import nn

from lbdl_book._checks import non_negative_int, positive_int, tensor, token_ids
from lbdl_book.models.transformer import FeedForwardBlock, SelfAttentionBlock, block_parameter_count
from lbdl_book.nn.activations import GELU, Tanh
from lbdl_book.nn.dropout import Dropout
from lbdl_book.nn.embedding import Embedding
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear
from lbdl_book.nn.norm import LayerNorm
from lbdl_book.nn.positional import LearnedPositionalEncoding
from lbdl_book.train import eval_mode

__all__ = ["BERT", "BERT_BASE", "IGNORE", "TEXT_CONFIG", "BertLayer", "MaskedLanguageModel", "bert_base",
           "char_tokenizer", "fill_in", "mask_tokens", "masked_copies", "masked_cross_entropy", "parameter_count", "text_models",
           "train_shipped", "train_text_models"]

BERT_BASE = {"vocab_size": 30_522, "max_len": 512, "dim": 768, "num_heads": 12, "num_layers": 12,
             "hidden_dim": 3_072, "type_vocab_size": 2}
IGNORE = -100            # target of the positions that are not scored
INIT_STD = 0.02


def _check_dropout(p) -> float:
    if isinstance(p, bool) or not isinstance(p, Real) or not 0 <= p < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {p!r}")
    return float(p)


class BertLayer(nn.Module):
    """One encoder layer: self-attention block, then feed-forward block, both post-norm
    (``norm_first=False``, BERT's) or pre-norm; ``causal`` adds the causal mask.
    (N, T, D) → (N, T, D)."""

    def __init__(self, dim: int, num_heads: int, hidden_dim: int, dropout: float = 0.0, *, causal: bool = False,
                 norm_first: bool = False):
        super().__init__()
        self.self_attention = SelfAttentionBlock(dim, num_heads, dropout, causal=causal, norm_first=norm_first)
        self.feed_forward = FeedForwardBlock(dim, hidden_dim, dropout, norm_first=norm_first)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.feed_forward(self.self_attention(x, mask))


class BERT(nn.Module):
    """The BERT encoder: tokens (N, T) int64, T ≤ ``max_len`` (and optional segment ids
    (N, T) in {0, …, ``type_vocab_size`` − 1}, default 0) → hidden states (N, T, D).

    ``vocab_size`` V, ``max_len`` (size of the learned position table), ``dim`` D,
    ``num_heads``, ``num_layers`` N, ``hidden_dim`` (4D by default), ``type_vocab_size``
    (segment types; 0 for none), ``pooler`` (the tanh layer on the first position,
    :meth:`pool`), ``dropout``, ``causal`` (a causal mask in every layer: the same network
    for next-token training), ``norm_first`` (False: BERT's post-norm blocks, with a
    LayerNorm on the embeddings; True: pre-norm blocks with a final LayerNorm), ``fused``.

    Submodules: ``embedding`` (V×D), ``positional`` (max_len×D), ``segment`` (types×D or
    None), ``norm`` (LayerNorm, on the embeddings if post-norm, after the last layer if
    pre-norm), ``layers``, ``pooler`` (D×D + D or None). Weights start from N(0, 0.02²),
    biases at 0, as in BERT."""

    def __init__(self, vocab_size: int, max_len: int, dim: int, num_heads: int, num_layers: int,
                 hidden_dim: int | None = None, type_vocab_size: int = 2, *, pooler: bool = True,
                 dropout: float = 0.0, causal: bool = False, norm_first: bool = False, fused: bool = True):
        super().__init__()
        self.vocab_size, self.max_len = positive_int(vocab_size, "vocab_size"), positive_int(max_len, "max_len")
        self.dim, self.num_layers = positive_int(dim, "dim"), positive_int(num_layers, "num_layers")
        self.hidden_dim = 4 * dim if hidden_dim is None else positive_int(hidden_dim, "hidden_dim")
        self.type_vocab_size = non_negative_int(type_vocab_size, "type_vocab_size")
        for name, flag in (("pooler", pooler), ("causal", causal), ("norm_first", norm_first)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__}")
        self.causal, self.norm_first = causal, norm_first
        dropout = _check_dropout(dropout)
        self.embedding = Embedding(vocab_size, dim)
        self.positional = LearnedPositionalEncoding(max_len, dim)
        self.segment = Embedding(type_vocab_size, dim) if type_vocab_size else None
        self.norm = LayerNorm(dim)
        self.dropout = Dropout(dropout)
        self.layers = nn.ModuleList(BertLayer(dim, num_heads, self.hidden_dim, dropout, causal=causal,
                                              norm_first=norm_first) for _ in range(num_layers))
        self.pooler = nn.Sequential(Linear(dim, dim), Tanh()) if pooler else None
        self.reset_parameters()
        set_fused(self, fused)

    def reset_parameters(self) -> None:
        """Every weight matrix and table from N(0, 0.02²), biases 0, LayerNorms (1, 0)."""
        for m in self.modules():
            if isinstance(m, LayerNorm):
                m.reset_parameters()
            elif isinstance(m, (Embedding, LearnedPositionalEncoding)):
                nn.init.normal_(m.weight, std=INIT_STD)
            elif isinstance(m, Linear):
                nn.init.normal_(m.weight, std=INIT_STD)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif hasattr(m, "in_proj_weight"):                    # the attention's W^Q, W^K, W^V
                nn.init.normal_(m.in_proj_weight, std=INIT_STD)
                if m.in_proj_bias is not None:
                    nn.init.zeros_(m.in_proj_bias)

    def forward(self, tokens: torch.Tensor, segments: torch.Tensor | None = None) -> torch.Tensor:
        token_ids(tokens, self.vocab_size, self.max_len)
        h = self.positional(self.embedding(tokens))
        if segments is not None:
            if self.segment is None:
                raise ValueError("segments must be None: this BERT has no segment embedding (type_vocab_size=0)")
            token_ids(segments, self.type_vocab_size, self.max_len, "segments")
            if segments.shape != tokens.shape:
                raise ValueError(f"segments must have the shape of tokens {tuple(tokens.shape)}, got "
                                 f"{tuple(segments.shape)}")
        if self.segment is not None:
            h = h + self.segment(torch.zeros_like(tokens) if segments is None else segments)
        h = self.dropout(h if self.norm_first else self.norm(h))
        for layer in self.layers:
            h = layer(h)
        return self.norm(h) if self.norm_first else h

    def pool(self, hidden: torch.Tensor) -> torch.Tensor:
        """tanh(W_p h_1 + b_p): (N, T, D) hidden states → (N, D), the sequence's summary."""
        if self.pooler is None:
            raise ValueError("this BERT has no pooler (pooler=False)")
        tensor(hidden, "hidden", floating=True)
        if hidden.dim() != 3 or hidden.shape[2] != self.dim or hidden.shape[1] == 0:
            raise ValueError(f"hidden must have shape (N, T, D={self.dim}), got {tuple(hidden.shape)}")
        return self.pooler(hidden[:, 0])

    def extra_repr(self) -> str:
        return f"causal={self.causal}, norm_first={self.norm_first}"


class MaskedLanguageModel(nn.Module):
    """A :class:`BERT` and BERT's prediction head: tokens (N, T) → logits (N, T, V),

        logits_t = LN(gelu(W Hᴺ_t + b)) Eᵀ + c,

    E the token embedding of the encoder (weight tying), W (D×D), c (V). With a
    bidirectional ``encoder`` the logits at t are those of the token at t, seen through
    its masked input; with a causal one (``BERT(..., causal=True)``) they only see tokens
    ≤ t and are trained to predict the token at t + 1."""

    def __init__(self, encoder: BERT):
        super().__init__()
        if not isinstance(encoder, BERT):
            raise TypeError(f"encoder must be a BERT, got {type(encoder).__name__}")
        self.encoder = encoder
        d, v = encoder.dim, encoder.vocab_size
        self.transform = nn.Sequential(Linear(d, d), GELU(), LayerNorm(d))
        self.bias = nn.Parameter(torch.zeros(v))
        nn.init.normal_(self.transform[0].weight, std=INIT_STD)
        nn.init.zeros_(self.transform[0].bias)
        set_fused(self, encoder.embedding.fused)

    def forward(self, tokens: torch.Tensor, segments: torch.Tensor | None = None) -> torch.Tensor:
        h = self.transform(self.encoder(tokens, segments))
        return h @ self.encoder.embedding.weight.T + self.bias


def mask_tokens(tokens: torch.Tensor, mask_index: int, vocab_size: int, rate: float = 0.15, *,
                generator: torch.Generator | None = None, keep: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """BERT's corruption of a batch of token ids (N, T) int64 → (inputs, targets), both (N, T).

    Each position is chosen with probability ``rate``; a chosen position's input becomes
    ``mask_index`` with probability 0.8, a token drawn uniformly from {0, …,
    ``vocab_size`` − 1} except ``mask_index`` (and ``keep``, if given) with probability
    0.1, and stays as it is otherwise. ``targets`` holds the original token at the chosen
    positions and :data:`IGNORE` elsewhere. Random numbers come from ``generator``
    (CPU), if given."""
    positive_int(vocab_size, "vocab_size")
    token_ids(tokens, vocab_size)
    if isinstance(mask_index, bool) or not isinstance(mask_index, int) or not 0 <= mask_index < vocab_size:
        raise ValueError(f"mask_index must be an int in [0, vocab_size={vocab_size}), got {mask_index!r}")
    if isinstance(rate, bool) or not isinstance(rate, Real) or not 0 < rate <= 1:
        raise ValueError(f"rate must be a number in (0, 1], got {rate!r}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    excluded = {mask_index} | ({keep} if keep is not None else set())
    allowed = torch.tensor([v for v in range(vocab_size) if v not in excluded], dtype=torch.long)
    if len(allowed) == 0:
        raise ValueError(f"vocab_size={vocab_size} leaves no token to draw as a random replacement")
    shape = tokens.shape
    chosen = torch.rand(shape, generator=generator) < rate
    kind = torch.rand(shape, generator=generator)
    random_tokens = allowed[torch.randint(len(allowed), shape, generator=generator)]
    chosen, kind, random_tokens = chosen.to(tokens.device), kind.to(tokens.device), random_tokens.to(tokens.device)
    inputs = torch.where(chosen & (kind < 0.8), torch.full_like(tokens, mask_index), tokens)
    inputs = torch.where(chosen & (kind >= 0.8) & (kind < 0.9), random_tokens, inputs)
    targets = torch.where(chosen, tokens, torch.full_like(tokens, IGNORE))
    return inputs, targets


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of ``logits`` (N, T, V) over the positions where ``targets``
    (N, T) is not :data:`IGNORE`: the masked-token loss. Returns a 0-d tensor."""
    tensor(logits, "logits", floating=True)
    tensor(targets, "targets")
    if logits.dim() != 3 or targets.shape != logits.shape[:2]:
        raise ValueError(f"logits must have shape (N, T, V) and targets (N, T), got {tuple(logits.shape)} and "
                         f"{tuple(targets.shape)}")
    if targets.dtype != torch.int64:
        raise TypeError(f"targets must be an int64 tensor, got {targets.dtype}")
    if not (targets != IGNORE).any():
        raise ValueError("targets holds no scored position (all are IGNORE)")
    return F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE)


def bert_base(**options) -> BERT:
    """BERT-base [Devlin et al., 2018]: :data:`BERT_BASE`, post-norm, with the pooler;
    109,482,240 parameters (0.44 GB in float32). ``options`` (``dropout``, ``fused`` …)
    go to :class:`BERT`. Build it under ``with torch.device("meta"):`` to count the
    parameters without allocating memory."""
    return BERT(**BERT_BASE, **options)


def parameter_count(vocab_size: int, max_len: int, dim: int, num_layers: int, hidden_dim: int | None = None,
                    type_vocab_size: int = 2, pooler: bool = True) -> int:
    """Parameters of :class:`BERT`, from its shapes: the tables (V + max_len + types)·D,
    the embedding LayerNorm 2D, N layers of (4D² + 6D) + (2DH + H + 3D) (biases and the
    two LayerNorms of each layer included; 12D² + 13D when H = 4D), and the pooler D² + D."""
    for name, value in (("vocab_size", vocab_size), ("max_len", max_len), ("dim", dim), ("num_layers", num_layers)):
        positive_int(value, name)
    non_negative_int(type_vocab_size, "type_vocab_size")
    if not isinstance(pooler, bool):
        raise TypeError(f"pooler must be a bool, got {type(pooler).__name__}")
    h = 4 * dim if hidden_dim is None else positive_int(hidden_dim, "hidden_dim")
    layer = block_parameter_count("self_attention", dim) + block_parameter_count("feed_forward", dim, h)
    return ((vocab_size + max_len + type_vocab_size) * dim + 2 * dim + num_layers * layer
            + (dim * dim + dim if pooler else 0))


# --- a small BERT and its causal twin, trained on the book's text --------------------------

TEXT_CONFIG = {"context": 32, "dim": 64, "num_heads": 4, "num_layers": 2, "dropout": 0.1, "batch_size": 32,
               "lr": 3e-3, "stride": 8}


def char_tokenizer():
    """The character tokenizer of §5.3 on :mod:`lbdl_book.data.corpus` (a BPE tokenizer
    with no merges: one token per character). The [MASK] token is one more id,
    ``len(tokenizer)``, so the models' vocabulary has ``len(tokenizer) + 1`` entries."""
    from lbdl_book.data.corpus import corpus
    from lbdl_book.tokenizer import BPETokenizer

    text = corpus()
    return BPETokenizer.train(text, vocab_size=len(set(text)))


def text_models(vocab_size: int, context: int = 32, dim: int = 64, num_heads: int = 4,
                num_layers: int = 2, dropout: float = 0.1, norm_first: bool = True) -> nn.ModuleDict:
    """Two :class:`MaskedLanguageModel` s with the same shapes, no segments and no pooler:
    ``"bidirectional"`` (BERT's) and ``"causal"`` (causal masks, for next-token training).
    ``vocab_size`` includes the [MASK] token; ``dropout``: 0.1, BERT's and GPT-2's (without
    it the causal model learns the training text by heart). ``norm_first``: pre-norm blocks (default;
    at this size and with a few thousand steps, BERT's post-norm blocks stay stuck near
    the unigram loss much longer)."""
    shapes = dict(vocab_size=vocab_size, max_len=context, dim=dim, num_heads=num_heads, num_layers=num_layers,
                  type_vocab_size=0, pooler=False, dropout=dropout, norm_first=norm_first)
    return nn.ModuleDict({"bidirectional": MaskedLanguageModel(BERT(**shapes)),
                          "causal": MaskedLanguageModel(BERT(**shapes, causal=True))})


def masked_copies(windows: torch.Tensor, mask_index: int, vocab_size: int, copies: int,
                  seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``copies`` corruptions (:func:`mask_tokens`) of every window (M, T): (inputs,
    targets), each (copies · M, T). BERT's static masking: the data are duplicated and
    each copy masked once, so an epoch over them shows every window with ``copies``
    different masks."""
    positive_int(copies, "copies")
    positive_int(vocab_size, "vocab_size")
    token_ids(windows, vocab_size, name="windows")
    generator = torch.Generator().manual_seed(non_negative_int(seed, "seed"))
    pairs = [mask_tokens(windows, mask_index, vocab_size, generator=generator) for _ in range(copies)]
    return torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])


def train_text_models(models: nn.ModuleDict, windows: torch.Tensor, mask_index: int, *, copies: int,
                      batch_size: int = 32, lr: float = 3e-3, seed: int = 0) -> dict:
    """Train both models of :func:`text_models` for the same number of steps on the same
    windows (M, T) of token ids: the bidirectional one on ``copies`` masked copies
    (:func:`masked_copies`, one epoch), the causal one to predict token t + 1 from tokens
    ≤ t, ``copies`` epochs over the windows. AdamW (weight decay 0.01), a learning rate
    warmed up over a tenth of the steps then decayed along a cosine, gradient norm
    clipped at 1. Returns {"steps", "seconds" (CPU time of this process, both models),
    "bidirectional_loss", "causal_loss"} (last epoch's mean training losses)."""
    import functools
    import time

    from lbdl_book.schedules import warmup_cosine
    from lbdl_book.train import fit

    if not isinstance(models, nn.ModuleDict) or set(models) != {"bidirectional", "causal"}:
        raise TypeError("models must be the nn.ModuleDict of text_models()")
    tensor(windows, "windows")
    vocab_size = models["bidirectional"].encoder.vocab_size
    token_ids(windows, vocab_size, name="windows")
    inputs, targets = masked_copies(windows, mask_index, vocab_size, copies, seed)
    steps = -(-len(inputs) // batch_size)
    schedule = functools.partial(warmup_cosine, lr=lr, warmup_steps=max(steps // 10, 1), total_steps=steps + 1,
                                 min_lr=lr / 10)
    options = dict(lr=lr, batch_size=batch_size, optimizer="adamw", weight_decay=0.01, schedule=schedule,
                   grad_clip=1.0, seed=seed)
    start = time.process_time()
    bidirectional = fit(models["bidirectional"], masked_cross_entropy, (inputs, targets), epochs=1, **options)
    causal = fit(models["causal"], masked_cross_entropy, (windows[:, :-1], windows[:, 1:]), epochs=copies,
                 **options)
    return {"steps": steps, "seconds": time.process_time() - start,
            "bidirectional_loss": bidirectional.last("train_loss"), "causal_loss": causal.last("train_loss")}


@torch.no_grad()
def fill_in(models: nn.ModuleDict, windows: torch.Tensor, mask_index: int, position: int) -> dict[str, torch.Tensor]:
    """Predict the token at ``position`` of every window (M, T), two ways: the
    bidirectional model sees the window with that token replaced by [MASK] (both sides),
    the causal model sees the tokens before it only. Returns {"bidirectional": (M, V)
    logits, "causal": (M, V) logits}; the models are evaluated in eval mode."""
    if not isinstance(models, nn.ModuleDict) or set(models) != {"bidirectional", "causal"}:
        raise TypeError("models must be the nn.ModuleDict of text_models()")
    vocab_size = models["bidirectional"].encoder.vocab_size
    token_ids(windows, vocab_size, name="windows")
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position < windows.shape[1]:
        raise ValueError(f"position must be an int in [1, T={windows.shape[1]}), got {position!r}")
    if isinstance(mask_index, bool) or not isinstance(mask_index, int) or not 0 <= mask_index < vocab_size:
        raise ValueError(f"mask_index must be an int in [0, vocab_size={vocab_size}), got {mask_index!r}")
    masked = windows.clone()
    masked[:, position] = mask_index
    with eval_mode(models):
        return {"bidirectional": models["bidirectional"](masked)[:, position],
                "causal": models["causal"](windows[:, :position])[:, -1]}


def train_shipped(quick: bool = False) -> tuple[nn.ModuleDict, dict]:
    """The recipe of the shipped weights ``"ssl_text"`` (``make weights``): the two models
    of :func:`text_models` (:data:`TEXT_CONFIG`) trained by :func:`train_text_models` on
    the training paragraphs of :mod:`lbdl_book.data.corpus` (``split(every=6)``), with 48
    masked copies (``quick``: 1 copy of 64 windows). The models are returned in float16,
    which is how they are stored (half the size; a float32 model loads them exactly); the
    info dict holds the CPU time of the training (``cpu_seconds``) and the accuracies of
    the rounded weights, in float32, at filling position 16 of every validation window."""
    from lbdl_book.autoregressive import windows as cut
    from lbdl_book.data.corpus import split

    if not isinstance(quick, bool):
        raise TypeError(f"quick must be a bool, got {type(quick).__name__}")
    c = TEXT_CONFIG
    tokenizer = char_tokenizer()
    vocab_size, mask_index = len(tokenizer) + 1, len(tokenizer)
    train_text, val_text = split(every=6)
    train = cut(tokenizer.encode(train_text), c["context"], stride=c["stride"])
    copies = 1 if quick else 48
    if quick:
        train = train[:64]
    torch.manual_seed(0)
    models = text_models(vocab_size, c["context"], c["dim"], c["num_heads"], c["num_layers"], c["dropout"])
    info = train_text_models(models, train, mask_index, copies=copies, batch_size=c["batch_size"], lr=c["lr"])
    with torch.no_grad():
        for p in models.parameters():
            p.copy_(p.half().float())
    models.to("cpu")
    val = cut(tokenizer.encode(val_text), c["context"], stride=1)
    logits = fill_in(models, val, mask_index, 16)
    info.update({name: (logits[name].argmax(1) == val[:, 16]).double().mean().item() for name in logits})
    info.update({**c, "copies": copies, "windows": len(train), "dtype": "float16", "cpu_seconds": info["seconds"]})
    return models.half(), info
