"""Few-shot prediction with a small GPT (LBDL §7.1, the Figure 7.1 substitute).

A large language model can be steered by its prompt: shown a few examples of a task,
``I: …, O: …``, it writes the output of the next input, with no change of its weights
(few-shot prediction, in-context learning) [Brown et al., 2020]. This module pre-trains
a small :class:`~lbdl_book.models.gpt.GPT` on the synthetic tasks of
:mod:`lbdl_book.data.fewshot`, where every sequence follows its own labelling rule with
arbitrary label words, so that the label of a query can only be read from the examples
before it, and measures its accuracy against the number of examples (shots).

Choices of this module:

- **The positional table starts from the sinusoidal encoding** (§4.10, scaled by
  ``POSITION_SCALE``) instead of N(0, 0.02²); it is trained like the rest. A sinusoidal
  table lets attention look a fixed number of positions back from the start, which is
  what reading a label's item needs.
- **Head 0 of the first layer starts as a previous-token head** (:func:`previous_token_head`):
  each position looks at the one before it and copies its token. The in-context mechanism
  of a two-layer GPT needs such a head, and left to find it alone, our GPT stays for
  minutes on a plateau where it only copies a random label of the prompt; built in, the
  rest (matching the query with an earlier example, copying its label) is learned within
  the budget of a shipped file.
- **The loss is taken at the answers only**: the cross-entropy of the label word that
  follows each ``O:`` (:func:`answer_targets`, :func:`answer_loss`). The items are random
  draws that no model can predict, so their loss would only add noise to the gradient.
"""

from __future__ import annotations

import html
import math
import time

import torch
import torch.nn.functional as F

from lbdl_book._checks import boolean, non_negative_int, positive_int, positive_real
from lbdl_book.data import fewshot as data
from lbdl_book.models.gpt import GPT
from lbdl_book.nn.positional import frequencies, sinusoidal_encoding
from lbdl_book.weights import round_to_float16

__all__ = ["FEWSHOT_GPT", "POSITION_SCALE", "SHOTS", "IGNORE", "BOOK_PROMPTS", "PREVIOUS_TOKEN_SHARPNESS", "fewshot_gpt", "previous_token_head", "reference_levels",
           "answer_targets", "answer_loss", "answer_position", "accuracy_by_shots", "correct_by_shots", "shot_metrics", "show_prompts",
           "complete", "train_fewshot", "train_shipped"]

FEWSHOT_GPT = {"context": 64, "dim": 64, "num_heads": 4, "num_layers": 2, "dropout": 0.0}
POSITION_SCALE = 0.1
PREVIOUS_TOKEN_SHARPNESS = 20.0
SHOTS = (0, 1, 2, 4, 8)
IGNORE = -100               # target of the positions that are not answers (F.cross_entropy's ignore_index)

# Figure 7.1 of LBDL: four prompts given to a 120M-parameter GPT, and what it wrote (bold).
BOOK_PROMPTS = (
    ("I: I love apples, O: positive, I: music is my passion, O: positive, I: my job is boring, O: negative, "
     "I: frozen pizzas are awesome, O:", "positive,"),
    ("I: I love apples, O: positive, I: music is my passion, O: positive, I: my job is boring, O: negative, "
     "I: frozen pizzas taste like cardboard, O:", "negative,"),
    ("I: water boils at 100 degrees, O: physics, I: the square root of two is irrational, O: mathematics, "
     "I: the set of prime numbers is infinite, O: mathematics, I: gravity is proportional to the mass, O:",
     "physics,"),
    ("I: water boils at 100 degrees, O: physics, I: the square root of two is irrational, O: mathematics, "
     "I: the set of prime numbers is infinite, O: mathematics, I: squares are rectangles, O:", "mathematics,"),
)


