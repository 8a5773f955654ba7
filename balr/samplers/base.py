"""Base class of the NxM samplers: N classes x M samples per batch, distributed-aware."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler


class NxMSampler(Sampler[int]):
    """Yields dataset indices in batches of N classes x M samples per class.

    Subclasses decide how an epoch's batches are drawn (`_epoch_batches`); this class
    maps labels to classes, checks the batch geometry, seeds each epoch from
    (seed, epoch) and deals batches to replicas in distributed runs.

    Args:
        labels: one label per sample (ints or strings; numpy array, tensor or sequence).
        N_classes_per_batch: classes per batch (N).
        M_samples_per_class: samples per class in a batch (M).
        batch_size: optional; when given it must equal N * M.
        shuffle: randomise the epoch (class order, samples within classes).
        drop_last: how a last incomplete group of classes is handled (see subclasses).
        num_replicas: number of distributed processes; None takes it from torch.distributed.
        rank: this process's rank; -1 means not distributed.
        seed: seed of every epoch's random draws, combined with the epoch number.
    """

    def __init__(
        self,
        labels: np.ndarray | torch.Tensor | Sequence[Any],
        N_classes_per_batch: int,
        M_samples_per_class: int,
        batch_size: int | None = None,
        shuffle: bool = True,
        drop_last: bool = False,
        num_replicas: int | None = None,
        rank: int = -1,
        seed: int = 1234,
    ) -> None:
        self.N = _positive_int("N_classes_per_batch", N_classes_per_batch)
        self.M = _positive_int("M_samples_per_class", M_samples_per_class)
        if batch_size is not None and batch_size != self.N * self.M:
            raise ValueError(
                f"batch_size={batch_size} must equal N_classes_per_batch * M_samples_per_class"
                f" = {self.N} x {self.M} = {self.N * self.M}"
            )
        self.batch_size = self.N * self.M
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = int(seed)
        self.epoch = 0
        self.num_replicas, self.rank = _replicas(num_replicas, rank)
        self.classes, self.sample_classes, self.order = _group(labels)
        self.class_counts = np.bincount(self.sample_classes, minlength=self.num_classes)
        self.class_starts = np.cumsum(self.class_counts) - self.class_counts
        if self.num_classes < self.N:
            raise ValueError(
                f"N_classes_per_batch={self.N} but the labels hold only {self.num_classes}"
                " distinct classes: lower N_classes_per_batch"
            )

    @property
    def num_classes(self) -> int:
        """Number of distinct labels."""
        return len(self.classes)

    @property
    def num_samples(self) -> int:
        """Number of labels (dataset rows)."""
        return len(self.order)

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose batches are drawn; call it every epoch on every replica."""
        self.epoch = int(epoch)

    def batch_array(self) -> np.ndarray:
        """This replica's batches of the current epoch as one int64 array [batches, N*M]."""
        rng = np.random.default_rng([self.seed % 2**63, self.epoch % 2**63])
        batches = self._epoch_batches(rng)
        if self.num_replicas > 1:
            batches = self._deal(batches)
        return batches.astype(np.int64, copy=False)

    def batches(self) -> list[np.ndarray]:
        """This replica's batches of the current epoch (int64 index arrays of length N*M)."""
        return list(self.batch_array())

    def __iter__(self) -> Iterator[int]:
        return iter(self.batch_array().ravel().tolist())

    def __len__(self) -> int:
        return self.num_batches() * self.batch_size

    def num_batches(self) -> int:
        """Number of batches this replica gets per epoch."""
        total = self._num_epoch_batches()
        if self.num_replicas > 1:
            return -(-total // self.num_replicas)
        return total

    def _deal(self, batches: np.ndarray) -> np.ndarray:
        """Batch i goes to replica i mod R; the first batches are reused to even the counts."""
        total = len(batches)
        if total == 0:
            return batches
        per_replica = -(-total // self.num_replicas)
        dealt = np.arange(per_replica * self.num_replicas) % total
        return batches[dealt[self.rank :: self.num_replicas]]

    def _epoch_batches(self, rng: np.random.Generator) -> np.ndarray:
        """All batches of one epoch, before distribution: int array [batches, N*M]."""
        raise NotImplementedError

    def _num_epoch_batches(self) -> int:
        """Number of batches `_epoch_batches` returns (the same every epoch)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(samples={self.num_samples}, classes={self.num_classes},"
            f" N={self.N}, M={self.M}, shuffle={self.shuffle}, drop_last={self.drop_last},"
            f" replicas={self.num_replicas}, rank={self.rank}, seed={self.seed})"
        )


def _positive_int(name: str, value: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer")
    return int(value)


def _replicas(num_replicas: int | None, rank: int) -> tuple[int, int]:
    """(replicas, rank) of this process; (1, 0) when not distributed."""
    if rank < 0:
        return 1, 0
    if num_replicas is None:
        dist = torch.distributed
        if not (dist.is_available() and dist.is_initialized()):
            raise ValueError(
                f"rank={rank} needs num_replicas, and torch.distributed is not initialised:"
                " pass num_replicas"
            )
        num_replicas = dist.get_world_size()
    if num_replicas < 1 or rank >= num_replicas:
        raise ValueError(f"rank={rank} must lie in [0, num_replicas={num_replicas})")
    return int(num_replicas), int(rank)


def _group(
    labels: np.ndarray | torch.Tensor | Sequence[Any],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted distinct labels, each sample's class number, and the dataset indices
    grouped by class (dataset order within a class)."""
    if isinstance(labels, torch.Tensor):
        labels = labels.detach().cpu().numpy()
    values = np.asarray(labels)
    if values.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {values.shape}")
    classes, inverse = np.unique(values, return_inverse=True)
    # Small integer keys make numpy's stable sort a radix sort.
    key_type = np.int16 if len(classes) <= np.iinfo(np.int16).max else np.int64
    sample_classes = inverse.reshape(-1).astype(key_type)
    order = np.argsort(sample_classes, kind="stable").astype(np.int64)
    return classes, sample_classes, order
