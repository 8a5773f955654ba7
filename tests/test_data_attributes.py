"""load_attribute_table: binary attributes of a dataset as one 0/1 matrix with speakers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from balr.data import AudioDataset
from balr.data.attributes import load_attribute_table
from balr.data.packing import pack_dataset
from balr.data.vectors import load_ref
from balr.errors import DatasetError


def _expected_bits(dataset: AudioDataset) -> np.ndarray:
    return np.stack(
        [
            load_ref(item["binary_attributes"], "binary_attributes")
            for _, item in dataset.iter_dicts()
        ]
    )


def test_per_file_dataset_gives_bits_labels_and_speakers(vector_dataset) -> None:
    dataset = AudioDataset.from_path(vector_dataset(3, 4, 6, binary_dim=9, fmt="txt"))
    table = load_attribute_table(dataset, require_speakers=True, progress=False)
    assert table.ids == dataset.ids and table.n_attributes == 9
    assert table.bits.dtype == np.uint8 and table.bits.flags.c_contiguous
    np.testing.assert_array_equal(table.bits, _expected_bits(dataset))
    assert table.speakers == ["spk000", "spk001", "spk002"]
    assert table.labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4


def test_packed_dataset_is_memory_mapped(vector_dataset, tmp_path: Path) -> None:
    source = AudioDataset.from_path(vector_dataset(3, 4, 6, binary_dim=7))
    packed = AudioDataset.from_path(pack_dataset(source, tmp_path / "pack", progress=False))
    table = load_attribute_table(packed, progress=False)
    assert isinstance(table.bits, np.memmap)
    np.testing.assert_array_equal(table.bits, load_attribute_table(source, progress=False).bits)
    subset = packed.filter(lambda item: item["speaker"] != "spk001")
    part = load_attribute_table(subset, progress=False)
    assert part.speakers == ["spk000", "spk002"] and len(part) == 8


def _write_csv(root: Path, rows: list[dict[str, str]]) -> Path:
    path = root / "data.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_balr_2_one_hot_files_read_column_zero_as_active(tmp_path: Path) -> None:
    bits = np.array([[1, 0, 1], [0, 0, 1]], np.uint8)
    rows = []
    for n, b in enumerate(bits):
        np.save(tmp_path / f"u{n}_ba.npy", np.stack([b, 1 - b], axis=1).astype(np.float32))
        rows.append({"id": f"u{n}", "binary_attributes": f"u{n}_ba.npy", "speaker": f"s{n}"})
    table = load_attribute_table(AudioDataset.from_path(_write_csv(tmp_path, rows)), progress=False)
    np.testing.assert_array_equal(table.bits, bits)


def test_vector_of_another_length_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "a_ba.npy", np.array([1, 0, 1], np.uint8))
    np.save(tmp_path / "b_ba.npy", np.array([1, 0], np.uint8))
    rows = [
        {"id": "a", "binary_attributes": "a_ba.npy", "speaker": "s"},
        {"id": "b", "binary_attributes": "b_ba.npy", "speaker": "s"},
    ]
    with pytest.raises(DatasetError, match=r"b_ba\.npy: vector has 2 values"):
        load_attribute_table(AudioDataset.from_path(_write_csv(tmp_path, rows)), progress=False)


def test_missing_speaker_is_refused_only_when_required(tmp_path: Path) -> None:
    np.save(tmp_path / "a_ba.npy", np.array([1, 0, 1], np.uint8))
    np.save(tmp_path / "b_ba.npy", np.array([0, 0, 1], np.uint8))
    rows = [
        {"id": "a", "binary_attributes": "a_ba.npy", "speaker": "s"},
        {"id": "b", "binary_attributes": "b_ba.npy", "speaker": ""},
    ]
    dataset = AudioDataset.from_path(_write_csv(tmp_path, rows))
    assert load_attribute_table(dataset, progress=False).labels.tolist() == [0, -1]
    with pytest.raises(DatasetError, match="item 'b' has no speaker"):
        load_attribute_table(dataset, require_speakers=True, progress=False)


def test_item_without_binary_attributes_is_refused(vector_dataset) -> None:
    dataset = AudioDataset.from_path(vector_dataset(2, 2, 4))
    with pytest.raises(DatasetError, match="has no binary attributes: run `balr binarize`"):
        load_attribute_table(dataset, progress=False)


def test_many_one_hot_files_read_like_one_dimensional_ones(tmp_path: Path) -> None:
    # More files than one reader chunk, on several threads: every chunk goes through the
    # same per-file decoding as the first vector (the block parser is for embeddings only).
    from balr.data.reader import read_vectors

    rng = np.random.default_rng(0)
    bits = rng.integers(0, 2, (300, 6)).astype(np.uint8)
    refs = []
    for n, b in enumerate(bits):
        path = tmp_path / f"u{n}_ba.npy"
        layout = np.stack([b, 1 - b], axis=1) if n % 3 else b  # mixed layouts
        np.save(path, layout.astype(np.float32))
        refs.append(path)
    matrix, _ = read_vectors(refs, kind="binary_attributes", num_workers=3, progress=False)
    np.testing.assert_array_equal(matrix, bits)


def test_packed_values_other_than_zero_and_one_are_refused(vector_dataset, tmp_path: Path) -> None:
    source = AudioDataset.from_path(vector_dataset(2, 3, 6, binary_dim=4))
    root = pack_dataset(source, tmp_path / "pack", progress=False)
    matrix = np.load(root / "binary_attributes.npy")
    matrix[4, 1] = 3
    np.save(root / "binary_attributes.npy", matrix)
    with pytest.raises(DatasetError, match="item 'spk001/utt01' holds values other than 0 and 1"):
        load_attribute_table(AudioDataset.from_path(root), progress=False)
