"""The Transformer of §5.3 (lbdl_book.models.transformer) and its task (lbdl_book.data.seq2seq).

Against PyTorch: ``torch.nn.TransformerEncoderLayer``, ``TransformerDecoderLayer`` and
``Transformer`` with random weights, loaded into our blocks by renaming the state dict;
values and gradients must agree.

Tolerances. Our layers are written from the equations (lbdl_book.nn) while PyTorch uses
fused kernels (one in-projection matmul, its own softmax and layer-norm kernels), so the
two agree up to rounding, not bit for bit: `_bounds.chain`, 2 · stages · γ_n ·
max|reference|, with the stages (linear layers, normalizations, attentions, activations)
and the longest sum n (a fan-in, a key sequence, or the N·T positions a weight's gradient
sums over) read off the reference's layers by `_bounds.chain_sizes`; a gradient goes
through the stages twice, plus the loss. A real mistake, such as a missing bias, a wrong
mask or a norm in the wrong place, changes the outputs by 1e-2 or more.
"""

import math

import pytest
import torch
from torch import nn

from _bounds import assert_within, chain, chain_sizes, gamma
from lbdl_book import diagrams
from lbdl_book.data.seq2seq import (DIGIT_OFFSET, END, PAD, START, VOCAB_SIZE, exact_match, seq2seq_task,
                                    to_text)
from lbdl_book.models.transformer import (CrossAttentionBlock, DecoderLayer, EncoderLayer, FeedForwardBlock,
                                          SelfAttentionBlock, TeacherForcing, Transformer, block_parameter_count,
                                          block_stack, decoder_stack, encoder_stack, greedy_decode,
                                          parameter_count, sequence_cross_entropy)
from lbdl_book.nn.embedding import Embedding
from lbdl_book.nn.linear import Linear
from lbdl_book.nn.norm import LayerNorm



def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def count(module):
    return sum(p.numel() for p in module.parameters())


def assert_close(ours, theirs, sizes, gradient=False):
    """ours within `_bounds.chain` of theirs; ``sizes`` = (stages, terms) of the forward pass."""
    stages, terms = sizes
    assert_within(ours, theirs, chain(theirs, stages=2 * stages + 1 if gradient else stages, terms=terms))


def randomise_norms(module, g):
    """LayerNorms start at γ = 1, β = 0, which would hide a swapped γ/β or a missing β."""
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, (nn.LayerNorm, LayerNorm)):
                m.weight.copy_(1 + 0.3 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.3 * torch.randn(m.bias.shape, generator=g))
            if isinstance(m, nn.MultiheadAttention):      # PyTorch initialises these biases to 0
                m.in_proj_bias.copy_(0.2 * torch.randn(m.in_proj_bias.shape, generator=g))
                m.out_proj.bias.copy_(0.2 * torch.randn(m.out_proj.bias.shape, generator=g))


def grads(module):
    return {name: p.grad for name, p in module.named_parameters()}


# --- shapes and parameter counts ------------------------------------------------------------

@pytest.mark.parametrize("norm_first", [True, False])
def test_block_shapes_and_counts(norm_first):
    x = torch.randn(3, 7, 16, generator=generator())
    z = torch.randn(3, 5, 16, generator=generator(1))
    ffw = FeedForwardBlock(16, 40, norm_first=norm_first)
    sa = SelfAttentionBlock(16, 4, causal=True, norm_first=norm_first)
    ca = CrossAttentionBlock(16, 4, norm_first=norm_first)
    assert ffw(x).shape == sa(x).shape == ca(x, z).shape == (3, 7, 16)
    y, a = sa(x, need_weights=True)
    assert a.shape == (3, 4, 7, 7)
    y, a = ca(x, z, need_weights=True)
    assert a.shape == (3, 4, 7, 5)
    # LN 2D, fc D·H + H, fc H·D + D
    assert count(ffw) == 2 * 16 + 16 * 40 + 40 + 40 * 16 + 16 == block_parameter_count("feed_forward", 16, 40)
    # LN 2D, W^Q W^K W^V W^O 4D², their biases 4D
    assert count(sa) == count(ca) == 4 * 16**2 + 6 * 16 == block_parameter_count("self_attention", 16)


@pytest.mark.parametrize(("vocab", "dim", "heads", "hidden", "n_enc", "n_dec", "norm_first"),
                         [(13, 32, 4, 128, 2, 2, True), (13, 32, 4, 128, 2, 2, False), (50, 24, 3, 40, 1, 3, True),
                          (7, 8, 1, 8, 3, 1, False)])
