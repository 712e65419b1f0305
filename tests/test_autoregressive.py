"""Autoregressive models of §3.2 (lbdl_book.autoregressive).

Tolerances (tests/_bounds.py). ``sequence_cross_entropy`` and ``perplexity`` compute the
same sums as PyTorch's ``F.cross_entropy`` in another order, so they agree up to
rounding: `_bounds.cross_entropy_bounds` (a log-softmax per position, a mean of N·T of
them; the gradient (softmax − one-hot)/(N·T)), and exp for the perplexity (its relative
error is the loss's absolute error, plus a rounding). Causality is tested with exact
equalities: an input that has no path to an output changes it by exactly 0. Sampling
frequencies are within 5 standard errors of the exact probabilities.
"""

import math

import pytest
import torch
import torch.nn.functional as F

import lbdl_book as lbdl
from _bounds import assert_within, cross_entropy_bounds, gamma, softmax_bounds, unit_roundoff
from lbdl_book.autoregressive import (CausalConvLM, dependency_matrix, perplexity, sample, sequence_cross_entropy,
                                      sequence_log_prob, windows)

DTYPES = [torch.float32, torch.float64]


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def model(vocab_size=7, context=3, causal=True, seed=0, dtype=torch.float32):
    torch.manual_seed(seed)
    return CausalConvLM(vocab_size, context=context, dim=8, hidden=16, causal=causal).to(dtype)


# --- the model ---------------------------------------------------------------------------

@pytest.mark.parametrize(("n", "length", "context"), [(1, 1, 1), (3, 10, 3), (2, 40, 8), (5, 4, 6)])
def test_shapes_and_parameter_count(n, length, context):
    m = model(context=context)
    tokens = torch.randint(7, (n, length), generator=generator(n))
    assert m(tokens).shape == (n, length, 7)
    # embedding (K + 1) × D, convolution D × H × context + H, readout H × K + K
    assert sum(p.numel() for p in m.parameters()) == 8 * 8 + 8 * 16 * context + 16 + 16 * 7 + 7
    assert m.unknown == 7 and m.vocab_size == 7


@pytest.mark.parametrize("context", [1, 2, 5])
def test_causal_model_ignores_the_present_and_the_future(context):
    m = model(context=context)
    tokens = torch.randint(7, (4, 12), generator=generator(1))
    with torch.no_grad():
        logits = m(tokens)
        for s in range(12):
            changed = tokens.clone()
            changed[:, s] = (changed[:, s] + 1 + torch.arange(4)) % 7          # another token at position s
            other = m(changed)
            # positions t <= s do not move at all (t is 0-based here, as s)
            assert torch.equal(other[:, :s + 1], logits[:, :s + 1])
            # the positions that see s (s < t <= s + context) do move
            seen = other[:, s + 1:s + 1 + context] != logits[:, s + 1:s + 1 + context]
            assert seen.any(dim=-1).all()
            # positions further away do not
            assert torch.equal(other[:, s + 1 + context:], logits[:, s + 1 + context:])


def test_centred_model_is_not_causal():
    m = model(context=4, causal=False)
    tokens = torch.randint(7, (2, 10), generator=generator(2))
    with torch.no_grad():
        changed = tokens.clone()
        changed[:, 5] = (changed[:, 5] + 1) % 7
        moved = (m(changed) != m(tokens)).any(dim=-1).any(dim=0)
    # the window of l_t is x_{t-2} … x_{t+1}: position 5 reaches t = 4, 5, 6, 7
    assert moved.tolist() == [False] * 4 + [True] * 4 + [False] * 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_one_pass_equals_one_pass_per_position_with_unknown_tokens(dtype):
    m = model(context=4, dtype=dtype)
    tokens = torch.randint(7, (3, 15), generator=generator(3))
    with torch.no_grad():
        full = m(tokens)
        for t in range(15):
            masked = tokens.clone()
            masked[:, t:] = m.unknown                 # (x_1 … x_{t-1}, ∅, …, ∅) in the book's indexing
            # same operations on the same numbers for the positions that matter: bitwise equal
            assert torch.equal(m(masked)[:, t], full[:, t])


