"""HostStagedGather: the logic of staged, asynchronous batch copies, checked on the CPU."""

from __future__ import annotations

import torch

from balr.training.gather import HostStagedGather


class RecordedEvent:
    """Stands in for a CUDA event: records when it was recorded and waited for."""

    def __init__(self, log: list[str]) -> None:
        self.log = log
        self.name = f"event{sum(entry.startswith('record') for entry in log)}"

    def record(self) -> None:
        self.log.append(f"record {self.name}")

    def synchronize(self) -> None:
        self.log.append(f"wait {self.name}")


def make_gather(log: list[str]) -> HostStagedGather:
    x = torch.arange(40, dtype=torch.float32).reshape(10, 4)
    y = torch.arange(10) * 7
    return HostStagedGather(
        x, y, torch.device("cpu"), rows=3, pin=False, new_event=lambda: RecordedEvent(log)
    )


def test_batches_hold_the_indexed_rows_and_labels() -> None:
    gather = make_gather([])
    index = torch.tensor([9, 0, 4])
    x, y = gather(index)
    assert torch.equal(x, gather.x[index]) and torch.equal(y, gather.y[index])


def test_a_buffer_is_refilled_only_after_its_last_copy_finished() -> None:
    log: list[str] = []
    gather = make_gather(log)
    gather(torch.tensor([1, 2, 3]))
    gather(torch.tensor([4, 5, 6]))  # the other buffer: nothing to wait for
    assert log == ["record event0", "record event1"]
    gather(torch.tensor([7, 8, 9]))  # back to the first buffer: waits for its copy
    assert log[2:] == ["wait event0", "record event2"]


def test_a_short_last_batch_uses_part_of_the_buffer() -> None:
    gather = make_gather([])
    x, y = gather(torch.tensor([5, 6]))
    assert x.shape == (2, 4) and torch.equal(y, torch.tensor([35, 42]))
