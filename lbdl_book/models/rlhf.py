"""Reinforcement learning from human feedback, at toy scale (LBDL §7.1) [Ouyang et al., 2022].

LBDL's account: a language model trained on web text imitates the web, which is not a
helpful assistant; a small set of answers written by people fine-tunes it directly
(*supervised fine-tuning*, SFT), and people's ratings of generated answers train a
*reward network* that becomes the target of reinforcement learning (§6.7). This module
builds every stage on a synthetic "question → answer" language that a small GPT
(:class:`lbdl_book.models.gpt.GPT`) learns in seconds.

The language. A sequence is ``<s> d ? r_1 … r_n .``: the question is a digit d, the
answer r_1 … r_n (n ≤ :data:`MAX_ANSWER`) is made of digits and of the words ``thanks``,
``um``, ``well`` and ``ugh``, and ``.`` ends it (positions after the end are padded with
``.``). The right answer to d is (d + 1) mod 10. The hidden "human" preference
(:func:`true_score`), which the learner never sees, is

    s*(y) = 1[first digit of y is right] + 0.5·1[y says thanks] − 1[y says ugh] − 0.25·max(0, n − 2)

(right, polite, not rude, concise). The "web" (:func:`web_answers`) mixes good and bad
answers: right 60 % of the time, fillers, rudeness, at most one ``thanks``.

The stages (Beyond LBDL for the formulas, which the book does not give):

* pre-training and SFT: next-token cross-entropy (:func:`lbdl_book.autoregressive.sequence_cross_entropy`);
* the reward model r_φ (:class:`RewardModel`), trained on pairs of answers to the same
  question labelled by a noisy rater, with the Bradley–Terry loss
  −log σ(r_φ(y_w) − r_φ(y_l)) (:func:`bradley_terry_loss`); the rater prefers y_1 with
  probability σ((s*(y_1) − s*(y_2)) / τ) (:func:`rate_pairs`);
* the RL stage (:func:`train_rlhf`): REINFORCE with a batch-mean baseline on the
  per-sequence reward R(y) = r_φ(y) − β Σ_t log(π_θ(y_t | ·) / π_ref(y_t | ·)), the sum
  being the sampled estimate of KL(π_θ ‖ π_ref) to the SFT (reference) policy; the
  baseline of an answer is the mean R of the other answers to the same question.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
from torch import nn

from lbdl_book._checks import boolean, module, non_negative_real, positive_int, positive_real, tensor, token_ids
from lbdl_book.models.gpt import GPT, next_token_distribution
from lbdl_book.train import eval_mode
from lbdl_book.nn.linear import Linear
from lbdl_book.weights import round_to_float16

__all__ = ["VOCAB", "MAX_ANSWER", "LENGTH", "POLICY", "RewardModel", "RLHFRun", "answer_mask", "bradley_terry_loss",
           "demonstrations", "encode", "pair_accuracy", "policy_gpt", "pretrained_policy", "questions", "rate_pairs",
           "render", "right_answer", "sample_answers", "score_parts", "sequence_log_probs", "train_rlhf", "true_score",
           "web_answers"]

VOCAB = [str(d) for d in range(10)] + ["?", ".", "thanks", "um", "well", "ugh", "<s>"]
ASK, END, THANKS, UM, WELL, UGH, START = range(10, 17)
PROMPT = 3                         # <s> d ?
MAX_ANSWER = 8                     # answer tokens, the final "." included
LENGTH = PROMPT + MAX_ANSWER       # every sequence, padded with "."
POLICY = {"context": LENGTH, "dim": 32, "num_heads": 4, "num_layers": 2}


def _generator(seed) -> torch.Generator:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    return torch.Generator().manual_seed(seed)


def _sequences(tokens, name: str = "tokens") -> torch.Tensor:
    token_ids(tokens, len(VOCAB), name=name)
    if tokens.shape[1] != LENGTH:
        raise ValueError(f"{name} must have shape (N, {LENGTH}) (question and answer, padded), "
                         f"got {tuple(tokens.shape)}")
    return tokens


def right_answer(question: torch.Tensor) -> torch.Tensor:
    """The right answer to each question digit d (any shape, int64): (d + 1) mod 10."""
    tensor(question, "question")
    if question.dtype != torch.int64 or (question.numel() and (question.min() < 0 or question.max() > 9)):
        raise ValueError(f"question must be int64 digits in [0, 9], got {question.dtype}")
    return (question + 1) % 10


def questions(n: int, seed: int = 0) -> torch.Tensor:
    """``n`` prompts ``<s> d ?`` with uniform digits d: (n, 3) int64."""
    positive_int(n, "n")
    d = torch.randint(0, 10, (n,), generator=_generator(seed))
    return torch.stack([torch.full_like(d, START), d, torch.full_like(d, ASK)], 1)


def _assemble(prompts: torch.Tensor, answers: list[list[int]]) -> torch.Tensor:
    out = torch.full((len(answers), LENGTH), END, dtype=torch.long)
    out[:, :PROMPT] = prompts
    for i, answer in enumerate(answers):
        answer = answer[:MAX_ANSWER - 1]
        out[i, PROMPT:PROMPT + len(answer)] = torch.tensor(answer, dtype=torch.long)
    return out


def web_answers(n: int, seed: int = 0) -> torch.Tensor:
    """The pre-training text: ``n`` sequences (n, LENGTH) whose answers are what the web
    offers, a mix of good and bad. Each answer is: a rude ``ugh`` (probability 0.2), 0-2
    fillers (``um``/``well``), a digit (probability 0.85; the right one 60 % of the time,
    else one of the nine others), ``thanks`` (0.3), 0-2 more fillers, then ``.``."""
    prompts = questions(n, seed)
    g = _generator(seed + 1)
    u = torch.rand(n, 8, generator=g)
    wrong = torch.randint(1, 10, (n,), generator=g)
    fillers = torch.randint(0, 2, (n, 4), generator=g) + UM
    answers = []
    for i in range(n):
        d = prompts[i, 1].item()
        words = [UGH] if u[i, 0] < 0.2 else []
        words += fillers[i, :0 if u[i, 1] < 0.5 else 1 if u[i, 1] < 0.8 else 2].tolist()
        if u[i, 2] < 0.85:
            words.append((d + 1) % 10 if u[i, 3] < 0.6 else (d + 1 + wrong[i].item()) % 10)
        if u[i, 4] < 0.3:
            words.append(THANKS)
        words += fillers[i, 2:2 + (0 if u[i, 5] < 0.6 else 1 if u[i, 5] < 0.85 else 2)].tolist()
        answers.append(words)
    return _assemble(prompts, answers)


def demonstrations(n: int, seed: int = 0) -> torch.Tensor:
    """``n`` answers written by the "labellers" (n, LENGTH): the right digit, ``thanks``
    half of the time, then ``.``."""
    prompts = questions(n, seed)
    polite = torch.rand(n, generator=_generator(seed + 1)) < 0.5
    answers = [[(prompts[i, 1].item() + 1) % 10] + ([THANKS] if polite[i] else []) for i in range(n)]
    return _assemble(prompts, answers)


def answer_mask(tokens: torch.Tensor) -> torch.Tensor:
    """(N, LENGTH) bool: the answer's positions, from the first token after ``?`` up to
    and including the first ``.`` (the padding after it is not part of the answer)."""
    _sequences(tokens)
    ends = (tokens[:, PROMPT:] == END).int()
    before_end = ends.cumsum(1) - ends == 0                       # positions up to the first "."
    mask = torch.zeros_like(tokens, dtype=torch.bool)
    mask[:, PROMPT:] = before_end
    return mask


def true_score(tokens: torch.Tensor) -> torch.Tensor:
    """The hidden preference s*(y) of each sequence (N,) float32: +1 if the first digit of
    the answer is the right one, +0.5 if it says ``thanks``, −1 if it says ``ugh``, −0.25
    per word beyond two (the ``.`` is not counted)."""
    mask = answer_mask(tokens) & (tokens != END)
    words = torch.where(mask, tokens, END)
    n = mask.sum(1)
    is_digit = words < 10
    first = torch.where(is_digit.any(1), words.gather(1, is_digit.int().argmax(1, keepdim=True))[:, 0], -1)
    right = first == right_answer(tokens[:, 1])
    polite, rude = (words == THANKS).any(1), (words == UGH).any(1)
    return right.float() + 0.5 * polite.float() - 1.0 * rude.float() - 0.25 * (n - 2).clamp(min=0).float()


def score_parts(tokens: torch.Tensor) -> dict[str, float]:
    """What the hidden preference looks at, averaged over the (N, LENGTH) sequences: the
    fraction of answers whose first digit is ``right``, that are ``polite`` (say thanks),
    ``rude`` (say ugh), their mean ``length`` in words (the ``.`` not counted) and number
    of ``digits``, and ``score``, the mean of :func:`true_score`."""
    mask = answer_mask(tokens) & (tokens != END)
    words = torch.where(mask, tokens, END)
    is_digit = words < 10
    first = torch.where(is_digit.any(1), words.gather(1, is_digit.int().argmax(1, keepdim=True))[:, 0], -1)
    return {"right": (first == right_answer(tokens[:, 1])).float().mean().item(),
            "polite": (words == THANKS).any(1).float().mean().item(),
            "rude": (words == UGH).any(1).float().mean().item(),
            "length": mask.sum(1).float().mean().item(),
            "digits": is_digit.sum(1).float().mean().item(),
            "score": true_score(tokens).mean().item()}


def render(tokens: torch.Tensor) -> list[str]:
    """Each sequence as text, ``3 ? 4 thanks .`` (the ``<s>`` and the padding dropped)."""
    mask = answer_mask(tokens)
    mask[:, 1:PROMPT] = True
    return [" ".join(VOCAB[t] for t in row[keep].tolist()) for row, keep in zip(tokens, mask)]


def encode(text: str) -> torch.Tensor:
    """The sequence (1, LENGTH) of a text such as ``"3 ? 4 thanks ."``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    words = text.split()
    if any(w not in VOCAB for w in words) or len(words) < 3 or words[1] != "?" or not words[0].isdigit():
        raise ValueError(f"text must read 'd ? answer .' in the words {VOCAB[:-1]}, got {text!r}")
    if len(words) - 2 > MAX_ANSWER:
        raise ValueError(f"text has an answer of {len(words) - 2} tokens, more than {MAX_ANSWER}: {text!r}")
    ids = [START] + [VOCAB.index(w) for w in words]
    return torch.tensor([ids + [END] * (LENGTH - len(ids))])


