"""Trial lists in the formats other toolkits write, read by the one trial reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.errors import DatasetError
from balr.evaluation.trial_io import read_trial_frame, read_trials
from balr.scoring.trials import read_comparisons

IDS = ["id1/a/00001.wav", "id1/b/00002.wav", "id2/c/00001.wav", "id2/d/00003.wav"]
# Expected trials of every list below: (enrollment row, test row, same speaker).
EXPECTED = [(0, 1, True), (0, 2, False), (3, 2, True)]


def write(tmp_path: Path, text: str, name: str = "trials.txt") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def check(trials_path: Path) -> None:
    trials = read_trials(trials_path, IDS)
    got = list(
        zip(trials.enroll.tolist(), trials.test.tolist(), trials.labels.tolist(), strict=True)
    )
    assert got == EXPECTED


def test_voxceleb_list_label_first_space_separated(tmp_path: Path) -> None:
    check(
        write(
            tmp_path,
            "1 id1/a/00001.wav id1/b/00002.wav\n0 id1/a/00001.wav id2/c/00001.wav\n"
            "1 id2/d/00003.wav id2/c/00001.wav\n",
        )
    )


def test_kaldi_list_with_target_nontarget_and_ids_without_extension(tmp_path: Path) -> None:
    check(
        write(
            tmp_path,
            "id1/a/00001 id1/b/00002 target\nid1/a/00001 id2/c/00001 nontarget\n"
            "id2/d/00003  id2/c/00001.wav  target\n",
        )
    )


def test_nist_key_with_header_and_extra_columns(tmp_path: Path) -> None:
    text = (
        "modelid\tsegmentid\tside\ttargettype\n"
        "id1/a/00001.wav\tid1/b/00002\ta\ttarget\n"
        "id1/a/00001.wav\tid2/c/00001\ta\tnontarget\n"
        "id2/d/00003.wav\tid2/c/00001\ta\ttarget\n"
    )
    check(write(tmp_path, text))


def test_balr_tsv_still_reads(tmp_path: Path) -> None:
    text = "enrollment\ttest\tlabel\n" + "".join(
        f"{IDS[e]}\t{IDS[t]}\t{int(s)}\n" for e, t, s in EXPECTED
    )
    check(write(tmp_path, text))


def test_dataset_ids_with_extension_match_a_list_without(tmp_path: Path) -> None:
    ids = ["x/1", "x/2", "y/3"]
    path = write(tmp_path, "1 x/1.wav x/2.flac\n0 x/1.WAV y/3.m4a\n")
    trials = read_trials(path, ids)
    assert trials.enroll.tolist() == [0, 0] and trials.test.tolist() == [1, 2]


def test_unlabelled_pairs_take_labels_from_speakers(tmp_path: Path) -> None:
    path = write(tmp_path, "id1/a/00001 id1/b/00002\nid1/a/00001 id2/c/00001\n")
    trials = read_trials(path, IDS, np.array([0, 0, 1, 1]))
    assert trials.labels.tolist() == [True, False]


def test_frame_gives_file_lines_of_a_headerless_list(tmp_path: Path) -> None:
    path = write(tmp_path, "1 a b\n\n0 a c\n")
    frame = read_trial_frame(path)
    assert frame["line"].to_list() == [1, 3]
    assert frame["enrollment"].to_list() == ["a", "a"] and frame["label"].to_list() == ["1", "0"]


def test_a_line_in_no_known_format_is_shown(tmp_path: Path) -> None:
    path = write(tmp_path, "a;b;c;d;e f g h\n")
    with pytest.raises(DatasetError, match=r"line 1 is in no known trial format \('a;b;c;d;e f"):
        read_trial_frame(path)


def test_a_later_line_not_fitting_the_format_is_shown(tmp_path: Path) -> None:
    path = write(tmp_path, "1 a b\n0 a c\n2 a c extra\n")
    with pytest.raises(DatasetError, match=r"line 3 \('2 a c extra'\) does not fit the voxceleb"):
        read_trial_frame(path)


def test_unknown_id_of_a_voxceleb_list_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "1 id1/a/00001 id1/b/00002\n\n0 id1/a/00001 id9/z/00001\n")
    with pytest.raises(DatasetError, match=r"line 3: test id 'id9/z/00001' is not in"):
        read_comparisons(path, IDS)


def test_comparisons_of_a_kaldi_list_carry_its_labels(tmp_path: Path) -> None:
    path = write(tmp_path, "id1/a/00001 id1/b/00002 target\nid1/a/00001 id2/c/00001 nontarget\n")
    comparisons = read_comparisons(path, IDS)
    assert comparisons.labels is not None and comparisons.labels.tolist() == [True, False]
    assert comparisons.line(1) == 2


def test_numeric_ids_of_a_kaldi_list_are_not_taken_for_a_voxceleb_label(tmp_path: Path) -> None:
    path = write(tmp_path, "1 2 target\n1 3 nontarget\n")
    trials = read_trials(path, ["1", "2", "3"])
    assert trials.enroll.tolist() == [0, 0] and trials.labels.tolist() == [True, False]
