"""The Transformer (LBDL §5.3, Figures 5.6 and 5.7), after [Vaswani et al., 2017].

A Transformer is built from three residual blocks (Figure 5.6). Each adds to its input
x, of shape (N, T, D), a correction computed from a layer-normalised copy of x:

* the feed-forward block, an MLP with one hidden layer of H units applied at every
  position separately:  x + dropout(W₂ gelu(W₁ LN(x) + b₁) + b₂);
* the self-attention block, where every position looks at the whole sequence:
  x + mha(Q = K = V = LN(x)); with ``causal=True``, position t only looks at
  positions ≤ t (the causal mask of §4.8);
* the cross-attention block, where the queries come from x and the keys and values
  from another sequence z:  x + mha(Q = LN(x), K = V = z).

The encoder-decoder of Figure 5.7 translates a source sequence into a target sequence.
The encoder embeds the source tokens, adds a positional encoding, and applies N pairs
(self-attention, feed-forward), producing one vector per source token, Z. The decoder
embeds the target tokens *shifted right* (a start token, then Y_1 … Y_{S−1}), applies N
triples (causal self-attention, cross-attention on Z, feed-forward) and a final linear
layer that gives at each position s the logits of the next token Y_s. Thanks to the
causal mask the logits at s depend only on Y_{<s}: a single pass over the true target
trains every position at once (*teacher forcing*), and generation feeds the model its
own previous outputs one token at a time (:func:`greedy_decode`).

Where the normalisation sits. LBDL draws the *pre-norm* blocks above and credits them
to GPT [Radford et al., 2018], which was in fact still post-norm; the layout is GPT-2's
[Radford et al., 2019]. The original Transformer is *post-norm*: y = LN(x + f(x)), the
normalisation after the sum [Vaswani et al., 2017]. ``norm_first=False`` builds that
variant. A pre-norm stack ends with one more LayerNorm (the encoder before Z, the
decoder before its last linear layer), since nothing else normalises the output of
the last block; Figure 5.7 does not draw it. The post-norm stack needs none.

The original feed-forward block uses a ReLU; GPT and BERT use a GELU, and so does
Figure 5.6 (``activation="gelu"``, the default, or ``"relu"``).

Every layer comes from :mod:`lbdl_book.nn` (Chapter 4). Parameter names follow
``torch.nn.TransformerEncoderLayer``/``TransformerDecoderLayer`` up to a renaming
(:meth:`EncoderLayer.load_torch_weights`), so the tests load PyTorch's weights into
these blocks and compare the outputs. With D = 768, H = 3072 and 12 heads, one
self-attention block and one feed-forward block hold 12D² + 13D = 7,087,872
parameters: the layer of GPT-2 small and of ViT-B/16.
"""

from __future__ import annotations

from numbers import Real

import matplotlib.figure
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from lbdl_book._checks import modules as module_list, positive_int, tensor, token_ids
from lbdl_book import diagrams
from lbdl_book.losses import cross_entropy
from lbdl_book.nn.activations import GELU, ReLU
from lbdl_book.nn.attention import MultiHeadAttention
from lbdl_book.nn.dropout import Dropout
from lbdl_book.nn.embedding import Embedding
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.linear import Linear
from lbdl_book.nn.norm import LayerNorm
from lbdl_book.nn.positional import SinusoidalPositionalEncoding
from lbdl_book.train import eval_mode

__all__ = [
    "ACTIVATIONS", "BLOCK_LABELS", "CrossAttentionBlock", "Decoder", "DecoderLayer", "Encoder",
    "EncoderLayer", "FeedForwardBlock", "SelfAttentionBlock", "TeacherForcing", "Transformer",
    "block_parameter_count", "block_stack", "decoder_stack", "draw_stacks", "encoder_stack", "greedy_decode",
    "layer_attention_maps", "parameter_breakdown_of", "parameter_count", "sequence_cross_entropy"
]

ACTIVATIONS = {"gelu": GELU, "relu": ReLU}


# --- argument checks -------------------------------------------------------------------

def _check_dropout(p) -> float:
    if isinstance(p, bool) or not isinstance(p, Real) or not 0 <= p < 1:
        raise ValueError(f"dropout must be a number in [0, 1), got {p!r}")
    return float(p)


def _check_flag(value, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__}")
    return value


def _check_activation(activation) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    return activation


