"""BetaScorer: the spec's formulas, its fit, and the BA-LR 2.0 defects it must not have."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from balr.scoring import BetaScorer, Counts, ScorerError
from tests.scoring_reference import beta_llr, counts_of, make_reference


@pytest.fixture(scope="module")
def fitted() -> tuple[BetaScorer, np.ndarray, np.ndarray]:
    bits, labels = make_reference(seed=1)
    scorer = BetaScorer()
    scorer.fit(bits, labels)
    return scorer, bits, labels


def _sides(bits: np.ndarray, groups: list[list[int]]) -> Counts:
    return Counts.of_rows(bits, [np.array(g) for g in groups])


def test_one_vs_one_llr_equals_scalar_formula(fitted) -> None:
    scorer, bits, _ = fitted
    assert not scorer.excluded.any()
    pairs = [(0, 7), (3, 3), (10, 200), (41, 42)]
    llrs = scorer.score_counts(
        _sides(bits, [[e] for e, _ in pairs]), _sides(bits, [[t] for _, t in pairs])
    )
    for llr, (e, t) in zip(llrs, pairs, strict=True):
        expected = sum(
            beta_llr(
                scorer.alpha[i],
                scorer.beta[i],
                bits[e, i],
                1 - bits[e, i],
                bits[t, i],
                1 - bits[t, i],
            )
            for i in range(bits.shape[1])
        )
        assert llr == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_multi_recording_llr_equals_scalar_formula(fitted) -> None:
    scorer, bits, _ = fitted
    enroll, test = [[0, 1, 2], [30, 31]], [[3, 4], [60, 61, 62, 63, 64]]
    llrs = scorer.score_counts(_sides(bits, enroll), _sides(bits, test))
    for llr, e, t in zip(llrs, enroll, test, strict=True):
        ae, ne = counts_of(bits[e])
        at, nt = counts_of(bits[t])
        expected = sum(
            beta_llr(scorer.alpha[i], scorer.beta[i], ae[i], ne[i], at[i], nt[i])
            for i in range(bits.shape[1])
        )
        assert llr == pytest.approx(expected, rel=1e-10, abs=1e-10)


def test_one_vs_one_closed_forms(fitted) -> None:
    scorer = fitted[0]
    a, b = scorer.alpha, scorer.beta
    table = scorer.table()
    np.testing.assert_allclose(np.exp(table[:, 1, 1]), (a + 1) * (a + b) / (a * (a + b + 1)))
    np.testing.assert_allclose(np.exp(table[:, 0, 0]), (b + 1) * (a + b) / (b * (a + b + 1)))
    np.testing.assert_allclose(np.exp(table[:, 1, 0]), (a + b) / (a + b + 1))
    np.testing.assert_allclose(table[:, 0, 1], table[:, 1, 0])


def test_fit_is_a_fixed_point_of_minkas_iteration(fitted) -> None:
    # The spec's update, with torch's digamma (independent of balr's counting form).
    scorer, bits, labels = fitted
    counts = Counts.of_speakers(bits, labels)
    x = torch.from_numpy(np.stack([counts.active, counts.inactive], -1)).double()
    alpha = torch.from_numpy(np.stack([scorer.alpha, scorer.beta], -1))
    total = x.sum(-1)
    numerator = (torch.digamma(x + alpha) - torch.digamma(alpha)).sum(0)
    denominator = (torch.digamma(total + alpha.sum(-1)) - torch.digamma(alpha.sum(-1))).sum(0)
    updated = alpha * numerator / denominator[:, None]
    np.testing.assert_allclose(updated.numpy(), alpha.numpy(), rtol=1e-5)
    assert scorer.report is not None and scorer.report.converged


def test_contributions_sum_to_llr_and_are_zero_where_excluded() -> None:
    bits, labels = make_reference(seed=2)
    bits[:, 0] = 0  # dead
    bits[:, 1] = 1  # always on
    scorer = BetaScorer()
    scorer.fit(bits, labels)
    enroll, test = _sides(bits, [[0], [5, 6]]), _sides(bits, [[9, 10, 11], [100]])
    contributions = scorer.contributions(enroll, test)
    np.testing.assert_allclose(contributions.sum(1), scorer.score_counts(enroll, test))
    assert (contributions[:, :2] == 0).all()


def test_dead_always_on_and_rare_attributes_are_excluded_and_reported() -> None:
    # BA-LR 2.0: alpha or beta reaches 0 and every LLR is NaN.
    bits, labels = make_reference(seed=3)
    bits[:, 0] = 0
    bits[:, 1] = 1
    bits[:, 2] = 0
    bits[labels == 4, 2] = 1  # shown by one speaker only
    scorer = BetaScorer(min_speakers=2)
    report = scorer.fit(bits, labels)
    assert report.excluded == {"dead": 1, "always_on": 1, "few_speakers_active": 1}
    assert scorer.excluded[:3].all() and not scorer.excluded[3:].any()
    frame = scorer.attribute_frame()
    assert frame["reason"].to_list()[:3] == ["dead", "always_on", "few_speakers_active"]
    scores = scorer.score_matrix(bits[:50], bits[50:120])
    assert np.isfinite(scores).all()


def test_one_recording_per_speaker_gives_finite_parameters() -> None:
    # BA-LR 2.0: negative moment precision, log of a negative number, NaN everywhere.
    bits, labels = make_reference(seed=4, n_speakers=300, per_speaker=1)
    scorer = BetaScorer(prior_precision=2.0)
    report = scorer.fit(bits, labels)
    assert np.isfinite(scorer.alpha).all() and np.isfinite(scorer.beta).all()
    np.testing.assert_allclose(scorer.alpha + scorer.beta, 2.0)
    np.testing.assert_allclose(scorer.alpha / 2.0, bits.mean(axis=0))
    assert any("one recording" in note for note in report.notes)
    assert np.isfinite(scorer.score_pairs(bits[:100], bits[100:200])).all()


def test_convergence_is_reported_with_tolerance_and_iterations() -> None:
    bits, labels = make_reference(seed=5)
    short = BetaScorer(n_iterations=2, tol=1e-12)
    report = short.fit(bits, labels)
    assert not report.converged and report.iterations == 2 and report.max_change > 1e-12
    assert any("not converged" in note for note in report.notes)
    long = BetaScorer(n_iterations=5000, tol=1e-9)
    report = long.fit(bits, labels)
    assert report.converged and report.iterations < 5000 and report.max_change < 1e-9


def test_near_deterministic_attribute_converges_at_the_precision_bound() -> None:
    # Speakers either always or never show attribute 0: the plain iteration drifts to 0.
    bits, labels = make_reference(seed=6)
    bits[:, 0] = (labels % 3 == 0).astype(np.uint8)
    scorer = BetaScorer(min_precision=0.05)
    report = scorer.fit(bits, labels)
    assert report.converged
    assert scorer.alpha[0] + scorer.beta[0] == pytest.approx(0.05)


def test_reference_of_one_speaker_is_refused() -> None:
    bits, labels = make_reference(seed=7)
    with pytest.raises(ScorerError, match="at least 2 speakers"):
        BetaScorer().fit(bits[labels == 0], labels[labels == 0])


def test_unlabelled_rows_are_left_out_of_the_fit() -> None:
    bits, labels = make_reference(seed=8)
    partial = labels.copy()
    partial[:12] = -1
    with_unlabelled, without = BetaScorer(), BetaScorer()
    with_unlabelled.fit(bits, partial)
    without.fit(bits[12:], labels[12:])
    np.testing.assert_array_equal(with_unlabelled.alpha, without.alpha)
    assert with_unlabelled.reference_stats().n_recordings == len(bits) - 12


def test_vectors_of_another_width_are_refused(fitted) -> None:
    scorer = fitted[0]
    wrong = np.zeros((3, scorer.n_attributes + 1), np.uint8)
    with pytest.raises(ScorerError, match=f"fitted on {scorer.n_attributes}"):
        scorer.score_pairs(wrong, wrong)


def test_unfitted_scorer_refuses_to_score() -> None:
    with pytest.raises(ScorerError, match="not fitted"):
        BetaScorer().score_pairs(np.zeros((1, 4), np.uint8), np.zeros((1, 4), np.uint8))


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ScorerError, match="min_precision"):
        BetaScorer(min_precision=2.0, prior_precision=1.0)


def test_every_attribute_excluded_gives_zero_llrs_and_a_note() -> None:
    bits = np.zeros((6, 4), np.uint8)
    labels = np.array([0, 0, 1, 1, 2, 2])
    scorer = BetaScorer()
    report = scorer.fit(bits, labels)
    assert report.excluded == {"dead": 4}
    assert any("every attribute is excluded" in note for note in report.notes)
    assert (scorer.score_matrix(bits, bits) == 0).all()


def test_every_scoring_path_checks_the_attribute_count(fitted) -> None:
    scorer = fitted[0]
    k = scorer.n_attributes
    wrong = np.zeros((2, k - 1), np.uint8)
    right = np.zeros((2, k), np.uint8)
    rows = [np.array([0]), np.array([1])]
    with pytest.raises(ScorerError, match=f"have {k - 1} attributes"):
        scorer.score_counts(Counts.of_rows(wrong, rows), Counts.of_rows(right, rows))
    with pytest.raises(ScorerError, match=f"have {k - 1} attributes"):
        scorer.score_rows(wrong, np.array([0]), np.array([1]))
    with pytest.raises(ScorerError, match=f"have {k - 1} attributes"):
        scorer.score_matrix(right, wrong)


def _minka_update(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """The spec's fixed-point update (torch digamma), x [S, k, 2], alpha [k, 2]."""
    numerator = (torch.digamma(x + alpha) - torch.digamma(alpha)).sum(0)
    total = x.sum(-1)
    denominator = (torch.digamma(total + alpha.sum(-1)) - torch.digamma(alpha.sum(-1))).sum(0)
    return alpha * numerator / denominator[:, None]


