"""lbdl_book.models.cot: the arithmetic problems of §8.1 and the chain-of-thought demo."""

import pytest
import torch

from lbdl_book.models import cot
from lbdl_book.models.gpt import GPT


def test_problems_are_right():
    g = torch.Generator().manual_seed(0)
    for steps in range(1, cot.MAX_STEPS + 1):
        prompt, values = cot.problems(200, steps, g)
        assert prompt.shape == (200, 2 * steps + 2) and values.shape == (200, steps)
        assert (prompt[:, -1] == cot.EQUALS).all()
        value = prompt[:, 0].clone()
        for i in range(steps):                                  # recompute the chain from the prompt
            sign = torch.where(prompt[:, 1 + 2 * i] == cot.PLUS, 1, -1)
            assert set(prompt[:, 1 + 2 * i].tolist()) <= {cot.PLUS, cot.MINUS}
            value = value + sign * prompt[:, 2 + 2 * i]
            assert torch.equal(value, values[:, i])
        assert values.min() >= 0 and values.max() < cot.NUMBERS  # every value is a number token


def test_training_sets_share_the_problems_and_differ_in_targets():
    (xd, yd), (xc, yc) = (cot.training_set(300, c, torch.Generator().manual_seed(1)) for c in (False, True))
    assert xd.shape == xc.shape == (300, 3 * cot.MAX_STEPS + 1)
    for row in range(300):
        eq = (xc[row] == cot.EQUALS).nonzero().item()
        assert torch.equal(xd[row, :eq + 1], xc[row, :eq + 1])   # same prompt
        steps = eq // 2
        assert (yd[row] != -100).sum() == 1 and (yc[row] != -100).sum() == steps
        assert yd[row, eq] == yc[row, eq + steps - 1]            # the same final answer
        assert torch.equal(xc[row, eq + 1:eq + steps], yc[row, eq:eq + steps - 1])  # teacher forcing


def test_answer_lengths_and_accuracy_of_an_oracle():
    model = GPT(cot.VOCAB, **cot.CONFIG)
    prompt, _ = cot.problems(5, 3)
    assert cot.answer(model, prompt, cot=True).shape == (5, prompt.shape[1] + 3)
    assert cot.answer(model, prompt, cot=False).shape == (5, prompt.shape[1] + 1)
    assert 0 <= cot.accuracy(model, 3, cot=True, n=20) <= 1


def test_decode():
    assert cot.decode([27, cot.PLUS, 3, cot.MINUS, 5, cot.EQUALS]) == "27 + 3 - 5 ="
    with pytest.raises(ValueError, match="tokens"):
        cot.decode([99])


def test_chain_of_thought_helps_one_seed():
    # One seed of the page's experiment: the chain-of-thought model beats the direct one on 4-step problems by more
    # than 3 binomial standard errors of the difference (500 problems each).
    acc = {c: cot.accuracy(cot.train(c, seed=0), 4, c) for c in (False, True)}
    se = ((acc[True] * (1 - acc[True]) + acc[False] * (1 - acc[False])) / 500) ** 0.5
    assert acc[True] - acc[False] > 3 * se
