"""Trial lists: drawing from speaker labels, reading and writing trial files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from balr.errors import DatasetError
from balr.evaluation import Trials, draw_trials, load_or_draw_trials, read_trials, write_trials

LIBRI = Path("/work/shared/data/librispeech-sample")


def pair_set(trials: Trials) -> set[tuple[int, int]]:
    return set(zip(trials.enroll.tolist(), trials.test.tolist(), strict=True))


def small_labels() -> np.ndarray:
    # Speakers 0 (3 samples), 1 (2), 2 (1) and one row without speaker.
    return np.array([0, 1, 0, 2, -1, 1, 0])


def test_draw_trials_takes_every_pair_when_under_the_cap() -> None:
    trials = draw_trials(small_labels())
    targets = {(0, 2), (0, 6), (2, 6), (1, 5)}
    valid = [0, 1, 2, 3, 5, 6]
    every = {(a, b) for a in valid for b in valid if a < b}
    assert pair_set(trials) == every
    target_pairs = zip(trials.enroll[trials.labels], trials.test[trials.labels], strict=True)
    assert set(target_pairs) == targets


def test_draw_trials_labels_mark_same_speaker_pairs() -> None:
    labels = np.random.default_rng(0).integers(0, 40, 600)
    trials = draw_trials(labels, max_pairs=2_000)
    np.testing.assert_array_equal(trials.labels, labels[trials.enroll] == labels[trials.test])


def test_draw_trials_has_no_self_pairs_or_duplicates() -> None:
    labels = np.random.default_rng(1).integers(0, 30, 900)
    trials = draw_trials(labels, max_pairs=3_000)
    assert (trials.enroll < trials.test).all()
    assert len(pair_set(trials)) == len(trials)


def test_draw_trials_caps_each_kind_separately() -> None:
    labels = np.random.default_rng(2).integers(0, 1000, 36_000)
    trials = draw_trials(labels)
    assert trials.num_targets == 50_000
    assert trials.num_nontargets == 50_000
    assert trials.enroll.dtype == np.int64 and trials.labels.dtype == bool


def test_draw_trials_keeps_all_targets_when_few_and_caps_nontargets() -> None:
    labels = np.repeat(np.arange(100), 2)  # 100 target pairs, 19,800 non-target pairs
    trials = draw_trials(labels, max_pairs=1_000)
    assert trials.num_targets == 100
    assert trials.num_nontargets == 1_000


def test_draw_trials_ignores_rows_without_speaker() -> None:
    trials = draw_trials(small_labels())
    assert 4 not in trials.enroll and 4 not in trials.test


def test_draw_trials_is_deterministic_for_a_seed() -> None:
    labels = np.random.default_rng(3).integers(0, 50, 2_000)
    first, again = draw_trials(labels, 500, seed=7), draw_trials(labels, 500, seed=7)
    np.testing.assert_array_equal(first.enroll, again.enroll)
    np.testing.assert_array_equal(first.test, again.test)
    assert pair_set(draw_trials(labels, 500, seed=8)) != pair_set(first)


def test_draw_trials_accepts_a_tensor() -> None:
    labels = small_labels()
    assert pair_set(draw_trials(torch.from_numpy(labels))) == pair_set(draw_trials(labels))


def test_draw_trials_without_same_speaker_pairs_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError, match="2 or more samples"):
        draw_trials([0, 1, 2, 3])


def test_draw_trials_with_one_speaker_is_a_dataset_error() -> None:
    with pytest.raises(DatasetError, match="at least 2"):
        draw_trials([5, 5, 5, -1])


def test_default_draw_on_a_small_val_set_equals_the_exhaustive_trial_file() -> None:
    rows = (LIBRI / "val.csv").read_text().splitlines()[1:]
    ids = [r.split(",")[0] for r in rows]
    speakers = [r.split(",")[2] for r in rows]
    labels = np.unique(speakers, return_inverse=True)[1]
    from_file = read_trials(LIBRI / "trials.csv", ids)
    drawn = draw_trials(labels)
    assert (len(drawn), drawn.num_targets) == (10_731, 338)
    assert pair_set(drawn) == pair_set(from_file)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


IDS = ["a", "b", "c", "007"]
LABELS = np.array([0, 0, 1, 1])


def test_read_trials_uses_the_label_column(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", "enrollment\ttest\tlabel\na\tb\t1\nb\t007\t0\nc\ta\t1\n")
    trials = read_trials(path, IDS, LABELS)
    np.testing.assert_array_equal(trials.enroll, [0, 1, 2])
    np.testing.assert_array_equal(trials.test, [1, 3, 0])
    np.testing.assert_array_equal(trials.labels, [True, False, True])


def test_read_trials_derives_labels_from_speakers(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", "enrollment\ttest\na\tb\na\tc\nc\t007\n")
    trials = read_trials(path, IDS, torch.from_numpy(LABELS))
    np.testing.assert_array_equal(trials.labels, [True, False, True])


def test_read_trials_unknown_id_names_file_row_and_id(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", "enrollment\ttest\na\tb\na\tzz9\n")
    with pytest.raises(DatasetError) as err:
        read_trials(path, IDS, LABELS)
    message = str(err.value)
    assert str(path) in message and "row 2" in message and "'zz9'" in message
    assert "\n" not in message


def test_read_trials_missing_column_is_a_dataset_error(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", "enrollment,test,label\na,b,1\n")
    with pytest.raises(DatasetError, match="missing column"):
        read_trials(path, IDS, LABELS)


def test_read_trials_bad_label_names_the_row(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", "enrollment\ttest\tlabel\na\tb\t1\na\tc\tmaybe\n")
    with pytest.raises(DatasetError, match=r"row 2 .*'maybe'"):
        read_trials(path, IDS, LABELS)


def test_read_trials_missing_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not found"):
        read_trials(tmp_path / "none.tsv", IDS, LABELS)


def test_read_trials_without_nontargets_is_a_dataset_error(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", "enrollment\ttest\na\tb\nc\t007\n")
    with pytest.raises(DatasetError, match="no non-target"):
        read_trials(path, IDS, LABELS)


def test_written_trials_read_back_identically(tmp_path: Path) -> None:
    trials = draw_trials(LABELS)
    write_trials(tmp_path / "t.tsv", trials, IDS)
    again = read_trials(tmp_path / "t.tsv", IDS)
    assert pair_set(again) == pair_set(trials)
    np.testing.assert_array_equal(again.labels, trials.labels)


def test_load_or_draw_trials_prefers_the_file(tmp_path: Path) -> None:
    path = write(tmp_path / "t.tsv", "enrollment\ttest\na\tb\na\tc\n")
    assert len(load_or_draw_trials(IDS, LABELS, path=path)) == 2
    assert len(load_or_draw_trials(IDS, LABELS)) == 6


def test_a_fully_quoted_trial_file_reads_like_a_plain_one(tmp_path: Path) -> None:
    # R's write.table and QUOTE_ALL writers quote every cell; both trial readers unwrap them.
    from balr.scoring.trials import read_comparisons

    plain = write(tmp_path / "plain.tsv", "enrollment\ttest\tlabel\na\tb\t1\na\tc\t0\n")
    quoted = write(
        tmp_path / "quoted.tsv",
        '"enrollment"\t"test"\t"label"\n"a"\t"b"\t"1"\n"a"\t"c"\t0\n',
    )
    expected = read_trials(plain, IDS, LABELS)
    got = read_trials(quoted, IDS, LABELS)
    assert got.enroll.tolist() == expected.enroll.tolist()
    assert got.test.tolist() == expected.test.tolist()
    assert got.labels.tolist() == expected.labels.tolist()
    comparisons = read_comparisons(quoted, IDS)
    assert comparisons.enrollment == ["a", "a"] and comparisons.test == ["b", "c"]
    assert comparisons.labels is not None and comparisons.labels.tolist() == [True, False]
