"""A run killed by SIGTERM or SIGKILL and resumed ends bitwise equal to an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from balr.data.synthetic import main as synthesize

pytestmark = pytest.mark.slow

# Exhaustive batches over 8,000 samples: each epoch takes long enough (~0.2 s) to be interrupted.
SETTINGS = [
    "trainer.input_dim=32",
    "trainer.internal_dim=32",
    "trainer.epochs=12",
    "trainer.log_period=1",
    "trainer.val_period=3",
    "data.sampler=exhaustive",
    "data.N_classes_per_batch=16",
    "data.M_samples_per_class=4",
    "data.batch_size=64",
]
ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("signals") / "pack"
    args = ["--speakers", "100", "--utterances", "8000", "--dim", "32", "--format", "packed"]
    synthesize([str(out), *args])
    return out


@pytest.fixture(scope="module")
def uninterrupted(data: Path) -> Path:
    run = data.parent / "uninterrupted"
    assert train(data, run).wait(timeout=300) == 0
    return run


def train(data: Path, run: Path, *extra: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "balr", "train", str(data), str(data), "--save-dir", str(run)]
    return subprocess.Popen(
        [*command, *SETTINGS, *extra],
        env=ENV,
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def resume(run: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "balr", "train", "--resume", str(run)]
    return subprocess.run(command, env=ENV, text=True, capture_output=True, timeout=300)


def interrupt_after_epoch(process: subprocess.Popen[str], run: Path, epoch: int, sig: int) -> str:
    """Send `sig` once metrics.csv has the train row of `epoch`; return the run's stderr."""
    deadline = time.monotonic() + 120
    metrics = run / "metrics.csv"
    while time.monotonic() < deadline and process.poll() is None:
        if metrics.is_file() and f"\n{epoch},train," in metrics.read_text():
            process.send_signal(sig)
            break
        time.sleep(0.01)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode != 0, "the run ended before it could be interrupted"
    return stderr


def assert_same_run(run: Path, reference: Path) -> None:
    ours = torch.load(run / "last.pt", weights_only=True)
    theirs = torch.load(reference / "last.pt", weights_only=True)
    assert ours["epoch"] == theirs["epoch"] == 12
    for key, tensor in theirs["model"].items():
        assert torch.equal(ours["model"][key], tensor), key
    assert (run / "metrics.csv").read_text() == (reference / "metrics.csv").read_text()


def test_sigterm_saves_last_pt_and_resume_matches_uninterrupted_run(
    data: Path, uninterrupted: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    stderr = interrupt_after_epoch(train(data, run), run, 4, signal.SIGTERM)
    assert "--resume" in stderr and "Traceback" not in stderr
    saved = torch.load(run / "last.pt", weights_only=True)
    assert 4 <= saved["epoch"] < 12
    finished = resume(run)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert_same_run(run, uninterrupted)


def test_sigkill_then_resume_matches_uninterrupted_run(
    data: Path, uninterrupted: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    interrupt_after_epoch(train(data, run), run, 5, signal.SIGKILL)
    torch.load(run / "last.pt", weights_only=True)  # never half-written
    finished = resume(run)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert_same_run(run, uninterrupted)


def test_resume_applies_and_records_new_epochs(
    data: Path, uninterrupted: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    interrupt_after_epoch(train(data, run), run, 3, signal.SIGTERM)
    command = [sys.executable, "-m", "balr", "train", "--resume", str(run), "trainer.epochs=13"]
    finished = subprocess.run(command, env=ENV, text=True, capture_output=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert torch.load(run / "last.pt", weights_only=True)["epoch"] == 13
    assert "trainer.epochs=13" in (run / ".hydra" / "overrides.yaml").read_text()