def policy_gpt(seed: int = 0, **options) -> GPT:
    """A GPT of :data:`POLICY` over :data:`VOCAB` (26,368 parameters), built from ``seed``."""
    g = _generator(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(g.initial_seed())
        return GPT(len(VOCAB), **POLICY, **options)


# --- Sampling and log-probabilities --------------------------------------------------------

def sample_answers(model: GPT, prompts: torch.Tensor, seed: int = 0, temperature: float = 1.0) -> torch.Tensor:
    """Answers drawn from ``model`` for ``prompts`` (N, 3), one token at a time from
    P̂(y_t | x, y_<t) (:func:`~lbdl_book.models.gpt.next_token_distribution`), until every
    answer has its ``.`` or has :data:`MAX_ANSWER` tokens: (N, LENGTH) on the CPU, padded
    with ``.``. Runs in eval mode, without gradients."""
    module(model, "model")
    token_ids(prompts, len(VOCAB), name="prompts")
    if prompts.shape[1] != PROMPT:
        raise ValueError(f"prompts must have shape (N, {PROMPT}), got {tuple(prompts.shape)}")
    g = _generator(seed)
    device = model.head.weight.device
    tokens = torch.full((len(prompts), LENGTH), END, dtype=torch.long)
    tokens[:, :PROMPT] = prompts
    done = torch.zeros(len(prompts), dtype=torch.bool)
    with eval_mode(model):
        for t in range(PROMPT, LENGTH):
            p = next_token_distribution(model(tokens[:, :t].to(device))[:, -1], temperature).cpu()
            tokens[:, t] = torch.where(done, END, torch.multinomial(p, 1, generator=g)[:, 0])
            done |= tokens[:, t] == END
            if done.all():                                          # the rest is padding
                break
    return tokens


def sequence_log_probs(model: GPT, tokens: torch.Tensor) -> torch.Tensor:
    """log π(y_t | x, y_<t) of every answer token under ``model`` (N, LENGTH − 1), zero
    outside the answer (:func:`answer_mask`); entry t − 1 is that of token t. Their sum
    over t is log π(y | x). Keeps the graph, for the policy gradient."""
    module(model, "model")
    mask = answer_mask(tokens)[:, 1:].to(model.head.weight.device)
    tokens = tokens.to(model.head.weight.device)
    logits = model(tokens[:, :-1])
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))      # float32 at least
    log_p = torch.log_softmax(logits, -1).gather(2, tokens[:, 1:, None])[..., 0]
    return torch.where(mask, log_p, torch.zeros_like(log_p))


