"""Model merging (§8.4): task vectors, task arithmetic, TIES-merging, DARE, the evolution
search over merging coefficients, and the digit tasks of the page."""

from __future__ import annotations

import math

import pytest
import torch

from lbdl_book.models.merge import (DIGIT_TASKS, MergeDigits, add, correct, dare, digit_tasks, evolution_search,
                                    layer_names, negate, task_accuracies, task_vector, ties_merge,
                                    train_digit_models)
from lbdl_book.models.mlp import MLP

U32 = 2.0 ** -24                       # float32 unit roundoff


def state(**entries):
    return {k.replace("_", "."): torch.tensor(v, dtype=torch.float32) for k, v in entries.items()}


# --- task vectors and arithmetic ----------------------------------------------------------------

def test_task_vector_known_values_and_exact_rebuild():
    base = state(a_weight=[[1.0, 2.0], [0.5, -1.0]], a_bias=[0.25, 0.0])
    tuned = state(a_weight=[[1.5, 1.0], [0.5, -0.75]], a_bias=[0.0, 2.0])
    tau = task_vector(tuned, base)
    assert torch.equal(tau["a.weight"], torch.tensor([[0.5, -1.0], [0.0, 0.25]]))
    assert torch.equal(tau["a.bias"], torch.tensor([-0.25, 2.0]))
    rebuilt = add(base, [tau])                                   # dyadic values: every operation is exact
    assert all(torch.equal(rebuilt[k], tuned[k]) for k in base)


def test_rebuild_within_rounding_for_random_weights():
    g = torch.Generator().manual_seed(0)
    base = {"w": torch.randn(50, 40, generator=g), "b": torch.randn(40, generator=g)}
    tuned = {k: v + 0.01 * torch.randn(v.shape, generator=g) for k, v in base.items()}
    rebuilt = add(base, [task_vector(tuned, base)])
    for k in base:
        # fl(θ + fl(θ_t − θ)) − θ_t: one rounding of τ (≤ u|θ_t − θ|) and one of the sum (≤ u|result|)
        bound = U32 * (2 * tuned[k].abs() + base[k].abs()) * (1 + 4 * U32)
        assert ((rebuilt[k] - tuned[k]).abs() <= bound).all()


def test_adding_zero_vectors_is_exact_and_integer_entries_are_copied():
    base = {"w": torch.randn(3, 4), "steps": torch.tensor(7)}
    zero = {"w": torch.zeros(3, 4)}
    merged = add(base, [zero, zero], [2.5, -1.0])
    assert torch.equal(merged["w"], base["w"]) and torch.equal(merged["steps"], base["steps"])
    assert merged["w"] is not base["w"]


def test_task_vector_skips_equal_integer_buffers_and_refuses_different_ones():
    base = {"w": torch.ones(2), "n": torch.tensor(3)}
    assert list(task_vector({"w": torch.zeros(2), "n": torch.tensor(3)}, base)) == ["w"]
    with pytest.raises(ValueError, match="finetuned"):
        task_vector({"w": torch.zeros(2), "n": torch.tensor(4)}, base)


def test_add_and_negate_with_coefficients():
    base = state(l1_weight=[1.0, 1.0], l2_weight=[0.0, 0.0])
    t1, t2 = state(l1_weight=[1.0, 0.0], l2_weight=[2.0, 2.0]), state(l1_weight=[0.0, 4.0], l2_weight=[1.0, -1.0])
    merged = add(base, [t1, t2], [0.5, 0.25])
    assert torch.equal(merged["l1.weight"], torch.tensor([1.5, 2.0]))
    assert torch.equal(merged["l2.weight"], torch.tensor([1.25, 0.75]))
    same = add(base, [t1, t2], torch.tensor([0.5, 0.25]))
    assert all(torch.equal(same[k], merged[k]) for k in merged)
    per_layer = add(base, [t1, t2], torch.tensor([[1.0, 0.0], [0.0, 2.0]]))    # (T, G): rows tasks, columns layers
    assert torch.equal(per_layer["l1.weight"], torch.tensor([2.0, 1.0]))
    assert torch.equal(per_layer["l2.weight"], torch.tensor([2.0, -2.0]))
    negated = negate(base, t1, 2.0)
    assert torch.equal(negated["l1.weight"], torch.tensor([-1.0, 1.0]))
    assert torch.equal(negated["l2.weight"], torch.tensor([-4.0, -4.0]))


def test_add_minus_one_undoes_add():
    g = torch.Generator().manual_seed(1)
    base = {"w": torch.randn(20, generator=g)}
    tau = {"w": 0.1 * torch.randn(20, generator=g)}
    back = negate(add(base, [tau]), tau)
    bound = 2 * U32 * (base["w"].abs() + tau["w"].abs()) * (1 + 4 * U32)   # two roundings
    assert ((back["w"] - base["w"]).abs() <= bound).all()