def test_first_position_depends_on_nothing():
    m = model()
    with torch.no_grad():
        first = m(torch.randint(7, (20, 5), generator=generator(4)))[:, 0]
    assert torch.equal(first, first[:1].expand_as(first))      # l_1 = f(∅, …): P̂(X_1), the same for all


def test_dependency_matrix_of_a_known_linear_map():
    mixing = torch.randn(6, 6, generator=generator(5), dtype=torch.float64).tril(-1)
    x = torch.randn(6, 3, generator=generator(6), dtype=torch.float64)
    # fn(x) = M x: ∂out[t, k] / ∂x[s, d] = M[t, s] δ_kd, so the max over k, d is |M[t, s]|
    assert torch.equal(dependency_matrix(lambda v: mixing @ v, x), mixing.abs())


def test_dependency_matrix_of_the_model_is_strictly_lower_banded():
    m = model(context=3)
    tokens = torch.randint(7, (11,), generator=generator(7))
    d = dependency_matrix(lambda e: m.logits_from_embeddings(e[None])[0], m.embedding(tokens))
    band = torch.ones(11, 11).tril(-1).bool() & ~torch.ones(11, 11).tril(-4).bool()
    assert d.shape == (11, 11)
    assert (d[band] > 0).all() and (d[~band] == 0).all()
    centred = model(context=3, causal=False)
    d = dependency_matrix(lambda e: centred.logits_from_embeddings(e[None])[0], centred.embedding(tokens))
    assert (d.diagonal() > 0).all() and (d.diagonal(1) > 0).all()


# --- losses ------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("n", "length", "k"), [(1, 1, 2), (4, 9, 5), (16, 32, 43)])
def test_sequence_cross_entropy_and_perplexity_match_torch(dtype, n, length, k):
    g = generator(n * length)
    logits = (3 * torch.randn(n, length, k, generator=g, dtype=dtype)).requires_grad_(True)
    tokens = torch.randint(k, (n, length), generator=g)
    ref = F.cross_entropy(logits.reshape(-1, k), tokens.reshape(-1))
    ours = sequence_cross_entropy(logits, tokens)
    (grad,) = torch.autograd.grad(ours, logits)
    (ref_grad,) = torch.autograd.grad(ref, logits, retain_graph=True)
    value_bound, grad_bound = cross_entropy_bounds(logits.reshape(-1, k), tokens.reshape(-1))
    grad_bound = grad_bound.reshape(logits.shape)
    assert_within(ours, ref, 2 * value_bound)
    assert_within(grad, ref_grad, 2 * grad_bound)
    # the chain rule: the mean cross-entropy is minus the total log-probability over N·T
    # (sums over T then N, then the division: the same terms, another order)
    assert_within(ours, -sequence_log_prob(logits, tokens).sum() / (n * length), 2 * value_bound)
    ppl = perplexity(logits, tokens)
    (ppl_grad,) = torch.autograd.grad(ppl, logits)
    (ref_ppl_grad,) = torch.autograd.grad(ref.exp(), logits)
    # exp(L): relative error = the absolute error of L, plus one rounding; its gradient
    # exp(L)·∂L: the gradient's error times exp(L), plus ∂L times the error of exp(L)
    u = unit_roundoff(dtype)
    ppl_rel = 2 * value_bound + 2 * u
    assert_within(ppl, ref.exp(), ppl * ppl_rel)
    assert_within(ppl_grad, ref_ppl_grad, ppl.detach() * (2 * grad_bound + ref_grad.abs() * (ppl_rel + 2 * u)))


