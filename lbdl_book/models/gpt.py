"""The Generative Pre-trained Transformer (LBDL §5.3, Figure 5.8) [Radford et al., 2018, 2019].

A GPT is an autoregressive model (§3.2) made of one stack of *causal* self-attention
blocks: the encoder of the Transformer (Figure 5.7) in which position t may only look
at positions ≤ t. Given tokens x_1, …, x_T (integers < V), it computes

    H⁰ = E[x_t] + P[t]                                 token embedding + learned position
    Hⁿ = FFWₙ(SAₙ(Hⁿ⁻¹)),  n = 1, …, N                 causal self-attention, feed-forward
    l_t = LN(Hᴺ_t) Eᵀ                                  logits of the token after x_t

where E (V×D) is the token embedding, P (C×D) the positional table of the C = ``context``
positions, and the blocks are those of Figure 5.6 (:mod:`lbdl_book.models.transformer`).
Because of the causal masks, l_t depends on x_1, …, x_t only, so one pass over a text
gives the next-token logits at every position: the input (0, X_1, …, X_{T−1}) of Figure
5.8 yields P̂(X_1), P̂(X_2 | X_1), …, P̂(X_T | X_{<T}).

Choices, those of GPT-2 [Radford et al., 2019, §2.3]: the LayerNorm sits at the input
of each block (*pre-norm*, the blocks of Figure 5.6), one more LayerNorm follows the
last block, and the output layer has no bias. With ``tie_embeddings=True`` (default)
the output layer *is* the token embedding, transposed: one V×D matrix both reads and
writes tokens [Press and Wolf, 2017]. The weights start from N(0, 0.02²) [Radford et
al., 2018], the two projections that write into the residual stream in each block from
N(0, 0.02²/(2N)), so the variance added by the 2N residual branches does not grow with
depth [Radford et al., 2019]. Dropout, if any, acts on the attention weights and on the
output of the feed-forward branch.

GPT-2 small (:func:`gpt2_small`) has V = 50,257, C = 1,024, D = 768, 12 heads and 12
layers: 124,439,808 parameters (:func:`parameter_count`).
"""

from __future__ import annotations

import math
from numbers import Real

import torch
from torch import nn

from lbdl_book._checks import positive_int, token_ids
from lbdl_book import diagrams
from lbdl_book.nn.attention import MultiHeadAttention
from lbdl_book.nn.embedding import Embedding
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear
from lbdl_book.nn.norm import LayerNorm
from lbdl_book.nn.positional import LearnedPositionalEncoding
from lbdl_book.models.transformer import (BLOCK_LABELS, FeedForwardBlock, SelfAttentionBlock, block_parameter_count,
                                          layer_attention_maps, parameter_breakdown_of)
from lbdl_book.train import eval_mode
from lbdl_book.weights import round_to_float16

__all__ = ["CHAR_GPT", "GPT", "GPT2_SMALL", "GPTLayer", "char_gpt", "char_tokenizer", "generate", "gpt2_small",
           "gpt_stack", "next_token_distribution", "parameter_breakdown", "parameter_count", "train_char_gpt",
           "train_shipped"]

GPT2_SMALL = {"vocab_size": 50_257, "context": 1_024, "dim": 768, "num_heads": 12, "num_layers": 12}
INIT_STD = 0.02