def _check_sequence(x, dim: int, name: str) -> None:
    """``x`` must be a float tensor (N, T, D)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got {x.dtype}")
    if x.dim() != 3 or x.shape[2] != dim:
        raise ValueError(f"{name} must have shape (N, T, D={dim}), got {tuple(x.shape)}")


def _key_mask(keep: torch.Tensor | None, n_q: int) -> torch.Tensor | None:
    """(N, T_KV) bool, True = a real token, → the (N, T_Q, T_KV) mask of MultiHeadAttention."""
    return None if keep is None else keep[:, None, :].expand(-1, n_q, -1)


# --- the three blocks of Figure 5.6 ----------------------------------------------------

class FeedForwardBlock(nn.Module):
    """x + dropout(fc(act(fc(LN(x))))): (N, T, D) → (N, T, D), the same MLP at every position.

    ``dim`` D, ``hidden_dim`` H (4D in GPT and ViT), ``dropout`` p on the output of the
    branch. ``activation``: ``"gelu"`` (LBDL, GPT, BERT) or ``"relu"`` (Vaswani et al.).
    ``norm_first=False``: the post-norm LN(x + fc(act(fc(x)))) of the original Transformer.
    Parameters: ``norm`` (2D), ``linear1`` (D·H + H), ``linear2`` (H·D + D)."""

    def __init__(self, dim: int, hidden_dim: int, dropout: float = 0.0, *, activation: str = "gelu",
                 norm_first: bool = True):
        super().__init__()
        self.dim, self.hidden_dim = positive_int(dim, "dim"), positive_int(hidden_dim, "hidden_dim")
        self.norm_first = _check_flag(norm_first, "norm_first")
        self.norm = LayerNorm(dim)
        self.linear1 = Linear(dim, hidden_dim)
        self.activation = ACTIVATIONS[_check_activation(activation)]()
        self.linear2 = Linear(hidden_dim, dim)
        self.dropout = Dropout(_check_dropout(dropout))

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        """The MLP alone, fc → act → fc → dropout (what is added to the residual stream)."""
        return self.dropout(self.linear2(self.activation(self.linear1(x))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _check_sequence(x, self.dim, "x")
        if self.norm_first:
            return x + self.branch(self.norm(x))
        return self.norm(x + self.branch(x))

    def extra_repr(self) -> str:
        return f"norm_first={self.norm_first}"


class SelfAttentionBlock(nn.Module):
    """x + mha(Q = K = V = LN(x)): (N, T, D) → (N, T, D).

    ``dim`` D, ``num_heads`` h (D/h dimensions per head), ``dropout`` on the attention weights (Figure
    4.12), ``causal``: position t sees only positions ≤ t. ``norm_first=False``: the
    post-norm LN(x + mha(x)). Parameters: ``norm`` (2D) and ``attention`` (4D² + 4D),
    named as ``torch.nn.MultiheadAttention``'s (``in_proj_weight``, ``out_proj``, …)."""

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0, causal: bool = False, *,
                 norm_first: bool = True):
        super().__init__()
        self.dim = positive_int(dim, "dim")
        self.causal = _check_flag(causal, "causal")
        self.norm_first = _check_flag(norm_first, "norm_first")
        self.norm = LayerNorm(dim)
        self.attention = MultiHeadAttention(dim, num_heads, dropout=_check_dropout(dropout))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None, need_weights: bool = False):
        """``mask``: bool, True = may attend, (T, T) or (N, T, T), combined with the causal
        mask if ``causal``. Returns (N, T, D), and with ``need_weights`` also the attention
        weights (N, heads, T, T)."""
        _check_sequence(x, self.dim, "x")
        h = self.norm(x) if self.norm_first else x
        out = self.attention(h, mask=mask, causal=self.causal, need_weights=need_weights)
        y, a = out if need_weights else (out, None)
        y = x + y if self.norm_first else self.norm(x + y)
        return (y, a) if need_weights else y

    def extra_repr(self) -> str:
        return f"causal={self.causal}, norm_first={self.norm_first}"


class CrossAttentionBlock(nn.Module):
    """x + mha(Q = LN(x), K = V = z): x (N, T, D) and z (N, S, D) → (N, T, D).

    The queries come from the sequence being computed, the keys and values from another
    one, typically the encoder's output Z, which is used as it is (the encoder already
    normalised it). ``norm_first=False``: LN(x + mha(x, z)). Same parameters as
    :class:`SelfAttentionBlock`."""

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0, *, norm_first: bool = True):
        super().__init__()
        self.dim = positive_int(dim, "dim")
        self.norm_first = _check_flag(norm_first, "norm_first")
        self.norm = LayerNorm(dim)
        self.attention = MultiHeadAttention(dim, num_heads, dropout=_check_dropout(dropout))

    def forward(self, x: torch.Tensor, z: torch.Tensor, mask: torch.Tensor | None = None,
                need_weights: bool = False):
        """``mask``: bool, True = may attend, (T, S) or (N, T, S). Returns (N, T, D), and with
        ``need_weights`` also the attention weights (N, heads, T, S)."""
        _check_sequence(x, self.dim, "x")
        _check_sequence(z, self.dim, "z")
        if z.shape[0] != x.shape[0]:
            raise ValueError(f"x and z must have the same batch size N, got {tuple(x.shape)} and {tuple(z.shape)}")
        h = self.norm(x) if self.norm_first else x
        out = self.attention(h, z, mask=mask, need_weights=need_weights)
        y, a = out if need_weights else (out, None)
        y = x + y if self.norm_first else self.norm(x + y)
        return (y, a) if need_weights else y

    def extra_repr(self) -> str:
        return f"norm_first={self.norm_first}"


