"""What a fit reports, and the reference population's per-attribute statistics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from balr.scoring.counts import Counts

# Why an attribute is left out of scoring (index 0: kept); `Scorer.reasons` index this.
EXCLUSION_REASONS = (
    "",
    "dead",
    "always_on",
    "few_speakers_active",
    "few_speakers_inactive",
    "low_typicality",
    "invalid_parameter",
)


@dataclass
class FitReport:
    """Diagnostics of a fit.

    Attributes:
        converged: the iteration met its tolerance (True for closed-form fits).
        iterations: iterations run.
        max_change: largest parameter change of the last iteration (0 for closed forms).
        excluded: reason -> number of attributes excluded for it.
        notes: human-readable remarks (rules applied, fallbacks taken).
    """

    converged: bool
    iterations: int
    max_change: float
    excluded: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (a NaN change becomes None)."""
        change = None if not np.isfinite(self.max_change) else float(self.max_change)
        return {
            "converged": bool(self.converged),
            "iterations": int(self.iterations),
            "max_change": change,
            "excluded": {k: int(v) for k, v in self.excluded.items()},
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FitReport:
        """Inverse of `to_dict`."""
        change = data.get("max_change")
        return cls(
            converged=bool(data["converged"]),
            iterations=int(data["iterations"]),
            max_change=float("nan") if change is None else float(change),
            excluded={str(k): int(v) for k, v in dict(data.get("excluded", {})).items()},
            notes=[str(n) for n in data.get("notes", [])],
        )


@dataclass
class ReferenceStats:
    """Per-attribute statistics of the reference population (float64 [k] each).

    Attributes:
        rate: share of reference recordings with the attribute active.
        speaker_share: share of speakers showing it at least once (profile), K1 / K.
        typicality: share of speaker pairs both having it, K1 (K1 - 1) / (K (K - 1)).
        dropout: mean over profile speakers of their share of recordings without it
            (0 when no speaker has it).
        n_speakers: K, reference speakers.
        n_recordings: reference recordings.
    """

    rate: np.ndarray
    speaker_share: np.ndarray
    typicality: np.ndarray
    dropout: np.ndarray
    n_speakers: int
    n_recordings: int

    FIELDS: ClassVar[tuple[str, ...]] = ("rate", "speaker_share", "typicality", "dropout")

    @classmethod
    def of(cls, counts: Counts) -> ReferenceStats:
        """Statistics of speakers' counts (rows with no recording must be removed first)."""
        active, total = counts.active, counts.total
        k_speakers = counts.n_groups
        profile = active > 0
        holders = profile.sum(axis=0).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            missing = np.where(profile, counts.inactive / np.maximum(total, 1), 0.0)
        pairs = max(k_speakers * (k_speakers - 1), 1)
        return cls(
            rate=active.sum(axis=0) / np.maximum(total.sum(axis=0), 1),
            speaker_share=holders / max(k_speakers, 1),
            typicality=holders * np.maximum(holders - 1, 0) / pairs,
            dropout=missing.sum(axis=0) / np.maximum(holders, 1),
            n_speakers=k_speakers,
            n_recordings=int(total[:, 0].sum()) if total.size else 0,
        )

    @classmethod
    def unknown(cls, n_attributes: int) -> ReferenceStats:
        """NaN statistics (a scorer loaded from a file that does not hold them)."""
        nan = np.full(n_attributes, np.nan)
        return cls(nan, nan.copy(), nan.copy(), nan.copy(), 0, 0)
