"""The GPT of Figure 5.8 (lbdl_book.models.gpt): shapes, exact parameter counts (GPT-2 small
included), causality, equality with the same network assembled from torch.nn, weight
tying, generation, errors; and the corpus it is trained on (lbdl_book.data.corpus).

Tolerances. The reference is ``torch.nn.TransformerEncoder`` (pre-norm layers, GELU, a
causal mask, a final LayerNorm) between an embedding and a tied output layer, loaded with
our weights. Both compute the same function with differently ordered sums (PyTorch fuses
the attention into scaled_dot_product_attention and the input projections into one
addmm), so they agree up to rounding: `_bounds.chain`, 2 · stages · γ_n · max|reference|,
with the stages and the longest sum n read off the reference's layers
(`_bounds.chain_sizes`); a gradient goes through them twice, plus the loss. A missing
mask, a transposed weight or a misplaced norm changes values by O(0.1) or more.
Statistical checks of the initialisation allow 5 standard errors.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import lbdl_book.nn
from _bounds import assert_within, chain, chain_sizes, gamma
from twins import reference_for, torch_name
from lbdl_book import diagrams
from lbdl_book.data.corpus import corpus, paragraphs, split
from lbdl_book.models.gpt import (GPT, GPT2_SMALL, GPTLayer, generate, gpt2_small, gpt_stack,
                                  next_token_distribution, parameter_breakdown, parameter_count)
from lbdl_book.nn.attention import MultiHeadAttention



def tokens(n, length, vocab, seed=0):
    return torch.randint(vocab, (n, length), generator=torch.Generator().manual_seed(seed))


def small(seed=0, **options):
    torch.manual_seed(seed)
    settings = {"vocab_size": 11, "context": 12, "dim": 16, "num_heads": 2, "num_layers": 2} | options
    return GPT(**settings)


# --- shapes and parameter counts ---------------------------------------------------------

@pytest.mark.parametrize(("n", "length"), [(1, 1), (3, 5), (2, 12)])
def test_shapes(n, length):
    model = small()
    assert model(tokens(n, length, 11)).shape == (n, length, 11)
    maps = model.attention_maps(tokens(n, length, 11))
    assert len(maps) == 2 and all(m.shape == (n, 2, length, length) for m in maps)


def test_exact_parameter_count_by_hand():
    # V·D = 10·16, C·D = 8·16, one layer: attention 4·16² + 6·16 = 1,120 and feed-forward
    # 2·16·64 + 64 + 3·16 = 2,160, final LayerNorm 2·16.
    assert 10 * 16 + 8 * 16 + (4 * 16**2 + 6 * 16) + (2 * 16 * 64 + 64 + 3 * 16) + 2 * 16 == 3_600
    tied = GPT(10, 8, 16, 2, 1)
    untied = GPT(10, 8, 16, 2, 1, tie_embeddings=False)
    assert sum(p.numel() for p in tied.parameters()) == 3_600 == parameter_count(10, 8, 16, 1)
    assert sum(p.numel() for p in untied.parameters()) == 3_760 == parameter_count(10, 8, 16, 1, tie_embeddings=False)
    narrow = GPT(10, 8, 16, 4, 3, hidden_dim=24)       # the heads do not change the count, the width does
    layer = (4 * 16**2 + 6 * 16) + (2 * 16 * 24 + 24 + 3 * 16)
    assert sum(p.numel() for p in narrow.parameters()) == 10 * 16 + 8 * 16 + 3 * layer + 32 \
        == parameter_count(10, 8, 16, 3, hidden_dim=24)


@pytest.mark.parametrize(("vocab", "context", "dim", "heads", "layers", "tie"),
                         [(52, 32, 64, 4, 2, True), (7, 5, 12, 3, 4, False), (300, 64, 32, 1, 1, True)])
def test_count_formula_matches_the_object(vocab, context, dim, heads, layers, tie):
    model = GPT(vocab, context, dim, heads, layers, tie_embeddings=tie)
    count = sum(p.numel() for p in model.parameters())
    assert count == parameter_count(vocab, context, dim, layers, tie_embeddings=tie)
    assert sum(parameter_breakdown(model).values()) == count


def test_gpt2_small_has_exactly_124_439_808_parameters():
    model = gpt2_small()                               # really allocated: about 0.5 GB of float32
    assert sum(p.numel() for p in model.parameters()) == 124_439_808
    assert parameter_count(50_257, 1_024, 768, 12) == 124_439_808
    assert model.head.weight.data_ptr() == model.embedding.weight.data_ptr()
    parts = parameter_breakdown(model)
    assert parts == {"embedding": 50_257 * 768, "positional": 1_024 * 768, "attention": 12 * (4 * 768**2 + 6 * 768),
                     "feed_forward": 12 * (2 * 768 * 3_072 + 3_072 + 3 * 768), "norm": 2 * 768, "head": 0}
    assert parts["attention"] + parts["feed_forward"] == 12 * 7_087_872
    assert (model.vocab_size, model.context, model.dim, model.num_heads, model.num_layers) == tuple(GPT2_SMALL.values())
    with torch.device("meta"):                         # untied: the output layer adds V·D = 38,597,376
        untied = gpt2_small(tie_embeddings=False)
    assert sum(p.numel() for p in untied.parameters()) == 163_037_184 == 124_439_808 + 50_257 * 768


# --- the same network from torch.nn ------------------------------------------------------

# TorchGPT, torch_name and reference_for live in tests/twins.py (the benchmark uses them too).


@pytest.mark.parametrize("fused", [False, True], ids=["book", "fused"])   # the book's computations, and the fast path
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize(("heads", "layers", "n", "length"), [(2, 2, 3, 12), (4, 1, 2, 7), (1, 3, 1, 1)])
def test_equals_torch_transformer_encoder_values_and_gradients(dtype, heads, layers, n, length, fused):
    model = small(seed=heads + layers, num_heads=heads, num_layers=layers, fused=fused).to(dtype)
    with torch.no_grad():                    # non-zero biases and norms, so that every parameter matters
        for name, p in model.named_parameters():
            if "bias" in name or "norm" in name:
                p.add_(0.1 * torch.randn_like(p))
    reference = reference_for(model, dtype)
    x = tokens(n, length, 11, seed=layers)
    target = tokens(n, length, 11, seed=layers + 1)
    stages, terms = chain_sizes(reference, x)
    ours, theirs = model(x), reference(x)
    assert_within(ours, theirs, chain(theirs, stages=stages, terms=terms))
    F.cross_entropy(ours.flatten(0, 1), target.flatten()).backward()
    F.cross_entropy(theirs.flatten(0, 1), target.flatten()).backward()
    reference_params = dict(reference.named_parameters())
    for name, p in model.named_parameters():
        expected = reference_params[torch_name(name)].grad
        assert_within(p.grad, expected, chain(expected, stages=2 * stages + 1, terms=terms), msg=name)


def test_built_from_lbdl_book_nn():
    model = small()
    inside_attention = {id(m) for a in model.modules() if isinstance(a, MultiHeadAttention) for m in a.modules()}
    for module in model.modules():
        if not list(module.children()) or isinstance(module, MultiHeadAttention):
            if id(module) in inside_attention and not isinstance(module, MultiHeadAttention):
                continue                                   # the output projection of the attention layer
            assert type(module).__module__.startswith(lbdl_book.nn.__name__), type(module)
    assert all(isinstance(layer, GPTLayer) and layer.self_attention.causal for layer in model.layers)


# --- causality -------------------------------------------------------------------------------

@pytest.mark.parametrize("position", [0, 4, 10])
def test_logits_up_to_t_ignore_the_tokens_after_t(position):
    model = small()
    x = tokens(4, 12, 11, seed=position)
    y = x.clone()
    y[:, position + 1:] = (x[:, position + 1:] + 1 + tokens(4, 11 - position, 10, seed=99)) % 11   # all differ
    with torch.no_grad():
        a, b = model(x), model(y)
    stages, terms = chain_sizes(model, x)
    rounding = chain(a, stages=stages, terms=terms)        # what rounding alone could change
    assert torch.equal(a[:, :position + 1], b[:, :position + 1])
    assert (a[:, position + 1:] - b[:, position + 1:]).abs().amax(dim=(0, 2)).min() > rounding
    z = x.clone()                                          # the logits at t do depend on x_t itself
    z[:, position] = (x[:, position] + 1) % 11
    with torch.no_grad():
        assert (model(z)[:, position] - a[:, position]).abs().max() > rounding


def test_attention_maps_are_causal_distributions():
    model = small(dropout=0.3)
    model.train()
    maps = model.attention_maps(tokens(2, 9, 11))
    assert model.training                                  # the mode is restored
    for m in maps:
        assert torch.equal(m.triu(diagonal=1), torch.zeros_like(m))
        # a softmax's weights sum to 1 within γ_{2n+4} (exp, the sum, the division) + γ_n
        n = m.shape[-1]
        assert_within(m.sum(-1), torch.ones(m.shape[:-1]), gamma(2 * n + 4, m.dtype) + gamma(n, m.dtype))


def test_dropout_only_in_training_mode():
    model = small(dropout=0.5)
    x = tokens(2, 12, 11)
    model.train()
    assert not torch.equal(model(x), model(x))
    model.eval()
    assert torch.equal(model(x), model(x))


# --- weight tying and initialisation -------------------------------------------------------

def test_tying_shares_one_parameter():
    model = small()
    assert model.head.weight is model.embedding.weight
    assert model.head.weight.data_ptr() == model.embedding.weight.data_ptr()
    assert sum(p.numel() for p in model.parameters()) == parameter_count(11, 12, 16, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    before = model.embedding.weight.detach().clone()
    sequence = tokens(2, 12, 11)
    F.cross_entropy(model(sequence).flatten(0, 1), sequence.flatten()).backward()
    optimizer.step()
    assert not torch.equal(model.embedding.weight, before) and torch.equal(model.head.weight, model.embedding.weight)
    copy = small(seed=1)
    copy.load_state_dict(model.state_dict())               # the tie survives a state-dict round trip
    assert copy.head.weight is copy.embedding.weight and torch.equal(copy.head.weight, model.head.weight)
    untied = small(tie_embeddings=False)
    assert untied.head.weight is not untied.embedding.weight
    assert untied.head.weight.data_ptr() != untied.embedding.weight.data_ptr()


def test_gpt_initialisation():
    torch.manual_seed(0)
    model = GPT(500, 64, 64, 4, 3)
    residual = 0.02 / math.sqrt(2 * 3)

    def near(weight, std):     # the sample std of n Gaussian draws: standard error std/√(2n); 5 of them
        return abs(weight.std().item() - std) < 5 * std / math.sqrt(2 * weight.numel())

    assert near(model.embedding.weight, 0.02) and near(model.positional.weight, 0.02)
    for layer in model.layers:
        attention, ffw = layer.self_attention.attention, layer.feed_forward
        assert near(attention.in_proj_weight, 0.02) and near(attention.out_proj.weight, residual)
        assert near(ffw.linear1.weight, 0.02) and near(ffw.linear2.weight, residual)
        for bias in (attention.in_proj_bias, attention.out_proj.bias, ffw.linear1.bias, ffw.linear2.bias):
            assert torch.equal(bias, torch.zeros_like(bias))
        assert torch.equal(layer.self_attention.norm.weight, torch.ones(64))
    # with small weights, the initial prediction is close to uniform
    with torch.no_grad():
        p = torch.softmax(model(tokens(2, 64, 500)), dim=-1)
    assert (p.amax(-1) < 5 / 500).all()


# --- generation ------------------------------------------------------------------------------

def test_generate_respects_the_context_and_keeps_the_prompt():
    model = small()
    lengths = []
    handle = model.register_forward_pre_hook(lambda m, args: lengths.append(args[0].shape[1]))
    prompt = tokens(3, 20, 11)                             # longer than the context of 12
    out = generate(model, prompt, 15, temperature=0.8, top_k=4, generator=torch.Generator().manual_seed(0))
    handle.remove()
    assert out.shape == (3, 35) and out.dtype == torch.int64 and torch.equal(out[:, :20], prompt)
    assert len(lengths) == 15 and max(lengths) == 12
    assert out.min() >= 0 and out.max() < 11
    one = generate(model, torch.tensor([3, 1]), 5)          # a 1-D prompt
    assert one.shape == (1, 7)
    assert torch.equal(generate(model, prompt, 0), prompt)


def test_generate_is_repeatable_and_greedy_at_zero_temperature():
    model = small()
    prompt = tokens(2, 3, 11)
    first = generate(model, prompt, 10, generator=torch.Generator().manual_seed(3))
    again = generate(model, prompt, 10, generator=torch.Generator().manual_seed(3))
    assert torch.equal(first, again)
    greedy = generate(model, prompt, 10, temperature=0.0)
    top_one = generate(model, prompt, 10, top_k=1, generator=torch.Generator().manual_seed(4))
    assert torch.equal(greedy, top_one)
    x = prompt.clone()                                      # greedy by hand: argmax of the last logits
    with torch.no_grad():
        for _ in range(10):
            x = torch.cat([x, model(x[:, -12:])[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert torch.equal(greedy, x)


def test_generate_top_k_only_draws_among_the_k_best():
    model = small()
    prompt = tokens(64, 6, 11)
    out = generate(model, prompt, 1, top_k=3, temperature=5.0, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        best = model(prompt)[:, -1].topk(3, dim=-1).indices
    assert (best == out[:, -1:]).any(dim=1).all()


@pytest.mark.parametrize("temperature", [0.3, 1.0, 4.0])
def test_next_token_distribution(temperature):
    logits = torch.randn(5, 11, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    p = next_token_distribution(logits, temperature)
    assert torch.equal(p, torch.softmax(logits.float() / temperature, dim=-1))     # the same operations
    q = next_token_distribution(logits, temperature, top_k=3)
    # a softmax rounds each weight by γ_{2V+4} (exp, a sum of V terms, the division): the
    # weights sum to 1 within that and γ_V, and two softmaxes of the same 3 kept logits,
    # one with 8 exact zeros added in, agree within twice it
    assert ((q > 0).sum(-1) == 3).all()
    assert_within(q.sum(-1), torch.ones(5), gamma(2 * 11 + 4, torch.float32) + gamma(11, torch.float32))
    kept = logits.topk(3, dim=-1).indices
    assert torch.equal(q.gather(1, kept) > 0, torch.ones(5, 3, dtype=torch.bool))
    expected = torch.softmax(logits.gather(1, kept).float() / temperature, -1)
    assert_within(q.gather(1, kept), expected, 2 * gamma(2 * 11 + 4, torch.float32) * expected)
    greedy = next_token_distribution(logits, 0)
    assert torch.equal(greedy.argmax(-1), logits.argmax(-1)) and torch.equal(greedy.sum(-1), torch.ones(5))
    entropy = [-(r * r.clamp_min(1e-30).log()).sum() for r in (next_token_distribution(logits[0], s) for s in
                                                               (0.5, 1.0, 2.0))]
    assert entropy[0] < entropy[1] < entropy[2]


# --- Figure 5.8 ------------------------------------------------------------------------------

def test_figure_5_8_is_read_off_the_model():
    model = small(num_layers=3, num_heads=4)
    items, shapes = gpt_stack(model, length=5)
    names = [getattr(item, "name", None) for item in items]
    assert names[:3] == ["$0, X_1, …, X_{T-1}$", "embed", "+ pos-enc"]
    repeat = next(item for item in items if isinstance(item, diagrams.Repeat))
    assert repeat.times == 3 and [b.name for b in repeat.items] == ["causal self-att", "ffw"]
    assert repeat.items[0].hyper == "H=4"
    assert names[-3:] == ["layernorm", "fully-conn", "$\\hat P(X_1), …, \\hat P(X_T \\mid X_{<T})$"]
    assert shapes[0] == (5,) and shapes[1] == (5, 16) and shapes[-1] == (5, 11)
    diagrams.draw_stack(items, shapes)


# --- errors ----------------------------------------------------------------------------------

def test_bad_arguments():
    with pytest.raises(ValueError, match="vocab_size"):
        GPT(0, 8, 16, 2, 1)
    with pytest.raises(ValueError, match="context"):
        GPT(10, 0, 16, 2, 1)
    with pytest.raises(ValueError, match="num_layers"):
        GPT(10, 8, 16, 2, 0)
    with pytest.raises(ValueError, match="dropout"):
        GPT(10, 8, 16, 2, 1, dropout=1.0)
    with pytest.raises(TypeError, match="tie_embeddings"):
        GPT(10, 8, 16, 2, 1, tie_embeddings=1)
    with pytest.raises(ValueError, match="embed_dim"):
        GPT(10, 8, 15, 2, 1)
    with pytest.raises(ValueError, match="hidden_dim"):
        parameter_count(10, 8, 16, 1, hidden_dim=0)
    model = small()
    with pytest.raises(TypeError, match="int64"):
        model(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="more than the maximum length 12"):
        model(tokens(1, 13, 11))
    with pytest.raises(ValueError, match=r"values must be in \[0, 10\]"):
        model(torch.tensor([[0, 11]]))
    with pytest.raises(ValueError, match=r"\(N, T\)"):
        model(torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="model"):
        generate(nn.Linear(2, 2), torch.tensor([0]), 3)
    with pytest.raises(TypeError, match="prompt_ids"):
        generate(model, [0, 1], 3)
    with pytest.raises(ValueError, match="prompt_ids"):
        generate(model, torch.tensor([0, 12]), 3)
    with pytest.raises(ValueError, match="steps"):
        generate(model, torch.tensor([0]), -1)
    for temperature in (-0.1, float("nan"), float("inf"), True):
        with pytest.raises(ValueError, match="temperature"):
            generate(model, torch.tensor([0]), 3, temperature=temperature)
    for top_k in (0, 12, 2.0):
        with pytest.raises(ValueError, match="top_k"):
            generate(model, torch.tensor([0]), 3, top_k=top_k)
    with pytest.raises(TypeError, match="generator"):
        generate(model, torch.tensor([0]), 3, generator=0)
    with pytest.raises(TypeError, match="logits"):
        next_token_distribution(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="GPT"):
        parameter_breakdown(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="length"):
        gpt_stack(model, length=13)


# --- the corpus ------------------------------------------------------------------------------

def test_corpus():
    text = corpus()
    assert 4_000 < len(text.split()) < 4_400 and len(paragraphs()) == 57
    assert set(text) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n.,;:?!'-()")
    train, validation = split(6)
    assert set(validation) <= set(train)                   # a character tokenizer of the training text suffices
    assert len(validation.split("\n\n")) == 57 // 6 and len(train.split("\n\n")) == 57 - 57 // 6
    assert validation.split("\n\n")[0] == paragraphs()[5]
    for paragraph in validation.split("\n\n"):
        assert paragraph.strip() not in train
    with pytest.raises(ValueError, match="every"):
        split(1)
