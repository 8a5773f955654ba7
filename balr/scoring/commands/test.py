"""`balr score test`: LLRs of a trial list, then metrics, explanations and plots."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from balr.data.atomic import atomic_path
from balr.errors import ConfigError
from balr.scoring.base import Scorer
from balr.scoring.commands.bits import Bits
from balr.scoring.commands.inputs import (
    AnyScorer,
    ScoringInput,
    check_input,
    drop_calibration_metrics,
    gives_llrs,
    raw_kind,
    score_input,
)
from balr.training.summary import write_summary

if TYPE_CHECKING:
    from balr.evaluation.bounds import ElubBounds
    from balr.evaluation.calibration import Calibration
    from balr.scoring.trials import Comparisons

log = logging.getLogger("balr.score")


@dataclass
class TestOptions:
    """What `score_test` writes besides scores.tsv and metrics.json.

    Attributes:
        calibration: applied to the raw LLRs (None: raw LLRs).
        calibration_path: the file it came from, named in messages.
        explain: explain.tsv with this many attributes per comparison (0: none).
        plots: PAV, Tippett and ECE plots (needs labelled comparisons; PAV only for scores
            that are not LLRs).
        force_calibration: apply a calibration fitted for another scorer (warns).
    """

    __test__ = False  # not a pytest class

    calibration: Calibration | None = None
    calibration_path: str | Path | None = None
    explain: int = 0
    plots: bool = False
    force_calibration: bool = False

    def __post_init__(self) -> None:
        if self.explain < 0:
            raise ConfigError(f"--explain {self.explain}: give a number of attributes >= 0")


def score_test(
    scorer: AnyScorer,
    where: str,
    data: ScoringInput,
    trials: Path,
    run_dir: Path,
    options: TestOptions,
) -> dict[str, Any]:
    """Score `trials` over `data`; write the outputs into `run_dir`; return the summary.

    `where` names the scorer (its run directory or file) in messages and the summary.
    """
    from balr.scoring.explain_file import write_explanations
    from balr.scoring.io import scorer_digest
    from balr.scoring.score_files import check_finite, write_scores
    from balr.scoring.trials import missing_class, read_comparisons

    calibration = options.calibration
    digest = scorer_digest(Path(where))  # recorded, so calibrate can name the scorer
    if calibration is not None:
        calibration.check_scorer(digest, options.force_calibration)
    check_input(scorer, data, where)
    if options.explain and not isinstance(data, Bits):
        raise ConfigError(
            f"--explain splits LLRs by binary attribute: the {scorer.name} scorer scores"
            " embeddings, which have none; drop --explain"
        )
    comparisons = read_comparisons(trials, data.ids, data.labels, data.same)
    labels = comparisons.labels
    missing = missing_class(labels)
    if options.plots and missing:
        raise ConfigError(
            f"--plots needs same- and different-speaker comparisons: {trials} {missing}"
        )
    llr_raw = score_input(scorer, data, comparisons)
    check_finite(llr_raw, comparisons, trials, "refit the scorer with balr score train")
    with np.errstate(over="ignore"):  # an overflow is refused just below, by line
        unbounded = calibration.apply_unbounded(llr_raw) if calibration is not None else llr_raw
    check_finite(
        unbounded, comparisons, trials, f"refit the calibration {options.calibration_path}"
    )
    bounds = calibration.bounds if calibration is not None else None
    llr = bounds.clip(unbounded) if bounds is not None else unbounded
    bounded = bounds is not None
    # An uncalibrated similarity is no LLR: written as `score`, with order-only metrics.
    llrs = calibration is not None or gives_llrs(scorer)
    metrics = _metrics(llr, labels, llrs)
    conditions = _trial_conditions(data, comparisons)
    write_scores(
        run_dir / "scores.tsv",
        comparisons,
        llr,
        llr_raw if calibration is not None else None,
        unbounded if bounded else None,
        conditions,
        llrs=llrs,
    )
    by_condition = _by_condition(conditions, comparisons.labels, llr, llrs)
    if metrics is not None:
        with atomic_path(run_dir / "metrics.json") as tmp:
            tmp.write_text(json.dumps({**metrics, **by_condition}, indent=2) + "\n")
    if options.explain and isinstance(data, Bits) and isinstance(scorer, Scorer):
        write_explanations(run_dir / "explain.tsv", scorer, data.bits, comparisons, options.explain)
    if options.plots:
        assert labels is not None
        _plots(run_dir, llr, llr_raw, labels, scorer.name, calibration, llrs)
    if bounds is not None:
        _log_clipped(llr, unbounded, bounds)
    kind = "calibrated LLRs" if calibration is not None else raw_kind(scorer)
    _log_result(len(comparisons), metrics, kind, run_dir)
    if not llrs:
        log.warning(
            "%s: calibrate them (balr score train --calibrate K, or balr score calibrate)"
            " before reporting",
            kind,
        )
    summary = {
        "kind": "score",
        "scorer": scorer.name,
        "scorer_dir": where,
        "scorer_sha256": digest,
        "calibrated": calibration is not None,
        "calibration": None if options.calibration_path is None else str(options.calibration_path),
        "n_clipped": int(np.count_nonzero(llr != unbounded)) if bounded else 0,
        "n_comparisons": len(comparisons),
        "metrics": metrics or {},
    }
    write_summary(run_dir / "summary.json", summary)
    return summary


def _trial_conditions(data: ScoringInput, comparisons: Comparisons) -> list[str] | None:
    """Each comparison's recording condition when DATA has a `condition` column."""
    from balr.scoring.conditions import trial_conditions

    if not data.conditions:
        return None
    return trial_conditions(comparisons.enrollment, comparisons.test, data.conditions)


