"""Exhaustive NxM batches: every sample of every class is visited each epoch."""

from __future__ import annotations

import numpy as np

from balr.samplers.base import NxMSampler


class ExhaustiveNxMSampler(NxMSampler):
    """Visits every sample, M consecutive samples of one class at a time.

    Each class's indices (dataset order, or shuffled when ``shuffle``) are padded by
    wrapping around to a multiple of M. Then, round after round, every class with
    indices left contributes its next M, in class order (shuffled when ``shuffle``),
    until all are used. When these M-chunks do not fill whole batches of N, the
    sequence wraps around to its first chunks to fill the last batch; with
    ``drop_last`` the leftover chunks are dropped instead (without ``shuffle``, the
    same ones every epoch). Batches usually, not always, hold N distinct classes.
    """

    def _chunks_per_class(self) -> np.ndarray:
        return -(-self.class_counts // self.M)

    def _num_epoch_batches(self) -> int:
        chunks = int(self._chunks_per_class().sum())
        return chunks // self.N if self.drop_last else -(-chunks // self.N)

    def _epoch_batches(self, rng: np.random.Generator) -> np.ndarray:
        if self.shuffle:
            classes, pool = rng.permutation(self.num_classes), self._shuffled_within_classes(rng)
        else:
            classes, pool = np.arange(self.num_classes), self.order
        chunks = self._chunks_per_class()[classes]
        chunk_class = np.repeat(classes, chunks)
        chunk_round = np.arange(chunk_class.size) - np.repeat(np.cumsum(chunks) - chunks, chunks)
        # Round-major; the stable sort keeps the class order within a round. np.resize
        # cuts (drop_last) or repeats from the start (wrap-around) to whole batches; there
        # are at least N chunks (one per class), so one wrap always suffices.
        sequence = np.resize(
            np.argsort(chunk_round, kind="stable"), self._num_epoch_batches() * self.N
        )
        cls, rnd = chunk_class[sequence], chunk_round[sequence]
        offsets = (rnd[:, None] * self.M + np.arange(self.M)) % self.class_counts[cls][:, None]
        rows = pool[self.class_starts[cls][:, None] + offsets]
        return rows.reshape(-1, self.N * self.M)

    def _shuffled_within_classes(self, rng: np.random.Generator) -> np.ndarray:
        """Dataset indices grouped by class like `order`, in random order within a class."""
        permutation = rng.permutation(self.num_samples)
        return permutation[np.argsort(self.sample_classes[permutation], kind="stable")]
