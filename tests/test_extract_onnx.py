"""OnnxEncoder: small models exported at test time, fbank recipe, chunks, clear errors."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from torch import nn

from balr.errors import ConfigError, DeviceError
from balr.extract import AudioError, read_audio
from balr.extract.fbank import kaldi_fbank, mean_normalise
from balr.extract.onnx import OnnxEncoder
from tests.extract_shared import shared_data
from tests.onnx_models import export


class FbankNet(nn.Module):
    """(batch, frames, 80) -> (batch, 16): a frame MLP, mean and std pooling, a linear."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.frame = nn.Sequential(nn.Linear(80, 32), nn.ReLU())
        self.out = nn.Linear(64, 16)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        hidden = self.frame(feats)
        return self.out(torch.cat([hidden.mean(dim=1), hidden.std(dim=1)], dim=1))


class AudioNet(nn.Module):
    """(batch, samples) -> (batch, 4)."""

    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        return torch.stack([wav.mean(1), wav.std(1), wav.amax(1), wav.amin(1)], dim=1)


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return read_audio(shared_data("librispeech-audio") / "val" / "1116-132847-0000.flac")


@pytest.fixture(scope="module")
def fbank_model(tmp_path_factory: pytest.TempPathFactory) -> tuple[FbankNet, Path]:
    model = FbankNet()
    path = tmp_path_factory.mktemp("onnx") / "fbank.onnx"
    return model, export(model, torch.randn(2, 50, 80), path, {0: "batch", 1: "frames"})


