"""Decoding strategies (§7.1, beyond LBDL) and the corpus of facts: top-p, top-k,
temperature, greedy, beam search against an exhaustive search, log-likelihood, distinct-n."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from _bounds import gamma
from lbdl_book.data.facts import FORWARD, REVERSE, TEMPLATES, facts
from lbdl_book.models.decoding import beam_search, distinct_n, greedy, log_likelihood
from lbdl_book.models.gpt import GPT, generate, next_token_distribution


class TableLM(GPT):
    """A hand-made language model: the next-token log-probabilities of a prefix are given
    by ``table(prefix) -> list of V probabilities`` (a GPT whose forward is replaced)."""

    def __init__(self, vocab_size: int, context: int, table):
        super().__init__(vocab_size, context, dim=2, num_heads=1, num_layers=1)
        self.table = table

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        rows = [[self.table(tuple(row[:t + 1].tolist())) for t in range(tokens.shape[1])] for row in tokens]
        return torch.tensor(rows, dtype=torch.float64).log().float()


def trap(prefix):
    """After the start token 0: token 1 (0.6) then a flat distribution (best 0.4), or token
    2 (0.4) then token 0 with 0.9. Greedy takes 1 then gets 0.6 · 0.4 = 0.24; the best
    sequence is 2, 0 with 0.4 · 0.9 = 0.36."""
    if len(prefix) == 1:
        return [0.0 + 1e-9, 0.6, 0.4 - 1e-9]
    if prefix[1] == 1:
        return [0.4, 0.3, 0.3]
    if prefix[1] == 2:
        return [0.9, 0.05, 0.05]
    return [1 / 3] * 3


def random_table(vocab: int, seed: int):
    def table(prefix):
        code = sum((t + 1) * (vocab + 1) ** i for i, t in enumerate(prefix))
        g = torch.Generator().manual_seed(seed * 1_000_003 + code)
        return torch.softmax(2 * torch.randn(vocab, generator=g, dtype=torch.float64), 0).tolist()
    return table


def small_gpt(context=6, vocab=9, seed=0):
    torch.manual_seed(seed)
    return GPT(vocab, context, dim=8, num_heads=2, num_layers=1).eval()


# --- top-p, top-k, temperature ------------------------------------------------------------------

@pytest.mark.parametrize("top_p, kept", [(0.3, [0]), (0.5, [0]), (0.6, [0, 1]), (0.75, [0, 1]), (0.76, [0, 1, 2]),
                                         (0.875, [0, 1, 2]), (0.9, [0, 1, 2, 3]), (1.0, [0, 1, 2, 3])])
def test_top_p_keeps_the_smallest_set_that_reaches_p(top_p, kept):
    # probabilities 1/2, 1/4, 1/8, 1/8 (exact in binary); the set must reach p, not exceed it
    logits = torch.tensor([0.5, 0.25, 0.125, 0.125]).log()
    p = next_token_distribution(logits, top_p=top_p)
    assert (p > 0).nonzero().flatten().tolist() == kept
    mass = sum([0.5, 0.25, 0.125, 0.125][i] for i in kept)
    # kept probabilities are renormalised: a division and a sum of ≤ 4 terms, γ_5 relative
    assert torch.allclose(p[kept], torch.tensor([0.5, 0.25, 0.125, 0.125])[kept] / mass, rtol=gamma(5, torch.float32),
                          atol=0)


def test_top_p_ties_go_to_the_lower_id():
    uniform = torch.zeros(2, 4)                                      # four tokens of probability 1/4
    p = next_token_distribution(uniform, top_p=0.5)
    assert torch.equal(p, torch.tensor([[0.5, 0.5, 0.0, 0.0]] * 2))
    tie = torch.tensor([0.3, 0.4, 0.3]).log()
    assert (next_token_distribution(tie, top_p=0.5) > 0).tolist() == [True, True, False]   # 0.4, then id 0


def test_top_p_on_random_distributions_matches_its_definition():
    g = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(200, 30, generator=g)
    for top_p in (0.1, 0.5, 0.9, 0.99):
        p = next_token_distribution(logits, top_p=top_p)
        full = torch.softmax(logits, -1).double()
        kept = p > 0
        mass = (full * kept).sum(-1)
        smallest_kept = full.masked_fill(~kept, 2.0).amin(-1)
        slack = gamma(2 * 30 + 4, torch.float32)                      # the rounding of a softmax and a sum of V terms
        assert (mass >= top_p - slack).all()                         # the set reaches p ...
        assert (mass - smallest_kept < top_p + slack).all()          # ... and no smaller one does
        dropped_max = full.masked_fill(kept, -1.0).amax(-1)          # every dropped token is no more likely
        assert (dropped_max <= smallest_kept).all()
        assert torch.allclose(p.sum(-1), torch.ones(200), atol=slack)


def test_top_k_and_temperature_limits():
    logits = torch.tensor([[2.0, 1.0, 0.5, -1.0, 0.0]])
    for k in range(1, 6):
        assert int((next_token_distribution(logits, top_k=k) > 0).sum()) == k
    assert torch.equal(next_token_distribution(logits, top_k=1), next_token_distribution(logits, 0.0))
    cold = next_token_distribution(logits, 1e-3)                      # τ → 0: all the mass on the argmax
    assert cold[0, 0] == 1.0 and cold[0, 1:].sum() < 1e-30
    hot = next_token_distribution(logits, 1e6)                       # τ → ∞: uniform, within (max − min)/τ
    assert torch.allclose(hot, torch.full_like(hot, 0.2), rtol=3 * 3.0 / 1e6 + gamma(14, torch.float32), atol=0)
    both = next_token_distribution(logits, top_k=3, top_p=0.7)
    top3 = torch.softmax(logits[0, :3], 0)                           # 0.63, 0.23, 0.14: p = 0.7 needs two
    assert (both > 0).tolist() == [[True, True, False, False, False]] and top3[0] < 0.7 < top3[:2].sum()


def test_top_p_in_generate_is_backward_compatible():
    model = small_gpt()
    prompt = torch.randint(9, (4, 3), generator=torch.Generator().manual_seed(0))
    plain = generate(model, prompt, 5, 1.0, None, torch.Generator().manual_seed(1))      # positional, as before
    full = generate(model, prompt, 5, generator=torch.Generator().manual_seed(1), top_p=1.0)
    assert torch.equal(plain, full)
    tiny = generate(model, prompt, 5, generator=torch.Generator().manual_seed(1), top_p=1e-9)
    assert torch.equal(tiny, greedy(model, prompt, 5))               # p → 0 keeps the most probable token only
    with pytest.raises(ValueError, match="top_p"):
        generate(model, prompt, 1, top_p=0.0)
    with pytest.raises(ValueError, match="top_p"):
        next_token_distribution(torch.zeros(3), top_p=1.5)


# --- greedy and beam search --------------------------------------------------------------------

def exhaustive(model, prompt, steps):
    """Every continuation of ``steps`` tokens and its log-probability, computed in float64."""
    v = model.vocab_size
    best = {}
    for tail in itertools.product(range(v), repeat=steps):
        seq = prompt.tolist() + list(tail)
        best[tail] = sum(math.log(model.table(tuple(seq[:len(prompt) + i]))[t]) for i, t in enumerate(tail))
    return best


def test_beam_search_finds_the_best_sequence_where_greedy_does_not():
    model = TableLM(3, 8, trap)
    prompt = torch.tensor([0])
    scores = exhaustive(model, prompt, 2)
    optimum = max(scores, key=scores.get)
    assert optimum == (2, 0)
    g = greedy(model, prompt, 2)[0, 1:].tolist()
    assert g == [1, 0] and scores[tuple(g)] < scores[optimum]
    tokens, s = beam_search(model, prompt, 2, beam_size=2)
    assert tuple(tokens[0, 1:].tolist()) == optimum
    # float32 log-softmax of float32 logits: each term is off by a few units of the float32 roundoff
    assert abs(s[0].item() - scores[optimum]) < 2 * 8 * 2**-24 * (1 + abs(scores[optimum]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_search_is_exact_with_a_wide_beam(seed):
    v, steps = 3, 4
    model = TableLM(v, 8, random_table(v, seed))
    prompt = torch.tensor([1, 0])
    scores = exhaustive(model, prompt, steps)
    ranked = sorted(scores.values(), reverse=True)
    tokens, s = beam_search(model, prompt, steps, beam_size=v ** (steps - 1))
    tol = 2 * 8 * steps * 2**-24 * (1 + abs(ranked[0]))              # float32 log-probabilities summed over steps
    assert abs(s[0].item() - ranked[0]) < tol
    assert scores[tuple(tokens[0, 2:].tolist())] >= ranked[0] - tol
    # the B beams are the B best sequences, in order, with their exact scores
    assert torch.allclose(s.double(), torch.tensor(ranked[:len(s)], dtype=torch.float64), atol=tol, rtol=0)
    for row, score in zip(tokens, s):
        assert abs(scores[tuple(row[2:].tolist())] - score.item()) < tol


@pytest.mark.parametrize("context", [4, 6])
def test_beam_of_one_is_greedy(context):
    model = small_gpt(context=context)
    prompt = torch.randint(9, (3, 5), generator=torch.Generator().manual_seed(2))
    tokens, scores = beam_search(model, prompt, 10, beam_size=1)
    assert torch.equal(tokens[:, 0], greedy(model, prompt, 10))
    # the score is the log-likelihood of the continuation (each token seen through the same window)
    ll = log_likelihood(model, tokens[:, 0], 5).sum(1)
    assert torch.allclose(scores[:, 0], ll, rtol=0, atol=10 * 4 * 9 * 2**-24 * (1 + ll.abs().max().item()))


def test_beam_search_shapes_scores_and_padding():
    model = small_gpt()
    prompt = torch.randint(9, (2, 3), generator=torch.Generator().manual_seed(3))
    tokens, scores = beam_search(model, prompt, 4, beam_size=5)
    assert tokens.shape == (2, 5, 7) and scores.shape == (2, 5)
    assert torch.equal(tokens[:, :, :3], prompt[:, None].expand(2, 5, 3))
    assert (scores[:, :-1] >= scores[:, 1:]).all()                   # best first
    one, one_scores = beam_search(model, prompt[0], 4, beam_size=5)
    assert torch.equal(one, tokens[0]) and torch.equal(one_scores, scores[0])
    few, few_scores = beam_search(model, prompt[:1], 1, beam_size=12)  # only 9 continuations of one token
    assert torch.isfinite(few_scores[0, :9]).all() and torch.isinf(few_scores[0, 9:]).all()
    assert sorted(few[0, :9, -1].tolist()) == list(range(9))


# --- log-likelihood and distinct-n --------------------------------------------------------------

def test_log_likelihood_sees_what_generation_sees():
    model = small_gpt(context=6)
    x = torch.randint(9, (3, 15), generator=torch.Generator().manual_seed(4))
    ll = log_likelihood(model, x, 2)
    assert ll.shape == (3, 13)
    with torch.no_grad():                                             # position by position, windows of ≤ 6
        ref = torch.stack([torch.log_softmax(model(x[:, max(0, t - 6):t])[:, -1], -1).gather(1, x[:, t:t + 1])[:, 0]
                           for t in range(2, 15)], 1)
    # the same float32 computation on windows of the same tokens: exp, a sum of 9 terms, a log
    assert torch.allclose(ll, ref, rtol=0, atol=4 * gamma(2 * 9 + 4, torch.float32) * (1 + ref.abs().max().item()))
    assert (ll < 0).all()


def test_distinct_n():
    assert distinct_n(["abab", "aaaa", "abcd"], 2).tolist() == [2 / 3, 1 / 3, 1.0]
    assert distinct_n([[1, 2, 1, 2, 1]], 2).tolist() == [0.5]
    assert distinct_n([torch.tensor([3, 3, 3])], 1).tolist() == [1 / 3]
    with pytest.raises(ValueError, match="texts"):
        distinct_n(["ab"], 3)
    with pytest.raises(TypeError, match="texts"):
        distinct_n("abc", 2)


# --- the corpus of facts ------------------------------------------------------------------------

def test_facts_corpus_groups_and_held_out_phrasings():
    c = facts(paraphrase=8, reversal=4, unseen=4, seed=1)
    assert len(c.countries) == len(c.capitals) == 16
    assert len(set(c.countries) | set(c.capitals)) == 32             # all names distinct
    assert not set(c.train) & set(c.held_out)
    trained = {k for _, k in c.train if k >= 0}
    assert trained == set(range(len(TEMPLATES)))                     # every phrasing is in the training text
    for fact, template in c.held_out:
        g = c.group[fact]
        if g == "paraphrase":
            assert template == fact % len(FORWARD)
            assert {k for f, k in c.train if f == fact and k >= 0} == set(range(len(TEMPLATES))) - {template}
        elif g == "reversal":
            assert template >= len(FORWARD)
            assert {k for f, k in c.train if f == fact and k >= 0} == set(range(len(FORWARD)))
        else:
            assert not [k for f, k in c.train if f == fact and k >= 0]
    assert len(c.held_out) == 8 + 4 * len(REVERSE) + 4 * len(TEMPLATES)
    for fact in range(16):                                           # both names appear in a filler sentence
        assert {(fact, -1), (fact, -2)} <= set(c.train)
    assert c.answer(0, 0) == c.capitals[0] and c.answer(0, len(FORWARD)) == c.countries[0]
    assert c.prompt(0, 0) + " " + c.answer(0, 0) + " ." == c.sentence(0, 0)
    x = c.encode([c.sentence(0, 0), c.prompt(3, 5)], 10)
    assert x.shape == (2, 10) and x[:, 0].tolist() == [1, 1] and c.vocab[int(x[0, 6])] == c.capitals[0]
    assert facts(8, 4, 4, seed=1) == c and facts(8, 4, 4, seed=2) != c
    with pytest.raises(ValueError, match="length"):
        c.encode([c.sentence(0, 5)], 4)
    with pytest.raises(ValueError, match="group"):
        c.facts_of("other")
