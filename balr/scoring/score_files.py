"""scores.tsv: the file `balr score test` and `balr score apply` write, and its one reader.

scores.tsv is tab-separated with a header: ``enrollment``, ``test``, ``llr`` (natural log,
calibrated when a calibration was applied, and clipped to its bounds when it has any),
``llr_unbounded`` (calibrated, not clipped: only when bounds were applied), ``llr_raw``
(only when calibrated), ``log10_lr`` (= llr / ln 10), ``label`` (1/0, only when known) and
``condition`` (only when the data carry recording conditions). Raw scores that are not
LLRs (an uncalibrated cosine similarity) are written as a ``score`` column instead of
``llr`` and ``log10_lr``.

:func:`read_scores` is the one reader of score files: calibration and fusion take the raw
score (:attr:`ScoreList.raw`), validation the LLR as reported
(:meth:`ScoreList.reported_llrs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from balr.data.atomic import atomic_path
from balr.data.columns import check_unique_columns
from balr.data.guard import check_regular
from balr.errors import DatasetError
from balr.evaluation.trial_checks import check_trial_rows
from balr.evaluation.trial_io import parse_labels
from balr.scoring.score_formats import labels_from_trials, read_score_frame

if TYPE_CHECKING:
    from collections.abc import Sequence

    from balr.scoring.trials import Comparisons


# Columns read as the raw score, in this order of preference (log10_lr as a natural log).
SCORE_COLUMNS = ("llr_raw", "score", "llr", "log10_lr")
# Columns of the LLR as reported (calibrated and bounded when the file was), in this order.
REPORTED_COLUMNS = ("llr", "log10_lr")
WANTED = "scores.tsv of balr score test"


@dataclass
class ScoreList:
    """Scores of comparisons read back from a score file.

    Attributes:
        path: the file read.
        frame: the file's rows, every column as text, plus ``line`` (its file line).
        raw: float64 [P], the raw scores: ``llr_raw`` (uncalibrated natural-log LLRs), else
            ``score`` (any system's real-valued score), else ``llr``, else ``log10_lr``
            x ln 10.
        labels: bool [P] when the file has a label column, else None.
    """

    path: Path
    frame: pl.DataFrame
    raw: np.ndarray
    labels: np.ndarray | None

    @property
    def ids(self) -> tuple[pl.Series, pl.Series] | None:
        """The ``enrollment`` and ``test`` columns, or None when the file lacks either."""
        if "enrollment" not in self.frame.columns or "test" not in self.frame.columns:
            return None
        return self.frame["enrollment"], self.frame["test"]

    @property
    def conditions(self) -> pl.Series | None:
        """Each comparison's recording condition (text, null when blank), if the file has any."""
        return self.frame["condition"] if "condition" in self.frame.columns else None

    def reported_llrs(self, wanted: str = WANTED) -> np.ndarray:
        """float64 [P], the natural-log LLRs as reported: ``llr``, else ``log10_lr`` x ln 10.

        Raises:
            DatasetError: neither column (raw scores in a ``score`` column: calibrate them
                first), or a value that is not a finite number (names the line); `wanted`
                names the file to give instead.
        """
        column = next((c for c in REPORTED_COLUMNS if c in self.frame.columns), None)
        if column is None and "score" in self.frame.columns:
            raise DatasetError(
                f"{self.path}: no column llr or log10_lr, only a 'score' column of raw scores"
                " (such as cosine similarities), which are not LLRs: calibrate them first (balr"
                " score calibrate, then balr score apply; or balr score train --calibrate K)"
                " and give the calibrated scores.tsv"
            )
        if column is None:
            found = ", ".join(c for c in self.frame.columns if c != "line")
            raise DatasetError(
                f"{self.path}: no column llr or log10_lr (found {found}); give the {wanted}"
            )
        return _finite_column(self.frame, column, self.path)


def _finite_column(frame: pl.DataFrame, column: str, path: Path) -> np.ndarray:
    """float64 natural-log values of `column` (log10_lr scaled by ln 10), all finite.

    Raises:
        DatasetError: naming the first line whose value is not a finite number.
    """
    values = frame[column].str.strip_chars().cast(pl.Float64, strict=False).to_numpy()
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        r = int(bad[0])
        raise DatasetError(
            f"{path}: line {frame['line'][r]}: {column} {frame[column][r]!r} is not a finite"
            f" number ({bad.size} such line(s)); fix or drop the line"
        )
    return values.astype(np.float64) * (math.log(10.0) if column == "log10_lr" else 1.0)


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
    conditions: Sequence[str] | None = None,
    *,
    llrs: bool = True,
) -> None:
    """Write the scores.tsv of `comparisons` atomically (see the module docstring).

    With ``llrs=False`` the values are raw scores that are not LLRs (an uncalibrated cosine
    similarity): written as a ``score`` column, without ``llr`` and ``log10_lr``.
    """
    ids = (comparisons.enrollment, comparisons.test)
    extra = ScoreColumns(llr_raw, llr_unbounded, comparisons.labels, conditions)
    write_score_table(path, ids, llr, extra, llrs=llrs)


