"""Device strings: cpu, cuda, cuda:N, N, mps, and cuda:0,1 lists for multi-process runs."""

from __future__ import annotations

import torch

from balr.errors import DeviceError


def available_devices() -> list[str]:
    """Names of the devices torch can use on this machine."""
    names = ["cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        names.append("mps")
    return names


def split_device_list(spec: str) -> list[str]:
    """Expand 'cuda:0,1' or '0,1' into one device string per rank; a single device stays one."""
    spec = str(spec).strip().lower()
    prefix, _, rest = spec.rpartition(":")
    if "," not in rest:
        return [spec]
    head = f"{prefix}:" if prefix else "cuda:"
    return [f"{head}{part.strip()}" for part in rest.split(",") if part.strip()]


def device_for_rank(spec: str, local_rank: int) -> str:
    """The device string one process uses: its own entry of a list, else the spec itself."""
    devices = split_device_list(spec)
    if len(devices) == 1:
        only = devices[0]
        if only.isdigit():
            return f"cuda:{only}"
        if only != "cuda":
            return only
        # A plain 'cuda' gives each local process its own GPU, with an index either way since
        # torch.cuda.set_device rejects a bare 'cuda'. A process that sees one GPU only (Slurm's
        # --gpus-per-task) uses that one.
        one_visible = torch.cuda.is_available() and torch.cuda.device_count() == 1
        return "cuda:0" if one_visible else f"cuda:{local_rank}"
    if local_rank >= len(devices):
        raise DeviceError(
            f"device={spec!r} lists {len(devices)} devices but local rank {local_rank} needs one:"
            " give one device per process"
        )
    return devices[local_rank]


def resolve_device(spec: str | torch.device) -> torch.device:
    """Turn a device string into a torch.device that exists here, or raise DeviceError."""
    if isinstance(spec, torch.device):
        spec = str(spec)
    text = str(spec).strip().lower()
    if text.isdigit():
        text = f"cuda:{text}"
    try:
        device = torch.device(text)
    except RuntimeError:
        raise DeviceError(_unavailable(spec, "it is not a device name")) from None
    if device.type == "cuda":
        index = device.index or 0
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            raise DeviceError(_unavailable(spec, "no such CUDA device"))
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(_unavailable(spec, "MPS is not available"))
    elif device.type not in ("cpu", "cuda", "mps"):
        raise DeviceError(_unavailable(spec, f"device type {device.type!r} is not supported"))
    return device


def _unavailable(spec: object, why: str) -> str:
    return (
        f"device={spec!r} cannot be used ({why}); available here: {', '.join(available_devices())}"
    )
