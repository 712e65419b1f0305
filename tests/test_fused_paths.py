"""The two computations of every component (lbdl_book.nn.fused): the book's and PyTorch's
fused kernel give the same values and gradients, per component and per model; the flag,
its default in each place, the kernels it calls, the state dicts it keeps.

Tolerances. The fused path IS PyTorch's kernel (``F.linear``, ``F.layer_norm``,
``F.scaled_dot_product_attention``, ...), and the book's path is the computation that
``tests/test_nn_*.py`` compares with those very kernels, so each comparison below uses
the bound of that comparison, derived there from the sums involved:

* linear maps (fully connected, convolutions, average pooling, an embedding's gradient):
  ``_bounds.multilinear``, 2·γ_n·Σ|products| entry by entry, n the length of each sum;
* normalizations: ``_bounds.normalization`` (first-order analysis of the mean, the
  variance, the division and the affine map, and of their gradients), and for the running
  statistics ``test_nn_norm.running_bounds``;
* attention layers: ``test_nn_attention.mha_bounds`` (projections, scores, softmax,
  weighted sum and back, errors carried from stage to stage);
* GELU, tanh and sigmoid: each side within 4u(|σ(x)| + 1 + |x|) of the exact function,
  hence 8u(|σ(x)| + 1 + |x|) apart, and 8u(|σ'(x) g| + |g|(1 + |x|)) for gradients (the
  derivation of ``tests/test_nn_activations.py``);
* max pooling and ReLU select or zero entries: no rounding, both paths agree bit for bit
  (inputs without ties); so do the embedding's values (a lookup) and dropout in eval mode;
* whole models: ``_bounds.chain``, 2·stages·γ_terms·max|reference|, with the stages and
  the longest sum read off the layers the model runs (``_bounds.chain_sizes``), the
  bound of the model tests; a gradient goes through the stages twice, plus the loss.

Both float64 and float32 run. A swapped argument, a missing bias or mask, a wrong scale
or a wrong normalised dimension changes results by orders of magnitude more than these
bounds.
"""

import copy

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lbdl_book.nn as lnn
from _bounds import assert_within, chain, chain_sizes, gamma, multilinear, normalization, unit_roundoff
from lbdl_book.models.gpt import GPT
from lbdl_book.models.lenet import LeNet
from lbdl_book.models.mlp import MLP
from lbdl_book.models.resnet import ResNet, resnet_digits
from lbdl_book.models.transformer import Transformer
from lbdl_book.models.vit import ViT
from lbdl_book.nn.fused import FUSED_KERNELS, Fusable, fused_components, set_fused
from test_nn_attention import mha_bounds
from test_nn_norm import running_bounds

DTYPES = [torch.float64, torch.float32]


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def fused_copy(module):
    return set_fused(copy.deepcopy(module), True)


def forward_backward(module, inputs, upstream):
    """Output and gradients (of ⟨upstream, output⟩) with respect to the float inputs and
    every parameter, by name."""
    inputs = [x.detach().clone().requires_grad_(x.is_floating_point()) for x in inputs]
    out = module(*inputs)
    floats = [x for x in inputs if x.requires_grad]
    params = dict(module.named_parameters())
    grads = torch.autograd.grad(out, floats + list(params.values()), upstream, allow_unused=True)
    return out, grads[:len(floats)], dict(zip(params, grads[len(floats):]))


# --- components ---------------------------------------------------------------------------

def linear_case(dtype):
    layer = lnn.Linear(6, 5).to(dtype)
    x = torch.randn(3, 4, 6, generator=generator(1), dtype=dtype)
    return layer, (x,), lambda: (lambda x, w, b: F.linear(x, w, b), (x, layer.weight, layer.bias))


def conv_case(cls, function, x_shape, args, kwargs, pad=None):
    def case(dtype):
        layer = cls(*args, **kwargs).to(dtype)
        x = torch.randn(*x_shape, generator=generator(2), dtype=dtype)

        def fn(x, w, b):
            if pad is not None:                      # a non-zero padding mode: pad, then no padding
                return function(F.pad(x, pad, mode=layer.padding_mode), w, b, layer.stride, 0, layer.dilation,
                                layer.groups)
            if layer.transposed:
                return function(x, w, b, layer.stride, layer.padding, layer.output_padding, layer.groups,
                                layer.dilation)
            return function(x, w, b, layer.stride, layer.padding, layer.dilation, layer.groups)
        return layer, (x,), lambda: (fn, (x, layer.weight, layer.bias))
    return case


