"""Autoregressive models (LBDL §3.2): the chain rule, causal models, sampling, perplexity.

A sequence of tokens x_1, …, x_T from a vocabulary {0, …, K-1} has, by the chain rule,
the probability P(x_1) P(x_2 | x_1) ⋯ P(x_T | x_1, …, x_{T-1}). An autoregressive model
estimates each factor: from the tokens before position t it computes K logits l_t, whose
softmax is P̂(X_t | X_1 = x_1, …, X_{t-1} = x_{t-1}).

Conventions, those of the book: positions run from 1 to T (0 to T-1 in the code); the
extra token ∅ (id K, :attr:`CausalConvLM.unknown`) stands for "unknown"; the model
maps tokens (N, T) to logits (N, T, K), and l_t depends on x_1, …, x_{t-1} only, so
the target of l_t is x_t itself and the inputs double as targets. Such a *causal*
model computes every factor of the chain rule in one pass for training, while
sampling must produce the tokens one at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ._checks import function, positive_int, tensor, token_ids
from .losses import cross_entropy, log_softmax, softmax
from .train import eval_mode

__all__ = ["CausalConvLM", "dependency_matrix", "perplexity", "sample", "sequence_cross_entropy",
           "sequence_log_prob", "windows"]


class CausalConvLM(nn.Module):
    """A small causal language model: tokens (N, T) → logits (N, T, K).

    The logits l_t at position t are computed from the ``context`` tokens before t,
    x_{t-context}, …, x_{t-1}: the inputs are shifted one step to the right behind the
    unknown token ∅ (id ``vocab_size``), padded on the left with more ∅, and read by a
    1-D convolution of kernel size ``context``; a ReLU and a linear layer per position
    then give the K logits. Tokens may be ∅ themselves: (x_1, …, x_t, ∅, …, ∅) is the
    book's encoding of "the first t tokens are known".

    With ``causal=False`` the shift is removed and the window is centred on t, so l_t
    sees x_t and the tokens after it: the wrong model for generation, kept for contrast.
    """

    def __init__(self, vocab_size: int, context: int = 8, dim: int = 32, hidden: int = 128, *,
                 causal: bool = True):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("context", context), ("dim", dim), ("hidden", hidden)):
            positive_int(value, name)
        self.vocab_size, self.context, self.causal = vocab_size, context, bool(causal)
        self.unknown = vocab_size                              # the id of ∅
        self.embedding = nn.Embedding(vocab_size + 1, dim)     # K tokens and ∅
        self.conv = nn.Conv1d(dim, hidden, kernel_size=context)
        self.readout = nn.Linear(hidden, vocab_size)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``tokens``: (N, T) int64 in [0, K] (K is ∅). Returns logits (N, T, K)."""
        token_ids(tokens, self.unknown + 1)
        return self.logits_from_embeddings(self.embedding(tokens))

    def logits_from_embeddings(self, e: torch.Tensor) -> torch.Tensor:
        """The same map, from the embeddings (N, T, D) of the tokens: the entry point of
        :func:`dependency_matrix`, since tokens themselves cannot be differentiated."""
        n, length, dim = e.shape
        pad = self.embedding.weight[self.unknown].expand(n, self.context, dim)
        if self.causal:           # window of l_t: x_{t-context} … x_{t-1}
            e = torch.cat([pad, e[:, :-1]], dim=1)
        else:                     # window of l_t: centred on x_t
            left = self.context // 2
            e = torch.cat([pad[:, :left], e, pad[:, :self.context - 1 - left]], dim=1)
        h = torch.relu(self.conv(e.transpose(1, 2)))           # (N, hidden, T)
        return self.readout(h.transpose(1, 2))                 # (N, T, K)


def _check_sequences(logits, tokens, name: str = "tokens") -> None:
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        got = logits.dtype if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise TypeError(f"logits must be a floating-point tensor, got {got}")
    if logits.dim() != 3:
        raise ValueError(f"logits must have shape (N, T, K), got {tuple(logits.shape)}")
    token_ids(tokens, logits.shape[2], name=name)
    if tokens.shape != logits.shape[:2]:
        raise ValueError(f"{name} must have shape (N, T) = {tuple(logits.shape[:2])} to match logits "
                         f"{tuple(logits.shape)}, got {tuple(tokens.shape)}")


