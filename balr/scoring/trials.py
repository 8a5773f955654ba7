"""Comparisons whose sides are one or several recordings, read from a trial file.

A trial file is tab-separated with the header ``enrollment<TAB>test[<TAB>label]``. Each
side cell lists one dataset id, or several separated by commas (all recordings of one
person). ``label`` is 1/0 (or true/false). Without a label column, a comparison is labelled
from the dataset's speakers when every id has one and every side is one speaker; otherwise
the comparisons are unlabelled (casework): they get scores, not metrics.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, overload

import numpy as np
import polars as pl

from balr.errors import DatasetError

if TYPE_CHECKING:
    from balr.evaluation.trials import Trials
    from balr.scoring.base import Scorer
    from balr.scoring.counts import Counts

_LABEL_VALUES = {"1": True, "0": False, "true": True, "false": False}

# Comparisons scored per call: bounds the gathered 0/1 rows (and count matrices) in memory.
CHUNK = 1 << 16
# Cells (comparisons x attributes) per chunk of the multi-recording path.
COUNT_CELLS = 1 << 22


class RowGroups(Sequence[np.ndarray]):
    """Dataset rows of each side, stored flat (``values``) with ``offsets`` [P + 1].

    Indexing gives the rows of one side; a million one-recording sides cost two arrays,
    not a million small ones.
    """

    def __init__(self, values: np.ndarray, offsets: np.ndarray) -> None:
        self.values = np.asarray(values, dtype=np.int64)
        self.offsets = np.asarray(offsets, dtype=np.int64)

    @classmethod
    def of(cls, groups: Sequence[np.ndarray]) -> RowGroups:
        """RowGroups of a list of row arrays (returned unchanged when already RowGroups)."""
        if isinstance(groups, RowGroups):
            return groups
        sizes = np.fromiter((len(g) for g in groups), dtype=np.int64, count=len(groups))
        offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
        parts = [np.asarray(g, dtype=np.int64).ravel() for g in groups]
        values = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return cls(values, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, index: int) -> np.ndarray: ...
    @overload
    def __getitem__(self, index: slice) -> RowGroups: ...
    def __getitem__(self, index: int | slice) -> np.ndarray | RowGroups:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                raise ValueError("RowGroups slices must be contiguous")
            offsets = self.offsets[start : stop + 1]
            return RowGroups(self.values[offsets[0] : offsets[-1]], offsets - offsets[0])
        i = range(len(self))[index]
        return self.values[self.offsets[i] : self.offsets[i + 1]]

    def __iter__(self) -> Iterator[np.ndarray]:
        return (self[i] for i in range(len(self)))

    def sizes(self) -> np.ndarray:
        """int64 [P]: recordings per side."""
        return np.diff(self.offsets)


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


def read_comparisons(path: Path, ids: list[str], labels: np.ndarray | None = None) -> Comparisons:
    """Read a trial file (see the module docstring) against a dataset's ids.

    Args:
        path: tab-separated trial file with a header.
        ids: the dataset's ids, in row order.
        labels: int64 [N] speaker label per dataset row (-1: none); used only when the file
            has no label column.

    Returns:
        The comparisons in file order.

    Raises:
        DatasetError: the file is missing or malformed, a side is empty, an id is not in
            the dataset (the message names the id, the file and its line), or a label is
            not 1/0.
    """
    path = Path(path)
    frame = _read_table(path)
    index = {name: i for i, name in enumerate(ids)}
    enroll = _side_rows(frame["enrollment"], "enrollment", index, path)
    test = _side_rows(frame["test"], "test", index, path)
    if "label" in frame.columns:
        target: np.ndarray | None = _parse_labels(frame["label"], path)
    else:
        target = _labels_from_speakers(enroll, test, labels)
    return Comparisons(
        enrollment=frame["enrollment"].to_list(),
        test=frame["test"].to_list(),
        enroll_rows=enroll,
        test_rows=test,
        labels=target,
    )


def _read_table(path: Path) -> pl.DataFrame:
    if not path.is_file():
        raise DatasetError(f"{path}: trial file not found; check the TRIALS path")
    try:
        # Every column as text: numeric-looking ids must stay ids.
        frame = pl.read_csv(path, separator="\t", infer_schema=False, quote_char=None)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DatasetError(
            f"{path}: cannot read the trial file ({first}); write it as tab-separated"
            " 'enrollment<TAB>test[<TAB>label]' with a header"
        ) from err
    missing = [c for c in ("enrollment", "test") if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"{path}: missing column(s) {', '.join(missing)} (found {', '.join(frame.columns)});"
            " write a tab-separated header 'enrollment<TAB>test[<TAB>label]'"
        )
    if frame.height == 0:
        raise DatasetError(f"{path}: the trial file has no comparisons; add rows below the header")
    return frame.with_columns(pl.col("enrollment", "test").fill_null("").str.strip_chars())


def _side_rows(column: pl.Series, name: str, index: dict[str, int], path: Path) -> RowGroups:
    """Dataset rows of every cell of `column` (one side per cell)."""
    cells = column.to_list()
    if not column.str.contains(",", literal=True).any():
        rows = column.replace_strict(index, default=-1, return_dtype=pl.Int64).to_numpy()
        bad = np.flatnonzero(rows < 0)
        if bad.size:
            _fail_cell(cells[int(bad[0])], name, int(bad[0]), index, path)
        return RowGroups(rows, np.arange(len(rows) + 1, dtype=np.int64))
    groups: list[np.ndarray] = []
    cache: dict[str, np.ndarray] = {}
    for r, cell in enumerate(cells):
        if cell not in cache:
            cache[cell] = _cell_rows(cell, name, r, index, path)
        groups.append(cache[cell])
    return RowGroups.of(groups)


def _cell_rows(cell: str, name: str, r: int, index: dict[str, int], path: Path) -> np.ndarray:
    parts = [p.strip() for p in cell.split(",")]
    if any(p not in index for p in parts):
        _fail_cell(cell, name, r, index, path)
    if len(set(parts)) < len(parts):
        twice = next(p for p in parts if parts.count(p) > 1)
        raise DatasetError(
            f"{path}: line {r + 2}: the {name} side lists id {twice!r} twice; list each"
            " recording of a side once"
        )
    return np.asarray([index[p] for p in parts], dtype=np.int64)


def _fail_cell(cell: str, name: str, r: int, index: dict[str, int], path: Path) -> None:
    """Raise the DatasetError of a side cell that is empty or names an unknown id."""
    parts = [p.strip() for p in cell.split(",")]
    if not cell or not all(parts):
        raise DatasetError(
            f"{path}: line {r + 2}: the {name} side is empty or has an empty id ({cell!r});"
            " give one dataset id, or several separated by commas"
        )
    unknown = next(p for p in parts if p not in index)
    raise DatasetError(
        f"{path}: line {r + 2}: {name} id {unknown!r} is not in the dataset; use ids from"
        " the dataset's id column (or add the recording to the dataset)"
    )


def _parse_labels(column: pl.Series, path: Path) -> np.ndarray:
    text = column.fill_null("").str.strip_chars().str.to_lowercase()
    parsed = text.replace_strict(_LABEL_VALUES, default=None, return_dtype=pl.Boolean)
    bad = np.flatnonzero(parsed.is_null().to_numpy())
    if bad.size:
        r = int(bad[0])
        raise DatasetError(
            f"{path}: line {r + 2}: label {column[r] or ''!r} is not 1/0 or true/false; fix"
            " it, or drop the label column to label comparisons from the dataset's speakers"
        )
    return parsed.to_numpy().astype(bool)


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
    if comparisons.single():
        return np.asarray(scorer.score_rows(bits, enroll.values, test.values), dtype=np.float64)
    out = np.empty(len(comparisons), dtype=np.float64)
    sizes = np.stack([enroll.sizes(), test.sizes()], axis=1)
    shapes, group_of = np.unique(sizes, axis=0, return_inverse=True)
    for g, (ne, nt) in enumerate(shapes.tolist()):
        members = np.flatnonzero(group_of.reshape(-1) == g)
        out[members] = _score_group(scorer, bits, enroll, test, members, (ne, nt))
    return out


def _score_group(
    scorer: Scorer,
    bits: np.ndarray,
    enroll: RowGroups,
    test: RowGroups,
    members: np.ndarray,
    shape: tuple[int, int],
) -> np.ndarray:
    """LLRs of the comparisons `members`, whose sides hold shape = (ne, nt) recordings."""
    from balr.scoring.counts import Counts

    k = int(bits.shape[1])
    ne, nt = shape
    cells = _cells(scorer, k, ne, nt) if (ne + 1) * (nt + 1) <= len(members) else None
    # score_counts builds several float64 [chunk, k] temporaries: keep each near 32 MiB.
    chunk = max(1, min(CHUNK, COUNT_CELLS // max(k, 1)))
    out = np.empty(len(members), dtype=np.float64)
    for start in range(0, len(members), chunk):
        rows = members[start : start + chunk]
        e = Counts.of_rows(bits, [enroll[int(i)] for i in rows])
        t = Counts.of_rows(bits, [test[int(i)] for i in rows])
        if cells is None:
            out[start : start + len(rows)] = scorer.score_counts(e, t)
        else:
            flat = (e.active * (nt + 1) + t.active) * k + np.arange(k)
            out[start : start + len(rows)] = cells.reshape(-1)[flat].sum(axis=1)
    return out


def _cells(scorer: Scorer, k: int, ne: int, nt: int) -> np.ndarray:
    """float64 [(ne + 1)(nt + 1), k]: contribution of each attribute for counts (a_e, a_t).

    Row a_e * (nt + 1) + a_t holds the contributions when a_e of the ne enrollment
    recordings and a_t of the nt test recordings show the attribute.
    """
    from balr.scoring.counts import Counts

    a_e = np.repeat(np.arange(ne + 1), nt + 1)[:, None].repeat(k, axis=1)
    a_t = np.tile(np.arange(nt + 1), ne + 1)[:, None].repeat(k, axis=1)
    return scorer.contributions(Counts(a_e, ne - a_e), Counts(a_t, nt - a_t))


def iter_counts(
    bits: np.ndarray, comparisons: Comparisons, chunk: int = CHUNK
) -> Iterator[tuple[int, tuple[Counts, Counts]]]:
    """(first index, (enrollment Counts, test Counts)) of each chunk of comparisons."""
    from balr.scoring import counts

    enroll, test = RowGroups.of(comparisons.enroll_rows), RowGroups.of(comparisons.test_rows)
    for start in range(0, len(comparisons), chunk):
        stop = min(start + chunk, len(comparisons))
        yield (
            start,
            (
                counts.Counts.of_rows(bits, list(enroll[start:stop])),
                counts.Counts.of_rows(bits, list(test[start:stop])),
            ),
        )


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
    if parts < 2 or len(speakers) < 2 * parts:
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