def reference_fbank(wav: np.ndarray, bins: int = 80) -> np.ndarray:
    """Kaldi fbank written frame by frame in float64, straight from the recipe."""
    signal = wav.astype(np.float64) * 32768
    frame, shift, n_fft, rate = 400, 160, 512, 16000
    mel = lambda f: 1127 * np.log(1 + f / 700)  # noqa: E731
    low, high = mel(20.0), mel(8000.0)
    step = (high - low) / (bins + 1)
    banks = np.zeros((bins, n_fft // 2 + 1))
    for b in range(bins):
        left, centre, right = low + b * step, low + (b + 1) * step, low + (b + 2) * step
        for k in range(n_fft // 2):
            m = mel(k * rate / n_fft)
            if left < m <= centre:
                banks[b, k] = (m - left) / (centre - left)
            elif centre < m < right:
                banks[b, k] = (right - m) / (right - centre)
    hamming = np.array([0.54 - 0.46 * np.cos(2 * np.pi * i / (frame - 1)) for i in range(frame)])
    rows = []
    for start in range(0, len(signal) - frame + 1, shift):
        x = signal[start : start + frame].copy()
        x -= x.mean()
        for i in range(frame - 1, 0, -1):
            x[i] -= 0.97 * x[i - 1]
        x[0] -= 0.97 * x[0]
        padded = np.zeros(n_fft)
        padded[:frame] = x * hamming
        power = np.abs(np.fft.rfft(padded)) ** 2
        rows.append(np.log(np.maximum(banks @ power, np.finfo(np.float32).eps)))
    return np.array(rows)


def test_fbank_matches_a_frame_by_frame_reference(speech: np.ndarray) -> None:
    wav = speech[16000 : 16000 + 8000 + 37]
    mine = kaldi_fbank(wav).numpy()
    expected = reference_fbank(wav)
    assert mine.shape == expected.shape == (1 + (len(wav) - 400) // 160, 80)
    np.testing.assert_allclose(mine, expected, atol=2e-3)


def test_fbank_matches_kaldi_native_fbank_when_installed(speech: np.ndarray) -> None:
    knf = pytest.importorskip("kaldi_native_fbank")
    options = knf.FbankOptions()
    options.frame_opts.dither = 0.0
    options.frame_opts.window_type = "hamming"
    options.mel_opts.num_bins = 80
    fbank = knf.OnlineFbank(options)
    wav = speech[: 2 * 16000]
    fbank.accept_waveform(16000, (wav * 32768).tolist())
    fbank.input_finished()
    expected = np.stack([fbank.get_frame(i) for i in range(fbank.num_frames_ready)])
    np.testing.assert_allclose(kaldi_fbank(wav).numpy(), expected, atol=2e-3)


def test_fbank_of_audio_shorter_than_a_frame_is_empty() -> None:
    assert kaldi_fbank(np.zeros(399, np.float32)).shape == (0, 80)


def test_fbank_in_blocks_equals_the_recipe_on_every_block_boundary(
    speech: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    wav = speech[: 16000 + 123]
    whole = kaldi_fbank(wav).numpy()
    monkeypatch.setattr("balr.extract.fbank.BLOCK_FRAMES", 7)
    np.testing.assert_allclose(kaldi_fbank(wav).numpy(), whole, rtol=1e-6)
    np.testing.assert_allclose(whole, reference_fbank(wav), atol=2e-3)


@pytest.mark.slow
def test_fbank_of_a_long_recording_needs_little_more_memory_than_its_features() -> None:
    """10 min of audio (38 MB, 23 MB of features): whole-recording temporaries took ~500 MB."""
    code = (
        "import resource, numpy as np\n"
        "from balr.extract.fbank import kaldi_fbank\n"
        "kaldi_fbank(np.zeros(16000, np.float32))\n"
        "wav = np.random.default_rng(0).standard_normal(600 * 16000).astype(np.float32) / 10\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "kaldi_fbank(wav)\n"
        "print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)\n"
    )
    import subprocess

    env = {"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert int(done.stdout.split()[-1]) < 150, done.stdout


def test_fbank_model_output_matches_torch_on_the_same_features(
    fbank_model: tuple[FbankNet, Path], speech: np.ndarray
) -> None:
    model, path = fbank_model
    encoder = OnnxEncoder(path)
    assert (encoder.kind, encoder.bins, encoder.dim) == ("fbank", 80, 16)
    wavs = [speech[:40000], speech[40000:72000], speech[72000:104000]]  # two of equal length
    with torch.no_grad():
        expected = np.stack([model(mean_normalise(kaldi_fbank(w))[None]).numpy()[0] for w in wavs])
    np.testing.assert_allclose(encoder.embed(wavs), expected, atol=1e-4)


def test_long_recordings_are_length_weighted_means_of_chunks(
    fbank_model: tuple[FbankNet, Path], speech: np.ndarray
) -> None:
    model, path = fbank_model
    encoder = OnnxEncoder(path, chunk_seconds=1.0)
    wav = speech[: 16000 * 3 + 3200]  # 318 frames -> 4 chunks of 80 or 79 frames
    features = mean_normalise(kaldi_fbank(wav))
    pieces = torch.tensor_split(features, 4)
    assert [len(p) for p in pieces] == [80, 80, 79, 79]
    with torch.no_grad():
        outputs = torch.cat([model(p[None]) for p in pieces]).numpy()
    weights = np.array([len(p) for p in pieces], dtype=np.float64)
    expected = (weights[:, None] * outputs).sum(0) / weights.sum()
    np.testing.assert_allclose(encoder.embed([wav])[0], expected, atol=1e-4)


def test_raw_audio_model_is_detected_and_fed_samples(tmp_path: Path, speech: np.ndarray) -> None:
    path = export(AudioNet(), torch.randn(1, 16000), tmp_path / "raw.onnx", {0: "b", 1: "n"})
    encoder = OnnxEncoder(path)
    assert (encoder.kind, encoder.dim) == ("audio", 4)
    wav = speech[:20000]
    expected = [wav.mean(), wav.std(ddof=1), wav.max(), wav.min()]
    np.testing.assert_allclose(encoder.embed([wav])[0], expected, atol=1e-5)
    with pytest.raises(ConfigError, match=r"encoder\.input=fbank but the model takes audio"):
        OnnxEncoder(path, input="fbank")


def test_model_with_another_input_is_one_clear_line(tmp_path: Path) -> None:
    class ImageNet(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x.mean(dim=(2, 3))

    path = export(ImageNet(), torch.randn(1, 3, 8, 8), tmp_path / "img.onnx", {0: "b"})
    with pytest.raises(ConfigError, match=r"img\.onnx: model input feats is .*export the model"):
        OnnxEncoder(path)


def test_model_for_another_sample_rate_is_refused(
    tmp_path: Path, fbank_model: tuple[FbankNet, Path]
) -> None:
    model = onnx.load(str(fbank_model[1]))
    onnx.helper.set_model_props(model, {"sample_rate": "8000"})
    path = tmp_path / "8k.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ConfigError, match="sample_rate=8000 audio"):
        OnnxEncoder(path)


def test_wrong_path_and_garbage_file_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.onnx: ONNX model not found"):
        OnnxEncoder(tmp_path / "missing.onnx")
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00not a model")
    with pytest.raises(ConfigError, match=r"garbage\.onnx: not a usable ONNX model"):
        OnnxEncoder(garbage)


def test_missing_onnxruntime_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, fbank_model: tuple[FbankNet, Path]
) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ConfigError, match=r"pip install 'balr\[onnx\]'"):
        OnnxEncoder(fbank_model[1])


def test_too_short_audio_is_an_audio_error(fbank_model: tuple[FbankNet, Path]) -> None:
    with pytest.raises(AudioError, match="too short"):
        OnnxEncoder(fbank_model[1]).prepare(np.zeros(4000, np.float32))


def test_a_device_onnxruntime_cannot_use_is_an_error(fbank_model: tuple[FbankNet, Path]) -> None:
    with pytest.raises(DeviceError, match=r"'mps'.*cpu or cuda"):
        OnnxEncoder(fbank_model[1], device="mps")
