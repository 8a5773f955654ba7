"""scores.tsv and explain.tsv: the files `balr score test` writes and `calibrate` reads.

scores.tsv is tab-separated with a header: ``enrollment``, ``test``, ``llr`` (natural log,
calibrated when a calibration was applied, and clipped to its bounds when it has any),
``llr_unbounded`` (calibrated, not clipped: only when bounds were applied), ``llr_raw``
(only when calibrated), ``log10_lr`` (= llr / ln 10) and ``label`` (1/0, only when known).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from balr.data.atomic import atomic_path
from balr.data.guard import check_regular
from balr.errors import DatasetError
from balr.evaluation.trial_io import parse_labels
from balr.scoring.score_formats import labels_from_trials, read_score_frame

if TYPE_CHECKING:
    from balr.scoring.base import ReferenceStats, Scorer
    from balr.scoring.counts import Counts
    from balr.scoring.trials import Comparisons


# Columns read as the raw score, in this order of preference.
SCORE_COLUMNS = ("llr_raw", "score", "llr")


@dataclass
class ScoreList:
    """Scores of comparisons read back from a scores.tsv.

    Attributes:
        frame: the file's rows, every column as text.
        raw: float64 [P], the raw scores: ``llr_raw`` (uncalibrated natural-log LLRs), else
            ``score`` (any system's real-valued score), else ``llr``.
        labels: bool [P] when the file has a label column, else None.
    """

    frame: pl.DataFrame
    raw: np.ndarray
    labels: np.ndarray | None


def check_finite(llrs: np.ndarray, comparisons: Comparisons, trials: Path, fix: str) -> None:
    """DatasetError naming the first comparison whose LLR is NaN or infinite, and `fix`."""
    bad = np.flatnonzero(~np.isfinite(llrs))
    if bad.size:
        i = int(bad[0])
        raise DatasetError(
            f"{trials}: line {comparisons.line(i)} ({comparisons.enrollment[i]} vs"
            f" {comparisons.test[i]}): the LLR is {llrs[i]} ({bad.size} comparison(s) without a"
            f" finite LLR), so nothing was written: {fix}"
        )


def write_scores(
    path: Path,
    comparisons: Comparisons,
    llr: np.ndarray,
    llr_raw: np.ndarray | None = None,
    llr_unbounded: np.ndarray | None = None,
) -> None:
    """Write scores.tsv atomically (see the module docstring)."""
    columns: dict[str, object] = {
        "enrollment": comparisons.enrollment,
        "test": comparisons.test,
        "llr": llr,
    }
    if llr_unbounded is not None:
        columns["llr_unbounded"] = llr_unbounded
    if llr_raw is not None:
        columns["llr_raw"] = llr_raw
    columns["log10_lr"] = llr / math.log(10.0)
    if comparisons.labels is not None:
        columns["label"] = comparisons.labels.astype(np.int8)
    with atomic_path(path) as tmp:
        pl.DataFrame(columns).write_csv(tmp, separator="\t", float_precision=6, quote_style="never")


def read_scores(path: Path, trials: Path | None = None) -> ScoreList:
    """Read a scores.tsv of `balr score test`, or another system's score file (WeSpeaker/Kaldi
    ``.score``, SpeechBrain ``scores.txt``, a BOSARIS-like table: `balr.scoring.score_formats`).

    Args:
        path: the score file.
        trials: the trial list the scores were computed on (any format the trial reader
            takes): every scored pair must be in it; its labels label a file without any.

    Raises:
        DatasetError: the file is missing or malformed, a score is not a finite number, a
            label is not 1/0, or a scored pair is not in `trials` (each message names the
            file and line).
    """
    if not path.exists():
        raise DatasetError(f"{path}: scores file not found; give the scores.tsv of balr score test")
    check_regular(path, DatasetError, "scores.tsv of balr score test")
    frame = read_score_frame(path)
    # The raw score to calibrate: balr's uncalibrated LLR, else any system's score.
    column = next((c for c in SCORE_COLUMNS if c in frame.columns), "llr")
    if column not in frame.columns or frame.height == 0:
        raise DatasetError(
            f"{path}: no 'llr_raw', 'score' or 'llr' column, or no rows (found"
            f" {', '.join(frame.columns) or 'nothing'}); give the scores.tsv of balr score test"
            " or a tab-separated file with a 'score' column"
        )
    raw = frame[column].str.strip_chars().cast(pl.Float64, strict=False).to_numpy()
    bad = np.flatnonzero(~np.isfinite(raw))
    if bad.size:
        r = int(bad[0])
        raise DatasetError(
            f"{path}: line {frame['line'][r]}: {column} {frame[column][r]!r} is not a finite"
            " number; fix"
            " or drop the line"
        )
    labels = None
    if "label" in frame.columns:
        labels = parse_labels(frame["label"], path, "fix it", frame["line"])
    if trials is not None:
        from_trials = labels_from_trials(frame, path, trials)
        labels = from_trials if labels is None else labels
    return ScoreList(frame, raw.astype(np.float64), labels)


def write_explanations(
    path: Path,
    scorer: Scorer,
    bits: np.ndarray,
    comparisons: Comparisons,
    top: int,
) -> None:
    """explain.tsv: per comparison, the `top` attributes of largest |contribution|.

    Counts are written ``a/n``: recordings of the side where the attribute is active / not
    active. ``rate`` and ``typicality`` describe the attribute in the reference population.
    A last row per comparison, attribute ``others``, sums the remaining attributes, so each
    comparison's contributions add up to its raw (uncalibrated) LLR.
    """
    from balr.scoring.sides import iter_counts

    stats = scorer.reference_stats()
    # One recording per side: each contribution is a cell of the [k, 2, 2] table (no lgamma).
    cells = scorer.table() if comparisons.single() else None
    frames = []
    sides = comparisons.enroll_rows, comparisons.test_rows
    for start, (enroll, test) in iter_counts(bits, *sides, chunk=4096):
        if cells is not None:
            columns = np.arange(cells.shape[0])[None, :]
            contrib = cells[columns, enroll.active, test.active]
        else:
            contrib = scorer.contributions(enroll, test)
        frames.append(_explained(start, (enroll, test), contrib, top, comparisons, stats))
    table = pl.concat(frames).sort("index", "rank").drop("index")
    table = table.with_columns(pl.col("rate", "typicality").fill_nan(None))
    with atomic_path(path) as tmp:
        table.write_csv(tmp, separator="\t", float_precision=4, quote_style="never")


def _explained(
    start: int,
    sides: tuple[Counts, Counts],
    contrib: np.ndarray,
    top: int,
    comparisons: Comparisons,
    stats: ReferenceStats,
) -> pl.DataFrame:
    """explain.tsv rows of the comparisons start, start + 1, ... (contributions [P, k])."""
    enroll, test = sides
    n, k = len(contrib), min(top, contrib.shape[1])
    attrs = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :k].ravel()
    rows = np.repeat(np.arange(n), k)
    shown = contrib[rows, attrs]
    rest = contrib.sum(axis=1) - shown.reshape(n, k).sum(axis=1)
    index = start + np.concatenate([rows, np.arange(n)])
    blank = np.full(n, np.nan)
    return pl.DataFrame(
        {
            "index": index,
            "enrollment": [comparisons.enrollment[i] for i in index],
            "test": [comparisons.test[i] for i in index],
            "rank": np.concatenate([np.tile(np.arange(1, k + 1), n), np.full(n, k + 1)]),
            "attribute": [str(a) for a in attrs] + ["others"] * n,
            "enrollment_counts": _counts(enroll, rows, attrs)
            + [f"{contrib.shape[1] - k} attributes"] * n,
            "test_counts": _counts(test, rows, attrs) + [""] * n,
            "contribution": np.concatenate([shown, rest]),
            "rate": np.concatenate([stats.rate[attrs], blank]),
            "typicality": np.concatenate([stats.typicality[attrs], blank]),
        }
    )


def _counts(counts: Counts, rows: np.ndarray, attrs: np.ndarray) -> list[str]:
    active, inactive = counts.active[rows, attrs], counts.inactive[rows, attrs]
    return [f"{a}/{n}" for a, n in zip(active, inactive, strict=True)]
