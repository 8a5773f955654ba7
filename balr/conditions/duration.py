"""Net-speech duration: keep `seconds` of the voice-active part of a recording.

The speech is what GE2E's preprocessing keeps (level raised for the decision only,
WebRTC VAD windows of 30 ms, smoothed): the step returns exactly `seconds` of it,
from its start or from a random offset drawn per recording and seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from balr.conditions.chain import Context
from balr.conditions.checks import RecordingError, check_range


@dataclass(frozen=True)
class NetSpeech:
    """`seconds` of net speech, from a random offset (`random_offset`) or the start."""

    seconds: float
    random_offset: bool = True

    def __post_init__(self) -> None:
        check_range("duration.seconds", self.seconds, 0.1, 36000, " s")

    def __call__(self, wav: np.ndarray, rate: int, context: Context) -> np.ndarray:
        speech = voiced(wav, rate)
        need = round(self.seconds * rate)
        if len(speech) < need:
            raise RecordingError(
                f"{len(speech) / rate:.2f} s of speech after voice"
                f" activity trimming, less than the condition's {self.seconds:g} s: give a"
                " shorter duration or leave this recording out"
            )
        start = int(context.rng.integers(len(speech) - need + 1)) if self.random_offset else 0
        return speech[start : start + need]


def voiced(wav: np.ndarray, rate: int) -> np.ndarray:
    """The voice-active samples of `wav`, at the level of `wav`."""
    from balr.extract.preprocess import VAD_WINDOW_MS, raise_level, smooth_flags, voice_windows

    flags = voice_windows(raise_level(wav), rate)
    if flags.size == 0:
        return wav[:0]
    keep = np.repeat(smooth_flags(flags), VAD_WINDOW_MS * rate // 1000)
    return wav[: keep.size][keep]
