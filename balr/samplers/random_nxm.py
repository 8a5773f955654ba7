"""Random NxM batches: every class once per epoch, M random samples each."""

from __future__ import annotations

import numpy as np

from balr.samplers.base import NxMSampler


class RandomNxMSampler(NxMSampler):
    """Each epoch uses every class once, in groups of N distinct classes.

    For each class, M of its samples are drawn at random: without replacement when
    the class has at least M samples, otherwise all of them plus random repeats.
    When the class count is not a multiple of N, the leftover classes are dropped
    (``drop_last``) or the class list is padded by wrapping around to its start.
    ``shuffle`` randomises the class order; the samples are always drawn at random.
    Within a batch, each class's M indices are contiguous and sorted.
    """

    def _num_epoch_batches(self) -> int:
        if self.drop_last:
            return self.num_classes // self.N
        return -(-self.num_classes // self.N)

    def _epoch_batches(self, rng: np.random.Generator) -> np.ndarray:
        classes = rng.permutation(self.num_classes) if self.shuffle else np.arange(self.num_classes)
        used = self._num_epoch_batches() * self.N
        # A class must appear once per draw: the wrap-around repeats get a second draw.
        main, repeats = classes[:used], classes[: max(used - len(classes), 0)]
        pool = self.order.copy()
        rows = np.concatenate([self._draw(main, pool, rng), self._draw(repeats, pool, rng)])
        rows.sort(axis=1)
        return rows.reshape(-1, self.N * self.M)

    def _draw(self, classes: np.ndarray, pool: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """M dataset indices per class of `classes` (distinct classes): [len(classes), M]."""
        starts, counts = self.class_starts[classes], self.class_counts[classes]
        rows = np.empty((len(classes), self.M), dtype=np.int64)
        enough = counts >= self.M
        rows[enough] = self._without_replacement(starts[enough], counts[enough], pool, rng)
        rows[~enough] = self._all_plus_repeats(starts[~enough], counts[~enough], rng)
        return rows

    def _without_replacement(
        self, starts: np.ndarray, counts: np.ndarray, pool: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Partial Fisher-Yates on each class's slice of `pool`, all classes at once."""
        for j in range(self.M):
            here = starts + j
            there = here + rng.integers(0, counts - j)
            pool[here], pool[there] = pool[there], pool[here]
        return pool[starts[:, None] + np.arange(self.M)]

    def _all_plus_repeats(
        self, starts: np.ndarray, counts: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Every sample of each small class once, the rest of the M drawn with replacement."""
        column = np.arange(self.M)
        repeats = rng.integers(0, counts[:, None], size=(len(counts), self.M))
        offsets = np.where(column < counts[:, None], column, repeats)
        return self.order[starts[:, None] + offsets]
