"""Counts.of_rows and Counts.of_speakers against loops."""

from __future__ import annotations

import numpy as np
import pytest

from balr.errors import BalrError
from balr.scoring import counts as counts_module
from balr.scoring.counts import Counts


def test_of_rows_counts_each_side(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counts_module, "_CHUNK_ROWS", 3)  # sides straddle chunks
    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (20, 5)).astype(np.uint8)
    groups = [np.array([0, 1, 2, 3, 4]), np.array([7]), np.array([19, 2, 2]), np.array([5, 6])]
    counts = Counts.of_rows(bits, groups)
    for row, group in enumerate(groups):
        np.testing.assert_array_equal(counts.active[row], bits[group].sum(axis=0))
        np.testing.assert_array_equal(counts.inactive[row], len(group) - bits[group].sum(axis=0))


def test_of_speakers_counts_each_label_and_skips_unlabelled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(counts_module, "_CHUNK_ROWS", 4)
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2, (30, 6)).astype(bool)
    labels = rng.integers(-1, 4, 30)
    counts = Counts.of_speakers(bits, labels)
    assert counts.n_groups == 4
    for s in range(4):
        rows = bits[labels == s].astype(np.int64)
        np.testing.assert_array_equal(counts.active[s], rows.sum(axis=0))
        np.testing.assert_array_equal(counts.total[s], np.full(6, len(rows)))


def test_empty_side_is_refused() -> None:
    with pytest.raises(BalrError, match="side 1 lists no recording"):
        Counts.of_rows(np.zeros((3, 2), np.uint8), [np.array([0]), np.array([], np.int64)])


def test_values_other_than_zero_and_one_are_refused() -> None:
    bits = np.array([[0, 1], [2, 0], [1, 1]])
    with pytest.raises(BalrError, match="row 1 holds values other than 0 and 1"):
        Counts.of_rows(bits, [np.array([2]), np.array([1])])
    with pytest.raises(BalrError, match="row 1 holds values other than 0 and 1"):
        Counts.of_rows(bits, [np.array([0, 2]), np.array([2, 1])])
    # Only the rows a side uses are read (and checked).
    assert Counts.of_rows(bits, [np.array([0, 2])]).active.tolist() == [[1, 2]]
    with pytest.raises(BalrError, match="row 0"):
        Counts.of_speakers(np.array([[0.5, 1.0]]), np.array([0]))


def test_side_outside_the_recordings_is_refused() -> None:
    with pytest.raises(BalrError, match="outside the 2 given"):
        Counts.of_rows(np.zeros((2, 3), np.uint8), [np.array([2])])
