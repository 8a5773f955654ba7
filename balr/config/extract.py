"""Config schema of `balr extract`: the input dataset, the `encoder` group, the options."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from balr.config.conditions import CONDITION_GROUP, DEFAULT_CONDITION
from balr.config.schema import DatasetConfig, _hydra_settings

ENCODER_GROUP = "encoder"


@dataclass
class Ge2eEncoderConfig:
    """The GE2E encoder shipped with balr (256-dim, 16 kHz; works offline)."""

    _target_: str = "balr.extract.GE2EEncoder"
    # A GE2E state dict file; None uses the copy shipped inside balr.
    weights: str | None = None
    # Torch device of the LSTM (the top-level `device`, set by --device).
    device: str = "${device}"
    # Windows per LSTM forward pass: bounds memory (~0.7 MB per window on CPU).
    batch_windows: int = 128


@dataclass
class OnnxEncoderConfig:
    """A user's own ONNX model (e.g. a WeSpeaker ResNet export), run with onnxruntime."""

    _target_: str = "balr.extract.OnnxEncoder"
    # The .onnx model file (encoder.path=PATH).
    path: str = MISSING
    # What the model reads: auto (from its input shape), fbank (Kaldi fbank frames) or audio.
    input: str = "auto"
    # Long recordings are embedded in chunks of this many seconds (bounds memory).
    chunk_seconds: float = 60.0
    # Recordings (or chunks) per onnxruntime call.
    batch: int = 32
    # onnxruntime threads per worker process (one is fastest on shared cores).
    threads: int = 1
    # cpu or cuda (onnxruntime's CUDA provider); the top-level `device`, set by --device.
    device: str = "${device}"
    # A recording with less audio than this many seconds is an error (listed, not embedded).
    min_seconds: float = 0.5


# Name -> node of the `encoder` group: encoder=ge2e (default) or encoder=onnx.
ENCODER_CONFIGS: dict[str, Any] = {"ge2e": Ge2eEncoderConfig, "onnx": OnnxEncoderConfig}


@dataclass
class ExtractOptionsConfig:
    """How the extraction runs and what it writes (balr.extract.runner.ExtractOptions)."""

    # Vector file format: npy, pkl (a pickled NumPy array, as BA-LR 2.0) or txt (--format).
    format: str = "npy"
    # Cut each prepared recording into segments of this many seconds (None: whole; --segments).
    segments: float | None = None
    # Keep a last segment of at least this many seconds (shorter ones are dropped).
    min_last: float = 1.5
    # Processes computing embeddings, one torch thread each (--workers).
    workers: int = 1
    # Files per encoder call (their windows are batched together).
    batch_files: int = 8
    # Stop at the first bad file with exit status 2 instead of listing it (--strict).
    strict: bool = False
    # Write one packed dataset instead of per-file vectors and a CSV (--packed).
    packed: bool = False
    # Split the sorted input into this many shards (one job each; --shards K builds the sweep).
    shards: int = 1
    # The shard this job extracts: items shard, shard + shards, ... of the sorted input.
    shard: int = 0


@dataclass
class ExtractConfig:
    """Top-level config of ``balr extract``."""

    defaults: list[Any] = field(
        default_factory=lambda: [
            "_self_",
            {ENCODER_GROUP: "ge2e"},
            {CONDITION_GROUP: [DEFAULT_CONDITION]},
            {"override hydra/job_logging": "balr"},
            {"override hydra/hydra_logging": "balr"},
        ]
    )
    # The audio: a folder (searched recursively), a CSV with an `audio` column, or one file.
    input: DatasetConfig = field(default_factory=DatasetConfig)
    # The speaker encoder: encoder=ge2e (default) or encoder=onnx encoder.path=MODEL.onnx.
    encoder: Any = MISSING
    # The recording condition simulated on the audio before embedding: condition=phone, a
    # chain 'condition=[noise_snr10,phone]'; each chosen preset under condition.<name>.
    condition: dict[str, Any] = field(default_factory=dict)
    # Seed of the conditions' random draws (with each recording's id: the same on any machine).
    seed: int = 0
    # Extraction options.
    extract: ExtractOptionsConfig = field(default_factory=ExtractOptionsConfig)
    # Recompute items that already have embeddings (--force).
    force: bool = False
    # Write vector files and the CSV (else compute and report only).
    save_output: bool = True
    # Folder for vectors (mirroring the input layout) and the CSV; default: beside the audio.
    save_dir: str | None = None
    # cpu, cuda, cuda:N or mps (--device).
    device: str = "cpu"
    hydra: Any = field(default_factory=lambda: _hydra_settings("extract"))