class GPTLayer(nn.Module):
    """One layer of Figure 5.8: a causal self-attention block, then a feed-forward block
    (both pre-norm residual blocks of Figure 5.6). (N, T, D) → (N, T, D)."""

    def __init__(self, dim: int, num_heads: int, hidden_dim: int, dropout: float = 0.0):
        super().__init__()
        self.self_attention = SelfAttentionBlock(dim, num_heads, dropout, causal=True)
        self.feed_forward = FeedForwardBlock(dim, hidden_dim, dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.feed_forward(self.self_attention(x))


class GPT(nn.Module):
    """The GPT of Figure 5.8: tokens (N, T) int64, T ≤ ``context`` → logits (N, T, V).

    The logits at position t are those of the token that follows x_t; they depend on
    x_1, …, x_t only. ``vocab_size`` V, ``context`` C (the longest input, and the size of
    the learned positional table), ``dim`` D, ``num_heads`` (D/heads dimensions per head),
    ``num_layers`` N, ``dropout`` (attention weights and feed-forward output),
    ``tie_embeddings``: the output layer reuses the token embedding's V×D matrix (one
    Parameter, stored once), ``hidden_dim``: width of the feed-forward blocks (4D),
    ``fused``: the layers run PyTorch's fused kernels (default), or the book's computations
    with ``fused=False`` (:mod:`lbdl_book.nn.fused`); the tokens are checked here, once.

    Submodules: ``embedding`` (V×D), ``positional`` (C×D), ``layers`` (N × :class:`GPTLayer`),
    ``norm`` (the final LayerNorm) and ``head`` (D → V, no bias)."""

    def __init__(self, vocab_size: int, context: int, dim: int, num_heads: int, num_layers: int,
                 dropout: float = 0.0, tie_embeddings: bool = True, *, hidden_dim: int | None = None,
                 fused: bool = True):
        super().__init__()
        self.vocab_size = positive_int(vocab_size, "vocab_size")
        self.context = positive_int(context, "context")
        self.dim = positive_int(dim, "dim")
        self.num_layers = positive_int(num_layers, "num_layers")
        self.hidden_dim = 4 * dim if hidden_dim is None else positive_int(hidden_dim, "hidden_dim")
        if not isinstance(tie_embeddings, bool):
            raise TypeError(f"tie_embeddings must be a bool, got {type(tie_embeddings).__name__}")
        if isinstance(dropout, bool) or not isinstance(dropout, Real) or not 0 <= dropout < 1:
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        self.tie_embeddings = tie_embeddings
        self.embedding = Embedding(vocab_size, dim)
        self.positional = LearnedPositionalEncoding(context, dim)
        self.layers = nn.ModuleList(GPTLayer(dim, num_heads, self.hidden_dim, dropout) for _ in range(num_layers))
        self.norm = LayerNorm(dim)
        self.head = Linear(dim, vocab_size, bias=False)
        if tie_embeddings:
            self.head.weight = self.embedding.weight          # the same Parameter: E reads and writes tokens
        self.reset_parameters()
        set_fused(self, fused)

    @property
    def num_heads(self) -> int:
        return self.layers[0].self_attention.attention.num_heads

    def reset_parameters(self) -> None:
        """GPT's initialisation: every weight matrix and table from N(0, 0.02²), biases at
        0, LayerNorms at (1, 0); the two matrices that write into the residual stream in
        each layer (the attention's W^O and the second fully connected layer) from
        N(0, 0.02²/(2N)), N = ``num_layers``."""
        residual_std = INIT_STD / math.sqrt(2 * self.num_layers)
        for module in self.modules():
            if isinstance(module, LayerNorm):
                module.reset_parameters()
            elif isinstance(module, (Embedding, LearnedPositionalEncoding)):
                nn.init.normal_(module.weight, std=INIT_STD)
            elif isinstance(module, MultiHeadAttention):
                nn.init.normal_(module.in_proj_weight, std=INIT_STD)
                nn.init.normal_(module.out_proj.weight, std=residual_std)
                for bias in (module.in_proj_bias, module.out_proj.bias):
                    if bias is not None:
                        nn.init.zeros_(bias)
            elif isinstance(module, FeedForwardBlock):
                nn.init.normal_(module.linear1.weight, std=INIT_STD)
                nn.init.normal_(module.linear2.weight, std=residual_std)
                nn.init.zeros_(module.linear1.bias)
                nn.init.zeros_(module.linear2.bias)
        if not self.tie_embeddings:
            nn.init.normal_(self.head.weight, std=INIT_STD)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        token_ids(tokens, self.vocab_size, self.context)
        h = self.positional(self.embedding(tokens))       # H⁰ = E[x_t] + P[t]: (N, T, D)
        for layer in self.layers:                          # Hⁿ = FFWₙ(SAₙ(Hⁿ⁻¹))
            h = layer(h)
        return self.head(self.norm(h))                     # l_t = LN(Hᴺ_t) Eᵀ: (N, T, V)

    @torch.no_grad()
    def attention_maps(self, tokens: torch.Tensor) -> list[torch.Tensor]:
        """The attention weights of one forward pass in eval mode: one (N, heads, T, T)
        tensor per layer; row t of a map says how much position t takes from each s ≤ t."""
        token_ids(tokens, self.vocab_size, self.context)
        with eval_mode(self):
            _, maps = layer_attention_maps(self.layers, self.positional(self.embedding(tokens)))
        return maps

    def extra_repr(self) -> str:
        return f"context={self.context}, tie_embeddings={self.tie_embeddings}"


def gpt2_small(**options) -> GPT:
    """GPT-2 small [Radford et al., 2019]: V = 50,257, C = 1,024, D = 768, 12 heads, 12
    layers, tied embeddings; 124,439,808 parameters (about 0.5 GB in float32). ``options``
    (``dropout``, ``tie_embeddings``) are passed to :class:`GPT`. To count parameters
    without allocating memory, build it under ``with torch.device("meta"):``."""
    return GPT(**GPT2_SMALL, **options)


def parameter_count(vocab_size: int, context: int, dim: int, num_layers: int, hidden_dim: int | None = None,
                    tie_embeddings: bool = True) -> int:
    """Parameters of :class:`GPT`, from its shapes: token table V·D, positional table C·D,
    N layers of (4D² + 6D) + (2DH + H + 3D) (:func:`~lbdl_book.models.transformer.block_parameter_count`;
    12D² + 13D when H = 4D), the final LayerNorm 2D, and V·D more if the output layer is
    not tied. The number of heads does not matter: the heads split D, they do not add to it."""
    for name, value in (("vocab_size", vocab_size), ("context", context), ("dim", dim), ("num_layers", num_layers)):
        positive_int(value, name)
    h = 4 * dim if hidden_dim is None else positive_int(hidden_dim, "hidden_dim")
    layer = block_parameter_count("self_attention", dim) + block_parameter_count("feed_forward", dim, h)
    return vocab_size * dim + context * dim + num_layers * layer + 2 * dim + (0 if tie_embeddings else vocab_size * dim)


def parameter_breakdown(model: GPT) -> dict[str, int]:
    """Where the parameters of ``model`` sit, counted on the object (each shared Parameter
    once): ``"embedding"`` (token table), ``"positional"``, ``"attention"`` and
    ``"feed_forward"`` (all layers, LayerNorms of the blocks included), ``"norm"`` (the final
    LayerNorm) and ``"head"`` (0 when tied). The values sum to the model's total."""
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT, got {type(model).__name__}")
    return parameter_breakdown_of({
        "embedding": [model.embedding],
        "positional": [model.positional],
        "attention": [layer.self_attention for layer in model.layers],
        "feed_forward": [layer.feed_forward for layer in model.layers],
        "norm": [model.norm],
        "head": [model.head],
    })


def _check_prompt(prompt_ids, vocab_size: int) -> torch.Tensor:
    if not isinstance(prompt_ids, torch.Tensor):
        raise TypeError(f"prompt_ids must be a torch.Tensor, got {type(prompt_ids).__name__}")
    if prompt_ids.dtype != torch.int64:
        raise TypeError(f"prompt_ids must be an int64 (torch.long) tensor of token ids, got {prompt_ids.dtype}")
    if prompt_ids.dim() == 1:
        prompt_ids = prompt_ids[None]
    if prompt_ids.dim() != 2 or prompt_ids.shape[1] == 0:
        raise ValueError(f"prompt_ids must have shape (P,) or (N, P) with P >= 1, got {tuple(prompt_ids.shape)}")
    if prompt_ids.min() < 0 or prompt_ids.max() >= vocab_size:
        raise ValueError(f"prompt_ids values must be in [0, vocab_size={vocab_size}), got min "
                         f"{prompt_ids.min().item()} and max {prompt_ids.max().item()}")
    return prompt_ids


def _check_sampling(vocab_size: int, temperature, top_k, top_p=None) -> None:
    if isinstance(temperature, bool) or not isinstance(temperature, Real) or not (
            math.isfinite(temperature) and temperature >= 0):
        raise ValueError(f"temperature must be a finite number >= 0, got {temperature!r}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= vocab_size):
        raise ValueError(f"top_k must be None or an int in [1, vocab_size={vocab_size}], got {top_k!r}")
    if top_p is not None and (isinstance(top_p, bool) or not isinstance(top_p, Real) or not 0 < top_p <= 1):
        raise ValueError(f"top_p must be None or a number in (0, 1], got {top_p!r}")


def next_token_distribution(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                            top_p: float | None = None) -> torch.Tensor:
    """The distribution a token is drawn from, given its logits (..., V):

    softmax(l / τ) over the ``top_k`` largest logits (the others get probability 0). τ < 1
    sharpens the distribution, τ > 1 flattens it; τ = 0 puts all the mass on the largest
    logit (greedy decoding; ties go to the first). Returns (..., V), rows summing to 1.

    ``top_p`` (nucleus sampling [Holtzman et al., 2020]), applied last: the tokens sorted
    by decreasing probability, keep the smallest set whose probability reaches ``top_p``
    (a token is kept if the tokens before it hold less than ``top_p``; among equal
    probabilities, the lower token id comes first), and renormalise. ``top_p=1`` keeps all."""
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point() or logits.dim() < 1:
        got = f"{logits.dtype} of shape {tuple(logits.shape)}" if isinstance(logits, torch.Tensor) else \
            type(logits).__name__
        raise TypeError(f"logits must be a floating-point tensor (..., V), got {got}")
    if logits.shape[-1] == 0:
        raise ValueError(f"logits must have V >= 1 entries in their last dimension, got shape {tuple(logits.shape)}")
    _check_sampling(logits.shape[-1], temperature, top_k, top_p)
    logits = logits.float()
    if temperature == 0:
        return nn.functional.one_hot(logits.argmax(-1), logits.shape[-1]).to(logits.dtype)
    logits = logits / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = logits.topk(top_k, dim=-1).values[..., -1:]          # the k-th largest logit of each row
        logits = logits.masked_fill(logits < kth, float("-inf"))
    p = torch.softmax(logits, dim=-1)
    if top_p is None or top_p == 1:
        return p
    sorted_p, order = p.sort(dim=-1, descending=True, stable=True)  # ties: the lower id first
    before = sorted_p.double().cumsum(-1) - sorted_p.double()       # mass of the tokens ranked before
    keep = torch.zeros_like(p, dtype=torch.bool).scatter(-1, order, before < top_p)
    p = p.masked_fill(~keep, 0.0)
    return p / p.sum(-1, keepdim=True)


@torch.no_grad()
def generate(model: GPT, prompt_ids: torch.Tensor, steps: int, temperature: float = 1.0, top_k: int | None = None,
             generator: torch.Generator | None = None, *, top_p: float | None = None) -> torch.Tensor:
    """Extend ``prompt_ids`` (P,) or (N, P) by ``steps`` tokens, one at a time (§3.2).

    At each step the model reads the last ``model.context`` tokens at most (the learned
    positional table has no row beyond), the logits of the last position go through
    :func:`next_token_distribution` (``temperature``, ``top_k``, ``top_p``), and one token is drawn
    with ``torch.multinomial`` (``generator`` makes it repeatable). Every step recomputes
    the whole window: simple, and cheap at this book's sizes (production code caches the
    keys and values of past positions). Runs in eval mode on the model's device; returns
    (N, P + steps) int64 on the CPU, the prompt included."""
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT, got {type(model).__name__}")
    prompt_ids = _check_prompt(prompt_ids, model.vocab_size)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be an int >= 0, got {steps!r}")
    _check_sampling(model.vocab_size, temperature, top_k, top_p)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")
    device = model.head.weight.device
    tokens = prompt_ids.cpu()
    with eval_mode(model):
        for _ in range(steps):
            window = tokens[:, -model.context:].to(device)              # at most C positions
            p = next_token_distribution(model(window)[:, -1], temperature, top_k, top_p).cpu()
            tokens = torch.cat([tokens, torch.multinomial(p, 1, generator=generator)], dim=1)
    return tokens


# --- Figure 5.8 ------------------------------------------------------------------------

def gpt_stack(model: GPT, length: int | None = None) -> tuple[list, list]:
    """Items and shapes of Figure 5.8 for :func:`lbdl_book.diagrams.draw_stack`, read off
    ``model`` by running it once on ``length`` tokens (default: its context): embedding,
    positional encoding, the N layers drawn once in a ×N frame, the final LayerNorm and
    the output layer, with the shapes T, T×D and T×V between them."""
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT, got {type(model).__name__}")
    length = model.context if length is None else length
    if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= model.context:
        raise ValueError(f"length must be an int in [1, context={model.context}], got {length!r}")
    labels = dict(BLOCK_LABELS)
    labels[SelfAttentionBlock] = lambda m: ("causal self-att", f"H={m.attention.num_heads}")
    labels[LearnedPositionalEncoding] = lambda m: ("+ pos-enc", "learned")
    labels[Linear] = lambda m: ("fully-conn", "weight = embed" if model.tie_embeddings else "bias=False")
    device = model.head.weight.device
    tokens = torch.zeros(1, length, dtype=torch.long, device=device)
    return diagrams.describe(model, tokens, input_name="$0, X_1, …, X_{T-1}$",
                             output_name="$\\hat P(X_1), …, \\hat P(X_T \\mid X_{<T})$",
                             atomic=(SelfAttentionBlock, FeedForwardBlock), labels=labels)


# --- The shipped character-level GPT (used by Chapters 7 and 8) ---------------------------

CHAR_GPT = {"context": 64, "dim": 64, "num_heads": 4, "num_layers": 3, "dropout": 0.1}


def char_tokenizer():
    """The tokenizer of the book's character-level GPT: one token per character of the
    corpus of :mod:`lbdl_book.data.corpus` (a BPE tokenizer with no merges)."""
    from lbdl_book.data.corpus import corpus
    from lbdl_book.tokenizer import BPETokenizer

    text = corpus()
    return BPETokenizer.train(text, vocab_size=len(set(text)))


def char_gpt() -> GPT:
    """The GPT of :data:`CHAR_GPT` on the corpus's characters, with the shipped weights
    ``gpt_char`` loaded (§5.3 trains the same architecture for a few seconds; this one was
    trained to its best validation loss, see :func:`train_shipped`). In eval mode, CPU."""
    from lbdl_book.weights import load

    model = GPT(len(char_tokenizer()), **CHAR_GPT)
    load(model, "gpt_char")
    return model.eval()


def train_shipped(quick: bool = False) -> tuple[GPT, dict]:
    """The recipe of ``lbdl_book/weights/gpt_char.safetensors``: :func:`train_char_gpt` of
    :data:`CHAR_GPT`."""
    return train_char_gpt(CHAR_GPT, quick)


def train_char_gpt(config: dict, quick: bool = False) -> tuple[GPT, dict]:
    """A GPT of ``config`` (the keyword arguments of :class:`GPT` but ``vocab_size``) on the
    corpus's characters, the book's recipe for a shipped char-GPT: built from seed 0,
    trained on windows of C + 1 characters taken every 4 characters of the training part of
    the corpus (``corpus.split(every=6)``), AdamW (weight decay 0.1), batches of 32,
    learning rate 3e-3 warmed up over 5 % of the steps then cosine-decayed, gradients
    clipped at 1; the model of the epoch with the lowest validation loss is kept (early
    stopping, patience 3, at most 40 epochs). Weights rounded to float16, the file's
    precision; returns the float16 model and what the run reached. ``quick``: one epoch on
    64 windows (what the tests run)."""
    import time

    from lbdl_book._checks import boolean
    from lbdl_book.autoregressive import sequence_cross_entropy, windows
    from lbdl_book.config import device, seed_everything
    from lbdl_book.data.corpus import split
    from lbdl_book.schedules import EarlyStopping, warmup_cosine
    from lbdl_book.train import fit

    if not isinstance(config, dict) or not {"context", "dim", "num_heads", "num_layers"} <= set(config):
        raise TypeError(f"config must be a dict of GPT arguments with context, dim, num_heads and num_layers, "
                        f"got {config!r}")
    boolean(quick, "quick")
    tokenizer = char_tokenizer()
    seed_everything(0)
    model = GPT(len(tokenizer), **config)
    C = config["context"]
    train_text, val_text = split(every=6)
    train = windows(tokenizer.encode(train_text), C + 1, stride=4)
    val = windows(tokenizer.encode(val_text), C + 1, stride=C // 2)
    epochs, lr, batch_size = (1, 3e-3, 32) if quick else (40, 3e-3, 32)
    if quick:
        train = train[:64]
    total = epochs * math.ceil(len(train) / batch_size)

    def schedule(step: int) -> float:
        return warmup_cosine(step, lr=lr, warmup_steps=max(1, total // 20), total_steps=total, min_lr=lr / 10)

    stopper = EarlyStopping(patience=3)
    start = time.perf_counter()
    history = fit(model.to(device()), sequence_cross_entropy, (train[:, :-1], train[:, 1:]), epochs=epochs, lr=lr,
                  batch_size=batch_size, optimizer="adamw", weight_decay=0.1, schedule=schedule, grad_clip=1.0,
                  val_data=(val[:, :-1], val[:, 1:]), early_stopping=stopper, seed=0)
    seconds = time.perf_counter() - start
    model = model.cpu().eval()
    round_to_float16(model)
    with torch.no_grad():
        val_loss = sequence_cross_entropy(model(val[:, :-1]), val[:, 1:]).item()
    info = {"config": config, "vocab_size": len(tokenizer), "train_windows": len(train), "stride": 4,
            "epochs_run": len(history["train_loss"]), "best_epoch": stopper.best_epoch, "lr": lr,
            "batch_size": batch_size, "optimizer": "adamw", "weight_decay": 0.1, "device": str(device()),
            "train_seconds": round(seconds, 1), "val_loss_float16": round(val_loss, 4),
            "val_loss": [round(v, 4) for v in history["val_loss"]],
            "parameters": sum(p.numel() for p in model.parameters())}
    return model.half(), info
