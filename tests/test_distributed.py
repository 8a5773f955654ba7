"""Rank layout from torchrun's or Slurm's environment, device and backend per rank (no GPU)."""

from __future__ import annotations

import signal
import sys
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from balr.cli.main import main
from balr.errors import DeviceError
from balr.training import distributed
from balr.training.devices import device_for_rank
from balr.training.distributed import backend_for, context_from_env, first_host

TORCHRUN = {
    "RANK": "3",
    "WORLD_SIZE": "4",
    "LOCAL_RANK": "1",
    "MASTER_ADDR": "node7",
    "MASTER_PORT": "29400",
}
SLURM = {
    "SLURM_PROCID": "5",
    "SLURM_NTASKS": "8",
    "SLURM_LOCALID": "1",
    "SLURM_JOB_NODELIST": "gpu[03-05,07],cpu1",
    "SLURM_JOB_ID": "123456",
}


def test_a_plain_process_is_rank_zero_of_one() -> None:
    ctx = context_from_env({})
    assert (ctx.rank, ctx.world_size, ctx.local_rank) == (0, 1, 0)
    assert not ctx.enabled and ctx.is_main


def test_torchrun_variables_give_the_rank_layout() -> None:
    ctx = context_from_env(TORCHRUN)
    assert (ctx.rank, ctx.world_size, ctx.local_rank) == (3, 4, 1)
    assert (ctx.master_addr, ctx.master_port) == ("node7", 29400)
    assert ctx.enabled and not ctx.is_main


def test_torchrun_variables_win_over_slurm_ones() -> None:
    assert context_from_env({**SLURM, **TORCHRUN}).rank == 3


def test_multi_task_slurm_job_gives_the_rank_layout_without_torchrun() -> None:
    ctx = context_from_env(SLURM)
    assert (ctx.rank, ctx.world_size, ctx.local_rank) == (5, 8, 1)
    assert ctx.master_addr == "gpu03"
    assert ctx.master_port == context_from_env({**SLURM, "SLURM_PROCID": "0"}).master_port


def test_jobs_on_one_node_get_different_ports() -> None:
    other = context_from_env({**SLURM, "SLURM_JOB_ID": "123457"})
    assert other.master_port != context_from_env(SLURM).master_port


def test_the_older_slurm_nodelist_variable_names_the_master_host() -> None:
    env = {k: v for k, v in SLURM.items() if k != "SLURM_JOB_NODELIST"}
    assert context_from_env({**env, "SLURM_NODELIST": "node[01-03],other"}).master_addr == "node01"


def test_a_single_task_slurm_job_is_one_process() -> None:
    assert not context_from_env({**SLURM, "SLURM_NTASKS": "1"}).enabled


@pytest.mark.parametrize(
    ("nodelist", "host"),
    [
        ("gpu[03-05,07],cpu1", "gpu03"),
        ("node[01-03],other", "node01"),
        ("node12", "node12"),
        ("a1,b2", "a1"),
        ("n[9]", "n9"),
    ],
)
def test_first_host_of_a_slurm_node_list(nodelist: str, host: str) -> None:
    assert first_host(nodelist) == host


@pytest.mark.parametrize(
    ("spec", "local_rank", "device"),
    [
        ("cuda:0,1", 0, "cuda:0"),
        ("cuda:0,1", 1, "cuda:1"),
        ("cuda:2,3", 1, "cuda:3"),
        ("0,1", 1, "cuda:1"),
        ("cuda", 1, "cuda:1"),
        ("cuda", 0, "cuda:0"),
        ("1", 0, "cuda:1"),
        ("CUDA:0,1", 1, "cuda:1"),
        ("cpu", 1, "cpu"),
    ],
)
def test_each_local_rank_takes_its_own_device(
    spec: str, local_rank: int, device: str, monkeypatch
) -> None:
    monkeypatch.setattr(distributed.torch.cuda, "is_available", lambda: False)  # same on GPU hosts
    assert device_for_rank(spec, local_rank) == device