def _log_likelihood(x: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    def log_beta(z: torch.Tensor) -> torch.Tensor:
        return torch.lgamma(z).sum(-1) - torch.lgamma(z.sum(-1))

    return (log_beta(x + alpha) - log_beta(alpha)).sum(0)


def test_flat_likelihood_ridge_converges_where_the_plain_fixed_point_crawls() -> None:
    # Few speakers with very unequal recording counts: the plain Minka iteration has not
    # converged after 300 steps here (BA-LR 2.0 stops after 100, without saying so).
    rng = np.random.default_rng(3)
    sizes = [1] * 7 + [2] * 4 + [5] * 4 + [40] * 5
    labels = np.repeat(np.arange(len(sizes)), sizes)
    rates = rng.beta(0.5, 0.5, (len(sizes), 6))
    bits = (rng.random((len(labels), 6)) < rates[labels]).astype(np.uint8)
    scorer = BetaScorer(n_iterations=300, tol=1e-8, min_speakers=1)
    report = scorer.fit(bits, labels)
    assert report.converged and report.iterations < 300
    counts = Counts.of_speakers(bits, labels)
    x = torch.from_numpy(np.stack([counts.active, counts.inactive], -1)).double()
    fitted = torch.from_numpy(np.stack([scorer.alpha, scorer.beta], -1))
    keep = torch.from_numpy(~scorer.excluded)
    precision = scorer.alpha + scorer.beta
    at_bound = torch.from_numpy(
        np.isclose(precision, scorer.max_precision) | np.isclose(precision, scorer.min_precision)
    )
    interior = keep & ~at_bound
    np.testing.assert_allclose(
        _minka_update(x, fitted)[interior].numpy(), fitted[interior].numpy(), rtol=1e-5
    )
    plain = fitted.clone()
    plain[:] = 1.0
    for _ in range(1000):
        plain = _minka_update(x, plain)
    assert (_log_likelihood(x, fitted)[keep] >= _log_likelihood(x, plain)[keep] - 1e-9).all()


def test_speakers_with_more_recordings_than_the_tables_hold_fit_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from balr.scoring import beta as beta_module

    bits, labels = make_reference(seed=9, n_speakers=12, per_speaker=8)
    rng = np.random.default_rng(9)
    huge = (rng.random((300, bits.shape[1])) < 0.3).astype(np.uint8)  # one 300-recording speaker
    bits, labels = np.vstack([bits, huge]), np.concatenate([labels, np.full(300, 12)])
    exact = BetaScorer(tol=1e-10)
    exact.fit(bits, labels)
    monkeypatch.setattr(beta_module, "TABLE_COUNTS", 64)
    capped = BetaScorer(tol=1e-10)
    capped.fit(bits, labels)
    np.testing.assert_allclose(capped.alpha, exact.alpha, rtol=1e-8)
    np.testing.assert_allclose(capped.beta, exact.beta, rtol=1e-8)
