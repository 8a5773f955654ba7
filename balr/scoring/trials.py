"""Comparisons whose sides are one or several recordings, read from a trial file.

A trial file (read by `balr.evaluation.trial_io.read_trial_frame`, like validation trial
lists) is tab-separated with the header ``enrollment<TAB>test[<TAB>label]``. Each
side cell lists one dataset id, or several separated by commas (all recordings of one
person). ``label`` is 1/0 (or true/false). Without a label column, a comparison is labelled
from the dataset's speakers when every id has one and every side is one speaker; otherwise
the comparisons are unlabelled (casework): they get scores, not metrics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from balr.errors import DatasetError
from balr.evaluation.trial_io import IdIndex, parse_labels, read_trial_frame
from balr.scoring.distinct import first_repeat
from balr.scoring.sides import RowGroups, score_sides

if TYPE_CHECKING:
    from balr.evaluation.trials import Trials
    from balr.scoring.base import Scorer


@dataclass
class Comparisons:
    """Comparisons between two sides of one or several recordings each.

    Attributes:
        enrollment: the trial file's enrollment cells, as written.
        test: the trial file's test cells, as written.
        enroll_rows: dataset rows of each enrollment side.
        test_rows: dataset rows of each test side.
        labels: bool [P], True for a same-speaker comparison; None when unknown (casework).
        lines: the trial file line of each comparison (for error messages).
    """

    enrollment: list[str]
    test: list[str]
    enroll_rows: Sequence[np.ndarray]
    test_rows: Sequence[np.ndarray]
    labels: np.ndarray | None = None
    lines: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.enroll_rows = RowGroups.of(self.enroll_rows)
        self.test_rows = RowGroups.of(self.test_rows)
        n = len(self.enrollment)
        sizes = {len(self.test), len(self.enroll_rows), len(self.test_rows)}
        if sizes != {n} or (self.labels is not None and len(self.labels) != n):
            raise ValueError("every field of Comparisons must have one entry per comparison")
        if self.lines is None:
            self.lines = np.arange(2, n + 2, dtype=np.int64)

    def __len__(self) -> int:
        return len(self.enrollment)

    def single(self) -> bool:
        """True when every side is one recording (the fast path applies)."""
        enroll, test = RowGroups.of(self.enroll_rows), RowGroups.of(self.test_rows)
        return bool(np.all(enroll.sizes() == 1) and np.all(test.sizes() == 1))

    def line(self, index: int) -> int:
        """The trial file line of comparison `index` (the header is line 1)."""
        assert self.lines is not None
        return int(self.lines[index])


def read_comparisons(
    path: Path,
    ids: list[str],
    labels: np.ndarray | None = None,
    same: np.ndarray | None = None,
) -> Comparisons:
    """Read a trial file (see the module docstring) against a dataset's ids.

    Args:
        path: tab-separated trial file with a header.
        ids: the dataset's ids, in row order.
        labels: int64 [N] speaker label per dataset row (-1: none); used only when the file
            has no label column.
        same: int64 [N], per dataset row the number of its recording when rows may share
            one (`balr.scoring.distinct.same_as`); None: every id is its own recording.

    Returns:
        The comparisons in file order.

    Raises:
        DatasetError: the file is missing or malformed, a side is empty, an id is not in
            the dataset (the message names the id, the file and its line), or a label is
            not 1/0, or a recording appears twice in one comparison.
    """
    path = Path(path)
    frame = read_trial_frame(path, "check the TRIALS path")
    index, lines = IdIndex(ids), frame["line"].to_numpy()
    enroll = _side_rows(frame["enrollment"], "enrollment", index, path, lines)
    test = _side_rows(frame["test"], "test", index, path, lines)
    if "label" in frame.columns:
        fix = "fix it, or drop the label column to label comparisons from the dataset's speakers"
        target: np.ndarray | None = parse_labels(frame["label"], path, fix, frame["line"])
    else:
        target = _labels_from_speakers(enroll, test, labels)
    comparisons = Comparisons(
        enrollment=frame["enrollment"].to_list(),
        test=frame["test"].to_list(),
        enroll_rows=enroll,
        test_rows=test,
        labels=target,
        lines=lines,
    )
    refuse_repeats(path, comparisons, ids, same)
    return comparisons


def refuse_repeats(
    path: Path, comparisons: Comparisons, ids: list[str], same: np.ndarray | None = None
) -> None:
    """DatasetError naming the first comparison that holds one recording twice."""
    enroll, test = RowGroups.of(comparisons.enroll_rows), RowGroups.of(comparisons.test_rows)
    repeat = first_repeat(enroll, test, same)
    if repeat is None:
        return
    what = repeat.describe(ids, "same file")
    raise DatasetError(
        f"{path}: line {comparisons.line(repeat.comparison)}: {what}: a recording compared"
        " with itself, or counted twice, is not independent evidence; list each recording"
        " once per comparison"
    )


def _side_rows(
    column: pl.Series, name: str, index: IdIndex, path: Path, lines: np.ndarray
) -> RowGroups:
    """Dataset rows of every cell of `column` (one side per cell)."""
    cells = column.to_list()
    if not column.str.contains(",", literal=True).any():
        rows = index.rows(column)
        bad = np.flatnonzero(rows < 0)
        if bad.size:
            _fail_cell(cells[int(bad[0])], name, int(lines[bad[0]]), index, path)
        return RowGroups(rows, np.arange(len(rows) + 1, dtype=np.int64))
    groups: list[np.ndarray] = []
    cache: dict[str, np.ndarray] = {}
    for r, cell in enumerate(cells):
        if cell not in cache:
            cache[cell] = _cell_rows(cell, name, int(lines[r]), index, path)
        groups.append(cache[cell])
    return RowGroups.of(groups)


def _cell_rows(cell: str, name: str, line: int, index: IdIndex, path: Path) -> np.ndarray:
    parts = [p.strip() for p in cell.split(",")]
    if any(p not in index for p in parts):
        _fail_cell(cell, name, line, index, path)
    if len(set(parts)) < len(parts):
        twice = next(p for p in parts if parts.count(p) > 1)
        raise DatasetError(
            f"{path}: line {line}: the {name} side lists id {twice!r} twice; list each"
            " recording of a side once"
        )
    return np.asarray([index.get(p) for p in parts], dtype=np.int64)


def _fail_cell(cell: str, name: str, line: int, index: IdIndex, path: Path) -> None:
    """Raise the DatasetError of a side cell that is empty or names an unknown id."""
    parts = [p.strip() for p in cell.split(",")]
    if not cell or not all(parts):
        raise DatasetError(
            f"{path}: line {line}: the {name} side is empty or has an empty id ({_short(cell)});"
            " give one dataset id, or several separated by commas"
        )
    unknown = next(p for p in parts if p not in index)
    raise DatasetError(
        f"{path}: line {line}: {name} id {_short(unknown)} is not in the dataset; use ids from"
        " the dataset's id column (or add the recording to the dataset)"
    )


def _short(text: str, limit: int = 80) -> str:
    """`text` quoted, cut to `limit` characters: a message stays one readable line."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


