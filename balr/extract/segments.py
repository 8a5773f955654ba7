"""Cutting a prepared waveform into fixed-length segments (ids ``<id>-sKK``)."""

from __future__ import annotations

import numpy as np

from balr.errors import ConfigError

# Sensible segment lengths: shorter pieces hold a few frames of speech (no speaker
# information; --segments 0.01 made 10 ms pieces), longer ones are whole recordings.
MIN_SEGMENT_SECONDS = 0.5
MAX_SEGMENT_SECONDS = 3600.0


def check_segment_seconds(seconds: float, option: str) -> None:
    """ConfigError unless `seconds` is a segment length in the sensible range.

    Args:
        seconds: the length asked for.
        option: how the user gave it (``--segments``, ``extract.segments=``), for the message.
    """
    if not MIN_SEGMENT_SECONDS <= seconds <= MAX_SEGMENT_SECONDS:
        given = f"{option}{seconds}" if option.endswith("=") else f"{option} {seconds}"
        raise ConfigError(
            f"{given}: give a segment length between {MIN_SEGMENT_SECONDS:g} and"
            f" {MAX_SEGMENT_SECONDS:g} seconds (or no segments, for whole recordings)"
        )


def split_segments(
    wav: np.ndarray, sample_rate: int, seconds: float = 2.0, min_last: float = 1.5
) -> list[np.ndarray]:
    """Consecutive non-overlapping pieces of `seconds` from the start of `wav`.

    A final shorter piece is kept when it lasts at least `min_last` seconds,
    else dropped; so a waveform shorter than `min_last` gives no segment. Apply
    this to the encoder's prepared waveform (after silence trimming), as the
    shared segment vectors were computed.

    Args:
        wav: 1-D waveform.
        sample_rate: its rate in Hz.
        seconds: segment length.
        min_last: shortest final piece kept, in seconds.

    Returns:
        Views into `wav`, in order; piece k is named ``<id>-s{k:02d}``.
    """
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, not {seconds}")
    size = round(seconds * sample_rate)
    least = round(min_last * sample_rate)
    pieces = [wav[i : i + size] for i in range(0, len(wav), size)]
    if pieces and len(pieces[-1]) < min(size, least):
        pieces.pop()
    return pieces


def segment_id(item_id: str, index: int) -> str:
    """The id of segment `index` (0-based) of item `item_id`: ``<id>-sKK``."""
    return f"{item_id}-s{index:02d}"
