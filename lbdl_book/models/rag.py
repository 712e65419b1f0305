"""Retrieval-augmented generation (LBDL §8.1) [Lewis et al., 2020], at toy scale.

A question is answered from **documents** found by a **retriever** and placed in the
context of a generator. Everything here is built on the invented facts of §7.1
(:mod:`lbdl_book.data.facts`):

* :func:`rag_world` turns each fact into two documents: its capital, in one of the four
  forward phrasings of §7.1 ("the capital of Velmora is Tassin ."), and a distractor that
  names the same country ("Velmora lies next to Doraland ."); three **question** phrasings
  ask for the capital ("which city governs Velmora ?"). Facts of the ``"paraphrase"``
  group are the *training* facts, those of the ``"unseen"`` group are *held out*.
* :func:`bm25_scores`: Okapi BM25 [Robertson and Zaragoza, 2009], with the conventions of
  ``rank-bm25`` (``BM25Okapi``): idf = ln((N − n + ½)/(n + ½)), floored at ε times the mean
  idf for words in more than half of the documents.
* :class:`DualEncoder`: an embedding retriever, mean-pooled fixed random word codes followed
  by a trained linear map per side (query, document), trained with the InfoNCE loss.
* :func:`recall_at_k` compares retrievers; :func:`rag_prompts` builds the generator's
  inputs: the retrieved documents, then the question, then ``→``; the generator is a GPT
  (:class:`lbdl_book.models.gpt.GPT`) trained to copy the answer from its context.
"""

from __future__ import annotations

import dataclasses
import math
import time

import torch
from torch import nn

from lbdl_book._checks import _kind, boolean, module, non_negative_int, positive_int, positive_real, token_ids
from lbdl_book.data.facts import FORWARD, facts
from lbdl_book.models.gpt import GPT
from lbdl_book.weights import load, round_to_float16

__all__ = ["QUESTIONS", "RagWorld", "rag_world", "bm25_scores", "DualEncoder", "recall_at_k", "rag_prompts",
           "generator_data", "answer_accuracy", "attention_flops", "InfoNCEScorer", "RAG_GPT", "RAG_TRAINING",
           "rag_gpt", "rag_generator", "train_generator", "train_shipped"]

QUESTIONS = ("what is the capital of {country} ?",
             "which city governs {country} ?",
             "where does the government of {country} sit ?")
NEIGHBOUR = "{country} lies next to {other} ."
SPECIAL = ("<pad>", "<s>", "→")


def _world(value, name: str = "world") -> "RagWorld":
    if not isinstance(value, RagWorld):
        raise TypeError(f"{name} must be a RagWorld (rag_world()), got {_kind(value)}")
    return value


