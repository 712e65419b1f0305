"""BERT (lbdl_book.models.bert): the exact parameter count of BERT-base on the meta device,
derived by hand; a BERT layer against torch.nn.TransformerEncoderLayer with the same
weights; bidirectional versus causal attention; BERT's masking recipe; the masked loss.

Tolerances. A post-norm layer is compared with PyTorch's in float64: the same function
with differently ordered sums, so the difference is within a few γ_n of the magnitudes
(`_bounds.chain`, stages read off the layer). Statistical checks of the masking recipe
allow 5 standard errors of a binomial proportion.
"""

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from _bounds import chain, chain_sizes
from lbdl_book.models.bert import (BERT, BERT_BASE, IGNORE, BertLayer, MaskedLanguageModel, bert_base, fill_in,
                                   mask_tokens, masked_cross_entropy, parameter_count, text_models)


def test_bert_base_count_on_meta_device():
    with torch.device("meta"):
        model = bert_base()
    assert all(p.device.type == "meta" for p in model.parameters())
    count = sum(p.numel() for p in model.parameters())
    # By hand, as in google-research/bert's modeling.py and Hugging Face's BertModel:
    v, positions, types, h, ffn, layers = 30_522, 512, 2, 768, 3_072, 12
    embeddings = (v + positions + types) * h + 2 * h                 # word, position, token-type tables + LayerNorm
    attention = 4 * (h * h + h)                                      # query, key, value, output dense with biases
    feed_forward = (h * ffn + ffn) + (ffn * h + h)                   # intermediate and output dense
    norms = 2 * 2 * h                                                # attention-output and output LayerNorms
    pooler = h * h + h
    by_hand = embeddings + layers * (attention + feed_forward + norms) + pooler
    assert attention + feed_forward + norms == 7_087_872
    assert count == by_hand == 109_482_240
    assert parameter_count(v, positions, h, layers, ffn, types) == count
    assert parameter_count(v, positions, h, layers, ffn, types, pooler=False) == count - pooler
    assert BERT_BASE["num_heads"] == 12 and h // BERT_BASE["num_heads"] == 64


@pytest.mark.parametrize("options", [dict(), dict(type_vocab_size=0, pooler=False), dict(hidden_dim=24, norm_first=True),
                                     dict(causal=True, type_vocab_size=3)])
def test_parameter_count_matches_the_object(options):
    model = BERT(vocab_size=13, max_len=9, dim=8, num_heads=2, num_layers=3, **options)
    formula = parameter_count(13, 9, 8, 3, options.get("hidden_dim"), options.get("type_vocab_size", 2),
                              options.get("pooler", True))
    assert sum(p.numel() for p in model.parameters()) == formula


@pytest.mark.parametrize("norm_first", [False, True])
def test_layer_equals_torch_encoder_layer(norm_first):
    torch.manual_seed(0)
    ours = BertLayer(16, 4, 40, norm_first=norm_first).double()
    reference = nn.TransformerEncoderLayer(16, 4, 40, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=norm_first).double()
    renaming = {"self_attn": "self_attention.attention", "norm1": "self_attention.norm",
                "linear1": "feed_forward.linear1", "linear2": "feed_forward.linear2", "norm2": "feed_forward.norm"}
    state = {}
    for key, value in reference.state_dict().items():
        prefix = key.split(".")[0]
        state[renaming[prefix] + key[len(prefix):]] = value
    ours.load_state_dict(state)
    x = torch.randn(3, 7, 16, dtype=torch.float64)
    expected = reference(x)
    stages, n = chain_sizes(reference, x)
    assert (ours(x) - expected).abs().max() <= chain(expected, stages=stages, terms=n)


def test_bidirectional_versus_causal():
    torch.manual_seed(0)
    tokens = torch.randint(10, (2, 8))
    changed = tokens.clone()
    changed[:, 5] = (changed[:, 5] + 1) % 10
    for causal in (False, True):
        model = BERT(10, 8, 16, 2, 2, causal=causal).eval()
        with torch.no_grad():
            before, after = model(tokens), model(changed)
        # Positions 0-4 only see position 5 in the bidirectional model: exactly unchanged when causal.
        if causal:
            assert torch.equal(before[:, :5], after[:, :5])
        else:
            assert (before[:, :5] - after[:, :5]).abs().min() > 0
        assert (before[:, 5:] - after[:, 5:]).abs().max() > 0


def test_segments_and_pooler():
    torch.manual_seed(0)
    model = BERT(10, 8, 16, 2, 1).eval()
    tokens = torch.randint(10, (2, 6))
    with torch.no_grad():
        default, zeros = model(tokens), model(tokens, torch.zeros_like(tokens))
        ones = model(tokens, torch.ones_like(tokens))
        pooled = model.pool(default)
    assert torch.equal(default, zeros) and not torch.equal(default, ones)
    assert pooled.shape == (2, 16) and pooled.abs().max() <= 1
    with pytest.raises(ValueError, match="segments"):
        model(tokens, torch.full_like(tokens, 2))


