"""Synthetic sequence-to-sequence tasks for the encoder-decoder Transformer (LBDL §5.3).

A source is a string of decimal digits of variable length; the target is the same
string reversed (``task="reverse"``) or sorted (``task="sort"``). Both are generated
here, so nothing is downloaded, and the test strings are guaranteed absent from the
training set: a model can only score on them by having learned the rule.

Tokens: 0 = ``<pad>`` (fills the sequences up to a common length), 1 = ``<s>`` (start:
the first input of the decoder), 2 = ``</s>`` (end of a sequence), and 3 … 12 for the
digits 0 … 9. For the source "3 1 4" and the reversal task, padded to 6 digits:

    source         3 1 4 </s> <pad> <pad> <pad>     (S = max_length + 1 tokens)
    decoder input  <s> 4 1 3 </s> <pad> <pad>       (the target shifted right)
    target         4 1 3 </s> <pad> <pad> <pad>     (T = max_length + 1 tokens)

The decoder reads the decoder input and must predict, at every position, the target
token at that position: the next token of the output (*teacher forcing*).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from lbdl_book._checks import positive_int

__all__ = ["DIGIT_OFFSET", "END", "PAD", "START", "TASKS", "VOCAB", "VOCAB_SIZE", "Seq2SeqSet", "exact_match",
           "seq2seq_task", "to_text"]

PAD, START, END = 0, 1, 2
DIGIT_OFFSET = 3
VOCAB = ("<pad>", "<s>", "</s>", *map(str, range(10)))
VOCAB_SIZE = len(VOCAB)
TASKS = ("reverse", "sort")


class Seq2SeqSet(NamedTuple):
    """One split: ``source`` (N, S), ``decoder_input`` (N, T) and ``target`` (N, T), int64."""

    source: torch.Tensor
    decoder_input: torch.Tensor
    target: torch.Tensor

    def packed(self) -> torch.Tensor:
        """(N, S + T): source then decoder input, the input format of
        :class:`lbdl_book.models.transformer.TeacherForcing`."""
        return torch.cat([self.source, self.decoder_input], dim=1)


def _encode(digits: torch.Tensor, lengths: torch.Tensor, task: str) -> Seq2SeqSet:
    """``digits`` (N, W) int64 in 0..9 (entries at positions >= length are ignored) and
    ``lengths`` (N,) → the padded source, decoder input and target tokens."""
    n, width = digits.shape
    position = torch.arange(width + 1)
    inside = position[None, :width] < lengths[:, None]                 # (N, W): the real digits
    if task == "reverse":                                               # output digit j = input digit n − 1 − j
        index = (lengths[:, None] - 1 - position[None, :width]).clamp(min=0)
        out = digits.gather(1, index)
    else:                                                               # padding sorts after every digit
        out = digits.masked_fill(~inside, 10).sort(dim=1).values
    def tokens(values: torch.Tensor) -> torch.Tensor:
        t = torch.full((n, width + 1), PAD, dtype=torch.long)
        t[:, :width] = torch.where(inside, values + DIGIT_OFFSET, PAD)
        t[position[None, :] == lengths[:, None]] = END
        return t
    source, target = tokens(digits), tokens(out)
    decoder_input = torch.cat([torch.full((n, 1), START, dtype=torch.long), target[:, :-1]], dim=1)
    return Seq2SeqSet(source, decoder_input, target)


def seq2seq_task(num_train: int, num_test: int, *, task: str = "reverse", min_length: int = 3,
                 max_length: int = 8, seed: int = 0) -> tuple[Seq2SeqSet, Seq2SeqSet]:
    """``num_train`` and ``num_test`` distinct digit strings, their length uniform in
    [``min_length``, ``max_length``], with their reversed (or sorted) versions.

    Returns (train, test) :class:`Seq2SeqSet` s; no string of the test set appears in the
    training set. Sources and targets have max_length + 1 positions (the end token).
    Raises ValueError when the lengths do not hold that many distinct strings."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    positive_int(num_train, "num_train")
    positive_int(num_test, "num_test")
    positive_int(min_length, "min_length")
    positive_int(max_length, "max_length")
    if min_length > max_length:
        raise ValueError(f"min_length must be <= max_length, got {min_length} and {max_length}")
    if max_length > 18:
        raise ValueError(f"max_length must be <= 18 (a string is identified by a 64-bit integer), got {max_length}")
    wanted = num_train + num_test
    available = sum(10**k for k in range(min_length, max_length + 1))
    if wanted > available // 2:
        raise ValueError(f"num_train + num_test = {wanted} is more than half of the {available} strings of "
                         f"lengths {min_length}..{max_length}: use longer strings or fewer samples")
    g = torch.Generator().manual_seed(seed)
    powers = 10 ** torch.arange(max_length, dtype=torch.long)
    seen: set[tuple[int, int]] = set()
    kept_digits, kept_lengths = [], []
    count = 0
    while count < wanted:                              # draw in bulk, keep the strings not seen before
        size = 2 * (wanted - count) + 16
        lengths = torch.randint(min_length, max_length + 1, (size,), generator=g)
        digits = torch.randint(0, 10, (size, max_length), generator=g)
        digits = digits.masked_fill(torch.arange(max_length)[None, :] >= lengths[:, None], 0)
        keys = zip(lengths.tolist(), (digits * powers).sum(dim=1).tolist())   # (length, value): one string
        fresh = []
        for i, key in enumerate(keys):
            if key not in seen and count < wanted:
                seen.add(key)
                fresh.append(i)
                count += 1
        kept_digits.append(digits[fresh])
        kept_lengths.append(lengths[fresh])
    digits, lengths = torch.cat(kept_digits), torch.cat(kept_lengths)
    return (_encode(digits[:num_train], lengths[:num_train], task),
            _encode(digits[num_train:], lengths[num_train:], task))


def to_text(tokens: torch.Tensor) -> str:
    """The digits of a (T,) token sequence as a string, up to its first end token:
    ``to_text(tensor([6, 4, 7, 2, 0]))`` → ``"3 1 4"``."""
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 1 or tokens.is_floating_point():
        raise ValueError(f"tokens must be a 1-D tensor of token ids, got {tokens!r}")
    out = []
    for token in tokens.tolist():
        if token == END:
            break
        if token != START:
            out.append(VOCAB[token] if 0 <= token < VOCAB_SIZE else "?")
    return " ".join(out)


def exact_match(predicted: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(N,) bool: whether each predicted sequence equals its target, end token included.

    ``predicted`` (N, L) and ``target`` (N, T) int64; the shorter is padded with ``<pad>``,
    so a prediction must stop exactly where the target does."""
    for name, x in (("predicted", predicted), ("target", target)):
        if not isinstance(x, torch.Tensor) or x.dim() != 2:
            raise ValueError(f"{name} must be a 2-D tensor (N, length), got {x!r}")
    if len(predicted) != len(target):
        raise ValueError(f"predicted and target must have the same N, got {len(predicted)} and {len(target)}")
    width = max(predicted.shape[1], target.shape[1])
    pad = lambda x: torch.nn.functional.pad(x, (0, width - x.shape[1]), value=PAD)  # noqa: E731
    return (pad(predicted) == pad(target)).all(dim=1)
