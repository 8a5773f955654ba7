"""Packed datasets: pack round trip, from_path, fast table, writing vectors of packed items."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from balr.data import (
    AudioDataset,
    load_embedding_table,
    pack_dataset,
    save_packed_binary_attributes,
)
from balr.data.packed import MANIFEST
from balr.errors import DatasetError
from tests.conftest import VOXCELEB_SAMPLE


def packed(vector_dataset, tmp_path: Path, **kwargs) -> tuple[AudioDataset, AudioDataset]:  # type: ignore[no-untyped-def]
    source = AudioDataset.from_path(vector_dataset(3, 4, 6, **kwargs))
    out = pack_dataset(source, tmp_path / "pack", progress=False)
    return source, AudioDataset.from_path(out)


def table(dataset: AudioDataset):  # type: ignore[no-untyped-def]
    return load_embedding_table(dataset, use_cache=False, progress=False)


def test_pack_round_trip_keeps_ids_speakers_and_vectors(vector_dataset, tmp_path: Path) -> None:
    source, pack = packed(vector_dataset, tmp_path)
    a, b = table(source), table(pack)
    assert pack.is_packed and b.ids == a.ids and b.speakers == a.speakers
    assert b.labels.tolist() == a.labels.tolist()
    np.testing.assert_array_equal(b.embeddings.numpy(), a.embeddings.numpy())


def test_pack_folder_holds_manifest_index_and_matrix(vector_dataset, tmp_path: Path) -> None:
    packed(vector_dataset, tmp_path)
    names = sorted(p.name for p in (tmp_path / "pack").iterdir())
    assert names == ["balr-pack.json", "embeddings.npy", "index.parquet"]
    manifest = json.loads((tmp_path / "pack" / MANIFEST).read_text())
    assert (manifest["version"], manifest["count"], manifest["embedding_dim"]) == (1, 12, 6)


def test_packed_items_carry_their_vectors(vector_dataset, tmp_path: Path) -> None:
    source, pack = packed(vector_dataset, tmp_path)
    assert str(pack).endswith("12 items, 12 with embeddings, 0 with binary attributes, 3 speakers")
    item = pack.get_item("spk002/utt03")
    assert item.speaker == "spk002"
    assert item.embedding.tolist() == source.get_item("spk002/utt03").embedding.tolist()


def test_packed_table_is_memory_mapped(vector_dataset, tmp_path: Path) -> None:
    _, pack = packed(vector_dataset, tmp_path)
    assert pack.packed is not None
    matrix = pack.packed[0].matrix("embedding")
    assert isinstance(matrix, np.memmap)
    assert np.shares_memory(table(pack).embeddings.numpy(), matrix)


def test_binary_attributes_are_packed_when_every_item_has_them(
    vector_dataset, tmp_path: Path
) -> None:
    source, pack = packed(vector_dataset, tmp_path, binary_dim=5)
    item = pack.get_item("spk000/utt01")
    assert (
        item.binary_attributes.tolist()
        == source.get_item("spk000/utt01").binary_attributes.tolist()
    )


def test_voxceleb_sample_packs_and_reloads(tmp_path: Path) -> None:
    source = AudioDataset.from_path(VOXCELEB_SAMPLE / "train.csv")
    pack = AudioDataset.from_path(pack_dataset(source, tmp_path / "vox", progress=False))
    assert (len(pack), table(pack).num_speakers) == (68, 6)


def test_filtered_packed_dataset_loads_its_rows(vector_dataset, tmp_path: Path) -> None:
    source, pack = packed(vector_dataset, tmp_path)
    subset = pack.filter(lambda item: item["speaker"] == "spk001")
    got = table(subset)
    assert got.ids == [i for i in source.ids if i.startswith("spk001")]
    assert got.embeddings[0].tolist() == source.get_item(got.ids[0]).embedding.tolist()


def test_packing_refuses_a_non_empty_foreign_folder(vector_dataset, tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="not empty and not a packed dataset"):
        packed(vector_dataset, tmp_path)


def test_packing_needs_an_embedding_for_every_item(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="item 'a' has no embedding"):
        pack_dataset(AudioDataset({"a": {"speaker": "s"}}), tmp_path / "p")


def test_newer_pack_version_is_refused(vector_dataset, tmp_path: Path) -> None:
    packed(vector_dataset, tmp_path)
    manifest_path = tmp_path / "pack" / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "version": 99}))
    with pytest.raises(DatasetError, match="version 99 is newer"):
        AudioDataset.from_path(tmp_path / "pack")


@pytest.mark.parametrize(
    ("content", "match"),
    [("[1, 2]", "not a balr pack manifest"), ("[" * 100_000 + "]" * 100_000, "RecursionError")],
)
def test_a_manifest_that_is_no_object_is_one_line(
    vector_dataset, tmp_path: Path, content: str, match: str
) -> None:
    # A list gave an AttributeError traceback, JSON nested 100,000 deep a RecursionError one.
    packed(vector_dataset, tmp_path)
    (tmp_path / "pack" / MANIFEST).write_text(content)
    with pytest.raises(DatasetError, match=match):
        AudioDataset.from_path(tmp_path / "pack")


def bits_for(dataset: AudioDataset, k: int = 5) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(3)
    return [(i, rng.integers(0, 2, k).astype(np.uint8)) for i in dataset.ids]


def test_streamed_binary_attributes_of_a_pack_go_to_a_new_pack(
    vector_dataset, tmp_path: Path
) -> None:
    _, pack = packed(vector_dataset, tmp_path)
    pairs = bits_for(pack)
    pack.set_output_dir(tmp_path / "out")
    pack.save_vectors(pairs[:5], "binary_attributes")
    assert not (tmp_path / "out/binary_attributes.npy").exists()
    pack.save_vectors(pairs[5:], "binary_attributes")
    out = AudioDataset.from_path(tmp_path / "out")
    assert str(out).endswith("12 items, 12 with embeddings, 12 with binary attributes, 3 speakers")
    assert out.get_item(pairs[7][0]).binary_attributes.tolist() == pairs[7][1].tolist()
    assert pack.packed is not None and pack.packed[0].root == tmp_path / "out"


def test_binary_attributes_written_into_the_source_pack(vector_dataset, tmp_path: Path) -> None:
    _, pack = packed(vector_dataset, tmp_path)
    pairs = bits_for(pack)
    pack.save_vectors(pairs, "binary_attributes")
    again = AudioDataset.from_path(tmp_path / "pack")
    assert again.get_item(pairs[0][0]).binary_attributes.tolist() == pairs[0][1].tolist()


def test_a_subset_cannot_write_new_vectors_into_its_pack(vector_dataset, tmp_path: Path) -> None:
    _, pack = packed(vector_dataset, tmp_path)
    subset = pack.filter(lambda item: item["speaker"] == "spk001")
    with pytest.raises(DatasetError, match="set an output dir"):
        subset.save_vectors(bits_for(subset), "binary_attributes")


def test_packed_dataset_csv_refers_to_matrix_rows(vector_dataset, tmp_path: Path) -> None:
    _, pack = packed(vector_dataset, tmp_path)
    pack.set_output_dir(tmp_path / "out")
    pack.save_vectors(bits_for(pack), "binary_attributes")
    csv_path = pack.to_csv(tmp_path / "out/binarized.csv")
    assert csv_path.read_text().splitlines()[1] == (
        "spk000/utt00,embeddings.npy#0,binary_attributes.npy#0,spk000"
    )
    again = AudioDataset.from_path(csv_path)
    np.testing.assert_array_equal(table(again).embeddings.numpy(), table(pack).embeddings.numpy())
    assert again[4].binary_attributes.tolist() == pack[4].binary_attributes.tolist()


def test_save_packed_binary_attributes_packs_a_per_file_dataset(
    vector_dataset, tmp_path: Path
) -> None:
    source = AudioDataset.from_path(vector_dataset(2, 2, 4))
    pairs = bits_for(source, 3)
    out = save_packed_binary_attributes(source, pairs, tmp_path / "ba-pack")
    result = AudioDataset.from_path(out)
    assert result[3].binary_attributes.tolist() == pairs[3][1].tolist()
    assert result[3].embedding.tolist() == source[3].embedding.tolist()


def test_folder_with_index_and_matrix_but_no_manifest_opens(vector_dataset, tmp_path: Path) -> None:
    source, _ = packed(vector_dataset, tmp_path)
    (tmp_path / "pack" / MANIFEST).unlink()
    again = AudioDataset.from_path(tmp_path / "pack")
    assert again.is_packed and table(again).ids == source.ids


def bare_pack(tmp_path: Path, embeddings: np.ndarray) -> Path:
    """A folder with only index.parquet and embeddings.npy, as a user may write it."""
    folder = tmp_path / "bare"
    folder.mkdir()
    ids = [f"u{i}" for i in range(len(embeddings))]
    pl.DataFrame({"id": ids, "speaker": ["s"] * len(ids)}).write_parquet(folder / "index.parquet")
    np.save(folder / "embeddings.npy", embeddings)
    return folder


def test_float64_embedding_matrix_is_refused_naming_the_file(tmp_path: Path) -> None:
    folder = bare_pack(tmp_path, np.ones((3, 4)))
    with pytest.raises(DatasetError, match=r"embeddings\.npy: holds float64 .* float32"):
        AudioDataset.from_path(folder)


def test_matrix_of_wrong_dtype_is_refused_in_a_balr_pack_too(
    vector_dataset, tmp_path: Path
) -> None:
    packed(vector_dataset, tmp_path)
    matrix = tmp_path / "pack" / "embeddings.npy"
    np.save(matrix, np.load(matrix).astype(np.float16))
    with pytest.raises(DatasetError, match=r"embeddings\.npy: holds float16"):
        AudioDataset.from_path(tmp_path / "pack")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_embedding_in_a_pack_without_manifest_is_refused(
    tmp_path: Path, bad: float
) -> None:
    embeddings = np.ones((5, 4), np.float32)
    embeddings[3, 1] = bad
    folder = bare_pack(tmp_path, embeddings)
    with pytest.raises(DatasetError, match=r"embeddings\.npy: row 3 holds NaN or infinite"):
        AudioDataset.from_path(folder)


def test_a_failed_save_packed_binary_attributes_leaves_no_writer_behind(
    vector_dataset, tmp_path: Path
) -> None:
    _, pack = packed(vector_dataset, tmp_path)
    subset = pack.filter(lambda item: item["speaker"] == "spk001")
    subset.set_output_dir(tmp_path / "out")
    with pytest.raises(DatasetError, match="set an output dir"):
        save_packed_binary_attributes(subset, bits_for(subset))  # into its pack: refused
    assert subset.output_dir == tmp_path / "out"
    subset.save_vectors(bits_for(subset), "binary_attributes")
    assert str(AudioDataset.from_path(tmp_path / "out")).endswith(
        "4 with binary attributes, 1 speakers"
    )