def test_transformer_parameter_count_is_exact(vocab, dim, heads, hidden, n_enc, n_dec, norm_first):
    model = Transformer(vocab, dim, heads, hidden, n_enc, n_dec, max_len=12, norm_first=norm_first)
    expected = parameter_count(vocab, dim, hidden, n_enc, n_dec, norm_first=norm_first)
    assert count(model) == expected
    # by hand, for the first configuration: 2·13·32 embeddings, 2 × (4288 + 8416) encoder,
    # 2 × (2·4288 + 8416) decoder, 4·32 final norms, 32·13 + 13 output layer
    if (vocab, dim, hidden, n_enc, n_dec, norm_first) == (13, 32, 128, 2, 2, True):
        assert expected == 832 + 25408 + 33984 + 128 + 429 == 60781
    src = torch.randint(0, vocab, (2, 9), generator=generator())
    tgt = torch.randint(0, vocab, (2, 6), generator=generator(1))
    assert model(src, tgt).shape == (2, 6, vocab)


def test_gpt2_small_and_vit_b16_layers_count_exactly():
    """The blocks are the layers of GPT-2 small (124,439,808 parameters with tied
    embeddings) and of ViT-B/16 (86,567,656): D = 768, 12 heads, H = 3072, 12 layers.
    Built on the meta device: shapes only, no memory."""
    with torch.device("meta"):
        layers = nn.ModuleList()
        for _ in range(12):
            layers.append(SelfAttentionBlock(768, 12, causal=True))
            layers.append(FeedForwardBlock(768, 3072))
        gpt_rest = nn.ModuleList([Embedding(50257, 768), Embedding(1024, 768), LayerNorm(768)])
        vit_rest = nn.ModuleList([Linear(3 * 16 * 16, 768), LayerNorm(768), Linear(768, 1000)])
    per_layer = count(layers) // 12
    assert per_layer == 12 * 768**2 + 13 * 768 == 7_087_872
    assert count(layers) + count(gpt_rest) == 124_439_808          # the output layer reuses wte
    cls_token, positions = 768, 197 * 768                            # (224/16)² = 196 patches + CLS
    assert count(layers) + count(vit_rest) + cls_token + positions == 86_567_656


