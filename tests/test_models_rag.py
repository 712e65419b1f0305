"""Retrieval-augmented generation (lbdl_book.models.rag, §8.1): BM25 equals rank-bm25's
BM25Okapi, recall@k, the dual encoder, the generator's data and the shipped generator."""

import math

import numpy as np
import pytest
import torch

from lbdl_book.models import rag

rank_bm25 = pytest.importorskip("rank_bm25")     # test-only oracle, pinned: rank-bm25==0.2.2


@pytest.fixture(scope="module")
def world():
    return rag.rag_world()


def test_bm25_equals_rank_bm25_on_the_book_store_and_on_a_small_corpus(world):
    corpus = [d.split() for d in world.documents]
    questions, _ = world.questions(world.test_facts + world.train_facts[:8])
    reference = rank_bm25.BM25Okapi(corpus)
    for q in questions:
        ours, theirs = rag.bm25_scores(q.split(), corpus).numpy(), reference.get_scores(q.split())
        # float64, a sum of ≤ 8 terms of a few operations each: off by a few units of 2**-53 of the largest
        assert np.abs(ours - theirs).max() <= 64 * 2.0 ** -53 * max(1.0, np.abs(theirs).max())
    small = [["a", "b", "a"], ["b", "c"], ["a", "a", "a", "d"], ["e"]]       # "a" in 2 of 4: idf 0; "b" too
    for k1, b in ((1.5, 0.75), (1.2, 0.5), (2.0, 1.0)):
        reference = rank_bm25.BM25Okapi(small, k1=k1, b=b)
        for q in (["a"], ["a", "a", "c"], ["e", "d", "z"], ["b"]):
            assert np.allclose(rag.bm25_scores(q, small, k1=k1, b=b).numpy(), reference.get_scores(q),
                               rtol=64 * 2.0 ** -53, atol=64 * 2.0 ** -53)


def test_bm25_by_hand():
    docs = [["x", "y"], ["y"], ["z", "z", "y"]]
    # idf(x) = ln((3 − 1 + ½)/(1 + ½)); the one document holding x has length 2 = the mean length
    expected = math.log(2.5 / 1.5) * 1 * 2.5 / (1 + 1.5)
    assert rag.bm25_scores(["x"], docs)[0].item() == pytest.approx(expected, rel=1e-15)
    with pytest.raises(ValueError):
        rag.bm25_scores(["x"], [])


def test_recall_at_k():
    scores = torch.tensor([[0.9, 0.1, 0.5], [0.2, 0.3, 0.1], [0.1, 0.2, 0.3]])
    right = torch.tensor([0, 0, 0])
    assert rag.recall_at_k(scores, right, 1) == pytest.approx(1 / 3)
    assert rag.recall_at_k(scores, right, 2) == pytest.approx(2 / 3)
    assert rag.recall_at_k(scores, right, 3) == 1.0
    with pytest.raises(ValueError):
        rag.recall_at_k(scores, right, 0)


def test_world_documents_questions_and_encoding(world):
    assert len(world.documents) == 2 * len(world.countries) == 256
    assert set(world.train_facts).isdisjoint(world.test_facts)
    questions, right = world.questions([world.test_facts[0]])
    f = world.test_facts[0]
    assert right == [2 * f] * 3 and all(world.countries[f] in q for q in questions)
    assert world.capitals[f] in world.documents[2 * f] and world.countries[f] in world.documents[2 * f + 1]
    rows = world.encode(questions, 8)
    assert rows.shape == (3, 8) and rows[0, -1] == 0 and (rows[2] != 0).all()     # 7 and 8 words
    with pytest.raises(ValueError):
        world.encode(questions, 2)


def test_dual_encoder_untrained_is_a_bag_of_words_cosine(world):
    encoder = rag.DualEncoder(len(world.vocab))
    tokens = world.encode(list(world.documents[:4]), 8)
    q, d = encoder.queries(tokens), encoder.documents(tokens)
    assert torch.allclose(q, d) and torch.allclose(q.norm(dim=1), torch.ones(4))
    scorer = rag.InfoNCEScorer(encoder, tokens)
    assert scorer(tokens).shape == (4, 4)


def test_generator_data_never_states_a_true_fact_and_targets_the_answer(world):
    inputs, targets = rag.generator_data(world, 200, 3, 48, seed=1)
    assert inputs.shape == targets.shape == (200, 48)
    assert ((targets != 0).sum(1) == 1).all()
    arrow = world.vocab.index("→")
    position = (targets != 0).float().argmax(1)
    assert (inputs[torch.arange(200), position] == arrow).all()
    capital_of = {world.vocab.index(c): i for i, c in enumerate(world.capitals)}
    country_of = {world.vocab.index(c): i for i, c in enumerate(world.countries)}
    answers = targets[torch.arange(200), position]
    askers = []
    for row, p in zip(inputs.tolist(), position.tolist()):
        askers.append(next(country_of[w] for w in reversed(row[:p]) if w in country_of))
    assert all(capital_of[a] != c for a, c in zip(answers.tolist(), askers))


def test_prompts_put_the_best_document_last(world):
    prompt = rag.rag_prompts(world, ["which city governs X ?"], [[0, 1]])[0]
    assert prompt == f"{world.documents[1]} {world.documents[0]} which city governs X ? →"


def test_attention_flops():
    assert rag.attention_flops(10, 4) == 2 * 100 * 4 + 4 * 10 * 16


def test_shipped_generator_answers_from_its_context(world):
    model = rag.rag_generator()
    questions, right = world.questions(world.test_facts)
    answers = [world.capitals[r // 2] for r in right]
    oracle = rag.answer_accuracy(model, world, rag.rag_prompts(world, questions, [[r] for r in right]), answers, 48)
    none = rag.answer_accuracy(model, world, rag.rag_prompts(world, questions, [[] for _ in right]), answers, 48)
    n, chance = len(questions), 1 / len(world.capitals)
    assert oracle.float().mean() > 0.8
    assert none.sum() <= n * chance + 4 * (n * chance * (1 - chance)) ** 0.5     # chance + 4 binomial sd
