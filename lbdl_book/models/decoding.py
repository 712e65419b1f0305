"""Decoding: turning a language model's next-token distributions into text (§7.1).

LBDL specifies one way to write with an autoregressive model: draw x_t from
P̂(X_t | X_<t), append it, repeat. Everything else here is **beyond LBDL**:

* *greedy* decoding takes the most probable token at each step (temperature 0);
* *temperature* τ divides the logits, *top-k* keeps the k most probable tokens, *top-p*
  (nucleus) keeps the smallest set of tokens whose probability reaches p [Holtzman et al.,
  2020]: these three live in :func:`lbdl_book.models.gpt.next_token_distribution`, and
  :func:`lbdl_book.models.gpt.generate` samples with them;
* *beam search* (:func:`beam_search`) keeps the B most probable prefixes at each step,
  scored by their log-probability Σ_t log P̂(x_t | x_<t), and returns the best ones;
* :func:`log_likelihood` scores a text under the model, and :func:`distinct_n` measures
  how varied a text is (the share of its n-grams that are distinct [Li et al., 2016]).

The models are :class:`~lbdl_book.models.gpt.GPT` objects (tokens (N, T) → logits
(N, T, V), the logits at position t predicting the token after x_t; a subclass may
replace ``forward``, as the tests' hand-made models do). They read at most their last
``context`` tokens, as :func:`~lbdl_book.models.gpt.generate` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from lbdl_book._checks import non_negative_int, positive_int, token_ids
from lbdl_book.models.gpt import GPT, _check_prompt, generate
from lbdl_book.train import eval_mode

__all__ = ["beam_search", "distinct_n", "greedy", "log_likelihood"]


def _check_model(model) -> GPT:
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT, got {type(model).__name__}")
    return model


def _device(model: GPT) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def greedy(model: GPT, prompt_ids: torch.Tensor, steps: int) -> torch.Tensor:
    """Greedy decoding: extend ``prompt_ids`` (P,) or (N, P) by ``steps`` tokens, each
    the most probable one given the tokens before it (ties: the lower id). This is
    :func:`~lbdl_book.models.gpt.generate` at temperature 0. Returns (N, P + steps)."""
    return generate(model, prompt_ids, steps, temperature=0.0)


@torch.no_grad()
def _log_probs(model: GPT, tokens: torch.Tensor) -> torch.Tensor:
    """log P̂(next token | the last ``context`` tokens of each row): (N, V), float32."""
    logits = model(tokens[:, -model.context:].to(_device(model)))[:, -1]
    return torch.log_softmax(logits.float(), dim=-1).cpu()


@torch.no_grad()
def beam_search(model: GPT, prompt_ids: torch.Tensor, steps: int, beam_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Beam search: the ``beam_size`` most probable continuations of ``steps`` tokens that
    the search finds, with their scores.

    A beam is a prefix with its score, the log-probability of the tokens after the prompt,
    s = Σ_t log P̂(x_t | x_<t). Each step extends each of the B beams by each of the V
    tokens and keeps the B best of the B·V candidates (at the first step, the V
    continuations of the prompt). With B = 1 this is greedy decoding; a larger B can find
    a sequence whose first tokens are not the most probable ones but whose total is
    higher. It is exact (it returns the most probable continuation) once B ≥ V^(steps−1),
    since then no prefix is ever dropped.

    Length: every continuation has exactly ``steps`` tokens (there is no end-of-sequence
    token), so the summed log-probabilities compare sequences of equal length and need no
    length normalisation; with an end token, shorter sequences would win and the score is
    usually divided by a power of the length [Wu et al., 2016].

    ``prompt_ids``: (P,) or (N, P) int64; returns ``tokens`` (N, B, P + steps) and
    ``scores`` (N, B) float32, best first, or (B, P + steps) and (B,) for a 1-D prompt. A
    beam whose score is −inf is padding: fewer than B continuations exist (V^steps < B)."""
    _check_model(model)
    one = isinstance(prompt_ids, torch.Tensor) and prompt_ids.dim() == 1
    prompt = _check_prompt(prompt_ids, model.vocab_size).cpu()
    non_negative_int(steps, "steps")
    positive_int(beam_size, "beam_size")
    n, v, b = len(prompt), model.vocab_size, beam_size
    tokens = prompt.repeat_interleave(b, dim=0)                        # (N·B, P): B copies of each prompt
    scores = torch.full((n, b), float("-inf"))
    scores[:, 0] = 0.0                                                 # one live beam to start with
    with eval_mode(model):
        for _ in range(steps):
            candidates = scores[:, :, None] + _log_probs(model, tokens).view(n, b, v)   # (N, B, V)
            best, index = candidates.view(n, b * v).topk(b, dim=1)         # the B best of B·V, in order
            beam, token = index // v, index % v
            rows = (torch.arange(n)[:, None] * b + beam).view(-1)
            tokens = torch.cat([tokens[rows], token.view(-1, 1)], dim=1)
            scores = best
    tokens = tokens.view(n, b, -1)
    return (tokens[0], scores[0]) if one else (tokens, scores)