def avg_pool_case(cls, function, x_shape, kernel, stride, padding):
    def case(dtype):
        layer = cls(kernel, stride, padding)
        x = torch.randn(*x_shape, generator=generator(3), dtype=dtype)
        return layer, (x,), lambda: (lambda v: function(v, kernel, stride, padding), (x,))
    return case


def distinct(shape, dtype, seed):
    """Inputs without ties (a max or a kink at 0 never has to choose between equal values)."""
    n = torch.tensor(shape).prod().item()
    return ((torch.randperm(n, generator=generator(seed)).to(dtype) - n / 2) / n).reshape(shape)


EXACT = "exact"          # no rounding on either path: bit for bit
MAX = "max"              # values selected (exact); an input that wins several windows sums their gradients


def max_pool_case(cls, x_shape, kernel, stride, padding):
    def case(dtype):
        return cls(kernel, stride, padding), (distinct(x_shape, dtype, 4),), MAX
    return case


def relu_case(dtype):
    return lnn.ReLU(), (distinct((4, 7), dtype, 5),), EXACT


def smooth_case(cls, *args):
    def case(dtype):
        x = 3 * torch.randn(5, 8, generator=generator(6), dtype=dtype)
        return cls(*args), (x,), "smooth"
    return case


def norm_case(layer_fn, x_shape, dims, train):
    def case(dtype):
        layer = layer_fn().to(dtype).train(train)
        g = generator(7)
        with torch.no_grad():
            for name, t in list(layer.named_parameters()) + list(layer.named_buffers()):
                if name == "num_batches_tracked":
                    continue
                t.copy_((0.5 + torch.rand(t.shape, generator=g, dtype=dtype)) if name in ("weight", "running_var")
                        else torch.randn(t.shape, generator=g, dtype=dtype))
        x = 2 * torch.randn(*x_shape, generator=g, dtype=dtype) + 1
        return layer, (x,), ("norm", dims)
    return case


def embedding_case(padding_idx):
    def case(dtype):
        layer = lnn.Embedding(7, 5, padding_idx=padding_idx).to(dtype)
        idx = torch.randint(7, (4, 6), generator=generator(8))
        idx[0, :3] = 2                                   # a row looked up several times
        return layer, (idx,), lambda: (lambda w: F.embedding(idx, w, padding_idx), (layer.weight,))
    return case


def attention_case(cross, causal, masked):
    def case(dtype):
        torch.manual_seed(9)
        layer = lnn.MultiHeadAttention(12, 3).to(dtype)
        with torch.no_grad():
            for p in layer.parameters():
                p.add_(0.1 * torch.randn(p.shape, generator=generator(10), dtype=dtype))
        x_q = torch.randn(2, 5, 12, generator=generator(11), dtype=dtype)
        x_kv = torch.randn(2, 7 if not causal else 5, 12, generator=generator(12), dtype=dtype) if cross else None
        mask = None
        if masked:
            mask = torch.ones(2, 5, (x_kv if cross else x_q).shape[1], dtype=torch.bool)
            mask[1, :, -2:] = False                      # key padding in sample 1
        kwargs = {"mask": mask, "causal": causal}
        inputs = (x_q,) if x_kv is None else (x_q, x_kv)
        return _Call(layer, kwargs), inputs, ("attention", layer, mask, causal)
    return case


class _Call(nn.Module):
    """``layer(*inputs, **kwargs)`` as a module, so that the cases share one harness."""

    def __init__(self, layer, kwargs):
        super().__init__()
        self.layer, self.kwargs = layer, kwargs

    def forward(self, *inputs):
        return self.layer(*inputs, **self.kwargs)


