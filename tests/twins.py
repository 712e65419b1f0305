"""torch.nn twins of the models of Chapter 5, used to check and to time ours.

A twin computes the same function as one of our models with PyTorch's own layers
(``nn.TransformerEncoderLayer``, ``nn.Transformer``, ``nn.Conv2d``, ``nn.BatchNorm2d``, ...)
and holds the same weights. The unit tests compare values and gradients with them
(``test_models_*.py``, ``test_fused_paths.py``), and ``tools/bench_models.py`` times a
training step of each model against its twin. They live here, beside the tests, and not
in the package: they need only torch, but a reader of the book never runs them, and the
package must not depend on what its tests compare it with (DESIGN rule 11).

* :class:`TorchGPT` and :func:`gpt_twin`: GPT (Figure 5.8);
* :class:`TorchViT` and :func:`vit_twin`: ViT with the linear read-out (Figure 5.9);
* :class:`TorchTransformer` and :func:`transformer_twin`: the pre-norm encoder-decoder
  (Figure 5.7) around ``nn.Transformer``;
* :func:`torch_twin`: any model made of ``lbdl_book.nn`` leaves (MLP, LeNet, ResNet, their
  blocks), with each leaf replaced by its ``torch.nn`` class.
"""

from __future__ import annotations

import copy
import re
import warnings

import torch
from torch import nn

from lbdl_book.models.gpt import GPT
from lbdl_book.models.transformer import Transformer
from lbdl_book.models.vit import ViT

__all__ = ["TorchGPT", "TorchTransformer", "TorchViT", "gpt_twin", "reference_for", "torch_name", "torch_twin",
           "transformer_twin", "vit_twin"]


# --- GPT ----------------------------------------------------------------------------------

