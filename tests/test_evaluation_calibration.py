"""Cllr, Cllr_min (PAV), cross-entropy and affine calibration: hand and brute-force values."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from balr.errors import BalrError, CalibrationError
from balr.evaluation import (
    Calibration,
    cllr,
    cllr_min,
    compute_eer,
    empirical_cross_entropy,
    llr_metrics,
    pav_llrs,
)


def brute_force_cllr_min(scores: np.ndarray, labels: np.ndarray) -> float:
    """Best Cllr over every monotone step map: all splits of the sorted distinct scores.

    A block holding t of the N_t targets and n of the N_n non-targets is best mapped to
    LR = (t/N_t) / (n/N_n); with pt = t/N_t, pn = n/N_n it costs
    ½ [pt·log2((pt+pn)/pt) + pn·log2((pt+pn)/pn)]. A split is monotone when those LRs rise.
    """
    values = sorted(set(scores.tolist()))
    n_tar, n_non = labels.sum(), (~labels).sum()
    best = math.inf
    for cuts in itertools.product([False, True], repeat=len(values) - 1):
        blocks, current = [], [values[0]]
        for value, cut in zip(values[1:], cuts, strict=True):
            if cut:
                blocks.append(current)
                current = []
            current.append(value)
        blocks.append(current)
        shares = []
        for block in blocks:
            inside = np.isin(scores, block)
            shares.append(((labels & inside).sum() / n_tar, (~labels & inside).sum() / n_non))
        rising = all(a[0] * b[1] <= b[0] * a[1] for a, b in itertools.pairwise(shares))
        if not rising:
            continue
        cost = 0.0
        for pt, pn in shares:
            cost += pt * math.log2((pt + pn) / pt) if pt else 0.0
            cost += pn * math.log2((pt + pn) / pn) if pn else 0.0
        best = min(best, cost / 2)
    return best


def test_cllr_of_perfect_llrs_is_zero_without_overflow() -> None:
    assert cllr([1e4, 5e3, -1e4, -5e3], [1, 1, 0, 0]) == 0.0


def test_cllr_of_wrong_extreme_llrs_is_finite() -> None:
    # Each trial costs |LLR| / ln 2 bits; the mean over the two classes is 1e4 / ln 2.
    assert cllr([-1e4, 1e4], [1, 0]) == pytest.approx(1e4 / math.log(2))


def test_cllr_of_uninformative_llrs_is_exactly_one() -> None:
    assert cllr(np.zeros(7), [1, 0, 0, 1, 0, 0, 0]) == 1.0


def test_cllr_of_two_trials_by_hand() -> None:
    # Target at LLR 2, non-target at LLR -1.
    expected = 0.5 * (math.log2(1 + math.exp(-2)) + math.log2(1 + math.exp(-1)))
    assert cllr([2.0, -1.0], [True, False]) == pytest.approx(expected, rel=1e-12)


def test_cllr_weights_the_two_classes_equally() -> None:
    # Three targets at 0 cost 1 bit each, one non-target at -inf-ish costs 0.
    assert cllr([0.0, 0.0, 0.0, -50.0], [1, 1, 1, 0]) == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("llrs", "labels", "message"),
    [
        ([0.0, np.nan], [1, 0], "NaN"),
        ([0.0, np.inf], [1, 0], "infinite"),
        ([0.0, 1.0], [1, 1], "non-target"),
        ([0.0, 1.0], [1, 2], "0/1"),
        ([0.0, 1.0], [1, 0, 1], "length"),
    ],
)
def test_cllr_refuses_bad_input(llrs: list[float], labels: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        cllr(llrs, labels)


def test_pav_by_hand_pools_violators_and_removes_the_prior() -> None:
    # Shares per score: 0, 1, 0, 1 -> blocks {1}: 0, {2, 3}: 1/2, {4}: 1; prior odds 1.
    llrs = pav_llrs([1.0, 2.0, 3.0, 4.0], [0, 1, 0, 1])
    assert llrs.tolist() == [-math.inf, 0.0, 0.0, math.inf]
    assert cllr_min([1.0, 2.0, 3.0, 4.0], [0, 1, 0, 1]) == pytest.approx(0.5)


def test_pav_llrs_are_likelihood_ratios_not_posteriors() -> None:
    # One block holding 1 of 1 targets and 1 of 3 non-targets: LR = (1/1) / (1/3) = 3.
    llrs = pav_llrs([0.0, 0.0, 1.0, 1.0], [0, 0, 1, 0])
    assert llrs[2] == pytest.approx(math.log(1.5 / 0.5))
    assert llrs[0] == -math.inf


def test_cllr_min_of_separable_scores_is_zero() -> None:
    assert cllr_min([0.1, 0.2, 5.0, 7.0], [0, 0, 1, 1]) == 0.0


def test_cllr_min_of_uninformative_scores_is_one() -> None:
    assert cllr_min(np.full(6, 3.0), [1, 0, 0, 1, 0, 0]) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(12))
def test_cllr_min_matches_exhaustive_monotone_search(seed: int) -> None:
    rng = np.random.default_rng(seed)
    size = int(rng.integers(4, 12))
    scores = rng.integers(0, 8, size).astype(np.float64)  # few values: many ties
    labels = rng.random(size) < 0.5
    labels[:2] = [True, False]
    assert cllr_min(scores, labels) == pytest.approx(
        brute_force_cllr_min(scores, labels), abs=1e-12
    )


def test_tied_trials_are_pooled_whatever_their_order() -> None:
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 5, 300).astype(np.float64)
    labels = rng.random(300) < scores / 6
    llrs = pav_llrs(scores, labels)
    order = rng.permutation(300)
    assert np.array_equal(pav_llrs(scores[order], labels[order]), llrs[order])
    # Every trial of one score gets the same LLR.
    for value in np.unique(scores):
        assert np.unique(llrs[scores == value]).size == 1


def test_cllr_min_is_at_most_cllr() -> None:
    rng = np.random.default_rng(4)
    for _ in range(20):
        labels = rng.random(200) < rng.uniform(0.1, 0.9)
        labels[:2] = [True, False]
        llrs = rng.normal(0, rng.uniform(0.1, 10), 200) + rng.uniform(0, 3) * labels
        assert cllr_min(llrs, labels) <= cllr(llrs, labels) + 1e-12


def test_cllr_min_only_depends_on_the_order_of_scores() -> None:
    rng = np.random.default_rng(5)
    labels = rng.random(100) < 0.4
    scores = rng.normal(size=100) + labels
    assert cllr_min(np.exp(scores), labels) == pytest.approx(cllr_min(scores, labels), abs=1e-14)


def test_cross_entropy_at_even_prior_is_cllr() -> None:
    rng = np.random.default_rng(6)
    labels = rng.random(500) < 0.2
    llrs = rng.normal(size=500) * 2 + 3 * labels - 1
    assert empirical_cross_entropy(llrs, labels, 0.0) == pytest.approx(cllr(llrs, labels))
    pav = pav_llrs(llrs, labels)
    assert empirical_cross_entropy(pav, labels, 0.0) == pytest.approx(cllr_min(llrs, labels))


def test_cross_entropy_of_neutral_llrs_is_the_prior_entropy() -> None:
    thetas = np.array([-3.0, -0.5, 0.0, 2.0])
    p = 1 / (1 + np.exp(-thetas))
    entropy = -(p * np.log2(p) + (1 - p) * np.log2(1 - p))
    got = empirical_cross_entropy(np.zeros(4), [1, 0, 0, 1], thetas)
    np.testing.assert_allclose(got, entropy, rtol=1e-12)


def test_llr_metrics_keys_and_values() -> None:
    llrs = np.array([3.0, 1.0, -0.5, -2.0, 0.5, -4.0])
    labels = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    metrics = llr_metrics(llrs, labels)
    assert list(metrics) == [
        "eer",
        "min_dcf_0.01",
        "min_dcf_0.05",
        "cllr",
        "cllr_min",
        "cllr_cal",
        "n_target",
        "n_nontarget",
    ]
    assert metrics["eer"] == compute_eer(llrs, labels)
    assert metrics["cllr"] == cllr(llrs, labels)
    assert metrics["cllr_cal"] == pytest.approx(metrics["cllr"] - metrics["cllr_min"])
    assert (metrics["n_target"], metrics["n_nontarget"]) == (3, 3)
    json.dumps(metrics)  # plain Python numbers


def balanced_cllr_grid(scores: np.ndarray, labels: np.ndarray, a: np.ndarray, b: np.ndarray):
    """Balanced Cllr at every (a, b) of a grid, by the definition."""
    llr = a[:, None, None] * scores[None, None, :] + b[None, :, None]
    tar = np.log2(1 + np.exp(-llr[:, :, labels])).mean(axis=2)
    non = np.log2(1 + np.exp(llr[:, :, ~labels])).mean(axis=2)
    return (tar + non) / 2


def test_calibration_fit_minimises_balanced_cllr() -> None:
    rng = np.random.default_rng(7)
    labels = rng.random(400) < 0.15  # unbalanced on purpose
    scores = np.where(labels, rng.normal(5, 2, 400), rng.normal(-1, 3, 400))
    fit = Calibration.fit(scores, labels, bounds="none")
    fitted = cllr(fit.apply(scores), labels)
    a = np.linspace(0.05, 2.0, 196)
    b = np.linspace(-6.0, 4.0, 201)
    grid = balanced_cllr_grid(scores, labels, a, b)
    i, j = np.unravel_index(grid.argmin(), grid.shape)
    assert fitted <= grid.min() + 1e-6
    assert fit.a == pytest.approx(a[i], abs=0.011)
    assert fit.b == pytest.approx(b[j], abs=0.051)


def test_calibration_fit_is_invariant_to_rescaled_scores() -> None:
    rng = np.random.default_rng(8)
    labels = rng.random(300) < 0.5
    scores = rng.normal(size=300) + 1.5 * labels
    fit = Calibration.fit(scores, labels)
    scaled = Calibration.fit(1000 * scores - 7, labels)
    np.testing.assert_allclose(scaled.apply(1000 * scores - 7), fit.apply(scores), atol=1e-6)


def test_calibration_of_separable_scores_stays_finite() -> None:
    fit = Calibration.fit([1.0, 2.0, 3.0, 4.0], [0, 0, 1, 1])
    llrs = fit.apply([1.0, 2.0, 3.0, 4.0])
    assert np.isfinite([fit.a, fit.b]).all()
    assert fit.a > 0 and llrs[1] < 0 < llrs[2]
    assert fit.apply([2.5])[0] == pytest.approx(0.0, abs=1e-6)  # the midpoint stays neutral


def test_calibration_of_constant_scores_is_refused() -> None:
    # No information: the slope is 0, and a calibration with a <= 0 is never written.
    with pytest.raises(CalibrationError, match="no information"):
        Calibration.fit(np.full(5, 2.0), [1, 0, 0, 0, 1])


def test_calibration_refuses_one_class() -> None:
    with pytest.raises(ValueError, match="non-target"):
        Calibration.fit([1.0, 2.0], [1, 1])


def test_calibration_save_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    fit = Calibration(a=0.123456789012345, b=-2.5)
    fit.save(path, cllr_before=np.float64(1.5), n_target=np.int64(3))
    record = json.loads(path.read_text())
    assert record == {
        "kind": "affine",
        "method": "logistic",
        "a": 0.123456789012345,
        "b": -2.5,
        "bounds": None,
        "data": {},
        "scorer": None,
        "cllr_before": 1.5,
        "n_target": 3,
    }
    assert Calibration.load(path) == fit
    assert [p.name for p in tmp_path.iterdir()] == ["calibration.json"]  # no temporary left


def test_calibration_save_refuses_extra_keys_it_owns(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="clash"):
        Calibration(a=1.0, b=0.0).save(tmp_path / "c.json", a=2)


@pytest.mark.parametrize(
    "text",
    ["", "{not json", "[1, 2]", '{"a": 1, "b": 0}', '{"kind": "affine", "a": "x", "b": 0}'],
)
def test_calibration_load_refuses_malformed_files(tmp_path: Path, text: str) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(text)
    with pytest.raises(CalibrationError) as info:
        Calibration.load(path)
    assert isinstance(info.value, BalrError)
    message = str(info.value)
    assert str(path) in message and "balr score calibrate" in message and "\n" not in message


def test_calibration_load_of_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match=r"missing\.json"):
        Calibration.load(tmp_path / "missing.json")


@pytest.mark.parametrize("passes", [0, 1, 3])
def test_pav_gives_the_same_blocks_whichever_way_violators_are_pooled(
    monkeypatch: pytest.MonkeyPatch, passes: int
) -> None:
    import balr.evaluation.quality as module

    rng = np.random.default_rng(9)
    labels = rng.random(3000) < 0.3
    scores = np.round(rng.normal(size=3000) + labels, 2)
    sawtooth = np.arange(400.0)
    sawtooth_labels = np.arange(400) % 2 == 0  # pools one pair per vectorised pass
    expected = pav_llrs(scores, labels), pav_llrs(sawtooth, sawtooth_labels)
    monkeypatch.setattr(module, "_PAV_PASSES", passes)
    assert np.array_equal(pav_llrs(scores, labels), expected[0])
    assert np.array_equal(pav_llrs(sawtooth, sawtooth_labels), expected[1])