# --- encoder and decoder layers, and their PyTorch twins --------------------------------

def _activation_of(reference: nn.Module) -> str:
    """"gelu" or "relu": the activation of a torch.nn.TransformerEncoderLayer/DecoderLayer."""
    act = reference.activation
    if act is F.gelu or isinstance(act, nn.GELU):
        return "gelu"
    if act is F.relu or isinstance(act, nn.ReLU):
        return "relu"
    raise ValueError(f"reference must use activation 'gelu' or 'relu', got {act!r}")


def _load_renamed(module: nn.Module, reference: nn.Module, renaming: dict[str, str]) -> None:
    """Copy ``reference``'s state dict into ``module``, the prefix ``theirs`` becoming ``ours``."""
    state = {}
    for key, value in reference.state_dict().items():
        prefix = next((p for p in renaming if key.startswith(p + ".")), None)
        if prefix is None:
            raise ValueError(f"unexpected parameter {key!r} in the reference")
        state[renaming[prefix] + key[len(prefix):]] = value
    module.load_state_dict(state)


class EncoderLayer(nn.Module):
    """One encoder layer of Figure 5.7: a self-attention block, then a feed-forward block.
    (N, T, D) → (N, T, D)."""

    def __init__(self, dim: int, num_heads: int, hidden_dim: int, dropout: float = 0.0, *,
                 activation: str = "gelu", norm_first: bool = True):
        super().__init__()
        self.self_attention = SelfAttentionBlock(dim, num_heads, dropout, norm_first=norm_first)
        self.feed_forward = FeedForwardBlock(dim, hidden_dim, dropout, activation=activation, norm_first=norm_first)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        return self.feed_forward(self.self_attention(x, mask))

    RENAMING = {"self_attn": "self_attention.attention", "norm1": "self_attention.norm",
                "linear1": "feed_forward.linear1", "linear2": "feed_forward.linear2", "norm2": "feed_forward.norm"}

    def load_torch_weights(self, reference: nn.TransformerEncoderLayer) -> EncoderLayer:
        """Copy the weights of ``torch.nn.TransformerEncoderLayer`` (same D, heads, H,
        activation and ``norm_first``); returns self. With dropout 0 (or in eval mode) both
        compute the same function: ``self_attn`` → ``self_attention.attention``, ``norm1`` →
        ``self_attention.norm``, ``linear1``/``linear2``/``norm2`` → ``feed_forward.*``."""
        if not isinstance(reference, nn.TransformerEncoderLayer):
            raise TypeError(f"reference must be a torch.nn.TransformerEncoderLayer, got {type(reference).__name__}")
        _check_same(self.feed_forward, reference)
        _load_renamed(self, reference, self.RENAMING)
        return self


