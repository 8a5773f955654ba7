"""NxM samplers in general: distributed dealing, epoch determinism, errors, build_sampler."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from balr.errors import ConfigError
from balr.samplers import (
    ExhaustiveNxMSampler,
    NxMSampler,
    RandomNxMSampler,
    build_sampler,
)

SAMPLERS = [RandomNxMSampler, ExhaustiveNxMSampler]


class EveryClassTwiceSampler(RandomNxMSampler):
    """A user-defined subclass, reachable by its dotted path."""


def _labels(counts: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(counts)), counts)


def _stack(sampler: NxMSampler) -> np.ndarray:
    return np.stack(sampler.batches())


# ------------------------------------------------------------------ distributed
@pytest.mark.parametrize("cls", SAMPLERS)
@pytest.mark.parametrize("replicas", [2, 3])
def test_batch_i_goes_to_replica_i_mod_r(cls: type[NxMSampler], replicas: int) -> None:
    labels = _labels([4] * 12)  # 6 batches of 2x2 (random) / 12 (exhaustive)
    full = _stack(cls(labels, 2, 2, seed=8))
    for rank in range(replicas):
        mine = _stack(cls(labels, 2, 2, seed=8, num_replicas=replicas, rank=rank))
        assert np.array_equal(mine, full[rank::replicas])


def test_first_batches_are_reused_to_even_replica_counts() -> None:
    labels = _labels([2] * 10)  # 5 batches of 2x2, 3 replicas -> 2 each
    full = _stack(RandomNxMSampler(labels, 2, 2, shuffle=False))
    dealt = [
        _stack(RandomNxMSampler(labels, 2, 2, shuffle=False, num_replicas=3, rank=rank))
        for rank in range(3)
    ]
    assert np.array_equal(dealt[0], full[[0, 3]])
    assert np.array_equal(dealt[1], full[[1, 4]])
    assert np.array_equal(dealt[2], full[[2, 0]])


@pytest.mark.parametrize("cls", SAMPLERS)
@pytest.mark.parametrize("replicas", [2, 3])
def test_replicas_get_equal_counts_matching_len(cls: type[NxMSampler], replicas: int) -> None:
    labels = _labels([3, 5, 2, 6, 4, 3, 7])
    for rank in range(replicas):
        sampler = cls(labels, 2, 2, seed=1, num_replicas=replicas, rank=rank)
        expected = -(-cls(labels, 2, 2).num_batches() // replicas)
        assert len(sampler.batches()) == sampler.num_batches() == expected
        assert len(sampler) == expected * 4 == len(list(sampler))


@pytest.mark.parametrize("cls", SAMPLERS)
def test_replicas_shuffle_identically_and_cover_the_epoch(cls: type[NxMSampler]) -> None:
    labels = _labels([4] * 8)
    full = cls(labels, 2, 2, seed=3)
    full.set_epoch(5)
    parts = []
    for rank in range(2):
        sampler = cls(labels, 2, 2, seed=3, num_replicas=2, rank=rank)
        sampler.set_epoch(5)
        parts.append(_stack(sampler))
    merged = np.empty_like(_stack(full))
    merged[0::2], merged[1::2] = parts
    assert np.array_equal(merged, _stack(full))


def test_rank_without_replicas_or_process_group_is_an_error() -> None:
    with pytest.raises(ValueError, match="num_replicas"):
        RandomNxMSampler(_labels([2] * 4), 2, 2, rank=0)


def test_rank_outside_replicas_is_an_error() -> None:
    with pytest.raises(ValueError, match="rank=2"):
        RandomNxMSampler(_labels([2] * 4), 2, 2, num_replicas=2, rank=2)


# ------------------------------------------------------------------ epochs
@pytest.mark.parametrize("cls", SAMPLERS)
def test_same_seed_and_epoch_give_the_same_batches(cls: type[NxMSampler]) -> None:
    labels = _labels([5, 7, 3, 6, 4, 8])
    first, second = cls(labels, 3, 2, seed=11), cls(labels, 3, 2, seed=11)
    first.set_epoch(4)
    second.set_epoch(4)
    assert np.array_equal(_stack(first), _stack(second))
    assert np.array_equal(_stack(first), _stack(first))


@pytest.mark.parametrize("cls", SAMPLERS)
def test_different_epochs_and_seeds_give_different_batches(cls: type[NxMSampler]) -> None:
    labels = _labels([5, 7, 3, 6, 4, 8])
    sampler = cls(labels, 3, 2, seed=11)
    epoch0 = _stack(sampler)
    sampler.set_epoch(1)
    assert not np.array_equal(epoch0, _stack(sampler))
    assert not np.array_equal(epoch0, _stack(cls(labels, 3, 2, seed=12)))


# ------------------------------------------------------------------ errors
def test_batch_size_other_than_n_times_m_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"batch_size=10 must equal .* = 8"):
        RandomNxMSampler(_labels([2] * 4), 2, 4, batch_size=10)


def test_batch_size_equal_to_n_times_m_is_accepted() -> None:
    assert RandomNxMSampler(_labels([2] * 4), 2, 4, batch_size=8).batch_size == 8


@pytest.mark.parametrize("cls", SAMPLERS)
def test_fewer_classes_than_n_is_an_error(cls: type[NxMSampler]) -> None:
    with pytest.raises(ValueError, match="N_classes_per_batch=4 but the labels hold only 3"):
        cls(_labels([2, 2, 2]), 4, 2)


@pytest.mark.parametrize("n, m", [(0, 2), (2, 0), (-1, 2)])
def test_non_positive_n_or_m_is_an_error(n: int, m: int) -> None:
    with pytest.raises(ValueError, match="must be a positive integer"):
        RandomNxMSampler(_labels([2] * 4), n, m)


def test_labels_must_be_one_dimensional() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        RandomNxMSampler(np.zeros((4, 2)), 1, 2)


# ------------------------------------------------------------------ build_sampler
@pytest.mark.parametrize(
    "name, cls",
    [
        ("random", RandomNxMSampler),
        ("exhaustive", ExhaustiveNxMSampler),
        ("Exhaustive", ExhaustiveNxMSampler),
        ("balr.samplers.ExhaustiveNxMSampler", ExhaustiveNxMSampler),
        ("tests.test_samplers.EveryClassTwiceSampler", EveryClassTwiceSampler),
    ],
)
def test_build_sampler_resolves_short_names_and_dotted_paths(
    name: str, cls: type[NxMSampler]
) -> None:
    sampler = build_sampler(name, _labels([2] * 4), N_classes_per_batch=2, M_samples_per_class=2)
    assert type(sampler) is cls
    assert sampler.N == 2 and sampler.M == 2


@pytest.mark.parametrize("name", ["randm", "numpy.ndarray", "no.such.module.Sampler", ""])
def test_build_sampler_rejects_unknown_names(name: str) -> None:
    with pytest.raises(ConfigError, match=r"data\.sampler=.*random, exhaustive"):
        build_sampler(name, _labels([2] * 4), N_classes_per_batch=2, M_samples_per_class=2)


def test_sampler_feeds_a_dataloader_in_n_times_m_batches() -> None:
    labels = _labels([3] * 6)
    sampler = RandomNxMSampler(labels, 3, 2, seed=0)
    loader = DataLoader(TensorDataset(torch.from_numpy(labels)), batch_size=6, sampler=sampler)
    batches = [batch[0] for batch in loader]
    assert [len(batch) for batch in batches] == [6, 6]
    assert all(len(set(batch.tolist())) == 3 for batch in batches)
