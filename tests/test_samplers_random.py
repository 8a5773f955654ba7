"""RandomNxMSampler: every class once per epoch, N distinct classes per batch, M draws each."""

from __future__ import annotations

import numpy as np
import torch

from balr.samplers import RandomNxMSampler


def _labels(counts: list[int]) -> np.ndarray:
    """Labels 0, 0, ..., 1, 1, ... with counts[k] samples of class k, in class order."""
    return np.repeat(np.arange(len(counts)), counts)


def _block_classes(sampler: RandomNxMSampler, labels: np.ndarray) -> np.ndarray:
    """Class of each M-block of each batch: [batches, N]; asserts a block has one class."""
    batches = np.stack(sampler.batches())
    blocks = labels[batches].reshape(len(batches), sampler.N, sampler.M)
    assert (blocks == blocks[..., :1]).all()
    return blocks[..., 0]


def test_unshuffled_classes_pad_by_wrapping_to_the_start() -> None:
    sampler = RandomNxMSampler(_labels([2] * 5), 2, 2, shuffle=False)
    expected = [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]
    assert [batch.tolist() for batch in sampler.batches()] == expected


def test_drop_last_drops_the_leftover_classes() -> None:
    sampler = RandomNxMSampler(_labels([2] * 5), 2, 2, shuffle=False, drop_last=True)
    assert [batch.tolist() for batch in sampler.batches()] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(sampler) == 8


def test_length_is_batches_times_n_times_m() -> None:
    sampler = RandomNxMSampler(_labels([3] * 7), 3, 2)
    assert sampler.num_batches() == 3
    assert len(sampler) == 3 * 3 * 2 == len(list(sampler))


def test_iteration_yields_the_batches_flattened() -> None:
    sampler = RandomNxMSampler(_labels([4] * 6), 2, 3, seed=5)
    assert list(sampler) == np.concatenate(sampler.batches()).tolist()


def test_every_class_is_used_once_per_epoch() -> None:
    labels = _labels([5, 6, 7, 8, 9, 10])
    sampler = RandomNxMSampler(labels, 3, 4, seed=1)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        assert sorted(_block_classes(sampler, labels).ravel().tolist()) == list(range(6))


def test_every_batch_holds_n_distinct_classes_also_when_padded() -> None:
    labels = _labels([4] * 7)
    sampler = RandomNxMSampler(labels, 3, 2, seed=3)
    for epoch in range(5):
        sampler.set_epoch(epoch)
        classes = _block_classes(sampler, labels)
        assert classes.shape == (3, 3)
        assert all(len(set(row)) == 3 for row in classes.tolist())
        assert set(classes.ravel().tolist()) == set(range(7))


def test_shuffle_randomises_the_class_order() -> None:
    labels = _labels([2] * 12)
    orders = set()
    for epoch in range(4):
        sampler = RandomNxMSampler(labels, 3, 2, seed=0)
        sampler.set_epoch(epoch)
        orders.add(tuple(_block_classes(sampler, labels).ravel().tolist()))
    assert len(orders) > 1


def test_large_classes_are_drawn_without_replacement() -> None:
    labels = _labels([5, 8, 4, 6])
    sampler = RandomNxMSampler(labels, 2, 4, seed=7)
    for epoch in range(20):
        sampler.set_epoch(epoch)
        for batch in sampler.batches():
            for block in batch.reshape(2, 4):
                assert len(set(block.tolist())) == 4


def test_samples_within_a_large_class_vary_between_epochs() -> None:
    labels = _labels([10, 10])
    sampler = RandomNxMSampler(labels, 2, 3, shuffle=False, seed=2)
    seen = set()
    for epoch in range(10):
        sampler.set_epoch(epoch)
        seen |= set(sampler.batches()[0].tolist())
    assert seen == set(range(20))


def test_small_class_uses_all_its_samples_then_repeats() -> None:
    labels = _labels([2, 6])
    sampler = RandomNxMSampler(labels, 2, 4, shuffle=False, seed=4)
    for epoch in range(10):
        sampler.set_epoch(epoch)
        small = sampler.batches()[0][:4]
        assert set(small.tolist()) == {0, 1}


def test_string_and_tensor_labels_are_mapped_to_classes() -> None:
    names = np.array(["bob", "amy", "bob", "cat", "amy", "cat"])
    by_name = RandomNxMSampler(names, 3, 2, shuffle=False)
    assert by_name.classes.tolist() == ["amy", "bob", "cat"]
    assert by_name.batches()[0].tolist() == [1, 4, 0, 2, 3, 5]
    ids = torch.tensor([70, 12, 70, 99, 12, 99])
    assert RandomNxMSampler(ids, 3, 2, shuffle=False).batches()[0].tolist() == [1, 4, 0, 2, 3, 5]


def test_batches_are_int64_arrays_of_length_n_times_m() -> None:
    sampler = RandomNxMSampler(_labels([3] * 4), 2, 3)
    batches = sampler.batches()
    assert all(b.dtype == np.int64 and b.shape == (6,) for b in batches)