# --- The reward model --------------------------------------------------------------------

class RewardModel(nn.Module):
    """r_φ(x, y): a GPT body (:data:`POLICY`) with a scalar head. Each answer token gets a
    score from its hidden state, which has read the question and the answer so far; the
    reward is the sum of the scores over the answer (:func:`answer_mask`), ``.`` included.

    tokens (..., LENGTH) int64 → rewards (...) float32. ``body`` is a :class:`GPT` (its
    output layer is unused), ``score`` a D → 1 fully connected layer."""

    def __init__(self, seed: int = 0, **options):
        super().__init__()
        self.body = policy_gpt(seed, **options)
        self.score = Linear(POLICY["dim"], 1)

    def token_scores(self, tokens: torch.Tensor) -> torch.Tensor:
        """The score of every position (N, LENGTH), zero outside the answer."""
        _sequences(tokens)
        tokens = tokens.to(self.score.weight.device)
        h = self.body.positional(self.body.embedding(tokens))
        for layer in self.body.layers:
            h = layer(h)
        s = self.score(self.body.norm(h))[..., 0]
        return torch.where(answer_mask(tokens), s, torch.zeros_like(s))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        tensor(tokens, "tokens")
        if tokens.dim() < 2 or tokens.shape[-1] != LENGTH:
            raise ValueError(f"tokens must have shape (..., {LENGTH}), got {tuple(tokens.shape)}")
        shape = tokens.shape[:-1]
        return self.token_scores(tokens.reshape(-1, tokens.shape[-1])).sum(1).reshape(shape)


