"""A trial list or score file may not repeat a comparison or a column; a dataset CSV may not
repeat a column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.data import AudioDataset
from balr.errors import DatasetError
from balr.evaluation.trial_io import read_trial_frame, read_trials
from balr.scoring.score_files import read_scores
from balr.scoring.trials import read_comparisons

IDS = ["a", "b", "c", "d"]


def write(tmp_path: Path, text: str, name: str = "trials.tsv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_repeated_comparison_is_refused_with_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "enrollment\ttest\tlabel\na\tb\t0\nc\td\t0\na\tb\t0\n")
    with pytest.raises(DatasetError, match=r"lines 2 and 4 compare the same recordings"):
        read_trial_frame(path)


def test_sides_listing_the_same_ids_in_another_order_are_one_side(tmp_path: Path) -> None:
    path = write(tmp_path, "enrollment\ttest\na,b\tc\nd\tc\nb, a\tc\n")
    with pytest.raises(DatasetError, match=r"lines 2 and 4 .* counts twice in the metrics"):
        read_comparisons(path, IDS)


def test_a_score_file_repeating_a_comparison_is_refused(tmp_path: Path) -> None:
    text = "enrollment\ttest\tllr\tlabel\na\tb\t2\t1\nc\td\t-1\t0\na\tb\t2\t1\n"
    path = write(tmp_path, text, "scores.tsv")
    with pytest.raises(DatasetError, match=r"scores.tsv: lines 2 and 4 compare the same"):
        read_scores(path)


def test_a_score_file_may_list_a_pair_once_per_condition(tmp_path: Path) -> None:
    text = "enrollment\ttest\tllr\tlabel\tcondition\na\tb\t2\t1\tclean\na\tb\t1\t1\tphone\n"
    assert read_scores(write(tmp_path, text, "scores.tsv")).raw.tolist() == [2.0, 1.0]


def test_a_comparison_and_its_swap_are_two_comparisons(tmp_path: Path) -> None:
    path = write(tmp_path, "enrollment\ttest\tlabel\na\tb\t1\nb\ta\t1\nc\td\t0\n")
    assert len(read_trials(path, IDS)) == 3


def test_a_repeat_in_a_voxceleb_list_names_its_file_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "1 a b\n0 a c\n1 a b\n", "veri.txt")
    with pytest.raises(DatasetError, match=r"veri\.txt: lines 1 and 3"):
        read_trial_frame(path)


def test_two_label_columns_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "enrollment\ttest\tlabel\tlabel\na\tb\t1\t0\nc\td\t0\t1\n")
    with pytest.raises(DatasetError, match=r"names the column 'label' twice.*rename or drop"):
        read_trials(path, IDS, np.array([0, 0, 1, 1]))


def test_a_dataset_csv_with_two_audio_columns_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "id,audio,audio,speaker\nx,a.wav,b.wav,s\n", "data.csv")
    with pytest.raises(DatasetError, match=r"data\.csv: the header names the column 'audio'"):
        AudioDataset.from_path(path)
