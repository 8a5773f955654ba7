"""The scorer interface: fit on a reference population, score comparisons, explain them.

Every scorer models the attributes as independent, so a comparison's natural-log LLR is
a sum of per-attribute contributions. An attribute that cannot be estimated from the
reference contributes 0 and is reported (`EXCLUSION_REASONS`):

- ``dead``: active in no reference recording;
- ``always_on``: active in every reference recording;
- ``few_speakers_active``: fewer than ``min_speakers`` reference speakers ever show it;
- ``few_speakers_inactive``: fewer than ``min_speakers`` reference speakers ever lack it;
- ``low_typicality``: (dna, speech) typicality below the scorer's threshold;
- ``invalid_parameter``: (loaded BA-LR 2.0 files) a stored parameter is NaN or out of range.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import polars as pl

from balr.scoring import fast
from balr.scoring.counts import Counts, check_bits
from balr.scoring.settings import ScorerError, Settings
from balr.scoring.stats import EXCLUSION_REASONS, FitReport, ReferenceStats

__all__ = ["EXCLUSION_REASONS", "FitReport", "ReferenceStats", "Scorer", "ScorerError"]


class Scorer(Settings, ABC):
    """A likelihood-ratio scorer of binary attributes (natural-log LLRs).

    Subclasses implement `_fit`, `_contributions` and the parameter accessors; the
    base class checks inputs, excludes attributes that cannot be estimated, and
    provides the fast one-recording-per-side paths from the per-attribute 2x2 table.

    Args:
        min_speakers: an attribute is excluded unless at least this many reference
            speakers show it and at least this many lack it in some recording.
    """

    name: ClassVar[str]
    # Names of the per-attribute float64 [k] parameter arrays (parameters.npz, attributes.tsv).
    parameter_names: ClassVar[tuple[str, ...]]

    def __init__(self, min_speakers: int = 2) -> None:
        if int(min_speakers) < 1:
            raise ScorerError(f"min_speakers={min_speakers}: give a count of at least 1")
        self.min_speakers = int(min_speakers)
        self.n_attributes = 0
        self.excluded = np.zeros(0, dtype=bool)
        self.reasons = np.zeros(0, dtype=np.int8)  # index into EXCLUSION_REASONS
        self.report: FitReport | None = None
        self._stats: ReferenceStats | None = None
        self._table: np.ndarray | None = None
        self._form: fast.LinearForm | None = None
        self.source: Path | None = None  # the file it was loaded from, for messages

    @property
    def fitted(self) -> bool:
        """True once parameters exist (fitted or loaded)."""
        return self.n_attributes > 0

    # -- fitting ----------------------------------------------------------------------

    def fit(self, bits: np.ndarray, labels: np.ndarray) -> FitReport:
        """Fit on recordings `bits` (0/1 [N, k]) of speakers `labels` (int [N], -1: none)."""
        bits = check_bits(bits, "reference binary attributes")
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        compact = np.full(len(labels), -1, dtype=np.int64)
        named = labels >= 0
        compact[named] = np.unique(labels[named], return_inverse=True)[1]
        return self.fit_counts(Counts.of_speakers(bits, compact))

    def fit_counts(self, counts: Counts) -> FitReport:
        """Fit on per-speaker counts (one row per reference speaker).

        Raises:
            ScorerError: fewer than 2 speakers with recordings, or no attribute.
        """
        counts = counts[counts.total.sum(axis=1) > 0] if counts.n_attributes else counts
        if counts.n_attributes == 0:
            raise ScorerError("the reference has no attribute: give binary-attribute vectors")
        if counts.n_groups < 2:
            raise ScorerError(
                f"the reference has {counts.n_groups} speaker(s): a scorer needs recordings of"
                " at least 2 speakers (check the speaker column)"
            )
        self._reset(counts.n_attributes)
        self._stats = ReferenceStats.of(counts)
        self._exclude(counts)
        report = self._fit(counts, ~self.excluded)
        self._exclude_invalid()
        report.excluded = self.exclusion_counts()
        if self.excluded.all():
            report.notes.append(
                "every attribute is excluded, so every LLR is 0: give a reference with more"
                " speakers or lower min_speakers"
            )
        self.report = report
        return report

    def _reset(self, n_attributes: int) -> None:
        self.n_attributes = n_attributes
        self.excluded = np.zeros(n_attributes, dtype=bool)
        self.reasons = np.zeros(n_attributes, dtype=np.int8)
        self._table = None
        self._form = None

    def _exclude(self, counts: Counts) -> None:
        """Mark attributes the reference cannot estimate (first reason wins)."""
        active, inactive = counts.active, counts.inactive
        self.mark(inactive.sum(axis=0) == 0, "always_on")
        self.mark(active.sum(axis=0) == 0, "dead")
        self.mark((active > 0).sum(axis=0) < self.min_speakers, "few_speakers_active")
        self.mark((inactive > 0).sum(axis=0) < self.min_speakers, "few_speakers_inactive")

    def mark(self, mask: np.ndarray, reason: str) -> None:
        """Exclude the attributes of `mask` not yet excluded, for `reason`."""
        new = np.asarray(mask, dtype=bool) & ~self.excluded
        self.reasons[new] = EXCLUSION_REASONS.index(reason)
        self.excluded |= new
        self._table = None
        self._form = None

    def _exclude_invalid(self) -> None:
        """Exclude kept attributes whose parameters are not finite (never expected)."""
        bad = np.zeros(self.n_attributes, dtype=bool)
        for values in self.parameters().values():
            bad |= ~np.isfinite(values)
        self.mark(bad, "invalid_parameter")

    def exclusion_counts(self) -> dict[str, int]:
        """Reason -> number of excluded attributes (reasons with none left out)."""
        counts = np.bincount(self.reasons[self.excluded], minlength=len(EXCLUSION_REASONS))
        return {EXCLUSION_REASONS[i]: int(c) for i, c in enumerate(counts) if c and i}

    @abstractmethod
    def _fit(self, counts: Counts, keep: np.ndarray) -> FitReport:
        """Estimate the parameters of the attributes of `keep` (bool [k]) from `counts`."""

    # -- parameters -------------------------------------------------------------------

    @abstractmethod
    def parameters(self) -> dict[str, np.ndarray]:
        """The fitted float64 [k] arrays, by name (`parameter_names`)."""

    @abstractmethod
    def set_parameters(self, arrays: dict[str, np.ndarray]) -> None:
        """Install float64 [k] parameter arrays (from a saved scorer)."""

    def in_range(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """bool [k]: True where an attribute's parameters are valid (here: finite).

        Scorers narrow this to their parameters' domain; a saved scorer with an attribute
        outside it (in use) is refused at load instead of scoring NaN.
        """
        return np.logical_and.reduce([np.isfinite(a) for a in arrays.values()])

    def load_torch_state(self, state: dict[str, np.ndarray], path: Path) -> None:
        """Install the float64 buffers of a BA-LR 2.0 scorer.pt (statistics unknown).

        Attributes whose stored parameters are NaN or out of range are excluded
        (``invalid_parameter``) and given neutral parameters.

        Raises:
            ScorerError: a buffer has the wrong shape.
        """
        arrays, valid = self._from_torch(state, path)
        k = len(valid)
        if k == 0:
            raise ScorerError(f"{path}: the scorer holds no attribute: fit the scorer again")
        self._reset(k)
        self.set_parameters(arrays)
        self._stats = self._torch_stats(state, k)
        self.mark(~valid, "invalid_parameter")
        self.report = FitReport(
            False,
            0,
            float("nan"),
            self.exclusion_counts(),
            [f"loaded from the BA-LR 2.0 file {path}: no fit diagnostics or reference size"],
        )

    def _from_torch(
        self, state: dict[str, np.ndarray], path: Path
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """(parameters, valid mask [k]) from BA-LR 2.0 buffers; invalid entries neutralised."""
        raise ScorerError(f"{path}: the {self.name} scorer cannot read BA-LR 2.0 files")

    def _torch_stats(self, state: dict[str, np.ndarray], k: int) -> ReferenceStats:
        return ReferenceStats.unknown(k)

    def reference_stats(self) -> ReferenceStats:
        """Per-attribute statistics of the reference (NaN when loaded without them)."""
        self.check_fitted()
        assert self._stats is not None
        return self._stats

    # -- scoring ----------------------------------------------------------------------

    def check_width(self, n_attributes: int, what: str = "the vectors") -> None:
        """ScorerError unless `n_attributes` matches the scorer's."""
        self.check_fitted()
        if n_attributes != self.n_attributes:
            scorer = f"the scorer {self.source}" if self.source is not None else "the scorer"
            raise ScorerError(
                f"{what} have {n_attributes} attributes but {scorer} was fitted on"
                f" {self.n_attributes}: score vectors of the model the scorer was fitted for"
            )

    @abstractmethod
    def _contributions(self, enroll: Counts, test: Counts) -> np.ndarray:
        """float64 [P, k] per-attribute LLRs (any value where excluded)."""

    def contributions(self, enroll: Counts, test: Counts) -> np.ndarray:
        """Per-attribute natural-log LLRs, float64 [P, k]; rows sum to `score_counts`.

        Excluded attributes contribute exactly 0.
        """
        self.check_width(enroll.n_attributes, "the enrollment counts")
        self.check_width(test.n_attributes, "the test counts")
        if enroll.n_groups != test.n_groups:
            raise ScorerError(f"{enroll.n_groups} enrollment sides for {test.n_groups} test sides")
        values = np.where(self.excluded, 0.0, self._contributions(enroll, test))
        return _checked(values)

    def score_counts(self, enroll: Counts, test: Counts) -> np.ndarray:
        """Natural-log LLR of each comparison (float64 [P]) from the counts of its sides."""
        return self.contributions(enroll, test).sum(axis=1)

    def table(self) -> np.ndarray:
        """float64 [k, 2, 2]: contribution of each attribute when enrollment shows e and test t.

        One recording per side; excluded attributes hold 0.
        """
        if self._table is None:
            self.check_fitted()
            e = np.array([0, 0, 1, 1])[:, None].repeat(self.n_attributes, axis=1)
            t = np.array([0, 1, 0, 1])[:, None].repeat(self.n_attributes, axis=1)
            cells = self.contributions(Counts(e, 1 - e), Counts(t, 1 - t))
            self._table = np.ascontiguousarray(cells.T.reshape(self.n_attributes, 2, 2))
        return self._table

    def linear_form(self) -> fast.LinearForm:
        """The expansion c + u.e + v.t + w.(e*t) of the one-recording-per-side LLR."""
        if self._form is None:
            self._form = fast.LinearForm.from_table(self.table())
        return self._form

    def score_pairs(self, enroll_bits: np.ndarray, test_bits: np.ndarray) -> np.ndarray:
        """LLR of row i of `enroll_bits` against row i of `test_bits` (one recording per side)."""
        enroll_bits = check_bits(enroll_bits, "enrollment binary attributes")
        test_bits = check_bits(test_bits, "test binary attributes")
        self.check_width(enroll_bits.shape[1], "the enrollment vectors")
        self.check_width(test_bits.shape[1], "the test vectors")
        return _checked(fast.score_pairs(self.linear_form(), enroll_bits, test_bits))

    def score_rows(
        self, bits: np.ndarray, enroll_rows: np.ndarray, test_rows: np.ndarray
    ) -> np.ndarray:
        """LLR of ``bits[enroll_rows[i]]`` against ``bits[test_rows[i]]`` (rows read in chunks)."""
        bits = check_bits(bits)
        self.check_width(bits.shape[1])
        return _checked(fast.score_rows(self.linear_form(), bits, enroll_rows, test_rows))

    def score_matrix(self, enroll_bits: np.ndarray, test_bits: np.ndarray) -> np.ndarray:
        """float64 [E, T]: LLR of every enrollment row against every test row."""
        enroll_bits = check_bits(enroll_bits, "enrollment binary attributes")
        test_bits = check_bits(test_bits, "test binary attributes")
        self.check_width(enroll_bits.shape[1], "the enrollment vectors")
        self.check_width(test_bits.shape[1], "the test vectors")
        return _checked(fast.score_matrix(self.linear_form(), enroll_bits, test_bits))

    def iter_matrix(
        self, enroll_bits: np.ndarray, test_bits: np.ndarray
    ) -> Iterator[tuple[slice, np.ndarray]]:
        """`score_matrix` block by block: (enrollment row slice, float64 [rows, T]) pairs."""
        enroll_bits = check_bits(enroll_bits, "enrollment binary attributes")
        test_bits = check_bits(test_bits, "test binary attributes")
        self.check_width(enroll_bits.shape[1], "the enrollment vectors")
        self.check_width(test_bits.shape[1], "the test vectors")
        for rows, block in fast.iter_matrix(self.linear_form(), enroll_bits, test_bits):
            yield rows, _checked(block)

    # -- description ------------------------------------------------------------------

    def attribute_frame(self) -> pl.DataFrame:
        """One row per attribute: index, reference statistics, parameters, excluded, reason."""
        stats = self.reference_stats()
        columns: dict[str, Any] = {"index": np.arange(self.n_attributes, dtype=np.int64)}
        for name in ReferenceStats.FIELDS:
            columns[name] = getattr(stats, name)
        columns.update(self.parameters())
        columns["excluded"] = self.excluded.astype(np.int64)
        # Kept attributes have no reason: an empty TSV cell (null), not a quoted "".
        columns["reason"] = pl.Series(
            [EXCLUSION_REASONS[r] or None for r in self.reasons.tolist()], dtype=pl.String
        )
        return pl.DataFrame(columns)

    def save(self, run_dir: Path, reference: Mapping[str, Any] | None = None) -> None:
        """Write scorer.json, parameters.npz and attributes.tsv into `run_dir`.

        `reference`: facts about the reference population for scorer.json (e.g. its
        ``name`` and ``path``).
        """
        from balr.scoring.saving import save

        save(self, Path(run_dir), reference)


def _checked(values: np.ndarray) -> np.ndarray:
    """`values`, after making sure no NaN or infinity leaves a scorer."""
    if not np.isfinite(values).all():
        raise ScorerError(
            "a score is NaN or infinite (never expected): report this with the scorer directory"
        )
    return values
