"""`balr binarize` with the BA-LR 2.0 checkpoint, and `balr runs` over a finished run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from balr.data import AudioDataset

SHARED = Path(__file__).resolve().parents[2] / "shared"
VOX = SHARED / "data" / "voxceleb-sample" / "all.csv"
BAE = SHARED / "models" / "BAE_mse.pt"

pytestmark = pytest.mark.skipif(not BAE.is_file(), reason="shared material not present")


def test_bae_checkpoint_binarises_voxceleb_sample(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    status = main(
        ["binarize", str(VOX), f"encoder.model.checkpoint_path={BAE}", "--save-dir", "out"]
    )
    assert status == 0
    result = AudioDataset.from_path(tmp_path / "out" / "binarized.csv")
    assert len(result) == 106
    vector = np.asarray(result[0].binary_attributes)
    assert vector.shape == (512,) and set(np.unique(vector)) <= {0, 1}


def test_missing_checkpoint_is_a_one_line_error(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    status = main(["binarize", str(VOX), "encoder.model.checkpoint_path=missing.pt"])
    assert status == 2
    assert "missing.pt" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_runs_lists_a_finished_run_as_csv(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", "trainer.epochs=1", "trainer.internal_dim=64"]) == 0
    capsys.readouterr()
    assert main(["runs", "runs", "--csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("run,losses,dims")
    assert "runs/train" in lines[1] and "msex1" in lines[1]
