"""AudioDataset: opening CSV files, folders and audio files; lazy items; CSV errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.data import AnnotatedAudio, AudioDataset, save_vector
from balr.errors import DatasetError, VectorFileError
from tests.conftest import VOXCELEB_SAMPLE


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_voxceleb_train_has_68_items_and_6_speakers() -> None:
    dataset = AudioDataset.from_path(VOXCELEB_SAMPLE / "train.csv")
    assert len(dataset) == 68
    assert str(dataset).endswith(
        "68 items, 68 with embeddings, 0 with binary attributes, 6 speakers"
    )


def test_item_holds_the_embedding_of_its_file() -> None:
    dataset = AudioDataset.from_path(VOXCELEB_SAMPLE / "train.csv")
    item = dataset.get_item("id03701/00128-s02")
    assert isinstance(item, AnnotatedAudio)
    expected = np.loadtxt(
        VOXCELEB_SAMPLE / "embeddings/id03701/00128-s02_emb.txt", dtype=np.float32
    )
    np.testing.assert_array_equal(item.embedding.numpy(), expected)
    assert (item.speaker, item.sample_rate, item.audio, item.audio_path) == (
        "id03701",
        16000,
        None,
        None,
    )


def test_ids_are_sorted_and_indexing_follows_them(vector_dataset) -> None:
    dataset = AudioDataset.from_path(vector_dataset(3, 2, 4))
    assert dataset.ids == sorted(dataset.ids)
    assert dataset[-1].id == dataset.ids[-1]


def test_files_are_read_only_when_an_item_is_accessed(tmp_path: Path) -> None:
    csv_path = write(tmp_path / "d.csv", "id,embedding,speaker\na,missing.npy,s\n")
    dataset = AudioDataset.from_path(csv_path)
    assert [(i, d["embedding"]) for i, d in dataset.iter_dicts()] == [
        ("a", tmp_path / "missing.npy")
    ]
    with pytest.raises(VectorFileError, match=r"missing\.npy: vector file not found"):
        dataset[0]


def test_relative_paths_resolve_against_root_dir(tmp_path: Path) -> None:
    save_vector(tmp_path / "data/v.npy", np.ones(3, np.float32))
    csv_path = write(tmp_path / "lists/d.csv", "id,embedding\na,v.npy\n")
    dataset = AudioDataset.from_path(csv_path, root_dir=tmp_path / "data")
    assert dataset.data["a"]["embedding"] == tmp_path / "data/v.npy"
    assert dataset[0].embedding.tolist() == [1.0, 1.0, 1.0]


def test_extra_columns_are_kept_as_item_fields(tmp_path: Path) -> None:
    csv_path = write(tmp_path / "d.csv", "id,embedding,speaker,gender\na,v.npy,s1,F\n")
    assert AudioDataset.from_path(csv_path).data["a"] == {
        "embedding": tmp_path / "v.npy",
        "speaker": "s1",
        "gender": "F",
    }


def test_ids_come_from_the_audio_column_without_an_id_column(tmp_path: Path) -> None:
    csv_path = write(tmp_path / "d.csv", "audio,speaker\nclips/a.wav,s1\nclips/b.wav,s2\n")
    dataset = AudioDataset.from_path(csv_path)
    assert dataset.ids == ["clips/a.wav", "clips/b.wav"]
    assert dataset[0].audio_path == tmp_path / "clips/a.wav"


def test_sidecar_vectors_next_to_audio_are_found(tmp_path: Path) -> None:
    save_vector(tmp_path / "clips/a_emb.npy", np.ones(4, np.float32))
    save_vector(tmp_path / "clips/a_ba.txt", np.array([1, 0, 1], np.uint8))
    csv_path = write(tmp_path / "d.csv", "audio\nclips/a.wav\nclips/b.wav\n")
    dataset = AudioDataset.from_path(csv_path)
    assert dataset.data["clips/a.wav"]["embedding"] == tmp_path / "clips/a_emb.npy"
    assert dataset[0].binary_attributes.tolist() == [1.0, 0.0, 1.0]
    assert dataset.get_item("clips/b.wav").embedding is None


def test_folder_is_scanned_recursively_for_audio(tmp_path: Path) -> None:
    for name in ("s1/a.wav", "s1/deep/b.flac", "s2/c.WAV", "s2/notes.txt", "s2/c_emb.txt"):
        write(tmp_path / name, "1\n2\n")
    dataset = AudioDataset.from_path(tmp_path, audio_formats=["wav", "flac"])
    assert dataset.ids == ["s1/a.wav", "s1/deep/b.flac", "s2/c.WAV"]
    assert dataset.data["s2/c.WAV"]["embedding"] == tmp_path / "s2/c_emb.txt"


def test_folder_without_audio_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", "1")
    with pytest.raises(DatasetError, match="no audio file"):
        AudioDataset.from_path(tmp_path)


def test_single_audio_file_is_a_one_item_dataset(tmp_path: Path) -> None:
    audio = write(tmp_path / "x.mp3", "")
    dataset = AudioDataset.from_path(audio)
    assert dataset.ids == ["x.mp3"] and dataset[0].audio_path == audio


def test_unknown_file_type_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a dataset"):
        AudioDataset.from_path(write(tmp_path / "x.json", "{}"))


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"nope\.csv: dataset not found"):
        AudioDataset.from_path(tmp_path / "nope.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the CSV file is empty"),
        ("id,embedding,speaker\n", "a header but no rows"),
        (
            "id,speaker\na,s\n",
            "needs at least one of the columns audio, embedding, binary_attributes",
        ),
        ("embedding,speaker\nv.npy,s\n", "needs an 'id' column"),
        (
            "id,embedding\na,v.npy\nb,w.npy\na,x.npy\n",
            r"id 'a' appears more than once \(lines 2 and 4\)",
        ),
        ("id,embedding\na,v.npy\n,w.npy\n", "row 3 has no id"),
    ],
)
def test_bad_csv_is_a_dataset_error_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    csv_path = write(tmp_path / "bad.csv", text)
    with pytest.raises(DatasetError, match=f"bad.csv: .*{message}"):
        AudioDataset.from_path(csv_path)


def test_filter_keeps_matching_items_and_settings(vector_dataset) -> None:
    dataset = AudioDataset.from_path(vector_dataset(3, 2, 4), sample_rate=8000)
    subset = dataset.filter(lambda item: item["speaker"] == "spk001")
    assert subset.ids == ["spk001/utt00", "spk001/utt01"]
    assert subset[0].sample_rate == 8000 and len(dataset) == 6


def test_constructor_accepts_string_paths_and_data_ids(tmp_path: Path) -> None:
    save_vector(tmp_path / "v.npy", np.ones(2, np.float32))
    data = {"b": {"embedding": str(tmp_path / "v.npy")}, "a": {"speaker": "s"}}
    dataset = AudioDataset(data, data_ids=["b", "a"], sort=False)
    assert dataset.ids == ["b", "a"]
    assert dataset[0].embedding.tolist() == [1.0, 1.0]
    assert str(dataset).endswith("2 items, 1 with embeddings, 0 with binary attributes, 1 speakers")


def test_constructor_refuses_unknown_data_ids() -> None:
    with pytest.raises(DatasetError, match="'z', which is not in data"):
        AudioDataset({"a": {}}, data_ids=["z"])


def test_whitespace_only_path_cell_counts_as_empty(tmp_path: Path) -> None:
    save_vector(tmp_path / "a.npy", np.ones(2, np.float32))
    csv_path = write(tmp_path / "d.csv", "id,embedding,audio,speaker\na,a.npy,  ,s\nb,   ,,s\n")
    dataset = AudioDataset.from_path(csv_path)
    assert "audio" not in dataset.data["a"] and "embedding" not in dataset.data["b"]
    assert dataset.counts()["embedding"] == 1


@pytest.mark.parametrize("ref", ["v.npy", Path("v.npy"), "m.npy#1"])
def test_relative_paths_resolve_against_the_working_directory_at_construction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ref: str | Path
) -> None:
    save_vector(tmp_path / "v.npy", np.float32([0, 1]))
    np.save(tmp_path / "m.npy", np.float32([[5, 5], [0, 1]]))
    monkeypatch.chdir(tmp_path)
    dataset = AudioDataset({"a": {"embedding": ref, "audio": "a.wav", "speaker": "s"}})
    monkeypatch.chdir(tmp_path.parent)
    assert dataset[0].embedding.tolist() == [0, 1]
    assert dataset[0].audio_path == tmp_path / "a.wav"