# --- against PyTorch ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("activation", ["gelu", "relu"])
@pytest.mark.parametrize(("n", "t", "dim", "heads", "hidden"), [(2, 5, 16, 4, 32), (3, 9, 24, 3, 48)])
def test_encoder_layer_matches_torch(dtype, norm_first, activation, n, t, dim, heads, hidden):
    g = generator(dim + t)
    reference = nn.TransformerEncoderLayer(dim, heads, hidden, dropout=0.0, activation=activation,
                                           batch_first=True, norm_first=norm_first, dtype=dtype)
    randomise_norms(reference, g)
    ours = EncoderLayer(dim, heads, hidden, activation=activation, norm_first=norm_first).to(dtype)
    ours.load_torch_weights(reference)
    x = torch.randn(n, t, dim, generator=g, dtype=dtype) * 2
    padding = torch.zeros(n, t, dtype=torch.bool)
    padding[0, t - 2:] = True                                       # the last two keys of sample 0 are padding
    upstream = torch.randn(n, t, dim, generator=g, dtype=dtype)

    xr, xo = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    sizes = chain_sizes(reference, x, src_key_padding_mask=padding)
    yr = reference(xr, src_key_padding_mask=padding)
    yo = ours(xo, (~padding)[:, None, :].expand(n, t, t))
    assert_close(yo, yr, sizes)
    (yr * upstream).sum().backward()
    (yo * upstream).sum().backward()
    assert_close(xo.grad, xr.grad, sizes, gradient=True)
    theirs = grads(reference)
    for key_theirs, key_ours in [("self_attn.in_proj_weight", "self_attention.attention.in_proj_weight"),
                                 ("self_attn.out_proj.bias", "self_attention.attention.out_proj.bias"),
                                 ("linear1.weight", "feed_forward.linear1.weight"),
                                 ("linear2.bias", "feed_forward.linear2.bias"),
                                 ("norm1.weight", "self_attention.norm.weight"),
                                 ("norm2.bias", "feed_forward.norm.bias")]:
        g_theirs = theirs[key_theirs]
        assert_close(grads(ours)[key_ours], g_theirs, sizes, gradient=True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("norm_first", [True, False])
def test_decoder_layer_matches_torch(dtype, norm_first):
    g = generator(7)
    n, t, s, dim, heads, hidden = 3, 6, 8, 16, 4, 40
    reference = nn.TransformerDecoderLayer(dim, heads, hidden, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=norm_first, dtype=dtype)
    randomise_norms(reference, g)
    ours = DecoderLayer(dim, heads, hidden, norm_first=norm_first).to(dtype).load_torch_weights(reference)
    y = torch.randn(n, t, dim, generator=g, dtype=dtype)
    z = torch.randn(n, s, dim, generator=g, dtype=dtype)
    padding = torch.zeros(n, s, dtype=torch.bool)
    padding[1, 5:] = True
    upstream = torch.randn(n, t, dim, generator=g, dtype=dtype)
    causal = nn.Transformer.generate_square_subsequent_mask(t, dtype=dtype)        # −inf above the diagonal
    yr_in, zr = y.clone().requires_grad_(True), z.clone().requires_grad_(True)
    yo_in, zo = y.clone().requires_grad_(True), z.clone().requires_grad_(True)
    sizes = chain_sizes(reference, y, z, tgt_mask=causal, memory_key_padding_mask=padding, tgt_is_causal=True)
    out_r = reference(yr_in, zr, tgt_mask=causal, memory_key_padding_mask=padding, tgt_is_causal=True)
    out_o = ours(yo_in, zo, (~padding)[:, None, :].expand(n, t, s))
    assert_close(out_o, out_r, sizes)
    (out_r * upstream).sum().backward()
    (out_o * upstream).sum().backward()
    assert_close(yo_in.grad, yr_in.grad, sizes, gradient=True)
    assert_close(zo.grad, zr.grad, sizes, gradient=True)
    assert zo.grad[1, 5:].abs().max() == 0                          # padded memory receives no gradient
    for key_theirs, key_ours in DecoderLayer.RENAMING.items():
        for p in ("weight", "bias") if "attn" not in key_theirs else ("in_proj_weight", "out_proj.weight"):
            g_theirs = grads(reference)[f"{key_theirs}.{p}"]
            assert_close(grads(ours)[f"{key_ours}.{p}"], g_theirs, sizes, gradient=True)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")     # nn.Transformer's own, irrelevant here
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("fused", [False, True], ids=["book", "fused"])   # the book's computations, and the fast path
def test_whole_transformer_matches_torch_transformer(dtype, fused):
    """Pre-norm model = embedding + positional encoding, then nn.Transformer (which ends
    both stacks with a LayerNorm, as our pre-norm stacks do), then the output layer."""
    g = generator(3)
    vocab, dim, heads, hidden = 11, 16, 2, 24
    ours = Transformer(vocab, dim, heads, hidden, 2, 3, max_len=10, pad_index=0, fused=fused).to(dtype)
    reference = nn.Transformer(dim, heads, 2, 3, hidden, dropout=0.0, activation="gelu", batch_first=True,
                               norm_first=True, dtype=dtype)
    randomise_norms(reference, g)
    for ours_layer, ref_layer in zip(ours.encoder.layers, reference.encoder.layers):
        ours_layer.load_torch_weights(ref_layer)
    for ours_layer, ref_layer in zip(ours.decoder.layers, reference.decoder.layers):
        ours_layer.load_torch_weights(ref_layer)
    ours.encoder.norm.load_state_dict(reference.encoder.norm.state_dict())
    ours.decoder.norm.load_state_dict(reference.decoder.norm.state_dict())
    src = torch.randint(1, vocab, (4, 9), generator=g)
    src[0, 6:] = 0
    src[2, 3:] = 0
    tgt = torch.randint(1, vocab, (4, 7), generator=g)
    padding = src == 0
    with torch.no_grad():
        e_src = ours.encoder.positional(ours.encoder.embedding(src))
        e_tgt = ours.decoder.positional(ours.decoder.embedding(tgt))
        causal = nn.Transformer.generate_square_subsequent_mask(7, dtype=dtype)
        expected = ours.decoder.head(reference(e_src, e_tgt, tgt_mask=causal, src_key_padding_mask=padding,
                                               memory_key_padding_mask=padding, tgt_is_causal=True))
    stages, terms = chain_sizes(reference, e_src, e_tgt, tgt_mask=causal, src_key_padding_mask=padding,
                                memory_key_padding_mask=padding, tgt_is_causal=True)
    with torch.no_grad():       # plus the output layer (a linear layer of D + 1 terms) and the positional sum
        assert_close(ours(src, tgt), expected, (stages + 2, max(terms, dim + 1)))


def test_load_torch_weights_refuses_mismatches():
    reference = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, activation="relu", batch_first=True)
    with pytest.raises(ValueError, match="activation"):
        EncoderLayer(16, 4, 32, activation="gelu", norm_first=False).load_torch_weights(reference)
    with pytest.raises(ValueError, match="norm_first"):
        EncoderLayer(16, 4, 32, activation="relu", norm_first=True).load_torch_weights(reference)
    with pytest.raises(ValueError, match="hidden_dim"):
        EncoderLayer(16, 4, 64, activation="relu", norm_first=False).load_torch_weights(reference)
    with pytest.raises(TypeError, match="TransformerEncoderLayer"):
        EncoderLayer(16, 4, 32).load_torch_weights(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="TransformerDecoderLayer"):
        DecoderLayer(16, 4, 32).load_torch_weights(reference)