COMPONENTS = {
    "Linear": [linear_case],
    "Conv1d": [conv_case(lnn.Conv1d, F.conv1d, (2, 3, 11), (3, 4, 3), {"stride": 2, "padding": 1}),
               conv_case(lnn.Conv1d, F.conv1d, (2, 3, 9), (3, 4, 3), {"padding": "same", "padding_mode": "circular"},
                         pad=[1, 1])],
    "Conv2d": [conv_case(lnn.Conv2d, F.conv2d, (2, 3, 8, 7), (3, 4, 3), {"stride": (2, 1), "padding": 1}),
               conv_case(lnn.Conv2d, F.conv2d, (2, 4, 6, 6), (4, 6, 3), {"groups": 2, "dilation": 2})],
    "ConvTranspose1d": [conv_case(lnn.ConvTranspose1d, F.conv_transpose1d, (2, 3, 6), (3, 4, 3),
                                  {"stride": 2, "padding": 1, "output_padding": 1})],
    "ConvTranspose2d": [conv_case(lnn.ConvTranspose2d, F.conv_transpose2d, (2, 3, 4, 5), (3, 2, 3), {"stride": 2})],
    "ReLU": [relu_case],
    "GELU": [smooth_case(lnn.GELU), smooth_case(lnn.GELU, "tanh")],
    "Tanh": [smooth_case(lnn.Tanh)],
    "Sigmoid": [smooth_case(lnn.Sigmoid)],
    "MaxPool1d": [max_pool_case(lnn.MaxPool1d, (2, 3, 11), 3, 2, 1)],
    "MaxPool2d": [max_pool_case(lnn.MaxPool2d, (2, 3, 8, 7), 3, 2, 1)],
    "AvgPool1d": [avg_pool_case(lnn.AvgPool1d, F.avg_pool1d, (2, 3, 11), 3, 2, 1)],
    "AvgPool2d": [avg_pool_case(lnn.AvgPool2d, F.avg_pool2d, (2, 3, 8, 7), 2, 2, 1)],
    "Dropout": [],                                        # random: see test_dropout_paths
    "Dropout2d": [],
    "BatchNorm1d": [norm_case(lambda: lnn.BatchNorm1d(4), (6, 4, 5), (0, 2), True),
                    norm_case(lambda: lnn.BatchNorm1d(4), (6, 4), (0,), False)],
    "BatchNorm2d": [norm_case(lambda: lnn.BatchNorm2d(3, momentum=None), (4, 3, 5, 5), (0, 2, 3), True),
                    norm_case(lambda: lnn.BatchNorm2d(3), (4, 3, 5, 5), (0, 2, 3), False)],
    "LayerNorm": [norm_case(lambda: lnn.LayerNorm(8), (3, 5, 8), (-1,), True),
                  norm_case(lambda: lnn.LayerNorm((3, 4)), (2, 3, 4), (-2, -1), True)],
    "Embedding": [embedding_case(None), embedding_case(3)],
    "MultiHeadAttention": [attention_case(False, False, False), attention_case(True, False, True),
                           attention_case(False, True, False), attention_case(False, True, True),
                           attention_case(True, True, False)],
}
COMPONENT_CASES = [(name, i) for name, cases in COMPONENTS.items() for i in range(len(cases))]


def test_every_fusable_component_is_listed_and_tested():
    fusable = {cls.__name__ for module in vars(lnn).values() if isinstance(module, type(lnn))
               for cls in vars(module).values()
               if isinstance(cls, type) and issubclass(cls, Fusable) and not cls.__name__.startswith("_")
               and cls is not Fusable}
    assert fusable == set(FUSED_KERNELS) == set(COMPONENTS)


def smooth_bounds(module, x, out_ref, upstream, grad_ref):
    """8u(|σ(x)| + 1 + |x|) for values, 8u(|σ'(x) g| + |g|(1 + |x|)) for gradients."""
    u = unit_roundoff(x.dtype)
    size = 1 + x.abs()
    return 8 * u * (out_ref.detach().abs() + size), 8 * u * (grad_ref.abs() + upstream.abs() * size)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("name", "index"), COMPONENT_CASES)