def test_sequence_log_prob_by_hand_and_chain_rule_normalisation():
    logits = torch.log(torch.tensor([[[0.5, 0.5], [0.9, 0.1], [0.2, 0.8]]], dtype=torch.float64))
    tokens = torch.tensor([[1, 0, 1]])
    # three log-softmax entries (softmax_bounds, plus the logs' own rounding, which the
    # shift-invariant log-softmax passes on at most twice) summed; log(0.36): γ₃ relative
    f64 = torch.float64
    picked = softmax_bounds(logits)["log_softmax"][0].gather(1, tokens[0][:, None]).sum()
    exact = math.log(0.5 * 0.9 * 0.8)
    bound = picked + 2 * 3 * unit_roundoff(f64) * logits.abs().max() + gamma(3, f64) * (logits.abs().sum() + abs(exact))
    assert_within(sequence_log_prob(logits, tokens), torch.tensor([exact], dtype=f64), bound)
    # any causal model defines a normalised distribution over the K^T sequences
    m = model(vocab_size=3, context=2, dtype=torch.float64)
    every = torch.cartesian_prod(*[torch.arange(3)] * 4)                  # (81, 4)
    with torch.no_grad():
        logits = m(every)
        log_p = sequence_log_prob(logits, every)
        total = log_p.exp().sum()
    # each sequence's log-probability: 4 log-softmax entries (softmax_bounds) and their sum;
    # its exp then carries that as a relative error, and the sum of 81 rounds (γ₈₁)
    f64 = torch.float64
    entries = softmax_bounds(logits)["log_softmax"].gather(2, every[..., None])[..., 0]
    terms = torch.log_softmax(logits, -1).gather(2, every[..., None])[..., 0].abs()
    per_sequence = entries.sum(1) + gamma(4, f64) * terms.sum(1) + 2 * unit_roundoff(f64)
    assert abs(total.item() - 1) <= (log_p.exp() * per_sequence).sum().item() + gamma(81, f64)


def test_perplexity_of_uniform_and_perfect_models():
    tokens = torch.randint(11, (3, 20), generator=generator(8))
    # uniform logits: the loss is log 11 within cross_entropy_bounds, so the perplexity is 11
    # within 11·(that + 2u)
    flat = tokens.reshape(-1)
    loss_bound, _ = cross_entropy_bounds(torch.zeros(60, 11), flat)
    uniform = 11 * (loss_bound.item() + 2 * unit_roundoff(torch.float32))
    assert abs(perplexity(torch.zeros(3, 20, 11), tokens).item() - 11) <= uniform
    assert abs(perplexity(torch.zeros(60, 11), flat).item() - 11) <= uniform       # (N, K) form
    # one-hot logits of 100: the loss is log(1 + 10e^{−100}) ≈ 4e-43, so the perplexity 1 +
    # that, within the rounding of the loss and of exp
    confident = 100 * F.one_hot(tokens, 11).double()
    loss_bound, _ = cross_entropy_bounds(confident.reshape(-1, 11), flat)
    exact = 10 * math.exp(-100)                                      # log(1 + 10e^{−100}), to first order
    assert abs(perplexity(confident, tokens).item() - 1) <= loss_bound.item() + 2 * unit_roundoff(torch.float64) + exact


def test_training_a_periodic_sequence_drives_perplexity_to_its_floor():
    lbdl.seed_everything(0)
    m = CausalConvLM(3, context=2, dim=8, hidden=16)
    data = windows(torch.arange(300) % 3, 12)          # 0 1 2 0 1 2 …, windows starting anywhere
    lbdl.fit(m, sequence_cross_entropy, (data, data), epochs=30, lr=0.05, optimizer="adam", device="cpu",
             progress=False)
    with torch.no_grad():
        ppl = perplexity(m(data), data).item()
    # every token is determined by the one before it, except the first of each window,
    # which has nothing before it and is 0, 1 or 2 about equally often (97, 96, 96 times):
    # the best possible perplexity is about exp(log 3 / 12) = 1.0959
    assert 1.095 < ppl < 1.11, ppl


# --- sampling ----------------------------------------------------------------------------

def test_sampling_follows_the_chain_rule_distribution():
    m = model(vocab_size=2, context=2, seed=3)
    with torch.no_grad():
        for p in m.readout.parameters():
            p.mul_(8)                                              # make the distribution far from uniform
        every = torch.cartesian_prod(*[torch.arange(2)] * 3)        # (8, 3)
        exact = sequence_log_prob(m(every), every).exp()
    drawn = sample(m, 3, num_samples=40_000, generator=generator(9))
    frequency = torch.bincount(drawn @ torch.tensor([4, 2, 1]), minlength=8) / 40_000
    # a binomial proportion per sequence: within 5 standard errors √(p(1 − p)/n)
    assert ((frequency - exact).abs() <= 5 * (exact * (1 - exact) / 40_000).sqrt()).all(), (frequency, exact)
    assert exact.max() > 0.3                                     # the test is not trivially uniform