def test_modules_are_accepted_and_layer_names_follow_the_mlp():
    torch.manual_seed(0)
    a, b = MLP((4, 3, 2)), MLP((4, 3, 2))
    assert layer_names(a) == ["0", "2"]
    tau = task_vector(b, a)
    merged = add(a, [tau])
    assert sorted(merged) == sorted(a.state_dict())
    assert layer_names({"w": torch.zeros(1), "x.y.z": torch.zeros(1), "x.y.b": torch.zeros(1)}) == ["w", "x.y"]


@pytest.mark.parametrize("coefficients", [[1.0], [1.0, math.nan], torch.ones(3), torch.ones(2, 5), True, "x"])
def test_bad_coefficients(coefficients):
    base = state(a_weight=[1.0], b_weight=[2.0])
    tau = state(a_weight=[1.0], b_weight=[1.0])
    with pytest.raises((ValueError, TypeError), match="coefficients"):
        add(base, [tau, tau], coefficients)


def test_layouts_must_match():
    base = state(a_weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        task_vector(state(a_weight=[1.0, 2.0, 3.0]), base)
    with pytest.raises(ValueError, match="missing"):
        add(base, [state(b_weight=[1.0, 2.0])])
    with pytest.raises(TypeError, match="sequence"):
        add(base, state(a_weight=[1.0, 2.0]))                 # one vector, not a list of them
    with pytest.raises(ValueError, match="empty"):
        add({}, [base])


# --- TIES ---------------------------------------------------------------------------------------

def test_ties_worked_by_hand():
    vectors = [{"w": torch.tensor(v)} for v in ([4.0, -1.0, 0.5, 2.0], [-3.0, 2.0, 1.0, -0.2], [1.0, 3.0, -2.0, 0.1])]
    # trimmed (2 of 4 kept): (4, 0, 0, 2), (−3, 2, 0, 0), (0, 3, −2, 0); sums (1, 5, −2, 2) → signs (+, +, −, +);
    # disjoint means: 4, (2 + 3)/2, −2, 2
    assert torch.equal(ties_merge(vectors, density=0.5)["w"], torch.tensor([4.0, 2.5, -2.0, 2.0]))


def test_ties_trims_over_the_whole_vector_and_handles_ties_in_sign():
    one = {"a": torch.tensor([1.0, -5.0]), "b": torch.tensor([0.5, 3.0])}
    merged = ties_merge([one], density=0.5)                     # keeps −5 and 3, across both entries
    assert torch.equal(merged["a"], torch.tensor([0.0, -5.0])) and torch.equal(merged["b"], torch.tensor([0.0, 3.0]))
    opposed = [{"w": torch.tensor([2.0, 1.0])}, {"w": torch.tensor([-2.0, 3.0])}]
    assert torch.equal(ties_merge(opposed, density=1.0)["w"], torch.tensor([0.0, 2.0]))   # sum 0: no sign, no value


def test_ties_at_full_density_with_agreeing_signs_is_the_mean():
    g = torch.Generator().manual_seed(2)
    vectors = [{"w": torch.rand(10, generator=g) + 0.1} for _ in range(3)]
    mean = sum(v["w"] for v in vectors) / 3
    assert torch.allclose(ties_merge(vectors, density=1.0)["w"], mean, rtol=4 * U32, atol=0)


@pytest.mark.parametrize("density", [0.0, 1.5, -0.1, math.nan])
def test_ties_bad_density(density):
    with pytest.raises(ValueError, match="density"):
        ties_merge([{"w": torch.ones(2)}], density=density)


# --- DARE ---------------------------------------------------------------------------------------

def test_dare_zero_probability_is_the_identity_and_seeds_are_reproducible():
    tau = {"w": torch.randn(100)}
    assert torch.equal(dare(tau, 0.0)["w"], tau["w"])
    assert torch.equal(dare(tau, 0.5, seed=3)["w"], dare(tau, 0.5, seed=3)["w"])
    assert not torch.equal(dare(tau, 0.5, seed=3)["w"], dare(tau, 0.5, seed=4)["w"])


def test_dare_drops_a_fraction_p_and_rescales_the_rest():
    p, n = 0.9, 200_000
    tau = {"w": torch.full((n,), 2.0)}
    out = dare(tau, p, seed=0)["w"]
    kept = out != 0
    assert torch.equal(out[kept], torch.full((int(kept.sum()),), 2.0 / (1 - p)))
    # the kept count is Binomial(n, 1 − p): within 5 standard errors
    assert abs(kept.float().mean().item() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)


def test_dare_preserves_the_expectation():
    p, draws = 0.7, 2000
    tau = {"w": torch.tensor([1.0, -3.0, 0.25, 10.0])}
    mean = sum(dare(tau, p, seed=s)["w"] for s in range(draws)) / draws
    # each draw: τ/(1 − p) with probability 1 − p, else 0 → variance τ² p/(1 − p); 5 standard errors of the mean
    se = tau["w"].abs() * math.sqrt(p / (1 - p) / draws)
    assert ((mean - tau["w"]).abs() < 5 * se).all()


@pytest.mark.parametrize("p", [1.0, -0.1, 2.0])
def test_dare_bad_probability(p):
    with pytest.raises(ValueError, match="p"):
        dare({"w": torch.ones(2)}, p)


# --- evolution search ---------------------------------------------------------------------------

def test_evolution_search_finds_the_top_of_a_quadratic():
    target = torch.tensor([0.7, -0.3, 1.2], dtype=torch.float64)
    result = evolution_search(lambda x: -((x - target) ** 2).sum().item(), [0.0, 0.0, 0.0], sigma=0.5,
                              generations=40, population=20, elite=5, seed=0)
    assert (result.best - target).abs().max() < 0.05
    assert result.evaluations == 1 + 40 * 20
    assert result.history[0] == result.initial_score == -(target ** 2).sum().item()
    assert all(b >= a for a, b in zip(result.history, result.history[1:]))     # best so far never drops
    assert result.best_score == result.history[-1]


def test_evolution_search_respects_bounds_and_never_loses_the_start():
    seen = []

    def objective(x):
        seen.append(x.clone())
        return -abs(x.sum().item())                       # the start (all zeros) is the optimum

    result = evolution_search(objective, torch.zeros(4), sigma=1.0, generations=5, population=8, low=-0.5,
                              high=0.25, seed=1)
    assert result.best_score == 0.0 and torch.equal(result.best, torch.zeros(4, dtype=torch.float64))
    assert all(((x >= -0.5) & (x <= 0.25)).all() for x in seen)
    again = evolution_search(objective, torch.zeros(4), sigma=1.0, generations=5, population=8, low=-0.5,
                             high=0.25, seed=1)
    assert torch.equal(again.best, result.best) and again.history == result.history


def test_evolution_search_bad_inputs():
    with pytest.raises(ValueError, match="elite"):
        evolution_search(lambda x: 0.0, [0.0], population=2, elite=3)
    with pytest.raises(ValueError, match="low"):
        evolution_search(lambda x: 0.0, [0.0], low=1.0, high=0.0)
    with pytest.raises(TypeError, match="objective"):
        evolution_search(lambda x: "bad", [0.0])
    with pytest.raises(TypeError, match="initial"):
        evolution_search(lambda x: 0.0, [])


# --- the digit tasks ----------------------------------------------------------------------------

def test_digit_tasks_split():
    data = digit_tasks()
    assert isinstance(data, MergeDigits)
    assert len(data.base[0]) == 150 and len(data.validation[0]) == 300 and len(data.test[0]) == 500
    assert sum(len(x) for x, _ in data.tasks.values()) == 1297 - 150 - 300
    for name, (x, y) in data.tasks.items():
        assert x.shape[1] == 64 and set(y.tolist()) == set(DIGIT_TASKS[name])
    assert set(data.base[1].tolist()) == set(range(10))
    with pytest.raises(ValueError, match="base_size"):
        digit_tasks(1000, 300)


def test_correct_and_task_accuracies_on_a_known_model():
    model = MLP((2, 3))                                   # logits = x Wᵀ + b
    weights = {"0.weight": torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), "0.bias": torch.zeros(3)}
    before = {k: v.clone() for k, v in model.state_dict().items()}
    images = torch.tensor([[2.0, 0.0], [0.0, 2.0], [-1.0, -1.0], [3.0, 1.0]])   # predicted 0, 1, 2, 0
    labels = torch.tensor([0, 1, 1, 2])
    assert correct(model, weights, images, labels).tolist() == [True, True, False, False]
    acc = task_accuracies(model, weights, images, labels, {"a": [0, 1], "b": [2]})
    assert acc == {"a": pytest.approx(2 / 3), "b": 0.0}
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())   # the model's weights untouched
    with pytest.raises(ValueError, match="task"):
        task_accuracies(model, weights, images, labels, {"c": [7]})


def test_train_digit_models_quick():
    data = digit_tasks()
    model, base, finetuned = train_digit_models(data, seed=0, hidden=8, base_epochs=1, finetune_epochs=1)
    assert sum(p.numel() for p in model.parameters()) == 64 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10
    assert sorted(finetuned) == sorted(DIGIT_TASKS)
    assert all(torch.equal(v, base[k]) for k, v in model.state_dict().items())
    for tuned in finetuned.values():
        assert any(not torch.equal(tuned[k], base[k]) for k in base)
    with pytest.raises(TypeError, match="data"):
        train_digit_models((1, 2))
