"""The Vision Transformer of Figure 5.9: patching, the class token, shapes, exact parameter
counts (ViT-B/16: 86,567,656), equality with the same network written with torch.nn,
errors.

Tolerances. The reference below is ViT written with ``torch.nn`` layers (a Conv2d of
stride P for W^E, ``nn.TransformerEncoderLayer`` blocks, as in torchvision's
VisionTransformer) holding the same weights. The two compute the same sums in another
order (unfold + matrix product against PyTorch's convolution, our attention against
PyTorch's fused kernel), so they agree up to rounding: `_bounds.chain`, 2 · stages · γ_n ·
max|reference|, with the stages and the longest sum read off the reference's layers
(`_bounds.chain_sizes`), and `_bounds.multilinear` for the patch embedding alone (linear
in the image and the weights). A transposed patch, a missing class token or a wrong
LayerNorm changes outputs by O(0.1) to O(1). Where both sides run the very same
operations (the class token, the read-out), they must agree bit for bit.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lbdl_book.nn
from _bounds import assert_within, chain, chain_sizes, gamma, multilinear
from twins import TorchViT
from lbdl_book import diagrams
from lbdl_book.models.vit import (VIT_B_16, ClassToken, Patchify, TakeToken, ViT, as_conv2d, num_patches,
                                  parameter_breakdown, parameter_count, patchify, unpatchify, vit_b_16, vit_stack)

CONFIGS = [   # image_size, patch_size, in_channels, num_classes, dim, num_heads, num_layers, mlp_dim
    (8, 2, 1, 10, 16, 2, 2, 32),
    ((12, 8), 4, 3, 5, 24, 3, 1, 48),
    (16, 4, 2, 7, 32, 4, 3, 64),
]


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --- patches ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape, p", [((2, 1, 8, 8), 2), ((3, 3, 12, 8), 4), ((1, 2, 6, 9), 3), ((2, 3, 5, 5), 5)])
def test_patchify_is_unfold_and_unpatchify_inverts_it(shape, p):
    x = torch.randn(shape, dtype=torch.float64)
    patches = patchify(x, p)
    n, c, h, w = shape
    assert patches.shape == (n, (h // p) * (w // p), c * p * p)
    # F.unfold lists the same blocks in the same order: (C, P, P) within a patch, patches row by row
    assert torch.equal(patches, F.unfold(x, p, stride=p).transpose(1, 2))
    assert torch.equal(unpatchify(patches, p, (h, w), c), x)


def test_patch_k_is_the_block_at_row_k_div_columns():
    x = torch.arange(2 * 3 * 8 * 12, dtype=torch.float32).reshape(2, 3, 8, 12)
    patches = patchify(x, 4)                                   # grid 2 × 3
    for k in range(6):
        i, j = divmod(k, 3)
        assert torch.equal(patches[:, k], x[:, :, 4 * i:4 * i + 4, 4 * j:4 * j + 4].flatten(1))


def test_224_example_of_the_text():
    assert num_patches(224, 16) == 196
    patches = patchify(torch.zeros(1, 3, 224, 224), 16)
    assert patches.shape == (1, 196, 768)                      # 196 patches of 16·16·3 = 768 values
    assert num_patches((224, 160), 16) == 14 * 10
    assert [num_patches(s, 16) for s in (384, 512)] == [576, 1024]


def test_patch_embedding_is_a_strided_convolution():
    torch.manual_seed(0)
    for c, p, d in [(1, 2, 8), (3, 4, 16), (3, 16, 32)]:
        linear = lbdl_book.nn.linear.Linear(c * p * p, d).double()
        conv = as_conv2d(linear, c, p)
        assert isinstance(conv, lbdl_book.nn.conv.Conv2d)
        assert n_params(conv) == n_params(linear) == c * p * p * d + d
        x = torch.randn(2, c, 4 * p, 2 * p, dtype=torch.float64, requires_grad=True)
        by_linear = linear(patchify(x, p))
        by_conv = conv(x).flatten(2).transpose(1, 2)
        g = torch.randn_like(by_linear)
        # the same sums of C·P² products and a bias, in another order
        value_bound, (gx_bound, _, _) = multilinear(lambda v, w, b: F.linear(patchify(v, p), w, b),
                                                    (x, linear.weight, linear.bias), g)
        assert_within(by_conv, by_linear, value_bound)
        assert_within(F.conv2d(x, conv.weight, conv.bias, stride=p).flatten(2).transpose(1, 2), by_linear, value_bound)
        (gx_linear,) = torch.autograd.grad(by_linear, x, g)
        (gx_conv,) = torch.autograd.grad(by_conv, x, g)
        assert_within(gx_conv, gx_linear, gx_bound)


# --- parameter counts ------------------------------------------------------------------

def test_vit_b_16_has_exactly_86_567_656_parameters():
    with torch.device("meta"):                                 # no memory allocated
        model = vit_b_16()
    assert n_params(model) == 86_567_656
    counts = {k: v for k, v in VIT_B_16.items() if k != "num_heads"}
    assert parameter_count(**counts) == 86_567_656
    assert parameter_breakdown(model) == {
        "patch_embedding": 768 * 768 + 768,                    # 590,592
        "class_token": 768,
        "positional": 197 * 768,                               # 151,296
        "attention": 12 * (4 * 768**2 + 6 * 768),              # 28,366,848
        "feed_forward": 12 * (2 * 768 * 3072 + 3072 + 3 * 768),  # 56,687,616
        "norm": 2 * 768,
        "head": 768 * 1000 + 1000,                             # 769,000
    }
    assert sum(parameter_breakdown(model).values()) == 86_567_656
    # one encoder layer is 12D² + 13D = 7,087,872, as GPT-2 small's and BERT-base's
    assert (parameter_breakdown(model)["attention"] + parameter_breakdown(model)["feed_forward"]) // 12 == 7_087_872


def test_vit_b_16_with_the_book_readout():
    with torch.device("meta"):
        model = vit_b_16(readout="mlp")
    head = 2 * (768 * 768 + 768) + 768 * 1000 + 1000
    assert n_params(model) == 86_567_656 - 769_000 + head
    assert parameter_count(224, 16, 3, 1000, 768, 12, 3072, readout="mlp") == n_params(model)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("readout, readout_dim", [("linear", None), ("mlp", None), ("mlp", 40)])
def test_parameter_count_formula_matches_the_object(config, readout, readout_dim):
    image_size, p, c, classes, d, heads, layers, mlp = config
    model = ViT(image_size, p, c, classes, d, heads, layers, mlp, readout=readout, readout_dim=readout_dim)
    total = parameter_count(image_size, p, c, classes, d, layers, mlp, readout=readout, readout_dim=readout_dim)
    assert n_params(model) == total == sum(parameter_breakdown(model).values())


def test_heads_do_not_change_the_count():
    counts = {n_params(ViT(8, 2, 1, 10, 24, h, 2, 48)) for h in (1, 2, 3, 4, 6)}
    assert len(counts) == 1


# --- shapes and the class token --------------------------------------------------------

@pytest.mark.parametrize("config", CONFIGS)
def test_shapes(config):
    image_size, p, c, classes, d, heads, layers, mlp = config
    model = ViT(*config)
    h, w = image_size if isinstance(image_size, tuple) else (image_size, image_size)
    m = (h // p) * (w // p)
    for n in (1, 3):
        x = torch.rand(n, c, h, w)
        assert model.embed(x).shape == (n, m + 1, d)
        assert model(x).shape == (n, classes)
        maps = model.attention_maps(x)
        assert len(maps) == layers and all(a.shape == (n, heads, m + 1, m + 1) for a in maps)
        # a softmax's m + 1 weights sum to 1 within γ_{2(m+1)+4} (exp, sum, division) + γ_{m+1}
        rounding = gamma(2 * (m + 1) + 4, torch.float32) + gamma(m + 1, torch.float32)
        assert_within(maps[-1].sum(-1), torch.ones(n, heads, m + 1), rounding)
        grid = model.class_token_attention(x, layer=0)
        assert grid.shape == (n, heads, h // p, w // p)
        # what E_0 takes from the patches plus what it takes from itself is all of it
        assert_within(grid.flatten(2).sum(-1) + maps[0][:, :, 0, 0], torch.ones(n, heads), rounding)


def test_class_token_comes_first_and_carries_no_image():
    torch.manual_seed(0)
    model = ViT(8, 2, 1, 10, 16, 2, 2, 32)
    with torch.no_grad():
        model.class_token.weight.normal_()
    a, b = torch.rand(2, 1, 8, 8), torch.rand(2, 1, 8, 8)
    e0 = model.class_token.weight + model.positional.weight[0]
    for x in (a, b):          # the same addition, bit for bit
        assert torch.equal(model.embed(x)[:, 0], e0.expand(2, -1))
    # the patch tokens do depend on the image (far beyond rounding: the embedding's sums of
    # 4 products and a bias, and the positional addition), and token k + 1 is patch k
    w, bias = model.patch_embedding.weight, model.patch_embedding.bias
    rounding = 2 * multilinear(lambda v, w, b: F.linear(patchify(v, 2), w, b), (a, w, bias)) \
        + 2 * gamma(1, torch.float32) * model.embed(a)[:, 1:].abs()
    assert ((model.embed(a)[:, 1:] - model.embed(b)[:, 1:]).abs() > rounding).any()
    tokens = model.patch_embedding(patchify(a, 2)) + model.positional.weight[1:]
    assert torch.equal(model.embed(a)[:, 1:], tokens)                 # the same operations
    assert torch.equal(ClassToken(4)(torch.ones(3, 5, 4))[:, 0], torch.zeros(3, 4))   # E_0 starts at 0


def test_logits_are_read_from_z0_only():
    torch.manual_seed(0)
    model = ViT(8, 2, 1, 10, 16, 2, 2, 32).eval()
    x = torch.rand(4, 1, 8, 8)
    h = model.embed(x)
    for layer in model.layers:
        h = layer(h)
    z = model.norm(h)
    assert torch.equal(model(x), model.head(z[:, 0]))           # the same operations, bit for bit
    z_changed = z.clone()
    z_changed[:, 1:] = torch.randn_like(z[:, 1:])              # what the other outputs hold does not matter
    assert torch.equal(model.head(TakeToken(0)(z_changed)), model(x))


def test_without_positions_the_model_sees_a_bag_of_patches():
    torch.manual_seed(0)
    model = ViT(8, 2, 1, 10, 16, 2, 2, 32).eval()
    x = torch.rand(3, 1, 8, 8, dtype=torch.float32)
    shuffled = unpatchify(patchify(x, 2)[:, torch.randperm(16)], 2, 8, 1)
    stages, terms = chain_sizes(model, x)
    with torch.no_grad():
        rounding = chain(model(x), stages=stages, terms=terms)
        # positions tell the patches apart: far beyond rounding
        assert ((model(x) - model(shuffled)).abs() > rounding).any()
        model.positional.weight[1:] = model.positional.weight[1]          # same vector at every patch
        # the same sums over the patches, in another order
        expected = model(x)
        assert_within(model(shuffled), expected, chain(expected, stages=stages, terms=terms))


# --- equality with torch.nn ------------------------------------------------------------

# TorchViT lives in tests/twins.py (the benchmark uses it too).


def load_reference(model: ViT, reference: TorchViT) -> None:
    """Copy the reference's (random) weights into ``model``."""
    c, p = model.in_channels, model.patch_size
    with torch.no_grad():
        model.patch_embedding.weight.copy_(reference.conv_proj.weight.reshape(model.dim, c * p * p))
        model.patch_embedding.bias.copy_(reference.conv_proj.bias)
        model.class_token.weight.copy_(reference.class_token[0, 0])
        model.positional.weight.copy_(reference.pos_embedding[0])
    for ours, theirs in zip(model.layers, reference.layers, strict=True):
        ours.load_torch_weights(theirs)
    model.norm.load_state_dict(reference.ln.state_dict())
    model.head.load_state_dict(reference.head.state_dict())


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("fused", [False, True], ids=["book", "fused"])   # the book's computations, and the fast path
def test_same_function_and_gradients_as_torch_nn(config, dtype, fused):
    torch.manual_seed(1)
    reference = TorchViT(*config).to(dtype)
    with torch.no_grad():                                      # non-trivial LayerNorm parameters too
        for module in reference.modules():
            if isinstance(module, nn.LayerNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.1)
    model = ViT(*config, fused=fused).to(dtype)
    load_reference(model, reference)
    image_size, p, c = config[:3]
    h, w = image_size if isinstance(image_size, tuple) else (image_size, image_size)
    x = torch.randn(3, c, h, w, dtype=dtype, requires_grad=True)
    stages, terms = chain_sizes(reference, x)
    ours, theirs = model(x), reference(x)
    assert_within(ours, theirs, chain(theirs, stages=stages, terms=terms))
    g = torch.randn_like(ours)
    grads = torch.autograd.grad(ours, [x, model.class_token.weight, model.positional.weight,
                                       model.patch_embedding.weight], g)
    ref_grads = torch.autograd.grad(theirs, [x, reference.class_token, reference.pos_embedding,
                                             reference.conv_proj.weight], g)
    expected = [ref_grads[0], ref_grads[1][0, 0], ref_grads[2][0], ref_grads[3].reshape(grads[3].shape)]
    for ours_grad, ref_grad in zip(grads, expected):
        assert_within(ours_grad, ref_grad, chain(ref_grad, stages=2 * stages, terms=terms))


