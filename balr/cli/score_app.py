"""The `score_train` and `score_test` Hydra apps: fit a scorer, score a trial list."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hydra
import numpy as np
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from balr.cli.errors import report
from balr.cli.instantiate import build
from balr.config.scoring import SCORER_ONLY_KEYS
from balr.config.store import register_configs
from balr.errors import BalrError, ConfigError, DatasetError
from balr.report.build import reference_facts
from balr.training.summary import write_summary

if TYPE_CHECKING:
    from balr.scoring.base import FitReport, Scorer

register_configs()
log = logging.getLogger("balr.score")


@dataclass
class Bits:
    """The binary attributes of a dataset, with its ids and speaker labels (-1: none)."""

    name: str
    ids: list[str]
    bits: np.ndarray
    labels: np.ndarray
    speakers: list[str]


def load_bits(cfg: DictConfig, *, require_speakers: bool, path: str | None = None) -> Bits:
    """cfg.input's binary attributes (or those of `path`, read like cfg.input).

    The attributes are read, or computed in memory by cfg.encoder.model when it is set.
    """
    node = cfg.input if path is None else OmegaConf.merge(cfg.input, {"path": path})
    dataset = build(node, "input" if path is None else "val_data")
    if cfg.encoder.model.get("checkpoint_path") is None:
        from balr.data.attributes import load_attribute_table

        table = load_attribute_table(dataset, require_speakers=require_speakers)
        bits = np.ascontiguousarray(table.bits, dtype=np.uint8)
        return Bits(dataset.name, table.ids, bits, table.labels, table.speakers)
    return _binarised(cfg, dataset, require_speakers)


def check_declared_width(cfg: DictConfig, data: Bits) -> None:
    """DatasetError when BA-LR 2.0's scorer.n_attributes is set and the vectors differ."""
    declared = cfg.scorer.get("n_attributes") if cfg.get("scorer") else None
    k = int(data.bits.shape[1])
    if declared is not None and int(declared) != k:
        raise DatasetError(
            f"{data.name}: the vectors have {k} attributes, not scorer.n_attributes={declared}:"
            " drop scorer.n_attributes (balr reads the count from the data) or give vectors"
            f" of {declared} attributes"
        )


def _binarised(cfg: DictConfig, dataset: Any, require_speakers: bool) -> Bits:
    import torch

    from balr.data.table import load_embedding_table
    from balr.training.devices import resolve_device

    encoder = build(cfg.encoder.model, "encoder.model", device=str(resolve_device(cfg.device)))
    table = load_embedding_table(dataset, require_speakers=require_speakers)
    if len(table):
        encoder.check_embedding_dim(table.dim, f"the embeddings of {dataset.name} have")
    with torch.inference_mode():
        bits = encoder.binarize_embeddings(table.embeddings).to("cpu", torch.uint8).numpy()
    log.info("binarised %d embeddings with %s", len(bits), encoder.checkpoint_path)
    return Bits(dataset.name, table.ids, bits, table.labels.numpy(), table.speakers)


def run_score_train(cfg: DictConfig, run_dir: Path) -> Scorer:
    """Fit cfg.scorer on cfg.input's speakers, save it into `run_dir`; return it.

    With val_data and val_trials the fitted scorer is validated first: a failing
    validation leaves `run_dir` as it was (no scorer beside an older summary).
    """
    reference = load_bits(cfg, require_speakers=True)
    check_declared_width(cfg, reference)
    if len(reference.speakers) < 2:
        raise DatasetError(
            f"{reference.name}: the reference has {len(reference.speakers)} speaker(s); a scorer"
            " needs recordings of at least 2 speakers: give a reference set with more speakers"
        )
    scorer: Scorer = build(cfg.scorer, "scorer", exclude=SCORER_ONLY_KEYS)
    started = time.perf_counter()
    fit = scorer.fit(reference.bits, reference.labels)
    seconds = time.perf_counter() - started
    used = _log_fit(scorer, fit, reference, seconds)
    summary = {
        "kind": "scorer",
        "scorer": scorer.name,
        "settings": scorer.hyperparameters(),
        "n_attributes": scorer.n_attributes,
        "n_used": used,
        "n_speakers": len(reference.speakers),
        "n_recordings": len(reference.bits),
        "fit": fit.to_dict(),
        "fit_seconds": seconds,
    }
    if cfg.val_data is not None or cfg.val_trials is not None:
        summary["metrics"] = validate(cfg, scorer, run_dir)
    scorer.save(run_dir, reference_facts(reference.name, cfg.reference_name))
    write_summary(run_dir / "summary.json", summary)
    log.info("scorer saved in %s", run_dir)
    return scorer


