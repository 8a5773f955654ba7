"""Calibration of raw scores into LLRs an expert can report, and its calibration.json.

:class:`Calibration` maps raw scores (any real-valued score, higher = same speaker) to
natural-log LLRs with one of two methods, fitted on labelled dev scores:

- ``logistic``: LLR = a s + b, balanced logistic regression (minimises Cllr);
- ``bigauss``: Morrison's bi-Gaussianized calibration on top of that affine map
  (:class:`balr.evaluation.calibrators.BiGaussMap`);

and, by default, clips them to the ELUB bounds of the calibrated dev LLRs
(:mod:`balr.evaluation.bounds`). The metrics (Cllr, Cllr_min, PAV, ...) live in
:mod:`balr.evaluation.quality` and are importable from here too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from balr.errors import CalibrationError
from balr.evaluation.bounds import LN10, ElubBounds, elub_bounds
from balr.evaluation.calibration_file import read_calibration, write_calibration
from balr.evaluation.calibrators import BiGaussMap, fit_logistic
from balr.evaluation.metrics import as_numpy
from balr.evaluation.quality import (
    check_labelled,
    cllr,
    cllr_min,
    empirical_cross_entropy,
    llr_metrics,
    pav_llrs,
)

__all__ = [
    "Calibration",
    "cllr",
    "cllr_min",
    "empirical_cross_entropy",
    "llr_metrics",
    "pav_llrs",
]

log = logging.getLogger("balr.evaluation")

Method = Literal["logistic", "bigauss"]
METHODS = ("logistic", "bigauss")
BOUNDS = ("elub", "none")


@dataclass
class Calibration:
    """Raw score -> calibrated natural-log LLR, optionally clipped to ELUB bounds.

    Attributes:
        a: slope of the affine stage (> 0), multiplies the raw score.
        b: offset of the affine stage, natural-log units.
        method: "logistic" (affine only) or "bigauss" (affine, then ``bigauss``).
        bigauss: the bi-Gaussianized second stage (method "bigauss" only).
        bounds: ELUB bounds that :meth:`apply` clips to (None: no clipping).
        data: what it was fitted on (file, n_target, n_nontarget, ...), as recorded.
        scorer: ``{"sha256": ..., "path": ...}`` of the scorer whose scores it was fitted
            on, when known (see :meth:`check_scorer`).
        path: the file it was loaded from (named in messages), if any.
    """

    a: float
    b: float
    method: str = "logistic"
    bigauss: BiGaussMap | None = None
    bounds: ElubBounds | None = None
    data: dict[str, Any] = field(default_factory=dict)
    scorer: dict[str, Any] | None = None
    path: Path | None = field(default=None, compare=False, repr=False)

    @property
    def kind(self) -> str:
        """calibration.json's ``kind``: "affine" or "bigauss"."""
        return "bigauss" if self.method == "bigauss" else "affine"

    @classmethod
    def fit(
        cls,
        scores: Any,
        labels: Any,
        method: Method | str = "logistic",
        bounds: Literal["elub", "none"] | str = "elub",
    ) -> Calibration:
        """Fit on labelled dev scores, then the ELUB bounds of its calibrated dev LLRs.

        Args:
            scores: labelled dev scores (raw LLRs or any score, higher = same speaker).
            labels: 1/True for same-speaker comparisons, 0/False otherwise.
            method: "logistic" or "bigauss".
            bounds: "elub" or "none".

        Raises:
            ValueError: scores not finite, labels not 0/1, a class missing, unknown method.
            CalibrationError: the fitted slope is <= 0 (the dev scores are reversed or carry
                no information).
        """
        if method not in METHODS or bounds not in BOUNDS:
            raise ValueError(f"method must be one of {METHODS} and bounds one of {BOUNDS}")
        s, target = check_labelled(scores, labels, "calibration scores")
        a, b = fit_logistic(s, target)
        if not a > 0:
            raise CalibrationError(
                f"the fitted slope is a = {a:.4g} <= 0: the dev scores are reversed (same-speaker"
                " comparisons score lower than different-speaker ones) or carry no information,"
                " and the calibration would invert every LR; check the scores' sign and labels"
            )
        fitted = cls(a=a, b=b, method=method)
        if method == "bigauss":
            fitted.bigauss = BiGaussMap.fit(a * s + b, target)
        if bounds == "elub":
            fitted.bounds = elub_bounds(fitted.apply_unbounded(s) / LN10, target)
        fitted.data = {"n_target": int(target.sum()), "n_nontarget": int((~target).sum())}
        return fitted

    def apply_unbounded(self, scores: Any) -> np.ndarray:
        """Calibrated natural-log LLRs (float64) of raw scores, not clipped."""
        q = self.a * as_numpy(scores, np.float64) + self.b
        return self.bigauss(q) if self.bigauss is not None else q

    def apply(self, scores: Any) -> np.ndarray:
        """Calibrated natural-log LLRs (float64), clipped to the bounds when there are any."""
        llrs = self.apply_unbounded(scores)
        return self.bounds.clip(llrs) if self.bounds is not None else llrs

    def check_scorer(self, digest: str | None, force: bool = False) -> None:
        """Refuse applying this calibration to the scores of another scorer.

        Args:
            digest: the content digest of the scorer about to be calibrated
                (:func:`balr.scoring.io.scorer_digest`); None when it has none.
            force: warn instead of refusing (``--force-calibration``).

        Raises:
            CalibrationError: it records another scorer's digest and `force` is False.
        """
        fitted_for = (self.scorer or {}).get("sha256")
        if fitted_for is None or digest is None or fitted_for == digest:
            return
        where = self.path or "the calibration"
        what = (
            f"{where} was fitted on the scores of another scorer ({self.scorer_path()},"
            f" sha256 {fitted_for[:12]}), not this one (sha256 {digest[:12]})"
        )
        if force:
            log.warning("%s: applied anyway (--force-calibration); its LLRs may be wrong", what)
            return
        raise CalibrationError(
            f"{what}: its LLRs would be wrong; calibrate this scorer's dev scores with balr"
            " score calibrate, or add --force-calibration"
        )

    def scorer_path(self) -> str:
        """Where the scorer it was fitted for was (as recorded), or "unknown"."""
        return str((self.scorer or {}).get("path") or "unknown")

    def save(self, path: Path, **extra: Any) -> None:
        """Write `path` (JSON, atomically); `extra` adds keys (e.g. Cllr before/after).

        Raises:
            ValueError: an `extra` key is one of the calibration's own.
        """
        fields = {
            "method": self.method,
            "a": self.a,
            "b": self.b,
            "bigauss": self.bigauss,
            "bounds": self.bounds,
            "data": self.data,
            "scorer": self.scorer,
        }
        write_calibration(fields, Path(path), extra)

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read a calibration.json (also the older kind "affine" with only a and b).

        Raises:
            CalibrationError: missing, not JSON, malformed, a slope <= 0, or bounds that
                are not finite or do not hold 0 (one line naming the file and the fix).
        """
        fields = read_calibration(Path(path))
        return cls(**fields, path=Path(path))