def test_built_from_lbdl_book_nn():
    model = ViT(8, 2, 1, 10, 16, 2, 2, 32, readout="mlp")
    ours = (Patchify, ClassToken, TakeToken)
    for module in model.modules():
        if not list(module.children()) and not isinstance(module, ours):
            if isinstance(module, nn.Linear):                  # W^O inside lbdl_book.nn's MultiHeadAttention
                continue
            assert type(module).__module__.startswith(lbdl_book.nn.__name__), type(module)


# --- Figure 5.9 ------------------------------------------------------------------------

def test_diagram_of_figure_5_9():
    model = ViT(8, 2, 1, 10, 16, 2, 3, 32, readout="mlp")
    items, shapes = vit_stack(model, torch.zeros(1, 1, 8, 8))
    names = [i.name if not isinstance(i, diagrams.Repeat) else [b.name for b in i.items] for i in items]
    assert names == ["image", "patchify", "fully-conn", "cat $E_0$", "pos-enc", ["self-att", "ffw"], "layernorm",
                     "take $Z_0$", "fully-conn", "gelu", "fully-conn", "gelu", "fully-conn", "logits"]
    assert items[5].times == 3
    assert shapes[:6] == [(1, 8, 8), (16, 4), (16, 16), (17, 16), (17, 16), (17, 16)]
    assert shapes[-1] == (10,)
    assert [i.trainable for i in items[1:5]] == [False, True, True, True]
    diagrams.draw_stack(items, shapes)


