"""GE2E preprocessing (level, VAD) and mel features, and the segment rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from balr.extract import read_audio, split_segments
from balr.extract.ge2e import mel_windows, window_starts
from balr.extract.mel import (
    BLOCK_FRAMES,
    hz_to_mel,
    mel_spectrogram,
    mel_to_hz,
    slaney_mel_filterbank,
)
from balr.extract.preprocess import (
    ge2e_preprocess,
    level_gain,
    raise_level,
    smooth_flags,
    trim_silences,
)
from tests.extract_shared import shared_data


def dbfs(wav: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(wav.astype(np.float64) ** 2)))


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return read_audio(shared_data("librispeech-audio") / "val" / "1116-132847-0000.flac")


def test_slaney_scale_is_linear_below_1khz_and_round_trips() -> None:
    assert hz_to_mel(np.array(1000.0)) == pytest.approx(15.0)
    assert hz_to_mel(np.array(500.0)) == pytest.approx(7.5)
    hz = np.array([0.0, 123.0, 999.0, 1000.0, 4321.0, 8000.0])
    np.testing.assert_allclose(mel_to_hz(hz_to_mel(hz)), hz, atol=1e-9)


def test_mel_filters_are_triangles_of_unit_area_peaking_at_their_centres() -> None:
    bank = slaney_mel_filterbank(16000, 400, 40)
    assert bank.shape == (40, 201) and bank.dtype == np.float32
    assert (bank >= 0).all() and (bank.max(axis=1) > 0).all()
    edges = mel_to_hz(np.linspace(0, hz_to_mel(np.array(8000.0)), 42))
    bins = np.fft.rfftfreq(400, 1 / 16000)
    peaks = bins[bank.argmax(axis=1)]
    assert np.all(np.abs(peaks - edges[1:-1]) <= 40)  # within one FFT bin (40 Hz)
    wide = edges[2:] - edges[:-2] > 400  # enough bins for a fair Riemann sum
    areas = bank.sum(axis=1) * 40.0
    np.testing.assert_allclose(areas[wide], 1.0, rtol=0.02)


def test_mel_spectrogram_frames_and_tone_band() -> None:
    t = np.arange(16000) / 16000
    wav = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    mel = mel_spectrogram(wav)
    assert mel.shape == (1 + 16000 // 160, 40) and mel.dtype == torch.float32
    band = int(mel[50].argmax())
    edges = mel_to_hz(np.linspace(0, hz_to_mel(np.array(8000.0)), 42))
    assert edges[band] < 1000 < edges[band + 2]


@pytest.mark.parametrize("samples", [100, 160, 2 * BLOCK_FRAMES * 160 + 37])
def test_mel_spectrogram_in_blocks_equals_one_whole_signal_stft(samples: int) -> None:
    wav = np.random.default_rng(0).normal(0, 0.1, samples).astype(np.float32)
    spec = torch.stft(
        torch.from_numpy(wav), 400, hop_length=160, window=torch.hann_window(400),
        center=True, pad_mode="constant", return_complex=True,
    )  # fmt: skip
    whole = (torch.from_numpy(slaney_mel_filterbank()) @ spec.abs().square()).T
    blocks = mel_spectrogram(wav)
    assert blocks.shape == whole.shape == (1 + samples // 160, 40)
    torch.testing.assert_close(blocks, whole, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("samples", [100, 2 * BLOCK_FRAMES * 160 + 37])
def test_a_length_beyond_the_signal_equals_padding_it_with_zeros(samples: int) -> None:
    wav = np.random.default_rng(1).normal(0, 0.1, samples).astype(np.float32)
    length = samples + 160 * 170 + 11
    padded = mel_spectrogram(np.pad(wav, (0, length - samples)))
    assert torch.equal(mel_spectrogram(wav, length=length), padded)


def test_mel_windows_are_the_windows_at_their_starts(speech: np.ndarray) -> None:
    wav = speech[: 5 * 16000 + 123]
    starts = window_starts(len(wav))
    mel = mel_spectrogram(wav, length=(starts[-1] + 160) * 160)
    expected = torch.stack([mel[s : s + 160] for s in starts])
    assert torch.equal(mel_windows(wav), expected)


@pytest.mark.parametrize("scale", [0.01, 1.0])
def test_trimming_with_a_gain_equals_raising_the_level_first(
    speech: np.ndarray, scale: float
) -> None:
    wav = speech * np.float32(scale)
    expected = trim_silences(raise_level(wav), 16000)
    assert np.array_equal(ge2e_preprocess(wav), expected)
    assert (level_gain(wav) is None) == (scale == 1.0)


def test_level_is_raised_to_minus_30_dbfs_but_never_lowered() -> None:
    t = np.arange(16000) / 16000
    quiet = (0.001 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    assert dbfs(raise_level(quiet)) == pytest.approx(-30.0, abs=1e-3)
    loud = quiet * 500
    assert raise_level(loud) is loud
    silence = np.zeros(100, np.float32)
    assert raise_level(silence) is silence


def test_vad_smoothing_fills_short_gaps_and_spreads_by_three_windows() -> None:
    flags = np.zeros(40, bool)
    flags[10:20] = True
    kept = smooth_flags(flags)
    # Average over 8 then round keeps the run (shifted by the centring), dilation adds 3 each side.
    assert kept[7:22].all() and not kept[:4].any() and not kept[26:].any()


@pytest.mark.parametrize("windows", [1, 3, 6, 7, 8])
def test_fewer_voice_flags_than_the_dilation_width_keep_their_length(windows: int) -> None:
    assert smooth_flags(np.ones(windows, bool)).shape == (windows,)


def test_a_clip_shorter_than_seven_windows_is_trimmed_without_error(speech: np.ndarray) -> None:
    clip = speech[5 * 16000 : 5 * 16000 + 3000]  # 0.19 s: six 30 ms windows
    assert len(ge2e_preprocess(clip)) <= 6 * 480


def test_long_silence_inside_speech_is_shortened(speech: np.ndarray) -> None:
    gap = np.zeros(3 * 16000, np.float32)
    padded = np.concatenate([speech[: 5 * 16000], gap, speech[5 * 16000 : 10 * 16000]])
    plain = ge2e_preprocess(np.concatenate([speech[: 5 * 16000], speech[5 * 16000 : 10 * 16000]]))
    trimmed = ge2e_preprocess(padded)
    assert len(trimmed) % 480 == 0
    assert len(trimmed) - len(plain) < 0.5 * 16000  # at most ~0.2 s of the 3 s gap remains


def test_segments_follow_the_two_second_rule() -> None:
    def lengths(seconds: float) -> list[int]:
        return [len(p) for p in split_segments(np.zeros(round(seconds * 16000)), 16000)]

    assert lengths(6.0) == [32000, 32000, 32000]
    assert lengths(7.4) == [32000, 32000, 32000]  # 1.4 s last piece dropped
    assert lengths(7.5) == [32000, 32000, 32000, 24000]  # 1.5 s last piece kept
    assert lengths(1.49) == []
    assert lengths(1.5) == [24000]
