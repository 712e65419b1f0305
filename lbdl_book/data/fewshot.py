"""Synthetic "I: …, O: …" prompts for few-shot prediction (LBDL §7.1, Figure 7.1).

Each sequence is a small labelling task written out as examples, in the format of the
book's Figure 7.1::

    I: red disc O: dax, I: blue cross O: wug, I: green disc O: dax, I: red square O: mip, I: yellow cross

An item is a colour and a shape (the words of the scenes of Chapter 6). Each sequence
has its own **rule**: it gives each of the four shapes a **label**, four distinct nonce
words drawn at random for this sequence from the 16 words of :data:`LABELS`; the colour
is noise. Since the labels change from sequence to sequence, the label of an item can
only be read from the earlier examples of the same sequence: this is what makes the
task *in-context*.

**Held-out rules.** A rule is the tuple (label of the disc, of the square, of the
triangle, of the cross): 16·15·14·13 = 43,680 rules. A fixed pseudo-random hash of the
tuple puts one rule in eight aside (:func:`is_test_rule`): training sequences
(``split="train"``) never use them, test sequences (``split="test"``) use only them.

Tokens: one per word; the marker ``O:`` and the label word that follows it are one token
(``"O: dax"``), so an example is 5 tokens, ``I: <colour> <shape> O: <label> ,``, and a
prompt with k examples and a query is 5k + 3 tokens long, ending on the query's shape,
where the model writes its answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lbdl_book._checks import non_negative_int, positive_int

__all__ = ["COLOURS", "SHAPES", "LABELS", "SPECIALS", "VOCAB", "EXAMPLE_LENGTH", "TEST_FRACTION", "FewShotTasks",
           "is_test_rule", "generate_tasks", "prompts", "encode", "decode"]


def _nonce_words(count: int, seed: int) -> tuple[str, ...]:
    """``count`` distinct pronounceable nonce words (consonant-vowel-consonant), in a
    seeded random order."""
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    words = [a + v + b for a in consonants for v in vowels for b in consonants]
    order = torch.randperm(len(words), generator=torch.Generator().manual_seed(seed))[:count]
    return tuple(words[i] for i in order.tolist())


COLOURS = ("red", "green", "blue", "yellow")
SHAPES = ("disc", "square", "triangle", "cross")
LABELS = _nonce_words(16, seed=7)
SPECIALS = ("I:", ",")
VOCAB = SPECIALS + COLOURS + SHAPES + tuple(f"O: {w}" for w in LABELS)
TOKEN = {word: i for i, word in enumerate(VOCAB)}
EXAMPLE_LENGTH = 5          # I: colour shape "O: label" ,
TEST_FRACTION = 8           # one rule in 8 is for testing
COLOUR0, SHAPE0, LABEL0 = len(SPECIALS), len(SPECIALS) + len(COLOURS), len(SPECIALS) + len(COLOURS) + len(SHAPES)


def is_test_rule(rule_labels: torch.Tensor) -> torch.Tensor:
    """(N, 4) label indices (the labels of the disc, square, triangle and cross) → (N,)
    bool: True for the rules set aside for testing, one in :data:`TEST_FRACTION`, chosen by
    a multiplicative hash of the tuple (Knuth's constant 2654435761, modulo 2³²)."""
    if not isinstance(rule_labels, torch.Tensor) or rule_labels.dim() != 2 or rule_labels.shape[1] != len(SHAPES):
        raise ValueError(f"rule_labels must be a tensor (N, {len(SHAPES)}), got "
                         f"{tuple(getattr(rule_labels, 'shape', ()))}")
    code = (rule_labels.long() * torch.tensor([16**3, 16**2, 16, 1])).sum(1)
    return ((code * 2654435761) % 2**32) * TEST_FRACTION < 2**32


@dataclass
class FewShotTasks:
    """A batch of N labelling tasks with E examples each.

    ``tokens`` (N, 5E) int64: the examples written out, the last ``,`` included;
    ``colours``, ``shapes`` (N, E) int64: the items (0-3 each); ``labels`` (N, E): their
    labels (0-15, indices into :data:`LABELS`); ``rule_labels`` (N, 4): the label of each
    shape under the task's rule."""

    tokens: torch.Tensor
    colours: torch.Tensor
    shapes: torch.Tensor
    labels: torch.Tensor
    rule_labels: torch.Tensor

    def __len__(self) -> int:
        return len(self.tokens)


def generate_tasks(n: int, examples: int = 9, split: str = "train", seed: int = 0) -> FewShotTasks:
    """``n`` random tasks of ``examples`` examples each (see the module docstring), their
    rules drawn among the rules of ``split`` (``"train"`` or ``"test"``). Seeded by
    ``seed``: the same arguments give the same tasks."""
    positive_int(n, "n")
    positive_int(examples, "examples")
    non_negative_int(seed, "seed")
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    g = torch.Generator().manual_seed(seed)
    rules = torch.empty(0, len(SHAPES), dtype=torch.long)
    while len(rules) < n:                                                 # rejection sampling of the rules
        draw = torch.rand(2 * n, len(LABELS), generator=g).argsort(1)[:, :len(SHAPES)]
        rules = torch.cat([rules, draw[is_test_rule(draw) == (split == "test")]])
    rules = rules[:n]
    shapes = torch.randint(0, len(SHAPES), (n, examples), generator=g)
    colours = torch.randint(0, len(COLOURS), (n, examples), generator=g)
    labels = rules.gather(1, shapes)
    tokens = torch.empty(n, examples, EXAMPLE_LENGTH, dtype=torch.long)
    tokens[..., 0], tokens[..., 4] = TOKEN["I:"], TOKEN[","]
    tokens[..., 1], tokens[..., 2], tokens[..., 3] = COLOUR0 + colours, SHAPE0 + shapes, LABEL0 + labels
    return FewShotTasks(tokens.reshape(n, -1), colours, shapes, labels, rules)


def prompts(tasks: FewShotTasks, shots: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The prompts of ``shots`` examples followed by a query: the first ``shots`` examples
    of each task, then ``I: <colour> <shape>`` of its last example, whose label is the
    answer. Returns ``(tokens (N, 5·shots + 3), answers (N,))``, the answers as token ids.
    Needs ``shots`` < the tasks' number of examples."""
    if not isinstance(tasks, FewShotTasks):
        raise TypeError(f"tasks must be FewShotTasks, got {type(tasks).__name__}")
    non_negative_int(shots, "shots")
    examples = tasks.labels.shape[1]
    if shots >= examples:
        raise ValueError(f"shots must be < the tasks' {examples} examples (the last one is the query), got {shots}")
    last = tasks.tokens[:, -EXAMPLE_LENGTH:]
    tokens = torch.cat([tasks.tokens[:, : EXAMPLE_LENGTH * shots], last[:, :3]], dim=1)
    return tokens, last[:, 3].clone()


def encode(text: str) -> torch.Tensor:
    """Tokens of ``text``: words separated by spaces, ``,`` a word of its own, and ``O:``
    joined to the word after it. (T,) int64; unknown words raise a ValueError."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    words, out = text.replace(",", " , ").split(), []
    for word in words:
        if out and out[-1] == "O:":
            out[-1] = f"O: {word}"
        else:
            out.append(word)
    unknown = sorted({w for w in out if w not in TOKEN})
    if unknown:
        raise ValueError(f"text has words outside the vocabulary: {unknown}; known words: {list(VOCAB)}")
    return torch.tensor([TOKEN[w] for w in out], dtype=torch.long)


def decode(tokens) -> str:
    """The text of a 1-d sequence of token ids (a tensor or a list of ints)."""
    if isinstance(tokens, torch.Tensor) and tokens.dim() == 1 and not tokens.is_floating_point():
        ids = tokens.tolist()
    elif isinstance(tokens, (list, tuple)):
        ids = list(tokens)
    else:
        raise TypeError(f"tokens must be a 1-d integer tensor or a list of ints, got {type(tokens).__name__}")
    if not all(isinstance(i, int) and 0 <= i < len(VOCAB) for i in ids):
        raise ValueError(f"tokens must be ids in [0, {len(VOCAB)}), got {ids}")
    return " ".join(VOCAB[i] for i in ids).replace(" ,", ",")
