"""Logistic and bi-Gaussianized calibration, ELUB-bounded LLRs and calibration.json."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from balr.errors import CalibrationError
from balr.evaluation.bounds import ElubBounds, elub_bounds
from balr.evaluation.calibration import Calibration, cllr
from balr.evaluation.calibrators import mixture_ppf, sigma2_of_cllr


def calibrated_llrs(seed: int, sigma2: float, n1: int, n0: int) -> tuple[np.ndarray, np.ndarray]:
    """Perfectly calibrated two-Gaussian natural-log LLRs (means +-sigma2 / 2)."""
    rng = np.random.default_rng(seed)
    sd = math.sqrt(sigma2)
    llrs = np.r_[rng.normal(sigma2 / 2, sd, n1), rng.normal(-sigma2 / 2, sd, n0)]
    return llrs, np.r_[np.ones(n1), np.zeros(n0)].astype(bool)


def skewed_scores(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Scores whose classes are not Gaussian with one variance (bigauss's case)."""
    rng = np.random.default_rng(seed)
    target = rng.gamma(2.0, 1.5, 400) + 1.0
    nontarget = -rng.gamma(4.0, 0.8, 4000) + 2.0
    return np.r_[target, nontarget], np.r_[np.ones(400), np.zeros(4000)].astype(bool)


def test_calibrated_llrs_stay_as_they_are_under_logistic_calibration() -> None:
    llrs, labels = calibrated_llrs(0, 6.0, 2000, 20000)
    fit = Calibration.fit(llrs, labels, bounds="none")
    assert fit.a == pytest.approx(1.0, abs=0.05) and fit.b == pytest.approx(0.0, abs=0.1)


def test_near_separable_llrs_are_never_made_worse_than_the_identity_map() -> None:
    # Issue 19, 4: the ridge on the slope stopped the fit above the identity's Cllr.
    llrs, labels = calibrated_llrs(3, 65.0, 1000, 10000)
    scores = 2 * llrs  # over-confident by 2: the optimum slope is about 1/2
    fit = Calibration.fit(scores, labels, bounds="none")
    assert cllr(fit.apply(scores), labels) <= cllr(scores, labels)


def test_near_separable_scores_reach_the_optimum() -> None:
    llrs, labels = calibrated_llrs(3, 65.0, 1000, 10000)
    scores, labels = np.r_[llrs, -2.0, 2.0], np.r_[labels, True, False]  # two misleading
    fit = Calibration.fit(scores, labels, bounds="none")
    a, b = np.linspace(0.3, 1.2, 31), np.linspace(0.0, 4.0, 41)
    grid = [[cllr(x * scores + y, labels) for y in b] for x in a]
    assert cllr(fit.apply(scores), labels) <= np.min(grid) + 1e-8


def test_reversed_dev_scores_are_refused_by_the_fit() -> None:
    llrs, labels = calibrated_llrs(1, 4.0, 200, 400)
    with pytest.raises(CalibrationError, match="reversed"):
        Calibration.fit(-llrs, labels)


@pytest.mark.parametrize("method", ["logistic", "bigauss"])
def test_apply_clips_to_the_elub_bounds_of_the_dev_llrs(method: str) -> None:
    scores, labels = skewed_scores()
    fit = Calibration.fit(scores, labels, method=method)
    assert fit.bounds == elub_bounds(fit.apply_unbounded(scores) / math.log(10), labels)
    assert fit.bounds is not None and fit.bounds.n_target == 400
    extreme = fit.apply([-1e6, 1e6])
    np.testing.assert_allclose(
        extreme, [fit.bounds.log10_lower * math.log(10), fit.bounds.log10_upper * math.log(10)]
    )
    middle = scores[(scores > -1) & (scores < 1)]
    np.testing.assert_array_equal(fit.apply(middle), fit.bounds.clip(fit.apply_unbounded(middle)))


def test_bigauss_is_monotone() -> None:
    scores, labels = skewed_scores()
    fit = Calibration.fit(scores, labels, method="bigauss", bounds="none")
    grid = np.linspace(scores.min() - 5, scores.max() + 5, 5001)
    assert (np.diff(fit.apply(grid)) >= 0).all()
    assert fit.apply(grid)[-1] > fit.apply(grid)[0]


def test_bigauss_never_goes_beyond_the_most_extreme_calibration_points() -> None:
    scores, labels = skewed_scores()
    fit = Calibration.fit(scores, labels, method="bigauss", bounds="none")
    ends = fit.apply([scores.min(), scores.max()])
    np.testing.assert_array_equal(fit.apply([scores.min() - 100, -1e12]), [ends[0], ends[0]])
    np.testing.assert_array_equal(fit.apply([scores.max() + 100, 1e12]), [ends[1], ends[1]])


