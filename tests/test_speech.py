"""§6.5: the synthetic speech (lbdl_book.data.speech) and the Whisper-like recogniser
(lbdl_book.models.speech): shapes, determinism, the physics of the synthesiser, the exact
parameter count, the token format, the character error rate on hand-made cases."""

import math

import pytest
import torch

from lbdl_book.data import speech as data
from lbdl_book.models import speech as asr
from lbdl_book.models.transformer import Decoder


# --- the synthesiser ----------------------------------------------------------------------

def test_clip_shape_range_and_determinism():
    a = data.synthesize("three seven", pitch=130.0, seed=4)
    assert a.shape == (16000,) and a.dtype == torch.float32
    assert a.abs().max() <= 0.9 + 1e-6
    assert torch.equal(a, data.synthesize("three seven", pitch=130.0, seed=4))
    assert not torch.equal(a, data.synthesize("three seven", pitch=130.0, seed=5))


def test_dataset_is_seeded_and_draws_in_its_ranges():
    a = data.speech_dataset(12, seed=3, pitch_range=(100.0, 110.0), no_speech=0.3)
    b = data.speech_dataset(12, seed=3, pitch_range=(100.0, 110.0), no_speech=0.3)
    assert torch.equal(a.waves, b.waves) and a.texts == b.texts
    assert a.waves.shape == (12, 16000)
    assert ((a.pitch >= 100) & (a.pitch <= 110)).all()
    assert all((t == "") == bool(s) for t, s in zip(a.texts, a.no_speech.tolist()))
    assert all(w in data.DIGITS for t in a.texts for w in t.split())


@pytest.mark.parametrize("pitch", [100.0, 160.0, 220.0])
def test_the_pitch_of_a_vowel_is_the_spacing_of_its_harmonics(pitch):
    """A sustained "ah" (the word "one" spoken slowly, no noise): the spectrum of its middle
    has peaks at multiples of f0. f0 drifts by the intonation (up to 15 % over the word),
    so we estimate it from the strongest peak below 400 Hz of a 64 ms window and check it
    lies in the band the synthesiser allows, [0.85·0.97·f0, 1.03·f0] (fall, vibrato ±2 %,
    jitter)."""
    wave = data.synthesize("one", pitch=pitch, rate=0.5, snr_db=None, duration=1.5, seed=0).double()
    voiced = wave.abs() > 0.3 * wave.abs().max()
    middle = int(voiced.nonzero().float().median())
    frame = wave[middle - 256: middle + 256] * torch.hann_window(512, dtype=torch.float64)
    spectrum = torch.fft.rfft(frame, n=8192).abs()
    freqs = torch.fft.rfftfreq(8192, 1 / data.SAMPLE_RATE)
    band = (freqs > 0.6 * pitch) & (freqs < 1.3 * pitch)
    f0 = freqs[band][spectrum[band].argmax()].item()
    resolution = data.SAMPLE_RATE / 8192                          # one bin of the zero-padded FFT
    assert 0.85 * 0.97 * pitch - resolution <= f0 <= 1.03 * pitch + resolution
    # and the second harmonic is there too: a peak within a bin or two of 2·f0 (Hann main lobe)
    near = (freqs > 1.9 * f0) & (freqs < 2.1 * f0)
    assert abs(freqs[near][spectrum[near].argmax()].item() - 2 * f0) <= 2 * data.SAMPLE_RATE / 512


def test_noise_only_clip_and_translation():
    wave = data.synthesize("", snr_db=10.0, seed=1)
    assert wave.shape == (16000,) and wave.std() > 0
    assert data.translate("three seven one") == "三七一"
    assert data.translate("") == ""


def test_synthesizer_bad_inputs():
    with pytest.raises(ValueError, match="text"):
        data.synthesize("three eleven")
    with pytest.raises(ValueError, match="pitch"):
        data.synthesize("one", pitch=1000.0)
    with pytest.raises(TypeError, match="rate"):
        data.synthesize("one", rate="fast")
    with pytest.raises(ValueError, match="duration"):
        data.synthesize("three seven one eight nine five", duration=0.5)
    with pytest.raises(ValueError, match="pitch_range"):
        data.speech_dataset(4, seed=0, pitch_range=(200.0, 100.0))


# --- the recogniser -----------------------------------------------------------------------

def small():
    bpe, ids = asr.speech_tokenizer()
    return asr.SpeechRecognizer(asr.vocab_size(), dim=16, num_heads=2, num_encoder_layers=1, num_decoder_layers=1,
                                pad_index=ids["<pad>"])


