"""Byte-pair encoding, the tokenizer of LBDL §3.2 [Sennrich et al. 2016; Gage 1994].

An autoregressive model works on *tokens*, integers in {0, …, K-1}. A tokenizer cuts a
text into pieces and numbers them. Byte-pair encoding (BPE) learns the pieces from a
training text:

1. start from the characters: every distinct character of the text is a token;
2. count every pair of adjacent tokens in the text and merge the most frequent pair
   into a new token, everywhere it occurs;
3. repeat until the vocabulary has the requested size.

Frequent fragments ("the", "ing ", "模型") end up as single tokens, while rare ones stay
spelled out in characters, so every text over the training alphabet can be encoded.
Encoding a new text replays the merges in the order they were learned; decoding
concatenates the strings of the tokens, so ``decode(encode(s)) == s`` exactly.

Choices of this teaching version, all deterministic:

* the base tokens are Unicode characters (so a Chinese character is one token), not
  the 256 bytes of UTF-8 that GPT-2's tokenizer starts from;
* merges may cross spaces: there is no pre-splitting into words, so the same code
  serves English and Chinese (production tokenizers split into words first);
* ties between equally frequent pairs go to the smallest pair of ids;
* a pair is merged only if it occurs at least twice, so training may stop with fewer
  tokens than requested when the text is too short;
* a character absent from the training text has no token: ``encode`` raises a
  ``ValueError`` that names it (no byte fallback).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import torch

from ._checks import non_negative_int

__all__ = ["BPETokenizer", "merge_pair"]


def merge_pair(ids: Sequence[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """``ids`` with every occurrence of ``pair`` replaced by ``new_id``, scanning left to
    right (in ``a a a`` the pair ``(a, a)`` is merged once, at the start)."""
    if isinstance(ids, (str, bytes)) or not isinstance(ids, Sequence):
        raise TypeError(f"ids must be a sequence of token ids (ints >= 0), got {type(ids).__name__}")
    bad = next((k for k, v in enumerate(ids) if isinstance(v, bool) or not isinstance(v, int) or v < 0), None)
    if bad is not None:
        raise ValueError(f"ids must be a sequence of token ids (ints >= 0), got {ids[bad]!r} at position {bad}")
    if (not isinstance(pair, (tuple, list)) or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in pair)):
        raise ValueError(f"pair must be a pair (left_id, right_id) of ints >= 0, got {pair!r}")
    non_negative_int(new_id, "new_id")
    return _merge_pair(ids, pair, new_id)


def _merge_pair(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """:func:`merge_pair` without the checks, for the loops of training and encoding."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _check_text(text, name: str = "text") -> None:
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a str, got {type(text).__name__}")