class TorchGPT(nn.Module):
    """Figure 5.8 from torch.nn: embedding + positions, TransformerEncoder (pre-norm, GELU,
    causal mask, final LayerNorm), tied output layer without bias."""

    def __init__(self, vocab, context, dim, heads, layers, hidden):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Parameter(torch.zeros(context, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, hidden, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(dim), enable_nested_tensor=False)
        self.head = nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.wte.weight

    def forward(self, x):
        h = self.wte(x) + self.wpe[: x.shape[1]]
        mask = nn.Transformer.generate_square_subsequent_mask(x.shape[1], dtype=h.dtype)
        return self.head(self.encoder(h, mask=mask, is_causal=True))


def torch_name(name: str) -> str:
    """Our GPT's parameter name → TorchGPT's."""
    renames = [(r"^embedding\.weight$", "wte.weight"), (r"^positional\.weight$", "wpe"),
               (r"^layers\.(\d+)\.self_attention\.attention\.", r"encoder.layers.\1.self_attn."),
               (r"^layers\.(\d+)\.self_attention\.norm\.", r"encoder.layers.\1.norm1."),
               (r"^layers\.(\d+)\.feed_forward\.norm\.", r"encoder.layers.\1.norm2."),
               (r"^layers\.(\d+)\.feed_forward\.(linear[12])\.", r"encoder.layers.\1.\2."),
               (r"^norm\.", "encoder.norm."), (r"^head\.weight$", "head.weight")]
    for pattern, replacement in renames:
        if re.search(pattern, name):
            return re.sub(pattern, replacement, name)
    raise KeyError(name)


def reference_for(model: GPT, dtype) -> TorchGPT:
    """A TorchGPT of ``dtype`` holding ``model``'s weights (tied, without dropout)."""
    reference = TorchGPT(model.vocab_size, model.context, model.dim, model.num_heads, model.num_layers,
                         model.hidden_dim).to(dtype)
    state = {torch_name(k): v for k, v in model.state_dict().items()}
    reference.load_state_dict(state)
    return reference


def gpt_twin(model: GPT) -> TorchGPT:
    """:func:`reference_for` in the dtype of ``model``."""
    return reference_for(model, model.embedding.weight.dtype)


# --- ViT ----------------------------------------------------------------------------------

class TorchViT(nn.Module):
    """ViT from torch.nn layers, as torchvision writes it: a strided Conv2d, a class token,
    a position table, pre-norm GELU encoder layers, a final LayerNorm and a linear head."""

    def __init__(self, image_size, p, c, classes, d, heads, layers, mlp):
        super().__init__()
        h, w = image_size if isinstance(image_size, tuple) else (image_size, image_size)
        self.conv_proj = nn.Conv2d(c, d, p, stride=p)
        self.class_token = nn.Parameter(torch.randn(1, 1, d))
        self.pos_embedding = nn.Parameter(torch.randn(1, (h // p) * (w // p) + 1, d))
        self.layers = nn.ModuleList(nn.TransformerEncoderLayer(d, heads, mlp, dropout=0.0, activation="gelu",
                                                               batch_first=True, norm_first=True)
                                    for _ in range(layers))
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.conv_proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.class_token.expand(len(x), -1, -1), x], dim=1) + self.pos_embedding
        for layer in self.layers:
            x = layer(x)
        return self.head(self.ln(x)[:, 0])


def vit_twin(model: ViT) -> TorchViT:
    """A TorchViT holding ``model``'s weights (linear read-out, no dropout); W^E becomes
    the kernel of the strided convolution."""
    if model.readout != "linear":
        raise ValueError(f"vit_twin needs the linear read-out, got readout={model.readout!r}")
    layer = model.layers[0]
    twin = TorchViT(model.image_size, model.patch_size, model.in_channels, model.num_classes, model.dim,
                    model.num_heads, model.num_layers, layer.feed_forward.hidden_dim)
    twin = twin.to(model.patch_embedding.weight.dtype)
    c, p = model.in_channels, model.patch_size
    with torch.no_grad():
        twin.conv_proj.weight.copy_(model.patch_embedding.weight.reshape(model.dim, c, p, p))
        twin.conv_proj.bias.copy_(model.patch_embedding.bias)
        twin.class_token.copy_(model.class_token.weight.reshape(1, 1, -1))
        twin.pos_embedding.copy_(model.positional.weight[None])
    renaming = {value: key for key, value in type(layer).RENAMING.items()}
    for ours, theirs in zip(model.layers, twin.layers, strict=True):
        state = {}
        for key, value in ours.state_dict().items():
            prefix = next(p for p in renaming if key.startswith(p + "."))
            state[renaming[prefix] + key[len(prefix):]] = value
        theirs.load_state_dict(state)
    twin.ln.load_state_dict(model.norm.state_dict())
    twin.head.load_state_dict(model.head.state_dict())
    return twin


# --- the Transformer ----------------------------------------------------------------------

class TorchTransformer(nn.Module):
    """Figure 5.7 from torch.nn, pre-norm: two embeddings, the sinusoidal positional
    encoding, ``nn.Transformer`` (whose stacks end with a LayerNorm, as ours) with the source
    padding masked in the encoder and in the cross-attention and a causal decoder, and the
    output layer."""

    def __init__(self, vocab, dim, heads, hidden, encoder_layers, decoder_layers, max_len, pad_index):
        super().__init__()
        self.pad_index = pad_index
        self.src_embedding = nn.Embedding(vocab, dim, padding_idx=pad_index)
        self.tgt_embedding = nn.Embedding(vocab, dim, padding_idx=pad_index)
        # the fixed table of sines and cosines (a constant, not a layer): transformer_twin copies ours
        self.register_buffer("positions", torch.zeros(max_len, dim), persistent=False)
        with warnings.catch_warnings():        # nn.Transformer's note that pre-norm has no nested-tensor path
            warnings.filterwarnings("ignore", "enable_nested_tensor is True")
            self.transformer = nn.Transformer(dim, heads, encoder_layers, decoder_layers, hidden, dropout=0.0,
                                              activation="gelu", batch_first=True, norm_first=True)
        self.head = nn.Linear(dim, vocab)

    def forward(self, src, tgt):
        padding = None if self.pad_index is None else src == self.pad_index
        causal = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1], dtype=self.positions.dtype)
        x = self.src_embedding(src) + self.positions[:src.shape[1]]
        y = self.tgt_embedding(tgt) + self.positions[:tgt.shape[1]]
        out = self.transformer(x, y, tgt_mask=causal, src_key_padding_mask=padding, memory_key_padding_mask=padding,
                               tgt_is_causal=True)
        return self.head(out)


def transformer_twin(model: Transformer) -> TorchTransformer:
    """A TorchTransformer holding ``model``'s weights (pre-norm, GELU, no dropout)."""
    if not model.norm_first:
        raise ValueError("transformer_twin needs a pre-norm Transformer (norm_first=True)")
    enc, dec = model.encoder, model.decoder
    twin = TorchTransformer(model.vocab_size, model.dim, enc.layers[0].self_attention.attention.num_heads,
                            model.hidden_dim, len(enc.layers), len(dec.layers), model.max_len, model.pad_index)
    twin = twin.to(dec.head.weight.dtype)
    for ours, theirs in [*zip(enc.layers, twin.transformer.encoder.layers, strict=True),
                         *zip(dec.layers, twin.transformer.decoder.layers, strict=True)]:
        renaming = {value: key for key, value in type(ours).RENAMING.items()}
        state = {}
        for key, value in ours.state_dict().items():
            prefix = next(p for p in renaming if key.startswith(p + "."))
            state[renaming[prefix] + key[len(prefix):]] = value
        theirs.load_state_dict(state)
    twin.transformer.encoder.norm.load_state_dict(enc.norm.state_dict())
    twin.transformer.decoder.norm.load_state_dict(dec.norm.state_dict())
    twin.src_embedding.load_state_dict(enc.embedding.state_dict())
    twin.tgt_embedding.load_state_dict(dec.embedding.state_dict())
    twin.head.load_state_dict(dec.head.state_dict())
    twin.positions = enc.positional.encoding[:model.max_len].to(twin.positions.dtype)
    return twin


