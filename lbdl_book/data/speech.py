"""Synthetic spoken digits for §6.5 (speech recognition), generated offline.

A *source-filter* synthesiser, the textbook model of the human voice:

* **the source**: for voiced sounds (vowels, r, w, n, v, z) the vocal folds open and close
  f0 times a second, a glottal pulse train whose spectrum is a comb of harmonics at
  f0, 2·f0, 3·f0, … falling off with frequency (here as 1/f: the -12 dB/octave of the
  glottal pulse and the +6 dB/octave of the radiation at the lips); for fricatives (s, f,
  th) and the release of stops (t, k) the source is turbulent air, noise;
* **the filter**: the vocal tract resonates at a few *formant* frequencies F1, F2, F3 set
  by the position of the tongue and lips; each vowel has its own formants (F1 ≈ 270 Hz
  and F2 ≈ 2300 Hz for "ee", F1 ≈ 570 Hz and F2 ≈ 840 Hz for "aw", …, values after
  Peterson & Barney's measurements of adult male speakers).

The waveform is computed *additively*: every harmonic h·f0(t) is a sinusoid whose
amplitude is the source's 1/h times the gain of a cascade of three second-order
resonators at the formants of the moment, which is what a periodic pulse train through
those resonators gives once the resonators have settled; it lets the formants glide
smoothly from phone to phone (diphthongs such as the "ai" of "five") with no sample-by-
sample filter loop. Fricatives and bursts are white noise band-passed around a centre
frequency. A *speaker* is a pitch f0 (with a falling intonation and a slow vibrato), a
vocal-tract scale (all formants × a factor, shorter tracts give higher formants) and a
speaking rate (all durations ÷ rate, each phone with its own random jitter). Background
noise is added at a chosen signal-to-noise ratio.

What it lacks compared with real speech: coarticulation beyond linear formant glides, the
anti-resonances of nasals, the real shape and variability of glottal pulses, prosody that
carries meaning, accents, reverberation, overlapping talkers, and the endless variety of
real microphones and rooms. A model trained on it learns ten words spoken by a machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import torch

from lbdl_book._checks import non_negative_int, positive_int

__all__ = ["SAMPLE_RATE", "DIGITS", "DIGITS_ZH", "PHONES", "WORDS", "SpeechSet", "synthesize",
           "speech_dataset", "translate"]

SAMPLE_RATE = 8000
DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DIGITS_ZH = "零一二三四五六七八九"

# phone -> (kind, formant targets [(F1, F2, F3), ...] in Hz, duration in s at rate 1,
#           voicing amplitude, noise (centre Hz, bandwidth Hz, amplitude) or None)
PHONES: dict[str, tuple] = {
    "iy": ("vowel", [(270, 2290, 3010)], 0.108, 1.0, None),
    "ih": ("vowel", [(390, 1990, 2550)], 0.081, 1.0, None),
    "eh": ("vowel", [(530, 1840, 2480)], 0.09, 1.0, None),
    "ah": ("vowel", [(640, 1190, 2390)], 0.09, 1.0, None),
    "ao": ("vowel", [(570, 840, 2410)], 0.117, 1.0, None),
    "uw": ("vowel", [(300, 870, 2240)], 0.117, 1.0, None),
    "ow": ("vowel", [(500, 1000, 2400), (340, 900, 2300)], 0.135, 1.0, None),
    "ay": ("vowel", [(730, 1090, 2440), (320, 2200, 2900)], 0.153, 1.0, None),
    "ey": ("vowel", [(480, 1900, 2500), (300, 2250, 2900)], 0.135, 1.0, None),
    "r": ("glide", [(310, 1060, 1380)], 0.054, 0.7, None),
    "w": ("glide", [(300, 610, 2200)], 0.045, 0.6, None),
    "n": ("nasal", [(250, 1700, 2600)], 0.054, 0.3, None),
    "v": ("fricative", [(300, 1300, 2400)], 0.054, 0.25, (3000, 1500, 0.10)),
    "z": ("fricative", [(300, 1600, 2500)], 0.072, 0.25, (3500, 700, 0.25)),
    "s": ("fricative", [(400, 1600, 2600)], 0.099, 0.0, (3500, 600, 0.40)),
    "f": ("fricative", [(400, 1300, 2500)], 0.081, 0.0, (2800, 1800, 0.12)),
    "th": ("fricative", [(400, 1500, 2500)], 0.072, 0.0, (2400, 1600, 0.10)),
    "tcl": ("closure", [(400, 1700, 2600)], 0.036, 0.0, None),
    "t": ("burst", [(400, 1700, 2600)], 0.027, 0.0, (3100, 1200, 0.45)),
    "kcl": ("closure", [(350, 1800, 2500)], 0.036, 0.0, None),
    "k": ("burst", [(350, 1800, 2500)], 0.027, 0.0, (1800, 700, 0.40)),
}

WORDS: dict[str, tuple[str, ...]] = {
    "zero": ("z", "ih", "r", "ow"), "one": ("w", "ah", "n"), "two": ("tcl", "t", "uw"),
    "three": ("th", "r", "iy"), "four": ("f", "ao", "r"), "five": ("f", "ay", "v"),
    "six": ("s", "ih", "kcl", "k", "s"), "seven": ("s", "eh", "v", "ah", "n"),
    "eight": ("ey", "tcl", "t"), "nine": ("n", "ay", "n"),
}

_BANDWIDTHS = (90.0, 110.0, 170.0)       # formant bandwidths B1, B2, B3 in Hz


@dataclass
class SpeechSet:
    """Clips made by :func:`speech_dataset`: ``waves`` (N, L) float32 at ``sample_rate``;
    ``texts`` the spoken words ("three seven", "" for a clip with no speech); per clip the
    speaker's ``pitch`` (Hz), ``rate`` and ``formant_scale``, the ``snr_db`` of the
    background noise; ``no_speech`` (N,) bool."""

    waves: torch.Tensor
    texts: list[str]
    pitch: torch.Tensor
    rate: torch.Tensor
    formant_scale: torch.Tensor
    snr_db: torch.Tensor
    no_speech: torch.Tensor
    sample_rate: int = SAMPLE_RATE


def translate(text: str) -> str:
    """English digit words → Chinese numerals: ``"three seven one"`` → ``"三七一"``."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str of digit words, got {type(text).__name__}")
    words = text.split()
    bad = [w for w in words if w not in DIGITS]
    if bad:
        raise ValueError(f"text must hold only the digit words {DIGITS}, got {bad[0]!r}")
    return "".join(DIGITS_ZH[DIGITS.index(w)] for w in words)


