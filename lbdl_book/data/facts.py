"""A synthetic corpus of facts, to see where a language model keeps what it knows (§7.1).

Invented countries, each with an invented capital, are stated in several **phrasings**
(templates). Every sentence ends with its answer, the word the model must complete:

* four *forward* phrasings name the country first and end with the capital
  ("the capital of Velmora is Tassin .", "Velmora 's capital is Tassin .", ...);
* two *reverse* phrasings name the capital first and end with the country
  ("Tassin is the capital of Velmora .", ...).

The facts fall in three groups, to measure three things:

* ``"paraphrase"``: one forward phrasing of the fact is held out, the others (three
  forward, both reverse) are in the training text. Held-out phrasings rotate over the
  facts, so every phrasing is in the training text for other facts. Question: does the
  model complete a phrasing it never saw *for this fact*?
* ``"reversal"``: only the four forward phrasings are in the training text; both reverse
  phrasings are held out. Question: does "X's capital is Y" teach "Y is the capital of X"?
* ``"unseen"``: the fact is never stated; the two names appear only in the sentences
  "X is a country ." and "Y is a city ." (every name of every group has these two), so
  the model knows the words but not the fact. Question: does it know it anyway? (It cannot.)

Words are tokens (one id per word, ``.`` and ``'s`` included): each name is a single
token, so a fact is one association between two tokens. Sentences are encoded one per row,
``<s>`` first and padded with ``<pad>`` (:func:`encode`).
"""

from __future__ import annotations

import dataclasses

import torch

from .._checks import _kind, non_negative_int, positive_int

__all__ = ["FORWARD", "REVERSE", "FactCorpus", "facts", "padded_cross_entropy"]

FORWARD = ("the capital of {country} is {capital} .",
           "{country} 's capital is {capital} .",
           "the government of {country} sits in {capital} .",
           "{country} is governed from {capital} .")
REVERSE = ("{capital} is the capital of {country} .",
           "{capital} is the capital city of {country} .")
TEMPLATES = FORWARD + REVERSE
FILLERS = ("{country} is a country .", "{capital} is a city .")
SPECIAL = ("<pad>", "<s>")
GROUPS = ("paraphrase", "reversal", "unseen")

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "kl", "tr", "sh", "th")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ou")
_COUNTRY_ENDS = ("ia", "ora", "and", "istan", "ova", "eth", "ar")
_CITY_ENDS = ("in", "ek", "ol", "um", "ast", "ir", "os")