# --- causality, padding, decoding --------------------------------------------------------------

@pytest.mark.parametrize("norm_first", [True, False])
def test_decoder_is_causal_and_cross_attention_is_not(norm_first):
    """The logits at position t depend on the decoder input at positions ≤ t only, and on
    the whole source."""
    torch.manual_seed(0)
    model = Transformer(13, 16, 2, 32, 2, 2, max_len=10, norm_first=norm_first).eval()
    src = torch.randint(3, 13, (2, 8), generator=generator())
    tgt = torch.randint(3, 13, (2, 9), generator=generator(1))
    base = model(src, tgt)
    stages, terms = chain_sizes(model, src, tgt)
    rounding = chain(base, stages=stages, terms=terms)            # what rounding alone could change
    for t in range(9):
        changed = tgt.clone()
        changed[:, t:] = (changed[:, t:] - 3 + 1) % 10 + 3             # every token from t on is different
        out = model(src, changed)
        assert torch.equal(out[:, :t], base[:, :t]), t               # exactly: the masked weights are exactly 0
        assert (out[:, t] - base[:, t]).abs().max() > rounding, t
    changed_src = src.clone()
    changed_src[:, -1] = (changed_src[:, -1] - 3 + 1) % 10 + 3        # only the LAST source token changes
    assert ((model(changed_src, tgt) - base).abs().amax(dim=(0, 2)) > rounding).all()   # every position sees it


def test_source_padding_is_ignored():
    """Adding more padding to the source changes nothing: padded keys get zero weight."""
    torch.manual_seed(0)
    model = Transformer(13, 16, 2, 32, 2, 2, max_len=16, pad_index=PAD).eval()
    src = torch.tensor([[5, 6, 7, END, PAD], [8, 9, 10, 11, END]])
    tgt = torch.tensor([[START, 7, 6], [START, 11, 10]])
    longer = torch.cat([src, torch.full((2, 6), PAD)], dim=1)
    # the padded keys add exact zeros, but sums over longer rows may be blocked differently
    expected = model(src, tgt)
    stages, terms = chain_sizes(model, longer, tgt)
    assert_within(model(longer, tgt), expected, chain(expected, stages=stages, terms=terms))
    maps = model.attention_maps(longer, tgt)
    for a in maps["cross"] + maps["encoder"]:
        assert a[0, :, :, 4:].abs().max() == 0 and a[1, :, :, 5:].abs().max() == 0
        # a softmax's weights sum to 1 within γ_{2n+4} (exp, the sum, the division) + γ_n
        n = a.shape[-1]
        assert_within(a.sum(-1), torch.ones_like(a.sum(-1)), gamma(2 * n + 4, a.dtype) + gamma(n, a.dtype))
    for a in maps["decoder"]:
        assert torch.equal(a, a.tril())                                # causal: nothing above the diagonal


def test_greedy_decode_agrees_with_teacher_forcing_on_its_own_output():
    """Feeding the greedy output back as decoder input, the argmax at every position is
    the token greedy decoding chose there: the two computations agree."""
    torch.manual_seed(1)
    model = Transformer(VOCAB_SIZE, 16, 2, 32, 1, 2, max_len=12, pad_index=PAD)
    src = torch.randint(DIGIT_OFFSET, VOCAB_SIZE, (5, 6), generator=generator())
    out = greedy_decode(model, src, start_index=START, end_index=END, max_len=8)
    assert out.dtype == torch.long and out.shape[0] == 5 and 1 <= out.shape[1] <= 8
    assert model.training                                              # the mode is restored
    model.eval()
    tgt = torch.cat([torch.full((5, 1), START), out[:, :-1]], dim=1)
    predicted = model(src, tgt).argmax(-1)
    for row in range(5):
        ends = (out[row] == END).nonzero()
        stop = ends[0, 0].item() + 1 if len(ends) else out.shape[1]
        assert torch.equal(predicted[row, :stop], out[row, :stop])
        assert (out[row, stop:] == PAD).all()                            # after the end: padding


