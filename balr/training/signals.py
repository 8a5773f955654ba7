"""Graceful stop on SIGINT/SIGTERM: finish the step, checkpoint, exit non-zero.

A cluster's pre-emption warning (SIGUSR1/SIGUSR2, e.g. submitit's requeue signal) is handled
the same way, but only when a Python handler already owns it: once last.pt is saved, that
handler runs (submitit then requeues the job and the requeued job resumes from last.pt).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any


class TrainingInterrupted(Exception):
    """Raised after a stop signal once the trainer has saved last.pt."""

    def __init__(self, signum: int, run_dir: str | None) -> None:
        self.signum = signum
        self.run_dir = run_dir
        name = signal.Signals(signum).name
        where = f" --resume {run_dir}" if run_dir else ""
        super().__init__(f"stopped by {name}; last.pt saved. Continue with: balr train{where}")


class StopRequest:
    """Context manager that turns stop signals into a flag the training loop polls.

    SIGINT/SIGTERM are always caught; SIGUSR1/SIGUSR2 only when a Python handler is installed
    (an unhandled USR signal keeps its default action). Handlers can only be installed from the
    main thread; elsewhere it does nothing.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)
    FORWARDED = (signal.SIGUSR1, signal.SIGUSR2)

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            # A second Ctrl-C means "now".
            raise KeyboardInterrupt
        if self.signum is None:
            # The first signal decides, so a later SIGTERM cannot hide a pre-emption warning.
            self.signum = signum

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
            for sig in self.FORWARDED:
                if callable(signal.getsignal(sig)):
                    self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        previous = dict(self._previous)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
        signum = self.signum
        owner = previous.get(signum) if signum is not None and signum in self.FORWARDED else None
        if callable(owner) and isinstance(exc, TrainingInterrupted):
            # last.pt is saved: now the owner's handler may checkpoint, requeue and exit.
            owner(signum, None)
