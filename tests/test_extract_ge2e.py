"""GE2EEncoder: windows, batching, short and silent input, weights files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from balr.errors import CheckpointError, DeviceError
from balr.extract import AudioError, GE2EEncoder, SpeakerEncoder, read_audio
from balr.extract.ge2e import WEIGHTS, window_starts
from tests.extract_shared import shared_data


@pytest.fixture(scope="module")
def encoder() -> GE2EEncoder:
    torch.set_num_threads(1)
    return GE2EEncoder()


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return read_audio(shared_data("librispeech-audio") / "val" / "1116-132847-0000.flac")


def test_encoder_meets_the_speaker_encoder_protocol(encoder: GE2EEncoder) -> None:
    assert isinstance(encoder, SpeakerEncoder)
    assert (encoder.name, encoder.dim, encoder.sample_rate) == ("ge2e", 256, 16000)


def test_shipped_weights_are_float32_and_small() -> None:
    state = torch.load(WEIGHTS, weights_only=True)
    assert all(t.dtype == torch.float32 for t in state.values())
    assert sum(t.numel() for k, t in state.items() if not k.startswith("similarity")) == 1_423_616
    assert (WEIGHTS.parent / "LICENSE").read_text().count("Apache License") >= 1
    assert "39373b86598fa3da" in (WEIGHTS.parent / "NOTICE").read_text()


def test_windows_every_77_frames_with_a_covered_last_one() -> None:
    assert window_starts(100) == [0]  # shorter than a window: one (zero-padded)
    assert window_starts(160 * 160) == [0]
    # 3 s: windows at 0, 77, 154 frames; the one at 154 covers (48000 - 24640) / 25600 = 91 %.
    assert window_starts(48000) == [0, 77, 154]
    # 2.6875 s: the window at 154 covers 72 % < 75 %: dropped.
    assert window_starts(43000) == [0, 77]


def test_embeddings_are_unit_norm_and_non_negative(
    encoder: GE2EEncoder, speech: np.ndarray
) -> None:
    vectors = encoder.embed([encoder.prepare(speech[: 3 * 16000])])
    assert vectors.shape == (1, 256) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-6)
    assert (vectors >= 0).all()


def test_batching_across_waveforms_changes_nothing(
    encoder: GE2EEncoder, speech: np.ndarray
) -> None:
    wavs = [encoder.prepare(speech[a * 16000 : b * 16000]) for a, b in [(0, 4), (4, 5), (5, 14)]]
    together = encoder.embed(wavs)
    small = GE2EEncoder(batch_windows=3)
    alone = np.stack([small.embed_one(w) for w in wavs])
    np.testing.assert_allclose(together, alone, atol=1e-6)
    assert encoder.embed([]).shape == (0, 256)


def test_speech_shorter_than_a_window_is_zero_padded(
    encoder: GE2EEncoder, speech: np.ndarray
) -> None:
    wav = encoder.prepare(speech[4 * 16000 : 5 * 16000])
    assert 0.5 <= len(wav) / 16000 < 1.6
    padded = np.pad(wav, (0, 160 * 160 - len(wav)))
    np.testing.assert_allclose(encoder.embed_one(wav), encoder.embed_one(padded), atol=1e-6)


def test_under_half_a_second_of_speech_is_too_short(
    encoder: GE2EEncoder, speech: np.ndarray
) -> None:
    with_silence = np.concatenate([speech[4 * 16000 : int(4.3 * 16000)], np.zeros(16000)])
    with pytest.raises(AudioError, match=r"too short: 0\.42 s of speech remain"):
        encoder.prepare(with_silence.astype(np.float32))


@pytest.mark.parametrize("seconds", [0.01, 0.1, 0.2, 0.45])
def test_a_clip_under_half_a_second_is_too_short_not_a_crash(
    encoder: GE2EEncoder, speech: np.ndarray, seconds: float
) -> None:
    with pytest.raises(AudioError, match=rf"too short: {seconds:.2f} s of audio"):
        encoder.prepare(speech[4 * 16000 : 4 * 16000 + int(seconds * 16000)])


def test_silent_file_is_rejected(encoder: GE2EEncoder, tmp_path: Path) -> None:
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(5 * 16000, np.float32), 16000)
    with pytest.raises(AudioError, match="silent audio"):
        encoder.prepare(read_audio(path))
    quiet_noise = np.random.default_rng(0).normal(0, 1e-4, 5 * 16000).astype(np.float32)
    with pytest.raises(AudioError, match=r"silent audio|too short"):
        encoder.prepare(quiet_noise)


def test_checkpoint_with_model_state_loads(tmp_path: Path, speech: np.ndarray) -> None:
    state = torch.load(WEIGHTS, weights_only=True)
    path = tmp_path / "checkpoint.pt"
    torch.save({"step": 1, "model_state": state}, path)
    wav = speech[: 2 * 16000]
    np.testing.assert_array_equal(
        GE2EEncoder(str(path)).embed_one(wav), GE2EEncoder().embed_one(wav)
    )


def test_bad_weights_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(CheckpointError, match="GE2E weights file not found"):
        GE2EEncoder(str(tmp_path / "missing.pt"))
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read GE2E weights"):
        GE2EEncoder(str(garbage))
    other = tmp_path / "other.pt"
    torch.save({"linear.weight": torch.zeros(2, 2)}, other)
    with pytest.raises(CheckpointError, match="not GE2E weights"):
        GE2EEncoder(str(other))


@pytest.mark.skipif(torch.backends.mps.is_available(), reason="this machine has MPS")
@pytest.mark.skipif(torch.cuda.device_count() > 7, reason="this machine has cuda:7")
@pytest.mark.parametrize("device", ["mps", "cuda:7", "gpu"])
def test_devices_that_cannot_be_used_are_one_line_device_errors(device: str) -> None:
    with pytest.raises(DeviceError, match=f"device='{device}' cannot be used"):
        GE2EEncoder(device=device)
