"""dna: the typicality / drop-out / drop-in scorer of the BA-LR thesis (and its base class).

Per attribute i, from the reference: typicality T_i = K1 (K1 - 1) / (K (K - 1)) (share of
speaker pairs both having it; K1 speakers show it at least once out of K) and drop-out
D_i (mean over those K1 speakers of their share of recordings without it). The drop-in
Din is a free parameter. Each side is reduced to a profile bit per attribute, and the
LLR of the attribute is read from a 2x2 table of those profiles:

    LR00 = 1 / (T (1 - Din + D))           LR11 = 1 / (T (Din T + 1 - D))
    LR01 = Din / (Din T + 1 - Din)         LR10 = D / T
    (the mismatch cells LR01, LR10 are both replaced by their mean)

Multi-recording sides: a side's profile has the attribute when ANY of its recordings
shows it (the definition of a speaker's profile in the reference), so one or several
recordings per side score alike. Attributes with T below `typicality_threshold`
contribute 0 (``low_typicality``). An LR of 0 (e.g. Din = 0 with D = 0) is floored at
1e-300 so that no LLR is infinite. These LLRs are far from calibrated: calibrate them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from balr.scoring.base import FitReport, ReferenceStats, Scorer, ScorerError
from balr.scoring.counts import Counts

# Smallest LR kept: ln(1e-300) = -690.8 instead of -inf.
LR_FLOOR = 1e-300


class ProfileScorer(Scorer):
    """Base of the dna and speech scorers: profiles, typicality and drop-out.

    Args:
        drop_in: probability of a spurious activation (Din), in [0, 1).
        typicality_threshold: attributes with a lower typicality contribute 0.
        min_speakers: attributes shown (or lacked) by fewer reference speakers are excluded.
    """

    parameter_names = ("typicality", "dropout")

    def __init__(
        self, drop_in: float = 0.12, typicality_threshold: float = 1e-4, min_speakers: int = 2
    ) -> None:
        super().__init__(min_speakers)
        if not 0 <= drop_in < 1:
            raise ScorerError(f"scorer.drop_in={drop_in}: give a probability in [0, 1)")
        if not 0 <= typicality_threshold <= 1:
            raise ScorerError(
                f"scorer.typicality_threshold={typicality_threshold}: give a value in [0, 1]"
            )
        self.drop_in = float(drop_in)
        self.typicality_threshold = float(typicality_threshold)
        self.typicality = np.zeros(0)
        self.dropout = np.zeros(0)

    def parameters(self) -> dict[str, np.ndarray]:
        """typicality and dropout per attribute, float64 [k]."""
        return {"typicality": self.typicality, "dropout": self.dropout}

    def set_parameters(self, arrays: dict[str, np.ndarray]) -> None:
        """Install typicality and dropout."""
        self.typicality = np.asarray(arrays["typicality"], dtype=np.float64)
        self.dropout = np.asarray(arrays["dropout"], dtype=np.float64)
        self._table = None
        self._form = None

    def _fit(self, counts: Counts, keep: np.ndarray) -> FitReport:
        stats = self.reference_stats()
        self.typicality = stats.typicality.copy()
        self.dropout = stats.dropout.copy()
        self.mark(self.typicality < self.typicality_threshold, "low_typicality")
        return FitReport(True, 0, 0.0)

    def in_range(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """Typicality and drop-out are shares: in [0, 1]."""
        valid = super().in_range(arrays)
        for values in arrays.values():
            valid &= (values >= 0) & (values <= 1)
        return valid

    def _from_torch(
        self, state: dict[str, np.ndarray], path: Path
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        typicality, dropout = state["typicality"], state["dropout"]
        if typicality.ndim != 1 or typicality.shape != dropout.shape:
            raise ScorerError(
                f"{path}: typicality {typicality.shape} and dropout {dropout.shape} must be two"
                f" (attributes,) vectors: give a {self.name} scorer file"
            )
        valid = np.isfinite(typicality) & np.isfinite(dropout)
        valid &= (typicality > 0) & (typicality <= 1) & (dropout >= 0) & (dropout <= 1)
        arrays = {
            "typicality": np.where(valid, typicality, 1.0),
            "dropout": np.where(valid, dropout, 0.0),
        }
        return arrays, valid

    def load_torch_state(self, state: dict[str, np.ndarray], path: Path) -> None:
        """BA-LR 2.0 buffers; the table is rebuilt from typicality, dropout and `drop_in`."""
        super().load_torch_state(state, path)
        self.mark(self.typicality < self.typicality_threshold, "low_typicality")
        assert self.report is not None
        self.report.excluded = self.exclusion_counts()

    def _torch_stats(self, state: dict[str, np.ndarray], k: int) -> ReferenceStats:
        stats = ReferenceStats.unknown(k)
        stats.typicality = np.asarray(state["typicality"], dtype=np.float64).copy()
        stats.dropout = np.asarray(state["dropout"], dtype=np.float64).copy()
        return stats

    def cells(self) -> np.ndarray:
        """float64 [k, 2, 2]: LLR for profiles (enrollment e, test t), 1 = present."""
        t, d = self.typicality, self.dropout
        # Excluded attributes get neutral values: their LLR is replaced by 0 anyway.
        t = np.where(self.excluded | (t <= 0), 1.0, t)
        d = np.where(self.excluded, 0.0, d)
        with np.errstate(divide="ignore", invalid="ignore"):
            lr00, mismatch, lr11 = self.likelihood_ratios(t, d, self.drop_in)
        out = np.empty((len(t), 2, 2))
        out[:, 0, 0], out[:, 1, 1] = lr00, lr11
        out[:, 0, 1] = out[:, 1, 0] = mismatch
        out = np.log(np.maximum(np.nan_to_num(out, nan=LR_FLOOR), LR_FLOOR))
        return np.minimum(out, -np.log(LR_FLOOR))

    def likelihood_ratios(
        self, t: np.ndarray, d: np.ndarray, din: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(LR00, mismatch LR, LR11) per attribute."""
        lr01 = din / (din * t + 1 - din)
        lr10 = d / t
        return 1 / (t * (1 - din + d)), (lr01 + lr10) / 2, 1 / (t * (din * t + 1 - d))

    def _contributions(self, enroll: Counts, test: Counts) -> np.ndarray:
        cells = self.cells()
        e, t = enroll.active > 0, test.active > 0
        return np.where(
            e,
            np.where(t, cells[:, 1, 1], cells[:, 1, 0]),
            np.where(t, cells[:, 0, 1], cells[:, 0, 0]),
        )


class DNAScorer(ProfileScorer):
    """The thesis' "dna" scorer (see the module docstring)."""

    name = "dna"
