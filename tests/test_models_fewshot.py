"""Few-shot prediction (LBDL §7.1): the synthetic tasks, the answer-only loss, the
previous-token head built into the GPT, the accuracy and the reference levels."""

import math

import pytest
import torch

from lbdl_book.data import fewshot as data
from lbdl_book.models import fewshot
from lbdl_book.models.gpt import GPT, parameter_count


def test_tasks_follow_their_rule_and_the_splits_are_disjoint():
    tasks = data.generate_tasks(500, examples=9, split="train", seed=0)
    assert tasks.tokens.shape == (500, 45) and tasks.tokens.dtype == torch.long
    assert torch.equal(tasks.labels, tasks.rule_labels.gather(1, tasks.shapes))      # the label is the shape's
    assert all(len(set(r)) == 4 for r in tasks.rule_labels.tolist())                 # four distinct words
    assert not data.is_test_rule(tasks.rule_labels).any()
    test = data.generate_tasks(500, split="test", seed=0)
    assert data.is_test_rule(test.rule_labels).all()
    # one rule in 8 is a test rule: over all 43,680 rules, the fraction is 1/8 to within 1 %
    rules = torch.tensor([(a, b, c, d) for a in range(16) for b in range(16) for c in range(16) for d in range(16)
                          if len({a, b, c, d}) == 4])
    assert len(rules) == 16 * 15 * 14 * 13
    assert abs(data.is_test_rule(rules).double().mean().item() - 1 / 8) < 0.01
    assert torch.equal(data.generate_tasks(5, seed=3).tokens, data.generate_tasks(5, seed=3).tokens)


def test_prompts_encode_and_decode():
    tasks = data.generate_tasks(3, examples=4, seed=1)
    prompt, answer = data.prompts(tasks, 2)
    assert prompt.shape == (3, 13) and torch.equal(prompt[:, :10], tasks.tokens[:, :10])
    assert torch.equal(prompt[:, 10:], tasks.tokens[:, 15:18]) and torch.equal(answer, tasks.tokens[:, 18])
    text = data.decode(tasks.tokens[0])
    assert torch.equal(data.encode(text), tasks.tokens[0])
    assert data.decode(data.encode("I: red disc O: " + data.LABELS[0] + ",")) == f"I: red disc O: {data.LABELS[0]},"
    with pytest.raises(ValueError, match="shots"):
        data.prompts(tasks, 4)
    with pytest.raises(ValueError, match="vocabulary"):
        data.encode("I: purple disc")


def test_answer_targets_and_loss():
    tasks = data.generate_tasks(4, examples=3, seed=2)
    inputs, targets = fewshot.answer_targets(tasks.tokens)
    assert inputs.shape == targets.shape == (4, 14)
    kept = targets != fewshot.IGNORE
    assert kept.sum() == 4 * 3 and torch.equal(targets[kept], (data.LABEL0 + tasks.labels).flatten())
    for k in range(3):
        assert torch.equal(inputs[:, fewshot.answer_position(k)], data.SHAPE0 + tasks.shapes[:, k])
    logits = torch.randn(4, 14, len(data.VOCAB), dtype=torch.float64)
    expected = torch.nn.functional.cross_entropy(logits[kept], targets[kept])
    assert torch.allclose(fewshot.answer_loss(logits, targets), expected, rtol=0, atol=1e-12)


def test_model_shape_parameters_and_previous_token_head():
    model = fewshot.fewshot_gpt(0)
    V = len(data.VOCAB)
    assert sum(p.numel() for p in model.parameters()) == parameter_count(V, 64, 64, 2) == 105_856
    tokens = data.generate_tasks(200, seed=0).tokens[:, :-1]
    assert model(tokens[:2]).shape == (2, 44, V)
    attention = model.attention_maps(tokens)[0][:, 0]              # layer 1, head 0: (N, T, T)
    previous = attention[:, torch.arange(1, 44), torch.arange(0, 43)]
    # at initialisation, most of the attention goes to the position before (a head that spread it evenly over
    # the t + 1 visible positions would give it 1/(t + 1) ≤ 1/2)
    assert previous.mean() > 0.5 and (attention[:, 1:].argmax(-1) == torch.arange(0, 43)).double().mean() > 0.5


def test_reference_levels_and_accuracy_on_a_hand_made_oracle():
    tasks = data.generate_tasks(300, seed=5)
    chance, ceiling = fewshot.reference_levels(tasks, (0, 1, 8))
    assert chance[0] == ceiling[0] == 1 / 16
    seen = (tasks.shapes[:, :1] == tasks.shapes[:, 1:2]).double().mean().item()
    assert abs(chance[1] - seen) < 1e-12                            # one example: one word, right iff same shape
    assert abs(ceiling[1] - (seen + (1 - seen) / 15)) < 1e-12       # else one of the 15 other words
    # 8 shots: the shape was seen with probability 1 − (3/4)^8; within 4 standard errors (300 tasks)
    assert abs(ceiling[8] - (1 - 0.75**8)) < 4 * math.sqrt(0.1 * 0.9 / 300) + 0.1 * 0.75**8

    class Oracle(GPT):
        """Answers with the label of the latest example of the same shape (or token 0)."""

        def forward(self, tokens):
            out = torch.zeros(*tokens.shape, self.vocab_size)
            for n, row in enumerate(tokens.tolist()):
                last = {}
                for t, token in enumerate(row):
                    if t >= 1 and data.LABEL0 <= token and data.SHAPE0 <= row[t - 1] < data.LABEL0:
                        last[row[t - 1]] = token
                    out[n, t, last.get(token, 0)] = 1.0
            return out

    oracle = Oracle(len(data.VOCAB), 64, 8, 2, 1)
    accuracy = fewshot.accuracy_by_shots(oracle, tasks, (0, 1, 8), batch_size=128)
    hits = {k: (tasks.shapes[:, :k] == tasks.shapes[:, k:k + 1]).any(1).double().mean().item() for k in (1, 8)}
    assert accuracy == {0: 0.0, 1: hits[1], 8: hits[8]}           # token 0 ("I:") is never an answer


def test_show_prompts_bolds_the_completion():
    shown = fewshot.show_prompts([("I: a <b>", "O: c", True), ("x", "y")])
    html = shown._repr_html_()
    assert "<b style='color:#1a7f37'>O: c</b>" in html and "&lt;b&gt;" in html and "<b>y</b>" in html
    assert repr(shown).splitlines() == ["I: a <b> **O: c** ✓", "x **y**"]
    with pytest.raises(ValueError, match="rows"):
        fewshot.show_prompts([("only one",)])


def test_bad_inputs():
    with pytest.raises(ValueError, match="split"):
        data.generate_tasks(3, split="valid")
    with pytest.raises(TypeError, match="model"):
        fewshot.accuracy_by_shots(torch.nn.Linear(2, 2), data.generate_tasks(2))
    with pytest.raises(ValueError, match="tokens"):
        fewshot.answer_targets(torch.zeros(2, 7, dtype=torch.long))
    with pytest.raises(ValueError, match="head"):
        fewshot.previous_token_head(fewshot.fewshot_gpt(0), head=4)
