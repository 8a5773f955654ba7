"""A user's own speaker encoder exported to ONNX, run with onnxruntime (optional extra).

Two kinds of model are accepted, told apart by the model's first input:

- rank 3, float, (batch, frames, bins): fbank frames, e.g. a WeSpeaker ResNet
  or ECAPA exported with its ``export_onnx.py``. Features follow WeSpeaker's
  recipe (balr.extract.fbank): Kaldi fbank of the 16 kHz audio scaled by 32768,
  then the recording's mean frame subtracted.
- rank 2, float, (batch, samples): raw 16 kHz audio in [-1, 1].

The first output must be (batch, dim) embeddings.

Long recordings are processed in chunks so memory stays bounded: a recording
longer than `chunk_seconds` is cut into the fewest consecutive chunks of at
most that length, all of (nearly) equal size; each chunk is embedded and the
embedding is the mean of the chunk embeddings weighted by their lengths. The
fbank mean is taken over the whole recording before cutting, so a recording
that fits in one chunk gives exactly the model's output on all its frames.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from balr.errors import ConfigError, DeviceError
from balr.extract.audio import AudioError
from balr.extract.fbank import kaldi_fbank, mean_normalise

INPUT_KINDS = ("auto", "fbank", "audio")
SAMPLE_RATE = 16000


class OnnxEncoder:
    """Speaker embeddings from an ONNX model taking fbank frames or raw audio.

    Args:
        path: the ``.onnx`` model file.
        input: "auto" (read from the model's first input), "fbank" or "audio";
            a kind the model does not take is an error.
        chunk_seconds: longest piece of audio embedded in one run (see module doc).
        batch: most equal-length chunks run together.
        threads: onnxruntime intra-op threads (one per worker process is fastest
            on shared cores).
        device: "cpu" or "cuda".
        min_seconds: recordings shorter than this are an AudioError.
    """

    name = "onnx"
    sample_rate = SAMPLE_RATE

    def __init__(
        self,
        path: str | Path,
        input: str = "auto",
        chunk_seconds: float = 60.0,
        batch: int = 32,
        threads: int = 1,
        device: str = "cpu",
        min_seconds: float = 0.5,
    ) -> None:
        if input not in INPUT_KINDS:
            raise ConfigError(f"encoder.input={input!r}: use one of {', '.join(INPUT_KINDS)}")
        self.path = Path(path)
        self.session = _session(self.path, threads, device)
        model_input = self.session.get_inputs()[0]
        self.input_name: str = model_input.name
        self.kind, self.bins = _input_kind(self.path, model_input)
        _check_rate(self.path, self.session)
        if input != "auto" and input != self.kind:
            raise ConfigError(
                f"{self.path}: encoder.input={input} but the model takes {self.kind} "
                f"(input {model_input.name} {model_input.shape}): set encoder.input={self.kind}"
            )
        self.chunk_seconds = chunk_seconds
        self.batch = batch
        self.min_seconds = min_seconds
        self.dim = _output_dim(self)

    def prepare(self, wav: np.ndarray) -> np.ndarray:
        """`wav` as float32; AudioError when shorter than `min_seconds`."""
        seconds = len(wav) / SAMPLE_RATE
        least = max(self.min_seconds, 0.025)  # at least one 25 ms fbank frame
        if seconds < least:
            raise AudioError(
                f"too short: {seconds:.2f} s of audio, {least:g} s needed; use a longer recording"
            )
        return np.ascontiguousarray(wav, dtype=np.float32)

    def embed(self, wavs: Sequence[np.ndarray]) -> np.ndarray:
        """Embeddings of waveforms, float32 [len(wavs), dim] (chunks of equal length batched)."""
        chunks = [(i, c) for i, w in enumerate(wavs) for c in self._chunks(w)]
        by_shape: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for k, (_, chunk) in enumerate(chunks):
            by_shape[chunk.shape].append(k)
        outputs: list[np.ndarray] = [np.empty(0)] * len(chunks)
        for members in by_shape.values():
            for start in range(0, len(members), self.batch):
                group = members[start : start + self.batch]
                batch = np.stack([chunks[k][1] for k in group])
                for k, vector in zip(group, self.run(batch), strict=True):
                    outputs[k] = vector
        result = np.zeros((len(wavs), self.dim), np.float64)
        weight = np.zeros(len(wavs))
        for (i, chunk), vector in zip(chunks, outputs, strict=True):
            result[i] += len(chunk) * vector
            weight[i] += len(chunk)
        return (result / np.maximum(weight, 1)[:, None]).astype(np.float32)

    def features(self, wav: np.ndarray) -> np.ndarray:
        """The model input of a whole waveform: mean-normalised fbank [frames, bins] or audio."""
        if self.kind == "audio":
            return np.asarray(wav, dtype=np.float32)
        return mean_normalise(kaldi_fbank(wav, self.bins, SAMPLE_RATE)).numpy()

    def run(self, batch: np.ndarray) -> np.ndarray:
        """The model's first output on one input batch, float32 [batch, dim]."""
        output = self.session.run(None, {self.input_name: batch.astype(np.float32)})[0]
        return np.asarray(output, dtype=np.float32).reshape(len(batch), -1)

    def _chunks(self, wav: np.ndarray) -> list[np.ndarray]:
        """The waveform's model input cut into nearly equal chunks of at most chunk_seconds."""
        data = self.features(wav)
        per_second = SAMPLE_RATE if self.kind == "audio" else 100
        longest = max(1, int(self.chunk_seconds * per_second))
        if len(data) == 0:
            raise AudioError("too short for one fbank frame (25 ms): use a longer recording")
        pieces = -(-len(data) // longest)
        return list(np.array_split(data, pieces))


def _session(path: Path, threads: int, device: str) -> Any:
    """An onnxruntime session of the model, with one-line errors."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ConfigError("the onnx encoder needs onnxruntime: pip install 'balr[onnx]'") from None
    if not path.is_file():
        raise ConfigError(f"{path}: ONNX model not found: fix encoder.path")
    providers = ["CPUExecutionProvider"]
    if not device.startswith(("cpu", "cuda")):
        raise DeviceError(f"device {device!r}: the onnx encoder runs on cpu or cuda: use one")
    if device.startswith("cuda"):
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise DeviceError(
                f"device {device!r}: this onnxruntime has no CUDA support: use cpu or "
                "install onnxruntime-gpu"
            )
        providers.insert(0, "CUDAExecutionProvider")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=providers)
    except Exception as error:  # onnxruntime raises its own exception types
        first = " ".join(str(error).split())[:200]
        raise ConfigError(f"{path}: not a usable ONNX model ({first}): fix encoder.path") from None


def _input_kind(path: Path, model_input: Any) -> tuple[str, int]:
    """("fbank", bins) or ("audio", 0) from the model's first input, else ConfigError."""
    shape, dtype = list(model_input.shape), str(model_input.type)
    if "float" in dtype and len(shape) == 3:
        bins = shape[2]
        if isinstance(bins, int) and bins > 0:
            return "fbank", bins
        return "fbank", 80
    if "float" in dtype and len(shape) == 2:
        return "audio", 0
    raise ConfigError(
        f"{path}: model input {model_input.name} is {dtype} {shape}; balr feeds "
        "float (batch, frames, bins) fbank frames or (batch, samples) 16 kHz audio: "
        "export the model with one of those inputs"
    )


def _check_rate(path: Path, session: Any) -> None:
    """ConfigError when the model's metadata names a sample rate other than 16 kHz."""
    metadata = session.get_modelmeta().custom_metadata_map
    for key in ("sample_rate", "sampling_rate", "sample_frequency"):
        value = metadata.get(key)
        if value is not None and value.strip() not in ("16000", "16000.0", "16k"):
            raise ConfigError(
                f"{path}: the model expects {key}={value} audio; balr's features are 16 kHz: "
                "use a model trained on 16 kHz audio"
            )


def _output_dim(encoder: OnnxEncoder) -> int:
    """Embedding size: the first output's static last dimension, else from a test run."""
    shape = encoder.session.get_outputs()[0].shape
    if len(shape) == 2 and isinstance(shape[1], int) and shape[1] > 0:
        return int(shape[1])
    probe = np.zeros(SAMPLE_RATE, np.float32)
    try:
        output = encoder.run(encoder._chunks(probe)[0][None])
    except Exception as error:  # a model that fails on 1 s of input is unusable here
        first = " ".join(str(error).split())[:200]
        raise ConfigError(
            f"{encoder.path}: the model fails on 1 s of input ({first}): check the export"
        ) from None
    return int(output.shape[1])