@torch.no_grad()
def log_likelihood(model: GPT, tokens: torch.Tensor, start: int) -> torch.Tensor:
    """log P̂(x_t | x_<t) of each token of ``tokens`` (N, T) from position ``start`` on
    (1 ≤ start < T), each conditioned on the ``model.context`` tokens before it at most,
    as during generation: (N, T − start), float32. Temperature 1, no top-k or top-p: the
    model's own distribution. Its mean over a row is the negative of the cross-entropy
    of the text under the model, in nats per token."""
    _check_model(model)
    token_ids(tokens, model.vocab_size)
    tokens = tokens.cpu()
    if tokens.shape[1] < 2:
        raise ValueError(f"tokens must have shape (N, T) with T >= 2, got {tuple(tokens.shape)}")
    if isinstance(start, bool) or not isinstance(start, int) or not 1 <= start < tokens.shape[1]:
        raise ValueError(f"start must be an int in [1, T={tokens.shape[1]}), got {start!r}")
    c, (n, length) = model.context, tokens.shape
    out = []
    with eval_mode(model):
        head = tokens[:, :min(length - 1, c)]                           # positions 1..c see the start of the row
        logits = model(head.to(_device(model))).float().cpu()
        out.append(torch.log_softmax(logits, -1).gather(-1, tokens[:, 1:head.shape[1] + 1, None])[..., 0])
        if length - 1 > c:                                              # later positions: one window each
            windows = tokens[:, :-1].unfold(1, c, 1)[:, 1:]               # (N, T − 1 − c, c)
            logits = model(windows.reshape(-1, c).to(_device(model)))[:, -1].float().cpu()
            later = torch.log_softmax(logits, -1).gather(-1, tokens[:, c + 1:].reshape(-1, 1))
            out.append(later.view(n, -1))
    return torch.cat(out, dim=1)[:, start - 1:]


def distinct_n(texts: Sequence, n: int) -> torch.Tensor:
    """distinct-n of each text: the number of distinct n-grams divided by the number of
    n-grams, len(text) − n + 1 [Li et al., 2016]. A text of strings gives n-grams of
    characters, a list (or 1-D tensor) of token ids n-grams of tokens. 1 when no n-gram
    repeats; small when the text loops. Returns a float64 tensor (len(texts),)."""
    positive_int(n, "n")
    if isinstance(texts, (str, bytes, torch.Tensor)) or not isinstance(texts, Sequence) or not texts:
        raise TypeError(f"texts must be a non-empty list of texts (strings or lists of token ids), got "
                        f"{type(texts).__name__}")
    values = []
    for k, text in enumerate(texts):
        items = text.tolist() if isinstance(text, torch.Tensor) else text
        if not isinstance(items, (str, list, tuple)):
            raise TypeError(f"texts[{k}] must be a string or a list of token ids, got {type(text).__name__}")
        if len(items) < n:
            raise ValueError(f"texts[{k}] has {len(items)} items, fewer than n={n}")
        grams = [tuple(items[i:i + n]) for i in range(len(items) - n + 1)]
        values.append(len(set(grams)) / len(grams))
    return torch.tensor(values, dtype=torch.float64)