def test_component_paths_agree(name, index, dtype):
    book, inputs, spec = COMPONENTS[name][index](dtype)
    fused = fused_copy(book)
    assert not any(fused_components(book).values()) and all(fused_components(fused).values())
    out = book(*inputs)
    upstream = torch.randn(out.shape, generator=generator(13), dtype=dtype)
    y_book, gx_book, gp_book = forward_backward(book, inputs, upstream)
    y_fused, gx_fused, gp_fused = forward_backward(fused, inputs, upstream)
    assert list(gp_book) == list(gp_fused)                   # the same parameters, by name
    if spec == MAX:
        # values: the same maxima; gradients: sums, over the windows an input wins, of their
        # upstream gradients, in any order: 2·γ_n·Σ|g| with n the number of windows it wins
        assert torch.equal(y_fused, y_book)
        x = inputs[0].detach().double().requires_grad_(True)
        pooled = set_fused(copy.deepcopy(book).double())(x)
        (count,) = torch.autograd.grad(pooled, x, torch.ones_like(pooled), retain_graph=True)
        (magnitude,) = torch.autograd.grad(pooled, x, upstream.double().abs())
        assert_within(gx_book[0], gx_fused[0], 2 * gamma(count, dtype) * magnitude)
        return
    if spec == EXACT:
        assert torch.equal(y_fused, y_book)
        for a, b in zip([*gx_fused, *gp_fused.values()], [*gx_book, *gp_book.values()]):
            assert torch.equal(a, b)
        return
    if spec == "smooth":
        value, grad = smooth_bounds(book, inputs[0], y_fused, upstream, gx_fused[0])
        assert_within(y_book, y_fused, value)
        assert_within(gx_book[0], gx_fused[0], grad)
        return
    if isinstance(spec, tuple) and spec[0] == "norm":
        dims = spec[1]
        view = (lambda t: t.view([1, -1] + [1] * (inputs[0].dim() - 2))) if "Batch" in name else (lambda t: t)
        batch_stats = book.training or "Batch" not in name
        running = {} if batch_stats else {"mean": view(book.running_mean), "var": view(book.running_var)}
        bounds = normalization(inputs[0], dims, view(book.weight), view(book.bias), book.eps, upstream, **running)
        assert_within(y_book, y_fused, bounds["value"])
        assert_within(gx_book[0], gx_fused[0], bounds["x"])
        for p in ("weight", "bias"):
            assert_within(gp_book[p], gp_fused[p], bounds[p].reshape(gp_fused[p].shape), msg=p)
        if "Batch" in name and book.training:            # running statistics after two steps of each
            fresh_book = COMPONENTS[name][index](dtype)[0]
            fresh_fused = fused_copy(fresh_book)
            before = (fresh_book.running_mean.clone().double(), fresh_book.running_var.clone().double())
            fresh_book(inputs[0])
            fresh_fused(inputs[0])
            m = book.momentum if book.momentum is not None else 1 / fresh_book.num_batches_tracked.item()
            mean_bound, var_bound = running_bounds(m, inputs[0], bounds, before)
            assert_within(fresh_book.running_mean, fresh_fused.running_mean, mean_bound)
            assert_within(fresh_book.running_var, fresh_fused.running_var, var_bound)
            assert torch.equal(fresh_book.num_batches_tracked, fresh_fused.num_batches_tracked)
        return
    if isinstance(spec, tuple) and spec[0] == "attention":
        _, layer, mask, causal = spec
        x_q, x_kv = inputs[0], inputs[1] if len(inputs) > 1 else None
        allowed = mask
        if causal:
            triangle = lnn.causal_mask(x_q.shape[1], (x_q if x_kv is None else x_kv).shape[1])
            allowed = triangle if allowed is None else allowed & triangle
        value, grads_in, params, _ = mha_bounds(layer, x_q, x_kv, allowed, upstream)
        assert_within(y_book, y_fused, value)
        for a, b, bound in zip(gx_book, gx_fused, grads_in):
            assert_within(a, b, bound)
        for key in gp_book:                              # "layer.in_proj_weight", ...
            assert_within(gp_book[key], gp_fused[key], params[key.removeprefix("layer.")], msg=key)
        return
    fn, tensors = spec()                                 # a map linear in each of its tensors
    value, grads = multilinear(fn, tensors, upstream)
    assert_within(y_book, y_fused, value)
    params = {id(p): name for name, p in book.named_parameters()}
    for t, bound in zip(tensors, grads):
        if t is inputs[0]:
            assert_within(gx_book[0], gx_fused[0], bound, msg="input")
        elif id(t) in params:
            key = params[id(t)]
            assert_within(gp_book[key], gp_fused[key], bound, msg=key)
    if name == "Embedding":                              # a lookup: no rounding at all
        assert torch.equal(y_book, y_fused)