def layer_attention_maps(layers, h: torch.Tensor, mask: torch.Tensor | None = None
                         ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Run ``h`` (N, T, D) through ``layers`` made of a self-attention block then a
    feed-forward block (:class:`EncoderLayer`, the layers of GPT and ViT), keeping each
    layer's attention weights: returns the output (N, T, D) and one (N, heads, T, T)
    tensor per layer. Call it in eval mode, without gradients, to look at a model."""
    layers = module_list(layers, "layers")
    for i, layer in enumerate(layers):
        if not (isinstance(getattr(layer, "self_attention", None), SelfAttentionBlock)
                and isinstance(getattr(layer, "feed_forward", None), FeedForwardBlock)):
            raise TypeError(f"layers[{i}] must have a self_attention and a feed_forward block (an EncoderLayer, "
                            f"a GPT layer), got {type(layer).__name__}")
    if layers:
        _check_sequence(h, layers[0].self_attention.dim, "h")
    else:
        tensor(h, "h")
    maps = []
    for layer in layers:
        h, weights = layer.self_attention(h, mask, need_weights=True)
        h = layer.feed_forward(h)
        maps.append(weights)
    return h, maps


class DecoderLayer(nn.Module):
    """One decoder layer of Figure 5.7: causal self-attention, cross-attention on Z, then
    feed-forward. y (N, T, D) and z (N, S, D) → (N, T, D)."""

    def __init__(self, dim: int, num_heads: int, hidden_dim: int, dropout: float = 0.0, *,
                 activation: str = "gelu", norm_first: bool = True):
        super().__init__()
        self.self_attention = SelfAttentionBlock(dim, num_heads, dropout, causal=True, norm_first=norm_first)
        self.cross_attention = CrossAttentionBlock(dim, num_heads, dropout, norm_first=norm_first)
        self.feed_forward = FeedForwardBlock(dim, hidden_dim, dropout, activation=activation, norm_first=norm_first)

    def forward(self, y: torch.Tensor, z: torch.Tensor, z_mask: torch.Tensor | None = None) -> torch.Tensor:
        """``z_mask``: bool (N, T, S) or (T, S), True where position t may look at Z_s."""
        _check_sequence(y, self.feed_forward.dim, "y")
        return self.feed_forward(self.cross_attention(self.self_attention(y), z, z_mask))

    RENAMING = {"self_attn": "self_attention.attention", "norm1": "self_attention.norm",
                "multihead_attn": "cross_attention.attention", "norm2": "cross_attention.norm",
                "linear1": "feed_forward.linear1", "linear2": "feed_forward.linear2", "norm3": "feed_forward.norm"}

    def load_torch_weights(self, reference: nn.TransformerDecoderLayer) -> DecoderLayer:
        """Copy the weights of ``torch.nn.TransformerDecoderLayer``; returns self. Same
        function as the reference called with a causal ``tgt_mask``; ``multihead_attn``
        becomes ``cross_attention.attention``, ``norm2`` ``cross_attention.norm``, ``norm3``
        ``feed_forward.norm``."""
        if not isinstance(reference, nn.TransformerDecoderLayer):
            raise TypeError(f"reference must be a torch.nn.TransformerDecoderLayer, got {type(reference).__name__}")
        _check_same(self.feed_forward, reference)
        _load_renamed(self, reference, self.RENAMING)
        return self


def _check_same(ffw: FeedForwardBlock, reference: nn.Module) -> None:
    ours = (ffw.dim, ffw.hidden_dim, "gelu" if isinstance(ffw.activation, GELU) else "relu", ffw.norm_first)
    theirs = (reference.linear1.in_features, reference.linear1.out_features, _activation_of(reference),
              reference.norm_first)
    if ours != theirs:
        raise ValueError(f"(dim, hidden_dim, activation, norm_first) must match: reference {theirs}, ours {ours}")


# --- Figure 5.7: the encoder-decoder ---------------------------------------------------

class Encoder(nn.Module):
    """Source tokens (N, S) → Z (N, S, D): embed, add the sinusoidal positional encoding,
    ``num_layers`` × (self-attention, feed-forward), and a final LayerNorm if pre-norm.
    Positions holding ``pad_index`` are never attended to."""

    def __init__(self, vocab_size: int, dim: int, num_heads: int, hidden_dim: int, num_layers: int, max_len: int,
                 dropout: float = 0.0, *, activation: str = "gelu", norm_first: bool = True,
                 pad_index: int | None = None):
        super().__init__()
        self.vocab_size, self.max_len = positive_int(vocab_size, "vocab_size"), positive_int(max_len, "max_len")
        positive_int(dim, "dim")
        self.pad_index = pad_index
        self.embedding = Embedding(vocab_size, dim, padding_idx=pad_index)
        self.positional = SinusoidalPositionalEncoding(dim, max_len)
        self.layers = nn.ModuleList(
            EncoderLayer(dim, num_heads, hidden_dim, dropout, activation=activation, norm_first=norm_first)
            for _ in range(positive_int(num_layers, "num_layers")))
        self.norm = LayerNorm(dim) if norm_first else None

    def keep(self, src: torch.Tensor) -> torch.Tensor | None:
        """(N, S) bool, True at the real tokens (not ``pad_index``); None without padding."""
        return None if self.pad_index is None else src != self.pad_index

    def forward(self, src: torch.Tensor) -> torch.Tensor:
        token_ids(src, self.vocab_size, self.max_len, "src")
        keep = self.keep(src)
        if keep is not None and not keep.any(dim=1).all():
            row = int((~keep.any(dim=1)).nonzero()[0, 0])
            raise ValueError(f"src row {row} holds only padding (pad_index={self.pad_index}): its positions have "
                             f"nothing to attend to")
        mask = _key_mask(keep, src.shape[1])
        x = self.positional(self.embedding(src))
        for layer in self.layers:
            x = layer(x, mask)
        return x if self.norm is None else self.norm(x)


class Decoder(nn.Module):
    """Target tokens shifted right (N, T) and Z (N, S, D) → next-token logits (N, T, V):
    embed, positional encoding, ``num_layers`` × (causal self-attention, cross-attention
    on Z, feed-forward), a final LayerNorm if pre-norm, and a linear layer to the V tokens."""

    def __init__(self, vocab_size: int, dim: int, num_heads: int, hidden_dim: int, num_layers: int, max_len: int,
                 dropout: float = 0.0, *, activation: str = "gelu", norm_first: bool = True,
                 pad_index: int | None = None):
        super().__init__()
        self.vocab_size, self.max_len = positive_int(vocab_size, "vocab_size"), positive_int(max_len, "max_len")
        positive_int(dim, "dim")
        self.embedding = Embedding(vocab_size, dim, padding_idx=pad_index)
        self.positional = SinusoidalPositionalEncoding(dim, max_len)
        self.layers = nn.ModuleList(
            DecoderLayer(dim, num_heads, hidden_dim, dropout, activation=activation, norm_first=norm_first)
            for _ in range(positive_int(num_layers, "num_layers")))
        self.norm = LayerNorm(dim) if norm_first else None
        self.head = Linear(dim, vocab_size)

    def forward(self, tgt: torch.Tensor, z: torch.Tensor, z_keep: torch.Tensor | None = None) -> torch.Tensor:
        """``z_keep``: (N, S) bool, True at the source positions that may be attended to."""
        token_ids(tgt, self.vocab_size, self.max_len, "tgt")
        mask = _key_mask(z_keep, tgt.shape[1])
        y = self.positional(self.embedding(tgt))
        for layer in self.layers:
            y = layer(y, z, mask)
        return self.head(y if self.norm is None else self.norm(y))


class Transformer(nn.Module):
    """The encoder-decoder of Figure 5.7: ``forward(src, tgt)``, src (N, S) and tgt (N, T)
    int64 tokens → logits (N, T, V), where tgt is the target shifted right (a start token,
    then Y_1 … Y_{T−1}) and the logits at t predict Y_t from the source and Y_{<t}.

    ``vocab_size`` V (shared by source and target, each with its own embedding), ``dim``
    D, ``num_heads``, ``hidden_dim`` H of the feed-forward blocks (4D by default),
    ``num_encoder_layers`` and ``num_decoder_layers`` (N in the figure), ``max_len`` (the
    longest sequence), ``dropout``, ``activation``, ``norm_first`` (pre-norm, as in LBDL,
    or post-norm, as in Vaswani et al.), ``pad_index``: the padding token, which the
    attention layers ignore in the source. Parameter count: :func:`parameter_count`.
    ``fused``: the layers run PyTorch's fused kernels (default), or the book's computations
    with ``fused=False`` (:mod:`lbdl_book.nn.fused`); the tokens are checked at the entry
    of the encoder and of the decoder."""

    def __init__(self, vocab_size: int, dim: int = 64, num_heads: int = 4, hidden_dim: int | None = None,
                 num_encoder_layers: int = 2, num_decoder_layers: int = 2, max_len: int = 64,
                 dropout: float = 0.0, *, activation: str = "gelu", norm_first: bool = True,
                 pad_index: int | None = None, fused: bool = True):
        super().__init__()
        positive_int(vocab_size, "vocab_size")
        positive_int(dim, "dim")
        hidden_dim = 4 * dim if hidden_dim is None else hidden_dim
        if pad_index is not None and (isinstance(pad_index, bool) or not isinstance(pad_index, int)
                                      or not 0 <= pad_index < vocab_size):
            raise ValueError(f"pad_index must be None or an int in [0, vocab_size={vocab_size}), got {pad_index!r}")
        options = {"dropout": dropout, "activation": activation, "norm_first": norm_first, "pad_index": pad_index}
        self.encoder = Encoder(vocab_size, dim, num_heads, hidden_dim, num_encoder_layers, max_len, **options)
        self.decoder = Decoder(vocab_size, dim, num_heads, hidden_dim, num_decoder_layers, max_len, **options)
        self.vocab_size, self.dim, self.hidden_dim, self.max_len = vocab_size, dim, hidden_dim, max_len
        self.pad_index, self.norm_first = pad_index, norm_first
        set_fused(self, fused)

    def encode(self, src: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(Z (N, S, D), the (N, S) mask of the real source tokens or None)."""
        return self.encoder(src), self.encoder.keep(src)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        z, keep = self.encode(src)
        token_ids(tgt, self.vocab_size, self.max_len, "tgt")
        if tgt.shape[0] != src.shape[0]:
            raise ValueError(f"src and tgt must have the same batch size N, got {tuple(src.shape)} and "
                             f"{tuple(tgt.shape)}")
        return self.decoder(tgt, z, keep)

    @torch.no_grad()
    def attention_maps(self, src: torch.Tensor, tgt: torch.Tensor) -> dict[str, list[torch.Tensor]]:
        """The attention weights of one forward pass, in eval mode: ``"encoder"``,
        ``"decoder"`` (causal self-attention) and ``"cross"``, each a list with one
        (N, heads, T_Q, T_KV) tensor per layer."""
        with eval_mode(self):
            token_ids(src, self.vocab_size, self.max_len, "src")
            token_ids(tgt, self.vocab_size, self.max_len, "tgt")
            enc, dec = self.encoder, self.decoder
            keep = enc.keep(src)
            maps = {"encoder": [], "decoder": [], "cross": []}
            x, maps["encoder"] = layer_attention_maps(enc.layers, enc.positional(enc.embedding(src)),
                                                      _key_mask(keep, src.shape[1]))
            z = x if enc.norm is None else enc.norm(x)
            y = dec.positional(dec.embedding(tgt))
            for layer in dec.layers:
                y, a = layer.self_attention(y, need_weights=True)
                maps["decoder"].append(a)
                y, a = layer.cross_attention(y, z, _key_mask(keep, tgt.shape[1]), need_weights=True)
                maps["cross"].append(a)
                y = layer.feed_forward(y)
        return maps


# --- training and decoding -------------------------------------------------------------

class TeacherForcing(nn.Module):
    """Adapter for :func:`lbdl_book.fit`, which calls ``model(inputs)`` with one tensor:
    ``inputs`` (N, S + T) is the source (S tokens) followed by the decoder input, the
    target shifted right (T tokens); returns ``model(src, tgt)``, logits (N, T, V)."""

    def __init__(self, model: Transformer, source_length: int):
        super().__init__()
        if not isinstance(model, Transformer):
            raise TypeError(f"model must be a Transformer, got {type(model).__name__}")
        self.model, self.source_length = model, positive_int(source_length, "source_length")

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        if not isinstance(pairs, torch.Tensor) or pairs.dim() != 2 or pairs.shape[1] <= self.source_length:
            got = tuple(pairs.shape) if isinstance(pairs, torch.Tensor) else type(pairs).__name__
            raise ValueError(f"pairs must have shape (N, S + T) with S = source_length = {self.source_length} "
                             f"and T >= 1, got {got}")
        return self.model(pairs[:, :self.source_length], pairs[:, self.source_length:])


def sequence_cross_entropy(logits: torch.Tensor, target: torch.Tensor, pad_index: int | None = None) -> torch.Tensor:
    """Mean cross-entropy (§3.1) over the positions of ``target`` that are not ``pad_index``.

    ``logits``: (N, T, V) float; ``target``: (N, T) int64. Every position is one
    classification problem; padding positions, after the end of a sequence, count for
    nothing. Returns a 0-d tensor."""
    if not isinstance(logits, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise TypeError("logits and target must be torch.Tensors")
    if logits.dim() != 3 or target.shape != logits.shape[:2]:
        raise ValueError(f"logits must have shape (N, T, V) and target (N, T), got {tuple(logits.shape)} and "
                         f"{tuple(target.shape)}")
    logits, target = logits.flatten(0, 1), target.flatten()
    if pad_index is not None:
        keep = target != pad_index
        if not keep.any():
            raise ValueError("target holds only padding: nothing to score")
        logits, target = logits[keep], target[keep]
    return cross_entropy(logits.float(), target)


@torch.no_grad()
def greedy_decode(model: Transformer, src: torch.Tensor, *, start_index: int, end_index: int,
                  max_len: int) -> torch.Tensor:
    """Generate the target of every source sequence, one token at a time, each time
    taking the most probable token: (N, S) → (N, L) int64 with L ≤ ``max_len``.

    Encodes the source once, then calls the decoder on the prefix (start, Ŷ_1 … Ŷ_{t−1})
    to get Ŷ_t, until every row has produced ``end_index`` or ``max_len`` tokens. After
    its end token a row is filled with ``pad_index`` (or ``end_index`` if the model has
    none). The decoder recomputes the whole prefix at every step: generating L tokens
    costs L decoder passes on 1, 2, …, L positions."""
    if not isinstance(model, Transformer):
        raise TypeError(f"model must be a Transformer, got {type(model).__name__}")
    for name, value in (("start_index", start_index), ("end_index", end_index)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < model.vocab_size:
            raise ValueError(f"{name} must be an int in [0, vocab_size={model.vocab_size}), got {value!r}")
    positive_int(max_len, "max_len")
    if max_len >= model.max_len:
        raise ValueError(f"max_len must be < the model's max_len={model.max_len} (the start token takes one "
                         f"position), got {max_len}")
    with eval_mode(model):
        z, keep = model.encode(src)
        filler = end_index if model.pad_index is None else model.pad_index
        out = torch.full((len(src), 1), start_index, dtype=torch.long, device=src.device)
        done = torch.zeros(len(src), dtype=torch.bool, device=src.device)
        for _ in range(max_len):
            logits = model.decoder(out, z, keep)[:, -1]               # (N, V): the next token's logits
            token = logits.argmax(dim=-1).masked_fill(done, filler)
            out = torch.cat([out, token[:, None]], dim=1)
            done |= token == end_index
            if done.all():
                break
    return out[:, 1:]


# --- parameter counts ------------------------------------------------------------------

def block_parameter_count(kind: str, dim: int, hidden_dim: int | None = None) -> int:
    """Parameters of one block of Figure 5.6, with biases everywhere:

    * ``"feed_forward"``: LN 2D, fc D·H + H, fc H·D + D → 2DH + H + 3D;
    * ``"self_attention"`` or ``"cross_attention"``: LN 2D, W^Q, W^K, W^V, W^O 4D² and
      their biases 4D → 4D² + 6D."""
    positive_int(dim, "dim")
    if kind == "feed_forward":
        positive_int(hidden_dim, "hidden_dim")
        return 2 * dim * hidden_dim + hidden_dim + 3 * dim
    if kind in ("self_attention", "cross_attention"):
        return 4 * dim * dim + 6 * dim
    raise ValueError(f"kind must be 'feed_forward', 'self_attention' or 'cross_attention', got {kind!r}")


def parameter_breakdown_of(parts: dict[str, list[nn.Module]]) -> dict[str, int]:
    """Parameters of each named group of modules, counting every Parameter once: one
    shared between groups (e.g. a head tied to the token embedding) goes to the first
    group that holds it, so the values sum to the model's total."""
    if not isinstance(parts, dict):
        raise TypeError(f"parts must be a dict from group names to lists of modules, got {type(parts).__name__}")
    parts = {name: module_list(group, f"parts[{name!r}]") for name, group in parts.items()}
    seen: set[int] = set()
    counts = {}
    for name, modules in parts.items():
        counts[name] = 0
        for module in modules:
            for p in module.parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    counts[name] += p.numel()
    return counts


def parameter_count(vocab_size: int, dim: int, hidden_dim: int, num_encoder_layers: int,
                    num_decoder_layers: int, norm_first: bool = True) -> int:
    """Parameters of :class:`Transformer`: two embeddings 2VD, the encoder layers
    (self-attention + feed-forward), the decoder layers (+ cross-attention), the two
    final LayerNorms 4D if pre-norm, and the output layer DV + V. The sinusoidal
    positional encoding has none."""
    positive_int(vocab_size, "vocab_size")
    ffw = block_parameter_count("feed_forward", dim, hidden_dim)
    att = block_parameter_count("self_attention", dim)
    return (2 * vocab_size * dim + positive_int(num_encoder_layers, "num_encoder_layers") * (att + ffw)
            + positive_int(num_decoder_layers, "num_decoder_layers") * (2 * att + ffw)
            + (4 * dim if norm_first else 0) + dim * vocab_size + vocab_size)


# --- diagrams (Figures 5.6 and 5.7) -----------------------------------------------------

BLOCK_LABELS = {
    MultiHeadAttention: lambda m: ("mha", f"H={m.num_heads}"),
    SelfAttentionBlock: lambda m: ("causal self-att" if m.causal else "self-att", ""),
    CrossAttentionBlock: lambda m: ("cross-att", ""),
    FeedForwardBlock: lambda m: ("ffw", ""),
    SinusoidalPositionalEncoding: lambda m: ("pos-enc", ""),
}


def block_stack(block: nn.Module, *example: torch.Tensor) -> tuple[list, list]:
    """Items and shapes for :func:`lbdl_book.diagrams.draw_stack` of one block of Figure
    5.6, read off the block by running it on ``example`` (x, or x and z): its layers in
    the order they run, inside a residual frame (pre-norm); for a post-norm block the
    LayerNorm comes after the sum."""
    if not isinstance(block, (FeedForwardBlock, SelfAttentionBlock, CrossAttentionBlock)):
        raise TypeError(f"block must be a FeedForwardBlock, SelfAttentionBlock or CrossAttentionBlock, got "
                        f"{type(block).__name__}")
    items, shapes = diagrams.describe(block, tuple(example), input_name=None, output_name=None,
                                      atomic=(MultiHeadAttention,), labels=BLOCK_LABELS, collapse=False)
    if isinstance(block, CrossAttentionBlock):          # mark where K and V come from
        items = [diagrams.Box(b.name, b.hyper + ", K=V=$Z$", b.trainable, b.height) if b.name == "mha" else b
                 for b in items]
    x = example[0]
    if block.norm_first:
        body = [diagrams.Residual(items, shapes=shapes)]
        body_shapes = [tuple(x.shape[1:])]
    else:                                               # the norm ran last: take it out of the frame
        body = [diagrams.Residual(items[:-1], shapes=shapes[:-1]), items[-1]]
        body_shapes = [tuple(x.shape[1:]), shapes[-1]]
    return ([diagrams.Signal("$X$"), *body, diagrams.Signal("$Y$")],
            [tuple(x.shape[1:]), *body_shapes, tuple(x.shape[1:])])


def _check_model(model) -> None:
    if not isinstance(model, Transformer):
        raise TypeError(f"model must be a Transformer, got {type(model).__name__}")


def encoder_stack(model: Transformer, src: torch.Tensor) -> tuple[list, list]:
    """Items and shapes of the encoder column of Figure 5.7, read off ``model``."""
    _check_model(model)
    token_ids(src, model.vocab_size, model.max_len, "src")
    return diagrams.describe(model.encoder, src, input_name="$X$", output_name="$Z$",
                             atomic=(SelfAttentionBlock, CrossAttentionBlock, FeedForwardBlock), labels=BLOCK_LABELS)


def decoder_stack(model: Transformer, tgt: torch.Tensor, z: torch.Tensor) -> tuple[list, list]:
    """Items and shapes of the decoder column of Figure 5.7, read off ``model``."""
    _check_model(model)
    token_ids(tgt, model.vocab_size, model.max_len, "tgt")
    _check_sequence(z, model.dim, "z")
    if z.shape[0] != tgt.shape[0]:
        raise ValueError(f"tgt and z must have the same batch size N, got {tuple(tgt.shape)} and {tuple(z.shape)}")
    return diagrams.describe(model.decoder, (tgt, z), input_name="$0, Y_1, …, Y_{S-1}$", output_name="logits",
                             atomic=(SelfAttentionBlock, CrossAttentionBlock, FeedForwardBlock), labels=BLOCK_LABELS)


def draw_stacks(stacks: list[tuple[list, list]], titles: list[str] | None = None,
                gap: float = 0.35) -> matplotlib.figure.Figure:
    """Several :func:`lbdl_book.diagrams.draw_stack` columns side by side in one figure,
    aligned at the top, each at the scale of a single stack, with an optional title
    above each. ``stacks``: a list of (items, shapes); ``gap``: inches between columns."""
    if not isinstance(stacks, (list, tuple)) or not stacks:
        raise ValueError(f"stacks must be a non-empty list of (items, shapes) pairs, got {stacks!r}")
    if titles is not None and len(titles) != len(stacks):
        raise ValueError(f"titles must have one entry per stack ({len(stacks)}), got {len(titles)}")
    sizes = []
    for k, stack in enumerate(stacks):                  # draw once to measure each column
        if not isinstance(stack, (list, tuple)) or len(stack) != 2:
            raise ValueError(f"stacks[{k}] must be a pair (items, shapes), got {stack!r}")
        try:
            probe = diagrams.draw_stack(*stack)
        except (TypeError, ValueError) as error:
            raise type(error)(f"stacks[{k}]: {error}") from None
        sizes.append(tuple(probe.get_size_inches()))
        plt.close(probe)
    top = 0.35 if titles else 0.0
    width = sum(w for w, _ in sizes) + gap * (len(stacks) - 1)
    height = max(h for _, h in sizes) + top
    fig = plt.figure(figsize=(width, height), layout="none")
    x = 0.0
    for k, ((items, shapes), (w, h)) in enumerate(zip(stacks, sizes)):
        ax = fig.add_axes((x / width, (height - top - h) / height, w / width, h / height))
        diagrams.draw_stack(items, shapes, ax=ax)
        if titles:
            fig.text((x + w / 2) / width, 1 - 0.12 / height, titles[k], ha="center", va="top", fontsize=10)
        x += w + gap
    return fig
