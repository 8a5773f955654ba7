"""AudioDataset.save_vectors and to_csv on per-file datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.data import AudioDataset, load_vector, save_vector
from balr.errors import DatasetError


def audio_dataset(tmp_path: Path) -> AudioDataset:
    for name in ("in/s1/a.wav", "in/s2/b.wav"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    return AudioDataset.from_path(tmp_path / "in")


BITS = np.array([1, 0, 1, 1], dtype=np.uint8)


def test_binary_attributes_are_written_beside_the_audio(tmp_path: Path) -> None:
    dataset = audio_dataset(tmp_path)
    dataset.save_vectors([("s1/a.wav", BITS)], "binary_attributes")
    written = tmp_path / "in/s1/a_ba.txt"
    assert written.read_text() == "1\n0\n1\n1\n"
    assert dataset.data["s1/a.wav"]["binary_attributes"] == written
    assert dataset.get_item("s1/a.wav").binary_attributes.tolist() == [1, 0, 1, 1]


def test_vectors_are_written_beside_the_embedding_file_without_audio(vector_dataset) -> None:
    csv_path = vector_dataset(2, 1, 4, "npy")
    dataset = AudioDataset.from_path(csv_path)
    dataset.save_vectors([("spk000/utt00", BITS)], "binary_attributes")
    written = csv_path.parent / "vectors/spk000/utt00_ba.npy"
    np.testing.assert_array_equal(load_vector(written, "binary_attributes"), BITS)


def test_output_dir_mirrors_paths_below_the_common_folder(tmp_path: Path) -> None:
    dataset = audio_dataset(tmp_path)
    dataset.set_output_dir(tmp_path / "out")
    dataset.save_vectors([("s1/a.wav", BITS), ("s2/b.wav", 1 - BITS)], "binary_attributes")
    assert (tmp_path / "out/s1/a_ba.txt").read_text() == "1\n0\n1\n1\n"
    assert (tmp_path / "out/s2/b_ba.txt").is_file()
    assert not (tmp_path / "in/s1/a_ba.txt").exists()


def test_format_can_be_chosen(tmp_path: Path) -> None:
    dataset = audio_dataset(tmp_path)
    vector = np.float32([0.25, -1.5])
    dataset.save_vectors([("s2/b.wav", vector)], "embedding", fmt="pkl")
    np.testing.assert_array_equal(load_vector(tmp_path / "in/s2/b_emb.pkl"), vector)


def test_unknown_id_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="'nope', which is not an item"):
        audio_dataset(tmp_path).save_vectors([("nope", BITS)], "binary_attributes")


def test_unknown_vector_type_is_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="vector_type"):
        audio_dataset(tmp_path).save_vectors([("s1/a.wav", BITS)], "attributes")


def test_non_binary_values_are_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not all 0 or 1"):
        audio_dataset(tmp_path).save_vectors([("s1/a.wav", BITS * 2)], "binary_attributes")


def test_item_without_any_file_needs_an_output_dir(tmp_path: Path) -> None:
    dataset = AudioDataset({"x/y": {"speaker": "s"}})
    with pytest.raises(DatasetError, match="set an output dir"):
        dataset.save_vectors([("x/y", BITS)], "binary_attributes")
    dataset.set_output_dir(tmp_path)
    dataset.save_vectors([("x/y", BITS)], "binary_attributes")
    assert (tmp_path / "x/y_ba.txt").is_file()


def test_to_csv_round_trips_paths_and_fields(vector_dataset) -> None:
    csv_path = vector_dataset(2, 2, 4, "txt")
    dataset = AudioDataset.from_path(csv_path)
    dataset.set_output_dir(csv_path.parent / "binary")
    dataset.save_vectors([(i, BITS) for i in dataset.ids], "binary_attributes")
    out = dataset.to_csv(csv_path.parent / "binarized.csv")
    assert out.read_text().splitlines()[:2] == [
        "id,embedding,binary_attributes,speaker",
        "spk000/utt00,vectors/spk000/utt00_emb.txt,binary/spk000/utt00_ba.txt,spk000",
    ]
    again = AudioDataset.from_path(out)
    assert dict(again.iter_dicts()) == dict(dataset.iter_dicts())
    assert str(again).endswith("4 items, 4 with embeddings, 4 with binary attributes, 2 speakers")


def test_to_csv_writes_paths_outside_its_folder_absolute(tmp_path: Path) -> None:
    save_vector(tmp_path / "v.npy", np.ones(2, np.float32))
    out = AudioDataset({"a": {"embedding": tmp_path / "v.npy"}}).to_csv(tmp_path / "sub/d.csv")
    assert out.read_text().splitlines()[1] == f"a,{tmp_path / 'v.npy'}"
