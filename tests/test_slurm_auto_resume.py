"""A requeued Slurm job (SLURM_RESTART_COUNT > 0) continues from its own run dir's last.pt."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from balr.cli.train_app import auto_resume_source


def run_dir_with_last(tmp_path: Path) -> Path:
    (tmp_path / "last.pt").write_bytes(b"checkpoint")
    return tmp_path


def test_requeued_job_resumes_from_its_last_pt(tmp_path: Path) -> None:
    run_dir = run_dir_with_last(tmp_path)
    assert auto_resume_source(run_dir, {"SLURM_RESTART_COUNT": "1"}) == run_dir / "last.pt"


def test_first_attempt_starts_fresh_even_with_a_last_pt(tmp_path: Path) -> None:
    run_dir = run_dir_with_last(tmp_path)
    assert auto_resume_source(run_dir, {"SLURM_RESTART_COUNT": "0"}) is None
    assert auto_resume_source(run_dir, {}) is None


def test_requeued_before_any_checkpoint_starts_fresh(tmp_path: Path) -> None:
    assert auto_resume_source(tmp_path, {"SLURM_RESTART_COUNT": "2"}) is None


def test_resume_after_requeue_is_logged_with_the_restart_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    run_dir = run_dir_with_last(tmp_path)
    with caplog.at_level(logging.INFO, logger="balr.train"):
        auto_resume_source(run_dir, {"SLURM_RESTART_COUNT": "3"})
    assert "Slurm restart 3 of this job: continuing from" in caplog.text