def test_a_device_list_shorter_than_the_ranks_is_an_error() -> None:
    with pytest.raises(DeviceError, match="one device per process"):
        device_for_rank("cuda:0,1", 2)


@pytest.mark.parametrize(
    ("device", "backend"), [("cuda:1", "nccl"), ("cuda", "nccl"), ("cpu", "gloo"), ("mps", "gloo")]
)
def test_backend_is_nccl_for_cuda_and_gloo_otherwise(device: str, backend: str) -> None:
    assert backend_for(device) == backend


@pytest.fixture
def joins(monkeypatch) -> dict[str, object]:
    """Record what init_process_group would do, without a GPU or a process group."""
    calls: dict[str, object] = {}
    monkeypatch.setattr(distributed.dist, "is_initialized", lambda: False)
    monkeypatch.setattr(distributed.torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(distributed.torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(distributed.torch.cuda, "set_device", lambda d: calls.update(device=d))
    monkeypatch.setattr(
        distributed.dist, "init_process_group", lambda **kwargs: calls.update(kwargs)
    )
    monkeypatch.setattr(distributed.os, "environ", {})
    return calls


def test_cuda_rank_joins_with_nccl_on_its_own_device(joins: dict[str, object]) -> None:
    calls = joins
    device = distributed.init_process_group(context_from_env(TORCHRUN), "cuda:0,1")
    assert device == "cuda:1"
    assert str(calls["device"]) == "cuda:1"
    assert (calls["backend"], calls["rank"], calls["world_size"]) == ("nccl", 3, 4)


def test_plain_cuda_on_local_rank_zero_selects_an_indexed_gpu(joins: dict[str, object]) -> None:
    ctx = context_from_env({**TORCHRUN, "LOCAL_RANK": "0"})
    assert distributed.init_process_group(ctx, "cuda") == "cuda:0"
    assert str(joins["device"]) == "cuda:0" and joins["backend"] == "nccl"


def test_cpu_slurm_rank_joins_with_gloo_at_the_first_node(joins: dict[str, object]) -> None:
    ctx = context_from_env(SLURM)
    assert distributed.init_process_group(ctx, "cpu") == "cpu"
    assert "device" not in joins
    assert (joins["backend"], joins["rank"], joins["world_size"]) == ("gloo", 5, 8)
    assert distributed.os.environ["MASTER_ADDR"] == "gpu03"
    assert distributed.os.environ["MASTER_PORT"] == str(ctx.master_port)


def test_a_rank_without_its_gpu_is_a_device_error_before_joining(
    joins: dict[str, object], monkeypatch
) -> None:
    monkeypatch.setattr(distributed.torch.cuda, "device_count", lambda: 1)
    with pytest.raises(DeviceError, match=r"cuda:1.*no such CUDA device"):
        distributed.init_process_group(context_from_env(TORCHRUN), "cuda:0,1")
    assert joins == {}


def test_a_single_process_joins_no_group(joins: dict[str, object]) -> None:
    assert distributed.init_process_group(context_from_env({}), "cpu") == "cpu"
    assert joins == {}


def test_leaving_the_group_frees_a_ddp_module_caught_in_a_reference_cycle(tmp_path: Path) -> None:
    # A DDP module alive at interpreter shutdown keeps gloo's threads busy freeing its work,
    # which can abort a finished worker: leaving the group must free it first.
    import torch
    import torch.distributed as dist

    store = f"file://{tmp_path / 'store'}"
    dist.init_process_group("gloo", init_method=store, rank=0, world_size=1)
    try:
        module = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(4, 4))
        module.cycle = module  # type: ignore[assignment]
        module(torch.ones(2, 4)).sum().backward()
        alive = weakref.ref(module)
        del module
        distributed.destroy_process_group()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()
    assert alive() is None


# --- balr train --nproc-per-node: the parent's side of torch's elastic launcher --------------


@pytest.fixture
def launcher(tmp_path: Path, monkeypatch) -> dict[str, Any]:
    """Replace torch's elastic_launch with a recorder; `fail` makes it raise that instead."""
    import torch.distributed.launcher.api as launcher_api

    seen: dict[str, Any] = {"fail": None}

    def fake_launch(config: Any, entrypoint: str) -> Callable[..., None]:
        def start(*args: str) -> None:
            run_dir = Path(args[args.index("--save-dir") + 1])
            seen.update(config=config, entrypoint=entrypoint, args=args, existed=run_dir.is_dir())
            if seen["fail"] is not None:
                raise seen["fail"](run_dir)

        return start

    monkeypatch.setattr(launcher_api, "elastic_launch", fake_launch)
    monkeypatch.chdir(tmp_path)
    return seen


NPROC = ["train", "--nproc-per-node", "2", "--device", "cpu", "trainer.epochs=1"]


def test_nproc_per_node_claims_the_run_dir_then_starts_workers(launcher: dict[str, Any]) -> None:
    assert main(NPROC) == 0
    config, args = launcher["config"], launcher["args"]
    assert (config.min_nodes, config.max_nodes, config.nproc_per_node) == (1, 1, 2)
    assert config.rdzv_backend == "c10d" and config.max_restarts == 0
    assert config.rdzv_endpoint.startswith("127.0.0.1:")
    assert launcher["entrypoint"] == sys.executable
    run_dir = Path.cwd() / "runs" / "train"
    assert launcher["existed"] and run_dir.is_dir()
    assert args[:3] == ("-m", "balr", "train") and "--nproc-per-node" not in args
    assert args[-5:] == ("--save-dir", str(run_dir), "--exist-ok", "--device", "cpu")
    assert "trainer.epochs=1" in args


def test_a_failed_worker_is_one_line_and_leaves_no_run_dir(
    launcher: dict[str, Any], capsys
) -> None:
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError, ProcessFailure

    failure = ProcessFailure(local_rank=1, pid=1, exitcode=2, error_file="<none>")
    launcher["fail"] = lambda _: ChildFailedError("python", {1: failure})
    assert main(NPROC) == 2
    err = capsys.readouterr().err
    assert "balr: error: worker rank 1 of 2 failed (exit code 2)" in err
    assert "Traceback" not in err
    assert not (Path.cwd() / "runs").exists() or list((Path.cwd() / "runs").iterdir()) == []


def test_an_interrupted_launch_keeps_a_checkpointed_run_and_says_how_to_resume(
    launcher: dict[str, Any], capsys
) -> None:
    from torch.distributed.elastic.multiprocessing.api import SignalException

    def interrupt(run_dir: Path) -> SignalException:
        (run_dir / "last.pt").write_bytes(b"checkpoint")
        return SignalException("got signal", sigval=signal.SIGINT)

    launcher["fail"] = interrupt
    assert main(NPROC) == 130
    assert "balr train --resume" in capsys.readouterr().err
    assert (Path.cwd() / "runs" / "train" / "last.pt").is_file()


def test_a_worker_count_below_one_is_refused_before_any_directory(
    launcher: dict[str, Any], capsys
) -> None:
    assert main(["train", "--nproc-per-node", "0", "trainer.epochs=1"]) == 2
    assert "--nproc-per-node 0: give 1 or more workers" in capsys.readouterr().err
    assert "config" not in launcher and not (Path.cwd() / "runs").exists()


def test_plain_cuda_uses_the_only_gpu_a_slurm_task_sees(monkeypatch) -> None:
    monkeypatch.setattr(distributed.torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(distributed.torch.cuda, "device_count", lambda: 1)
    assert device_for_rank("cuda", 3) == "cuda:0"
    assert device_for_rank("cuda:0,1", 1) == "cuda:1"
