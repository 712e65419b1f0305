"""A Whisper-like speech recogniser (LBDL §6.5), after [Radford et al., 2022].

Speech recognition as translation: the encoder reads a log-mel spectrogram, T frames of
D band energies (:mod:`lbdl_book.audio`), the decoder writes tokens.

* **Front of the encoder**: two 1D convolutions over time (kernel 3, GELU), each with
  stride 2, so the encoder sees T/4 positions of dimension ``dim``, one every 40 ms
  (Whisper strides only the second: T/2 positions of 20 ms); then the
  sinusoidal positional encoding and a stack of Transformer encoder layers (§5.3).
* **Decoder**: the decoder of :mod:`lbdl_book.models.transformer` (causal self-attention,
  cross-attention on the encoder's output, feed-forward), emitting the tokens of the
  byte-pair-encoding tokenizer of §3.2 (:func:`speech_tokenizer`).
* **Multitask format**: the decoder's input starts with ``<sot>`` and a task token,
  ``<transcribe>`` (write the English words: "three seven") or ``<translate>`` (write
  them as Chinese numerals: "三七"); the model then emits the text and ``<eot>``, or
  ``<nospeech>`` ``<eot>`` when the clip holds no speech. Whisper's format has more
  (a language token, timestamps); the idea is the same: one decoder, several tasks,
  chosen by the prompt.

The quality is the character error rate (:func:`cer`): the edit distance between the
output and the reference, in characters, over the number of reference characters.
"""

from __future__ import annotations

import functools
import math
import time

import torch
from torch import nn

from lbdl_book._checks import boolean, model_input, positive_int, token_ids
from lbdl_book.audio import log_mel
from lbdl_book.data.speech import DIGITS, DIGITS_ZH, SAMPLE_RATE, SpeechSet, speech_dataset, translate
from lbdl_book.losses import cross_entropy
from lbdl_book.models.transformer import Decoder, EncoderLayer, block_parameter_count
from lbdl_book.nn.activations import GELU
from lbdl_book.nn.conv import Conv1d
from lbdl_book.nn.fused import set_fused
from lbdl_book.nn.norm import LayerNorm
from lbdl_book.nn.positional import SinusoidalPositionalEncoding
from lbdl_book.tokenizer import BPETokenizer
from lbdl_book.train import eval_mode
from lbdl_book.weights import round_to_float16

__all__ = ["SPECIALS", "TASKS", "TRAIN_SEED", "TEST_SEED", "TRAIN_PITCH", "TEST_PITCH", "SpeechRecognizer",
           "SpeechTeacherForcing", "speech_tokenizer", "features", "encode_targets", "decode_tokens",
           "transcribe", "edit_distance", "cer", "no_speech_accuracy", "speech_loss", "parameter_count",
           "cross_attention", "evaluate", "vocab_size", "train_shipped"]

SPECIALS = ("<pad>", "<sot>", "<eot>", "<transcribe>", "<translate>", "<nospeech>")
TASKS = ("transcribe", "translate")
N_MELS, N_FFT, HOP = 40, 200, 80             # 40 bands, 25 ms windows, a 10 ms hop at 8 kHz
MAX_TOKENS = 16
TRAIN_SEED, TEST_SEED = 6500, 6501
TRAIN_PITCH = (85.0, 175.0)                  # the training speakers' pitch range (Hz)
TEST_PITCH = (185.0, 230.0)                  # held-out speakers: higher voices, never heard in training


@functools.lru_cache(maxsize=1)
def _tokenizer() -> tuple[BPETokenizer, dict[str, int]]:
    g = torch.Generator().manual_seed(0)
    lines = [" ".join(DIGITS[d] for d in torch.randint(0, 10, (3,), generator=g).tolist()) for _ in range(300)]
    text = " ".join(lines) + " " + DIGITS_ZH
    bpe = BPETokenizer.train(text, vocab_size=64)
    ids = {name: len(bpe) + k for k, name in enumerate(SPECIALS)}
    return bpe, ids


