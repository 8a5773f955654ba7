"""Trial files with multi-recording sides, and scoring them (balr.scoring.trials)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.errors import DatasetError
from balr.scoring import SCORERS, BetaScorer, Counts
from balr.scoring import sides as sides_module
from balr.scoring.trials import (
    Comparisons,
    RowGroups,
    read_comparisons,
    score_comparisons,
    split_speaker_trials,
)

IDS = ["a1", "a2", "b1", "b2", "c1"]
SPEAKERS = np.array([0, 0, 1, 1, 2])


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trials.tsv"
    path.write_text(text)
    return path


def fitted_scorer(k: int = 24, seed: int = 0) -> tuple[BetaScorer, np.ndarray]:
    """A beta scorer fitted on 40 speakers x 4 recordings, and 5 test vectors."""
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.05, 0.95, size=(40, k))
    ref = (rng.random((40, 4, k)) < rates[:, None, :]).astype(np.uint8).reshape(160, k)
    scorer = BetaScorer()
    scorer.fit(ref, np.repeat(np.arange(40), 4))
    bits = (rng.random((len(IDS), k)) < 0.5).astype(np.uint8)
    return scorer, bits


def test_label_column_wins_over_speakers(tmp_path: Path) -> None:
    path = write(tmp_path, "enrollment\ttest\tlabel\na1\tb1\t1\na1\ta2\tfalse\n")
    comparisons = read_comparisons(path, IDS, SPEAKERS)
    assert comparisons.labels is not None and comparisons.labels.tolist() == [True, False]
    assert comparisons.single()
    assert [list(r) for r in comparisons.enroll_rows] == [[0], [0]]


def test_labels_come_from_speakers_when_every_side_is_one_speaker(tmp_path: Path) -> None:
    path = write(tmp_path, "enrollment\ttest\na1,a2\tb1\na1\ta2\nb1\tb2\na1, a2\tc1\n")
    comparisons = read_comparisons(path, IDS, SPEAKERS)
    labels = comparisons.labels
    assert labels is not None and labels.tolist() == [False, True, True, False]
    assert not comparisons.single()
    assert [list(r) for r in comparisons.enroll_rows] == [[0, 1], [0], [2], [0, 1]]
    assert comparisons.enrollment == ["a1,a2", "a1", "b1", "a1, a2"]


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        ("enrollment\ttest\na1,b1\tc1\n", SPEAKERS),  # a side of two speakers
        ("enrollment\ttest\na1\tc1\n", np.array([0, 0, 1, 1, -1])),  # c1 has no speaker
        ("enrollment\ttest\na1\tc1\n", None),  # no speakers at all
    ],
)
def test_comparisons_without_a_known_label_are_casework(
    tmp_path: Path, text: str, speakers: np.ndarray | None
) -> None:
    assert read_comparisons(write(tmp_path, text), IDS, speakers).labels is None


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("enrollment\ttest\na1\tb1\na1\tzz9\n", ["test id 'zz9'", "line 3"]),
        ("enrollment\ttest\na1,zz9\tb1\n", ["enrollment id 'zz9'", "line 2"]),
        ("enrollment\ttest\n\tb1\n", ["line 2", "enrollment side is empty"]),
        ("enrollment\ttest\na1,,a2\tb1\n", ["line 2", "empty id"]),
        ("enrollment\ttest\na1,a1\tb1\n", ["line 2", "'a1' twice"]),
        ("enrollment\ttest\tlabel\na1\tb1\tyes\n", ["line 2", "label 'yes'"]),
        ("enroll\ttest\na1\tb1\n", ["missing column(s) enrollment", "header"]),
        ("enrollment\ttest\n", ["no comparisons"]),
    ],
)
def test_bad_trial_files_name_the_file_and_line(
    tmp_path: Path, text: str, fragments: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DatasetError) as caught:
        read_comparisons(path, IDS, SPEAKERS)
    message = str(caught.value)
    assert str(path) in message and "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_a_missing_trial_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="trial file not found"):
        read_comparisons(tmp_path / "none.tsv", IDS)


def test_row_groups_index_and_slice_like_a_list() -> None:
    groups = RowGroups.of([np.array([3]), np.array([0, 1]), np.array([4, 2, 1])])
    assert len(groups) == 3 and groups[-1].tolist() == [4, 2, 1]
    tail = groups[1:]
    assert [g.tolist() for g in tail] == [[0, 1], [4, 2, 1]]
    assert tail.sizes().tolist() == [2, 3]


def test_one_recording_sides_score_like_their_counts() -> None:
    scorer, bits = fitted_scorer()
    enroll, test = np.array([0, 1, 2, 4]), np.array([1, 3, 4, 0])
    comparisons = Comparisons(["x"] * 4, ["y"] * 4, list(enroll[:, None]), list(test[:, None]))
    assert comparisons.single()
    fast = score_comparisons(scorer, bits, comparisons)
    slow = scorer.score_counts(
        Counts.of_rows(bits, list(enroll[:, None])), Counts.of_rows(bits, list(test[:, None]))
    )
    np.testing.assert_allclose(fast, slow, rtol=1e-10, atol=1e-10)


def test_multi_recording_sides_sum_their_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    scorer, bits = fitted_scorer()
    enroll = [np.array([0, 1]), np.array([2]), np.array([3, 4, 0])]
    test = [np.array([2, 3]), np.array([4, 1]), np.array([1])]
    comparisons = Comparisons(["e"] * 3, ["t"] * 3, enroll, test)
    monkeypatch.setattr(sides_module, "CHUNK", 2)  # the chunks must join seamlessly
    llrs = score_comparisons(scorer, bits, comparisons)
    for i in range(3):
        e = Counts(bits[enroll[i]].sum(0)[None], (1 - bits[enroll[i]]).sum(0)[None])
        t = Counts(bits[test[i]].sum(0)[None], (1 - bits[test[i]]).sum(0)[None])
        assert llrs[i] == pytest.approx(scorer.score_counts(e, t)[0], abs=1e-10)


def test_reading_and_scoring_a_file_end_to_end(tmp_path: Path) -> None:
    scorer, bits = fitted_scorer()
    path = write(tmp_path, "enrollment\ttest\na1,a2\tb1\nb1\tb2\n")
    comparisons = read_comparisons(path, IDS, SPEAKERS)
    llrs = score_comparisons(scorer, bits, comparisons)
    assert llrs.shape == (2,) and np.isfinite(llrs).all()
    assert comparisons.line(1) == 3


def test_speaker_trial_lists_share_no_speaker_and_hold_every_pair() -> None:
    labels = np.repeat(np.arange(7), 3)
    labels[-1] = -1  # a recording without speaker takes no part
    first, second = split_speaker_trials(labels, parts=2, seed=5)
    speakers = [set(labels[np.concatenate([t.enroll, t.test])]) for t in (first, second)]
    assert not speakers[0] & speakers[1] and speakers[0] | speakers[1] == set(range(7))
    for trials, group in zip((first, second), speakers, strict=True):
        n = int(np.isin(labels, list(group)).sum())
        assert len(trials) == n * (n - 1) // 2
        assert (trials.labels == (labels[trials.enroll] == labels[trials.test])).all()


def test_too_few_speakers_to_split_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError, match="cannot be split into 2 groups"):
        split_speaker_trials(np.array([0, 0, 1, 1, 2]), parts=2)
    # Fewer than 2 parts is the mistake, not the number of speakers.
    with pytest.raises(DatasetError, match=r"parts=1 \(--parts\): give at least 2"):
        split_speaker_trials(np.arange(20) // 2, parts=1)


@pytest.mark.parametrize("name", sorted(SCORERS))
def test_grouped_multi_recording_scores_equal_score_counts(name: str) -> None:
    rng = np.random.default_rng(7)
    k = 20
    rates = rng.uniform(0.05, 0.95, size=(30, k))
    ref = (rng.random((30, 4, k)) < rates[:, None, :]).astype(np.uint8).reshape(120, k)
    scorer = SCORERS[name]()
    scorer.fit(ref, np.repeat(np.arange(30), 4))
    bits = (rng.random((50, k)) < 0.5).astype(np.uint8)
    # 40 comparisons of 2 vs 3 recordings (table path), 3 of 4 vs 1 (direct path), 1+1 mixed in.
    shapes = [(2, 3)] * 40 + [(4, 1)] * 3 + [(1, 1)] * 2
    order = rng.permutation(len(shapes))
    enroll = [rng.choice(50, shapes[i][0], replace=False) for i in order]
    test = [rng.choice(50, shapes[i][1], replace=False) for i in order]
    comparisons = Comparisons(["e"] * len(order), ["t"] * len(order), enroll, test)
    llrs = score_comparisons(scorer, bits, comparisons)
    direct = scorer.score_counts(Counts.of_rows(bits, enroll), Counts.of_rows(bits, test))
    np.testing.assert_allclose(llrs, direct, rtol=1e-12, atol=1e-9)


def test_lists_of_balr_score_trials_read_back_whatever_the_ids(tmp_path: Path) -> None:
    # One trial format, one reader: what write_trials writes, both readers read verbatim.
    from balr.evaluation import Trials, read_trials, write_trials

    ids = ['a"1', "a2", "b 1", "b2"]
    trials = Trials(np.array([0, 0, 2]), np.array([1, 2, 3]), np.array([True, False, True]))
    path = tmp_path / "trials.tsv"
    write_trials(path, trials, ids)
    comparisons = read_comparisons(path, ids)
    assert comparisons.enrollment == ['a"1', 'a"1', "b 1"]
    assert [int(r[0]) for r in comparisons.test_rows] == [1, 2, 3]
    assert comparisons.labels is not None and comparisons.labels.tolist() == [True, False, True]
    again = read_trials(path, ids)
    assert again.enroll.tolist() == [0, 0, 2] and again.labels.tolist() == [True, False, True]
