"""`balr score calibrate`: an affine calibration fitted on labelled dev scores."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from balr.data.atomic import atomic_path
from balr.errors import DatasetError
from balr.logs import run_log_file

log = logging.getLogger("balr.score")


def calibrate(source: Path, run_dir: Path) -> Path:
    """Fit on `source` (a scores.tsv with labels); write calibration.json and scores.tsv.

    Returns:
        The calibration.json written into `run_dir`.

    Raises:
        DatasetError: the scores are unreadable, unlabelled or lack one of the two classes.
    """
    from balr.evaluation.calibration import Calibration, cllr, cllr_min
    from balr.scoring.score_files import read_scores

    scores = read_scores(source)
    labels = scores.labels
    if labels is None:
        raise DatasetError(
            f"{source}: no 'label' column: calibration needs labelled dev scores (score a"
            " labelled trial list, or derive labels from a DATA set with speakers)"
        )
    n_target, n_nontarget = int(labels.sum()), int((~labels).sum())
    if n_target == 0 or n_nontarget == 0:
        missing = "same-speaker (label 1)" if n_target == 0 else "different-speaker (label 0)"
        raise DatasetError(
            f"{source}: no {missing} scores: calibration needs both classes; score a dev"
            " trial list holding both"
        )
    with run_log_file(run_dir, "score_calibrate.log"):
        calibration = Calibration.fit(scores.raw, labels)
        before, after = cllr(scores.raw, labels), cllr(calibration.apply(scores.raw), labels)
        minimum = cllr_min(scores.raw, labels)
        path = run_dir / "calibration.json"
        with atomic_path(run_dir / "scores.tsv") as tmp:
            shutil.copyfile(source, tmp)
        calibration.save(
            path,
            cllr_before=before,
            cllr_after=after,
            cllr_min=minimum,
            n_target=n_target,
            n_nontarget=n_nontarget,
            source=str(source.absolute()),
        )
        line = (
            f"calibration LLR' = {calibration.a:.4g} * s + {calibration.b:.4g} fitted on"
            f" {n_target} same / {n_nontarget} different-speaker scores: Cllr {before:.3f} ->"
            f" {after:.3f} (Cllr_min {minimum:.3f}); written to {path}"
        )
        log.info(line)
        print(line)
    return path
