"""Extraction progress: files/s, hours of audio per hour, ETA; a rich bar or log lines."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

log = logging.getLogger("balr.extract")

# Seconds between plain progress lines when stderr is not a terminal (batch jobs, logs).
LOG_EVERY_S = 10.0


class ExtractProgress:
    """Counts files and seconds of audio done; shows them as a bar or as periodic lines."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        self.total, self.enabled = total, enabled
        self.files = 0
        self.audio_seconds = 0.0
        self.started = time.perf_counter()
        self._last_log = self.started
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> ExtractProgress:
        if self.enabled and sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("extracting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}, ETA"),
                TimeRemainingColumn(),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task("extract", total=self.total, rate="")
        return self

    @property
    def elapsed(self) -> float:
        """Seconds since the start."""
        return max(time.perf_counter() - self.started, 1e-9)

    def rate_text(self) -> str:
        """'12.3 files/s, 95x real time (audio h/h)'."""
        return (
            f"{self.files / self.elapsed:,.1f} files/s,"
            f" {self.audio_seconds / self.elapsed:,.0f} audio h/h"
        )

    def advance(self, files: int, audio_seconds: float) -> None:
        """Record `files` more files done, holding `audio_seconds` of audio."""
        self.files += files
        self.audio_seconds += audio_seconds
        if self._bar is not None:
            self._bar.update(self._task, advance=files, rate=self.rate_text())
            return
        now = time.perf_counter()
        if self.enabled and now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            eta = (self.total - self.files) * self.elapsed / max(self.files, 1)
            log.info("%d/%d files (%s, ETA %.0fs)", self.files, self.total, self.rate_text(), eta)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
