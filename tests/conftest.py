"""Shared test helpers: tiny per-file vector datasets built in a temporary folder.

Use the `make_vector_dataset` function directly (``from tests.conftest import
make_vector_dataset``) or through the `vector_dataset` fixture, which binds it
to the test's `tmp_path`:

    def test_something(vector_dataset):
        csv_path = vector_dataset(n_speakers=4, per_speaker=3, dim=8, fmt="npy")
        dataset = AudioDataset.from_path(csv_path)
"""

from __future__ import annotations

import csv
import functools
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

VOXCELEB_SAMPLE = Path("/work/shared/data/voxceleb-sample")
LIBRISPEECH_SAMPLE = Path("/work/shared/data/librispeech-sample")


def make_vector_dataset(
    tmp_path: Path,
    n_speakers: int = 4,
    per_speaker: int = 3,
    dim: int = 8,
    fmt: str = "npy",
    *,
    name: str = "dataset",
    seed: int = 0,
    noise: float = 0.3,
    binary_dim: int | None = None,
) -> Path:
    """Write a small clustered per-file embedding dataset and return its CSV path.

    Layout under ``tmp_path/name``: ``data.csv`` (columns id, embedding, speaker, plus
    binary_attributes when `binary_dim` is given) and one vector file per item at
    ``vectors/spkNNN/uttMM_emb.<fmt>`` (``uttMM_ba.<fmt>`` for binary attributes).
    Ids are ``spkNNN/uttMM``, speakers ``spkNNN``; paths in the CSV are relative.

    Args:
        tmp_path: folder to write under (use a different `name` for several datasets).
        n_speakers: number of speakers.
        per_speaker: utterances per speaker.
        dim: embedding dimension.
        fmt: vector file format: "txt", "npy" or "pkl".
        name: subfolder of `tmp_path` holding the dataset.
        seed: random seed (vectors are unit centroid + `noise` * Gaussian, float32).
        noise: noise scale around each speaker's centroid.
        binary_dim: also write random 0/1 binary-attribute vectors of this length.
    """
    from balr.data.vectors import save_vector

    rng = np.random.default_rng(seed)
    root = tmp_path / name
    root.mkdir(parents=True, exist_ok=False)
    fields = ["id", "embedding", "speaker"] + (["binary_attributes"] if binary_dim else [])
    rows = []
    for s in range(n_speakers):
        centroid = rng.standard_normal(dim)
        centroid /= np.linalg.norm(centroid)
        for u in range(per_speaker):
            vector = (centroid + noise * rng.standard_normal(dim)).astype(np.float32)
            stem = f"vectors/spk{s:03d}/utt{u:02d}"
            save_vector(root / f"{stem}_emb.{fmt}", vector)
            row = {
                "id": f"spk{s:03d}/utt{u:02d}",
                "embedding": f"{stem}_emb.{fmt}",
                "speaker": f"spk{s:03d}",
            }
            if binary_dim:
                save_vector(
                    root / f"{stem}_ba.{fmt}", rng.integers(0, 2, binary_dim).astype(np.uint8)
                )
                row["binary_attributes"] = f"{stem}_ba.{fmt}"
            rows.append(row)
    csv_path = root / "data.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return csv_path


@pytest.fixture
def vector_dataset(tmp_path: Path) -> Callable[..., Path]:
    """`make_vector_dataset` bound to this test's tmp_path."""
    return functools.partial(make_vector_dataset, tmp_path)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path as the working directory (runs/ of a command land in it)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True)
def _user_cache_in_tmp(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep embedding caches that fall back to the user cache dir out of the real home."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.fixture(autouse=True)
def _restore_root_logging() -> Iterator[None]:
    """Drop root-logger handlers a test leaves behind (e.g. a Hydra app's run-dir file
    handler), which would otherwise fail every later log call once tmp dirs are gone."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in before and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
