"""Speaker-disjoint K-fold cross-validation of a scorer on its own reference population.

The speakers are shuffled (seeded) and dealt into K folds. For each fold, a new scorer is
fitted on the other K - 1 folds and scores the same- and different-speaker comparisons
among the held-out fold's recordings (one recording per side; each class capped per fold).
The pooled out-of-fold scores are what a calibration (and its ELUB bounds) is fitted on, for
the scorer refitted on every speaker (Morrison et al. 2021; NFI lir's source-grouped
cross-validation).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from balr.data.atomic import atomic_path
from balr.errors import BalrError, ConfigError, DatasetError
from balr.scoring.commands.inputs import ScoringInput, matrix_of

log = logging.getLogger("balr.score")

CV_SCORES = "cv_scores.tsv"
METHODS = ("logistic", "bigauss")
BOUNDS = ("elub", "none")


@dataclass(frozen=True)
class CrossValOptions:
    """How to cross-validate (see `balr.config.scoring.CrossValConfig`)."""

    folds: int
    seed: int = 0
    max_pairs: int = 200_000
    method: str = "logistic"
    bounds: str = "elub"

    def __post_init__(self) -> None:
        if self.folds < 2:
            raise ConfigError(
                f"--calibrate {self.folds} (cv.folds): cross-validation needs at least 2 folds"
                " of speakers; give --calibrate 5, say"
            )
        if self.max_pairs < 1:
            raise ConfigError(f"cv.max_pairs={self.max_pairs}: give a positive cap per fold")
        if self.method not in METHODS:
            raise ConfigError(f"cv.method={self.method!r}: give one of {', '.join(METHODS)}")
        if self.bounds not in BOUNDS:
            raise ConfigError(f"cv.bounds={self.bounds!r}: give one of {', '.join(BOUNDS)}")


@dataclass(frozen=True)
class CrossValScores:
    """The pooled out-of-fold comparisons: dataset rows, raw LLRs, labels, fold (1..K)."""

    enroll: np.ndarray
    test: np.ndarray
    llr_raw: np.ndarray
    labels: np.ndarray
    fold: np.ndarray
    n_speakers: int

    @property
    def n_target(self) -> int:
        """Same-speaker comparisons."""
        return int(self.labels.sum())

    @property
    def n_nontarget(self) -> int:
        """Different-speaker comparisons."""
        return int(self.labels.size - self.labels.sum())


def deal_folds(reference: ScoringInput, options: CrossValOptions) -> list[np.ndarray]:
    """The speaker labels of each fold, dealt from a seeded shuffle (checked usable).

    Raises:
        DatasetError: a fold would hold fewer than 2 speakers, or no speaker with 2 or more
            recordings (no same-speaker comparison); the message names the fold.
    """
    labels = reference.labels
    speakers = np.unique(labels[labels >= 0])
    k = options.folds
    if len(speakers) < 2 * k:
        raise DatasetError(
            f"{reference.name}: --calibrate {k} deals {len(speakers)} speakers into {k} folds,"
            f" so fold {k} (the smallest) gets {len(speakers) // k} speaker(s); each fold needs"
            f" 2 or more: give --calibrate {max(len(speakers) // 2, 2)} or fewer, or more speakers"
        )
    shuffled = np.random.default_rng(options.seed).permutation(speakers)
    folds = np.array_split(shuffled, k)
    per_speaker = np.bincount(labels[labels >= 0], minlength=int(speakers.max()) + 1)
    for i, fold in enumerate(folds, start=1):
        if per_speaker[fold].max() < 2:
            raise DatasetError(
                f"{reference.name}: fold {i} of --calibrate {k} holds {len(fold)} speakers with"
                " one recording each, so no same-speaker comparison: give the speakers 2 or"
                " more recordings, or fewer folds"
            )
    return folds


def cross_validate(
    make_scorer: Callable[[], Any], reference: ScoringInput, options: CrossValOptions
) -> CrossValScores:
    """Out-of-fold raw LLRs of every fold (see the module docstring)."""
    from balr.evaluation.trials import draw_trials

    parts: list[tuple[np.ndarray, ...]] = []
    for i, fold in enumerate(deal_folds(reference, options), start=1):
        held = np.isin(reference.labels, fold)
        train = ~held & (reference.labels >= 0)
        scorer = make_scorer()
        try:
            scorer.fit(matrix_of(reference)[train], reference.labels[train])
        except BalrError as error:
            raise DatasetError(f"cross-validation fold {i} of {options.folds}: {error}") from None
        rows = np.flatnonzero(held)
        trials = draw_trials(reference.labels[rows], options.max_pairs, options.seed + i)
        llrs = scorer.score_rows(matrix_of(reference)[rows], trials.enroll, trials.test)
        fold_ids = np.full(len(trials), i, dtype=np.int64)
        parts.append((rows[trials.enroll], rows[trials.test], llrs, trials.labels, fold_ids))
        log.info(
            "cross-validation fold %d/%d: fitted on %d speakers, scored %d same- and %d"
            " different-speaker comparisons among the %d held-out speakers",
            i, options.folds, len(np.unique(reference.labels[train])), trials.num_targets,
            trials.num_nontargets, len(fold),
        )  # fmt: skip
    enroll, test, llrs, labels, folds = (np.concatenate(c) for c in zip(*parts, strict=True))
    n_speakers = int(np.unique(reference.labels[reference.labels >= 0]).size)
    return CrossValScores(enroll, test, llrs.astype(np.float64), labels, folds, n_speakers)


def write_cv_scores(path: Path, ids: list[str], scores: CrossValScores) -> None:
    """cv_scores.tsv: enrollment, test, llr_raw (natural log), label (1/0), fold (1..K)."""
    names = np.asarray(ids, dtype=object)
    frame = pl.DataFrame(
        {
            "enrollment": names[scores.enroll].tolist(),
            "test": names[scores.test].tolist(),
            "llr_raw": scores.llr_raw,
            "label": scores.labels.astype(np.int8),
            "fold": scores.fold,
        }
    )
    with atomic_path(path) as tmp:
        frame.write_csv(tmp, separator="\t", float_precision=6, quote_style="never")