@dataclass
class ScoreColumns:
    """The optional columns of a scores.tsv (None: the column is left out)."""

    llr_raw: np.ndarray | None = None
    llr_unbounded: np.ndarray | None = None
    labels: np.ndarray | None = None
    conditions: Sequence[str | None] | pl.Series | None = None


def write_score_table(
    path: Path,
    ids: tuple[Sequence[str] | pl.Series, Sequence[str] | pl.Series] | None,
    llr: np.ndarray,
    extra: ScoreColumns,
    *,
    llrs: bool = True,
) -> None:
    """Write a scores.tsv atomically: ids (enrollment, test; None: none), ``llr``, then
    ``llr_unbounded``, ``llr_raw``, ``log10_lr``, ``label`` and ``condition`` as given.

    With ``llrs=False``, `llr` holds raw scores that are not LLRs: one ``score`` column
    takes the place of ``llr`` and ``log10_lr``."""
    columns: dict[str, object] = {}
    if ids is not None:
        columns |= {"enrollment": ids[0], "test": ids[1]}
    columns["llr" if llrs else "score"] = llr
    if extra.llr_unbounded is not None:
        columns["llr_unbounded"] = extra.llr_unbounded
    if extra.llr_raw is not None:
        columns["llr_raw"] = extra.llr_raw
    if llrs:
        columns["log10_lr"] = llr / math.log(10.0)
    if extra.labels is not None:
        columns["label"] = extra.labels.astype(np.int8)
    if extra.conditions is not None:
        columns["condition"] = pl.Series(list(extra.conditions), dtype=pl.String)
    with atomic_path(path) as tmp:
        pl.DataFrame(columns).write_csv(tmp, separator="\t", float_precision=6, quote_style="never")


def read_scores(path: Path, trials: Path | None = None, wanted: str = WANTED) -> ScoreList:
    """Read a scores.tsv of `balr score test`, or another system's score file (WeSpeaker/Kaldi
    ``.score``, SpeechBrain ``scores.txt``, a BOSARIS-like table: `balr.scoring.score_formats`).

    Args:
        path: the score file.
        trials: the trial list the scores were computed on (any format the trial reader
            takes): every scored pair must be in it; its labels label a file without any.
        wanted: the file to give instead, as the error messages name it.

    Raises:
        DatasetError: the file is missing or malformed, a score is not a finite number, a
            label is not 1/0, or a scored pair is not in `trials` (each message names the
            file and line).
    """
    if not path.exists():
        raise DatasetError(f"{path}: scores file not found; give the {wanted}")
    check_regular(path, DatasetError, wanted)
    frame = read_score_frame(path)
    column = next((c for c in SCORE_COLUMNS if c in frame.columns), None)
    if column is None:
        found = ", ".join(c for c in frame.columns if c != "line") or "nothing"
        raise DatasetError(
            f"{path}: no 'llr_raw', 'score', 'llr' or 'log10_lr' column (found {found});"
            f" give the {wanted} or a tab-separated file with a 'score' column"
        )
    if frame.height == 0:
        raise DatasetError(f"{path}: a header without score lines; give the {wanted}")
    # As in trial lists: a second 'label' column would be ignored, a repeated pair count twice.
    if {"enrollment", "test"} <= set(frame.columns):
        check_trial_rows(frame, path)
    else:
        check_unique_columns(frame.columns, path)
    raw = _finite_column(frame, column, path)
    labels = None
    if "label" in frame.columns:
        labels = parse_labels(frame["label"], path, "fix it", frame["line"])
    if trials is not None:
        from_trials = labels_from_trials(frame, path, trials)
        labels = from_trials if labels is None else labels
    return ScoreList(path, frame, raw, labels)
