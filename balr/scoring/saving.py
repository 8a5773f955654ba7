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
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    with atomic_path(run_dir / PARAMETERS) as tmp:
        tmp.write_bytes(buffer.getvalue())
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
    with atomic_path(run_dir / SCORER_JSON) as tmp:
        tmp.write_text(json.dumps(description, indent=2) + "\n")