def previous_token_head(model: GPT, head: int = 0, sharpness: float = PREVIOUS_TOKEN_SHARPNESS) -> GPT:
    """Set head ``head`` of the first layer of ``model`` to a **previous-token head**:
    position t attends mostly to position t − 1 (the token embeddings, which the
    LayerNorm mixes with the positions, blur it a little) and copies a projection of its
    token.

    With the positional table P = s·pos-enc (the sinusoidal encoding, scale s =
    :data:`POSITION_SCALE`), the pair of dimensions (2i, 2i+1) of P[t] is
    s·(sin ω_i t, cos ω_i t). The head's query rotates each of its d/2 pairs back by ω_i
    and its key keeps them, so the attention score of t on u is proportional to
    Σ_i cos(ω_i (t − 1 − u)), largest at u = t − 1; ``sharpness`` scales it. Its value
    is an orthonormal projection of the (normalised) input onto d dimensions, written back
    by the output projection. Everything stays trainable. Returns ``model``."""
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT, got {type(model).__name__}")
    attention = model.layers[0].self_attention.attention
    d, dim = model.dim // attention.num_heads, model.dim
    if isinstance(head, bool) or not isinstance(head, int) or not 0 <= head < attention.num_heads:
        raise ValueError(f"head must be an int in [0, {attention.num_heads}), got {head!r}")
    positive_real(sharpness, "sharpness")
    omega = frequencies(dim)[: d // 2]
    q, k = torch.zeros(d, dim), torch.zeros(d, dim)
    for i, w in enumerate(omega.tolist()):
        c, s = math.cos(w), math.sin(w)
        q[2 * i: 2 * i + 2, 2 * i: 2 * i + 2] = torch.tensor([[c, -s], [s, c]])   # (sin, cos) at t → at t − 1
        k[2 * i, 2 * i] = k[2 * i + 1, 2 * i + 1] = 1.0
    scale = math.sqrt(sharpness) / (8 * POSITION_SCALE)        # LayerNorm brings rows of norm ≈ s·√(D/2) to ≈ √D
    g = torch.Generator().manual_seed(0)
    projection = torch.linalg.qr(torch.randn(dim, d, generator=g, dtype=torch.float64))[0].float().T   # (d, D)
    rows = slice(head * d, (head + 1) * d)
    with torch.no_grad():
        w_in = attention.in_proj_weight
        w_in[rows] = (q * scale).to(w_in)
        w_in[dim:][rows] = (k * scale).to(w_in)
        w_in[2 * dim:][rows] = projection.to(w_in)
        attention.out_proj.weight[:, rows] = projection.T.to(w_in)
    return model


def fewshot_gpt(seed: int = 0, *, fused: bool = True) -> GPT:
    """The GPT of :data:`FEWSHOT_GPT` on the tokens of :mod:`lbdl_book.data.fewshot`,
    initialised from ``seed`` (GPT's initialisation), then its positional table set to
    :data:`POSITION_SCALE` times the sinusoidal encoding and head 0 of its first layer to
    a previous-token head (:func:`previous_token_head`)."""
    non_negative_int(seed, "seed")
    torch.manual_seed(seed)
    model = GPT(len(data.VOCAB), **FEWSHOT_GPT, fused=fused)
    with torch.no_grad():
        model.positional.weight.copy_(POSITION_SCALE * sinusoidal_encoding(model.context, model.dim))
    return previous_token_head(model)


def answer_position(shots: int) -> int:
    """Index, in the input ``tokens[:, :-1]`` of a task, of the shape after which the
    label of example ``shots`` (counted from 0) is written: 5·shots + 2. There the model
    has seen ``shots`` complete examples and the query's item."""
    non_negative_int(shots, "shots")
    return data.EXAMPLE_LENGTH * shots + 2


def answer_targets(tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and targets for next-token training on tasks ``tokens`` (N, 5E):
    ``(tokens[:, :-1], targets)`` where the targets are ``tokens[:, 1:]`` at the answers
    (the ``O: label`` token after each item) and :data:`IGNORE` elsewhere."""
    if not isinstance(tokens, torch.Tensor) or tokens.dtype != torch.long or tokens.dim() != 2 \
            or tokens.shape[1] % data.EXAMPLE_LENGTH != 0 or tokens.shape[1] == 0:
        raise ValueError(f"tokens must be an int64 tensor (N, 5E) of whole examples, got "
                         f"{getattr(tokens, 'dtype', type(tokens).__name__)} {tuple(getattr(tokens, 'shape', ()))}")
    targets = torch.full_like(tokens[:, 1:], IGNORE)
    targets[:, 2::data.EXAMPLE_LENGTH] = tokens[:, 3::data.EXAMPLE_LENGTH]
    return tokens[:, :-1], targets


def answer_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the logits (N, T, V) at the positions whose target (N, T) is
    not :data:`IGNORE`: the answers of :func:`answer_targets`."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 3:
        raise ValueError(f"logits must be a tensor (N, T, V), got {tuple(getattr(logits, 'shape', ()))}")
    if not isinstance(targets, torch.Tensor) or targets.shape != logits.shape[:2]:
        raise ValueError(f"targets must be a tensor of shape {tuple(logits.shape[:2])}, got "
                         f"{tuple(getattr(targets, 'shape', ()))}")
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)


def shot_metrics(shots=SHOTS) -> dict:
    """Metrics for :func:`lbdl_book.fit`/``evaluate`` on ``answer_targets`` data: for each
    k of ``shots``, ``"acc{k}"`` is the fraction of tasks whose answer after k examples
    is the model's most likely next token."""
    shots = tuple(non_negative_int(k, "shots") for k in shots)

    def metric(k):
        p = answer_position(k)
        return lambda logits, targets: (logits[:, p].argmax(-1) == targets[:, p]).double().mean()

    return {f"acc{k}": metric(k) for k in shots}


def reference_levels(tasks: data.FewShotTasks, shots=SHOTS) -> tuple[dict, dict]:
    """The two reference levels of the accuracy at each k of ``shots``, for the query
    example k of each task after the k examples before it. **Chance**: a reader that picks
    one of the distinct label words of the k examples at random (one of the 16 words at
    k = 0) is right with probability 1/(number of words) when the answer is among them,
    else 0. **Ceiling**: an ideal reader, who knows the task: when the query's shape
    occurs among the k examples it writes that example's label; otherwise the answer is one
    of the 16 − d words not yet given to another shape (d = number of distinct labels in
    the prompt), and it is right with probability 1/(16 − d). Both are expectations over
    ``tasks``. Returns ``(chance, ceiling)``, two dicts k → value."""
    if not isinstance(tasks, data.FewShotTasks):
        raise TypeError(f"tasks must be FewShotTasks, got {type(tasks).__name__}")
    shots = tuple(non_negative_int(k, "shots") for k in shots)
    if max(shots) >= tasks.labels.shape[1]:
        raise ValueError(f"shots must be < the tasks' {tasks.labels.shape[1]} examples, got {max(shots)}")
    chance, ceiling = {}, {}
    for k in shots:
        if k == 0:
            chance[k] = ceiling[k] = 1 / len(data.LABELS)
            continue
        words = torch.nn.functional.one_hot(tasks.labels[:, :k], len(data.LABELS)).amax(1)    # (N, 16)
        d = words.sum(1).double()
        hit = words.gather(1, tasks.labels[:, k:k + 1])[:, 0].double()
        chance[k] = (hit / d).mean().item()
        seen = (tasks.shapes[:, :k] == tasks.shapes[:, k:k + 1]).any(1).double()
        ceiling[k] = (seen + (1 - seen) / (len(data.LABELS) - d)).mean().item()
    return chance, ceiling


@torch.no_grad()
def correct_by_shots(model: GPT, tasks: data.FewShotTasks, shots=SHOTS, batch_size: int = 1000) -> dict:
    """For each k of ``shots``: a bool tensor (N,) saying, for each of the N ``tasks``,
    whether the label of example k (the query, after the k examples before it) is the
    model's most likely next token over the whole vocabulary (greedy decoding). One
    forward pass per batch of tasks serves every k, since the causal GPT sees at each
    position exactly the prompt that ends there. The tasks need more than max(shots)
    examples."""
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT, got {type(model).__name__}")
    if not isinstance(tasks, data.FewShotTasks):
        raise TypeError(f"tasks must be FewShotTasks, got {type(tasks).__name__}")
    shots = tuple(non_negative_int(k, "shots") for k in shots)
    positive_int(batch_size, "batch_size")
    if max(shots) >= tasks.labels.shape[1]:
        raise ValueError(f"shots must be < the tasks' {tasks.labels.shape[1]} examples, got {max(shots)}")
    device = model.head.weight.device
    was_training = model.training
    model.eval()
    correct = {k: [] for k in shots}
    for start in range(0, len(tasks), batch_size):
        inputs, targets = answer_targets(tasks.tokens[start:start + batch_size])
        logits = model(inputs.to(device)).cpu()
        for k in shots:
            p = answer_position(k)
            correct[k].append(logits[:, p].argmax(-1) == targets[:, p])
    model.train(was_training)
    return {k: torch.cat(v) for k, v in correct.items()}


def accuracy_by_shots(model: GPT, tasks: data.FewShotTasks, shots=SHOTS, batch_size: int = 1000) -> dict:
    """``{k: accuracy}``: the fraction of ``tasks`` answered right after k examples, for
    each k of ``shots`` (:func:`correct_by_shots`)."""
    return {k: c.double().mean().item() for k, c in correct_by_shots(model, tasks, shots, batch_size).items()}


@torch.no_grad()
def complete(model: GPT, prompt: torch.Tensor) -> int:
    """The token the model writes after ``prompt`` (T,) int64: the most likely one."""
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT, got {type(model).__name__}")
    if not isinstance(prompt, torch.Tensor) or prompt.dtype != torch.long or prompt.dim() != 1 or len(prompt) == 0:
        raise ValueError(f"prompt must be a non-empty 1-d int64 tensor, got {getattr(prompt, 'dtype', type(prompt))}")
    was_training = model.training
    model.eval()
    token = model(prompt[None].to(model.head.weight.device))[0, -1].argmax().item()
    model.train(was_training)
    return token


class _Prompts:
    """Prompts with their completions, shown in Jupyter as HTML (completion in bold) and
    printed as text (completion between ** **)."""

    def __init__(self, rows):
        self.rows = rows

    def _repr_html_(self) -> str:
        lines = []
        for prompt, completion, mark in self.rows:
            style = "" if mark is None else (" style='color:#1a7f37'" if mark else " style='color:#cf222e'")
            lines.append(f"<div style='font-family:monospace;margin:0.4em 0'>{html.escape(prompt)} "
                         f"<b{style}>{html.escape(completion)}</b>"
                         + ("" if mark is None else (" ✓" if mark else " ✗")) + "</div>")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return "\n".join(f"{p} **{c}**" + ("" if m is None else (" ✓" if m else " ✗")) for p, c, m in self.rows)


def show_prompts(rows) -> _Prompts:
    """Display ``rows`` of ``(prompt, completion)`` or ``(prompt, completion, correct)``
    (str, str, bool): each prompt on a line with its completion in bold, marked ✓/✗ (green
    or red) when ``correct`` is given."""
    if not isinstance(rows, (list, tuple)):
        raise TypeError(f"rows must be a list of (prompt, completion[, correct]) tuples, got {type(rows).__name__}")
    out = []
    for row in rows:
        if not isinstance(row, tuple) or len(row) not in (2, 3) or not all(isinstance(s, str) for s in row[:2]):
            raise ValueError(f"rows must be (prompt, completion[, correct]) tuples of strings, got {row!r}")
        out.append((row[0], row[1], row[2] if len(row) == 3 else None))
    return _Prompts(out)


def train_fewshot(model: GPT, sequences: int, epochs: int, *, batch_size: int = 32, lr: float = 3e-3,
                  seed: int = 0, test_tasks: data.FewShotTasks | None = None, shots=SHOTS) -> tuple:
    """Pre-train ``model`` on ``sequences`` training tasks of 9 examples (seed ``seed``),
    ``epochs`` passes, with :func:`lbdl_book.fit`: AdamW (weight decay 0.1), batches of ``batch_size``, the learning rate warmed up over 5 %
    of the steps then cosine-decayed to ``lr``/10, gradients clipped at 1. With
    ``test_tasks``, the accuracy at each k of ``shots`` is measured after every epoch
    (``history["val_acc{k}"]``). Returns ``(history, cpu_seconds)``."""
    from lbdl_book.schedules import warmup_cosine
    from lbdl_book.train import fit

    positive_int(sequences, "sequences")
    positive_int(epochs, "epochs")
    positive_int(batch_size, "batch_size")
    train = answer_targets(data.generate_tasks(sequences, 9, "train", seed=seed).tokens)
    total = epochs * math.ceil(sequences / batch_size)

    def schedule(step: int) -> float:
        return warmup_cosine(step, lr=lr, warmup_steps=max(1, total // 20), total_steps=max(2, total), min_lr=lr / 10)

    val = None if test_tasks is None else answer_targets(test_tasks.tokens)
    start = time.process_time()
    history = fit(model, answer_loss, train, epochs=epochs, lr=lr, batch_size=batch_size, optimizer="adamw",
                  weight_decay=0.1,
                  schedule=schedule, grad_clip=1.0, val_data=val, metrics=None if val is None else shot_metrics(shots),
                  seed=seed)
    return history, time.process_time() - start


def train_shipped(quick: bool = False) -> tuple[GPT, dict]:
    """The recipe of ``lbdl_book/weights/fewshot.safetensors``: :func:`fewshot_gpt` from
    seed 0, :func:`train_fewshot` on 19,200 training tasks (seed 1) for 10 epochs (6,000
    steps of 32 tasks), the accuracy at 0, 1, 2, 4, 8 shots on 2,000 test tasks (seed 2,
    held-out rules) recorded after each epoch. Weights rounded to float16,
    the file's precision. ``quick``: 256 tasks, 1 epoch (what the tests run)."""
    boolean(quick, "quick")
    model = fewshot_gpt(0)
    sequences, epochs = (256, 1) if quick else (19_200, 10)
    test = data.generate_tasks(200 if quick else 2_000, 9, "test", seed=2)
    history, seconds = train_fewshot(model, sequences, epochs, seed=1, test_tasks=test)
    model = model.cpu().eval()
    round_to_float16(model)
    final = accuracy_by_shots(model, test)
    info = {"config": FEWSHOT_GPT, "vocab_size": len(data.VOCAB), "position_scale": POSITION_SCALE,
            "sequences": sequences, "epochs": epochs, "batch_size": 32, "lr": 3e-3, "optimizer": "adamw", "cpu_seconds": round(seconds, 1),
            "train_loss": [round(v, 4) for v in history["train_loss"]],
            "checkpoints": {str(k): [round(v, 4) for v in history[f"val_acc{k}"]] for k in SHOTS},
            "test_accuracy_float16": {str(k): round(v, 4) for k, v in final.items()},
            "test_tasks": len(test), "parameters": sum(p.numel() for p in model.parameters())}
    return model.half(), info