class BPETokenizer:
    """A byte-pair-encoding tokenizer over characters; build one with :meth:`train`.

    * ``alphabet``: the base tokens, one character each, ids ``0 … len(alphabet)-1``;
    * ``merges``: the learned pairs ``(left_id, right_id)``, in order; merge ``r``
      creates the token of id ``len(alphabet) + r``;
    * ``vocab``: ``{id: string}`` for every token; ``len(tokenizer)`` is its size.
    """

    def __init__(self, alphabet: Iterable[str], merges: Iterable[tuple[int, int]] = ()):
        if isinstance(alphabet, torch.Tensor) or not isinstance(alphabet, Iterable):
            raise TypeError(f"alphabet must be an iterable of single characters, got {type(alphabet).__name__}")
        self.alphabet = tuple(alphabet)
        for c in self.alphabet:
            if not isinstance(c, str) or len(c) != 1:
                raise ValueError(f"alphabet must contain single characters, got {c!r}")
        if len(set(self.alphabet)) != len(self.alphabet):
            raise ValueError("alphabet must not repeat a character")
        self.vocab: dict[int, str] = dict(enumerate(self.alphabet))
        self.merges: list[tuple[int, int]] = []
        for pair in merges:
            if len(pair) != 2 or not all(isinstance(i, int) and 0 <= i < len(self.vocab) for i in pair):
                raise ValueError(f"merge {len(self.merges)} must be a pair of existing ids in "
                                 f"[0, {len(self.vocab)}), got {pair!r}")
            self.vocab[len(self.vocab)] = self.vocab[pair[0]] + self.vocab[pair[1]]
            self.merges.append((pair[0], pair[1]))
        self._char_ids = {c: i for i, c in enumerate(self.alphabet)}

    @classmethod
    def train(cls, text: str, vocab_size: int) -> BPETokenizer:
        """Learn merges on ``text`` until the vocabulary has ``vocab_size`` tokens.

        ``vocab_size`` counts the alphabet (the distinct characters of ``text``) plus the
        merges, so it must be at least the alphabet size; with exactly that size there
        are no merges and the tokenizer works character by character. Training stops
        early when no pair occurs twice."""
        _check_text(text)
        if not text:
            raise ValueError("text must not be empty")
        alphabet = sorted(set(text))
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < len(alphabet):
            raise ValueError(f"vocab_size must be an int >= {len(alphabet)} (the number of distinct "
                             f"characters in text), got {vocab_size!r}")
        tokenizer = cls(alphabet)
        ids = [tokenizer._char_ids[c] for c in text]
        while len(tokenizer) < vocab_size:
            counts = Counter(zip(ids, ids[1:]))
            if not counts:
                break
            pair = min(counts, key=lambda p: (-counts[p], p))   # most frequent, then smallest ids
            if counts[pair] < 2:
                break
            ids = _merge_pair(ids, pair, len(tokenizer))
            tokenizer.merges.append(pair)
            tokenizer.vocab[len(tokenizer.vocab)] = tokenizer.vocab[pair[0]] + tokenizer.vocab[pair[1]]
        return tokenizer

    def __len__(self) -> int:
        return len(self.vocab)

    def __repr__(self) -> str:
        return f"BPETokenizer({len(self.alphabet)} characters + {len(self.merges)} merges = {len(self)} tokens)"

    def encode(self, text: str) -> list[int]:
        """The token ids of ``text``: its characters, then every merge in learned order.

        Raises ``ValueError`` if ``text`` contains a character that is not in the
        alphabet (one that did not occur in the training text)."""
        _check_text(text)
        ids = []
        for position, c in enumerate(text):
            if c not in self._char_ids:
                raise ValueError(f"text contains {c!r} (U+{ord(c):04X}) at position {position}, which is not "
                                 f"in the tokenizer's alphabet of {len(self.alphabet)} characters")
            ids.append(self._char_ids[c])
        for rank, pair in enumerate(self.merges):
            if len(ids) < 2:
                break
            ids = _merge_pair(ids, pair, len(self.alphabet) + rank)
        return ids

    def decode(self, ids: Iterable[int] | torch.Tensor) -> str:
        """The text of token ids (a list of ints or a 1-D integer tensor): the strings of
        the tokens, concatenated."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1 or ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
                raise TypeError(f"ids must be a 1-D integer tensor, got {ids.dtype} of shape {tuple(ids.shape)}")
            ids = ids.tolist()
        pieces = []
        for position, i in enumerate(ids):
            if isinstance(i, bool) or not isinstance(i, int):
                raise TypeError(f"ids must be ints, got {type(i).__name__} at position {position}")
            if not 0 <= i < len(self.vocab):
                raise ValueError(f"ids must be in [0, {len(self.vocab)}), got {i} at position {position}")
            pieces.append(self.vocab[i])
        return "".join(pieces)

    def segment(self, text: str) -> list[str]:
        """The pieces ``text`` is cut into: the string of each token of ``encode(text)``."""
        return [self.vocab[i] for i in self.encode(text)]

    def truncate(self, vocab_size: int) -> BPETokenizer:
        """The tokenizer with only the first merges, ``vocab_size`` tokens in all.

        Since training adds one merge at a time, this is exactly what :meth:`train`
        would have returned with the smaller ``vocab_size``."""
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or not (
                len(self.alphabet) <= vocab_size <= len(self)):
            raise ValueError(f"vocab_size must be an int in [{len(self.alphabet)}, {len(self)}], got {vocab_size!r}")
        return BPETokenizer(self.alphabet, self.merges[:vocab_size - len(self.alphabet)])
