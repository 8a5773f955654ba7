"""EER and minDCF: hand-computed cases and a brute-force threshold sweep."""

from __future__ import annotations

import numpy as np
import pytest

from balr.evaluation import compute_eer, compute_min_dcf, error_rates


def brute_force_rates(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """FRR and FAR at every distinct score and +inf, by direct comparison."""
    tar, non = scores[labels], scores[~labels]
    thresholds = [*sorted(set(scores.tolist())), np.inf]
    frr = np.array([np.mean([s < t for s in tar]) for t in thresholds])
    far = np.array([np.mean([s >= t for s in non]) for t in thresholds])
    return frr, far


def brute_force_eer(scores: np.ndarray, labels: np.ndarray) -> float:
    frr, far = brute_force_rates(scores, labels)
    for i in range(1, len(frr)):
        if frr[i] >= far[i]:  # first crossing: interpolate the segment before it
            before, after = frr[i - 1] - far[i - 1], frr[i] - far[i]
            alpha = -before / (after - before)
            return 100 * (far[i - 1] + alpha * (far[i] - far[i - 1]))
    raise AssertionError("no crossing")


def brute_force_min_dcf(scores: np.ndarray, labels: np.ndarray, p: float) -> float:
    frr, far = brute_force_rates(scores, labels)
    return min(p * m + (1 - p) * f for m, f in zip(frr, far, strict=True)) / min(p, 1 - p)


def test_eer_is_zero_when_scores_separate_perfectly() -> None:
    assert compute_eer([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 0.0


def test_eer_is_hundred_when_scores_are_reversed() -> None:
    assert compute_eer([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]) == 100.0


def test_eer_at_an_exact_crossing_is_the_common_rate() -> None:
    # Threshold 0.7 rejects target 0.3 and accepts non-target 0.7: both rates 1/3.
    assert compute_eer([0.9, 0.8, 0.3, 0.7, 0.2, 0.1], [1, 1, 1, 0, 0, 0]) == pytest.approx(100 / 3)


def test_eer_interpolates_between_neighbouring_thresholds() -> None:
    # Rates (FRR, FAR): ... (1/3, 1/2) at 0.5, then (1/3, 0) at 0.8 -> meet at 1/3.
    assert compute_eer([0.9, 0.8, 0.4, 0.5, 0.1], [1, 1, 1, 0, 0]) == pytest.approx(100 / 3)


def test_eer_treats_tied_scores_as_one_threshold_step() -> None:
    # Target and non-target share 0.5: (0, 1/2) at 0.5 then (2/3, 0) at 0.9 -> 2/7.
    scores = np.array([0.5, 0.5, 0.9, 0.5, 0.1])
    labels = np.array([1, 1, 1, 0, 0], dtype=bool)
    assert compute_eer(scores, labels) == pytest.approx(100 * 2 / 7)
    order = np.random.default_rng(0).permutation(5)
    assert compute_eer(scores[order], labels[order]) == pytest.approx(100 * 2 / 7)


def test_eer_on_two_valued_scores() -> None:
    # Scores 0/1: (FRR, FAR) = (0, 1), (1/4, 2/5), (1, 0) -> crossing at 8/23.
    scores = [1, 1, 1, 0, 0, 0, 0, 1, 1]
    labels = [1, 1, 1, 1, 0, 0, 0, 0, 0]
    assert compute_eer(scores, labels) == pytest.approx(100 * 8 / 23)


def test_error_rates_run_from_accept_all_to_reject_all() -> None:
    thresholds, frr, far = error_rates([0.3, 0.3, 0.7], [1, 0, 1])
    np.testing.assert_array_equal(thresholds, [0.3, 0.7, np.inf])
    np.testing.assert_allclose(frr, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(far, [1.0, 0.0, 0.0])


def test_min_dcf_hand_computed() -> None:
    # Best threshold 0.8: FRR = 1/3, FAR = 0 -> cost p/3, normalised by p -> 1/3.
    scores, labels = [0.9, 0.8, 0.4, 0.5, 0.1], [1, 1, 1, 0, 0]
    assert compute_min_dcf(scores, labels, 0.01) == pytest.approx(1 / 3)
    # At p = 0.5 the same threshold gives (0.5/3) / 0.5.
    assert compute_min_dcf(scores, labels, 0.5) == pytest.approx(1 / 3)


def test_min_dcf_is_one_when_scores_carry_no_information() -> None:
    assert compute_min_dcf([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0], 0.05) == pytest.approx(1.0)


def test_min_dcf_uses_the_costs() -> None:
    # c_miss = 10 at p = 0.5: accepting the 0.4 target with FAR = 1/2 costs 0.25, less
    # than missing it (10 * 0.5 / 3); normalised by min(10 * 0.5, 0.5) -> 0.5.
    scores, labels = [0.9, 0.8, 0.4, 0.5, 0.1], [1, 1, 1, 0, 0]
    assert compute_min_dcf(scores, labels, 0.5, c_miss=10.0) == pytest.approx(0.5)


@pytest.mark.parametrize("seed", range(5))
def test_eer_and_min_dcf_match_brute_force_on_random_scores(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.random(120) < 0.3
    scores = rng.normal(size=120) + labels
    assert compute_eer(scores, labels) == pytest.approx(brute_force_eer(scores, labels))
    for p in (0.01, 0.05, 0.5):
        assert compute_min_dcf(scores, labels, p) == pytest.approx(
            brute_force_min_dcf(scores, labels, p)
        )


@pytest.mark.parametrize("seed", range(5))
def test_eer_and_min_dcf_match_brute_force_on_heavily_tied_scores(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    labels = rng.random(150) < 0.4
    scores = np.round(rng.random(150) * 0.6 + 0.4 * labels, 1)  # ~11 distinct values
    assert compute_eer(scores, labels) == pytest.approx(brute_force_eer(scores, labels))
    assert compute_min_dcf(scores, labels, 0.01) == pytest.approx(
        brute_force_min_dcf(scores, labels, 0.01)
    )


def test_eer_needs_both_kinds_of_trial() -> None:
    with pytest.raises(ValueError, match="target and one non-target"):
        compute_eer([0.1, 0.2], [1, 1])


def test_eer_rejects_nan_scores() -> None:
    with pytest.raises(ValueError, match="NaN"):
        compute_eer([0.1, float("nan")], [1, 0])


def test_min_dcf_rejects_a_prior_outside_zero_one() -> None:
    with pytest.raises(ValueError, match="p_target"):
        compute_min_dcf([0.1, 0.2], [1, 0], 1.0)