def bradley_terry_loss(rewards: torch.Tensor, winner: torch.Tensor) -> torch.Tensor:
    """The Bradley–Terry loss of scored pairs: ``rewards`` (N, 2) the rewards of the two
    answers, ``winner`` (N,) int64, 0 or 1, the one the rater preferred. Returns the mean
    of −log σ(r_w − r_l) (a 0-d tensor)."""
    tensor(rewards, "rewards", floating=True)
    tensor(winner, "winner")
    if rewards.dim() != 2 or rewards.shape[1] != 2:
        raise ValueError(f"rewards must have shape (N, 2), got {tuple(rewards.shape)}")
    if winner.shape != rewards.shape[:1] or winner.dtype != torch.int64 or (
            winner.numel() and (winner.min() < 0 or winner.max() > 1)):
        raise ValueError(f"winner must be int64 of shape ({rewards.shape[0]},) with values 0 or 1, "
                         f"got {winner.dtype} {tuple(winner.shape)}")
    margin = rewards[:, 0] - rewards[:, 1]
    margin = torch.where(winner == 0, margin, -margin)             # r_w − r_l
    return nn.functional.softplus(-margin).mean()                  # −log σ(m) = log(1 + e^(−m))


def rate_pairs(pairs: torch.Tensor, tau: float = 0.5, seed: int = 0) -> torch.Tensor:
    """The noisy rater: for pairs (N, 2, LENGTH) of answers to the same question, the
    preferred one (N,) int64: 0 with probability σ((s*(y_1) − s*(y_2)) / τ)."""
    if not isinstance(pairs, torch.Tensor) or pairs.dim() != 3 or pairs.shape[1] != 2:
        raise ValueError(f"pairs must be a tensor of shape (N, 2, {LENGTH})")
    positive_real(tau, "tau")
    s = true_score(_sequences(pairs.reshape(-1, pairs.shape[-1]), "pairs")).reshape(-1, 2)
    first = torch.rand(len(s), generator=_generator(seed)) < torch.sigmoid((s[:, 0] - s[:, 1]) / tau)
    return (~first).long()


def pair_accuracy(rewards: torch.Tensor, winner: torch.Tensor) -> float:
    """Fraction of pairs whose preferred answer has the larger reward (ties count ½)."""
    tensor(rewards, "rewards", floating=True)
    if rewards.dim() != 2 or rewards.shape[1] != 2 or not isinstance(winner, torch.Tensor) or \
            winner.shape != rewards.shape[:1]:
        raise ValueError("rewards must be (N, 2) and winner (N,)")
    margin = rewards[:, 0] - rewards[:, 1]
    margin = torch.where(winner == 0, margin, -margin)
    return ((margin > 0).float() + 0.5 * (margin == 0).float()).mean().item()


# --- Fine-tuning against the reward model ----------------------------------------------------

@dataclass
class RLHFRun:
    """What :func:`train_rlhf` records at every step (lists of floats, one per step, means
    over the step's batch): the reward model's ``reward``, the ``kl`` estimate
    Σ_t log π_θ/π_ref and the hidden ``true`` score s*; and the ``beta`` and wall-clock
    ``seconds`` of the run."""

    beta: float
    reward: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)
    true: list[float] = field(default_factory=list)
    seconds: float = 0.0


