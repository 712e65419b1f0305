"""§7.1 RLHF (lbdl_book/models/rlhf.py): the toy language and its hidden score on hand-made
answers, the masks and log-probabilities against a direct computation, the reward model's
shapes and parameter count, the Bradley–Terry loss against PyTorch's binary
cross-entropy, the noisy rater's statistics, and the RL loop (baseline, KL at step 0,
that it raises the reward)."""

import copy
import math

import pytest
import torch
import torch.nn.functional as F

from lbdl_book.models.gpt import parameter_count
from lbdl_book.models.rlhf import (LENGTH, POLICY, VOCAB, RewardModel, answer_mask, bradley_terry_loss,
                                   demonstrations, encode, pair_accuracy, policy_gpt, questions, rate_pairs, render,
                                   sample_answers, score_parts, sequence_log_probs, train_rlhf, true_score,
                                   web_answers)


@pytest.mark.parametrize("text, score", [
    ("3 ? 4 thanks .", 1.5),                     # right, polite, 2 words
    ("3 ? 4 .", 1.0),
    ("3 ? 5 thanks .", 0.5),                     # wrong digit
    ("3 ? ugh 4 .", 0.0),                        # rude
    ("3 ? um well 4 thanks .", 0.5 + 1.0 - 0.5), # 4 words: −0.25 × 2
    ("3 ? thanks 5 4 .", 0.5 - 0.25),            # the FIRST digit counts
    ("9 ? 0 .", 1.0),                            # (9 + 1) mod 10
    ("3 ? .", 0.0),
    ("3 ? 4 4 4 4 4 4 4 4", 1.0 - 0.25 * 6),     # no end: 8 words
])
def test_true_score_on_hand_made_answers(text, score):
    assert true_score(encode(text)).item() == pytest.approx(score, abs=1e-6)


def test_encode_render_round_trip_and_masks():
    x = encode("3 ? um 4 .")
    assert x.shape == (1, LENGTH) and render(x) == ["3 ? um 4 ."]
    assert answer_mask(x)[0].tolist() == [False] * 3 + [True] * 3 + [False] * (LENGTH - 6)
    full = encode("3 ? 4 4 4 4 4 4 4 4")                       # no ".": the whole answer
    assert answer_mask(full)[0, 3:].all()
    parts = score_parts(torch.cat([x, full]))
    assert parts["right"] == 1.0 and parts["length"] == (2 + 8) / 2 and parts["digits"] == (1 + 8) / 2
    with pytest.raises(ValueError, match="text"):
        encode("3 ? 4 lol .")


def test_data_generators():
    web, demos = web_answers(3000, seed=0), demonstrations(500, seed=0)
    assert web.shape == (3000, LENGTH) and demos.shape == (500, LENGTH)
    assert torch.equal(web, web_answers(3000, seed=0))             # seeded
    assert (web[:, 0] == VOCAB.index("<s>")).all() and (web[:, 2] == VOCAB.index("?")).all()
    assert (answer_mask(web) & (web == VOCAB.index("."))).sum(1).eq(1).all()   # every answer ends with "."
    digits = ((web < 10) & (torch.arange(LENGTH) >= 3)).sum(1)
    assert digits.max() == 1                                       # never two digits on the web
    se = math.sqrt(0.25 / 3000)
    assert abs(score_parts(web)["rude"] - 0.2) < 4 * se            # ugh with probability 0.2
    assert abs(score_parts(web)["right"] - 0.85 * 0.6) < 4 * se
    assert score_parts(demos)["right"] == 1.0 and abs(score_parts(demos)["polite"] - 0.5) < 4 * math.sqrt(0.25 / 500)