def _real(value, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not (math.isfinite(value) and low <= value <= high):
        raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def _segments(words: list[str], rate: float, g: torch.Generator, pause: float):
    """The phones of ``words`` as (phone, start, end) in seconds from 0, with random jitter."""
    out, t = [], 0.0
    for k, word in enumerate(words):
        if k:
            t += pause * (0.5 + torch.rand(1, generator=g).item()) / rate
        for phone in WORDS[word]:
            duration = PHONES[phone][2] / rate * (1 + 0.12 * torch.randn(1, generator=g).clamp(-2, 2).item())
            out.append((phone, t, t + duration))
            t += duration
    return out, t


def _track(points: list[tuple[float, float]], times: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear interpolation of (time, value) points at ``times``, held at the ends."""
    xs = torch.tensor([p[0] for p in points], dtype=torch.float64)
    ys = torch.tensor([p[1] for p in points], dtype=torch.float64)
    idx = torch.searchsorted(xs, times).clamp(1, len(xs) - 1)
    x0, x1, y0, y1 = xs[idx - 1], xs[idx], ys[idx - 1], ys[idx]
    w = ((times - x0) / (x1 - x0).clamp_min(1e-9)).clamp(0, 1)
    return y0 + w * (y1 - y0)


def _smooth(x: torch.Tensor, width: int) -> torch.Tensor:
    """Moving average over ``width`` samples (keeps the length), through a cumulative sum."""
    if width <= 1:
        return x
    left, right = width // 2 + 1, width - width // 2 - 1
    padded = torch.cat([x[:1].expand(left), x, x[-1:].expand(right)])
    c = torch.cumsum(padded, 0)
    return (c[width:] - c[:-width])[: len(x)] / width


def _band_noise(noise_spectrum: torch.Tensor, length: int, centre: float, width: float, sr: int) -> torch.Tensor:
    freqs = torch.fft.rfftfreq(length, 1 / sr, dtype=torch.float64)
    band = torch.exp(-0.5 * ((freqs - centre) / (width / 2)) ** 2)
    out = torch.fft.irfft(noise_spectrum * band, n=length)
    return out / out.std().clamp_min(1e-12)


def _voice(words, pitch, rate, formant_scale, duration, sr, g):
    """The speech alone (no background noise), float64 (L,)."""
    length = int(round(duration * sr))
    times = torch.arange(length, dtype=torch.float64) / sr
    segments, spoken = _segments(words, rate, g, pause=0.1)
    if spoken > duration - 0.1:
        raise ValueError(f"duration must leave room for the words: {' '.join(words)!r} lasts {spoken:.2f} s at "
                         f"rate {rate:g}, more than duration - 0.1 = {duration - 0.1:.2f} s")
    start = 0.05 + (duration - 0.1 - spoken) * torch.rand(1, generator=g).item()
    formant_points: list[list[tuple[float, float]]] = [[], [], []]
    voicing_points, noise_parts = [], []
    spectrum = torch.fft.rfft(torch.randn(length, generator=g, dtype=torch.float64))
    for phone, a, b in segments:
        kind, targets, _, voicing, noise = PHONES[phone]
        a, b = a + start, b + start
        for j, target in enumerate(targets):              # one target at the centre, two at 1/4 and 3/4
            at = a + (b - a) * ((j + 0.5) / len(targets))
            for i in range(3):
                formant_points[i].append((at, target[i] * formant_scale))
        voicing_points += [(a + 0.2 * (b - a), voicing), (b - 0.2 * (b - a), voicing)]
        if noise is not None:
            centre, width, amplitude = noise
            envelope = ((times - a) / (b - a)).clamp(0, 1)
            envelope = torch.sin(math.pi * envelope) ** (0.5 if kind == "burst" else 1.0)
            noise_parts.append(amplitude * envelope * _band_noise(spectrum, length, min(centre * formant_scale, 3700),
                                                                  width, sr))
    voicing_points = [(0.0, 0.0), (start - 0.01, 0.0), *voicing_points, (start + spoken + 0.01, 0.0),
                      (duration + 1, 0.0)]
    voicing = _smooth(_track(voicing_points, times), max(1, int(0.015 * sr)))
    # the pitch: the speaker's f0, a falling intonation, a slow vibrato and a little jitter
    fall = 1 - 0.15 * ((times - start) / max(spoken, 1e-3)).clamp(0, 1)
    vibrato = 1 + 0.02 * torch.sin(2 * math.pi * 4.5 * times + 6.283 * torch.rand(1, generator=g).item())
    wobble = _smooth(torch.randn(length, generator=g, dtype=torch.float64), int(0.05 * sr)) * 0.3
    f0 = pitch * fall * vibrato * (1 + wobble)
    phase = (2 * math.pi * torch.cumsum(f0, 0) / sr).remainder(2 * math.pi).float()   # exact mod 2π in float64
    # the filter's gain at each harmonic, computed every 5 ms and interpolated in between
    step = max(1, sr // 200)
    control = torch.arange(0, length + step, step, dtype=torch.float64) / sr
    f0c = _track(list(zip(times[::step].tolist(), f0[::step].tolist())), control)
    harmonics = torch.arange(1, int((sr / 2 - 100) / f0.min().item()) + 1, dtype=torch.float64)[:, None]
    f = harmonics * f0c[None, :]                                           # (H, C) frequency of each harmonic
    gain = 1.0 / harmonics                                                 # the source's spectral tilt
    for i in range(3):
        F = _track(sorted(formant_points[i]), control)[None, :]
        B = _BANDWIDTHS[i] * formant_scale
        gain = gain * F ** 2 / torch.sqrt((F ** 2 - f ** 2) ** 2 + (f * B) ** 2)
    gain = (gain * (f < sr / 2 - 100)).float()
    gain = torch.nn.functional.interpolate(gain[None], size=len(control) * step, mode="linear",
                                           align_corners=False)[0, :, :length]
    voiced = voicing * (gain * torch.sin(harmonics.float() * phase[None, :])).sum(0).double()
    voiced = voiced / voiced.abs().max().clamp_min(1e-12)
    noise = sum(noise_parts) if noise_parts else torch.zeros(length, dtype=torch.float64)
    return voiced + 0.5 * noise, voicing > 0.05


def _background(length: int, g: torch.Generator) -> torch.Tensor:
    """Unit-variance background noise, a random mix of white and low-frequency (brown) noise."""
    white = torch.randn(length, generator=g, dtype=torch.float64)
    brown = torch.cumsum(torch.randn(length, generator=g, dtype=torch.float64), 0)
    brown = brown - _smooth(brown, 401)
    mix = torch.rand(1, generator=g).item()
    out = mix * white / white.std() + (1 - mix) * brown / brown.std().clamp_min(1e-12)
    return out / out.std()


def synthesize(text: str, pitch: float = 120.0, rate: float = 1.0, formant_scale: float = 1.0,
               snr_db: float | None = 20.0, duration: float = 2.0, seed: int = 0,
               sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """One clip: the digit words of ``text`` (``"three seven"``; ``""`` for background
    noise only) spoken by a speaker of pitch ``pitch`` Hz, speaking rate ``rate`` (1 =
    normal) and vocal-tract scale ``formant_scale``, in background noise ``snr_db`` dB
    below the speech (None: silence; for a clip with no speech, the noise has a random
    level). Returns (L,) float32, L = duration × sample_rate, peak at most 1. ``seed``
    fixes every random choice."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str of digit words, got {type(text).__name__}")
    words = text.split()
    translate(text)                                                       # checks the words
    pitch = _real(pitch, "pitch", 50.0, 400.0)
    rate = _real(rate, "rate", 0.5, 2.0)
    formant_scale = _real(formant_scale, "formant_scale", 0.7, 1.4)
    if snr_db is not None:
        snr_db = _real(snr_db, "snr_db", -10.0, 100.0)
    duration = _real(duration, "duration", 0.1, 10.0)
    non_negative_int(seed, "seed")
    sr = positive_int(sample_rate, "sample_rate")
    if sr < 4000:
        raise ValueError(f"sample_rate must be >= 4000 Hz (the formants reach 3 kHz), got {sr}")
    g = torch.Generator().manual_seed(seed)
    length = int(round(duration * sr))
    if words:
        speech, voiced = _voice(words, pitch, rate, formant_scale, duration, sr, g)
        level = speech[voiced].std() if voiced.any() else speech.std()
    else:
        speech, level = torch.zeros(length, dtype=torch.float64), 10 ** (-2 * torch.rand(1, generator=g).item())
    wave = speech
    if snr_db is not None:
        wave = wave + level * 10 ** (-snr_db / 20) * _background(length, g)
    if not words and snr_db is None:
        return wave.float()
    return (wave / wave.abs().max().clamp_min(1e-12) * 0.9).float()


def speech_dataset(n: int, seed: int, pitch_range: tuple[float, float] = (85.0, 180.0),
                   rate_range: tuple[float, float] = (0.85, 1.3), scale_range: tuple[float, float] = (0.9, 1.15),
                   snr_range: tuple[float, float] = (10.0, 30.0), max_words: int = 3, no_speech: float = 0.1,
                   duration: float = 2.0) -> SpeechSet:
    """``n`` clips of 1 to ``max_words`` random digits, each by a random speaker drawn
    uniformly from the ranges (``pitch_range`` in Hz, ``rate_range``, ``scale_range`` of
    the formants, ``snr_range`` in dB), and a share ``no_speech`` of clips with background
    noise only. Seeded: the same arguments give the same clips."""
    positive_int(n, "n")
    non_negative_int(seed, "seed")
    ranges = {}
    for name, value, low, high in (("pitch_range", pitch_range, 50, 400), ("rate_range", rate_range, 0.5, 2),
                                   ("scale_range", scale_range, 0.7, 1.4), ("snr_range", snr_range, -10, 100)):
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise ValueError(f"{name} must be a pair (low, high), got {value!r}")
        a, b = (_real(v, name, low, high) for v in value)
        if a > b:
            raise ValueError(f"{name} must have low <= high, got {value!r}")
        ranges[name] = (a, b)
    positive_int(max_words, "max_words")
    no_speech = _real(no_speech, "no_speech", 0.0, 1.0)
    g = torch.Generator().manual_seed(seed)

    def draw(name):
        a, b = ranges[name]
        return a + (b - a) * torch.rand(n, generator=g, dtype=torch.float64)

    pitch, rate, scale, snr = draw("pitch_range"), draw("rate_range"), draw("scale_range"), draw("snr_range")
    silent = torch.rand(n, generator=g) < no_speech
    counts = torch.randint(1, max_words + 1, (n,), generator=g)
    digits = torch.randint(0, 10, (n, max_words), generator=g)
    clip_seeds = torch.randint(0, 2 ** 31 - 1, (n,), generator=g)
    texts, waves = [], []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)          # small tensors: on a busy CPU, threads cost far more than they save
    try:
        for i in range(n):
            text = "" if silent[i] else " ".join(DIGITS[d] for d in digits[i, : counts[i]].tolist())
            texts.append(text)
            waves.append(synthesize(text, float(pitch[i]), float(rate[i]), float(scale[i]), float(snr[i]),
                                    duration, int(clip_seeds[i])))
    finally:
        torch.set_num_threads(threads)
    return SpeechSet(torch.stack(waves), texts, pitch.float(), rate.float(), scale.float(), snr.float(), silent)