def _log_fit(scorer: Scorer, fit: FitReport, reference: Bits, seconds: float) -> int:
    """Log what the fit did; return the number of attributes used."""
    used = int(scorer.n_attributes - scorer.excluded.sum())
    excluded = ", ".join(f"{n} {why}" for why, n in fit.excluded.items()) or "none"
    if fit.iterations == 0:
        state = "closed-form fit"
    else:
        state = "converged" if fit.converged else "NOT converged"
        state += f" after {fit.iterations} iteration(s), last change {fit.max_change:.3g}"
    log.info(
        "fitted %s on %d recordings of %d speakers in %.2fs: %d of %d attributes used"
        " (excluded: %s); %s",
        scorer.name, len(reference.bits), len(reference.speakers), seconds, used,
        scorer.n_attributes, excluded, state,
    )  # fmt: skip
    for note in fit.notes:
        log.info("note: %s", note)
    return used


def validate(cfg: DictConfig, scorer: Scorer, run_dir: Path) -> dict[str, float]:
    """Raw-LLR metrics of the fitted scorer on cfg.val_trials over cfg.val_data.

    The scores go to `run_dir`/scores.tsv: `balr compare` places a case among them.
    """
    from balr.cli.score_test import check_width
    from balr.evaluation.calibration import llr_metrics
    from balr.scoring.score_files import write_scores
    from balr.scoring.trials import read_comparisons, score_comparisons

    if cfg.val_data is None or cfg.val_trials is None:
        raise ConfigError("give both val_data=DATA and val_trials=TRIALS (or neither)")
    data = load_bits(cfg, require_speakers=False, path=cfg.val_data)
    check_width(scorer, data, "just fitted")
    comparisons = read_comparisons(Path(cfg.val_trials), data.ids, data.labels)
    labels = comparisons.labels
    if labels is None or labels.all() or not labels.any():
        raise DatasetError(
            f"{cfg.val_trials}: validation needs same- and different-speaker comparisons: add"
            " a 'label' column (1/0) or give val_data speakers"
        )
    llrs = score_comparisons(scorer, data.bits, comparisons)
    write_scores(run_dir / "scores.tsv", comparisons, llrs)
    metrics = llr_metrics(llrs, labels)
    log.info(
        "validation on %d comparisons (raw LLRs): EER %.2f%%  Cllr %.3f  Cllr_min %.3f",
        len(comparisons), metrics["eer"], metrics["cllr"], metrics["cllr_min"],
    )  # fmt: skip
    return metrics


@hydra.main(version_base="1.3", config_path=None, config_name="score_train")
def score_train_app(cfg: DictConfig) -> None:
    """Hydra entry point of `balr score train`."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run_score_train(cfg, run_dir)
    except BalrError as error:
        raise SystemExit(report(error)) from None


@hydra.main(version_base="1.3", config_path=None, config_name="score_test")
def score_test_app(cfg: DictConfig) -> None:
    """Hydra entry point of `balr score test`."""
    from balr.cli.score_test import run_score_test

    run_dir = Path(HydraConfig.get().runtime.output_dir)
    chosen = HydraConfig.get().runtime.choices.get("scorer")
    task = [o.lstrip("+~") for o in HydraConfig.get().overrides.task]
    explicit = any(o.startswith("scorer=") for o in task)
    # scorer.KEY settings typed by the user (checkpoint_path only says where the scorer is).
    keys = [o.split("=", 1)[0].removeprefix("scorer.") for o in task if o.startswith("scorer.")]
    keys = [k for k in keys if k not in SCORER_ONLY_KEYS]
    try:
        run_score_test(cfg, run_dir, chosen if explicit else None, keys)
    except BalrError as error:
        raise SystemExit(report(error)) from None
