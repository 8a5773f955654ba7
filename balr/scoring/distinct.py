"""One recording may appear once per comparison: the guard of trial lists and `balr compare`.

A recording compared with itself gives an absurd LR (`balr compare A A` gave 10^157), and one
counted twice on a side weighs double as if it were independent evidence. A recording appears
twice when the same id, the same file or the same content (sha256 of the file's bytes) is
named twice: twice on one side, or on both sides of one comparison.

Recordings are numbered so that two names of one recording share a number (:func:`same_as`);
:func:`first_repeat` then finds the first comparison holding a number twice, vectorised over
a whole trial list.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from balr.scoring.sides import RowGroups

if TYPE_CHECKING:
    from balr.data.dataset import AudioDataset

SIDES = ("enrollment", "test")
# The file a dataset item is read from, first found first (binary attributes are read before
# an embedding, audio only without either): two items read from one file are one recording.
# Only that file: segments of one recording share its audio but not their vectors.
FILE_KINDS = ("binary_attributes", "embedding", "audio")


@dataclass(frozen=True)
class Repeat:
    """A recording named twice in one comparison.

    Attributes:
        comparison: index of the comparison.
        rows: the two rows (dataset rows, or positions of the names) naming the recording.
        sides: the side of each (0: enrollment, 1: test).
    """

    comparison: int
    rows: tuple[int, int]
    sides: tuple[int, int]

    def where(self, one_name: bool = True) -> str:
        """'twice on the test side' or 'on both sides' (of two names: 'both on the test
        side' or 'one on each side')."""
        if self.sides[0] != self.sides[1]:
            return "on both sides" if one_name else "one on each side"
        return f"{'twice' if one_name else 'both'} on the {SIDES[self.sides[0]]} side"

    def describe(self, names: Sequence[str], by: str) -> str:
        """The repeat in words, naming its recording(s) by `names` (indexed by `rows`);
        `by` says how two names were found to be one recording (e.g. "same file")."""
        a, b = (names[row] for row in self.rows)
        if a == b:
            return f"recording {a!r} appears {self.where()}"
        return f"{a!r} and {b!r} are one recording ({by}), {self.where(False)}"


def same_as(keys: Sequence[Sequence[Hashable]]) -> np.ndarray:
    """int64 [n]: for each recording, the first recording sharing any of its keys (by chains).

    Args:
        keys: per recording, what identifies it (its id, resolved path, content digest...).
    """
    parent = list(range(len(keys)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[Hashable, int] = {}
    for i, recording in enumerate(keys):
        for key in recording:
            j = owner.setdefault(key, i)
            a, b = root(i), root(j)
            parent[max(a, b)] = min(a, b)
    return np.fromiter((root(i) for i in range(len(keys))), dtype=np.int64, count=len(keys))


def first_repeat(
    enroll: RowGroups, test: RowGroups, same: np.ndarray | None = None
) -> Repeat | None:
    """The first comparison in which one recording appears twice, else None.

    Args:
        enroll: rows of each enrollment side.
        test: rows of each test side.
        same: int64 [N], per row the number of its recording (:func:`same_as`); None when
            every row is its own recording.
    """
    rows = np.concatenate([enroll.values, test.values])
    keys = rows if same is None else np.asarray(same, dtype=np.int64)[rows]
    n = len(enroll)
    if bool(np.all(enroll.sizes() == 1) and np.all(test.sizes() == 1)):
        bad = np.flatnonzero(keys[:n] == keys[n:])
        return (
            Repeat(int(bad[0]), (int(rows[bad[0]]), int(rows[n + bad[0]])), (0, 1))
            if bad.size
            else None
        )
    comparison = np.concatenate(
        [np.repeat(np.arange(n), enroll.sizes()), np.repeat(np.arange(n), test.sizes())]
    )
    side = np.concatenate(
        [np.zeros(len(enroll.values), np.int8), np.ones(len(test.values), np.int8)]
    )
    order = np.lexsort((side, keys, comparison))
    c, k = comparison[order], keys[order]
    twins = np.flatnonzero((c[1:] == c[:-1]) & (k[1:] == k[:-1]))
    if not twins.size:
        return None
    first, second = order[twins[0]], order[twins[0] + 1]
    return Repeat(
        int(c[twins[0]]),
        (int(rows[first]), int(rows[second])),
        (int(side[first]), int(side[second])),
    )


def recording_numbers(dataset: AudioDataset) -> np.ndarray | None:
    """Per dataset row, the number of its recording when two rows name one file, else None.

    A packed dataset's rows are distinct rows of its matrix: None without looking.
    """
    if dataset.is_packed:
        return None
    files = [source_of(item) for _, item in dataset.iter_dicts()]
    if len(set(files)) == len(files):
        return None
    return same_as([[file] if file is not None else [] for file in files])


def source_of(item: dict[str, Any]) -> str | None:
    """The file (or matrix row) a dataset item's recording is read from, None when none."""
    ref = next((item[kind] for kind in FILE_KINDS if item.get(kind) is not None), None)
    return None if ref is None else str(ref)