# --- errors ----------------------------------------------------------------------------

def test_errors():
    with pytest.raises(ValueError, match="multiple of patch_size=3"):
        ViT(8, 3, 1, 10, 16, 2, 2, 32)
    with pytest.raises(ValueError, match="multiple of patch_size=16"):
        num_patches((224, 200), 16)
    with pytest.raises(ValueError, match="readout must be one of"):
        ViT(8, 2, 1, 10, 16, 2, 2, 32, readout="pool")
    with pytest.raises(ValueError, match="dropout must be a number in"):
        ViT(8, 2, 1, 10, 16, 2, 2, 32, dropout=1.0)
    with pytest.raises(ValueError, match="dim must be a positive int"):
        ViT(8, 2, 1, 10, 0, 2, 2, 32)
    with pytest.raises(ValueError, match="embed_dim must be divisible by num_heads"):
        ViT(8, 2, 1, 10, 16, 3, 2, 32)
    model = ViT(8, 2, 1, 10, 16, 2, 2, 32)
    with pytest.raises(ValueError, match=r"images must have shape \(N, C=1, H=8, W=8\), got \(2, 1, 6, 6\)"):
        model(torch.zeros(2, 1, 6, 6))
    with pytest.raises(ValueError, match=r"images must have shape \(N, C, H, W\), got \(1, 8, 8\)"):
        model(torch.zeros(1, 8, 8))
    with pytest.raises(ValueError, match="multiples of patch_size=2, got H=7"):
        patchify(torch.zeros(1, 1, 7, 8), 2)
    with pytest.raises(TypeError, match="floating-point"):
        patchify(torch.zeros(1, 1, 8, 8, dtype=torch.long), 2)
    with pytest.raises(TypeError, match="must be a torch.Tensor"):
        patchify([[0.0]], 2)
    with pytest.raises(ValueError, match=r"patches must have shape \(N, M=16, C·P²=4\)"):
        unpatchify(torch.zeros(1, 15, 4), 2, 8, 1)
    with pytest.raises(ValueError, match="layer must be an int in"):
        model.class_token_attention(torch.zeros(1, 1, 8, 8), layer=2)
    with pytest.raises(ValueError, match="in_features = C·P² = 12"):
        as_conv2d(lbdl_book.nn.linear.Linear(4, 8), 3, 2)
    with pytest.raises(TypeError, match="model must be a ViT"):
        parameter_breakdown(nn.Linear(2, 2))
