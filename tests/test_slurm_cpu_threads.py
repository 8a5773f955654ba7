"""On CPU inside a Slurm job, torch uses the task's CPUs, not every core it could run on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from balr.training import distributed as ddp
from balr.training.trainer import _use_all_cores

CPU = torch.device("cpu")


@pytest.fixture(autouse=True)
def keep_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    before = torch.get_num_threads()
    for name in ("OMP_NUM_THREADS", "LOCAL_WORLD_SIZE", "SLURM_CPUS_PER_TASK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("balr.training.trainer._available_cores", lambda: 2)
    yield
    torch.set_num_threads(before)


def test_slurm_cpus_per_task_caps_the_thread_count(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "1")
    _use_all_cores(CPU, ddp.DistributedContext())
    assert torch.get_num_threads() == 1


def test_without_slurm_every_available_core_is_used() -> None:
    torch.set_num_threads(1)
    _use_all_cores(CPU, ddp.DistributedContext())
    assert torch.get_num_threads() == 2


def test_omp_num_threads_still_wins_inside_slurm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLURM_CPUS_PER_TASK", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    torch.set_num_threads(2)
    _use_all_cores(CPU, ddp.DistributedContext())
    assert torch.get_num_threads() == 2
