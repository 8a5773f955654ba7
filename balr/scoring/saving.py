"""Writing a fitted scorer as a self-describing folder (read back by `balr.scoring.io`).

Below `balr.scoring.base`, whose `Scorer.save` calls it: the scorer is used only through
its public methods, so this module needs no scorer class (no import cycle).
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np
import polars as pl

import balr
from balr.data.atomic import atomic_path
from balr.scoring.stats import EXCLUSION_REASONS, FitReport, ReferenceStats

FORMAT = "balr-scorer"
VERSION = 1
SCORER_JSON = "scorer.json"
PARAMETERS = "parameters.npz"
ATTRIBUTES = "attributes.tsv"
# scorer.json's "input" of scorers that read embeddings (cosine, plda).
EMBEDDING_INPUT = "embeddings"


class Scorer(Protocol):
    """What saving reads of a fitted `balr.scoring.base.Scorer`."""

    name: ClassVar[str]
    n_attributes: int
    excluded: np.ndarray
    reasons: np.ndarray
    report: FitReport | None

    def check_fitted(self) -> None: ...

    def hyperparameters(self) -> dict[str, Any]: ...

    def parameters(self) -> dict[str, np.ndarray]: ...

    def reference_stats(self) -> ReferenceStats: ...

    def attribute_frame(self) -> pl.DataFrame: ...


def save(scorer: Scorer, run_dir: Path, reference: Mapping[str, Any] | None = None) -> None:
    """Write `scorer` (fitted) into `run_dir` (created when missing); files are atomic.

    `reference` adds facts about the reference population to scorer.json's ``reference``
    (beside its size), e.g. ``name`` and ``path`` of the dataset, which case reports show.
    """
    scorer.check_fitted()
    run_dir.mkdir(parents=True, exist_ok=True)
    stats = scorer.reference_stats()
    arrays: dict[str, np.ndarray] = {
        name: np.asarray(values, dtype=np.float64) for name, values in scorer.parameters().items()
    }
    for name in ReferenceStats.FIELDS:
        arrays[f"stats_{name}"] = np.asarray(getattr(stats, name), dtype=np.float64)
    arrays["excluded"] = scorer.excluded.astype(np.uint8)
    arrays["reason"] = scorer.reasons.astype(np.int8)
    _write_parameters(run_dir, arrays)
    with atomic_path(run_dir / ATTRIBUTES) as tmp:
        scorer.attribute_frame().write_csv(tmp, separator="\t", float_precision=None)
    report = scorer.report or FitReport(False, 0, float("nan"))
    description = {
        "format": FORMAT,
        "version": VERSION,
        "type": scorer.name,
        "settings": scorer.hyperparameters(),
        "n_attributes": scorer.n_attributes,
        "reference": {
            **(reference or {}),
            "speakers": stats.n_speakers,
            "recordings": stats.n_recordings,
        },
        "fit": report.to_dict(),
        "exclusion_reasons": list(EXCLUSION_REASONS),
        "balr_version": balr.__version__,
    }
    _write_description(run_dir, description)


class EmbeddingScorer(Protocol):
    """What saving reads of a fitted `balr.scoring.embedding.EmbeddingScorer`."""

    name: ClassVar[str]
    dim: int
    n_speakers: int
    n_recordings: int
    report: FitReport | None

    def check_fitted(self) -> None: ...

    def hyperparameters(self) -> dict[str, Any]: ...

    def parameters(self) -> dict[str, np.ndarray]: ...


def save_embedding_scorer(
    scorer: EmbeddingScorer, run_dir: Path, reference: Mapping[str, Any] | None = None
) -> None:
    """Write an embedding scorer (fitted) into `run_dir`: parameters.npz, then scorer.json
    marked ``"input": "embeddings"``; files are atomic."""
    scorer.check_fitted()
    run_dir.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in scorer.parameters().items()}
    _write_parameters(run_dir, arrays)
    report = scorer.report or FitReport(False, 0, float("nan"))
    description = {
        "format": FORMAT,
        "version": VERSION,
        "type": scorer.name,
        "input": EMBEDDING_INPUT,
        "settings": scorer.hyperparameters(),
        "dim": scorer.dim,
        "reference": {
            **(reference or {}),
            "speakers": scorer.n_speakers,
            "recordings": scorer.n_recordings,
        },
        "fit": report.to_dict(),
        "balr_version": balr.__version__,
    }
    _write_description(run_dir, description)


def _write_parameters(run_dir: Path, arrays: Mapping[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    with atomic_path(run_dir / PARAMETERS) as tmp:
        tmp.write_bytes(buffer.getvalue())


def _write_description(run_dir: Path, description: Mapping[str, Any]) -> None:
    # Written last: a folder with a scorer.json is a complete scorer.
    with atomic_path(run_dir / SCORER_JSON) as tmp:
        tmp.write_text(json.dumps(description, indent=2) + "\n")
