"""The PLDA scorer: its LLRs are the two-covariance model's, its fit recovers the model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from balr.scoring import PLDAScorer, ScorerError, load_any_scorer
from balr.scoring.plda_fit import (
    SpeakerStats,
    em_step,
    initial_model,
    log_likelihood,
)
from balr.scoring.sides import RowGroups

# A plain model in its input space: no preprocessing, so its parameters are the model's.
RAW = {"whiten": False, "length_norm": False}


def _gaussian_logpdf(x: np.ndarray, covariance: np.ndarray) -> float:
    """ln N(x; 0, covariance), straight from the density."""
    _, logdet = np.linalg.slogdet(covariance)
    return float(
        -0.5 * (len(x) * math.log(2 * math.pi) + logdet + x @ np.linalg.solve(covariance, x))
    )


def _joint_covariance(sizes: list[int], between: np.ndarray, within: np.ndarray) -> np.ndarray:
    """Covariance of the stacked recordings of one speaker per group (groups independent)."""
    d = len(between)
    total = sum(sizes)
    cov = np.zeros((total * d, total * d))
    start = 0
    for n in sizes:
        block = np.kron(np.ones((n, n)), between) + np.kron(np.eye(n), within)
        cov[start : start + n * d, start : start + n * d] = block
        start += n * d
    return cov


def _direct_llr(enroll: np.ndarray, test: np.ndarray, scorer: PLDAScorer) -> float:
    """ln p(both sides | one speaker) - ln p(enroll) - ln p(test), by full Gaussians.

    Without preprocessing the model's space is the reference-centred input space.
    """
    model = scorer.model
    b, w = model.between, model.within
    enroll, test = enroll - scorer.center, test - scorer.center
    stacked = np.concatenate([enroll, test]) - model.mean
    same = _gaussian_logpdf(stacked.ravel(), _joint_covariance([len(stacked)], b, w))
    e = (enroll - model.mean).ravel()
    t = (test - model.mean).ravel()
    different = _gaussian_logpdf(e, _joint_covariance([len(enroll)], b, w)) + _gaussian_logpdf(
        t, _joint_covariance([len(test)], b, w)
    )
    return same - different


def _synthetic(
    speakers: int, per_speaker: int, between: np.ndarray, within: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    d = len(between)
    identity = rng.multivariate_normal(np.full(d, 0.5), between, size=speakers)
    labels = np.repeat(np.arange(speakers), per_speaker)
    noise = rng.multivariate_normal(np.zeros(d), within, size=len(labels))
    return identity[labels] + noise, labels


def _fitted(dim: int = 3, **settings: object) -> tuple[PLDAScorer, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(dim, dim))
    between = a @ a.T + 0.5 * np.eye(dim)
    x, labels = _synthetic(40, 4, between, np.diag(np.linspace(0.3, 1.0, dim)))
    scorer = PLDAScorer(**{**RAW, **settings})  # type: ignore[arg-type]
    scorer.fit(x, labels)
    return scorer, x, labels


def test_one_recording_per_side_llr_equals_direct_gaussian_likelihoods() -> None:
    scorer, x, _ = _fitted()
    llrs = scorer.score_pairs(x[:5], x[5:10])
    direct = [_direct_llr(x[i : i + 1], x[i + 5 : i + 6], scorer) for i in range(5)]
    np.testing.assert_allclose(llrs, direct, rtol=1e-9, atol=1e-9)


def test_multi_recording_sides_use_the_exact_multi_enrollment_llr() -> None:
    scorer, x, _ = _fitted()
    enroll = RowGroups.of([np.array([0, 1, 2]), np.array([7])])
    test = RowGroups.of([np.array([3, 9]), np.array([4, 5, 6, 8])])
    llrs = scorer.score_sides(x, enroll, test)
    direct = [_direct_llr(x[e], x[t], scorer) for e, t in zip(enroll, test, strict=True)]
    np.testing.assert_allclose(llrs, direct, rtol=1e-9, atol=1e-9)


def test_matrix_fast_path_equals_pairwise_scores() -> None:
    scorer, x, _ = _fitted(dim=4)
    matrix = scorer.score_matrix(x[:6], x[6:11])
    rows, cols = np.meshgrid(np.arange(6), np.arange(6, 11), indexing="ij")
    pairs = scorer.score_pairs(x[rows.ravel()], x[cols.ravel()]).reshape(6, 5)
    np.testing.assert_allclose(matrix, pairs, rtol=1e-10, atol=1e-10)


def test_log_likelihood_equals_direct_gaussian_likelihood() -> None:
    scorer, x, labels = _fitted()
    model = scorer.model
    x = x - scorer.center
    stats = SpeakerStats.of(x, labels)
    direct = sum(
        _gaussian_logpdf(
            (x[labels == s] - model.mean).ravel(),
            _joint_covariance([int((labels == s).sum())], model.between, model.within),
        )
        for s in range(labels.max() + 1)
    )
    assert log_likelihood(model, stats) == pytest.approx(direct, rel=1e-10)


def test_em_never_decreases_the_likelihood() -> None:
    between = np.array([[2.0, 0.5], [0.5, 1.0]])
    x, labels = _synthetic(30, 3, between, np.eye(2) * 0.7)
    stats = SpeakerStats.of(x, labels)
    model = initial_model(stats)
    values = [log_likelihood(model, stats)]
    for _ in range(20):
        model = em_step(model, stats)
        values.append(log_likelihood(model, stats))
    assert np.all(np.diff(values) >= -1e-9)
    assert values[-1] > values[0]


def test_fit_recovers_a_synthetic_two_covariance_model() -> None:
    between = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.2], [0.0, 0.2, 0.5]])
    within = np.array([[0.5, 0.1, 0.0], [0.1, 0.3, 0.0], [0.0, 0.0, 0.2]])
    x, labels = _synthetic(3000, 5, between, within, seed=3)
    scorer = PLDAScorer(**RAW)  # type: ignore[arg-type]
    report = scorer.fit(x, labels)
    assert report.converged
    centre = scorer.center  # the model lives in the centred space
    np.testing.assert_allclose(scorer.model.between, between, atol=0.12)
    np.testing.assert_allclose(scorer.model.within, within, atol=0.02)
    np.testing.assert_allclose(scorer.model.mean + centre, np.full(3, 0.5), atol=0.06)


def test_saved_plda_reloads_with_bit_identical_scores(tmp_path) -> None:
    scorer, x, _ = _fitted(dim=4, lda_dim=3, length_norm=True)
    scorer.save(tmp_path / "plda", {"name": "synthetic"})
    loaded = load_any_scorer(tmp_path / "plda")
    assert isinstance(loaded, PLDAScorer)
    assert loaded.hyperparameters() == scorer.hyperparameters()
    before, after = scorer.score_pairs(x[:9], x[9:18]), loaded.score_pairs(x[:9], x[9:18])
    np.testing.assert_array_equal(after, before)


def test_default_preprocessing_separates_speakers() -> None:
    scorer, x, _ = _fitted(dim=5, whiten=True, length_norm=True)
    same = scorer.score_pairs(x[0:160:4], x[1:160:4])  # recordings 0 and 1 of each speaker
    different = scorer.score_pairs(x[0:156:4], x[5:160:4])  # speaker s against s + 1
    assert same.mean() > 0 > different.mean()


def test_lda_dim_beyond_the_reference_is_refused() -> None:
    x, labels = _synthetic(3, 4, np.eye(5), np.eye(5))
    with pytest.raises(ScorerError, match="lda_dim=4"):
        PLDAScorer(lda_dim=4).fit(x, labels)


def test_one_recording_per_speaker_is_refused() -> None:
    x, labels = _synthetic(10, 1, np.eye(3), np.eye(3))
    with pytest.raises(ScorerError, match="several recordings"):
        PLDAScorer().fit(x, labels)


def test_binary_attributes_are_refused() -> None:
    bits = np.random.default_rng(0).integers(0, 2, size=(20, 8))
    with pytest.raises(ScorerError, match="binary attributes"):
        PLDAScorer().fit(bits, np.repeat(np.arange(5), 4))


def test_trial_list_fast_path_equals_pairwise_scores() -> None:
    scorer, x, _ = _fitted(dim=4)
    enroll, test = np.array([0, 3, 5, 7]), np.array([1, 2, 9, 7])
    np.testing.assert_allclose(
        scorer.score_rows(x, enroll, test), scorer.score_pairs(x[enroll], x[test]), rtol=1e-10
    )
