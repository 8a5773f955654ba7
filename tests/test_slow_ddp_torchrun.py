"""DDP on CPU (gloo): torchrun and --nproc-per-node give one run dir and ranks in sync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

LIBRI = Path(__file__).resolve().parents[2] / "shared" / "data" / "librispeech-sample"
MAIN = Path(__file__).resolve().parents[1] / "balr" / "cli" / "main.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not LIBRI.is_dir(), reason="shared sample data not present"),
]

TRAIN_ARGS = [
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
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2"]


def run(command: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "OMP_NUM_THREADS": "1", **env}
    result = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def assert_one_complete_run(cwd: Path) -> Path:
    assert [p.name for p in (cwd / "runs").iterdir()] == ["train"]
    run_dir = cwd / "runs" / "train"
    for name in ("last.pt", "best.pt", "metrics.csv", "summary.json", ".hydra/config.yaml"):
        assert (run_dir / name).exists(), name
    assert torch.load(run_dir / "last.pt", weights_only=True)["epoch"] == 2
    assert "x 2 ranks" in (run_dir / "train.log").read_text()
    return run_dir


def test_torchrun_ranks_share_one_run_dir_and_end_with_equal_weights(tmp_path: Path) -> None:
    dumps = tmp_path / "dumps"
    dumps.mkdir()
    arcface = "trainer.losses=[mse,triplet,arcface]"
    command = [*TORCHRUN, str(MAIN), "train", *TRAIN_ARGS, arcface]
    run(command, tmp_path, BALR_DDP_PARAM_DUMP=str(dumps))
    run_dir = assert_one_complete_run(tmp_path)
    rank0 = flat(torch.load(dumps / "rank0.pt", weights_only=True))
    rank1 = flat(torch.load(dumps / "rank1.pt", weights_only=True))
    saved = flat(torch.load(run_dir / "last.pt", weights_only=True))
    assert any(key.startswith("losses/arcface/") for key in rank0), "no ArcFace centres dumped"
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
        assert torch.equal(rank0[key], saved[key]), key


def flat(state: dict, prefix: str = "") -> dict[str, torch.Tensor]:
    """Tensors of a nested checkpoint dict keyed by their path ('model/encoder.0.weight')."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}{key}/"))
        elif isinstance(value, torch.Tensor):
            out[f"{prefix}{key}"] = value
    return out


def test_torchrun_module_entry_point(tmp_path: Path) -> None:
    run([*TORCHRUN, "-m", "balr", "train", *TRAIN_ARGS], tmp_path)
    assert_one_complete_run(tmp_path)


def test_nproc_per_node_starts_the_workers_itself(tmp_path: Path) -> None:
    result = run(
        [sys.executable, "-m", "balr", "train", "--nproc-per-node", "2", *TRAIN_ARGS], tmp_path
    )
    assert_one_complete_run(tmp_path)
    assert "starting 2 workers" in result.stderr


def test_nproc_per_node_worker_failure_is_one_line_and_leaves_no_run_dir(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.csv")
    command = [sys.executable, "-m", "balr", "train", "--nproc-per-node", "2", *TRAIN_ARGS]
    command[command.index(str(LIBRI / "val.csv"))] = missing
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        command, cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "balr: error: worker rank" in result.stderr.splitlines()[-1]
    assert "missing.csv" in result.stderr
    assert not (tmp_path / "runs").exists() or list((tmp_path / "runs").iterdir()) == []


def test_sigterm_stops_both_ranks_and_resume_finishes_the_run(tmp_path: Path) -> None:
    # The pre-emption path of a multi-GPU job: every rank stops at one step, last.pt holds it.
    epochs = 400  # ~0.1 s each: the signal always lands mid-run
    args = [*TRAIN_ARGS, f"trainer.epochs={epochs}", "trainer.val_period=50"]
    command = [sys.executable, "-m", "balr", "train", "--nproc-per-node", "2", *args]
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    last = tmp_path / "runs" / "train" / "last.pt"
    deadline = time.monotonic() + 120
    while not last.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert "balr train --resume" in stderr
    stopped = torch.load(last, weights_only=True)["epoch"]
    assert 0 < stopped < epochs

    resume = [sys.executable, "-m", "balr", "train", "--nproc-per-node", "2", "--resume"]
    run([*resume, str(tmp_path / "runs" / "train"), "--device", "cpu"], tmp_path)
    assert torch.load(last, weights_only=True)["epoch"] == epochs
    rows = (tmp_path / "runs" / "train" / "metrics.csv").read_text().splitlines()[1:]
    train_epochs = [int(row.split(",")[0]) for row in rows if ",train," in row]
    assert train_epochs == sorted(set(train_epochs)) and train_epochs[-1] == epochs
