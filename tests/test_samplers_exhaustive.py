"""ExhaustiveNxMSampler: every sample visited, classes taking M-sized turns round by round."""

from __future__ import annotations

import numpy as np

from balr.samplers import ExhaustiveNxMSampler


def _labels(counts: list[int]) -> np.ndarray:
    return np.repeat(np.arange(len(counts)), counts)


def test_unshuffled_rounds_give_the_exact_sequence() -> None:
    # Class sizes 3, 2, 4, 1, 2 with M=2: round 0 takes a chunk of every class, round 1
    # the second chunks of classes 0 and 2; the last (7th) chunk is cut off.
    sampler = ExhaustiveNxMSampler(_labels([3, 2, 4, 1, 2]), 2, 2, shuffle=False)
    expected = [[0, 1, 3, 4], [5, 6, 9, 9], [10, 11, 2, 0]]
    assert [batch.tolist() for batch in sampler.batches()] == expected
    assert len(sampler) == 12


def test_classes_are_padded_by_wrapping_around_to_a_multiple_of_m() -> None:
    sampler = ExhaustiveNxMSampler(_labels([5, 2]), 2, 3, shuffle=False)
    # Chunks: round 0 -> [0,1,2] (class 0), [5,6,5] (class 1); round 1 -> [3,4,0].
    assert [batch.tolist() for batch in sampler.batches()] == [[0, 1, 2, 5, 6, 5]]


def test_sequence_is_cut_to_whole_batches() -> None:
    sampler = ExhaustiveNxMSampler(_labels([4, 4, 4]), 2, 2, shuffle=False)
    batches = [batch.tolist() for batch in sampler.batches()]
    assert batches == [[0, 1, 4, 5], [8, 9, 2, 3], [6, 7, 10, 11]]
    cut = ExhaustiveNxMSampler(_labels([4, 4, 2]), 2, 2, shuffle=False)
    assert [batch.tolist() for batch in cut.batches()] == [[0, 1, 4, 5], [8, 9, 2, 3]]


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


def test_drop_last_has_no_effect() -> None:
    labels = _labels([3, 2, 4, 1, 2])
    keep = ExhaustiveNxMSampler(labels, 2, 2, shuffle=False, drop_last=False)
    drop = ExhaustiveNxMSampler(labels, 2, 2, shuffle=False, drop_last=True)
    assert np.array_equal(np.stack(keep.batches()), np.stack(drop.batches()))


def test_length_matches_the_batches_when_shuffled() -> None:
    # 3+1+2+3+1+2 = 12 chunks of M=3 -> 4 batches of N=3.
    sampler = ExhaustiveNxMSampler(_labels([7, 3, 5, 9, 2, 4]), 3, 3, seed=4)
    assert len(sampler) == sum(len(b) for b in sampler.batches()) == 4 * 9
