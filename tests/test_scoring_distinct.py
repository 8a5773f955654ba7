"""One recording appears once per comparison: the shared guard, in trial lists."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.data import AudioDataset
from balr.errors import DatasetError
from balr.scoring.distinct import first_repeat, recording_numbers, same_as
from balr.scoring.sides import RowGroups
from balr.scoring.trials import read_comparisons

IDS = ["a1", "a2", "b1", "b2", "c1"]


def groups(*sides: list[int]) -> RowGroups:
    return RowGroups.of([np.asarray(side) for side in sides])


def test_single_sides_find_the_first_self_comparison() -> None:
    repeat = first_repeat(groups([0], [1], [2]), groups([1], [1], [2]))
    assert repeat is not None
    assert (repeat.comparison, repeat.rows, repeat.where()) == (1, (1, 1), "on both sides")


def test_multi_sides_find_a_recording_twice_on_a_side_or_on_both() -> None:
    assert first_repeat(groups([0, 1], [2]), groups([3], [4])) is None
    twice = first_repeat(groups([0, 1], [2, 2]), groups([3], [4]))
    assert (
        twice is not None
        and twice.comparison == 1
        and twice.where() == "twice on the enrollment side"
    )
    both = first_repeat(groups([0, 1], [2]), groups([3, 1], [4]))
    assert both is not None and both.comparison == 0 and both.where() == "on both sides"


def test_rows_of_one_recording_count_as_one() -> None:
    same = same_as([["a", "file1"], ["b"], ["c", "file1"], ["d"]])
    assert same.tolist() == [0, 1, 0, 3]
    repeat = first_repeat(groups([0], [1]), groups([2], [3]), same)
    assert (
        repeat is not None and repeat.rows == (0, 2) and repeat.where(False) == "one on each side"
    )


def test_keys_chain_across_recordings() -> None:
    assert same_as([["x"], ["y"], ["x", "y"]]).tolist() == [0, 0, 0]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trials.tsv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("a1\ta1", "line 3: recording 'a1' appears on both sides"),
        ("a1,b1\tb1", "line 3: recording 'b1' appears on both sides"),
        ("b1\ta2, b1", "line 3: recording 'b1' appears on both sides"),
    ],
)
def test_a_trial_holding_a_recording_twice_is_refused(
    tmp_path: Path, row: str, message: str
) -> None:
    path = write(tmp_path, f"enrollment\ttest\na1\tb1\n{row}\n")
    with pytest.raises(DatasetError, match=rf"trials\.tsv: {message}: a recording compared"):
        read_comparisons(path, IDS)


def test_two_ids_of_one_file_are_one_recording(tmp_path: Path) -> None:
    path = write(tmp_path, "enrollment\ttest\na1\tb1\na2\tc1\n")
    same = np.array([0, 1, 2, 3, 1])  # c1 names a2's file
    with pytest.raises(DatasetError, match=r"line 3: 'a2' and 'c1' are one recording"):
        read_comparisons(path, IDS, same=same)


def dataset(tmp_path: Path, rows: str) -> AudioDataset:
    (tmp_path / "data.csv").write_text("id,audio,embedding,speaker\n" + rows)
    return AudioDataset.from_path(tmp_path / "data.csv")


def test_segments_sharing_their_audio_are_distinct_recordings(tmp_path: Path) -> None:
    rows = "r-s00,r.wav,r-s00_emb.npy,s\nr-s01,r.wav,r-s01_emb.npy,s\nq,q.wav,q_emb.npy,t\n"
    assert recording_numbers(dataset(tmp_path, rows)) is None


def test_ids_read_from_one_vector_file_are_one_recording(tmp_path: Path) -> None:
    rows = "a,a.wav,a_emb.npy,s\nb,b.wav,b_emb.npy,s\ncopy,c.wav,a_emb.npy,t\n"
    same = recording_numbers(dataset(tmp_path, rows))
    assert same is not None and same.tolist() == [0, 1, 0]