def train_rlhf(policy: GPT, reference: GPT, reward_model: RewardModel, *, beta: float, steps: int,
               batch_size: int = 64, answers_per_question: int = 4, lr: float = 1e-3, seed: int = 0) -> RLHFRun:
    """Fine-tune ``policy`` in place against ``reward_model`` with a KL penalty to
    ``reference``, by REINFORCE with a baseline. At each step: draw ``batch_size`` /
    ``answers_per_question`` questions and k = ``answers_per_question`` answers y to each
    from π_θ; R(y) = r_φ(y) − β Σ_t log(π_θ(y_t)/π_ref(y_t)); take one Adam step on the
    loss −mean((R − b) · log π_θ(y)), whose gradient is the REINFORCE estimate of −∇ E[R].
    The baseline b of an answer is the mean R of the k − 1 other answers to its question
    (leave-one-out): it does not depend on the answer, so the estimate stays unbiased, and
    it cancels the part of R that depends on the question only."""
    for value, name in ((policy, "policy"), (reference, "reference"), (reward_model, "reward_model")):
        module(value, name)
    beta = non_negative_real(beta, "beta")
    positive_int(steps, "steps")
    k = positive_int(answers_per_question, "answers_per_question")
    if k < 2 or isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < k or batch_size % k:
        raise ValueError(f"batch_size must be a positive multiple of answers_per_question >= 2, got batch_size="
                         f"{batch_size!r} and answers_per_question={k}")
    positive_real(lr, "lr")
    optimizer = torch.optim.Adam(policy.parameters(), lr=lr)
    run = RLHFRun(beta)
    start = time.perf_counter()
    for step in range(steps):
        prompts = questions(batch_size // k, seed * 100_003 + step).repeat_interleave(k, 0)
        tokens = sample_answers(policy, prompts, seed=seed * 100_003 + step)
        log_p = sequence_log_probs(policy, tokens)
        with torch.no_grad():
            log_ratio = (log_p - sequence_log_probs(reference, tokens)).sum(1)     # estimate of KL(π_θ ‖ π_ref)
            reward = reward_model(tokens)
            total = (reward - beta * log_ratio).reshape(-1, k)                    # one row per question
            baseline = (total.sum(1, keepdim=True) - total) / (k - 1)            # mean of the other answers
            advantage = (total - baseline).reshape(-1)
        loss = -(advantage * log_p.sum(1)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        run.reward.append(reward.mean().item())
        run.kl.append(log_ratio.mean().item())
        run.true.append(true_score(tokens).mean().item())
    run.seconds = time.perf_counter() - start
    return run


# --- The shipped pre-trained policy ---------------------------------------------------------

def pretrained_policy() -> GPT:
    """The policy of :data:`POLICY` pre-trained on the "web" (:func:`web_answers`), with
    the shipped weights ``rlhf_policy`` loaded (:func:`train_shipped`). In eval mode, CPU."""
    from lbdl_book.weights import load

    model = policy_gpt(0)
    load(model, "rlhf_policy")
    return model.eval()


def train_shipped(quick: bool = False) -> tuple[GPT, dict]:
    """The recipe of ``lbdl_book/weights/rlhf_policy.safetensors``: :func:`policy_gpt` (seed 0)
    trained by next-token cross-entropy on 20,000 sequences of :func:`web_answers` (seed 0),
    10 epochs, AdamW (learning rate 3e-3, no weight decay),
    batches of 64; validation on 2,000 other sequences (seed 99). Weights rounded to
    float16, the file's precision. ``quick``: one epoch on 512 sequences (the tests)."""
    from lbdl_book.autoregressive import sequence_cross_entropy
    from lbdl_book.config import device
    from lbdl_book.train import fit

    boolean(quick, "quick")
    n, epochs = (512, 1) if quick else (20_000, 10)
    train, val = web_answers(n, seed=0), web_answers(2_000, seed=99)
    model = policy_gpt(0).to(device())
    start = time.process_time()
    history = fit(model, sequence_cross_entropy, (train[:, :-1], train[:, 1:]), epochs=epochs, lr=3e-3,
                  batch_size=64, optimizer="adamw", val_data=(val[:, :-1], val[:, 1:]), seed=0)
    seconds = time.process_time() - start
    model = model.cpu().eval()
    round_to_float16(model)
    with torch.no_grad():
        val_loss = sequence_cross_entropy(model(val[:, :-1]), val[:, 1:]).item()
        answers = sample_answers(model, questions(4_000, seed=5), seed=6)
    info = {"config": POLICY, "vocab_size": len(VOCAB), "sequences": n, "epochs": epochs, "lr": 3e-3,
            "batch_size": 64, "optimizer": "adamw", "device": str(device()), "train_cpu_seconds": round(seconds, 1),
            "val_loss": [round(v, 4) for v in history["val_loss"]], "val_loss_float16": round(val_loss, 4),
            "true_score_samples": round(true_score(answers).mean().item(), 4),
            "true_score_web": round(true_score(val).mean().item(), 4),
            "parameters": sum(p.numel() for p in model.parameters())}
    return model.half(), info