def _texts(value, name: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{name} must be a list of strings, got {_kind(value)}")
    return list(value)


def _words(value, name: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"{name} must be a list of words (strings), got {_kind(value)}")
    return list(value)


@dataclasses.dataclass(frozen=True)
class RagWorld:
    """Documents, questions and their vocabulary.

    ``documents``: 2 per fact, fact i's capital document at 2i, its distractor at 2i + 1;
    ``countries``, ``capitals``: the names; ``train_facts``, ``test_facts``: fact indices;
    ``vocab``: the words (``<pad>`` = 0, ``<s>`` = 1, ``→`` = 2 first)."""

    documents: tuple[str, ...]
    countries: tuple[str, ...]
    capitals: tuple[str, ...]
    train_facts: tuple[int, ...]
    test_facts: tuple[int, ...]
    vocab: tuple[str, ...]

    def question(self, fact: int, phrasing: int) -> str:
        """Question ``phrasing`` (index into :data:`QUESTIONS`) about ``fact``."""
        return QUESTIONS[phrasing].format(country=self.countries[fact])

    def questions(self, fact_list) -> tuple[list[str], list[int]]:
        """Every phrasing of a question about each fact: (questions, index of the right document)."""
        pairs = [(f, k) for f in fact_list for k in range(len(QUESTIONS))]
        return [self.question(f, k) for f, k in pairs], [2 * f for f, _ in pairs]

    def encode(self, texts, length: int) -> torch.Tensor:
        """Word ids (N, ``length``), right-padded with ``<pad>``; too long raises ``ValueError``."""
        positive_int(length, "length")
        texts = _texts(texts, "texts")
        index = {w: i for i, w in enumerate(self.vocab)}
        out = torch.zeros(len(texts), length, dtype=torch.int64)
        for row, text in enumerate(texts):
            words = text.split()
            if len(words) > length:
                raise ValueError(f"length={length} is too short for {len(words)} words: {text!r}")
            unknown = [w for w in words if w not in index]
            if unknown:
                raise ValueError(f"texts: words {unknown} are not in the vocabulary")
            out[row, :len(words)] = torch.tensor([index[w] for w in words], dtype=torch.int64)
        return out


def rag_world(train: int = 96, test: int = 32, seed: int = 0) -> RagWorld:
    """The documents of ``train + test`` invented facts (§7.1's names, drawn with ``seed``)."""
    positive_int(train, "train")
    positive_int(test, "test")
    non_negative_int(seed, "seed")
    corpus = facts(paraphrase=train, reversal=0, unseen=test, seed=seed)
    n = train + test
    generator = torch.Generator().manual_seed(seed + 1)
    documents = []
    for i in range(n):
        other = (i + 1 + int(torch.randint(n - 1, (1,), generator=generator))) % n
        documents.append(FORWARD[i % len(FORWARD)].format(country=corpus.countries[i], capital=corpus.capitals[i]))
        documents.append(NEIGHBOUR.format(country=corpus.countries[i], other=corpus.countries[other]))
    words = sorted({w for text in FORWARD + QUESTIONS + (NEIGHBOUR,) for w in text.split() if not w.startswith("{")})
    vocab = SPECIAL + tuple(words) + corpus.countries + corpus.capitals
    return RagWorld(tuple(documents), corpus.countries, corpus.capitals, tuple(range(train)),
                    tuple(range(train, n)), vocab)


def bm25_scores(query: list[str], documents: list[list[str]], k1: float = 1.5, b: float = 0.75,
                epsilon: float = 0.25) -> torch.Tensor:
    """Okapi BM25 score of each tokenized document for a tokenized query (a repeated query
    word counts each time), as ``rank_bm25.BM25Okapi`` computes it:

        score(d) = Σ_{w ∈ query} idf(w) · f(w, d)(k1 + 1) / (f(w, d) + k1 (1 − b + b |d| / avgdl))

    with f(w, d) the count of w in d, idf(w) = ln((N − n_w + ½)/(n_w + ½)) (n_w: documents
    holding w), and a negative idf replaced by ε · (mean idf over the corpus's words)."""
    query = _words(query, "query")
    if isinstance(documents, str) or not isinstance(documents, (list, tuple)):
        raise TypeError(f"documents must be a list of tokenized documents, got {_kind(documents)}")
    documents = [_words(doc, "documents") for doc in documents]
    if not documents:
        raise ValueError("documents must not be empty")
    positive_real(k1, "k1")
    if not isinstance(b, (int, float)) or isinstance(b, bool) or not 0 <= b <= 1:
        raise ValueError(f"b must be a number in [0, 1], got {b!r}")
    if not isinstance(epsilon, (int, float)) or isinstance(epsilon, bool) or not epsilon >= 0:
        raise ValueError(f"epsilon must be a non-negative number, got {epsilon!r}")
    n_docs = len(documents)
    holding: dict[str, int] = {}
    for doc in documents:
        for w in set(doc):
            holding[w] = holding.get(w, 0) + 1
    idf = {w: math.log(n_docs - n + 0.5) - math.log(n + 0.5) for w, n in holding.items()}
    floor = epsilon * sum(idf.values()) / len(idf)
    idf = {w: (floor if v < 0 else v) for w, v in idf.items()}
    lengths = torch.tensor([len(doc) for doc in documents], dtype=torch.float64)
    norm = k1 * (1 - b + b * lengths / lengths.mean())
    scores = torch.zeros(n_docs, dtype=torch.float64)
    for w in query:
        f = torch.tensor([doc.count(w) for doc in documents], dtype=torch.float64)
        scores += idf.get(w, 0.0) * f * (k1 + 1) / (f + norm)
    return scores


class DualEncoder(nn.Module):
    """An embedding retriever: text (N, T) word ids → unit vectors (N, ``dim``).

    Each word has a fixed random code (N(0, 1/``dim``) entries, not trained, so a name never
    seen in training still has its own direction); a text is the mean c of its words' codes
    (``<pad>`` excluded), mapped to c + W c by a trained linear layer W, one for queries and
    one for documents (both start at zero: the untrained encoder compares bags of words),
    then normalised. The score of a (query, document) pair is the dot product of their
    vectors (a cosine)."""

    def __init__(self, vocab_size: int, dim: int = 128, seed: int = 0):
        super().__init__()
        positive_int(vocab_size, "vocab_size")
        positive_int(dim, "dim")
        non_negative_int(seed, "seed")
        codes = torch.randn(vocab_size, dim, generator=torch.Generator().manual_seed(seed)) / dim ** 0.5
        self.register_buffer("codes", codes)
        self.query_map = nn.Linear(dim, dim, bias=False)
        self.document_map = nn.Linear(dim, dim, bias=False)
        nn.init.zeros_(self.query_map.weight)
        nn.init.zeros_(self.document_map.weight)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """The query vectors of ``tokens`` (N, T) → (N, ``dim``)."""
        return self.queries(tokens)

    def _pool(self, tokens: torch.Tensor) -> torch.Tensor:
        token_ids(tokens, self.codes.shape[0])
        mask = (tokens != 0).unsqueeze(-1).float()
        return (self.codes[tokens] * mask).sum(1) / mask.sum(1).clamp(min=1)

    def queries(self, tokens: torch.Tensor) -> torch.Tensor:
        pooled = self._pool(tokens)
        return nn.functional.normalize(pooled + self.query_map(pooled), dim=-1)

    def documents(self, tokens: torch.Tensor) -> torch.Tensor:
        pooled = self._pool(tokens)
        return nn.functional.normalize(pooled + self.document_map(pooled), dim=-1)


class InfoNCEScorer(nn.Module):
    """Queries (N, T) → logits (N, M) over a fixed set of M documents, cosine / ``temperature``:
    with the cross-entropy against the index of the right document, the InfoNCE loss whose
    negatives are all the other documents."""

    def __init__(self, encoder: DualEncoder, document_tokens: torch.Tensor, temperature: float = 0.05):
        super().__init__()
        if not isinstance(encoder, DualEncoder):
            raise TypeError(f"encoder must be a DualEncoder, got {_kind(encoder)}")
        token_ids(document_tokens, encoder.codes.shape[0], name="document_tokens")
        positive_real(temperature, "temperature")
        self.encoder, self.temperature = encoder, temperature
        self.register_buffer("document_tokens", document_tokens)

    def forward(self, queries: torch.Tensor) -> torch.Tensor:
        token_ids(queries, self.encoder.codes.shape[0], name="queries")
        return self.encoder.queries(queries) @ self.encoder.documents(self.document_tokens).T / self.temperature


def recall_at_k(scores: torch.Tensor, right: torch.Tensor, k: int) -> float:
    """The share of queries whose right document (``right`` (N,)) is among the ``k`` best of
    their ``scores`` (N, M)."""
    positive_int(k, "k")
    if not isinstance(scores, torch.Tensor) or scores.dim() != 2 or not scores.is_floating_point() or scores.numel() == 0:
        raise TypeError(f"scores must be a non-empty floating-point tensor (N, M), got {_kind(scores)}")
    if (not isinstance(right, torch.Tensor) or right.dtype != torch.int64 or right.shape != scores.shape[:1]
            or (right < 0).any() or (right >= scores.shape[1]).any()):
        raise ValueError(f"right must be an int64 tensor ({scores.shape[0]},) of indices < {scores.shape[1]}, got {_kind(right)}")
    if k > scores.shape[1]:
        raise ValueError(f"k must be at most the number of documents {scores.shape[1]}, got {k}")
    top = scores.topk(k, dim=1).indices
    return (top == right.unsqueeze(1)).any(1).float().mean().item()


def rag_prompts(world: RagWorld, questions: list[str], retrieved: list[list[int]]) -> list[str]:
    """The generator's prompts: the retrieved documents (best last, nearest the question),
    the question, then ``→`` after which the answer is written."""
    world = _world(world)
    questions = _texts(questions, "questions")
    if (isinstance(retrieved, (str, torch.Tensor)) or not isinstance(retrieved, (list, tuple))
            or len(retrieved) != len(questions)
            or not all(isinstance(r, (list, tuple)) and all(isinstance(d, int) and 0 <= d < len(world.documents)
                                                            for d in r) for r in retrieved)):
        raise ValueError(f"retrieved must be a list of {len(questions)} lists of document indices, got {_kind(retrieved)}")
    return [" ".join([world.documents[d] for d in reversed(docs)] + [q, "→"]) for q, docs in zip(questions, retrieved)]


def generator_data(world: RagWorld, n: int, k: int, length: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` training examples for the generator, (inputs, targets) (n, ``length``) each.

    Each example pairs a random country with a random *other* fact's capital (never a true
    pair of the world, so no answer can be learned by heart, and the held-out facts are
    absent): a question about the country, its capital document among 1 to ``k``
    documents (other countries' capital documents first, then the country's distractor), then ``→``
    and the answer. Targets
    are ``<pad>`` (ignored by the loss) except at ``→``, whose target is the capital."""
    world = _world(world)
    positive_int(n, "n")
    positive_int(k, "k")
    positive_int(length, "length")
    non_negative_int(seed, "seed")
    generator = torch.Generator().manual_seed(seed)
    pick = lambda m: int(torch.randint(m, (1,), generator=generator))
    train = list(world.train_facts) + list(world.test_facts)
    texts, answers = [], []
    while len(texts) < n:
        f, g = pick(len(train)), pick(len(train))                      # the country of f gets the capital of g
        if f == g:
            continue
        phr = pick(len(FORWARD))
        right = FORWARD[phr].format(country=world.countries[f], capital=world.capitals[g])
        others = [NEIGHBOUR.format(country=world.countries[f], other=world.countries[pick(len(train))])]
        while len(others) < k - 1:
            h = pick(len(train))
            if h != f:
                others.insert(0, FORWARD[pick(len(FORWARD))].format(country=world.countries[h],
                                                                    capital=world.capitals[pick(len(train))]))
        m = 1 + pick(k)                                               # 1 to k documents
        docs = others[:m - 1] + [right]
        order = torch.randperm(m, generator=generator).tolist()
        question = QUESTIONS[pick(len(QUESTIONS))].format(country=world.countries[f])
        texts.append(" ".join([docs[i] for i in order] + [question, "→"]))
        answers.append(world.capitals[g])
    rows = world.encode(["<s> " + text for text in texts], length)
    arrow = torch.tensor([len(text.split()) for text in texts])      # position of → (after <s>)
    targets = torch.zeros_like(rows)
    index = {w: i for i, w in enumerate(world.vocab)}
    targets[torch.arange(n), arrow] = torch.tensor([index[a] for a in answers])
    return rows, targets


@torch.no_grad()
def answer_accuracy(model, world: RagWorld, prompts: list[str], answers: list[str], length: int) -> torch.Tensor:
    """Greedy answers of ``model`` to ``prompts``: (N,) bool, right or wrong."""
    module(model, "model")
    world = _world(world)
    prompts = _texts(prompts, "prompts")
    answers = _texts(answers, "answers")
    positive_int(length, "length")
    if len(answers) != len(prompts) or any(a not in world.vocab for a in answers):
        raise ValueError(f"answers must be {len(prompts)} words of the vocabulary, got {_kind(answers)}")
    rows = world.encode(["<s> " + p for p in prompts], length)
    arrow = torch.tensor([len(p.split()) for p in prompts])
    was_training = model.training
    model.eval()
    logits = model(rows.to(next(model.parameters()).device))[torch.arange(len(rows)), arrow].cpu()
    model.train(was_training)
    index = {w: i for i, w in enumerate(world.vocab)}
    return logits.argmax(-1) == torch.tensor([index[a] for a in answers])


def attention_flops(length: int, dim: int) -> int:
    """Multiply-adds of one attention operator on ``length`` tokens of dimension ``dim``
    (Q Kᵀ and the weighted sum of V, §4.8): 2 · length² · dim; the projections add
    4 · length · dim²."""
    positive_int(length, "length")
    positive_int(dim, "dim")
    return 2 * length * length * dim + 4 * length * dim * dim


# The shipped generator ----------------------------------------------------------------

RAG_GPT = {"context": 48, "dim": 48, "num_heads": 4, "num_layers": 2}
RAG_TRAINING = {"prompts": 40_000, "documents": 3, "epochs": 4, "lr": 2e-3, "batch_size": 32, "seed": 0}


def rag_gpt(world: RagWorld | None = None, seed: int = 0) -> GPT:
    """An untrained generator of :data:`RAG_GPT` over the words of ``world``
    (:func:`rag_world` by default)."""
    world = rag_world() if world is None else _world(world)
    non_negative_int(seed, "seed")
    torch.manual_seed(seed)
    return GPT(len(world.vocab), **RAG_GPT)


def rag_generator() -> GPT:
    """The shipped generator (weights ``rag_generator``, float32, eval mode): :func:`rag_gpt`
    trained by :func:`train_shipped`."""
    model = rag_gpt()
    load(model, "rag_generator")
    return model.float().eval()


def train_generator(model: GPT, world: RagWorld, prompts: int, documents: int, epochs: int, lr: float,
                    batch_size: int = 32, seed: int = 0) -> tuple[dict, float]:
    """Train ``model`` on :func:`generator_data` (``prompts`` examples with 1 to ``documents``
    documents) with Adam and the answer's cross-entropy. Returns (history records, CPU seconds)."""
    from lbdl_book.data.facts import padded_cross_entropy
    from lbdl_book.train import fit
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT (rag_gpt()), got {_kind(model)}")
    world = _world(world)
    for value, name in ((prompts, "prompts"), (documents, "documents"), (epochs, "epochs"), (batch_size, "batch_size")):
        positive_int(value, name)
    positive_real(lr, "lr")
    non_negative_int(seed, "seed")
    inputs, targets = generator_data(world, prompts, documents, model.context, seed=seed)
    start = time.process_time()
    history = fit(model, padded_cross_entropy, (inputs, targets), epochs=epochs, lr=lr, batch_size=batch_size,
                  optimizer="adam", seed=seed)
    return history.records, time.process_time() - start


def train_shipped(quick: bool = False) -> tuple[GPT, dict]:
    """The recipe of ``lbdl_book/weights/rag_generator.safetensors``: :func:`rag_gpt` (seed 0)
    trained by :func:`train_generator` with :data:`RAG_TRAINING`, weights rounded to
    float16. ``quick``: 256 prompts, 1 epoch (what the tests run)."""
    boolean(quick, "quick")
    world = rag_world()
    model = rag_gpt(world)
    config = dict(RAG_TRAINING, **({"prompts": 256, "epochs": 1} if quick else {}))
    records, seconds = train_generator(model, world, config["prompts"], config["documents"], config["epochs"],
                                       config["lr"], config["batch_size"], config["seed"])
    model = model.cpu().eval()
    round_to_float16(model)
    questions, right = world.questions(world.test_facts)
    oracle = answer_accuracy(model, world, rag_prompts(world, questions, [[r] for r in right]),
                             [world.capitals[r // 2] for r in right], model.context)
    info = {"config": RAG_GPT, "training": config, "quick": quick, "cpu_seconds": round(seconds, 1),
            "train_loss": [round(v, 4) for v in records["train_loss"]],
            "oracle_accuracy_float16": round(oracle.float().mean().item(), 4),
            "parameters": sum(p.numel() for p in model.parameters())}
    return model.half(), info