def _labels_from_speakers(
    enroll: RowGroups, test: RowGroups, labels: np.ndarray | None
) -> np.ndarray | None:
    """Same-speaker labels when every side is one known speaker, else None (casework)."""
    if labels is None:
        return None
    speaker = np.asarray(labels, dtype=np.int64)
    sides = []
    for groups in (enroll, test):
        first = speaker[groups.values[groups.offsets[:-1]]]
        per_row = np.repeat(first, groups.sizes())
        if np.any(speaker[groups.values] < 0) or np.any(speaker[groups.values] != per_row):
            return None
        sides.append(first)
    return np.asarray(sides[0] == sides[1])


def missing_class(labels: np.ndarray | None) -> str | None:
    """Why comparisons cannot give labelled metrics (None: both classes are there).

    The reason completes a sentence about the trial list, e.g. "{trials} has no label column".
    """
    if labels is None:
        return "has no label column and DATA no speaker for every side; add a 'label' column (1/0)"
    if labels.all():
        return (
            "has one class only: every label is 1 (same speaker); add different-speaker"
            " comparisons (label 0)"
        )
    if not labels.any():
        return (
            "has one class only: every label is 0 (different speakers); add same-speaker"
            " comparisons (label 1)"
        )
    return None


def score_comparisons(scorer: Scorer, bits: np.ndarray, comparisons: Comparisons) -> np.ndarray:
    """Natural-log LLR of every comparison, in order.

    One recording per side takes the scorer's matrix fast path (``score_rows``, which
    gathers rows in chunks). Otherwise the comparisons are grouped by their sides' sizes
    (ne, nt): an attribute's contribution depends only on its counts (a_e of ne, a_t of
    nt), so the scorer computes the (ne + 1)(nt + 1) possible contributions of every
    attribute once per group, and each comparison sums the ones its counts pick (a group
    smaller than its table is scored by ``score_counts`` directly). Chunks of about
    COUNT_CELLS comparison-attribute cells keep memory bounded. The vectors are the rows of
    `bits`, read once by the caller.

    Args:
        scorer: a fitted scorer.
        bits: uint8 0/1 [N, k], the attributes of the dataset the comparisons index.
        comparisons: the comparisons.

    Returns:
        float64 [P].
    """
    enroll, test = RowGroups.of(comparisons.enroll_rows), RowGroups.of(comparisons.test_rows)
    return score_sides(scorer, bits, enroll, test)


def split_speaker_trials(
    labels: np.ndarray, parts: int = 2, seed: int = 0, max_pairs: int = 1_000_000
) -> list[Trials]:
    """Speaker-disjoint trial lists: the speakers are shuffled and dealt into `parts` groups.

    Each list holds every same- and different-speaker pair of its group's recordings (each
    class capped at `max_pairs`, drawn as `balr.evaluation.trials.draw_trials` does), so one
    list can calibrate and another test without sharing a speaker.

    Args:
        labels: int64 [N] speaker label per dataset row (-1: left out).
        parts: number of groups (at least 2).
        seed: seed of the shuffle and of any capped draw.
        max_pairs: cap per class and list.

    Raises:
        DatasetError: fewer than 2 speakers per group, or a group without same-speaker pair.
    """
    from balr.evaluation import trials as evaluation

    labels = np.asarray(labels, dtype=np.int64)
    speakers = np.unique(labels[labels >= 0])
    if parts < 2:
        raise DatasetError(f"parts={parts} (--parts): give at least 2, one trial list per group")
    if len(speakers) < 2 * parts:
        raise DatasetError(
            f"{len(speakers)} speakers cannot be split into {parts} groups of 2 or more: give"
            " a dataset with more speakers or fewer parts"
        )
    shuffled = np.random.default_rng(seed).permutation(speakers)
    out: list[Trials] = []
    for group in np.array_split(shuffled, parts):
        rows = np.flatnonzero(np.isin(labels, group))
        subset = evaluation.draw_trials(labels[rows], max_pairs=max_pairs, seed=seed)
        out.append(evaluation.Trials(rows[subset.enroll], rows[subset.test], subset.labels))
    return out
