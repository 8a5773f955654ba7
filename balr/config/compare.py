"""Config schema of `balr compare`: one comparison explained as a case report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from balr.config.schema import _hydra_settings
from balr.config.scoring import ScoreEncoderConfig


@dataclass
class CompareConfig:
    """Top-level config of ``balr compare``: the case report of ENROLL vs TEST."""

    defaults: list[Any] = field(
        default_factory=lambda: [
            "_self_",
            {"extractor": "ge2e"},
            {"override hydra/job_logging": "balr"},
            {"override hydra/hydra_logging": "balr"},
        ]
    )
    # Recordings of the enrollment side: audio, embedding or _ba files, or ids of `data`.
    enrollment: list[str] = MISSING
    # Recordings of the test side (same kinds).
    test: list[str] = MISSING
    # A fitted scorer's run directory (balr score train) or its scorer.json.
    scorer_dir: str = MISSING
    # calibration.json applied to the LLR (None: scorer_dir/calibration.json when present).
    calibration: str | None = None
    # fusion.json of `balr score fuse` fusing scorer_dir (BA-LR) with embedding scorers: the
    # LR is the fused one (instead of a calibration).
    fusion: str | None = None
    # The raw LLR even when scorer_dir holds a calibration.json.
    uncalibrated: bool = False
    # Apply a calibration fitted for another scorer anyway (warns; --force-calibration).
    force_calibration: bool = False
    # Labelled scores.tsv to place the LR among (None: the one beside `calibration`, else
    # the one in `scorer_dir`, if any).
    scores: str | None = None
    # Dataset that ids among the recordings refer to (a CSV, folder or packed dataset).
    data: str | None = None
    # Trained encoder binarising embeddings (encoder.model.checkpoint_path=RUN/best.pt).
    encoder: ScoreEncoderConfig = field(default_factory=ScoreEncoderConfig)
    # Speaker encoder turning audio recordings into embeddings: extractor=ge2e (default) or
    # extractor=onnx extractor.path=MODEL.onnx, as `balr extract`'s encoder group.
    extractor: Any = MISSING
    # Cut each audio recording into segments of this many seconds, each one recording of
    # its side (None: one embedding per file).
    segments: float | None = None
    # The case recordings' conditions, names of the `condition` group (e.g. phone, or
    # noise_snr10+phone): compared with the calibration data's (None: measured on audio).
    condition_enrollment: str | None = None
    condition_test: str | None = None
    # Largest contributions shown one by one in each direction (chart and terminal summary).
    top: int = 6
    # cpu, cuda, cuda:N, N or mps (the encoders only).
    device: str = "cpu"
    # Run directory; set by the balr launcher (runs/compare/caseX unless --save-dir).
    save_dir: str | None = None
    # Allow an existing save_dir.
    exist_ok: bool = False
    hydra: Any = field(default_factory=lambda: _hydra_settings("compare"))
