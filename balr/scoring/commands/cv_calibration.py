"""calibration.json fitted on a scorer's cross-validated (out-of-fold) scores."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from balr.scoring.commands.crossval import CV_SCORES, CrossValOptions, CrossValScores

if TYPE_CHECKING:
    from balr.evaluation.calibration import Calibration

log = logging.getLogger("balr.score")

CALIBRATION_JSON = "calibration.json"


def fit_cv_calibration(scores: CrossValScores, options: CrossValOptions, run_dir: Path) -> Any:
    """The calibration of the pooled out-of-fold scores, with what it was fitted on."""
    from balr.evaluation.calibration import Calibration

    calibration = Calibration.fit(
        scores.llr_raw, scores.labels, method=options.method, bounds=options.bounds
    )
    calibration.data = {
        "file": str((run_dir / CV_SCORES).absolute()),
        "n_target": scores.n_target,
        "n_nontarget": scores.n_nontarget,
        "n_speakers": scores.n_speakers,
        "cross_validated": True,
        "folds": options.folds,
    }
    return calibration


def save_cv_calibration(
    calibration: Calibration, scores: CrossValScores, run_dir: Path
) -> dict[str, Any]:
    """Write calibration.json for the scorer saved in `run_dir`; return its summary."""
    from balr.evaluation.calibration import cllr, cllr_min
    from balr.scoring.io import scorer_digest

    calibration.scorer = {"sha256": scorer_digest(run_dir), "path": str(run_dir.absolute())}
    before = cllr(scores.llr_raw, scores.labels)
    after = cllr(calibration.apply(scores.llr_raw), scores.labels)
    minimum = cllr_min(scores.llr_raw, scores.labels)
    calibration.save(
        run_dir / CALIBRATION_JSON, cllr_before=before, cllr_after=after, cllr_min=minimum
    )
    bounds = calibration.bounds
    summary = {
        "method": calibration.method,
        **calibration.data,
        "cllr_before": before,
        "cllr_after": after,
        "cllr_min": minimum,
        "bounds": None if bounds is None else bounds.to_dict(),
    }
    log.info(
        "cross-validated %s calibration on %d same- and %d different-speaker out-of-fold"
        " scores of %d speakers: Cllr %.3f -> %.3f (Cllr_min %.3f); %s",
        calibration.method, scores.n_target, scores.n_nontarget, scores.n_speakers, before,
        after, minimum, bounds_text(calibration),
    )  # fmt: skip
    return summary


def bounds_text(calibration: Calibration) -> str:
    """'ELUB bounds log10 LR [-3.29, +4.51]' or 'no bounds'."""
    b = calibration.bounds
    if b is None:
        return "no bounds"
    return f"ELUB bounds log10 LR [{b.log10_lower:+.2f}, {b.log10_upper:+.2f}]"