def test_fused_path_calls_the_kernel_and_the_book_path_does_not(monkeypatch):
    calls = []
    kernels = {"linear": F, "conv1d": F, "conv2d": F, "conv_transpose1d": F, "conv_transpose2d": F, "relu": F,
               "gelu": F, "max_pool1d": F, "max_pool2d": F, "avg_pool1d": F, "avg_pool2d": F, "dropout": F,
               "dropout2d": F, "batch_norm": F, "layer_norm": F, "embedding": F, "scaled_dot_product_attention": F,
               "tanh": torch, "sigmoid": torch}
    for name, owner in kernels.items():
        original = getattr(owner, name)

        def recorder(*args, _name=name, _original=original, **kwargs):
            calls.append(_name)
            return _original(*args, **kwargs)
        monkeypatch.setattr(owner, name, recorder)
    for name, cases in COMPONENTS.items():
        for case in cases:
            book, inputs, _ = case(torch.float32)
            calls.clear()
            book(*inputs)
            assert calls == [], (name, calls)
            calls.clear()
            fused_copy(book)(*inputs)
            expected = [k.split(".")[-1] for k in FUSED_KERNELS[name].replace(",", " ").split()]
            assert set(calls) == set(expected), (name, calls)
    for cls in (lnn.Dropout, lnn.Dropout2d):
        calls.clear()
        set_fused(cls(0.3))(torch.ones(2, 3, 4, 4))
        assert calls == [FUSED_KERNELS[cls.__name__].split(".")[-1]]


# --- dropout: random, so compared by what every entry must be -----------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls", [lnn.Dropout, lnn.Dropout2d])
def test_dropout_paths(cls, dtype):
    p = 0.3
    x = 1 + torch.rand(64, 8, 6, 6, generator=generator(14), dtype=dtype)      # never 0
    fused = set_fused(cls(p))
    assert torch.equal(fused.eval()(x), x) and torch.equal(set_fused(cls(0.0))(x), x)   # identity, as the book's
    xr = x.clone().requires_grad_(True)
    y = fused.train()(xr)
    (grad,) = torch.autograd.grad(y.sum(), xr)
    kept = y != 0
    scale = 1 / (1 - p)
    u = unit_roundoff(dtype)
    # kept entries are x/(1 − p) (one or two roundings each way), the others exactly 0, and
    # the gradient is the same mask times 1/(1 − p)
    assert_within(y[kept], x[kept] * scale, 4 * u * x[kept] * scale)
    assert torch.equal(grad != 0, kept)
    assert_within(grad[kept], torch.full_like(grad[kept], scale), 4 * u * scale)
    if cls is lnn.Dropout2d:                            # whole channels
        assert torch.equal(kept.all(dim=(2, 3)), kept.any(dim=(2, 3)))
        draws, fraction = 64 * 8, kept[:, :, 0, 0].double().mean().item()
    else:
        draws, fraction = kept.numel(), kept.double().mean().item()
    assert abs(fraction - (1 - p)) <= 5 * (p * (1 - p) / draws) ** 0.5      # 5 standard errors


def test_dropout_with_a_generator_keeps_the_book_draw():
    x = torch.ones(4, 50)
    book = lnn.Dropout(0.5, generator=generator(15))
    fused = set_fused(lnn.Dropout(0.5, generator=generator(15)))
    assert torch.equal(book(x), fused(x))              # the same draw from the same generator


# --- attention weights and other cases that keep the book's computation -------------------

def test_attention_weights_are_the_books_when_asked():
    torch.manual_seed(0)
    book = lnn.MultiHeadAttention(8, 2)
    fused = fused_copy(book)
    x = torch.randn(2, 5, 8, generator=generator(16))
    heads = []
    book.out_proj.register_forward_hook(lambda module, args, output: heads.append(args[0]))
    fused.out_proj.register_forward_hook(lambda module, args, output: heads.append(args[0]))
    y_book, a_book = book(x, causal=True, need_weights=True)
    y_fused, a_fused = fused(x, causal=True, need_weights=True)
    assert torch.equal(a_fused, a_book) and torch.equal(heads[0], heads[1])   # the same code up to W^O
    # the output projection ran fused: the same sums of 8 terms and a bias, in another order
    bound = multilinear(lambda y, w, b: F.linear(y, w, b), (heads[0], book.out_proj.weight, book.out_proj.bias))
    assert_within(y_fused, y_book, bound)


# --- the flag, the defaults, the state dicts ----------------------------------------------

def test_flag_is_a_validated_bool_shown_in_repr():
    layer = lnn.LayerNorm(4)
    assert layer.fused is False and "fused" not in repr(layer)
    layer.fused = True
    assert repr(layer).endswith("fused=True)")
    with pytest.raises(TypeError, match="fused must be a bool, got int"):
        layer.fused = 1
    with pytest.raises(TypeError, match="fused must be a bool"):
        set_fused(layer, "yes")
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        set_fused([layer])
    assert repr(set_fused(lnn.Tanh())) == "Tanh(fused=True)" and repr(lnn.Tanh()) == "Tanh()"


