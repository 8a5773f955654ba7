"""`balr score test`: LLRs of a trial list, then metrics, explanations and plots."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from omegaconf import DictConfig

from balr.cli.score_app import Bits, check_declared_width, load_bits
from balr.data.atomic import atomic_path
from balr.errors import ConfigError, DatasetError
from balr.training.summary import write_summary

if TYPE_CHECKING:
    from balr.evaluation.calibration import Calibration
    from balr.scoring.base import Scorer

log = logging.getLogger("balr.score")

# The form of an explicit scorer choice for a BA-LR 2.0 scorer.pt.
_SCORER_HELP = (
    "give --scorer RUN_DIR (a `balr score train` run) or scorer=NAME"
    " scorer.checkpoint_path=scorer.pt"
)


def load_test_scorer(
    cfg: DictConfig, chosen: str | None, keys: Sequence[str] = ()
) -> tuple[Scorer, str]:
    """The scorer to test and where it came from.

    Args:
        cfg: the score_test config.
        chosen: an explicit scorer=NAME, else None.
        keys: the scorer.KEY settings given on the command line: they configure a BA-LR
            2.0 scorer.pt and must match a balr scorer's (never silently ignored).
    """
    from balr.scoring import load_scorer

    settings = {key: cfg.scorer[key] for key in keys} if cfg.get("scorer") else {}
    checkpoint = cfg.scorer.get("checkpoint_path") if cfg.get("scorer") else None
    if cfg.scorer_dir is not None:
        where = Path(cfg.scorer_dir)
        return load_scorer(where, kind=chosen, settings=settings), str(where)
    if checkpoint is not None:
        where = Path(checkpoint)
        # BA-LR 2.0 users name the type; its default scorer is beta.
        kind = chosen or ("beta" if where.suffix == ".pt" else None)
        return load_scorer(where, kind=kind, settings=settings), str(where)
    raise ConfigError(f"no scorer to test: {_SCORER_HELP}")


def check_width(scorer: Scorer, data: Bits, where: str) -> None:
    """DatasetError when DATA's vectors do not have the scorer's number of attributes."""
    k = data.bits.shape[1]
    if k != scorer.n_attributes:
        first = data.ids[0] if data.ids else "?"
        raise DatasetError(
            f"{data.name}: vector {first!r} has {k} attributes but the scorer {where} was"
            f" fitted on {scorer.n_attributes}: binarise DATA with the model whose attributes"
            " the scorer was fitted on (or fit a scorer on vectors like these)"
        )


def run_score_test(
    cfg: DictConfig, run_dir: Path, chosen: str | None, keys: Sequence[str] = ()
) -> dict[str, Any]:
    """Score cfg.trials over cfg.input; write the outputs into `run_dir`; return the summary.

    `chosen` and `keys`: an explicit scorer=NAME and scorer.KEY settings (`load_test_scorer`).
    """
    from balr.scoring.score_files import check_finite, write_explanations, write_scores
    from balr.scoring.trials import read_comparisons, score_comparisons

    scorer, where = load_test_scorer(cfg, chosen, keys)
    calibration = _load_calibration(cfg.calibration)
    if cfg.explain < 0:
        raise ConfigError(f"--explain {cfg.explain}: give a number of attributes >= 0")
    data = load_bits(cfg, require_speakers=False)
    check_declared_width(cfg, data)
    check_width(scorer, data, where)
    trials = Path(cfg.trials)
    comparisons = read_comparisons(trials, data.ids, data.labels)
    labels = comparisons.labels
    if cfg.plots and not _both_classes(labels):
        raise ConfigError(
            f"--plots needs same- and different-speaker comparisons: {trials} has no label"
            " column and DATA no speakers for every side; add a 'label' column (1/0)"
        )
    llr_raw = score_comparisons(scorer, data.bits, comparisons)
    check_finite(llr_raw, comparisons, trials, "refit the scorer with balr score train")
    with np.errstate(over="ignore"):  # an overflow is refused just below, by line
        llr = calibration.apply(llr_raw) if calibration is not None else llr_raw
    check_finite(llr, comparisons, trials, f"refit the calibration {cfg.calibration}")
    metrics = _metrics(llr, labels)
    write_scores(run_dir / "scores.tsv", comparisons, llr, llr_raw if calibration else None)
    if metrics is not None:
        with atomic_path(run_dir / "metrics.json") as tmp:
            tmp.write_text(json.dumps(metrics, indent=2) + "\n")
    if cfg.explain:
        write_explanations(run_dir / "explain.tsv", scorer, data.bits, comparisons, cfg.explain)
    if cfg.plots:
        assert labels is not None
        _plots(run_dir, llr, llr_raw, labels, scorer.name, calibration)
    _log_result(len(comparisons), metrics, calibration is not None, run_dir)
    summary = {
        "kind": "score",
        "scorer": scorer.name,
        "scorer_dir": where,
        "calibrated": calibration is not None,
        "n_comparisons": len(comparisons),
        "metrics": metrics or {},
    }
    write_summary(run_dir / "summary.json", summary)
    return summary


def _load_calibration(path: str | None) -> Calibration | None:
    if path is None:
        return None
    from balr.evaluation.calibration import Calibration

    return Calibration.load(Path(path))


def _both_classes(labels: np.ndarray | None) -> bool:
    return labels is not None and bool(labels.any()) and bool((~labels).any())


def _metrics(llr: np.ndarray, labels: np.ndarray | None) -> dict[str, float] | None:
    """llr_metrics when both classes are present; None for casework."""
    if labels is None:
        log.info("the comparisons have no labels (casework): scores only, no metrics")
        return None
    if not _both_classes(labels):
        kind = "different-speaker" if labels.all() else "same-speaker"
        log.warning("no %s comparison: metrics need both kinds, none written", kind)
        return None
    from balr.evaluation.calibration import llr_metrics

    return llr_metrics(llr, labels)


def _plots(
    run_dir: Path,
    llr: np.ndarray,
    raw: np.ndarray,
    labels: np.ndarray,
    name: str,
    calibration: Calibration | None,
) -> None:
    from balr.evaluation.plots import ece_plot, pav_plot, tippett_plot

    kind = "calibrated" if calibration is not None else "raw"
    tippett_plot(llr, labels, run_dir / "tippett.png", title=f"Tippett ({name}, {kind} LLRs)")
    ece_plot(llr, labels, run_dir / "ece.png", title=f"ECE ({name}, {kind} LLRs)")
    pav_plot(raw, labels, run_dir / "pav.png", title=f"PAV ({name})", calibration=calibration)


def _log_result(n: int, metrics: dict[str, float] | None, calibrated: bool, run_dir: Path) -> None:
    if metrics is not None:
        log.info(
            "%d comparisons (%d same, %d different speaker), %s LLRs: EER %.2f%%  Cllr %.3f"
            "  Cllr_min %.3f  minDCF0.01 %.3f",
            n, metrics["n_target"], metrics["n_nontarget"],
            "calibrated" if calibrated else "raw", metrics["eer"], metrics["cllr"],
            metrics["cllr_min"], metrics["min_dcf_0.01"],
        )  # fmt: skip
    else:
        log.info("%d comparisons scored", n)
    log.info("results in %s", run_dir)
