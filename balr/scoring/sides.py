"""Sides of comparisons as groups of dataset rows, and scoring them in bounded chunks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, overload

import numpy as np

if TYPE_CHECKING:
    from balr.scoring.base import Scorer
    from balr.scoring.counts import Counts

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


def score_sides(scorer: Scorer, bits: np.ndarray, enroll: RowGroups, test: RowGroups) -> np.ndarray:
    """float64 [P]: LLR of enrollment side i against test side i (see score_comparisons)."""
    if bool(np.all(enroll.sizes() == 1) and np.all(test.sizes() == 1)):
        return np.asarray(scorer.score_rows(bits, enroll.values, test.values), dtype=np.float64)
    out = np.empty(len(enroll), dtype=np.float64)
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
    bits: np.ndarray, enroll: Sequence[np.ndarray], test: Sequence[np.ndarray], chunk: int = CHUNK
) -> Iterator[tuple[int, tuple[Counts, Counts]]]:
    """(first index, (enrollment Counts, test Counts)) of each chunk of sides."""
    from balr.scoring.counts import Counts

    enroll, test = RowGroups.of(enroll), RowGroups.of(test)
    for start in range(0, len(enroll), chunk):
        stop = min(start + chunk, len(enroll))
        e = Counts.of_rows(bits, list(enroll[start:stop]))
        yield start, (e, Counts.of_rows(bits, list(test[start:stop])))
