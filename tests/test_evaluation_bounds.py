"""ELUB bounds: the spec's test values and the straightforward N x T evaluation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from balr.evaluation.bounds import ElubBounds, elub_bounds

LRS = np.log10([0.01, 0.1, 1.0, 10.0, 100.0])


def reference_elub(log10_llrs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The algorithm as the spec states it, with an N x T matrix of comparisons."""
    llrs = np.clip(log10_llrs, -9, 9)
    n1, n0 = int(labels.sum()), int((~labels).sum())
    low = max(llrs.min(), -math.log10(n1 + 1))
    high = min(llrs.max(), math.log10(n0 + 1))
    ks = np.arange(min(math.floor(low * 100), 0), max(math.ceil(high * 100), 0) + 1)
    grid = ks / 100
    at_or_below = llrs[:, None] <= grid[None, :]  # N x T
    miss = ((at_or_below & labels[:, None]).sum(axis=0) + 1) / (n1 + 1)
    fa = ((~at_or_below & ~labels[:, None]).sum(axis=0) + 1) / (n0 + 1)
    theta = 10.0**grid
    bad = np.minimum(1, theta) / (miss + theta * fa) < 1
    up = [t for t, b in zip(grid, bad, strict=True) if b and t >= 0]
    down = [t for t, b in zip(grid, bad, strict=True) if b and t <= 0]
    upper = min(up) - 0.01 if up else grid[-1]
    lower = max(down) + 0.01 if down else grid[0]
    return min(lower, 0.0), max(upper, 0.0)


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ([0, 0, 1, 1, 1], (0.3801894, 1.4791084)),
        ([0, 0, 0, 1, 1], (0.6760830, 2.6302680)),
        ([1, 1, 1, 0, 0], (1.0, 1.0)),
    ],
)
def test_spec_test_values(labels: list[int], expected: tuple[float, float]) -> None:
    bounds = elub_bounds(LRS, np.array(labels, dtype=bool))
    assert 10**bounds.log10_lower == pytest.approx(expected[0], rel=1e-6)
    assert 10**bounds.log10_upper == pytest.approx(expected[1], rel=1e-6)


def test_spec_test_value_ten_same_speaker_lrs_of_ten() -> None:
    llrs = np.log10([10.0] * 10 + [1.0])
    bounds = elub_bounds(llrs, np.array([1] * 10 + [0], dtype=bool))
    assert (10**bounds.log10_lower, 10**bounds.log10_upper) == pytest.approx((1.0, 1.7782794))
    assert (bounds.n_target, bounds.n_nontarget) == (10, 1)


@pytest.mark.parametrize("seed", range(20))
def test_sorted_counts_give_the_bounds_of_the_n_by_t_evaluation(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 400))
    labels = rng.random(n) < rng.uniform(0.05, 0.6)
    labels[:2] = [True, False]
    separation = rng.uniform(-1, 4)
    llrs = rng.normal(0, rng.uniform(0.3, 3), n) + separation * (labels - 0.5)
    if seed % 4 == 0:
        llrs = np.round(llrs, 2)  # LLRs on the grid itself: ties with the thresholds
    bounds = elub_bounds(llrs, labels)
    lower, upper = reference_elub(llrs, labels)
    assert bounds.log10_lower == pytest.approx(lower, abs=1e-9)
    assert bounds.log10_upper == pytest.approx(upper, abs=1e-9)


def test_clip_works_in_natural_log() -> None:
    bounds = ElubBounds(-1.0, 2.0, 5, 7)
    clipped = bounds.clip([-100.0, 0.5, 100.0])
    np.testing.assert_allclose(clipped, [-math.log(10), 0.5, 2 * math.log(10)])


@pytest.mark.parametrize(("lower", "upper"), [(0.5, 1.0), (-1.0, -0.5), (math.nan, 1.0)])
def test_bounds_must_hold_zero_and_be_finite(lower: float, upper: float) -> None:
    with pytest.raises(ValueError, match="log10_lower <= 0 <= log10_upper"):
        ElubBounds(lower, upper, 1, 1)


def test_dict_round_trip() -> None:
    bounds = ElubBounds(-2.48, 2.96, 338, 10_000)
    record = bounds.to_dict()
    assert record["kind"] == "elub" and ElubBounds.from_dict(record) == bounds


def test_one_class_is_refused() -> None:
    with pytest.raises(ValueError, match="same- and different-speaker"):
        elub_bounds([1.0, 2.0], [True, True])
