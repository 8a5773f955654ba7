"""Errors of recording conditions and the checks of their parameters."""

from __future__ import annotations

import math

import numpy as np
import soxr

from balr.errors import ConfigError, DatasetError


class ConditionError(ConfigError):
    """A condition's parameter is out of range or needs something that is not installed."""


class RecordingError(DatasetError):
    """One recording cannot be degraded (too little speech, nothing to draw babble from)."""


def check_range(key: str, value: float, low: float, high: float, unit: str = "") -> float:
    """`value` when low <= value <= high, else a ConditionError naming `key`."""
    if not low <= value <= high:
        raise ConditionError(
            f"condition {key}={value:g}: out of range: give a value from {low:g} to {high:g}{unit}"
        )
    return value


def check_choice(key: str, value: str, choices: tuple[str, ...]) -> str:
    """`value` when it is one of `choices`, else a ConditionError listing them."""
    if value not in choices:
        raise ConditionError(
            f"condition {key}={value!r}: unknown value: choose one of {', '.join(choices)}"
        )
    return value


def resample(wav: np.ndarray, rate: int, target: int, length: int | None = None) -> np.ndarray:
    """`wav` from `rate` to `target` with soxr (HQ); `length` samples when given."""
    out = wav if rate == target else soxr.resample(wav, rate, target, quality="HQ")
    n = math.ceil(len(wav) * target / rate) if length is None else length
    return fit_length(np.asarray(out, dtype=np.float32), n)


def fit_length(wav: np.ndarray, n: int) -> np.ndarray:
    """`wav` cut or zero-padded to `n` samples."""
    if len(wav) >= n:
        return wav[:n]
    return np.pad(wav, (0, n - len(wav)))
