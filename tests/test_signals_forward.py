"""A pre-emption warning (USR1/USR2) owned by a Python handler, e.g. submitit's requeue."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from balr.training.signals import StopRequest, TrainingInterrupted


@pytest.fixture
def owner() -> Iterator[list[int]]:
    """A recording SIGUSR2 handler standing in for submitit's checkpoint-and-requeue."""
    calls: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        calls.append(signum)

    previous = signal.signal(signal.SIGUSR2, record)
    yield calls
    signal.signal(signal.SIGUSR2, previous)


def test_usr2_becomes_a_stop_request_and_reaches_its_owner_after_the_checkpoint(
    owner: list[int],
) -> None:
    with pytest.raises(TrainingInterrupted), StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGUSR2)
        assert stop.signum == signal.SIGUSR2 and owner == []  # training saves last.pt first
        raise TrainingInterrupted(stop.signum, None)
    assert owner == [signal.SIGUSR2]


def test_owner_is_not_called_when_training_ends_normally(owner: list[int]) -> None:
    with StopRequest() as stop:
        os.kill(os.getpid(), signal.SIGUSR2)
    assert stop.requested and owner == []


def test_owner_handler_is_restored_on_exit(owner: list[int]) -> None:
    before = signal.getsignal(signal.SIGUSR2)
    with StopRequest():
        assert signal.getsignal(signal.SIGUSR2) != before
    assert signal.getsignal(signal.SIGUSR2) == before


def test_unowned_usr2_keeps_its_default_action() -> None:
    with StopRequest():
        assert signal.getsignal(signal.SIGUSR2) == signal.SIG_DFL
