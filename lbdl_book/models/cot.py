"""Chain of thought on a toy task (LBDL §8.1, Figure 8.1) [Wei et al., 2022; Kojima et al., 2022].

A problem is a start value and 1 to 4 additions or subtractions of small numbers, written
as tokens: ``27 + 3 - 5 + 1 =``. Each number 0..49 is one token, so a step is one
look-up of "value ± operand". Two training targets follow the ``=``:

* direct: the final value only (``26``);
* chain of thought: every intermediate value, the last one being the answer
  (``30 25 26``).

The same small GPT (:class:`lbdl_book.models.gpt.GPT`) is trained on the same problems
for the same number of steps with either target; the loss counts the answer tokens only.
At test time the model continues the prompt greedily and its last token is the answer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from lbdl_book._checks import boolean, non_negative_int, positive_int, positive_real, token_ids
from lbdl_book.models.gpt import GPT
from lbdl_book.train import eval_mode, fit

__all__ = ["CONFIG", "MAX_STEPS", "PLUS", "MINUS", "EQUALS", "PAD", "VOCAB", "accuracy", "answer",
           "decode", "problems", "training_set", "train"]

NUMBERS = 50                      # tokens 0..49 are the numbers themselves
PLUS, MINUS, EQUALS, PAD = 50, 51, 52, 53
VOCAB = 54
MAX_STEPS = 4
START = (20, 30)                  # start values 20..29
OPERAND = (1, 6)                  # operands 1..5: every value stays in 0..49
CONFIG = {"context": 16, "dim": 32, "num_heads": 4, "num_layers": 1}
IGNORE = -100


def problems(n: int, steps: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` problems of ``steps`` operations: the prompts (n, 2·steps + 2) ending with
    ``=``, and the intermediate values (n, steps), the last column being the answer."""
    positive_int(n, "n")
    _generator(generator)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an int in 1..{MAX_STEPS}, got {steps!r}")
    value = torch.randint(*START, (n,), generator=generator)
    operand = torch.randint(*OPERAND, (n, steps), generator=generator)
    minus = torch.randint(0, 2, (n, steps), generator=generator).bool()
    prompt, values = [value[:, None]], []
    for i in range(steps):
        value = value + torch.where(minus[:, i], -operand[:, i], operand[:, i])
        values.append(value)
        prompt += [torch.where(minus[:, i:i + 1], MINUS, PLUS), operand[:, i:i + 1]]
    prompt.append(torch.full((n, 1), EQUALS))
    return torch.cat(prompt, 1), torch.stack(values, 1)


def training_set(n: int, cot: bool, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` problems with 1..4 steps (uniform), as next-token pairs (inputs, targets) of
    shape (n, 3·MAX_STEPS + 1), padded with PAD; the targets are IGNORE except on the
    answer tokens: all intermediate values if ``cot``, the final one only otherwise."""
    positive_int(n, "n")
    boolean(cot, "cot")
    _generator(generator)
    width = 3 * MAX_STEPS + 1
    x, y = torch.full((n, width), PAD), torch.full((n, width), IGNORE)
    steps = torch.randint(1, MAX_STEPS + 1, (n,), generator=generator)
    for k in range(1, MAX_STEPS + 1):
        rows = (steps == k).nonzero().flatten()
        if len(rows) == 0:
            continue
        prompt, values = problems(len(rows), k, generator)
        target = values if cot else values[:, -1:]
        text = torch.cat([prompt, target], 1)
        x[rows, :text.shape[1] - 1] = text[:, :-1]
        y[rows, prompt.shape[1] - 1:text.shape[1] - 1] = target
    return x, y


def _generator(generator) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None, got {type(generator).__name__}")


def _model(model) -> GPT:
    if not isinstance(model, GPT) or model.vocab_size != VOCAB:
        raise TypeError(f"model must be a GPT with vocab_size {VOCAB}, got {model!r:.80}")
    return model


def _loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)


def train(cot: bool, seed: int = 0, examples: int = 2048, epochs: int = 6, lr: float = 5e-3,
          batch_size: int = 32) -> GPT:
    """A GPT of ``CONFIG`` trained with Adam on ``examples`` problems for ``epochs``
    (the same steps for both targets); returns it in eval mode."""
    boolean(cot, "cot")
    non_negative_int(seed, "seed")
    positive_int(examples, "examples")
    positive_int(epochs, "epochs")
    positive_real(lr, "lr")
    positive_int(batch_size, "batch_size")
    torch.manual_seed(seed)
    data = training_set(examples, cot, torch.Generator().manual_seed(seed))
    model = GPT(VOCAB, **CONFIG)
    fit(model, _loss, data, epochs=epochs, lr=lr, batch_size=batch_size, optimizer="adam", seed=seed)
    return model.eval()


@torch.no_grad()
def answer(model: GPT, prompt: torch.Tensor, cot: bool) -> torch.Tensor:
    """Greedy continuation of the prompts (n, L) ending with ``=``: as many tokens as the
    problem has steps with chain of thought, one without. Returns (n, L + generated)."""
    _model(model)
    boolean(cot, "cot")
    if not isinstance(prompt, torch.Tensor) or prompt.ndim != 2 or prompt.shape[1] % 2 or prompt.shape[0] == 0:
        raise ValueError(f"prompt must be an (n, 2·steps + 2) tensor of token ids, got {prompt!r:.80}")
    token_ids(prompt, VOCAB, name="prompt")
    if not bool((prompt[:, -1] == EQUALS).all()):
        raise ValueError("prompt must end with the EQUALS token in every row")
    steps = (prompt.shape[1] - 2) // 2
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"prompt must hold 1..{MAX_STEPS} operations, got {steps}")
    x = prompt
    with eval_mode(model):
        for _ in range(steps if cot else 1):
            x = torch.cat([x, model(x)[:, -1].argmax(-1, keepdim=True)], 1)
    return x


def accuracy(model: GPT, steps: int, cot: bool, n: int = 500, seed: int = 1000) -> float:
    """Fraction of ``n`` fresh problems of ``steps`` steps whose last generated token is
    the right answer."""
    _model(model)
    boolean(cot, "cot")
    non_negative_int(seed, "seed")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be an int in 1..{MAX_STEPS}, got {steps!r}")
    prompt, values = problems(n, steps, torch.Generator().manual_seed(seed + steps))
    return (answer(model, prompt, cot)[:, -1] == values[:, -1]).float().mean().item()


def decode(tokens) -> str:
    """Tokens → text: ``27 + 3 - 5 =``."""
    if isinstance(tokens, (str, bytes)) or not hasattr(tokens, "__iter__"):
        raise TypeError(f"tokens must be a sequence of token ids, got {type(tokens).__name__}")
    if isinstance(tokens, torch.Tensor) and (tokens.is_floating_point() or tokens.ndim != 1):
        raise TypeError(f"tokens must be a 1-d integer tensor or a list of ints, got {tokens.dtype} {tuple(tokens.shape)}")
    tokens = list(tokens)
    if not all(isinstance(i, int) or (isinstance(i, torch.Tensor) and i.ndim == 0 and not i.is_floating_point())
               for i in tokens) or not all(0 <= int(i) < VOCAB for i in tokens):
        raise ValueError(f"tokens must be token ids in 0..{VOCAB - 1}, got {tokens!r:.80}")
    names = {PLUS: "+", MINUS: "-", EQUALS: "=", PAD: "_"}
    return " ".join(names.get(int(i), str(int(i))) for i in tokens)
