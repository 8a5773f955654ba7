"""Per-epoch progress: a rich bar on a terminal, one plain line per epoch otherwise."""

from __future__ import annotations

import logging
import sys
from types import TracebackType
from typing import Any

import torch

log = logging.getLogger("balr.train")


def memory_text(device: torch.device) -> str:
    """Memory in use: the CUDA allocator's on a GPU, the process's resident set on CPU."""
    if device.type == "cuda":
        return f"{torch.cuda.memory_allocated(device) / 2**30:.2f}G"
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        import os

        return f"{pages * os.sysconf('SC_PAGE_SIZE') / 2**30:.2f}G"
    except (OSError, ValueError, IndexError):
        return "?"


def format_losses(values: dict[str, float]) -> str:
    """'total 0.1234 mse 0.0100 ...' for log lines and the bar."""
    return " ".join(f"{name} {value:.4f}" for name, value in values.items())


class EpochProgress:
    """Shows one epoch's steps; `enabled=False` (non-main ranks) shows nothing."""

    def __init__(self, epoch: int, epochs: int, steps: int, device: torch.device, enabled: bool):
        self.epoch, self.epochs, self.steps = epoch, epochs, steps
        self.device = device
        self.enabled = enabled
        self.interactive = enabled and sys.stderr.isatty()
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> EpochProgress:
        if self.interactive:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._progress = Progress(
                TextColumn(f"epoch {self.epoch}/{self.epochs}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.fields[info]}"),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("train", total=self.steps, info="")
        return self

    def update(self, step: int, losses: dict[str, float] | None = None) -> None:
        """Advance to `step` steps done; refresh the loss text when given."""
        if self._progress is None or self._task is None:
            return
        fields = {}
        if losses is not None:
            fields["info"] = f"mem {memory_text(self.device)} {format_losses(losses)}"
        self._progress.update(self._task, completed=step, **fields)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def summary_line(self, losses: dict[str, float], seconds: float, samples: int) -> None:
        """The end-of-epoch line (in a log file or a batch job, it is the progress too)."""
        if not self.enabled:
            return
        rate = samples / seconds if seconds > 0 else 0.0
        log.info(
            "epoch %d/%d  train %s  mem %s  %.1fs (%.0f samples/s)",
            self.epoch,
            self.epochs,
            format_losses(losses),
            memory_text(self.device),
            seconds,
            rate,
        )
