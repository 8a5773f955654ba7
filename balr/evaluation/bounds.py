"""Empirical lower and upper bounds (ELUB) of likelihood ratios (Vergeer et al. 2016).

Validation data of N1 same-speaker and N0 different-speaker comparisons cannot support an
LR beyond what they would still support with one misleading comparison of each kind added:
past the upper bound U the system does worse than LR = 1 at that threshold. Every reported
LLR is clipped to [L, U] (log10; L <= 0 <= U).

The bounds are searched on a grid of step 0.01 (log10) between
max(min LLR, -log10(N1 + 1)) and min(max LLR, log10(N0 + 1)) (LLRs clipped to [-9, 9]),
with the counts at every threshold read from the sorted LLRs: O(N log N + T), never an
N x T matrix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeGuard

import numpy as np

LN10 = math.log(10.0)
# Grid step of the thresholds, in hundredths of a log10 unit (thresholds are k / 100).
_PER_UNIT = 100
# LLRs are clipped here first (log10): beyond, float precision of 10^t ends anyway.
_CLIP = 9.0


@dataclass(frozen=True)
class ElubBounds:
    """ELUB bounds of calibrated LLRs, in log10, and the data they rest on.

    Attributes:
        log10_lower: L <= 0: no reported log10 LR goes below it.
        log10_upper: U >= 0: no reported log10 LR goes above it.
        n_target: N1, the same-speaker comparisons the bounds were computed on.
        n_nontarget: N0, the different-speaker comparisons.
    """

    log10_lower: float
    log10_upper: float
    n_target: int
    n_nontarget: int

    def __post_init__(self) -> None:
        lower, upper = self.log10_lower, self.log10_upper
        if not (math.isfinite(lower) and math.isfinite(upper)) or lower > 0 or upper < 0:
            raise ValueError(
                f"ELUB bounds need finite log10_lower <= 0 <= log10_upper, got [{lower}, {upper}]"
            )

    def clip(self, llrs_natural_log: Any) -> np.ndarray:
        """Natural-log LLRs clipped to [L ln 10, U ln 10] (float64)."""
        llrs = np.asarray(llrs_natural_log, dtype=np.float64)
        return np.clip(llrs, self.log10_lower * LN10, self.log10_upper * LN10)

    def to_dict(self) -> dict[str, Any]:
        """The calibration.json form: kind, log10_lower, log10_upper, n_target, n_nontarget."""
        return {
            "kind": "elub",
            "log10_lower": float(self.log10_lower),
            "log10_upper": float(self.log10_upper),
            "n_target": int(self.n_target),
            "n_nontarget": int(self.n_nontarget),
        }

    @classmethod
    def from_dict(cls, record: Any) -> ElubBounds:
        """Read :meth:`to_dict`'s form; ValueError (saying what is wrong) otherwise."""
        if not isinstance(record, dict) or record.get("kind") != "elub":
            raise ValueError("'bounds' must be null or an object with kind 'elub'")
        lower, upper = record.get("log10_lower"), record.get("log10_upper")
        if not (_is_number(lower) and _is_number(upper)):
            raise ValueError("'bounds' needs numbers log10_lower and log10_upper")
        counts = [record.get(key, 0) for key in ("n_target", "n_nontarget")]
        if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts):
            raise ValueError("'bounds' n_target and n_nontarget must be counts")
        return cls(float(lower), float(upper), *counts)


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def elub_grid(log10_llrs: np.ndarray, n_target: int, n_nontarget: int) -> np.ndarray:
    """Thresholds k / 100 (log10) covering the range ELUB considers, always holding 0."""
    low = max(float(log10_llrs.min()), -math.log10(n_target + 1))
    high = min(float(log10_llrs.max()), math.log10(n_nontarget + 1))
    first = min(math.floor(low * _PER_UNIT), 0)
    last = max(math.ceil(high * _PER_UNIT), 0)
    return np.arange(first, last + 1) / _PER_UNIT


def elub_bounds(log10_llrs: Any, labels: Any) -> ElubBounds:
    """ELUB bounds (log10) of labelled calibrated LLRs.

    Args:
        log10_llrs: calibrated log10 LLRs of comparisons not used to fit the scorer.
        labels: 1/True for same-speaker comparisons, 0/False otherwise.

    Raises:
        ValueError: lengths differ, an LLR is NaN, or a class is missing.
    """
    llrs = np.clip(np.asarray(log10_llrs, dtype=np.float64).reshape(-1), -_CLIP, _CLIP)
    target = np.asarray(labels).reshape(-1).astype(bool)
    if llrs.size != target.size:
        raise ValueError(f"LLRs and labels differ in length: {llrs.size} vs {target.size}")
    if np.isnan(llrs).any():
        raise ValueError("LLRs contain NaN")
    same, different = np.sort(llrs[target]), np.sort(llrs[~target])
    if same.size == 0 or different.size == 0:
        raise ValueError("ELUB bounds need same- and different-speaker LLRs")
    grid = elub_grid(llrs, same.size, different.size)
    # One misleading comparison added to each class.
    miss = (np.searchsorted(same, grid, side="right") + 1) / (same.size + 1)
    above = different.size - np.searchsorted(different, grid, side="right")
    false_alarm = (above + 1) / (different.size + 1)
    theta = 10.0**grid
    bad = np.minimum(1.0, theta) < miss + theta * false_alarm
    step = 1.0 / _PER_UNIT
    upper_bad = grid[bad & (grid >= 0)]
    lower_bad = grid[bad & (grid <= 0)]
    upper = float(upper_bad.min()) - step if upper_bad.size else float(grid[-1])
    lower = float(lower_bad.max()) + step if lower_bad.size else float(grid[0])
    # round: the grid's k / 100 minus a step is not exactly a hundredth; + 0.0: no -0.0.
    lower, upper = min(round(lower, 2), 0.0) + 0.0, max(round(upper, 2), 0.0)
    return ElubBounds(lower, upper, int(same.size), int(different.size))
