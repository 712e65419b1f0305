"""Chapter 4 of LBDL, "Model components": every layer written from the book's
equations, one module per section, each with the interface of its PyTorch twin so that
weights load across and the tests can compare the two.

======================  ===========================================================
§4.2 ``linear``, ``conv``  Linear; Conv1d/2d, ConvTranspose1d/2d, output size, receptive field
§4.3 ``activations``    Tanh, Sigmoid, ReLU, LeakyReLU, GELU
§4.4 ``pooling``        MaxPool1d/2d, AvgPool1d/2d
§4.5 ``dropout``        Dropout, Dropout2d
§4.6 ``norm``           BatchNorm1d/2d, LayerNorm
§4.7 ``skip``           Residual, ConcatSkip
§4.8 ``attention``      attention, causal_mask, MultiHeadAttention
§4.9 ``embedding``      Embedding
§4.10 ``positional``    SinusoidalPositionalEncoding, LearnedPositionalEncoding
``fused``               set_fused: PyTorch's fused kernels instead (the models' fast path)
======================  ===========================================================

Each component computes its layer from the book's equations. Those that PyTorch also
computes with one fused kernel have an attribute ``fused`` (``False`` by default) that
runs the kernel instead, with the same parameters: the models of Chapter 5 turn it on
with :func:`set_fused`, the pages of Chapter 4 leave it off (see :mod:`lbdl_book.nn.fused`).
"""

from . import activations, attention, conv, dropout, embedding, fused, linear, norm, pooling, positional, skip
from .activations import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from .attention import MultiHeadAttention, causal_mask
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .dropout import Dropout, Dropout2d
from .embedding import Embedding
from .fused import set_fused
from .linear import Linear
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d
from .positional import LearnedPositionalEncoding, SinusoidalPositionalEncoding
from .skip import ConcatSkip, Residual

__all__ = [
    "activations", "attention", "conv", "dropout", "embedding", "fused", "linear", "norm", "pooling", "positional",
    "skip",
    "AvgPool1d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "ConcatSkip", "Conv1d", "Conv2d", "ConvTranspose1d",
    "ConvTranspose2d", "Dropout", "Dropout2d", "Embedding", "GELU", "LayerNorm", "LeakyReLU",
    "LearnedPositionalEncoding", "Linear", "MaxPool1d", "MaxPool2d", "MultiHeadAttention", "ReLU", "Residual",
    "Sigmoid", "SinusoidalPositionalEncoding", "Tanh", "causal_mask", "set_fused",
]
