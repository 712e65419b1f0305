"""The front end of a speech recogniser (LBDL §6.5): from a waveform to log-mel features.

A microphone gives a *waveform*, one pressure sample every 1/sr seconds (sr = sampling
rate). Speech changes every few tens of milliseconds, so a recogniser looks at it through
short overlapping windows:

1. **Short-time Fourier transform** (:func:`power_spectrogram`): cut the waveform into
   frames of ``n_fft`` samples every ``hop_length`` samples, multiply each frame by a Hann
   window, and take its discrete Fourier transform. The squared modulus of bin k is the
   energy near the frequency k·sr/n_fft in that frame: a (1 + n_fft/2) × frames *power
   spectrogram*.
2. **Mel filter bank** (:func:`mel_filter_bank`): pool the linear frequency bins into
   ``n_mels`` overlapping triangular bands equally spaced on the *mel* scale, which is
   roughly linear below 1 kHz and logarithmic above, like the ear's resolution. It is the
   "energies in D frequency bands" of the book's T × D spectrogram.
3. **Log** (:func:`power_to_db`): energies span many orders of magnitude; their logarithm,
   in decibels 10·log10(P), floored ``top_db`` below the loudest value, is what the
   network reads (:func:`log_mel`).

Conventions are those of ``librosa`` 0.11 (the reference the tests compare with): a
periodic Hann window, frames centred on t·hop_length with zero padding, the Slaney mel
scale and "slaney" band normalisation (each triangle has unit area in Hz, so a band's
output does not grow with its width). The package does not need librosa; only the tests
do. Whisper [Radford et al., 2022] uses the same front end with 80 bands at 16 kHz, 25 ms
windows and a 10 ms hop.
"""

from __future__ import annotations

import math
from numbers import Real

import torch

from ._checks import positive_int

__all__ = ["hz_to_mel", "mel_to_hz", "mel_filter_bank", "power_spectrogram", "power_to_db", "log_mel"]

# Slaney's mel scale: linear below 1 kHz (3 mels per 200 Hz), logarithmic above.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = math.log(6.4) / 27.0


def _frequencies(value, name: str) -> torch.Tensor:
    if isinstance(value, bool) or not isinstance(value, (Real, torch.Tensor)):
        raise TypeError(f"{name} must be a number or a tensor of frequencies, got {type(value).__name__}")
    f = torch.as_tensor(value, dtype=torch.float64)
    if not torch.isfinite(f).all():
        raise ValueError(f"{name} must be finite, got {value!r}")
    if (f < 0).any():
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return f


def hz_to_mel(hz) -> torch.Tensor:
    """Slaney mel value of ``hz`` (a number or a tensor, float64): hz/(200/3) below 1 kHz,
    then 15 + 27·ln(hz/1000)/ln(6.4)."""
    f = _frequencies(hz, "hz")
    return torch.where(f >= _MIN_LOG_HZ, _MIN_LOG_MEL + torch.log(f.clamp_min(1e-300) / _MIN_LOG_HZ) / _LOG_STEP,
                       f / _F_SP)


def mel_to_hz(mel) -> torch.Tensor:
    """The inverse of :func:`hz_to_mel` (float64)."""
    m = _frequencies(mel, "mel")
    return torch.where(m >= _MIN_LOG_MEL, _MIN_LOG_HZ * torch.exp(_LOG_STEP * (m - _MIN_LOG_MEL)), m * _F_SP)


def _sample_rate(sample_rate) -> int:
    return positive_int(sample_rate, "sample_rate")