def sequence_log_prob(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """The chain rule: log P̂(x_1, …, x_T) = Σ_t log P̂(X_t = x_t | x_1, …, x_{t-1}).

    ``logits``: (N, T, K) from a causal model; ``tokens``: (N, T) int64 in [0, K).
    Returns the (N,) log-probabilities of the sequences."""
    _check_sequences(logits, tokens)
    return log_softmax(logits, dim=-1).gather(2, tokens[..., None])[..., 0].sum(dim=1)


def sequence_cross_entropy(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """The training loss of §3.2: the cross-entropy L_ce(l_t, x_t) averaged over the N
    sequences and their T positions (the book sums; the mean only rescales).

    ``logits``: (N, T, K); ``tokens``: (N, T) int64 in [0, K). Returns a 0-d tensor,
    ``-sequence_log_prob(logits, tokens).sum() / (N T)``."""
    _check_sequences(logits, tokens)
    return cross_entropy(logits.reshape(-1, logits.shape[2]), tokens.reshape(-1))


def perplexity(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """exp(cross-entropy): the number of equally likely tokens that would leave the
    model as uncertain as it is on average. A uniform model over K tokens has
    perplexity K; a perfect one, 1.

    ``logits`` (N, T, K) with ``targets`` (N, T), or ``logits`` (N, K) with ``targets``
    (N,). Returns a 0-d tensor."""
    if isinstance(logits, torch.Tensor) and logits.dim() == 2:
        tensor(targets, "targets")
        if targets.shape != logits.shape[:1]:
            raise ValueError(f"targets must have shape (N,) = ({len(logits)},) to match logits {tuple(logits.shape)}, "
                             f"got {tuple(targets.shape)}")
        return cross_entropy(logits, targets).exp()
    _check_sequences(logits, targets, "targets")
    return sequence_cross_entropy(logits, targets).exp()


@torch.no_grad()
def sample(model: nn.Module, length: int, *, prompt: torch.Tensor | None = None, num_samples: int = 1,
           generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw sequences from an autoregressive model, one token at a time.

    Start from (∅, …, ∅) of length ``length``, or from ``prompt`` (P,) or (N, P) followed
    by ∅. For t = P+1, …, T: compute the logits l_t of the current sequence, draw x_t
    from their softmax and write it in place of the ∅. Each step runs the whole model
    again (the red arrows of Fig. 3.1). ``model`` maps (N, T) tokens to (N, T, K) logits
    and has an ``unknown`` attribute, the id of ∅. Returns (N, length) int64 on the CPU."""
    positive_int(length, "length")
    positive_int(num_samples, "num_samples")
    unknown = getattr(model, "unknown", None)
    if not isinstance(unknown, int):
        raise TypeError(f"model must have an int attribute 'unknown' (the id of ∅), got {unknown!r}")
    device = next(model.parameters()).device
    x = torch.full((num_samples, length), unknown, dtype=torch.int64)
    start = 0
    if prompt is not None:
        prompt = torch.as_tensor(prompt, dtype=torch.int64)
        if prompt.dim() == 1:
            prompt = prompt.expand(num_samples, -1)
        token_ids(prompt, unknown, name="prompt")
        if prompt.shape[0] != num_samples or prompt.shape[1] > length:
            raise ValueError(f"prompt must have shape (P,) or ({num_samples}, P) with P <= length={length}, "
                             f"got {tuple(prompt.shape)}")
        start = prompt.shape[1]
        x[:, :start] = prompt
    with eval_mode(model):
        for t in range(start, length):
            probabilities = softmax(model(x.to(device))[:, t].float()).cpu()     # P̂(X_t | x_1 … x_{t-1})
            x[:, t] = torch.multinomial(probabilities, 1, generator=generator)[:, 0]
    return x


def dependency_matrix(fn: Callable[[torch.Tensor], torch.Tensor], inputs: torch.Tensor) -> torch.Tensor:
    """Which outputs depend on which inputs, from the Jacobian of ``fn`` at ``inputs``.

    ``fn`` maps ``inputs`` (T, D) to outputs (T', K). Returns the (T', T) matrix whose
    entry [t, s] is max_{k, d} |∂ fn(inputs)[t, k] / ∂ inputs[s, d]|: zero where output
    t does not depend on input s (computed with ``torch.autograd.functional.jacobian``)."""
    function(fn, "fn")
    if not isinstance(inputs, torch.Tensor) or not inputs.is_floating_point() or inputs.dim() != 2:
        got = f"{inputs.dtype} of shape {tuple(inputs.shape)}" if isinstance(inputs, torch.Tensor) else type(inputs).__name__
        raise ValueError(f"inputs must be a floating-point tensor of shape (T, D), got {got}")
    inputs = inputs.detach()
    outputs = fn(inputs)
    if not isinstance(outputs, torch.Tensor) or outputs.dim() != 2:
        raise ValueError(f"fn must return a tensor of shape (T', K), got shape {tuple(getattr(outputs, 'shape', ()))}")
    jacobian = torch.autograd.functional.jacobian(fn, inputs, vectorize=True)    # (T', K, T, D)
    return jacobian.abs().amax(dim=(1, 3))


def windows(ids, length: int, stride: int = 1) -> torch.Tensor:
    """All windows of ``length`` consecutive tokens of ``ids`` (a list or 1-D tensor),
    starting every ``stride`` tokens: an int64 tensor (M, length)."""
    positive_int(length, "length")
    positive_int(stride, "stride")
    try:
        ids = torch.as_tensor(ids, dtype=torch.int64)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"ids must be a list or a 1-D tensor of token ids, got {ids!r}") from None
    if ids.dim() != 1 or len(ids) < length:
        raise ValueError(f"ids must be 1-D with at least length={length} tokens, got shape {tuple(ids.shape)}")
    return ids.unfold(0, length, stride).contiguous()
