"""Extraction progress: files/s, hours of audio per hour, ETA; a rich bar or log lines."""

from __future__ import annotations

import logging

from balr.data.reader import ReadProgress


class ExtractProgress(ReadProgress):
    """balr's progress display, counting the seconds of audio done as well as the files."""

    verb, past = "extracting", "extracted"
    logger = logging.getLogger("balr.extract")

    def __init__(self, total: int, enabled: bool = True) -> None:
        super().__init__(total, "files", enabled)
        self.audio_seconds = 0.0

    def rate_text(self, elapsed: float) -> str:
        """'12.3 files/s, 95 audio h/h' (hours of audio per hour: the real-time factor)."""
        return f"{self.done / elapsed:,.1f} files/s, {self.audio_seconds / elapsed:,.0f} audio h/h"

    def advance(self, count: int, audio_seconds: float = 0.0) -> None:
        """Record `count` more files done, holding `audio_seconds` of audio."""
        self.audio_seconds += audio_seconds
        super().advance(count)
