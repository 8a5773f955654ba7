"""SIGTERM handled as Ctrl-C is: the command stops cleanly, says so, and exits with 143.

A scheduler, `timeout` or `kill` ends a job with SIGTERM. Python's default would end the
process at once, skipping the clean-up that Ctrl-C runs (extraction workers stopped,
temporary files removed, a run directory the command created taken away). Raising a
KeyboardInterrupt subclass instead runs exactly that clean-up; the status 128 + 15 = 143
still tells the caller which signal it was.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

# The exit status of a command stopped by SIGTERM (128 + the signal number, as a shell says).
TERMINATED_STATUS = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop as for Ctrl-C, then exit with `TERMINATED_STATUS`."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated("stopped by SIGTERM")


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises `Terminated` (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