def small_models():
    """(our model, its inputs, a loss of its logits) for each model of Chapter 5."""
    g = generator(17)
    src = torch.randint(1, 13, (3, 7), generator=g)
    src[0, 4:] = 0                                     # padding
    return {
        "MLP": (MLP((5, 16, 12, 3)), (torch.randn(6, 5, generator=g),)),
        "LeNet": (LeNet(image_size=12, channels=(4, 6), kernel_size=3, pool_sizes=(2, 2), hidden=16),
                  (torch.randn(3, 1, 12, 12, generator=g),)),
        "ResNet": (ResNet(blocks=(2, 1), channels=(8, 16), strides=(1, 2), in_channels=1, num_classes=5,
                          image_size=8, stem_channels=4, stem_kernel_size=3, stem_stride=1),
                   (torch.randn(4, 1, 8, 8, generator=g),)),
        "Transformer": (Transformer(13, 16, 2, 32, 2, 2, max_len=8, pad_index=0),
                        (src, torch.randint(1, 13, (3, 6), generator=g))),
        "GPT": (GPT(11, 12, 16, 2, 2), (torch.randint(11, (3, 12), generator=g),)),
        "ViT": (ViT(8, 2, 1, 5, 16, 2, 2, 32), (torch.randn(3, 1, 8, 8, generator=g),)),
    }


@pytest.mark.parametrize("name", ["MLP", "LeNet", "ResNet", "Transformer", "GPT", "ViT"])
def test_models_run_the_fused_path_by_default(name):
    model, inputs = small_models()[name]
    flags = fused_components(model)
    assert flags and all(flags.values())
    assert not any(fused_components(set_fused(model, False)).values())
    keys = list(model.state_dict())
    assert list(set_fused(model).state_dict()) == keys        # the same names either way


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["MLP", "LeNet", "ResNet", "Transformer", "GPT", "ViT"])
def test_model_paths_agree_values_and_gradients(name, dtype):
    torch.manual_seed(3)
    fused, inputs = small_models()[name]
    fused = fused.to(dtype).train()
    with torch.no_grad():                              # non-trivial norms and biases, so every parameter matters
        for key, p in fused.named_parameters():
            if "norm" in key or "bias" in key or (p.dim() == 1 and "weight" in key):
                p.add_(0.1 * torch.randn(p.shape, generator=generator(18), dtype=dtype))
    inputs = tuple(x.to(dtype) if x.is_floating_point() else x for x in inputs)
    book = set_fused(copy.deepcopy(fused), False)
    state = {k: v.clone() for k, v in fused.state_dict().items()}
    book.load_state_dict(state)                        # weights load across the two paths
    stages, terms = chain_sizes(book, *inputs)
    out_book, out_fused = book(*inputs), fused(*inputs)
    assert_within(out_book, out_fused, chain(out_fused, stages=stages, terms=terms))
    target = torch.randint(out_fused.shape[-1], out_fused.shape[:-1], generator=generator(19))
    loss = lambda logits: F.cross_entropy(logits.flatten(0, -2), target.flatten())
    loss(out_book).backward()
    loss(out_fused).backward()
    fused_params = dict(fused.named_parameters())
    for key, p in book.named_parameters():
        expected = fused_params[key].grad
        assert_within(p.grad, expected, chain(expected, stages=2 * stages + 1, terms=terms), msg=key)
    for (key, b), c in zip(book.named_buffers(), fused.buffers(), strict=True):
        if key.endswith("num_batches_tracked"):
            assert torch.equal(b, c), key
        elif b.is_floating_point() and b.shape == c.shape:   # running statistics, positional tables
            assert_within(b, c, chain(c, stages=stages, terms=terms), msg=key)


def test_fused_models_check_their_inputs_at_the_entry():
    models = small_models()
    for name in ("MLP", "LeNet", "ResNet", "ViT"):
        model, (x,) = models[name]
        with pytest.raises(TypeError, match="dtype of the model's parameters"):
            model(x.double())
        with pytest.raises(TypeError, match="floating-point"):
            model(x.long())
    transformer, (src, tgt) = models["Transformer"]
    empty = src.clone()
    empty[1] = 0                                        # a source made of padding only
    for fused in (True, False):
        with pytest.raises(ValueError, match="src row 1 holds only padding"):
            set_fused(transformer, fused)(empty, tgt)


def test_resnet_helpers_pass_the_flag():
    assert all(fused_components(resnet_digits()).values())
    assert not any(fused_components(resnet_digits(fused=False)).values())
