"""`balr binarize` options: skipping done items, --force, --no-save-output, --save-dir layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from balr.cli.main import main
from balr.data import AudioDataset
from balr.models import AutoEncoder
from tests.conftest import make_vector_dataset


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    """A BA-LR style state_dict for 8-dim embeddings and 16 attributes."""
    torch.manual_seed(0)
    path = tmp_path / "model.pt"
    torch.save(AutoEncoder(8, 16).state_dict(), path)
    return path


def binarize(csv: Path, checkpoint: Path, *flags: str) -> int:
    return main(["binarize", str(csv), f"encoder.model.checkpoint_path={checkpoint}", *flags])


def test_save_dir_mirrors_the_input_layout(tmp_path: Path, monkeypatch, checkpoint) -> None:
    monkeypatch.chdir(tmp_path)
    csv = make_vector_dataset(tmp_path)
    assert binarize(csv, checkpoint, "--save-dir", "out") == 0
    written = sorted(p.relative_to(tmp_path / "out") for p in (tmp_path / "out").rglob("*_ba.*"))
    # Relative to the input vectors' folder, as the item ids spkNNN/uttMM lay them out.
    assert written == sorted(
        Path(f"spk{s:03d}/utt{u:02d}_ba.npy") for s in range(4) for u in range(3)
    )
    assert not list((tmp_path / "dataset").rglob("*_ba.*"))  # the input is untouched
    again = AudioDataset.from_path(tmp_path / "out" / "binarized.csv")
    assert np.asarray(again[0].binary_attributes).shape == (16,)


def test_existing_attributes_are_skipped_unless_forced(
    tmp_path: Path, monkeypatch, checkpoint, caplog
) -> None:
    monkeypatch.chdir(tmp_path)
    csv = make_vector_dataset(tmp_path, binary_dim=16)
    before = {p: p.read_bytes() for p in (tmp_path / "dataset").rglob("*_ba.*")}
    assert binarize(csv, checkpoint) == 0
    assert {p: p.read_bytes() for p in before} == before
    assert binarize(csv, checkpoint, "--force") == 0
    assert {p: p.read_bytes() for p in before} != before


def test_no_save_output_writes_no_vectors(tmp_path: Path, monkeypatch, checkpoint) -> None:
    monkeypatch.chdir(tmp_path)
    csv = make_vector_dataset(tmp_path)
    assert binarize(csv, checkpoint, "--no-save-output", "--save-dir", "out") == 0
    assert not list(tmp_path.rglob("*_ba.*"))
    assert not (tmp_path / "out" / "binarized.csv").exists()


def test_existing_save_dir_needs_exist_ok(tmp_path: Path, monkeypatch, checkpoint) -> None:
    monkeypatch.chdir(tmp_path)
    csv = make_vector_dataset(tmp_path)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("x")
    assert binarize(csv, checkpoint, "--save-dir", "out") == 2
    assert binarize(csv, checkpoint, "--save-dir", "out", "--exist-ok") == 0
    assert (tmp_path / "out" / "keep.txt").read_text() == "x"