def speech_tokenizer() -> tuple[BPETokenizer, dict[str, int]]:
    """The tokenizer: a byte-pair encoding (§3.2) learned on 300 random 3-digit English
    phrases and the ten Chinese numerals (64 tokens), and the ids of the special tokens
    :data:`SPECIALS`, numbered after it (``{"<pad>": 64, …}``)."""
    return _tokenizer()


def vocab_size() -> int:
    """V: the BPE tokens and the special tokens."""
    bpe, ids = _tokenizer()
    return len(bpe) + len(ids)


def features(waves: torch.Tensor, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """What the model reads: the log-mel spectrogram of ``waves`` (N, L) in dB
    (:func:`lbdl_book.audio.log_mel`, 40 bands, 25 ms windows, 10 ms hop), mapped to
    [-1, 1] per clip ((dB − max)/40 + 1, its 80 dB range), frames first: (N, T, 40)."""
    if not isinstance(waves, torch.Tensor) or not waves.is_floating_point():
        raise TypeError(f"waves must be a floating-point tensor (N, L), got {type(waves).__name__}")
    if waves.dim() != 2 or waves.shape[1] < N_FFT:
        raise ValueError(f"waves must have shape (N, L) with L >= {N_FFT} samples, got {tuple(waves.shape)}")
    db = log_mel(waves, sample_rate, N_FFT, HOP, N_MELS, top_db=80.0)
    x = (db - db.amax(dim=(1, 2), keepdim=True)) / 40.0 + 1.0
    return x.transpose(1, 2).contiguous()


def _task(task: str) -> str:
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    return task


def encode_targets(texts: list[str], tasks: list[str], length: int = MAX_TOKENS) -> torch.Tensor:
    """The token sequences (N, ``length``) int64 the decoder learns: ``<sot>``, the task
    token, then the text's tokens (the English words for ``transcribe``, the Chinese
    numerals for ``translate``) and ``<eot>``, or ``<nospeech>`` ``<eot>`` for an empty
    text; padded with ``<pad>``."""
    if not isinstance(texts, (list, tuple)) or not all(isinstance(s, str) for s in texts):
        raise TypeError("texts must be a list of str")
    if not isinstance(tasks, (list, tuple)) or len(tasks) != len(texts):
        raise ValueError(f"tasks must be a list with one task per text ({len(texts)}), got {tasks!r}")
    positive_int(length, "length")
    bpe, ids = _tokenizer()
    out = torch.full((len(texts), length), ids["<pad>"], dtype=torch.long)
    for i, (text, task) in enumerate(zip(texts, tasks)):
        if task not in TASKS:
            raise ValueError(f"tasks[{i}] must be one of {TASKS}, got {task!r}")
        if text.strip():
            body = bpe.encode(text if task == "transcribe" else translate(text))
        else:
            body = [ids["<nospeech>"]]
        seq = [ids["<sot>"], ids[f"<{task}>"], *body, ids["<eot>"]]
        if len(seq) > length:
            raise ValueError(f"texts[{i}] = {text!r} needs {len(seq)} tokens, more than length = {length}")
        out[i, : len(seq)] = torch.tensor(seq)
    return out


def decode_tokens(tokens: torch.Tensor) -> list[str]:
    """The text of each generated row of ``tokens`` (N, L): the BPE tokens up to the first
    ``<eot>``, special tokens dropped; ``"<nospeech>"`` if the first one is ``<nospeech>``."""
    bpe, ids = _tokenizer()
    token_ids(tokens, len(bpe) + len(ids), name="tokens")
    out = []
    for row in tokens.tolist():
        if row and row[0] == ids["<nospeech>"]:
            out.append("<nospeech>")
            continue
        keep = []
        for k in row:
            if k == ids["<eot>"]:
                break
            if k < len(bpe):
                keep.append(k)
        out.append(bpe.decode(keep))
    return out


class SpeechRecognizer(nn.Module):
    """log-mel (N, T, n_mels) and decoder input tokens (N, L) → next-token logits (N, L, V).

    Encoder: Conv1d(n_mels → dim, 3, stride 2) · GELU · Conv1d(dim → dim, 3, stride 2) · GELU,
    sinusoidal positions, ``num_encoder_layers`` × (self-attention, feed-forward) of
    :class:`~lbdl_book.models.transformer.EncoderLayer`, LayerNorm. Decoder:
    :class:`~lbdl_book.models.transformer.Decoder` with ``num_decoder_layers`` layers
    (causal self-attention, cross-attention on the encoder's output, feed-forward) over
    ``vocab_size`` tokens, ``pad_index`` the padding token, ``dropout`` in every block
    (training only; no parameters). Parameters:
    :func:`parameter_count`. ``fused``: PyTorch's kernels (default) or the book's
    computations (:mod:`lbdl_book.nn.fused`)."""

    def __init__(self, vocab_size: int, n_mels: int = N_MELS, dim: int = 64, num_heads: int = 4,
                 hidden_dim: int | None = None, num_encoder_layers: int = 2, num_decoder_layers: int = 2,
                 max_frames: int = 256, max_tokens: int = MAX_TOKENS, pad_index: int | None = None,
                 dropout: float = 0.0, *, fused: bool = True):
        super().__init__()
        positive_int(vocab_size, "vocab_size")
        self.n_mels, self.dim = positive_int(n_mels, "n_mels"), positive_int(dim, "dim")
        self.max_frames, self.max_tokens = positive_int(max_frames, "max_frames"), positive_int(max_tokens, "max_tokens")
        hidden_dim = 4 * dim if hidden_dim is None else positive_int(hidden_dim, "hidden_dim")
        self.conv1 = Conv1d(n_mels, dim, 3, stride=2, padding=1)
        self.conv2 = Conv1d(dim, dim, 3, stride=2, padding=1)
        self.act1, self.act2 = GELU(), GELU()
        self.positional = SinusoidalPositionalEncoding(dim, (max_frames + 3) // 4)
        self.layers = nn.ModuleList(EncoderLayer(dim, num_heads, hidden_dim, dropout)
                                    for _ in range(positive_int(num_encoder_layers, "num_encoder_layers")))
        self.norm = LayerNorm(dim)
        self.decoder = Decoder(vocab_size, dim, num_heads, hidden_dim, num_decoder_layers, max_tokens, dropout,
                               pad_index=pad_index)
        self.vocab_size = vocab_size
        set_fused(self, boolean(fused, "fused"))

    def encode(self, mel: torch.Tensor) -> torch.Tensor:
        """(N, T, n_mels) → the encoder's output Z (N, ⌈⌈T/2⌉/2⌉, dim)."""
        model_input(mel, self, "mel")
        if mel.dim() != 3 or mel.shape[2] != self.n_mels or not 2 <= mel.shape[1] <= self.max_frames:
            raise ValueError(f"mel must have shape (N, T, n_mels={self.n_mels}) with 2 <= T <= max_frames="
                             f"{self.max_frames}, got {tuple(mel.shape)}")
        h = self.act1(self.conv1(mel.transpose(1, 2)))
        h = self.act2(self.conv2(h)).transpose(1, 2)
        h = self.positional(h)
        for layer in self.layers:
            h = layer(h)
        return self.norm(h)

    def forward(self, mel: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        z = self.encode(mel)
        token_ids(tokens, self.vocab_size, self.max_tokens, "tokens")
        if tokens.shape[0] != mel.shape[0]:
            raise ValueError(f"mel and tokens must have the same batch size N, got {tuple(mel.shape)} and "
                             f"{tuple(tokens.shape)}")
        return self.decoder(tokens, z)


def parameter_count(vocab_size: int, n_mels: int = N_MELS, dim: int = 64, hidden_dim: int | None = None,
                    num_encoder_layers: int = 2, num_decoder_layers: int = 2) -> int:
    """Parameters of :class:`SpeechRecognizer`: the two convolutions (3·n_mels·D + D and
    3·D² + D), the encoder layers (self-attention 4D² + 6D, feed-forward 2DH + H + 3D),
    its LayerNorm 2D, the decoder's token embedding VD, its layers (two attention blocks
    and a feed-forward block), its LayerNorm 2D and output layer DV + V."""
    positive_int(vocab_size, "vocab_size")
    positive_int(n_mels, "n_mels")
    positive_int(dim, "dim")
    hidden_dim = 4 * dim if hidden_dim is None else positive_int(hidden_dim, "hidden_dim")
    att = block_parameter_count("self_attention", dim)
    ffw = block_parameter_count("feed_forward", dim, hidden_dim)
    return (3 * n_mels * dim + dim + 3 * dim * dim + dim
            + positive_int(num_encoder_layers, "num_encoder_layers") * (att + ffw) + 2 * dim
            + vocab_size * dim + positive_int(num_decoder_layers, "num_decoder_layers") * (2 * att + ffw)
            + 2 * dim + dim * vocab_size + vocab_size)


class SpeechTeacherForcing(nn.Module):
    """Adapter for :func:`lbdl_book.fit`, which passes one tensor: ``packed`` (N, T·n_mels
    + L) holds the flattened log-mel (N, T, n_mels) followed by the decoder's input tokens
    as floats (exact: the ids are small integers); returns ``model(mel, tokens)``."""

    def __init__(self, model: SpeechRecognizer, frames: int):
        super().__init__()
        if not isinstance(model, SpeechRecognizer):
            raise TypeError(f"model must be a SpeechRecognizer, got {type(model).__name__}")
        self.model, self.frames = model, positive_int(frames, "frames")

    @staticmethod
    def pack(mel: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """(N, T, M) and (N, L) → (N, T·M + L)."""
        return torch.cat([mel.flatten(1), tokens.to(mel.dtype)], dim=1)

    def forward(self, packed: torch.Tensor) -> torch.Tensor:
        size = self.frames * self.model.n_mels
        if not isinstance(packed, torch.Tensor) or packed.dim() != 2 or packed.shape[1] <= size:
            got = tuple(packed.shape) if isinstance(packed, torch.Tensor) else type(packed).__name__
            raise ValueError(f"packed must have shape (N, T·n_mels + L) with T·n_mels = {size}, got {got}")
        mel = packed[:, :size].reshape(len(packed), self.frames, self.model.n_mels)
        return self.model(mel, packed[:, size:].round().long())


def speech_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the next tokens ``targets`` (N, L) int64 under ``logits``
    (N, L, V), skipping ``<pad>`` and the task token (given in the prompt, not predicted)."""
    _, ids = _tokenizer()
    if not isinstance(logits, torch.Tensor) or not isinstance(targets, torch.Tensor):
        raise TypeError("logits and targets must be torch.Tensors")
    if logits.dim() != 3 or targets.shape != logits.shape[:2]:
        raise ValueError(f"logits must have shape (N, L, V) and targets (N, L), got {tuple(logits.shape)} and "
                         f"{tuple(targets.shape)}")
    keep = (targets != ids["<pad>"]) & (targets != ids["<transcribe>"]) & (targets != ids["<translate>"])
    if not keep.any():
        raise ValueError("targets hold no token to predict")
    return cross_entropy(logits[keep].float(), targets[keep])


@torch.no_grad()
def _generate(model: SpeechRecognizer, mel: torch.Tensor, task: str) -> tuple[torch.Tensor, torch.Tensor]:
    _, ids = _tokenizer()
    z = model.encode(mel)
    out = torch.tensor([ids["<sot>"], ids[f"<{task}>"]], device=mel.device).repeat(len(mel), 1)
    done = torch.zeros(len(mel), dtype=torch.bool, device=mel.device)
    while out.shape[1] < model.max_tokens and not done.all():
        token = model.decoder(out, z)[:, -1].argmax(-1).masked_fill(done, ids["<eot>"])
        out = torch.cat([out, token[:, None]], 1)
        done |= token == ids["<eot>"]
    return out, z


def transcribe(model: SpeechRecognizer, mel: torch.Tensor, task: str = "transcribe") -> list[str]:
    """Greedy decoding: for each clip of ``mel`` (N, T, n_mels), the prompt ``<sot>``
    ``<task>``, then the most probable token until ``<eot>``; returns the texts
    (:func:`decode_tokens`), ``"<nospeech>"`` where the model says there is no speech."""
    if not isinstance(model, SpeechRecognizer):
        raise TypeError(f"model must be a SpeechRecognizer, got {type(model).__name__}")
    _task(task)
    with eval_mode(model):
        out, _ = _generate(model, mel, task)
    return decode_tokens(out[:, 2:])


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance between the strings ``a`` and ``b``: the fewest insertions,
    deletions and substitutions of one character that turn ``a`` into ``b``."""
    if not isinstance(a, str) or not isinstance(b, str):
        raise TypeError(f"a and b must be str, got {type(a).__name__} and {type(b).__name__}")
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def cer(hypotheses: list[str], references: list[str]) -> float:
    """Character error rate: Σ edit_distance(hypothesis, reference) / Σ len(reference),
    over the pairs (the usual corpus-level definition; it can exceed 1)."""
    for name, value in (("hypotheses", hypotheses), ("references", references)):
        if not isinstance(value, (list, tuple)) or not all(isinstance(s, str) for s in value):
            raise TypeError(f"{name} must be a list of str, got {value!r:.60}")
    if len(hypotheses) != len(references):
        raise ValueError(f"hypotheses and references must have the same length, got {len(hypotheses)} and "
                         f"{len(references)}")
    total = sum(len(r) for r in references)
    if total == 0:
        raise ValueError("references must hold at least one character")
    return sum(edit_distance(h, r) for h, r in zip(hypotheses, references)) / total


def no_speech_accuracy(outputs: list[str], no_speech: torch.Tensor) -> float:
    """Share of the clips where the model's verdict (output ``"<nospeech>"`` or not) matches
    ``no_speech`` (N,) bool."""
    if not isinstance(outputs, (list, tuple)) or not all(isinstance(s, str) for s in outputs):
        raise TypeError("outputs must be a list of str")
    if not isinstance(no_speech, torch.Tensor) or no_speech.dtype != torch.bool or no_speech.shape != (len(outputs),):
        raise ValueError(f"no_speech must be a bool tensor of shape ({len(outputs)},)")
    said = torch.tensor([s == "<nospeech>" for s in outputs])
    if len(outputs) == 0:
        raise ValueError("outputs must not be empty")
    return (said == no_speech.cpu()).double().mean().item()


@torch.no_grad()
def cross_attention(model: SpeechRecognizer, mel: torch.Tensor, task: str = "transcribe"
                    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Generate for ``mel`` (N, T, n_mels) and return the tokens (N, L) and, per decoder
    layer, the cross-attention weights (N, heads, L, ⌈⌈T/2⌉/2⌉) of the tokens on the
    encoder's positions (one position = 40 ms)."""
    if not isinstance(model, SpeechRecognizer):
        raise TypeError(f"model must be a SpeechRecognizer, got {type(model).__name__}")
    _task(task)
    with eval_mode(model):
        tokens, z = _generate(model, mel, task)
        dec = model.decoder
        y = dec.positional(dec.embedding(tokens))
        maps = []
        for layer in dec.layers:
            y = layer.self_attention(y)
            y, a = layer.cross_attention(y, z, need_weights=True)
            maps.append(a)
            y = layer.feed_forward(y)
    return tokens, maps


def _split_tasks(n: int, seed: int) -> list[str]:
    g = torch.Generator().manual_seed(seed)
    return [TASKS[k] for k in torch.randint(0, 2, (n,), generator=g).tolist()]


def evaluate(model: SpeechRecognizer, data: SpeechSet, mel: torch.Tensor) -> dict:
    """The scores of ``model`` on the clips ``data`` whose features are ``mel`` (N, T,
    n_mels): ``cer_transcribe`` and ``cer_translate``, the character error rate of each
    task on the clips with speech (an output ``<nospeech>`` counts as an empty text), and
    ``no_speech_accuracy`` over every clip and both tasks."""
    if not isinstance(model, SpeechRecognizer):
        raise TypeError(f"model must be a SpeechRecognizer, got {type(model).__name__}")
    if not isinstance(data, SpeechSet):
        raise TypeError(f"data must be a SpeechSet (lbdl_book.data.speech), got {type(data).__name__}")
    if not isinstance(mel, torch.Tensor) or mel.dim() != 3 or len(mel) != len(data.texts):
        got = tuple(mel.shape) if isinstance(mel, torch.Tensor) else type(mel).__name__
        raise ValueError(f"mel must have shape (N={len(data.texts)}, T, n_mels), got {got}")
    result = {}
    outputs = {}
    for task in TASKS:
        outputs[task] = [o for k in range(0, len(mel), 256) for o in transcribe(model, mel[k:k + 256], task)]
        refs = [(t if task == "transcribe" else translate(t)) for t in data.texts]
        pairs = [(o, r) for o, r, s in zip(outputs[task], refs, data.no_speech.tolist()) if not s]
        result[f"cer_{task}"] = cer([o if o != "<nospeech>" else "" for o, _ in pairs], [r for _, r in pairs])
    both = outputs["transcribe"] + outputs["translate"]
    result["no_speech_accuracy"] = no_speech_accuracy(both, torch.cat([data.no_speech, data.no_speech]))
    return result


def train_shipped(quick: bool = False) -> tuple[SpeechRecognizer, dict]:
    """The recipe of ``lbdl_book/weights/speech.safetensors``: 6,000 clips (seed
    :data:`TRAIN_SEED`) of speakers with a pitch in :data:`TRAIN_PITCH`, each with a random
    task, dropout 0.1, batches of 32, 20 epochs, Adam with a warm-up and cosine decay; scored on 400 clips (seed
    :data:`TEST_SEED`) of held-out speakers whose pitch lies in :data:`TEST_PITCH`, with the
    weights rounded to float16, the precision of the file. ``quick``: 64 clips, one epoch."""
    from lbdl_book.config import device, seed_everything
    from lbdl_book.schedules import warmup_cosine
    from lbdl_book.train import fit

    boolean(quick, "quick")
    count, epochs, batch, lr = (64, 1, 32, 1e-3) if quick else (6000, 20, 32, 2e-3)
    start = time.perf_counter()
    train = speech_dataset(count, seed=TRAIN_SEED, pitch_range=TRAIN_PITCH)
    test = speech_dataset(32 if quick else 400, seed=TEST_SEED, pitch_range=TEST_PITCH)
    mel, test_mel = features(train.waves), features(test.waves)
    synth_seconds = time.perf_counter() - start
    targets = encode_targets(train.texts, _split_tasks(count, TRAIN_SEED))     # one random task per clip
    inputs = SpeechTeacherForcing.pack(mel, targets[:, :-1])
    total = epochs * math.ceil(count / batch)

    def schedule(step: int) -> float:
        return warmup_cosine(step, lr=lr, warmup_steps=max(1, total // 20), total_steps=total)

    seed_everything(0)
    model = SpeechRecognizer(vocab_size(), pad_index=_tokenizer()[1]["<pad>"], dropout=0.1)
    start = time.perf_counter()
    history = fit(SpeechTeacherForcing(model, mel.shape[1]), speech_loss, (inputs, targets[:, 1:]), epochs=epochs,
                  lr=lr, batch_size=batch, optimizer="adam", schedule=schedule, grad_clip=1.0, seed=0)
    seconds = time.perf_counter() - start
    model = model.cpu()
    round_to_float16(model)
    result = evaluate(model, test, test_mel)
    info = {"train_clips": count, "train_seed": TRAIN_SEED, "train_pitch": list(TRAIN_PITCH),
            "test_clips": len(test.texts), "test_seed": TEST_SEED, "test_pitch": list(TEST_PITCH),
            "epochs": epochs, "batch_size": batch, "lr": lr, "dropout": 0.1, "optimizer": "adam", "device": str(device()),
            "parameters": sum(p.numel() for p in model.parameters()), "synth_seconds": round(synth_seconds, 1),
            "train_seconds": round(seconds, 1), "train_loss": round(history.last("train_loss"), 4),
            **{k: round(v, 4) for k, v in result.items()}}
    return model.eval().half(), info
