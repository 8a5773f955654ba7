"""devPAV (Vergeer et al. 2021) on cases computed by hand, and the weighted metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from balr.evaluation import cllr, cllr_min, compute_eer
from balr.evaluation.devpav import area_to_identity, devpav
from balr.evaluation.weighted import SortedLLRs

LN10 = math.log(10.0)


def test_devpav_of_a_flat_pav_segment_is_the_mean_distance_to_the_identity() -> None:
    # log10 LLRs -1, 0, 2, 3 with labels 0, 1, 0, 1: PAV gives -inf, 0, 0, +inf; the finite
    # points (0, 0) and (2, 0) lie 0 and 2 below the identity: area 2 over a range of 2.
    llrs = np.array([-1.0, 0.0, 2.0, 3.0]) * LN10
    assert devpav(llrs, [0, 1, 0, 1]) == pytest.approx(1.0)


def test_devpav_counts_the_prior_of_the_set() -> None:
    # 3 same- and 2 different-speaker: the pooled block (1 of each) has PAV log10 LR
    # log10(1) - log10(3/2) = -0.176091; points (0, -0.176) and (1, -0.176):
    # area (0.176091 + 1.176091) / 2 over a range of 1.
    llrs = np.array([-1.0, 0.0, 1.0, 2.0, 3.0]) * LN10
    assert devpav(llrs, [0, 1, 0, 1, 1]) == pytest.approx(0.676091, abs=1e-6)


def test_a_segment_crossing_the_identity_is_two_triangles() -> None:
    # From (-1, 0) to (1, 0): gaps +1 and -1, two triangles of area 1/2.
    assert area_to_identity(np.array([-1.0, 1.0]), np.array([0.0, 0.0])) == pytest.approx(1.0)


def test_devpav_is_nan_without_two_finite_pav_points() -> None:
    assert math.isnan(devpav([-1.0, 1.0], [0, 1]))


def test_well_calibrated_llrs_have_a_small_devpav_and_scaled_ones_a_large_one() -> None:
    rng = np.random.default_rng(0)
    labels = rng.random(20_000) < 0.5
    # Gaussian LLRs with mean +-sigma^2/2 and variance sigma^2 are calibrated.
    llrs = np.where(labels, 2.0, -2.0) + rng.normal(0.0, 2.0, labels.size)
    assert devpav(llrs, labels) < 0.1
    assert devpav(3.0 * llrs, labels) > 3 * devpav(llrs, labels)


def _data(seed: int, n: int = 1500) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.25
    # Rounded, so tied LLRs of both labels occur.
    return np.round(np.where(labels, 2.0, -2.0) + rng.normal(0, 1.5, n), 1), labels


def test_weighted_metrics_with_unit_weights_equal_the_plain_ones() -> None:
    llrs, labels = _data(1)
    got = SortedLLRs.build(llrs, labels).metrics()
    assert got["cllr"] == pytest.approx(cllr(llrs, labels), rel=1e-12)
    assert got["cllr_min"] == pytest.approx(cllr_min(llrs, labels), rel=1e-12)
    assert got["eer"] == pytest.approx(compute_eer(llrs, labels), rel=1e-12)
    assert got["devpav"] == pytest.approx(devpav(llrs, labels), rel=1e-12)


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_integer_weights_equal_repeating_the_comparisons(seed: int) -> None:
    llrs, labels = _data(seed)
    copies = np.random.default_rng(seed + 10).integers(0, 4, llrs.size)
    data = SortedLLRs.build(llrs, labels)
    got = data.metrics(data.in_order(copies.astype(float)))
    rows = np.repeat(np.arange(llrs.size), copies)
    x, y = llrs[rows], labels[rows]
    expected = [cllr(x, y), cllr_min(x, y), compute_eer(x, y), devpav(x, y)]
    assert [got[k] for k in ("cllr", "cllr_min", "eer", "devpav")] == pytest.approx(expected)


def test_weights_leaving_out_a_class_give_nan() -> None:
    llrs, labels = _data(5)
    data = SortedLLRs.build(llrs, labels)
    got = data.metrics(data.in_order((~labels).astype(float)))
    assert all(math.isnan(v) for v in got.values())