@dataclasses.dataclass(frozen=True)
class FactCorpus:
    """The facts and their sentences.

    ``countries``, ``capitals``: the names (fact i is "the capital of countries[i] is
    capitals[i]"); ``group``: the group of each fact (:data:`GROUPS`); ``train``: the
    training sentences, as ``(fact, template)`` pairs (template −1 and −2: the two filler
    sentences, which state no fact); ``held_out``: the ``(fact, template)`` pairs never in the
    training text, on which the model is tested; ``vocab``: the words, ``<pad>`` = 0 and
    ``<s>`` = 1 first."""

    countries: tuple[str, ...]
    capitals: tuple[str, ...]
    group: tuple[str, ...]
    train: tuple[tuple[int, int], ...]
    held_out: tuple[tuple[int, int], ...]
    vocab: tuple[str, ...]

    @property
    def pad(self) -> int:
        return 0

    def sentence(self, fact: int, template: int) -> str:
        """The sentence of ``fact`` in phrasing ``template`` (index into :data:`TEMPLATES`,
        or −1/−2 for the filler sentences "X is a country ." / "Y is a city .")."""
        text = FILLERS[-template - 1] if template < 0 else TEMPLATES[template]
        return text.format(country=self.countries[fact], capital=self.capitals[fact])

    def answer(self, fact: int, template: int) -> str:
        """The last word before the full stop: the capital (forward phrasings) or the
        country (reverse phrasings)."""
        return self.sentence(fact, template).split()[-2]

    def prompt(self, fact: int, template: int) -> str:
        """The sentence up to its answer, excluded: what the model is asked to complete."""
        return " ".join(self.sentence(fact, template).split()[:-2])

    def encode(self, texts: list[str], length: int) -> torch.Tensor:
        """Word ids of ``texts`` (N,) → (N, ``length``) int64: ``<s>``, the words, then
        ``<pad>``. A text longer than ``length − 1`` words raises ``ValueError``."""
        positive_int(length, "length")
        index = {w: i for i, w in enumerate(self.vocab)}
        out = torch.zeros(len(texts), length, dtype=torch.int64)
        for row, text in enumerate(texts):
            words = text.split()
            if len(words) + 1 > length:
                raise ValueError(f"length={length} is too short for {len(words)} words and <s>: {text!r}")
            out[row, 0] = 1
            out[row, 1:len(words) + 1] = torch.tensor([index[w] for w in words])
        return out

    def training_data(self, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The training sentences as (inputs, targets), both (M, ``length``): each row
        ``<s>`` + sentence + ``<pad>`` (``length + 1`` ids) cut into its first and last
        ``length`` ids, so the logits at position t predict the word after it."""
        rows = self.encode([self.sentence(f, k) for f, k in self.train], length + 1)
        return rows[:, :-1], rows[:, 1:]

    @torch.no_grad()
    def complete(self, model, pairs, length: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Greedy completion of the prompts of ``pairs`` ((fact, template) list) by
        ``model`` (tokens (N, T) → logits (N, T, V)): the logits of the word after each
        prompt, in one pass (the prompts are padded on the right; a causal model does not
        look at the padding). Returns (logits (N, V), answers (N,)): the answers' ids."""
        prompts = [self.prompt(f, k) for f, k in pairs]
        x = self.encode(prompts, length)
        last = torch.tensor([len(p.split()) for p in prompts])           # the position of the last word (<s> is 0)
        was_training = model.training
        model.eval()
        logits = model(x.to(next(model.parameters()).device))[torch.arange(len(x)), last].float().cpu()
        model.train(was_training)
        index = {w: i for i, w in enumerate(self.vocab)}
        return logits, torch.tensor([index[self.answer(f, k)] for f, k in pairs])

    def facts_of(self, group: str) -> list[int]:
        """The facts of one group."""
        if group not in GROUPS:
            raise ValueError(f"group must be one of {GROUPS}, got {group!r}")
        return [i for i, g in enumerate(self.group) if g == group]


def _names(count: int, ends: tuple[str, ...], generator: torch.Generator, taken: set[str]) -> list[str]:
    names = []
    while len(names) < count:
        pick = lambda seq: seq[int(torch.randint(len(seq), (1,), generator=generator))]
        name = (pick(_ONSETS) + pick(_VOWELS) + pick(_ONSETS) + pick(ends)).capitalize()
        if name not in taken:
            taken.add(name)
            names.append(name)
    return names


def facts(paraphrase: int = 48, reversal: int = 12, unseen: int = 12, seed: int = 0) -> FactCorpus:
    """A corpus of ``paraphrase + reversal + unseen`` invented facts, the names drawn from
    syllables with ``seed`` (distinct names, no country shares a name with a city).

    Fact i of the ``"paraphrase"`` group holds out forward phrasing i mod 4; the
    ``"reversal"`` group holds out both reverse phrasings; the ``"unseen"`` group holds out
    all six. Every fact also has its two filler sentences in the training text."""
    for name, value in (("paraphrase", paraphrase), ("reversal", reversal), ("unseen", unseen)):
        non_negative_int(value, name)
    positive_int(paraphrase, "paraphrase")
    non_negative_int(seed, "seed")
    generator = torch.Generator().manual_seed(seed)
    n = paraphrase + reversal + unseen
    taken: set[str] = set()
    countries = _names(n, _COUNTRY_ENDS, generator, taken)
    capitals = _names(n, _CITY_ENDS, generator, taken)
    group = ("paraphrase",) * paraphrase + ("reversal",) * reversal + ("unseen",) * unseen
    train, held_out = [], []
    for i, g in enumerate(group):
        if g == "paraphrase":
            out = {i % len(FORWARD)}
        elif g == "reversal":
            out = set(range(len(FORWARD), len(TEMPLATES)))
        else:
            out = set(range(len(TEMPLATES)))
        train += [(i, -1), (i, -2)] + [(i, k) for k in range(len(TEMPLATES)) if k not in out]
        held_out += [(i, k) for k in sorted(out)]
    words = sorted({w for text in TEMPLATES + FILLERS for w in text.split() if not w.startswith("{")})
    vocab = SPECIAL + tuple(words) + tuple(countries) + tuple(capitals)
    return FactCorpus(tuple(countries), tuple(capitals), group, tuple(train), tuple(held_out), vocab)


def padded_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """The language-modelling loss of :meth:`FactCorpus.training_data`: the cross-entropy
    of logits (N, T, V) against targets (N, T), averaged over the positions whose target is
    not ``<pad>`` (id 0)."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 3 or not logits.is_floating_point():
        raise TypeError(f"logits must be a floating-point tensor (N, T, V), got {_kind(logits)}")
    if not isinstance(targets, torch.Tensor) or targets.dtype != torch.int64 or targets.shape != logits.shape[:2]:
        raise TypeError(f"targets must be an int64 tensor of shape {tuple(logits.shape[:2])}, got {_kind(targets)}")
    return torch.nn.functional.cross_entropy(logits.transpose(1, 2), targets, ignore_index=0)