def test_sample_shapes_prompt_determinism_and_mode():
    m = model()
    m.train()
    prompt = torch.tensor([1, 2, 3])
    a = sample(m, 10, prompt=prompt, num_samples=4, generator=generator(10))
    b = sample(m, 10, prompt=prompt, num_samples=4, generator=generator(10))
    assert a.shape == (4, 10) and a.dtype == torch.int64 and torch.equal(a, b)
    assert (a[:, :3] == prompt).all() and a.min() >= 0 and a.max() < 7
    assert m.training                                              # mode restored
    assert sample(m, 3, prompt=torch.tensor([[1, 2, 3]]), num_samples=1).tolist() == [[1, 2, 3]]


# --- windows and errors --------------------------------------------------------------------

def test_windows():
    w = windows(list(range(10)), 4, stride=3)
    assert w.tolist() == [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]] and w.dtype == torch.int64
    assert windows(torch.arange(5), 5).tolist() == [[0, 1, 2, 3, 4]]
    with pytest.raises(ValueError, match=r"ids must be 1-D with at least length=6 tokens, got shape \(5,\)"):
        windows(torch.arange(5), 6)
    with pytest.raises(ValueError, match="stride must be a positive int, got 0"):
        windows(torch.arange(5), 2, stride=0)


def test_model_errors():
    m = model()
    with pytest.raises(TypeError, match="tokens must be an int64 .* got torch.float32"):
        m(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="tokens must be a torch.Tensor, got list"):
        m([[1, 2]])
    with pytest.raises(ValueError, match=r"tokens must have shape \(N, T\) with T >= 1, got \(5,\)"):
        m(torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"tokens values must be in \[0, 7\], got min 0 and max 8"):
        m(torch.tensor([[0, 8]]))
    with pytest.raises(ValueError, match="context must be a positive int, got 0"):
        CausalConvLM(5, context=0)
    with pytest.raises(ValueError, match="vocab_size must be a positive int, got 2.5"):
        CausalConvLM(2.5)


def test_loss_and_sampling_errors():
    logits, tokens = torch.zeros(2, 3, 4), torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(ValueError, match=r"logits must have shape \(N, T, K\), got \(6, 4\)"):
        sequence_cross_entropy(torch.zeros(6, 4), tokens)
    with pytest.raises(ValueError, match=r"tokens must have shape \(N, T\) = \(2, 3\) to match logits "
                                         r"\(2, 3, 4\), got \(2, 4\)"):
        sequence_log_prob(logits, torch.zeros(2, 4, dtype=torch.long))
    with pytest.raises(ValueError, match=r"tokens values must be in \[0, 3\], got min 0 and max 4"):
        sequence_cross_entropy(logits, torch.tensor([[0, 1, 4], [0, 0, 0]]))
    with pytest.raises(TypeError, match="logits must be a floating-point tensor, got torch.int64"):
        perplexity(torch.zeros(2, 3, 4, dtype=torch.long), tokens)
    m = model()
    with pytest.raises(ValueError, match="length must be a positive int, got 0"):
        sample(m, 0)
    with pytest.raises(ValueError, match=r"prompt must have shape \(P,\) or \(2, P\) with P <= length=3, "
                                         r"got \(2, 5\)"):
        sample(m, 3, prompt=torch.zeros(5, dtype=torch.long), num_samples=2)
    with pytest.raises(ValueError, match=r"prompt values must be in \[0, 6\]"):
        sample(m, 5, prompt=torch.tensor([7]))
    with pytest.raises(TypeError, match="model must have an int attribute 'unknown'"):
        sample(torch.nn.Linear(2, 2), 3)
    with pytest.raises(ValueError, match=r"inputs must be a floating-point tensor of shape \(T, D\)"):
        dependency_matrix(lambda v: v, torch.zeros(3, dtype=torch.long))
