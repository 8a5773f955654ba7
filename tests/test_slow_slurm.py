"""Sweeps through the `hydra/launcher=slurm` preset on a real Slurm cluster.

.ci/run starts a one-node cluster (../shared/slurm/start-local-slurm.sh) and exports
BALR_SLURM_PARTITION; without it these tests are skipped.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

PARTITION = os.environ.get("BALR_SLURM_PARTITION")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not PARTITION or shutil.which("sbatch") is None, reason="no Slurm cluster to submit to"
    ),
]


def slurm_overrides(timeout_min: int) -> list[str]:
    return [
        "hydra/launcher=slurm",
        f"hydra.launcher.partition={PARTITION}",
        "hydra.launcher.cpus_per_task=1",
        "hydra.launcher.mem_gb=1",
        f"hydra.launcher.timeout_min={timeout_min}",
    ]


def sweep(cwd: Path, *overrides: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "balr", "train", "-m", *overrides]
    # A file, not a pipe: nobody reads a pipe while the test polls Slurm, and a full one blocks.
    with (cwd / "sweep.out").open("w") as out:
        return subprocess.Popen(command, cwd=cwd, text=True, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture
def cancel_leftovers(tmp_path: Path) -> Iterator[None]:
    """A failed or timed-out test must not leave its jobs on the cluster for the next one."""
    yield
    for job_id in submitted_jobs(tmp_path / "multirun" / "train"):
        subprocess.run(["scancel", job_id], check=False)


def submitted_jobs(sweep_dir: Path) -> set[str]:
    return {p.name.split("_")[0] for p in sweep_dir.glob(".submitit/*") if p.is_dir()}


def job_dirs(sweep_dir: Path) -> list[Path]:
    return sorted(p for p in sweep_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


@pytest.mark.usefixtures("cancel_leftovers")
def test_two_job_sweep_runs_on_slurm_with_a_summary(tmp_path: Path) -> None:
    process = sweep(tmp_path, "trainer.internal_dim=32,64", "trainer.epochs=2", *slurm_overrides(5))
    sweep_dir = tmp_path / "multirun" / "train"
    output = wait_releasing_holds(process, sweep_dir, 300)
    assert process.returncode == 0, output[-3000:]
    jobs = job_dirs(sweep_dir)
    assert [job.name.rsplit("=", 1)[-1] for job in jobs] == ["32", "64"]
    for job in jobs:
        for name in ("last.pt", "metrics.csv", "summary.json", ".hydra/config.yaml"):
            assert (job / name).exists(), (job.name, name)
    with (sweep_dir / "summary.csv").open() as handle:
        assert sorted(row["dims"] for row in csv.DictReader(handle)) == ["256->32", "256->64"]


def release_requeued_jobs(sweep_dir: Path) -> None:
    """Slurm holds a requeued job ~2 minutes (BeginTime); let it start now to keep tests short."""
    for job_id in submitted_jobs(sweep_dir):
        state = subprocess.run(
            ["scontrol", "show", "job", job_id], capture_output=True, text=True, check=False
        ).stdout
        if "Reason=BeginTime" in state:
            subprocess.run(["scontrol", "update", f"JobId={job_id}", "StartTime=now"], check=False)


def wait_releasing_holds(process: subprocess.Popen[str], sweep_dir: Path, limit_s: float) -> str:
    deadline = time.monotonic() + limit_s
    while process.poll() is None and time.monotonic() < deadline:
        release_requeued_jobs(sweep_dir)
        time.sleep(1)
    if process.poll() is None:
        process.kill()
        process.wait()
    return (sweep_dir.parent.parent / "sweep.out").read_text()


@pytest.mark.usefixtures("cancel_leftovers")
def test_job_past_its_time_limit_is_requeued_and_resumes_from_last_pt(tmp_path: Path) -> None:
    # Slurm checks time limits every 30 s and sends the warning up to 30 s before it is due:
    # under a 1-minute limit, signal_delay_s=15 lands 15-45 s into each stretch, after
    # submitit's handler is in place and well before the limit.
    epochs = 360  # 60-80 s of training on one thread here; one stretch holds at most ~40 s
    process = sweep(
        tmp_path,
        f"trainer.epochs={epochs}",
        "trainer.val_period=180",
        "trainer.log_period=1",
        *slurm_overrides(1),
        "hydra.launcher.signal_delay_s=15",
        "hydra.launcher.max_num_timeout=10",
    )
    sweep_dir = tmp_path / "multirun" / "train"
    output = wait_releasing_holds(process, sweep_dir, 600)
    assert process.returncode == 0, output[-3000:]
    (job,) = job_dirs(sweep_dir)
    log = (job / "train.log").read_text()
    # The warning (USR2) made the trainer save last.pt mid-epoch, then submitit requeued it.
    assert re.search(r"stopped during epoch \d+ after step \d+; last\.pt saved", log), log[-2000:]
    submitit_logs = "".join(p.read_text() for p in sweep_dir.glob(".submitit/*/*_log.err"))
    assert "Caught signal SIGUSR2" in submitit_logs and "Requeued job" in submitit_logs
    resumed = [int(epoch) for epoch in re.findall(r"resumed from .*last\.pt at epoch (\d+)", log)]
    assert resumed and all(1 < epoch < epochs for epoch in resumed), log[-2000:]
    # Each requeued stretch found SLURM_RESTART_COUNT = 1, 2, ... and took the run's last.pt.
    restarts = [int(n) for n in re.findall(r"Slurm restart (\d+) of this job: continuing", log)]
    assert restarts == list(range(1, len(resumed) + 1))
    assert torch.load(job / "last.pt", weights_only=True)["epoch"] == epochs
    with (job / "metrics.csv").open() as handle:
        train_epochs = [int(r["epoch"]) for r in csv.DictReader(handle) if r["split"] == "train"]
    assert train_epochs == list(range(1, epochs + 1))  # continued, never restarted from 1