def test_policy_and_reward_model_shapes_and_parameters():
    model = policy_gpt(0)
    n = parameter_count(len(VOCAB), POLICY["context"], POLICY["dim"], POLICY["num_layers"])
    assert sum(p.numel() for p in model.parameters()) == n == 26_368
    rm = RewardModel()
    assert sum(p.numel() for p in rm.parameters()) == n + POLICY["dim"] + 1
    pairs = torch.stack([web_answers(6, seed=1), web_answers(6, seed=2)], 1)
    assert rm(pairs).shape == (6, 2) and rm(pairs[:, 0]).shape == (6,)
    # the reward is the sum of the token scores over the answer: padding after "." adds nothing
    scores = rm.token_scores(pairs[:, 0])
    assert torch.equal(scores[~answer_mask(pairs[:, 0])], torch.zeros_like(scores[~answer_mask(pairs[:, 0])]))
    assert torch.allclose(scores.sum(1), rm(pairs[:, 0]))


def test_sequence_log_probs_against_a_direct_computation():
    torch.manual_seed(0)
    model = policy_gpt(3).double()
    tokens = sample_answers(model, questions(5, seed=2), seed=4)
    log_p = sequence_log_probs(model, tokens)
    mask = answer_mask(tokens)
    for i in range(5):
        expected = 0.0
        for t in range(3, LENGTH):
            if mask[i, t]:
                logits = model(tokens[i:i + 1, :t])[0, -1]
                expected += torch.log_softmax(logits, -1)[tokens[i, t]].item()
        assert log_p[i].sum().item() == pytest.approx(expected, abs=LENGTH * 1e-12)


def test_sampling_is_seeded_and_padded():
    model = policy_gpt(1)
    q = questions(50, seed=0)
    a, b = sample_answers(model, q, seed=7), sample_answers(model, q, seed=7)
    assert torch.equal(a, b) and torch.equal(a[:, :3], q)
    end = VOCAB.index(".")
    after = ~answer_mask(a) & (torch.arange(LENGTH) >= 3)
    assert (a[after] == end).all()


def test_bradley_terry_loss_is_binary_cross_entropy_of_the_margin():
    torch.manual_seed(0)
    r = torch.randn(20, 2, dtype=torch.float64)
    w = torch.randint(0, 2, (20,))
    margin = r[:, 0] - r[:, 1]
    expected = F.binary_cross_entropy_with_logits(margin, (w == 0).double())
    assert bradley_terry_loss(r, w).item() == pytest.approx(expected.item(), abs=20 * 2**-52)
    assert pair_accuracy(r, w) == ((margin > 0) == (w == 0)).double().mean().item()
    with pytest.raises(ValueError, match="winner"):
        bradley_terry_loss(r, torch.full((20,), 2))


def test_rater_follows_bradley_terry_on_the_true_score():
    good, bad = encode("3 ? 4 thanks ."), encode("3 ? 5 .")          # s* = 1.5 and 0
    n = 4000
    pairs = torch.stack([good.repeat(n, 1), bad.repeat(n, 1)], 1)
    winners = rate_pairs(pairs, tau=0.5, seed=0)
    p = torch.sigmoid(torch.tensor(1.5 / 0.5)).item()
    assert abs((winners == 0).float().mean().item() - p) < 4 * math.sqrt(p * (1 - p) / n)


def test_rl_step_zero_kl_and_reward_rises():
    """At step 0 the policy is the reference: the KL estimate is exactly 0. A few steps
    against a reward that counts 'thanks' make the policy say it more often."""
    torch.manual_seed(0)
    reference = policy_gpt(5)

    class Thanks(torch.nn.Module):
        def forward(self, tokens):
            return ((tokens == VOCAB.index("thanks")) & answer_mask(tokens)).sum(1).float()

    policy = copy.deepcopy(reference)
    run = train_rlhf(policy, reference, Thanks(), beta=0.0, steps=40, batch_size=64, answers_per_question=4,
                     lr=1e-2, seed=0)
    assert run.kl[0] == 0.0 and len(run.reward) == 40
    first, last = sum(run.reward[:5]) / 5, sum(run.reward[-5:]) / 5
    assert last > first + 0.5
    with pytest.raises(ValueError, match="batch_size"):
        train_rlhf(policy, reference, Thanks(), beta=0.0, steps=1, batch_size=10, answers_per_question=4)
