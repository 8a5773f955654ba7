"""The embedding-table cache: hits, staleness, keys, location."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import balr.data.table as table_module
from balr.data import AudioDataset, load_embedding_table, save_vector
from balr.data.cache import cache_key, default_cache_dir


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the bulk reads of vector files (each entry: number of files read)."""
    calls: list[int] = []
    real = table_module.read_vectors

    def counting(refs, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(refs))
        return real(refs, *args, **kwargs)

    monkeypatch.setattr(table_module, "read_vectors", counting)
    return calls


def load(dataset: AudioDataset, cache_dir: Path):  # type: ignore[no-untyped-def]
    return load_embedding_table(dataset, cache_dir=cache_dir, progress=False)


def test_second_load_comes_from_the_cache(vector_dataset, tmp_path: Path, reads: list[int]) -> None:
    dataset = AudioDataset.from_path(vector_dataset(3, 2, 4))
    first = load(dataset, tmp_path / "cache")
    second = load(dataset, tmp_path / "cache")
    assert reads == [6]
    assert second.ids == first.ids and second.labels.tolist() == first.labels.tolist()
    np.testing.assert_array_equal(second.embeddings.numpy(), first.embeddings.numpy())


def test_touching_one_file_rebuilds_the_cache(
    vector_dataset, tmp_path: Path, reads: list[int]
) -> None:
    dataset = AudioDataset.from_path(vector_dataset(3, 2, 4))
    load(dataset, tmp_path / "cache")
    path = dataset.data["spk001/utt00"]["embedding"]
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    load(dataset, tmp_path / "cache")
    load(dataset, tmp_path / "cache")
    assert reads == [6, 6]


def test_editing_one_file_updates_the_values(vector_dataset, tmp_path: Path) -> None:
    dataset = AudioDataset.from_path(vector_dataset(3, 2, 4, "txt"))
    load(dataset, tmp_path / "cache")
    save_vector(dataset.data["spk002/utt01"]["embedding"], np.float32([9, 8, 7, 6]))
    table = load(dataset, tmp_path / "cache")
    assert table.embeddings[table.ids.index("spk002/utt01")].tolist() == [9, 8, 7, 6]


def test_two_datasets_never_share_an_entry(vector_dataset, tmp_path: Path) -> None:
    one = AudioDataset.from_path(vector_dataset(2, 2, 4, name="one", seed=1))
    two = AudioDataset.from_path(vector_dataset(2, 2, 4, name="two", seed=2))
    load(one, tmp_path / "cache")
    table = load(two, tmp_path / "cache")
    expected = np.stack([np.load(d["embedding"]) for _, d in two.iter_dicts()])
    np.testing.assert_array_equal(table.embeddings.numpy(), expected)
    assert len(list((tmp_path / "cache").glob("*.json"))) == 2


def test_a_filtered_dataset_gets_its_own_entry(vector_dataset, tmp_path: Path) -> None:
    dataset = AudioDataset.from_path(vector_dataset(3, 2, 4))
    load(dataset, tmp_path / "cache")
    subset = dataset.filter(lambda item: item["speaker"] != "spk000")
    assert len(load(subset, tmp_path / "cache")) == 4


def files_beside(csv_path: Path) -> list[str]:
    return sorted(p.name for p in csv_path.parent.iterdir())


def test_cache_goes_to_the_user_cache_dir_not_beside_the_data(
    vector_dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    csv_path = vector_dataset(2, 2, 4)
    before = files_beside(csv_path)
    load_embedding_table(AudioDataset.from_path(csv_path), progress=False)
    assert files_beside(csv_path) == before
    entries = list((tmp_path / "xdg" / "balr" / "tables").iterdir())
    assert sorted(p.suffix for p in entries) == [".json", ".npy", ".npy"]


def test_without_xdg_cache_home_the_cache_is_in_home_dot_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "balr" / "tables"


def test_a_read_only_data_folder_is_cached_and_reused(
    vector_dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reads: list[int]
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    csv_path = vector_dataset(2, 2, 4)
    folders = [csv_path.parent, *[p for p in csv_path.parent.rglob("*") if p.is_dir()]]
    for folder in folders:
        folder.chmod(0o555)
    try:
        for _ in range(2):
            load_embedding_table(AudioDataset.from_path(csv_path), progress=False)
    finally:
        for folder in folders:
            folder.chmod(0o755)
    assert reads == [4]
    assert len(list((tmp_path / "xdg" / "balr" / "tables").glob("*.json"))) == 1


def test_the_same_relative_path_in_two_folders_gets_two_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        keys.append(cache_key(["a"], [Path("vectors/a_emb.npy")]))
    assert keys[0] != keys[1]


def test_cache_writes_leave_no_temporary_files(vector_dataset, tmp_path: Path) -> None:
    load(AudioDataset.from_path(vector_dataset(2, 2, 4)), tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".")]


def test_use_cache_false_writes_nothing(
    vector_dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    csv_path = vector_dataset(2, 2, 4)
    before = files_beside(csv_path)
    load_embedding_table(AudioDataset.from_path(csv_path), use_cache=False, progress=False)
    assert files_beside(csv_path) == before
    assert not (tmp_path / "xdg").exists()


def rewrite_keeping_mtime(path: Path, vector: np.ndarray) -> None:
    """Replace `path` by a same-size file and restore its mtime, as `cp -p` or `rsync -t` do."""
    before = os.stat(path)
    np.save(path.with_name("new.npy"), vector)
    os.replace(path.with_name("new.npy"), path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(path).st_size == before.st_size


def test_a_file_rewritten_with_its_old_mtime_rebuilds_the_cache(
    vector_dataset, tmp_path: Path, reads: list[int]
) -> None:
    dataset = AudioDataset.from_path(vector_dataset(3, 2, 4))
    load(dataset, tmp_path / "cache")
    rewrite_keeping_mtime(dataset.data["spk001/utt00"]["embedding"], np.float32([9, 8, 7, 6]))
    table = load(dataset, tmp_path / "cache")
    assert reads == [6, 6]
    assert table.embeddings[table.ids.index("spk001/utt00")].tolist() == [9, 8, 7, 6]


def test_a_matrix_rewritten_with_its_old_mtime_rebuilds_the_cache(tmp_path: Path) -> None:
    np.save(tmp_path / "m.npy", np.zeros((2, 3), np.float32))
    (tmp_path / "d.csv").write_text("id,embedding,speaker\na,m.npy#0,s\nb,m.npy#1,t\n")
    dataset = AudioDataset.from_path(tmp_path / "d.csv")
    load(dataset, tmp_path / "cache")
    rewrite_keeping_mtime(tmp_path / "m.npy", np.ones((2, 3), np.float32))
    assert load(dataset, tmp_path / "cache").embeddings.tolist() == [[1, 1, 1], [1, 1, 1]]
