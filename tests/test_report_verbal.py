"""The ENFSI 2015 verbal scale: every band boundary, both directions."""

from __future__ import annotations

import math

import pytest

from balr.report.verbal import DIFFERENT, SAME, scale_rows, verbal_equivalent

# (log10 LR just below a boundary, strength), (at the boundary, strength): bands include
# their lower bound.
BOUNDARIES = [
    (1.0, "weak", "moderate"),
    (2.0, "moderate", "moderately strong"),
    (3.0, "moderately strong", "strong"),
    (4.0, "strong", "very strong"),
    (6.0, "very strong", "extremely strong"),
]


@pytest.mark.parametrize(("boundary", "below", "at"), BOUNDARIES)
def test_each_boundary_starts_the_stronger_band(boundary: float, below: str, at: str) -> None:
    just_below = math.nextafter(boundary, 0.0)
    assert verbal_equivalent(just_below).strength == below
    assert verbal_equivalent(boundary).strength == at
    assert verbal_equivalent(boundary).supports == SAME


@pytest.mark.parametrize(("boundary", "below", "at"), BOUNDARIES)
def test_reciprocal_lrs_support_different_speakers_with_the_same_words(
    boundary: float, below: str, at: str
) -> None:
    assert verbal_equivalent(-math.nextafter(boundary, 0.0)).strength == below
    verbal = verbal_equivalent(-boundary)
    assert (verbal.strength, verbal.supports) == (at, DIFFERENT)
    assert "different-speaker hypothesis" in verbal.phrase


def test_lr_of_one_supports_neither_and_just_above_is_weak() -> None:
    assert verbal_equivalent(0.0).supports == "neither"
    assert verbal_equivalent(1e-12).phrase == "weak support for the same-speaker hypothesis"
    assert verbal_equivalent(-1e-12).range == "1/10 to 1"
    assert verbal_equivalent(50.0).range == "above 1,000,000"
    assert verbal_equivalent(-7.0).range == "below 1/1,000,000"


def test_nan_has_no_verbal_equivalent() -> None:
    with pytest.raises(ValueError, match="NaN"):
        verbal_equivalent(float("nan"))


def test_scale_rows_list_six_bands_per_direction() -> None:
    rows = scale_rows()
    assert [r[2] for r in rows].count(SAME) == 6 and [r[2] for r in rows].count(DIFFERENT) == 6
    assert ("100 to 1,000", "moderately strong", SAME) in rows
    assert ("1/1,000 to 1/100", "moderately strong", DIFFERENT) in rows
