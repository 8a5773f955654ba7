"""Reading audio: mono float32 at 16 kHz, and one-line AudioError for every bad file."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from balr.errors import DatasetError
from balr.extract import AudioError, audio_seconds, read_audio


def tone(seconds: float, rate: int, freq: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write(path: Path, data: np.ndarray, rate: int = 16000, **kwargs: str) -> Path:
    sf.write(path, data, rate, **kwargs)
    return path


def test_audio_error_is_a_dataset_error() -> None:
    assert issubclass(AudioError, DatasetError)


def test_16k_mono_file_reads_as_float32_samples(tmp_path: Path) -> None:
    data = tone(1.0, 16000)
    wav = read_audio(write(tmp_path / "a.flac", data))
    assert wav.dtype == np.float32 and wav.shape == (16000,)
    assert np.abs(wav - data).max() < 1e-4  # 16-bit flac quantisation


def test_stereo_is_mixed_down_by_averaging_channels(tmp_path: Path) -> None:
    left, right = tone(0.5, 16000, 300), tone(0.5, 16000, 700)
    path = write(tmp_path / "s.wav", np.stack([left, right], axis=1), subtype="FLOAT")
    np.testing.assert_allclose(read_audio(path), (left + right) / 2, atol=1e-7)


def test_other_rates_are_resampled_to_the_requested_rate(tmp_path: Path) -> None:
    path = write(tmp_path / "r.wav", tone(1.001, 24000, 440), 24000, subtype="FLOAT")
    wav = read_audio(path)
    assert wav.shape == (math.ceil(24024 * 16000 / 24000),)
    # Still a 440 Hz tone: the spectrum's peak is at 440 Hz.
    spectrum = np.abs(np.fft.rfft(wav[:16000]))
    assert abs(np.argmax(spectrum) - 440) <= 1


def test_audio_seconds_reads_the_header(tmp_path: Path) -> None:
    path = write(tmp_path / "h.wav", tone(2.5, 8000), 8000)
    assert audio_seconds(path) == pytest.approx(2.5)
    assert audio_seconds(tmp_path / "missing.wav") == 0.0


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"missing\.wav: audio file not found"):
        read_audio(tmp_path / "missing.wav")


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "zero.wav"
    path.write_bytes(b"")
    with pytest.raises(AudioError, match=r"zero\.wav: empty audio file"):
        read_audio(path)


def test_file_without_samples_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path / "none.wav", np.zeros(0, np.float32))
    with pytest.raises(AudioError, match=r"none\.wav: empty audio"):
        read_audio(path)


def test_garbage_is_an_unsupported_format(tmp_path: Path) -> None:
    path = tmp_path / "noise.wav"
    path.write_bytes(b"this is not audio at all" * 50)
    with pytest.raises(AudioError, match=r"noise\.wav: unsupported or unrecognised audio format"):
        read_audio(path)


def test_truncated_wav_is_reported(tmp_path: Path) -> None:
    full = write(tmp_path / "full.wav", tone(1.0, 16000)).read_bytes()
    path = tmp_path / "cut.wav"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(AudioError, match=r"cut\.wav: truncated audio file"):
        read_audio(path)


def test_truncated_flac_is_reported(tmp_path: Path) -> None:
    full = write(
        tmp_path / "full.flac", np.random.default_rng(0).normal(0, 0.1, 16000)
    ).read_bytes()
    path = tmp_path / "cut.flac"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(AudioError, match=r"cut\.flac: unreadable or truncated audio"):
        read_audio(path)


def test_error_messages_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.flac"
    path.write_bytes(b"fLaC" + bytes(100))
    with pytest.raises(AudioError) as caught:
        read_audio(path)
    assert "\n" not in str(caught.value) and "bad.flac" in str(caught.value)


@pytest.mark.skipif(importlib.util.find_spec("av") is not None, reason="PyAV is installed")
def test_m4a_without_pyav_says_how_to_install_it(tmp_path: Path) -> None:
    path = tmp_path / "talk.m4a"
    path.write_bytes(bytes(64))
    with pytest.raises(AudioError, match=r"talk\.m4a: .*`pip install av`"):
        read_audio(path)


def test_m4a_is_decoded_with_pyav_when_installed(tmp_path: Path) -> None:
    av = pytest.importorskip("av")
    rate = 44100
    stereo = np.stack([tone(1.0, rate, 440), tone(1.0, rate, 660)])
    path = tmp_path / "talk.m4a"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=rate, layout="stereo")
        for start in range(0, stereo.shape[1], 1024):
            part = np.ascontiguousarray(stereo[:, start : start + 1024])
            frame = av.AudioFrame.from_ndarray(part, format="fltp", layout="stereo")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    wav = read_audio(path)
    assert wav.dtype == np.float32 and abs(len(wav) - 16000) < 1600  # codec priming/padding
    spectrum = np.abs(np.fft.rfft(wav[2000:14000]))
    peaks = sorted(np.argsort(spectrum)[-2:] * 16000 / 12000)
    assert abs(peaks[0] - 440) < 3 and abs(peaks[1] - 660) < 3
    assert audio_seconds(path) == pytest.approx(1.0, abs=0.1)