def test_dropout_is_active_in_training_only():
    torch.manual_seed(0)
    model = Transformer(13, 16, 2, 32, 1, 1, max_len=10, dropout=0.3)
    src, tgt = torch.randint(0, 13, (2, 6)), torch.randint(0, 13, (2, 5))
    assert not torch.equal(model(src, tgt), model(src, tgt))
    model.eval()
    assert torch.equal(model(src, tgt), model(src, tgt))


def test_teacher_forcing_adapter_and_loss():
    torch.manual_seed(0)
    model = Transformer(VOCAB_SIZE, 16, 2, 32, 1, 1, max_len=10, pad_index=PAD)
    train, _ = seq2seq_task(20, 5, min_length=2, max_length=5, seed=0)
    logits = TeacherForcing(model, 6)(train.packed())
    # the adapter runs the model on the same tokens: the same operations, bit for bit
    assert torch.equal(logits, model(train.source, train.decoder_input))
    loss = sequence_cross_entropy(logits, train.target, PAD)
    keep = train.target != PAD
    expected = nn.functional.cross_entropy(logits[keep], train.target[keep])
    # the mean over K positions of logsumexp(z) − z_target (V classes): each side within
    # γ_{K+V+6} of the mean of the magnitudes |logsumexp| + |z_target|
    kept = logits[keep].detach().double()
    magnitude = (kept.logsumexp(-1).abs() + kept.gather(1, train.target[keep][:, None])[:, 0].abs()).mean()
    assert_within(loss, expected, 2 * gamma(len(kept) + kept.shape[1] + 6, torch.float32) * magnitude)
    # padding positions do not count: changing their logits changes nothing (the kept rows
    # are the same numbers, so the loss is the same computation, bit for bit)
    noisy = logits.detach().clone()
    noisy[~keep] += 100 * torch.randn_like(noisy[~keep])
    assert torch.equal(sequence_cross_entropy(noisy, train.target, PAD), loss.detach())


# --- data ----------------------------------------------------------------------------------

@pytest.mark.parametrize("task", ["reverse", "sort"])
def test_seq2seq_task(task):
    train, test = seq2seq_task(300, 100, task=task, min_length=2, max_length=5, seed=3)
    assert train.source.shape == (300, 6) and test.target.shape == (100, 6)
    strings = lambda s: {to_text(row) for row in s.source}  # noqa: E731
    assert len(strings(train)) == 300 and len(strings(test)) == 100 and not strings(train) & strings(test)
    for split in (train, test):
        assert torch.equal(split.decoder_input[:, 0], torch.full((len(split.source),), START))
        assert torch.equal(split.decoder_input[:, 1:], split.target[:, :-1])
        for src, tgt in zip(split.source, split.target):
            digits = to_text(src).split()
            assert 2 <= len(digits) <= 5
            expected = digits[::-1] if task == "reverse" else sorted(digits)
            assert to_text(tgt).split() == expected
            assert (src == END).sum() == 1 == (tgt == END).sum()
    again, _ = seq2seq_task(300, 100, task=task, min_length=2, max_length=5, seed=3)
    assert torch.equal(again.source, train.source)


def test_to_text_and_exact_match():
    assert to_text(torch.tensor([6, 4, 7, END, PAD])) == "3 1 4"
    assert to_text(torch.tensor([START, 3, 12])) == "0 9"
    target = torch.tensor([[6, 4, END, PAD], [5, END, PAD, PAD]])
    predicted = torch.tensor([[6, 4, END], [5, 5, END]])
    assert exact_match(predicted, target).tolist() == [True, False]
    assert exact_match(torch.tensor([[6, 4], [5, END]]), target).tolist() == [False, True]   # no end token


# --- diagrams --------------------------------------------------------------------------------

def names(items):
    out = []
    for item in items:
        if isinstance(item, diagrams.Box):
            out.append(item.name)
        elif isinstance(item, diagrams.Signal):
            out.append(item.name)
        elif isinstance(item, diagrams.Residual):
            out.append(("+", names(item.items)))
        elif isinstance(item, diagrams.Repeat):
            out.append((f"×{item.times}", names(item.items)))
    return out


