"""`balr score train`: fit a scorer on a reference population, validate it, save it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from balr.errors import DatasetError
from balr.scoring.base import FitReport
from balr.scoring.commands.crossval import CV_SCORES, CrossValOptions
from balr.scoring.commands.inputs import (
    AnyScorer,
    ScoringInput,
    check_input,
    drop_calibration_metrics,
    fit_scorer,
    gives_llrs,
    raw_kind,
    score_input,
    size_facts,
)
from balr.training.summary import write_summary

log = logging.getLogger("balr.score")


def train_scorer(
    make_scorer: Callable[[], AnyScorer],
    reference: ScoringInput,
    run_dir: Path,
    facts: Mapping[str, Any] | None = None,
    validation: tuple[ScoringInput, Path] | None = None,
    crossval: CrossValOptions | None = None,
) -> AnyScorer:
    """Fit a new scorer on `reference`'s speakers, save it into `run_dir`; return it.

    Args:
        make_scorer: builds an unfitted scorer.
        reference: the reference population (every recording with a speaker).
        run_dir: where scorer.json, parameters.npz, attributes.tsv and summary.json go.
        facts: about the reference population, kept in scorer.json (`balr.scoring.save`).
        validation: data and trials scored after the fit (raw-LLR metrics, scores.tsv); a
            failing validation leaves `run_dir` as it was.
        crossval: after the fit, speaker-disjoint cross-validation on `reference`, whose
            pooled out-of-fold scores (cv_scores.tsv) calibration.json is fitted on. Nothing
            is written before it succeeded.
    """
    from balr.scoring.commands.crossval import cross_validate, deal_folds, write_cv_scores
    from balr.scoring.commands.cv_calibration import fit_cv_calibration, save_cv_calibration

    check_speakers(reference)
    if crossval is not None:
        deal_folds(reference, crossval)  # refuse unusable folds before any work
    # The recording conditions of the reference (its `condition` column), for the case report.
    conditions = sorted(set(reference.conditions.values())) if reference.conditions else None
    if conditions:
        facts = {**(facts or {}), "conditions": conditions}
    scorer = make_scorer()
    started = time.perf_counter()
    fit = fit_scorer(scorer, reference)
    seconds = time.perf_counter() - started
    _log_fit(scorer, fit, reference, seconds)
    summary = {
        "kind": "scorer",
        "scorer": scorer.name,
        "settings": scorer.hyperparameters(),
        **size_facts(scorer),
        "n_speakers": len(reference.speakers),
        "n_recordings": len(reference.ids),
        "fit": fit.to_dict(),
        "fit_seconds": seconds,
    }
    cv = None
    if crossval is not None:
        scores = cross_validate(make_scorer, reference, crossval)
        cv = scores, fit_cv_calibration(scores, crossval, run_dir)
        if conditions:
            cv[1].data["conditions"] = conditions
    if validation is not None:
        summary["metrics"] = validate(scorer, *validation, run_dir)
    scorer.save(run_dir, facts)
    if cv is not None:
        write_cv_scores(run_dir / CV_SCORES, reference.ids, cv[0])
        summary["calibration"] = save_cv_calibration(cv[1], cv[0], run_dir)
    write_summary(run_dir / "summary.json", summary)
    log.info("scorer saved in %s", run_dir)
    return scorer


def check_speakers(reference: ScoringInput) -> None:
    """DatasetError when the reference holds fewer than 2 speakers."""
    if len(reference.speakers) < 2:
        raise DatasetError(
            f"{reference.name}: the reference has {len(reference.speakers)} speaker(s); a scorer"
            " needs recordings of at least 2 speakers: give a reference set with more speakers"
        )


def _log_fit(scorer: AnyScorer, fit: FitReport, reference: ScoringInput, seconds: float) -> None:
    """Log what the fit did."""
    size = size_facts(scorer)
    if "dim" in size:
        used = f"{size['dim']} dimensions"
    else:
        excluded = ", ".join(f"{n} {why}" for why, n in fit.excluded.items()) or "none"
        used = f"{size['n_used']} of {size['n_attributes']} attributes used (excluded: {excluded})"
    if fit.iterations == 0:
        state = "closed-form fit"
    else:
        state = "converged" if fit.converged else "NOT converged"
        state += f" after {fit.iterations} iteration(s), last change {fit.max_change:.3g}"
    log.info(
        "fitted %s on %d recordings of %d speakers in %.2fs: %s; %s",
        scorer.name, len(reference.ids), len(reference.speakers), seconds, used, state,
    )  # fmt: skip
    for note in fit.notes:
        log.info("note: %s", note)


def validate(
    scorer: AnyScorer, data: ScoringInput, trials: Path, run_dir: Path
) -> dict[str, float]:
    """Raw-score metrics of the fitted scorer on `trials` over `data` (no Cllr, Cllr_cal
    when its scores are not LLRs: an uncalibrated cosine).

    The scores go to `run_dir`/scores.tsv: `balr compare` places a case among them.
    """
    from balr.evaluation.calibration import llr_metrics
    from balr.scoring.score_files import write_scores
    from balr.scoring.trials import missing_class, read_comparisons

    check_input(scorer, data, "just fitted")
    comparisons = read_comparisons(trials, data.ids, data.labels, data.same)
    labels = comparisons.labels
    missing = missing_class(labels)
    if missing:
        raise DatasetError(
            f"validation needs same- and different-speaker comparisons: {trials} {missing}"
        )
    llrs = score_input(scorer, data, comparisons)
    write_scores(run_dir / "scores.tsv", comparisons, llrs, llrs=gives_llrs(scorer))
    metrics = llr_metrics(llrs, labels)
    # Cllr of a similarity (cosine) means nothing: only its order-based metrics are kept, so
    # summary.json, the sweep table and `balr runs` show none either.
    if not gives_llrs(scorer):
        drop_calibration_metrics(metrics)
    cllr = f"  Cllr {metrics['cllr']:.3f}" if "cllr" in metrics else ""
    log.info(
        "validation on %d comparisons (%s): EER %.2f%%%s  Cllr_min %.3f",
        len(comparisons), raw_kind(scorer), metrics["eer"], cllr, metrics["cllr_min"],
    )  # fmt: skip
    return metrics