def test_masked_language_model_is_tied():
    encoder = BERT(12, 8, 16, 2, 1, type_vocab_size=0, pooler=False)
    mlm = MaskedLanguageModel(encoder)
    logits = mlm(torch.randint(12, (3, 8)))
    assert logits.shape == (3, 8, 12)
    extra = sum(p.numel() for p in mlm.parameters()) - sum(p.numel() for p in encoder.parameters())
    assert extra == 16 * 16 + 16 + 2 * 16 + 12                        # transform, its LayerNorm, output bias


def test_mask_tokens_recipe():
    V, MASK = 50, 49
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(MASK, (400, 100), generator=g)          # no [MASK] in the text
    inputs, targets = mask_tokens(tokens, MASK, V, generator=torch.Generator().manual_seed(1))
    chosen = targets != IGNORE
    n = tokens.numel()

    def close(observed, p, count):                                 # 5 standard errors of a proportion
        return abs(observed - p) < 5 * math.sqrt(p * (1 - p) / count)

    assert torch.equal(targets[chosen], tokens[chosen]) and torch.equal(inputs[~chosen], tokens[~chosen])
    k = int(chosen.sum())
    assert close(k / n, 0.15, n)
    masked = (inputs == MASK) & chosen
    assert not (inputs[~chosen] == MASK).any()
    assert close(masked.sum().item() / k, 0.8, k)
    unchanged = (inputs == tokens) & chosen
    # unchanged: the 10 % kept, plus random replacements that drew the original token (1 in V − 1)
    assert close(unchanged.sum().item() / k, 0.1 + 0.1 / (V - 1), k)
    assert inputs.max() < V


def test_masked_cross_entropy():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 5, 7, generator=g)
    targets = torch.full((2, 5), IGNORE)
    targets[0, 1], targets[1, 4] = 3, 6
    expected = F.cross_entropy(torch.stack([logits[0, 1], logits[1, 4]]), torch.tensor([3, 6]))
    assert torch.allclose(masked_cross_entropy(logits, targets), expected, rtol=0, atol=8 * 2**-24 * expected.item())
    with pytest.raises(ValueError, match="targets"):
        masked_cross_entropy(logits, torch.full((2, 5), IGNORE))


def test_fill_in_shapes_and_information():
    torch.manual_seed(0)
    models = text_models(11, context=8, dim=16, num_heads=2, num_layers=1)
    windows = torch.randint(10, (4, 8))
    out = fill_in(models, windows, 10, 3)
    assert out["bidirectional"].shape == out["causal"].shape == (4, 11)
    # The causal answer at position 3 does not depend on what follows; the bidirectional one does.
    later = windows.clone()
    later[:, 5] = (later[:, 5] + 1) % 10
    again = fill_in(models, later, 10, 3)
    assert torch.equal(out["causal"], again["causal"])
    assert not torch.equal(out["bidirectional"], again["bidirectional"])
    with pytest.raises(ValueError, match="position"):
        fill_in(models, windows, 10, 8)


@pytest.mark.parametrize("causal", [False, True])
def test_fused_and_book_paths_agree(causal):
    """The model runs PyTorch's kernels by default; ``fused=False`` runs the book's layers on
    the same parameters: equal up to rounding (`_bounds.chain`, as in tests/test_fused_paths.py),
    values and gradients, float64."""
    import copy

    from lbdl_book.nn.fused import set_fused

    torch.manual_seed(3)
    fused = MaskedLanguageModel(BERT(13, 8, 16, 2, 2, causal=causal, dropout=0.0)).double()
    with torch.no_grad():                                   # non-trivial norms and biases
        for key, p in fused.named_parameters():
            if "norm" in key or "bias" in key:
                p.add_(0.1 * torch.randn(p.shape, dtype=torch.float64))
    book = set_fused(copy.deepcopy(fused), False)
    tokens = torch.randint(13, (3, 8))
    stages, terms = chain_sizes(book, tokens)
    out_book, out_fused = book(tokens), fused(tokens)
    assert (out_book - out_fused).abs().max() <= chain(out_fused, stages=stages, terms=terms).max()
    target = torch.randint(13, (3, 8))
    F.cross_entropy(out_book.flatten(0, 1), target.flatten()).backward()
    F.cross_entropy(out_fused.flatten(0, 1), target.flatten()).backward()
    fused_params = dict(fused.named_parameters())
    for key, p in book.named_parameters():
        expected = fused_params[key].grad
        if expected is None:                                # the pooler: not used by the masked-token head
            assert key.startswith("encoder.pooler") and p.grad is None, key
            continue
        assert (p.grad - expected).abs().max() <= chain(expected, stages=2 * stages + 1, terms=terms).max(), key
