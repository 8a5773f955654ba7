"""Reverberation: the recording played in a simulated shoebox room (pyroomacoustics).

The room's wall absorption and reflection order come from its size and RT60 by
Sabine's formula (`pyroomacoustics.inverse_sabine`); the image method gives the
impulse response between a source and a microphone placed at random (at least
0.5 m from the walls, 1 m apart). Each recording uses one of `placements`
placements, drawn from its own seed; the impulse responses are cached per process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from balr.conditions.chain import Context
from balr.conditions.checks import ConditionError, check_range

WALL_MARGIN = 0.5  # metres between a wall and the source or microphone
MIN_DISTANCE = 1.0  # metres between source and microphone
# The image method's cost grows with the cube of the order: beyond this, memory runs out.
MAX_ORDER = 120


@dataclass(frozen=True)
class Reverb:
    """A shoebox room of size `room` (metres) and reverberation time `rt60` (seconds)."""

    room: tuple[float, ...]
    rt60: float
    placements: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "room", tuple(float(d) for d in self.room))
        if len(self.room) != 3:
            raise ConditionError(
                f"condition reverb.room={list(self.room)}: give three sizes in metres,"
                " e.g. reverb.room=[5,4,3]"
            )
        for size in self.room:
            check_range("reverb.room", size, 2 * WALL_MARGIN + 0.1, 100, " m")
        check_range("reverb.rt60", self.rt60, 0.05, 3.0, " s")
        check_range("reverb.placements", self.placements, 1, 1000)
        _absorption(self.room, self.rt60)

    def __call__(self, wav: np.ndarray, rate: int, context: Context) -> np.ndarray:
        from scipy.signal import fftconvolve

        placement = int(context.rng.integers(self.placements))
        rir = room_response(self.room, self.rt60, rate, placement)
        # Aligned on the direct sound; the level of the input kept.
        start = int(np.argmax(np.abs(rir)))
        wet = fftconvolve(wav, rir)[start : start + len(wav)]
        power_in, power_out = float(np.mean(wav**2)), float(np.mean(wet**2))
        scale = np.sqrt(power_in / power_out) if power_out > 0 else 1.0
        return (wet * scale).astype(np.float32)


def _absorption(room: tuple[float, ...], rt60: float) -> tuple[float, int]:
    import pyroomacoustics as pra

    try:
        absorption, order = pra.inverse_sabine(rt60, list(room))
    except ValueError:
        raise ConditionError(
            f"condition reverb.rt60={rt60:g}: too long for a room of {list(room)} m:"
            " give a bigger room or a shorter RT60"
        ) from None
    if order > MAX_ORDER:
        raise ConditionError(
            f"condition reverb.rt60={rt60:g}: a room of {list(room)} m would need reflections"
            f" of order {order} (at most {MAX_ORDER}): give a bigger room or a shorter RT60"
        )
    return float(absorption), int(order)


@functools.lru_cache(maxsize=64)
def room_response(room: tuple[float, ...], rt60: float, rate: int, placement: int) -> np.ndarray:
    """The impulse response of placement number `placement` in the room."""
    import pyroomacoustics as pra

    absorption, order = _absorption(room, rt60)
    source, mic = _placement(room, placement)
    shoebox = pra.ShoeBox(list(room), fs=rate, materials=pra.Material(absorption), max_order=order)
    shoebox.add_source(source)
    shoebox.add_microphone(mic)
    shoebox.compute_rir()
    return np.asarray(shoebox.rir[0][0], dtype=np.float64)


def _placement(room: tuple[float, ...], placement: int) -> tuple[list[float], list[float]]:
    """Source and microphone positions of placement `placement` (the same on every machine)."""
    rng = np.random.default_rng([placement, *(round(d * 1000) for d in room)])
    low, high = WALL_MARGIN, np.asarray(room) - WALL_MARGIN
    for _ in range(100):
        source, mic = rng.uniform(low, high), rng.uniform(low, high)
        if np.linalg.norm(source - mic) >= MIN_DISTANCE:
            break
    return source.tolist(), mic.tolist()
