"""Batches of training rows for a GPU whose memory cannot hold the whole table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


class HostStagedGather:
    """Gathers a batch's rows on the host into pinned memory and copies them asynchronously.

    A gathered batch of a pageable table is pageable, so its copy would block; staging it in a
    pinned buffer lets the copy overlap the GPU's work. Two buffers alternate, and a buffer is
    refilled only once the copy out of it has finished (its CUDA event), never during it.

    Args:
        x: the embedding table, float [N, D], in host memory.
        y: the labels, int64 [N], in host memory.
        device: the GPU the batches go to.
        rows: the largest batch size.
        pin: pin the staging buffers (needs CUDA; off only to test the logic on a CPU).
        new_event: makes the event recorded after each copy (torch.cuda.Event by default).
    """

    def __init__(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        device: torch.device,
        rows: int,
        pin: bool = True,
        new_event: Callable[[], Any] | None = None,
    ) -> None:
        self.x, self.y, self.device = x, y, device
        self.buffers = [
            (
                torch.empty((rows, *x.shape[1:]), dtype=x.dtype, pin_memory=pin),
                torch.empty(rows, dtype=y.dtype, pin_memory=pin),
            )
            for _ in range(2)
        ]
        self.pending: list[Any] = [None, None]
        self.turn = 0
        self.new_event = new_event or torch.cuda.Event

    def __call__(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The rows `index` of the table and their labels, on the device."""
        staged_x, staged_y = self.buffers[self.turn]
        if self.pending[self.turn] is not None:
            self.pending[self.turn].synchronize()
        count = len(index)
        torch.index_select(self.x, 0, index, out=staged_x[:count])
        torch.index_select(self.y, 0, index, out=staged_y[:count])
        x = staged_x[:count].to(self.device, non_blocking=True)
        y = staged_y[:count].to(self.device, non_blocking=True)
        event = self.new_event()
        event.record()
        self.pending[self.turn] = event
        self.turn = 1 - self.turn
        return x, y
