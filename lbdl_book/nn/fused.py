"""Two computations of one layer: the book's, and PyTorch's fused kernel (the models' fast path).

Every component of :mod:`lbdl_book.nn` computes its layer from the book's equations:
attention as two matrix products and a softargmax, activations through ``torch.where``
or ``erfc``, the normalizations from a mean and a variance, a convolution as ``unfold``
and one matrix product. That is what Chapter 4 shows and tests, and it is the default.
PyTorch computes the same functions with single kernels written in C++, which read
the input once, skip the intermediate tensors and, for attention, never store the
N^Q × N^KV matrix A (a *fused* kernel). Those kernels train the models of Chapter 5
faster, so each component that has one is a :class:`Fusable`, with a bool attribute
``fused`` (``False`` by default) that :func:`set_fused` switches:

=========================================  ===========================================
component                                  with ``fused=True``
=========================================  ===========================================
``Linear``                                 ``F.linear``
``Conv1d``, ``Conv2d``                     ``F.conv1d``, ``F.conv2d``
``ConvTranspose1d``, ``ConvTranspose2d``   ``F.conv_transpose1d``, ``F.conv_transpose2d``
``ReLU``, ``GELU``, ``Tanh``, ``Sigmoid``  ``F.relu``, ``F.gelu``, ``torch.tanh``, ``torch.sigmoid``
``MaxPool1d/2d``, ``AvgPool1d/2d``         ``F.max_pool1d/2d``, ``F.avg_pool1d/2d``
``Dropout``, ``Dropout2d``                 ``F.dropout``, ``F.dropout2d``
``BatchNorm1d/2d``, ``LayerNorm``          ``F.batch_norm``, ``F.layer_norm``
``Embedding``                              ``F.embedding``
``MultiHeadAttention``                     ``F.linear`` and ``F.scaled_dot_product_attention``
=========================================  ===========================================

A component with ``fused = True``

* computes the same function, from the same parameters and buffers under the same
  state-dict names: weights load either way, and into the ``torch.nn`` twins. The two
  paths agree up to rounding, values and gradients (``tests/test_fused_paths.py``, with
  bounds derived from the sizes of the sums);
* skips its own argument checks, so a wrong input gets PyTorch's error (often a
  ``RuntimeError``) instead of ours. It is meant for the inside of a model, which checks
  its inputs once, at its entry;
* shows ``fused=True`` in its ``repr``.

Two cases keep the book's computation even when fused: ``MultiHeadAttention`` called
with ``need_weights=True`` (the fused kernel never forms the weights), and a ``Dropout``
given a ``generator`` (PyTorch's kernel draws from the global one).

The models of Chapter 5 (``MLP``, ``LeNet``, ``ResNet``, ``Transformer``, ``GPT``,
``ViT``) take a constructor argument ``fused=True`` and call :func:`set_fused` on
themselves at the end of their constructor; ``fused=False`` builds them on the book's
computations. The components keep the constructors of their ``torch.nn`` twins and the
book's computation by default, so the pages of Chapter 4 run, and show, the book's code.
``set_fused(model, False)`` switches a model back, e.g. to compare the two; it switches
every component inside ``model`` (the output projection of an attention layer too),
which assigning ``layer.fused`` does not.

Why a stored flag and not a context manager: the flag travels with the module (a copy,
a saved model, a model handed to :func:`lbdl_book.fit`), shows in its ``repr``, and
cannot leak into code that runs later or on another thread.
"""

from __future__ import annotations

from torch import nn

from .._checks import boolean, module as check_module

__all__ = ["FUSED_KERNELS", "Fusable", "fused_components", "set_fused"]

# class name of each Fusable component -> what it runs with fused = True
FUSED_KERNELS: dict[str, str] = {
    "Linear": "F.linear",
    "Conv1d": "F.conv1d", "Conv2d": "F.conv2d", "ConvTranspose1d": "F.conv_transpose1d",
    "ConvTranspose2d": "F.conv_transpose2d",
    "ReLU": "F.relu", "GELU": "F.gelu", "Tanh": "torch.tanh", "Sigmoid": "torch.sigmoid",
    "MaxPool1d": "F.max_pool1d", "MaxPool2d": "F.max_pool2d", "AvgPool1d": "F.avg_pool1d", "AvgPool2d": "F.avg_pool2d",
    "Dropout": "F.dropout", "Dropout2d": "F.dropout2d",
    "BatchNorm1d": "F.batch_norm", "BatchNorm2d": "F.batch_norm", "LayerNorm": "F.layer_norm",
    "Embedding": "F.embedding",
    "MultiHeadAttention": "F.linear, F.scaled_dot_product_attention",
}


class Fusable:
    """Mixin of the components that can run PyTorch's fused kernel (:data:`FUSED_KERNELS`):
    a bool attribute ``fused``, ``False`` (the book's computation) unless set. Each
    component's ``forward`` reads it; its ``repr`` ends with ``fused=True`` when set."""

    _fused = False

    @property
    def fused(self) -> bool:
        """Whether ``forward`` runs PyTorch's fused kernel (True) or the book's computation."""
        return self._fused

    @fused.setter
    def fused(self, value: bool) -> None:
        self._fused = boolean(value, "fused")

    def _fused_repr(self, text: str) -> str:
        """``text`` (an ``extra_repr``), with ``fused=True`` appended when set."""
        return ", ".join(part for part in (text, "fused=True" if self._fused else "") if part)


def set_fused(module: nn.Module, fused: bool = True) -> nn.Module:
    """Switch every :class:`Fusable` component of ``module`` (itself included) to
    PyTorch's fused kernel (``fused=True``) or to the book's computation (``fused=False``);
    other modules are left as they are. Parameters, buffers and state-dict names do not
    change. Returns ``module``."""
    check_module(module, "module")
    boolean(fused, "fused")
    for m in module.modules():
        if isinstance(m, Fusable):
            m.fused = fused
    return module


def fused_components(module: nn.Module) -> dict[str, bool]:
    """``{name: fused}`` for every :class:`Fusable` component of ``module``, in the order of
    ``module.named_modules()`` (``module`` itself is named ``""``): which computation each
    one runs."""
    check_module(module, "module")
    return {name: m.fused for name, m in module.named_modules() if isinstance(m, Fusable)}
