"""torchrun DDP on CPU (gloo): two ranks agree on one run directory."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

LIBRI = Path(__file__).resolve().parents[2] / "shared" / "data" / "librispeech-sample"
MAIN = Path(__file__).resolve().parents[1] / "balr" / "cli" / "main.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not LIBRI.is_dir(), reason="shared sample data not present"),
]


def test_two_ranks_write_one_run_dir_with_checkpoints(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node",
        "2",
        str(MAIN),
        "train",
        str(LIBRI / "train.csv"),
        str(LIBRI / "val.csv"),
        "--device",
        "cpu",
        "trainer.epochs=2",
        "trainer.internal_dim=64",
        "data.N_classes_per_batch=16",
        "data.M_samples_per_class=4",
        "data.batch_size=64",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["train"]
    run = tmp_path / "runs" / "train"
    for name in ("last.pt", "best.pt", "metrics.csv", "summary.json", ".hydra/config.yaml"):
        assert (run / name).exists(), name
    state = torch.load(run / "last.pt", weights_only=True)
    assert state["epoch"] == 2
