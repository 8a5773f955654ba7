"""devPAV: how far LLRs are from their best monotonic (PAV) recalibration, in log10 units.

Vergeer, Alberink, Sjerps et al. (2021, Forensic Science International 321:110722): PAV-
transform the log10 LLRs; the PAV curve is the piecewise-linear line through the points
(x, PAV(x)) of the distinct LLR values x, leaving out points whose PAV value is infinite;
devPAV is the area between that curve and the identity line divided by the x-range it
covers. 0 means perfectly calibrated; larger values mean LLRs that are too strong, too weak
or shifted.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from balr.evaluation.quality import check_labelled, pav_llrs

LN10 = math.log(10.0)


def area_to_identity(x: np.ndarray, y: np.ndarray) -> float:
    """Area between the piecewise-linear curve through (x, y) (x ascending) and y = x.

    On each segment the gap d = y - x is linear, so its absolute value integrates exactly:
    a trapezoid when d keeps its sign, two triangles when it crosses zero.
    """
    d = y - x
    h = np.diff(x)
    d0, d1 = d[:-1], d[1:]
    a0, a1 = np.abs(d0), np.abs(d1)
    same_sign = d0 * d1 >= 0
    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = (d0**2 + d1**2) / (2.0 * (a0 + a1))
    parts = np.where(same_sign, 0.5 * (a0 + a1), crossing) * h
    return float(parts.sum())


def devpav_from_points(x: np.ndarray, pav_log10: np.ndarray) -> float:
    """devPAV of distinct log10 LLRs `x` (ascending) and their PAV values (log10, may be inf).

    Returns NaN when fewer than two points have a finite PAV value (no x-range to average
    over).
    """
    finite = np.isfinite(pav_log10)
    x, y = x[finite], pav_log10[finite]
    if x.size < 2 or x[-1] <= x[0]:
        return math.nan
    return area_to_identity(x, y) / float(x[-1] - x[0])


def devpav(llrs: Any, labels: Any) -> float:
    """devPAV of natural-log LLRs (the curve and the area are in log10 units).

    Args:
        llrs: One finite natural-log LLR per comparison.
        labels: 1/True for same-speaker comparisons, 0/False otherwise.

    Returns:
        devPAV (log10 units; 0 = perfectly calibrated), or NaN when fewer than two distinct
        LLR values have a finite PAV value.

    Raises:
        ValueError: lengths differ, LLRs are not finite, labels are not 0/1, or a class is
            missing.
    """
    s, target = check_labelled(llrs, labels, "LLRs")
    pav = pav_llrs(s, target)
    values, first = np.unique(s, return_index=True)
    return devpav_from_points(values / LN10, pav[first] / LN10)