def mel_filter_bank(sample_rate: int, n_fft: int, n_mels: int, fmin: float = 0.0,
                    fmax: float | None = None) -> torch.Tensor:
    """The (n_mels, 1 + n_fft // 2) float32 matrix that turns a power spectrum into band
    energies: row m is a triangle over the FFT bin frequencies k·sr/n_fft, rising from the
    centre of band m−1 to that of band m and falling to that of band m+1, the n_mels + 2
    edges equally spaced in mel between ``fmin`` and ``fmax`` (default sr/2), and scaled
    by 2/(width in Hz) (Slaney normalisation). Computed in float64, stored in float32."""
    sr = _sample_rate(sample_rate)
    positive_int(n_fft, "n_fft")
    positive_int(n_mels, "n_mels")
    fmax = sr / 2 if fmax is None else fmax
    low, high = float(_frequencies(fmin, "fmin")), float(_frequencies(fmax, "fmax"))
    if not low < high <= sr / 2:
        raise ValueError(f"fmin and fmax must satisfy 0 <= fmin < fmax <= sample_rate/2 = {sr / 2}, "
                         f"got fmin={fmin!r}, fmax={fmax!r}")
    bins = torch.arange(1 + n_fft // 2, dtype=torch.float64) * (sr / n_fft)
    edges = mel_to_hz(torch.linspace(float(hz_to_mel(low)), float(hz_to_mel(high)), n_mels + 2,
                                     dtype=torch.float64))
    widths = edges.diff()                                             # (n_mels + 1,)
    ramps = edges[:, None] - bins[None, :]                            # (n_mels + 2, bins)
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    weights = weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.float()


def _waveform(wave) -> torch.Tensor:
    if not isinstance(wave, torch.Tensor):
        raise TypeError(f"wave must be a torch.Tensor of samples, (L,) or (N, L), got {type(wave).__name__}")
    if not wave.is_floating_point():
        raise TypeError(f"wave must be a floating-point tensor, got {wave.dtype}")
    if wave.dim() not in (1, 2) or wave.shape[-1] < 2:
        raise ValueError(f"wave must have shape (L,) or (N, L) with L >= 2 samples, got {tuple(wave.shape)}")
    if not torch.isfinite(wave).all():
        raise ValueError("wave must hold finite samples (no NaN or inf)")
    return wave


def power_spectrogram(wave: torch.Tensor, n_fft: int = 200, hop_length: int = 80) -> torch.Tensor:
    """|STFT|²: ``wave`` (L,) or (N, L) → (1 + n_fft // 2, frames) or (N, 1 + n_fft // 2,
    frames), frames = 1 + L // hop_length. A periodic Hann window of ``n_fft`` samples,
    frame t centred on sample t·hop_length (the signal is padded with n_fft/2 zeros at each
    end), ``torch.stft`` for the transforms."""
    wave = _waveform(wave)
    positive_int(n_fft, "n_fft")
    positive_int(hop_length, "hop_length")
    if n_fft < 2:
        raise ValueError(f"n_fft must be >= 2, got {n_fft}")
    window = torch.hann_window(n_fft, periodic=True, dtype=wave.dtype, device=wave.device)
    spec = torch.stft(wave, n_fft, hop_length=hop_length, window=window, center=True, pad_mode="constant",
                      return_complex=True)
    return spec.real ** 2 + spec.imag ** 2


def power_to_db(power: torch.Tensor, top_db: float | None = 80.0, amin: float = 1e-10) -> torch.Tensor:
    """10·log10(max(power, amin)), then every value below (its clip's maximum − ``top_db``)
    raised to that floor (``top_db=None``: no floor). ``power`` (..., F, T); the maximum is
    taken per clip, over the last two axes."""
    if not isinstance(power, torch.Tensor) or not power.is_floating_point():
        raise TypeError(f"power must be a floating-point tensor, got {type(power).__name__}")
    if power.dim() < 2 or power.numel() == 0:
        raise ValueError(f"power must have shape (..., F, T) and be non-empty, got {tuple(power.shape)}")
    if top_db is not None and (isinstance(top_db, bool) or not isinstance(top_db, Real)
                               or not math.isfinite(top_db) or top_db < 0):
        raise ValueError(f"top_db must be None or a finite number >= 0, got {top_db!r}")
    if isinstance(amin, bool) or not isinstance(amin, Real) or not amin > 0:
        raise ValueError(f"amin must be a number > 0, got {amin!r}")
    db = 10.0 * torch.log10(power.clamp_min(amin))
    if top_db is not None:
        db = torch.maximum(db, db.amax(dim=(-2, -1), keepdim=True) - top_db)
    return db


def log_mel(wave: torch.Tensor, sample_rate: int, n_fft: int = 200, hop_length: int = 80, n_mels: int = 40,
            top_db: float | None = 80.0) -> torch.Tensor:
    """The log-mel spectrogram in dB: ``wave`` (L,) or (N, L) → (n_mels, frames) or
    (N, n_mels, frames), as ``librosa.power_to_db(librosa.feature.melspectrogram(...))``
    with the same parameters (power 2, Slaney mel bands from 0 Hz to sr/2)."""
    bank = mel_filter_bank(sample_rate, n_fft, n_mels).to(device=wave.device if isinstance(wave, torch.Tensor)
                                                          else None)
    power = power_spectrogram(wave, n_fft, hop_length)
    return power_to_db(bank.to(power.dtype) @ power, top_db)