def _by_condition(
    conditions: list[str] | None, labels: np.ndarray | None, llr: np.ndarray, llrs: bool
) -> dict[str, Any]:
    """{"by_condition": metrics} when labelled comparisons span several conditions, else {}."""
    from balr.scoring.conditions import metrics_by_condition

    if conditions is None or labels is None or len(set(conditions)) < 2:
        return {}
    by_condition = metrics_by_condition(llr, labels, conditions)
    for name, found in by_condition.items():
        if not llrs:
            drop_calibration_metrics(found)
        cllr = f"  Cllr {found['cllr']:.3f}" if llrs else ""
        log.info("condition %s: EER %.2f%%%s  Cllr_min %.3f", name, found["eer"], cllr,
                 found["cllr_min"])  # fmt: skip
    return {"by_condition": by_condition}


def _both_classes(labels: np.ndarray | None) -> bool:
    return labels is not None and bool(labels.any()) and bool((~labels).any())


def _metrics(llr: np.ndarray, labels: np.ndarray | None, llrs: bool) -> dict[str, float] | None:
    """llr_metrics when both classes are present (without Cllr and Cllr_cal unless `llrs`);
    None for casework."""
    if labels is None:
        log.info("the comparisons have no labels (casework): scores only, no metrics")
        return None
    if not _both_classes(labels):
        kind = "different-speaker" if labels.all() else "same-speaker"
        log.warning("no %s comparison: metrics need both kinds, none written", kind)
        return None
    from balr.evaluation.calibration import llr_metrics

    metrics = llr_metrics(llr, labels)
    return metrics if llrs else drop_calibration_metrics(metrics)


def _plots(
    run_dir: Path,
    llr: np.ndarray,
    raw: np.ndarray,
    labels: np.ndarray,
    name: str,
    calibration: Calibration | None,
    llrs: bool,
) -> None:
    """pav.png, and tippett.png and ece.png when the scores are LLRs."""
    from balr.evaluation.plots import ece_plot, pav_plot, tippett_plot

    # PAV maps any raw score to the LLR an ideal calibration would give it, so it is drawn
    # for similarities too; Tippett and ECE read the values as LLRs and would mislead.
    pav_plot(raw, labels, run_dir / "pav.png", title=f"PAV ({name})", calibration=calibration)
    if not llrs:
        log.info(
            "--plots: pav.png only; Tippett and ECE plots show LLRs, not raw %s similarities:"
            " calibrate the scorer to get them",
            name,
        )
        return
    kind = "calibrated" if calibration is not None else "raw"
    tippett_plot(llr, labels, run_dir / "tippett.png", title=f"Tippett ({name}, {kind} LLRs)")
    ece_plot(llr, labels, run_dir / "ece.png", title=f"ECE ({name}, {kind} LLRs)")


def _log_clipped(llr: np.ndarray, unbounded: np.ndarray, bounds: ElubBounds) -> None:
    log.info(
        "%d of %d LLRs clipped to the calibration's ELUB bounds, log10 LR [%+.2f, %+.2f]"
        " (llr_unbounded keeps the calibrated values)",
        int(np.count_nonzero(llr != unbounded)), llr.size, bounds.log10_lower,
        bounds.log10_upper,
    )  # fmt: skip


def _log_result(n: int, metrics: dict[str, float] | None, kind: str, run_dir: Path) -> None:
    if metrics is not None:
        cllr = f"  Cllr {metrics['cllr']:.3f}" if "cllr" in metrics else ""
        log.info(
            "%d comparisons (%d same, %d different speaker), %s: EER %.2f%%%s"
            "  Cllr_min %.3f  minDCF0.01 %.3f",
            n, metrics["n_target"], metrics["n_nontarget"], kind, metrics["eer"], cllr,
            metrics["cllr_min"], metrics["min_dcf_0.01"],
        )  # fmt: skip
    else:
        log.info("%d comparisons scored", n)
    log.info("results in %s", run_dir)
