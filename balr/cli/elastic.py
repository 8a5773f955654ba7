"""`balr train --nproc-per-node K`: K DDP workers on this machine through torch's elastic agent.

The parent claims the run directory, then starts the workers with torch's own launcher API
(what torchrun uses), each running `balr train ... --save-dir RUN_DIR --exist-ok`, so all ranks
write to the one directory the user sees named on the console.
"""

from __future__ import annotations

import argparse
import socket
import sys
import uuid
from pathlib import Path

from balr.errors import BalrError
from balr.training.run_dir import discard_run_dir


def launch_workers(ns: argparse.Namespace, run_dir: Path, created: bool) -> int:
    """Run `balr train` in `ns.nproc_per_node` local workers writing to `run_dir`.

    Args:
        ns: the parsed `balr train` arguments.
        run_dir: the claimed run directory (or the one being resumed).
        created: the directory was made for this run (removed if it fails before training).

    Returns:
        0 when every worker finished, 128 + signal when the launcher was interrupted (the
        workers stop and keep last.pt); a failed worker raises WorkerFailed.
    """
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=int(ns.nproc_per_node),
        run_id=f"balr-{uuid.uuid4().hex[:8]}",
        rdzv_backend="c10d",
        rdzv_endpoint=f"127.0.0.1:{_free_port()}",
        max_restarts=0,
        monitor_interval=0.1,
    )
    print(f"balr: starting {config.nproc_per_node} workers; run dir {run_dir}", file=sys.stderr)
    try:
        elastic_launch(config, sys.executable)(*worker_arguments(ns, run_dir))
    except ChildFailedError as failure:
        _drop_if_untrained(run_dir, created)
        rank, detail = failure.get_first_failure()
        raise WorkerFailed(
            f"worker rank {rank} of {config.nproc_per_node} failed (exit code {detail.exitcode});"
            f" its error is printed above"
        ) from None
    except SignalException as signal:
        # The agent forwards the signal to the workers, which save last.pt before they exit.
        if _drop_if_untrained(run_dir, created):
            print("balr: interrupted before the first checkpoint", file=sys.stderr)
        else:
            print(
                f"balr: interrupted; continue with: balr train --resume {run_dir}", file=sys.stderr
            )
        return 128 + int(signal.sigval)
    return 0


class WorkerFailed(BalrError):
    """A DDP worker started by --nproc-per-node exited with an error."""


def worker_arguments(ns: argparse.Namespace, run_dir: Path) -> list[str]:
    """The `python -m balr train ...` arguments of one worker (without --nproc-per-node)."""
    args = ["-m", "balr", "train", *ns.args]
    if ns.resume is not None:
        args += ["--resume", str(run_dir)]
    else:
        args += ["--save-dir", str(run_dir), "--exist-ok"]
    if ns.device:
        args += ["--device", ns.device]
    if ns.root_dir:
        args += ["--root-dir", str(Path(ns.root_dir).absolute())]
    if ns.utt2spk:
        args += ["--utt2spk", str(Path(ns.utt2spk).absolute())]
    if ns.audio_formats:
        args += ["--audio-formats", *ns.audio_formats]
    return args


def _drop_if_untrained(run_dir: Path, created: bool) -> bool:
    """Remove a run directory made for this run that holds no checkpoint; True if removed."""
    if created and not (run_dir / "last.pt").exists():
        discard_run_dir(run_dir)
        return True
    return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