def test_shapes_and_exact_parameter_count():
    model = small()
    mel = torch.randn(3, 151, asr.N_MELS)
    tokens = torch.randint(0, asr.vocab_size(), (3, 7))
    assert model.encode(mel).shape == (3, 38, 16)                  # 151 → 76 → 38 positions
    assert model(mel, tokens).shape == (3, 7, asr.vocab_size())
    assert isinstance(model.decoder, Decoder)
    for kwargs in ({"dim": 16, "num_encoder_layers": 1, "num_decoder_layers": 1}, {}):
        m = asr.SpeechRecognizer(asr.vocab_size(), **{"num_heads": 2, **kwargs})
        assert sum(p.numel() for p in m.parameters()) == asr.parameter_count(asr.vocab_size(), **kwargs)


def test_fused_and_book_computations_agree():
    from lbdl_book.nn.fused import set_fused
    torch.manual_seed(0)
    model = small().double()
    mel = torch.randn(2, 40, asr.N_MELS, dtype=torch.float64)
    tokens = torch.randint(0, asr.vocab_size(), (2, 5))
    fused = model(mel, tokens)
    set_fused(model, False)
    book = model(mel, tokens)
    # float64, a few layers of sums of at most 4·64 terms of size O(1): far below 1e-10
    assert torch.allclose(fused, book, rtol=0, atol=1e3 * 2.0 ** -53 * 256)


def test_token_format_round_trips():
    bpe, ids = asr.speech_tokenizer()
    seqs = asr.encode_targets(["three seven one", "", "eight"], ["transcribe", "translate", "translate"])
    assert seqs[:, 0].eq(ids["<sot>"]).all()
    assert seqs[:, 1].tolist() == [ids["<transcribe>"], ids["<translate>"], ids["<translate>"]]
    assert seqs[1, 2:4].tolist() == [ids["<nospeech>"], ids["<eot>"]]
    assert asr.decode_tokens(seqs[:, 2:]) == ["three seven one", "<nospeech>", "八"]
    with pytest.raises(ValueError, match="length"):
        asr.encode_targets(["three seven one"], ["transcribe"], length=4)


def test_edit_distance_and_cer_on_hand_made_cases():
    assert asr.edit_distance("", "") == 0
    assert asr.edit_distance("kitten", "sitting") == 3              # two substitutions, one insertion
    assert asr.edit_distance("three", "") == 5 and asr.edit_distance("", "two") == 3
    assert asr.edit_distance("三七一", "三一") == 1
    assert asr.cer(["three seven"], ["three seven"]) == 0.0
    assert asr.cer(["thre seven", "one"], ["three seven", "one"]) == 1 / 14     # one deletion, 14 characters
    assert asr.cer(["", "九"], ["一二", "八"]) == 3 / 3
    assert asr.no_speech_accuracy(["<nospeech>", "one", "<nospeech>"], torch.tensor([True, True, False])) == 1 / 3
    with pytest.raises(ValueError, match="length"):
        asr.cer(["a"], ["a", "b"])


def test_loss_ignores_padding_and_the_task_token():
    bpe, ids = asr.speech_tokenizer()
    seqs = asr.encode_targets(["one"], ["transcribe"])
    logits = torch.zeros(1, seqs.shape[1] - 1, asr.vocab_size())
    loss = asr.speech_loss(logits, seqs[:, 1:])
    assert math.isclose(loss.item(), math.log(asr.vocab_size()), rel_tol=1e-6)   # uniform: log V per token
    logits[0, 0, :] = -1e9                                                       # the task position is not scored
    assert math.isclose(asr.speech_loss(logits, seqs[:, 1:]).item(), math.log(asr.vocab_size()), rel_tol=1e-6)


def test_transcribe_and_cross_attention_shapes():
    model = small()
    mel = asr.features(data.speech_dataset(2, seed=0).waves)
    assert mel.shape == (2, 201, asr.N_MELS) and mel.max() == 1.0 and mel.min() >= -1.0
    texts = asr.transcribe(model, mel, "translate")
    assert len(texts) == 2 and all(isinstance(t, str) for t in texts)
    tokens, maps = asr.cross_attention(model, mel)
    assert len(maps) == 1 and maps[0].shape == (2, 2, tokens.shape[1], 51)
    assert torch.allclose(maps[0].sum(-1), torch.ones(()), atol=1e-5)
    with pytest.raises(ValueError, match="task"):
        asr.transcribe(model, mel, "summarise")
    with pytest.raises(ValueError, match="mel"):
        model.encode(torch.randn(2, 151, 12))
