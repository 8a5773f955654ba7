"""Per-attribute counts of a group of recordings: the input of every scorer.

A side of a comparison (one or several recordings of one person), or a reference
speaker, is summarised per attribute i by (a_i, n_i): its recordings with b_i = 1 and
with b_i = 0. Scorers only ever see these counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from balr.errors import BalrError

# Rows summed per step: bounds the temporary int64 copy at 64 MiB for 512 attributes.
_CHUNK_ROWS = 1 << 14
# Rows checked per step: small enough for the cache, so checking costs no page faults.
_CHECK_ROWS = 1 << 11


def check_bits(bits: np.ndarray, what: str = "binary attributes") -> np.ndarray:
    """`bits` as a 2-D array of 0/1 values (no copy when it already is one).

    Raises:
        BalrError: not 2-D, or a value other than 0 and 1.
    """
    array = as_matrix(bits, what)
    for start in range(0, len(array), _CHECK_ROWS):
        check_block(array[start : start + _CHECK_ROWS], start, what)
    return array


def as_matrix(bits: np.ndarray, what: str = "binary attributes") -> np.ndarray:
    """`bits` as a 2-D numeric array (bool viewed as uint8); values are not checked."""
    array = np.asarray(bits)
    if array.ndim != 2:
        raise BalrError(f"{what}: expected a 2-D [recordings, attributes] array, got {array.shape}")
    if array.dtype == np.bool_:
        return array.view(np.uint8)
    if array.dtype.kind not in "biuf":
        raise BalrError(f"{what}: holds {array.dtype} values: binary attributes must be 0 or 1")
    return array


def check_block(block: np.ndarray, first_row: int | np.ndarray, what: str) -> None:
    """BalrError naming the first row of `block` holding a value other than 0 and 1.

    `first_row`: the row number of the block's first row, or the row number of each row.
    """
    for start in range(0, len(block), _CHECK_ROWS):
        part = block[start : start + _CHECK_ROWS]
        if not part.size or _is_binary(part):
            continue
        bad = (part != 0) & (part != 1)
        local = start + int(np.argmax(bad.any(axis=1)))
        row = first_row + local if isinstance(first_row, int) else int(first_row[local])
        raise BalrError(
            f"{what}: row {row} holds values other than 0 and 1: binarise the vectors again"
        )


def _is_binary(block: np.ndarray) -> bool:
    if block.dtype.kind in "iu":  # reductions only: no temporary as large as the block
        return bool(block.max() <= 1 and (block.dtype.kind == "u" or block.min() >= 0))
    return bool(((block == 0) | (block == 1)).all())


@dataclass(frozen=True)
class Counts:
    """Per-attribute counts of P groups of recordings.

    Attributes:
        active: int64 [P, k], recordings of each group with the attribute active.
        inactive: int64 [P, k], recordings of each group with it inactive.
    """

    active: np.ndarray
    inactive: np.ndarray

    def __post_init__(self) -> None:
        active = np.asarray(self.active, dtype=np.int64)
        inactive = np.asarray(self.inactive, dtype=np.int64)
        if active.ndim != 2 or active.shape != inactive.shape:
            raise ValueError(
                f"active and inactive must be 2-D of one shape, got {active.shape}"
                f" and {inactive.shape}"
            )
        if (active < 0).any() or (inactive < 0).any():
            raise ValueError("counts must be non-negative")
        object.__setattr__(self, "active", active)
        object.__setattr__(self, "inactive", inactive)

    @property
    def n_groups(self) -> int:
        """P, the number of groups (rows)."""
        return int(self.active.shape[0])

    @property
    def n_attributes(self) -> int:
        """k, the number of attributes."""
        return int(self.active.shape[1])

    @property
    def total(self) -> np.ndarray:
        """int64 [P, k]: recordings per group and attribute (a + n)."""
        return self.active + self.inactive

    def __len__(self) -> int:
        return self.n_groups

    def __getitem__(self, rows: slice | np.ndarray) -> Counts:
        return Counts(self.active[rows], self.inactive[rows])

    @classmethod
    def of_rows(cls, bits: np.ndarray, groups: Sequence[np.ndarray]) -> Counts:
        """Counts of each group of rows of `bits` (one output row per group, e.g. per side).

        Args:
            bits: 0/1 [N, k] recordings.
            groups: per group, the int row indices of its recordings (at least one).

        Raises:
            BalrError: a group is empty or points outside `bits`.
        """
        bits = as_matrix(bits)  # only the rows used are checked, as they are gathered
        sizes = np.fromiter((len(g) for g in groups), np.int64, len(groups))
        empty = np.flatnonzero(sizes == 0)
        if len(empty):
            raise BalrError(f"side {int(empty[0])} lists no recording: give every side an id")
        if len(groups) == 0:
            zeros = np.zeros((0, bits.shape[1]), np.int64)
            return cls(zeros, zeros.copy())
        index = np.concatenate([np.asarray(g, dtype=np.int64) for g in groups])
        if index.min() < 0 or index.max() >= len(bits):
            raise BalrError(f"a side points at a recording outside the {len(bits)} given")
        if (sizes == 1).all():
            block = bits[index]
            check_block(block, index, "binary attributes")
            active = block.astype(np.int64)
        else:
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            active = _segment_sums(bits, index, starts)
        return cls(active, sizes[:, None] - active)

    @classmethod
    def of_speakers(cls, bits: np.ndarray, labels: np.ndarray) -> Counts:
        """Counts of every speaker label 0..S-1 (rows labelled -1 are left out).

        Args:
            bits: 0/1 [N, k] recordings.
            labels: int [N] speaker index of each row, -1 for none.
        """
        bits = as_matrix(bits)
        labels = np.asarray(labels, dtype=np.int64).reshape(-1)
        if len(labels) != len(bits):
            raise BalrError(f"{len(labels)} speaker labels given for {len(bits)} recordings")
        n_speakers = int(labels.max()) + 1 if len(labels) else 0
        order = np.argsort(labels, kind="stable")
        order = order[labels[order] >= 0]
        sorted_labels = labels[order]
        starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
        starts = starts if len(order) else starts[:0]
        active = np.zeros((n_speakers, bits.shape[1]), np.int64)
        active[sorted_labels[starts]] = _segment_sums(bits, order, starts)
        sizes = np.bincount(labels[labels >= 0], minlength=n_speakers)
        return cls(active, sizes[:, None] - active)


def _segment_sums(bits: np.ndarray, index: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """int64 [len(starts), k]: sums of ``bits[index]`` over the segments beginning at `starts`.

    The rows are gathered in chunks, so a million-row reference never needs a full copy.
    """
    out = np.zeros((len(starts), bits.shape[1]), np.int64)
    if not len(starts):
        return out
    # Segment of every position of `index`.
    segment_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(index)]))
    for begin in range(0, len(index), _CHUNK_ROWS):
        end = min(begin + _CHUNK_ROWS, len(index))
        block = bits[index[begin:end]]
        check_block(block, index[begin:end], "binary attributes")
        segments = segment_of[begin:end]
        local = np.flatnonzero(np.r_[True, segments[1:] != segments[:-1]])
        out[segments[local]] += np.add.reduceat(block, local, axis=0, dtype=np.int64)
    return out
