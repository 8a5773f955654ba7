"""ExhaustiveNxMSampler: every sample visited, classes taking M-sized turns round by round."""

from __future__ import annotations

import numpy as np
import pytest

from balr.samplers import ExhaustiveNxMSampler


def _labels(counts: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(counts)), counts)


def test_unshuffled_rounds_give_the_exact_sequence() -> None:
    # Class sizes 3, 2, 4, 1, 2 with M=2: round 0 takes a chunk of every class, round 1
    # the second chunks of classes 0 and 2; the 7 chunks wrap around to the first to
    # fill the last batch.
    sampler = ExhaustiveNxMSampler(_labels([3, 2, 4, 1, 2]), 2, 2, shuffle=False)
    expected = [[0, 1, 3, 4], [5, 6, 9, 9], [10, 11, 2, 0], [7, 8, 0, 1]]
    assert [batch.tolist() for batch in sampler.batches()] == expected
    assert len(sampler) == 16


def test_classes_are_padded_by_wrapping_around_to_a_multiple_of_m() -> None:
    sampler = ExhaustiveNxMSampler(_labels([5, 2]), 2, 3, shuffle=False, drop_last=True)
    # Chunks: round 0 -> [0,1,2] (class 0), [5,6,5] (class 1); round 1 -> [3,4,0].
    assert [batch.tolist() for batch in sampler.batches()] == [[0, 1, 2, 5, 6, 5]]


def test_drop_last_cuts_the_sequence_to_whole_batches() -> None:
    sampler = ExhaustiveNxMSampler(_labels([4, 4, 4]), 2, 2, shuffle=False, drop_last=True)
    batches = [batch.tolist() for batch in sampler.batches()]
    assert batches == [[0, 1, 4, 5], [8, 9, 2, 3], [6, 7, 10, 11]]
    cut = ExhaustiveNxMSampler(_labels([4, 4, 2]), 2, 2, shuffle=False, drop_last=True)
    assert [batch.tolist() for batch in cut.batches()] == [[0, 1, 4, 5], [8, 9, 2, 3]]
    assert len(cut) == 8


def test_unshuffled_epochs_visit_every_sample() -> None:
    # 5 chunks of M=2 do not fill whole batches of N=2: the sequence wraps around
    # instead of skipping the same tail samples every epoch.
    labels = _labels([4, 4, 2])
    sampler = ExhaustiveNxMSampler(labels, 2, 2, shuffle=False)
    batches = [batch.tolist() for batch in sampler.batches()]
    assert batches == [[0, 1, 4, 5], [8, 9, 2, 3], [6, 7, 0, 1]]
    assert set(np.concatenate(batches).tolist()) == set(range(len(labels)))
    assert len(sampler) == 12


def test_every_sample_is_visited_when_shuffled() -> None:
    labels = _labels([6, 4, 2, 8, 4])  # 12 chunks of M=2: 3 batches of N=4
    sampler = ExhaustiveNxMSampler(labels, 4, 2, seed=9)
    for epoch in range(4):
        sampler.set_epoch(epoch)
        visited = np.concatenate(sampler.batches())
        assert sorted(visited.tolist()) == list(range(len(labels)))


def test_each_m_chunk_comes_from_one_class_when_shuffled() -> None:
    labels = _labels([7, 3, 5, 9, 2, 4])
    sampler = ExhaustiveNxMSampler(labels, 3, 3, seed=1)
    for epoch in range(4):
        sampler.set_epoch(epoch)
        chunks = labels[np.stack(sampler.batches())].reshape(-1, 3)
        assert (chunks == chunks[:, :1]).all()


def test_shuffle_changes_order_within_and_across_classes() -> None:
    labels = _labels([6, 6, 6, 6])
    plain = ExhaustiveNxMSampler(labels, 2, 3, shuffle=False).batches()
    shuffled = ExhaustiveNxMSampler(labels, 2, 3, seed=3).batches()
    assert not np.array_equal(np.stack(plain), np.stack(shuffled))
    assert sorted(np.concatenate(shuffled).tolist()) == list(range(24))


def test_length_matches_the_batches_when_shuffled() -> None:
    # 3+1+2+3+1+2 = 12 chunks of M=3 -> 4 batches of N=3.
    sampler = ExhaustiveNxMSampler(_labels([7, 3, 5, 9, 2, 4]), 3, 3, seed=4)
    assert len(sampler) == sum(len(b) for b in sampler.batches()) == 4 * 9


@pytest.mark.parametrize(("drop_last", "batches"), [(False, 4), (True, 3)])
def test_length_matches_the_batches_with_a_partial_last_batch(
    drop_last: bool, batches: int
) -> None:
    # 3+1+2+3+1+1 = 11 chunks of M=3: 3 whole batches of N=3 and 2 chunks left over.
    labels = _labels([7, 3, 5, 9, 2, 3])
    for shuffle in (False, True):
        sampler = ExhaustiveNxMSampler(labels, 3, 3, shuffle=shuffle, drop_last=drop_last)
        assert len(sampler) == sum(len(b) for b in sampler.batches()) == batches * 9
