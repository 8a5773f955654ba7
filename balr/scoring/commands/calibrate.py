"""`balr score calibrate` and `balr score apply`: calibration of any system's score file.

calibrate fits a :class:`balr.evaluation.calibration.Calibration` (logistic or bigauss,
ELUB-bounded by default) on labelled dev scores and writes calibration.json; apply maps
a score file through one into a scores.tsv like `balr score test` writes (``llr``,
``llr_unbounded``, ``llr_raw``, ``log10_lr``, ``label``, ``condition``).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from balr.data.atomic import atomic_path
from balr.errors import CalibrationError, DatasetError
from balr.logs import run_log_file
from balr.training.summary import read_summary, write_summary

if TYPE_CHECKING:
    from balr.evaluation.calibration import Calibration
    from balr.scoring.score_files import ScoreList

log = logging.getLogger("balr.score")


def scorer_of_scores(source: Path) -> dict[str, Any] | None:
    """``{"sha256", "path"}`` of the balr scorer whose run wrote `source`, if known.

    A scores.tsv of `balr score test` (or of `balr score apply` on such scores) has a
    summary.json beside it that records the scorer (``scorer_sha256``, ``scorer_dir``);
    cv_scores.tsv lies in the scorer run itself.
    """
    from balr.scoring.io import SCORER_JSON, scorer_digest

    folder = Path(source).absolute().parent
    if (folder / SCORER_JSON).is_file():
        digest = scorer_digest(folder)
        return {"sha256": digest, "path": str(folder)} if digest else None
    summary = read_summary(folder / "summary.json") or {}
    if summary.get("kind") not in ("score", "score_apply"):
        return None
    if not isinstance(summary.get("scorer_dir"), str) or not summary["scorer_dir"]:
        return None  # no scorer recorded (or a hand-edited file): nothing to check against
    recorded = summary.get("scorer_sha256")
    digest = recorded if isinstance(recorded, str) else scorer_digest(Path(summary["scorer_dir"]))
    return {"sha256": digest, "path": str(summary["scorer_dir"])} if digest else None


def _labelled(scores: ScoreList, source: Path) -> np.ndarray:
    """The labels of `scores`; DatasetError without labels or without both classes."""
    labels = scores.labels
    if labels is None:
        raise DatasetError(
            f"{source}: no 'label' column: calibration needs labelled dev scores (score a"
            " labelled trial list, or derive labels from a DATA set with speakers)"
        )
    if labels.all() or not labels.any():
        missing = "different-speaker (label 0)" if labels.all() else "same-speaker (label 1)"
        raise DatasetError(
            f"{source}: no {missing} scores: calibration needs both classes; score a dev"
            " trial list holding both"
        )
    return labels


def fit_calibration(
    source: Path, method: str = "logistic", bounds: str = "elub", trials: Path | None = None
) -> tuple[Calibration, ScoreList, np.ndarray]:
    """A calibration fitted on the labelled scores of `source` (any system's score file).

    `trials`: the trial list the scores were computed on (labels for a score file without
    them; a scored pair not in it is refused).

    Returns:
        The calibration (``data`` and ``scorer`` recorded), the scores and their labels.

    Raises:
        DatasetError: unreadable scores, no labels, a class missing.
        CalibrationError: the scores are reversed (the fitted slope is <= 0).
    """
    from balr.evaluation.calibration import Calibration
    from balr.scoring.score_files import read_scores

    scores = read_scores(source, trials)
    labels = _labelled(scores, source)
    try:
        calibration = Calibration.fit(scores.raw, labels, method=method, bounds=bounds)
    except CalibrationError as error:
        raise CalibrationError(f"{source}: {error}") from None
    calibration.data = {
        "file": str(source.absolute()),
        "n_target": int(labels.sum()),
        "n_nontarget": int((~labels).sum()),
        "cross_validated": False,
        "folds": None,
    }
    if "fold" in scores.frame.columns:  # out-of-fold scores (cv_scores.tsv): not held-out data
        folds = scores.frame["fold"].n_unique()
        calibration.data |= {"cross_validated": True, "folds": folds}
    conditions = scores.conditions
    if conditions is not None and conditions.drop_nulls().len():
        calibration.data["conditions"] = sorted(set(conditions.drop_nulls().to_list()))
    calibration.scorer = scorer_of_scores(source)
    return calibration, scores, labels


def calibrate(
    source: Path,
    run_dir: Path,
    method: str = "logistic",
    bounds: str = "elub",
    trials: Path | None = None,
) -> Path:
    """Fit on `source` (labels from `trials` when given); write calibration.json and a copy
    of the scores into `run_dir`.

    Returns:
        The calibration.json written.
    """
    from balr.evaluation.calibration import cllr, cllr_min

    calibration, scores, labels = fit_calibration(source, method, bounds, trials)
    with run_log_file(run_dir, "score_calibrate.log"):
        before, after = cllr(scores.raw, labels), cllr(calibration.apply(scores.raw), labels)
        # The calibration map alone (never worse than the identity) vs what is reported
        # after clipping to the bounds, which may cost more on near-separable dev scores.
        unbounded = cllr(calibration.apply_unbounded(scores.raw), labels)
        minimum = cllr_min(scores.raw, labels)
        path = run_dir / "calibration.json"
        with atomic_path(run_dir / "scores.tsv") as tmp:
            shutil.copyfile(source, tmp)
        calibration.save(
            path,
            cllr_before=before,
            cllr_after=after,
            cllr_after_unbounded=unbounded,
            cllr_min=minimum,
        )
        lines = describe(calibration, before, after, minimum, unbounded)
        for line in [*lines, f"written to {path}"]:
            log.info("%s", line)
            print(line)
    return path


def describe(
    calibration: Calibration,
    before: float,
    after: float,
    minimum: float,
    unbounded: float | None = None,
) -> list[str]:
    """The lines calibrate prints: method, a and b, Cllr before/after, bounds, N1/N0.

    `unbounded`: Cllr of the calibrated scores before clipping to the bounds, shown when the
    calibration has bounds (clipping can raise Cllr on near-separable dev scores).
    """
    clipped = ""
    if calibration.bounds is not None and unbounded is not None:
        clipped = f" within the ELUB bounds, {unbounded:.5g} calibrated before clipping;"
    data = calibration.data
    sign = "+" if calibration.b >= 0 else "-"
    lines = [
        f"{calibration.method} calibration, affine part LLR' = {calibration.a:.5g} * s {sign}"
        f" {abs(calibration.b):.5g} (natural log), fitted on {data.get('n_target')} same /"
        f" {data.get('n_nontarget')} different-speaker scores",
        f"Cllr {before:.5g} -> {after:.5g} bits{clipped or ';'} Cllr_min {minimum:.5g}",
    ]
    bounds = calibration.bounds
    if bounds is None:
        lines.append("bounds: none (--bounds none): LLRs are not clipped")
    else:
        lines.append(
            f"ELUB bounds log10 LR [{bounds.log10_lower:+.2f}, {bounds.log10_upper:+.2f}]:"
            f" LR from 1/{10**-bounds.log10_lower:.4g} to {10**bounds.log10_upper:.4g}"
            f" (N1 = {bounds.n_target}, N0 = {bounds.n_nontarget})"
        )
    scorer = calibration.scorer
    if scorer is not None:
        lines.append(f"for the scorer {scorer['path']} (sha256 {scorer['sha256'][:12]})")
    return lines


def apply_calibration(
    source: Path,
    calibration_path: Path,
    run_dir: Path,
    force: bool = False,
    trials: Path | None = None,
) -> dict[str, Any]:
    """Calibrate (and bound) the scores of `source` into `run_dir`; return the summary.

    `trials`: the trial list the scores were computed on (labels for a score file without
    them; a scored pair not in it is refused).

    Writes scores.tsv, metrics.json (labelled, both classes) and summary.json.

    Raises:
        CalibrationError: unreadable calibration, or one fitted for another scorer (unless
            `force`).
        DatasetError: unreadable scores, or a calibrated LLR that is not finite.
    """
    from balr.evaluation.calibration import Calibration
    from balr.scoring.score_files import read_scores

    calibration = Calibration.load(calibration_path)
    scores = read_scores(source, trials)
    scorer = scorer_of_scores(source)
    calibration.check_scorer(scorer["sha256"] if scorer else None, force)
    unbounded = _calibrated(calibration, scores, calibration_path)
    llr = calibration.bounds.clip(unbounded) if calibration.bounds is not None else unbounded
    with run_log_file(run_dir, "score_apply.log"):
        metrics = _write_outputs(run_dir, scores, llr, unbounded, calibration)
        n_clipped = int(np.count_nonzero(llr != unbounded))
        summary = {
            "kind": "score_apply",
            "source": str(source.absolute()),
            "calibration": str(calibration_path.absolute()),
            "method": calibration.method,
            "bounds": None if calibration.bounds is None else calibration.bounds.to_dict(),
            "n_comparisons": int(llr.size),
            "n_clipped": n_clipped,
            "metrics": metrics or {},
            # The scorer of the input scores, so this scores.tsv keeps their provenance.
            "scorer_dir": scorer["path"] if scorer else None,
            "scorer_sha256": scorer["sha256"] if scorer else None,
        }
        write_summary(run_dir / "summary.json", summary)
        _log_applied(summary, calibration_path, run_dir)
    return summary


def _calibrated(calibration: Calibration, scores: ScoreList, calibration_path: Path) -> np.ndarray:
    """The unbounded calibrated LLRs of `scores`; DatasetError naming a line where not finite."""
    with np.errstate(over="ignore"):  # refused just below, by line
        unbounded = calibration.apply_unbounded(scores.raw)
    bad = np.flatnonzero(~np.isfinite(unbounded))
    if bad.size:
        raise DatasetError(
            f"{scores.path}: line {scores.frame['line'][int(bad[0])]}: the calibrated LLR is"
            f" {unbounded[bad[0]]} ({bad.size} score(s)): refit the calibration"
            f" {calibration_path}"
        )
    return unbounded


def _write_outputs(
    run_dir: Path,
    scores: ScoreList,
    llr: np.ndarray,
    unbounded: np.ndarray,
    calibration: Calibration,
) -> dict[str, float] | None:
    """scores.tsv, and metrics.json when both classes are labelled; returns the metrics."""
    from balr.evaluation.calibration import llr_metrics
    from balr.scoring.score_files import ScoreColumns, write_score_table

    labels = scores.labels
    bounded = calibration.bounds is not None
    extra = ScoreColumns(scores.raw, unbounded if bounded else None, labels, scores.conditions)
    write_score_table(run_dir / "scores.tsv", scores.ids, llr, extra)
    if labels is None or labels.all() or not labels.any():
        log.info("the scores have no labels of both classes: no metrics")
        return None
    metrics = llr_metrics(llr, labels)
    with atomic_path(run_dir / "metrics.json") as tmp:
        tmp.write_text(json.dumps(metrics, indent=2) + "\n")
    return metrics


def _log_applied(summary: dict[str, Any], calibration_path: Path, run_dir: Path) -> None:
    n, clipped = summary["n_comparisons"], summary["n_clipped"]
    line = f"{n} scores calibrated ({summary['method']}) with {calibration_path}"
    if summary["bounds"] is not None:
        b = summary["bounds"]
        line += (
            f"; {clipped} clipped to the ELUB bounds log10 LR [{b['log10_lower']:+.2f},"
            f" {b['log10_upper']:+.2f}]"
        )
    metrics = summary["metrics"]
    if metrics:
        line += (
            f"; EER {metrics['eer']:.2f}%  Cllr {metrics['cllr']:.5g}  Cllr_min"
            f" {metrics['cllr_min']:.5g} bits"
        )
    for text in (line, f"results in {run_dir}"):
        log.info("%s", text)
        print(text)
