"""Verification trial lists: pairs of dataset rows, labelled target or non-target.

The default validation list is drawn once per run by :func:`draw_trials`:

- target (same-speaker) pairs: all of them when there are at most
  ``max_pairs``, else ``max_pairs`` drawn uniformly without replacement;
- non-target (different-speaker) pairs: the same rule, capped separately.

Each class is capped on its own rather than matched to the other's count:
EER and minDCF use per-class rates, so unequal counts do not bias them, and
keeping every cheap non-target pair steadies the low-false-alarm region that
minDCF at P_target = 0.01 depends on. A small validation set (e.g. 147
samples) therefore gets every pair, the same list as an exhaustive trial file.

Pairs are unordered, never a row with itself, and never repeated; the row
with the lower index is the enrollment side. Rows whose label is -1 (no
speaker) take no part. A user-supplied list is read by :func:`read_trials`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from balr.errors import DatasetError


@dataclass(frozen=True)
class Trials:
    """A list of verification trials over the rows of one dataset.

    Attributes:
        enroll: int64 [T] row index of the enrollment side of each trial.
        test: int64 [T] row index of the test side.
        labels: bool [T], True for a target (same-speaker) trial.
    """

    enroll: np.ndarray
    test: np.ndarray
    labels: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.enroll)
        if len(self.test) != n or len(self.labels) != n:
            raise ValueError("enroll, test and labels must have the same length")

    def __len__(self) -> int:
        return len(self.enroll)

    @property
    def num_targets(self) -> int:
        """Number of target (same-speaker) trials."""
        return int(np.count_nonzero(self.labels))

    @property
    def num_nontargets(self) -> int:
        """Number of non-target (different-speaker) trials."""
        return len(self) - self.num_targets


def as_label_array(labels: Any) -> np.ndarray:
    """Speaker labels (tensor, array or sequence of ints) as a 1-D int64 array."""
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    array = np.asarray(labels)
    if array.ndim != 1 or not (array.size == 0 or np.issubdtype(array.dtype, np.integer)):
        raise ValueError("labels must be a 1-D sequence of integer speaker labels")
    return array.astype(np.int64, copy=False)


def _pick(total: int, max_pairs: int, rng: np.random.Generator) -> np.ndarray:
    """Linear pair indices: all of ``range(total)`` or a sorted uniform sample."""
    if total <= max_pairs:
        return np.arange(total, dtype=np.int64)
    # Generator.choice without replacement does not materialise range(total).
    return np.sort(rng.choice(total, size=max_pairs, replace=False).astype(np.int64))


def _pairs_in_ranges(
    lo: np.ndarray, hi: np.ndarray, max_pairs: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (p, q) with ``lo[p] <= q < hi[p]``, all or a uniform sample.

    Each position ``p`` owns one contiguous range of partners, so the k-th pair
    overall is found by a search over the running count: no pair is enumerated.
    """
    counts = hi - lo
    ends = np.cumsum(counts)
    k = _pick(int(ends[-1]) if ends.size else 0, max_pairs, rng)
    p = np.searchsorted(ends, k, side="right")
    q = lo[p] + (k - (ends[p] - counts[p]))
    return p, q


def draw_trials(labels: Any, max_pairs: int = 50_000, seed: int = 1234) -> Trials:
    """Draw a trial list from speaker labels (see the module docstring).

    Args:
        labels: int [N] speaker label per dataset row; -1 marks a row without
            speaker, which is left out.
        max_pairs: Cap on target pairs and, separately, on non-target pairs.
        seed: Seed of the draw; the same labels and seed give the same list.

    Returns:
        Trials with the target pairs first, then the non-target pairs, each
        ordered by (enroll, test) position in the speaker-sorted rows.

    Raises:
        DatasetError: No speaker has two samples (no target pair) or fewer
            than two speakers are present (no non-target pair).
    """
    if max_pairs < 1:
        raise ValueError(f"max_pairs must be positive, got {max_pairs}")
    lab = as_label_array(labels)
    rows = np.flatnonzero(lab >= 0)
    order = rows[np.argsort(lab[rows], kind="stable")]  # rows grouped by speaker
    _, counts = np.unique(lab[order], return_counts=True)
    if counts.size < 2:
        raise DatasetError(
            f"the validation set has {counts.size} speaker(s); different-speaker trials "
            "need at least 2: add speakers to the val dataset"
        )
    if counts.max() < 2:
        raise DatasetError(
            "no val speaker has 2 or more samples, so there are no same-speaker trials: "
            "add samples per speaker to the val dataset"
        )
    position = np.arange(order.size, dtype=np.int64)
    block_end = np.repeat(np.cumsum(counts), counts)  # end of each position's speaker block
    rng = np.random.default_rng(seed)
    tar = _pairs_in_ranges(position + 1, block_end, max_pairs, rng)
    non = _pairs_in_ranges(block_end, np.full_like(position, order.size), max_pairs, rng)
    a = order[np.concatenate((tar[0], non[0]))]
    b = order[np.concatenate((tar[1], non[1]))]
    is_target = np.zeros(a.size, dtype=bool)
    is_target[: tar[0].size] = True
    return Trials(np.minimum(a, b), np.maximum(a, b), is_target)
