"""Graceful stop on SIGINT/SIGTERM: finish the step, checkpoint, exit non-zero."""

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
    """Context manager that turns SIGINT/SIGTERM into a flag the training loop polls.

    Handlers can only be installed from the main thread; elsewhere it does nothing.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

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
        self.signum = signum

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for sig in self.SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
