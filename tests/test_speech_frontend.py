"""The front end of §6.5 (lbdl_book.audio) against librosa 0.11 (DESIGN rule 11), with
tolerances derived from float32 rounding (rule 9).

librosa computes the reference in float64 (we give it the float64 copy of the same
float32 samples), so its own rounding (~1e-16 relative) is negligible next to ours:
each bound below is the rounding of our float32 computation alone.
"""

import math

import numpy as np
import pytest
import torch

librosa = pytest.importorskip("librosa")

from lbdl_book import audio                                          # noqa: E402
from lbdl_book.data.speech import synthesize                         # noqa: E402

U32 = 2.0 ** -24          # float32 unit roundoff
U64 = 2.0 ** -53          # float64 unit roundoff
SR, N_FFT, HOP, N_MELS = 8000, 200, 80, 40


def clips():
    noise = torch.randn(6000, generator=torch.Generator().manual_seed(0)) * 0.3
    return {"speech": synthesize("three seven one", pitch=140.0, seed=3), "noise": noise}


@pytest.mark.parametrize("sr,n_fft,n_mels", [(8000, 200, 40), (16000, 400, 80), (22050, 2048, 128)])
def test_mel_filter_bank_equals_librosa(sr, n_fft, n_mels):
    ours = audio.mel_filter_bank(sr, n_fft, n_mels).double().numpy()
    ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, dtype=np.float64)
    assert ours.shape == ref.shape == (n_mels, 1 + n_fft // 2)
    # both are float64 computations; ours is then rounded once to float32 (≤ u·|W|); the
    # float64 steps (edge − bin)/width cancel, which costs at most (bins · u64) of the
    # largest weight
    bound = U32 * np.abs(ref) + (1 + n_fft // 2) * U64 * np.abs(ref).max()
    assert np.all(np.abs(ours - ref) <= bound)


def test_mel_scale_equals_librosa():
    hz = np.array([0.0, 200.0, 999.0, 1000.0, 1001.0, 4000.0, 11025.0])
    mel = audio.hz_to_mel(torch.tensor(hz)).numpy()
    assert np.allclose(mel, librosa.hz_to_mel(hz), rtol=16 * U64, atol=0)      # a few float64 operations
    assert np.allclose(audio.mel_to_hz(torch.tensor(mel)).numpy(), hz, rtol=64 * U64, atol=64 * U64)


def _fft_bound(wave: torch.Tensor) -> np.ndarray:
    """Per frame, a bound on the float32 error of every STFT coefficient: the windowed
    frame costs one rounding per sample (u·‖x·w‖₂ in 2-norm) and a fast Fourier transform
    of size N errs by at most about 5·⌈log2 N⌉·u·‖X‖₂ (Higham, Accuracy and Stability of
    Numerical Algorithms, §24.1), with ‖X‖₂ = √N·‖x·w‖₂ (Parseval); any one coefficient
    errs by at most the 2-norm of the whole error."""
    x = np.pad(wave.double().numpy(), N_FFT // 2)
    frames = np.lib.stride_tricks.sliding_window_view(x, N_FFT)[::HOP]
    window = torch.hann_window(N_FFT, periodic=True, dtype=torch.float64).numpy()
    norms = np.linalg.norm(frames * window, axis=1)                   # ‖x·w‖₂ per frame
    return (1 + 5 * math.ceil(math.log2(N_FFT))) * U32 * math.sqrt(N_FFT) * norms


@pytest.mark.parametrize("name", ["speech", "noise"])
def test_power_spectrogram_equals_librosa(name):
    wave = clips()[name]
    ours = audio.power_spectrogram(wave, N_FFT, HOP).double().numpy()
    ref = np.abs(librosa.stft(wave.double().numpy(), n_fft=N_FFT, hop_length=HOP)) ** 2
    assert ours.shape == ref.shape
    delta = _fft_bound(wave)[None, :]
    # |X + e|² − |X|² ≤ 2|X|·|e| + |e|², then one rounding of the sum of two squares (2u)
    bound = 2 * np.sqrt(ref) * delta + delta ** 2 + 2 * U32 * ref
    assert np.all(np.abs(ours - ref) <= bound)


@pytest.mark.parametrize("name", ["speech", "noise"])
def test_log_mel_equals_librosa(name):
    wave = clips()[name]
    y = wave.double().numpy()
    ours = audio.log_mel(wave, SR, N_FFT, HOP, N_MELS).double().numpy()
    mel_ref = librosa.feature.melspectrogram(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    ref = librosa.power_to_db(mel_ref, ref=1.0, amin=1e-10, top_db=80.0)
    assert ours.shape == ref.shape
    # error of the band energies M = W·P: Σ_k W_k·|ΔP_k| from the spectrogram, u·W·P from
    # the filter bank's rounding, and (bins · u)·W·P for the float32 sum over the bins
    power = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP)) ** 2
    delta = _fft_bound(wave)[None, :]
    weights = librosa.filters.mel(sr=SR, n_fft=N_FFT, n_mels=N_MELS, dtype=np.float64)
    dp = 2 * np.sqrt(power) * delta + delta ** 2 + 2 * U32 * power
    dm = weights @ dp + (2 + weights.shape[1]) * U32 * (weights @ power)
    # in dB: 10·log10 has slope (10/ln 10)/M, so ΔdB ≤ 4.343·ΔM/(M − ΔM) above the floor;
    # the floor (max − 80 dB) moves with the largest M; plus float32 rounding of the log
    floor = mel_ref.max() * 1e-8
    low = np.maximum(mel_ref - dm, floor)
    slope = 10 / math.log(10)
    bound = slope * dm / low + slope * dm.max() / (mel_ref.max() - dm.max()) + 4 * U32 * np.abs(ref)
    assert np.all(np.abs(ours - ref) <= bound)
    assert np.median(bound) < 1e-3                      # the bound is sharp: far below what a reader hears


def test_front_end_bad_inputs():
    with pytest.raises(TypeError, match="wave"):
        audio.power_spectrogram(np.zeros(100))
    with pytest.raises(ValueError, match="wave"):
        audio.power_spectrogram(torch.zeros(2, 3, 100))
    with pytest.raises(ValueError, match="fmax"):
        audio.mel_filter_bank(8000, 200, 40, fmax=5000.0)
    with pytest.raises(ValueError, match="top_db"):
        audio.power_to_db(torch.ones(2, 2), top_db=-1.0)