# --- recurrent classifiers ("The missing bits") ----------------------------------------------

class TorchRecurrentClassifier(nn.Module):
    """A recurrent classifier from torch.nn: ``nn.RNN``/``nn.LSTM``/``nn.GRU`` (batch first)
    and a linear read-out of the last step's state."""

    def __init__(self, recurrent: nn.Module, readout: nn.Linear):
        super().__init__()
        self.recurrent, self.readout = recurrent, readout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.recurrent(x)[0][:, -1])


def recurrent_twin(model) -> TorchRecurrentClassifier:
    """A TorchRecurrentClassifier holding the weights of ``model``, a
    :class:`lbdl_book.models.rnn.RecurrentClassifier` of kind "rnn", "lstm" or "gru"."""
    body = model.body
    if model.kind == "ssm":
        raise ValueError("a selective state-space layer has no torch.nn twin")
    recurrent = body.torch_class(body.input_size, body.hidden_size, body.num_layers, batch_first=True)
    readout = nn.Linear(model.readout.in_features, model.readout.out_features)
    dtype = model.readout.weight.dtype
    with torch.no_grad():
        for k, layer in enumerate(body.layers):
            for part in ("ih", "hh"):
                getattr(recurrent, f"weight_{part}_l{k}").copy_(getattr(layer, part).weight)
                getattr(recurrent, f"bias_{part}_l{k}").copy_(getattr(layer, part).bias)
        readout.weight.copy_(model.readout.weight)
        readout.bias.copy_(model.readout.bias)
    return TorchRecurrentClassifier(recurrent, readout).to(dtype)


# --- models made of lbdl_book.nn leaves ----------------------------------------------------

def torch_twin(model: nn.Module) -> nn.Module:
    """A deep copy of ``model`` in which every lbdl_book.nn leaf layer is replaced by its
    torch.nn twin, with the same hyper-parameters, parameters and buffers (the containers,
    and their checks, stay ours)."""
    twin = copy.deepcopy(model)
    for name, module in list(twin.named_modules()):
        if list(module.children()):
            continue
        kind = type(module).__name__
        if kind == "Conv2d":
            new = nn.Conv2d(module.in_channels, module.out_channels, module.kernel_size, module.stride,
                            module.padding, module.dilation, module.groups, module.bias is not None)
        elif kind == "ConvTranspose2d":
            new = nn.ConvTranspose2d(module.in_channels, module.out_channels, module.kernel_size, module.stride,
                                     module.padding, module.output_padding, module.groups, module.bias is not None,
                                     module.dilation)
        elif kind == "BatchNorm2d":
            new = nn.BatchNorm2d(module.num_features, module.eps, module.momentum)
        elif kind == "Bilinear":   # lbdl_book.models.segmenter's upsampling
            new = nn.Upsample(scale_factor=module.scale_factor, mode="bilinear", align_corners=False)
        elif kind in ("ReLU", "Tanh", "Sigmoid"):
            new = getattr(nn, kind)()
        elif kind == "GELU":
            new = nn.GELU(module.approximate)
        elif kind == "MaxPool2d":
            new = nn.MaxPool2d(module.kernel_size, module.stride, module.padding)
        elif kind == "AvgPool2d":
            new = nn.AvgPool2d(module.kernel_size, module.stride, module.padding)
        elif kind == "Linear":
            new = nn.Linear(module.in_features, module.out_features, bias=module.bias is not None)
        elif kind == "Flatten":
            continue
        else:
            raise AssertionError(f"no torch twin for {kind}")
        new = new.to(next(iter(module.state_dict().values()), torch.zeros((), dtype=torch.float64)).dtype)
        new.load_state_dict(module.state_dict())
        new.train(module.training)
        parent_name, _, attribute = name.rpartition(".")
        setattr(twin.get_submodule(parent_name) if parent_name else twin, attribute, new)
    return twin


def assert_twin_agrees(model: nn.Module, twin: nn.Module, x: torch.Tensor) -> tuple[int, int]:
    """``model`` and its ``twin`` give the same output for ``x`` and the same parameter
    gradients for a random upstream gradient, within the rounding bound of the chain of
    layers (``_bounds.chain``); returns that chain's (stages, terms) for further checks."""
    from _bounds import assert_within, chain, chain_sizes

    stages, terms = chain_sizes(model, x)
    ours, theirs = model(x), twin(x)
    assert_within(ours, theirs, chain(theirs, stages=stages, terms=terms))
    upstream = torch.randn_like(ours)
    (ours * upstream).sum().backward()
    (theirs * upstream).sum().backward()
    for (name, p), q in zip(model.named_parameters(), twin.parameters(), strict=True):
        assert_within(p.grad, q.grad, chain(q.grad, stages=2 * stages + 1, terms=terms), msg=name)
    return stages, terms