def test_bigauss_maps_through_the_balanced_ecdf_and_the_two_gaussian_quantile() -> None:
    # Two dev points per class: ECDF of q = ½ #tar<=q / 3 + ½ #non<=q / 3, q = a s + b.
    scores, labels = np.array([0.0, 1.0, 2.0, 3.0]), np.array([0, 1, 0, 1], dtype=bool)
    fit = Calibration.fit(scores, labels, method="bigauss", bounds="none")
    assert fit.bigauss is not None
    np.testing.assert_allclose(fit.bigauss.ecdf, [1 / 6, 2 / 6, 3 / 6, 4 / 6])
    q = fit.a * scores + fit.b
    sigma2 = sigma2_of_cllr(cllr(q, labels))
    assert fit.bigauss.sigma2 == pytest.approx(sigma2)
    x = fit.apply([1.0])[0]
    sd, m = math.sqrt(sigma2), sigma2 / 2
    cdf = 0.25 * (
        math.erfc(-(x + m) / (sd * math.sqrt(2))) + math.erfc(-(x - m) / (sd * math.sqrt(2)))
    )
    assert cdf == pytest.approx(2 / 6, rel=1e-6)


@pytest.mark.parametrize("sigma2", [0.01, 1.0, 30.0, 250.0])
def test_mixture_quantile_inverts_the_mixture_cdf(sigma2: float) -> None:
    p = np.array([1e-9, 1e-4, 0.01, 0.3, 0.5, 0.7, 0.99, 1 - 1e-6])
    x = mixture_ppf(p, sigma2)
    sd, m = math.sqrt(sigma2), sigma2 / 2

    def cdf(v: float) -> float:
        return 0.25 * (
            math.erfc(-(v + m) / (sd * math.sqrt(2))) + math.erfc(-(v - m) / (sd * math.sqrt(2)))
        )

    lower = [cdf(v) for v in x[p <= 0.5]]
    np.testing.assert_allclose(lower, p[p <= 0.5], rtol=1e-6)
    upper = [1 - cdf(v) for v in x[p > 0.5]]
    np.testing.assert_allclose(upper, 1 - p[p > 0.5], rtol=1e-5)


def test_sigma2_inverts_the_cllr_of_calibrated_gaussian_llrs() -> None:
    llrs, labels = calibrated_llrs(4, 10.0, 100_000, 100_000)
    assert sigma2_of_cllr(cllr(llrs, labels)) == pytest.approx(10.0, rel=0.02)


@pytest.mark.parametrize("method", ["logistic", "bigauss"])
def test_save_load_round_trip(tmp_path: Path, method: str) -> None:
    scores, labels = skewed_scores()
    fit = Calibration.fit(scores, labels, method=method)
    fit.scorer = {"sha256": "ab" * 32, "path": "runs/scorer/train"}
    path = tmp_path / "calibration.json"
    fit.save(path, cllr_after=0.5)
    record = json.loads(path.read_text())
    assert record["kind"] == ("bigauss" if method == "bigauss" else "affine")
    assert record["method"] == method and record["bounds"]["kind"] == "elub"
    assert record["data"] == {"n_target": 400, "n_nontarget": 4000}
    loaded = Calibration.load(path)
    assert loaded == fit and loaded.path == path
    np.testing.assert_array_equal(loaded.apply(scores), fit.apply(scores))


def test_an_old_affine_file_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"kind": "affine", "a": 0.5, "b": -1.0, "cllr_after": 0.2}))
    loaded = Calibration.load(path)
    assert (loaded.a, loaded.b, loaded.method, loaded.bounds) == (0.5, -1.0, "logistic", None)
    assert loaded.apply([4.0])[0] == 1.0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"a": -2.7}, "slope a = -2.7 <= 0"),
        ({"a": 0}, "slope a = 0 <= 0"),
        ({"bounds": {"kind": "elub", "log10_lower": 0.5, "log10_upper": 2}}, "log10_lower <= 0"),
        ({"bounds": {"kind": "elub", "log10_lower": -1, "log10_upper": -0.5}}, "<= log10_upper"),
        ({"bounds": {"kind": "elub", "log10_lower": -1, "log10_upper": 1e999}}, "finite"),
        ({"bounds": {"kind": "elub", "log10_lower": -1}}, "needs numbers"),
        ({"kind": "bigauss"}, "sigma2 > 0"),
        ({"scorer": "x"}, "'scorer' null"),
    ],
)
def test_bad_calibration_files_are_one_line(tmp_path: Path, change: dict, message: str) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"kind": "affine", "a": 1.0, "b": 0.0} | change))
    with pytest.raises(CalibrationError) as info:
        Calibration.load(path)
    text = str(info.value)
    assert message in text and str(path) in text and "\n" not in text


def test_a_calibration_is_refused_for_another_scorer_unless_forced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fit = Calibration(a=1.0, b=0.0, scorer={"sha256": "a" * 64, "path": "runs/scorer/train"})
    fit.check_scorer("a" * 64)
    fit.check_scorer(None)  # a scorer without a digest cannot be checked
    with pytest.raises(CalibrationError, match="--force-calibration"):
        fit.check_scorer("b" * 64)
    fit.check_scorer("b" * 64, force=True)
    assert "another scorer" in caplog.text


def test_a_calibration_without_a_scorer_applies_to_any() -> None:
    Calibration(a=1.0, b=0.0).check_scorer("c" * 64)


def test_bounds_clip_only_outside() -> None:
    bounds = ElubBounds(-1.0, 1.0, 3, 3)
    fit = Calibration(a=2.0, b=0.0, bounds=bounds)
    np.testing.assert_allclose(fit.apply([-5.0, 0.25, 5.0]), [-math.log(10), 0.5, math.log(10)])
    np.testing.assert_allclose(fit.apply_unbounded([-5.0, 5.0]), [-10.0, 10.0])
