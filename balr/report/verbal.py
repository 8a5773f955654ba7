"""Verbal equivalents of a likelihood ratio on the ENFSI 2015 guideline scale.

ENFSI Guideline for Evaluative Reporting in Forensic Science (2015): an LR of 1-10 gives
weak support, 10-100 moderate, 100-1,000 moderately strong, 1,000-10,000 strong,
10,000-1,000,000 very strong and above 1,000,000 extremely strong support to the
proposition in the numerator; the reciprocals (LR below 1) support the other proposition
with the same words. Each band includes its lower bound (an LR of exactly 10 is
"moderate"); an LR of exactly 1 supports neither proposition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SCALE_NAME = "ENFSI Guideline for Evaluative Reporting in Forensic Science (2015)"

# (lower bound of log10 LR, words), strongest first; a band holds [bound, next stronger bound).
BANDS: tuple[tuple[float, str], ...] = (
    (6.0, "extremely strong"),
    (4.0, "very strong"),
    (3.0, "strong"),
    (2.0, "moderately strong"),
    (1.0, "moderate"),
    (0.0, "weak"),
)

SAME = "same speaker"
DIFFERENT = "different speakers"


@dataclass(frozen=True)
class Verbal:
    """The verbal equivalent of one LR.

    Attributes:
        strength: "weak" ... "extremely strong", or "none" when the LR is exactly 1.
        supports: the hypothesis supported: "same speaker", "different speakers" or "neither".
        range: the band of the LR in words, e.g. "10 to 100" or "1/100 to 1/10".
        phrase: the whole sentence, e.g. "moderate support for the same-speaker hypothesis".
    """

    strength: str
    supports: str
    range: str
    phrase: str


def verbal_equivalent(log10_lr: float) -> Verbal:
    """The ENFSI 2015 category of an LR given as log10 LR (reciprocal bands below 0).

    Raises:
        ValueError: `log10_lr` is NaN.
    """
    if math.isnan(log10_lr):
        raise ValueError("log10 LR is NaN: no verbal equivalent")
    if log10_lr == 0.0:
        return Verbal("none", "neither", "exactly 1", "no support for either hypothesis")
    supports = SAME if log10_lr > 0 else DIFFERENT
    size = abs(log10_lr)
    index = next(i for i, (bound, _) in enumerate(BANDS) if size >= bound)
    low, strength = BANDS[index]
    high = BANDS[index - 1][0] if index > 0 else None
    hypothesis = "same-speaker" if supports == SAME else "different-speaker"
    return Verbal(
        strength,
        supports,
        _band_text(low, high, reciprocal=log10_lr < 0),
        f"{strength} support for the {hypothesis} hypothesis",
    )


def _band_text(low: float, high: float | None, reciprocal: bool) -> str:
    """'10 to 100', 'above 1,000,000', '1/100 to 1/10', 'below 1/1,000,000'."""

    def number(exponent: float) -> str:
        value = f"{10 ** int(exponent):,}"
        return f"1/{value}" if reciprocal and exponent > 0 else value

    if high is None:
        return f"below {number(low)}" if reciprocal else f"above {number(low)}"
    if reciprocal:
        return f"{number(high)} to {number(low)}"
    return f"{number(low)} to {number(high)}"


def scale_rows() -> list[tuple[str, str, str]]:
    """(LR range, strength, supported hypothesis) of every band, for the page's legend."""
    rows = []
    for index, (low, strength) in enumerate(BANDS):
        high = BANDS[index - 1][0] if index > 0 else None
        rows.append((_band_text(low, high, reciprocal=False), strength, SAME))
        rows.append((_band_text(low, high, reciprocal=True), strength, DIFFERENT))
    return rows
