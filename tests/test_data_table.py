"""load_embedding_table on per-file datasets: values, labels and errors."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from balr.data import AudioDataset, load_embedding_table, save_vector
from balr.errors import DatasetError, VectorFileError
from tests.conftest import VOXCELEB_SAMPLE


def table_of(dataset: AudioDataset, **kwargs):  # type: ignore[no-untyped-def]
    return load_embedding_table(dataset, use_cache=False, progress=False, **kwargs)


def test_voxceleb_table_matches_loadtxt_row_by_row() -> None:
    dataset = AudioDataset.from_path(VOXCELEB_SAMPLE / "train.csv")
    table = table_of(dataset, num_workers=4)
    expected = np.stack(
        [np.loadtxt(d["embedding"], dtype=np.float32) for _, d in dataset.iter_dicts()]
    )
    assert table.ids == dataset.ids
    assert table.embeddings.dtype.is_floating_point and table.embeddings.is_contiguous()
    np.testing.assert_array_equal(table.embeddings.numpy(), expected)
    assert (len(table), table.dim, table.num_speakers) == (68, 256, 6)


def test_labels_index_sorted_speaker_names() -> None:
    table = table_of(AudioDataset.from_path(VOXCELEB_SAMPLE / "train.csv"))
    assert table.speakers == sorted(table.speakers)
    assert table.labels.tolist().count(table.speakers.index("id03701")) == 30
    assert [table.speakers[label] for label in table.labels[:2]] == ["id00906", "id00906"]


def test_single_thread_and_pool_give_the_same_table(vector_dataset) -> None:
    dataset = AudioDataset.from_path(vector_dataset(5, 4, 6, "txt"))
    one = table_of(dataset, num_workers=1)
    many = table_of(dataset, num_workers=3)
    assert np.array_equal(one.embeddings.numpy(), many.embeddings.numpy())


def test_missing_speaker_is_an_error_naming_the_item(tmp_path: Path) -> None:
    save_vector(tmp_path / "v.npy", np.ones(3, np.float32))
    dataset = AudioDataset({"a": {"embedding": tmp_path / "v.npy", "speaker": None}})
    with pytest.raises(DatasetError, match="item 'a' has no speaker"):
        table_of(dataset)
    assert table_of(dataset, require_speakers=False).labels.tolist() == [-1]


def test_missing_embedding_is_an_error_unless_skipped(tmp_path: Path, caplog) -> None:  # type: ignore[no-untyped-def]
    save_vector(tmp_path / "v.npy", np.ones(3, np.float32))
    dataset = AudioDataset({"a": {"embedding": tmp_path / "v.npy", "speaker": "s"}, "b": {}})
    with pytest.raises(DatasetError, match="item 'b' has no embedding"):
        table_of(dataset)
    with caplog.at_level(logging.WARNING, logger="balr.data"):
        table = table_of(dataset, skip_missing=True)
    assert table.ids == ["a"]
    assert "1 items without an embedding skipped" in caplog.text


def test_vectors_of_different_dimensions_are_an_error(tmp_path: Path) -> None:
    save_vector(tmp_path / "a.npy", np.ones(3, np.float32))
    save_vector(tmp_path / "b.npy", np.ones(4, np.float32))
    dataset = AudioDataset({k: {"embedding": tmp_path / f"{k}.npy", "speaker": "s"} for k in "ab"})
    with pytest.raises(DatasetError, match=r"b\.npy: vector has 4 values but .*a\.npy has 3"):
        table_of(dataset, num_workers=2)


def test_non_finite_vector_file_is_named(tmp_path: Path) -> None:
    save_vector(tmp_path / "a.npy", np.ones(3, np.float32))
    save_vector(tmp_path / "b.npy", np.float32([1, np.nan, 0]))
    dataset = AudioDataset({k: {"embedding": tmp_path / f"{k}.npy", "speaker": "s"} for k in "ab"})
    with pytest.raises(VectorFileError, match=r"b\.npy: holds NaN"):
        table_of(dataset)


def test_load_reports_files_per_second(vector_dataset, caplog) -> None:  # type: ignore[no-untyped-def]
    dataset = AudioDataset.from_path(vector_dataset(2, 2, 4))
    with caplog.at_level(logging.INFO, logger="balr.data"):
        table_of(dataset)
    assert "read 4 embedding files in" in caplog.text and "files/s" in caplog.text


def test_empty_dataset_gives_an_empty_table() -> None:
    table = table_of(AudioDataset({}))
    assert (len(table), table.num_speakers) == (0, 0)


def test_bad_text_file_among_many_is_named(vector_dataset) -> None:
    dataset = AudioDataset.from_path(vector_dataset(4, 3, 5, "txt"))
    bad = dataset.data["spk002/utt01"]["embedding"]
    bad.write_text("0.1\n0.2\noops\n0.4\n0.5\n")
    with pytest.raises(VectorFileError, match=r"utt01_emb\.txt: not a numeric text vector"):
        table_of(dataset)


def test_text_files_in_other_layouts_load_alike(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("1 2 3\n")
    (tmp_path / "b.txt").write_text("4\n5\n6")
    (tmp_path / "c.txt").write_text("# comment\n7,8,9\n")
    dataset = AudioDataset({k: {"embedding": tmp_path / f"{k}.txt", "speaker": "s"} for k in "abc"})
    assert table_of(dataset).embeddings.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_npy_files_of_different_dtypes_load_alike(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.float32([1, 2]))
    np.save(tmp_path / "b.npy", np.float64([3, 4]))
    np.save(tmp_path / "c.npy", np.int16([[5, 6]]))
    dataset = AudioDataset({k: {"embedding": tmp_path / f"{k}.npy", "speaker": "s"} for k in "abc"})
    assert table_of(dataset).embeddings.tolist() == [[1, 2], [3, 4], [5, 6]]


def test_matrix_row_references_in_a_csv_are_gathered(tmp_path: Path) -> None:
    np.save(tmp_path / "m.npy", np.arange(12, dtype=np.float32).reshape(4, 3))
    (tmp_path / "d.csv").write_text("id,embedding,speaker\na,m.npy#2,s\nb,m.npy#0,t\n")
    table = table_of(AudioDataset.from_path(tmp_path / "d.csv"))
    assert table.embeddings.tolist() == [[6, 7, 8], [0, 1, 2]]


def test_row_reference_into_an_empty_matrix_is_named(tmp_path: Path) -> None:
    np.save(tmp_path / "m.npy", np.zeros((0, 3), dtype=np.float32))
    (tmp_path / "d.csv").write_text("id,embedding,speaker\na,m.npy#0,s\n")
    with pytest.raises(VectorFileError, match=r"m\.npy#0: row 0 is out of range \(0 rows\)"):
        table_of(AudioDataset.from_path(tmp_path / "d.csv"))


@pytest.mark.parametrize("first", ["m.npy#0", "v.npy"])
def test_row_reference_into_a_matrix_of_strings_is_named(tmp_path: Path, first: str) -> None:
    np.save(tmp_path / "m.npy", np.array([["a", "b"], ["c", "d"]]))
    np.save(tmp_path / "v.npy", np.float32([1, 2]))
    (tmp_path / "d.csv").write_text(f"id,embedding,speaker\na,{first},s\nb,m.npy#1,t\n")
    with pytest.raises(VectorFileError, match=r"m\.npy: holds <U1 values, not numbers"):
        table_of(AudioDataset.from_path(tmp_path / "d.csv"))
