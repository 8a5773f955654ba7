"""Multi-process training: who am I (torchrun or Slurm), which device, which backend."""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from balr.training.devices import device_for_rank, resolve_device


@dataclass(frozen=True)
class DistributedContext:
    """Rank layout of this process; a single process is rank 0 of 1."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    master_addr: str = "127.0.0.1"
    master_port: int = 29500

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def context_from_env(env: Mapping[str, str] | None = None) -> DistributedContext:
    """Read torchrun's variables, else a multi-task Slurm job's, else a single process."""
    env = os.environ if env is None else env
    if "WORLD_SIZE" in env and "RANK" in env:
        return DistributedContext(
            rank=int(env["RANK"]),
            world_size=int(env["WORLD_SIZE"]),
            local_rank=int(env.get("LOCAL_RANK", 0)),
            master_addr=env.get("MASTER_ADDR", "127.0.0.1"),
            master_port=int(env.get("MASTER_PORT", 29500)),
        )
    ntasks = int(env.get("SLURM_NTASKS", "1") or 1)
    if ntasks > 1 and "SLURM_PROCID" in env:
        job_id = int(re.sub(r"\D", "", env.get("SLURM_JOB_ID", "0")) or 0)
        return DistributedContext(
            rank=int(env["SLURM_PROCID"]),
            world_size=ntasks,
            local_rank=int(env.get("SLURM_LOCALID", 0)),
            # SLURM_NODELIST is the older name, still the only one some sites export.
            master_addr=first_host(
                env.get("SLURM_JOB_NODELIST") or env.get("SLURM_NODELIST") or "127.0.0.1"
            ),
            # A port derived from the job id keeps concurrent jobs on one node apart.
            master_port=20000 + job_id % 20000,
        )
    return DistributedContext()


def first_host(nodelist: str) -> str:
    """First host of a Slurm node list such as 'gpu[03-05,07],cpu1' -> 'gpu03'."""
    match = re.match(r"([^,\[]+)(?:\[([^\]]+)\])?", nodelist.strip())
    if not match:
        return "127.0.0.1"
    prefix, ranges = match.group(1), match.group(2)
    if not ranges:
        return prefix
    return prefix + ranges.split(",")[0].split("-")[0]


def backend_for(device: str) -> str:
    """nccl for CUDA devices, gloo otherwise."""
    return "nccl" if str(device).startswith("cuda") else "gloo"


def init_process_group(ctx: DistributedContext, device_spec: str) -> str:
    """Join the process group if this is a multi-process run; return this rank's device."""
    device = device_for_rank(device_spec, ctx.local_rank) if ctx.enabled else str(device_spec)
    if not ctx.enabled or dist.is_initialized():
        return device
    os.environ.setdefault("MASTER_ADDR", ctx.master_addr)
    os.environ.setdefault("MASTER_PORT", str(ctx.master_port))
    # Check the device before joining: a missing GPU is a one-line error, not torch's traceback.
    resolved = resolve_device(device)
    if resolved.type == "cuda":
        torch.cuda.set_device(resolved)
    dist.init_process_group(backend=backend_for(device), rank=ctx.rank, world_size=ctx.world_size)
    return device


def broadcast_object(value: Any, src: int = 0) -> Any:
    """Send a picklable value from rank `src` to every rank (identity without a group)."""
    if not is_initialized():
        return value
    box = [value]
    dist.broadcast_object_list(box, src=src)
    return box[0]


def all_reduce_mean(values: torch.Tensor) -> torch.Tensor:
    """Average a tensor over ranks (identity without a group)."""
    if not is_initialized():
        return values
    values = values.clone()
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values / dist.get_world_size()


def broadcast_buffers(module: torch.nn.Module, src: int = 0) -> None:
    """Copy rank `src`'s buffers (BatchNorm running statistics) to every rank, in place.

    DDP syncs gradients, so parameters agree; each rank still updates its running statistics
    from its own batches after the last sync. Checkpoints and validation use rank 0's.
    """
    if not is_initialized():
        return
    for buffer in module.buffers():
        dist.broadcast(buffer, src=src)


def is_initialized() -> bool:
    """This process has joined a process group."""
    return dist.is_available() and dist.is_initialized()


def barrier() -> None:
    """Wait for every rank (no-op without a group)."""
    if is_initialized():
        dist.barrier()


def destroy_process_group() -> None:
    """Leave the process group if one was joined.

    Garbage is collected first: a DDP module kept alive by a reference cycle keeps the gloo
    group's worker threads running into interpreter shutdown, where one that frees a finished
    broadcast needs the GIL, is killed instead, and aborts the process ("terminate called
    without an active exception", exit -6) after a successful run.
    """
    if is_initialized():
        gc.collect()
        dist.destroy_process_group()