def test_diagrams_read_off_the_model():
    x, z = torch.randn(1, 5, 16), torch.randn(1, 7, 16)
    items, shapes = block_stack(FeedForwardBlock(16, 64), x)
    assert names(items) == ["$X$", ("+", ["layernorm", "fully-conn", "gelu", "fully-conn", "dropout"]), "$Y$"]
    assert items[1].shapes[1] == (5, 64)
    items, _ = block_stack(SelfAttentionBlock(16, 4, causal=True, norm_first=False), x)
    assert names(items) == ["$X$", ("+", ["mha"]), "layernorm", "$Y$"]
    items, _ = block_stack(CrossAttentionBlock(16, 4), x, z)
    assert names(items) == ["$X$", ("+", ["layernorm", "mha"]), "$Y$"] and "K=V=$Z$" in items[1].items[1].hyper
    model = Transformer(13, 16, 4, 32, 3, 2, max_len=10)
    src, tgt = torch.randint(0, 13, (1, 8)), torch.randint(0, 13, (1, 6))
    items, shapes = encoder_stack(model, src)
    assert names(items) == ["$X$", "embed", "pos-enc", ("×3", ["self-att", "ffw"]), "layernorm", "$Z$"]
    items, shapes = decoder_stack(model, tgt, model.encoder(src))
    assert names(items)[1:-1] == ["embed", "pos-enc", ("×2", ["causal self-att", "cross-att", "ffw"]),
                                  "layernorm", "fully-conn"]
    assert shapes[-1] == (6, 13)
    diagrams.draw_stack(items, shapes)                               # draws without error


# --- errors -----------------------------------------------------------------------------------

def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="dim"):
        FeedForwardBlock(0, 4)
    with pytest.raises(ValueError, match="hidden_dim"):
        FeedForwardBlock(8, 2.5)
    with pytest.raises(ValueError, match="dropout"):
        FeedForwardBlock(8, 16, dropout=1.0)
    with pytest.raises(ValueError, match="activation"):
        FeedForwardBlock(8, 16, activation="tanh")
    with pytest.raises(TypeError, match="causal"):
        SelfAttentionBlock(8, 2, causal=1)
    with pytest.raises(ValueError, match="divisible"):
        SelfAttentionBlock(10, 4)
    with pytest.raises(ValueError, match=r"\(N, T, D=8\)"):
        SelfAttentionBlock(8, 2)(torch.randn(3, 8))
    with pytest.raises(TypeError, match="floating-point"):
        FeedForwardBlock(8, 16)(torch.ones(1, 2, 8, dtype=torch.long))
    with pytest.raises(ValueError, match="same batch size"):
        CrossAttentionBlock(8, 2)(torch.randn(2, 3, 8), torch.randn(3, 3, 8))
    with pytest.raises(ValueError, match="pad_index"):
        Transformer(10, 8, 2, pad_index=10)
    model = Transformer(10, 8, 2, max_len=6)
    with pytest.raises(TypeError, match="int64"):
        model(torch.zeros(1, 3), torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"values must be in \[0, 9\]"):
        model(torch.full((1, 3), 10), torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="more than the maximum length 6"):
        model(torch.zeros(1, 7, dtype=torch.long), torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="same batch size"):
        model(torch.zeros(2, 3, dtype=torch.long), torch.zeros(1, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="source_length = 3"):
        TeacherForcing(model, 3)(torch.zeros(2, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="end_index"):
        greedy_decode(model, torch.zeros(1, 3, dtype=torch.long), start_index=1, end_index=10, max_len=4)
    with pytest.raises(ValueError, match="max_len must be <"):
        greedy_decode(model, torch.zeros(1, 3, dtype=torch.long), start_index=1, end_index=2, max_len=6)
    with pytest.raises(ValueError, match=r"\(N, T, V\)"):
        sequence_cross_entropy(torch.randn(2, 3), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="kind"):
        block_parameter_count("conv", 8)
    with pytest.raises(ValueError, match="task"):
        seq2seq_task(10, 10, task="copy")
    with pytest.raises(ValueError, match="more than half"):
        seq2seq_task(100, 100, min_length=1, max_length=2)
    with pytest.raises(ValueError, match="min_length"):
        seq2seq_task(10, 10, min_length=5, max_length=3)
    with pytest.raises(ValueError, match="max_length must be <= 18"):
        seq2seq_task(10, 10, min_length=5, max_length=19)
    assert math.isfinite(parameter_count(13, 8, 16, 1, 1))
