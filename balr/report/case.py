"""The case of one comparison: its LR, the attributes behind it, and where it came from.

A :class:`Case` is plain data (no scorer object inside): everything the page, the JSON
file and the terminal summary show. Build it from a fitted scorer with
:func:`balr.report.build.case_from_scorer`, or from arrays with
:func:`balr.report.rows.attribute_rows`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from balr import __version__
from balr.report.verbal import SCALE_NAME, Verbal, verbal_equivalent

LN10 = math.log(10.0)
# Contributions per direction with a bar of their own in the chart.
TOP_PER_SIDE = 6


@dataclass(frozen=True)
class Recording:
    """One recording of a side, as given by the user.

    Attributes:
        name: what the user gave: a file path or a dataset id.
        kind: "audio", "embedding" or "binary_attributes" (what was read).
        path: the file read (absolute), or ``<matrix>.npy#<row>`` for a packed dataset's row.
        sha256: hex digest of that file's bytes; for a packed row, of the row's float32
            bytes (the matrix file can be huge).
    """

    name: str
    kind: str
    path: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class ScorerInfo:
    """The fitted scorer a case was computed with.

    Attributes:
        name: scorer type ("beta", "maxllr", "dna", "speech").
        path: its run directory (or file).
        reference: the reference population it was fitted on, as named by its run.
        n_speakers: reference speakers (None when the scorer does not record it).
        n_recordings: reference recordings (None when unknown).
        n_attributes: attributes per vector.
        excluded: indices of the attributes the scorer excludes (they contribute 0).
        sha256: digest of the scorer's parameters.npz (or of a BA-LR 2.0 scorer.pt).
        reference_path: where the reference set was read when the scorer was fitted.
        settings_sha256: digest of scorer.json (its settings, e.g. drop_in, change LLRs).
    """

    name: str
    path: str
    reference: str
    n_speakers: int | None
    n_recordings: int | None
    n_attributes: int
    excluded: list[int]
    sha256: str | None = None
    reference_path: str | None = None
    settings_sha256: str | None = None


@dataclass(frozen=True)
class CalibrationInfo:
    """The calibration that was applied, and the data it rests on.

    Attributes:
        path: its calibration.json.
        a, b: its affine stage, ln LR = a * raw + b (the whole map for method "logistic").
        sha256: digest of the file.
        method: "logistic" (affine) or "bigauss" (affine, then bi-Gaussianized).
        bounds: the ELUB bounds as calibration.json holds them (kind, log10_lower,
            log10_upper, n_target, n_nontarget), or None: the LR is not bounded.
        data: what it was fitted on, as recorded (file, n_target, n_nontarget, n_speakers,
            cross_validated, folds).
    """

    path: str
    a: float
    b: float
    sha256: str | None = None
    method: str = "logistic"
    bounds: dict[str, Any] | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def clip(self, llr: float) -> float:
        """A natural-log LLR clipped to the bounds (unchanged without bounds)."""
        if self.bounds is None:
            return llr
        low, high = self.bounds["log10_lower"] * LN10, self.bounds["log10_upper"] * LN10
        return min(max(llr, low), high)


@dataclass(frozen=True)
class AttributeRow:
    """One attribute of the comparison.

    Attributes:
        index: attribute number (0-based, as in attributes.tsv).
        enroll_active: enrollment recordings showing it; enroll_total: all of them.
        test_active: test recordings showing it; test_total: all of them.
        case: "both", "enrollment only", "test only", "neither" or "mixed" (some recordings).
        contribution: its natural-log LLR term (raw, before calibration).
        rate: share of reference recordings showing it.
        speaker_share: share of reference speakers showing it at least once.
        typicality: share of reference speaker pairs that both have it.
        dropout: mean share of a holder's recordings missing it (None when unknown).
        excluded: the scorer excludes it (contribution 0).
    """

    index: int
    enroll_active: int
    enroll_total: int
    test_active: int
    test_total: int
    case: str
    contribution: float
    rate: float | None
    speaker_share: float | None
    typicality: float | None
    dropout: float | None
    excluded: bool

    @property
    def log10_contribution(self) -> float:
        """The contribution in log10 LR units."""
        return self.contribution / LN10


@dataclass(frozen=True)
class Placement:
    """Where this comparison's LLR sits among labelled validation scores.

    Attributes:
        source: the scores.tsv the distributions come from.
        calibrated: those scores were mapped through this case's calibration first.
        same_data_as_calibration: they are the scores the calibration was fitted on.
        target: natural-log LLRs of same-speaker comparisons.
        nontarget: natural-log LLRs of different-speaker comparisons.
        cllr: Cllr (bits) of those LLRs; eer: their EER (%).
        target_at_least, target_at_most: shares of same-speaker LLRs >= / <= this case's.
        nontarget_at_least, nontarget_at_most: the same for different-speaker LLRs.
    """

    source: str
    calibrated: bool
    same_data_as_calibration: bool
    target: np.ndarray = field(repr=False)
    nontarget: np.ndarray = field(repr=False)
    cllr: float
    eer: float
    target_at_least: float
    target_at_most: float
    nontarget_at_least: float
    nontarget_at_most: float

    def summary(self) -> dict[str, Any]:
        """The JSON-ready fields (counts instead of the score arrays)."""
        out = {k: v for k, v in asdict(self).items() if k not in ("target", "nontarget")}
        return {**out, "n_target": int(self.target.size), "n_nontarget": int(self.nontarget.size)}


@dataclass
class Case:
    """One comparison, explained: see the module docstring.

    `models` are the files that turned recordings into binary attributes (the speaker
    encoder's weights, the binary-attribute encoder's checkpoint), kind "model", with the
    sha256 of each: what a reader needs to reproduce the attributes.
    """

    scorer: ScorerInfo
    enrollment: list[Recording]
    test: list[Recording]
    attributes: list[AttributeRow]
    llr_raw: float
    calibration: CalibrationInfo | None = None
    # The calibrated, not clipped, natural-log LLR (set by the builder; None: a * raw + b).
    llr_calibrated: float | None = None
    placement: Placement | None = None
    notes: list[str] = field(default_factory=list)
    models: list[Recording] = field(default_factory=list)
    # Recording conditions of the case and of the calibration data (balr.report.conditions).
    conditions: dict[str, Any] | None = None
    # A fused LR's systems, weights and parts (balr.report.fused); None: not fused.
    fusion: dict[str, Any] | None = None
    balr_version: str = __version__
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def llr_unbounded(self) -> float:
        """The calibrated natural-log LLR before the bounds: what the model alone says."""
        if self.calibration is None:
            return self.llr_raw
        if self.llr_calibrated is not None:
            return self.llr_calibrated
        return self.calibration.a * self.llr_raw + self.calibration.b

    @property
    def llr(self) -> float:
        """The reported natural-log LLR: calibrated, and clipped to the calibration's bounds."""
        if self.calibration is None:
            return self.llr_raw
        return self.calibration.clip(self.llr_unbounded)

    @property
    def clipped(self) -> bool:
        """The calibrated LR went beyond what the validation data support (ELUB bounds)."""
        return self.llr != self.llr_unbounded

    @property
    def log10_lr(self) -> float:
        """The reported LLR in log10 units."""
        return self.llr / LN10

    @property
    def lr(self) -> float:
        """The reported LR (inf beyond float range)."""
        return math.exp(self.llr) if self.llr < 700 else math.inf

    @property
    def verbal(self) -> Verbal:
        """The ENFSI 2015 verbal equivalent of the reported LR."""
        return verbal_equivalent(self.log10_lr)

    @property
    def contributing(self) -> list[AttributeRow]:
        """Attributes with a nonzero contribution, largest absolute contribution first."""
        rows = [r for r in self.attributes if r.contribution != 0.0]
        return sorted(rows, key=lambda r: -abs(r.contribution))

    @property
    def beyond_validation(self) -> bool:
        """The LR is beyond every labelled validation comparison (an extrapolation)."""
        p = self.placement
        if p is None:
            return False
        pooled = np.concatenate([p.target, p.nontarget])
        return bool(self.llr > pooled.max() or self.llr < pooled.min())

    def balance(self) -> tuple[int, float, int, float]:
        """(attributes towards same speaker, their log10 sum, towards different, their sum)."""
        up = [r.log10_contribution for r in self.attributes if r.contribution > 0]
        down = [r.log10_contribution for r in self.attributes if r.contribution < 0]
        return len(up), math.fsum(up), len(down), math.fsum(down)

    def largest(self, per_side: int) -> list[AttributeRow]:
        """The `per_side` largest positive then the `per_side` largest negative contributions."""
        rows = self.contributing
        up = [r for r in rows if r.contribution > 0][:per_side]
        down = [r for r in rows if r.contribution < 0][:per_side]
        return up + down

    def to_dict(self) -> dict[str, Any]:
        """The case as JSON-ready data (report.json)."""
        verbal = self.verbal
        return {
            "balr_version": self.balr_version,
            "created": self.created,
            "llr": self.llr,
            "llr_raw": self.llr_raw,
            "log10_lr": self.log10_lr,
            "llr_unbounded": self.llr_unbounded,
            "log10_lr_unbounded": self.llr_unbounded / LN10,
            "clipped": self.clipped,
            "lr": self.lr if math.isfinite(self.lr) else None,
            "calibrated": self.calibration is not None,
            "verbal": {"scale": SCALE_NAME, **asdict(verbal)},
            "scorer": asdict(self.scorer),
            "calibration": None if self.calibration is None else asdict(self.calibration),
            "enrollment": [asdict(r) for r in self.enrollment],
            "test": [asdict(r) for r in self.test],
            "models": [asdict(r) for r in self.models],
            "placement": None if self.placement is None else self.placement.summary(),
            "notes": list(self.notes),
            "conditions": self.conditions,
            "fusion": self.fusion,
            "attributes": [
                {**asdict(r), "log10_contribution": r.log10_contribution} for r in self.attributes
            ],
        }

    def to_json(self) -> str:
        """report.json's text (strict JSON: no NaN)."""
        return json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n"
