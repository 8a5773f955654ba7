"""MaxLLRScorer: the spec's mixture LLR, EM in log space, unseen attributes, diagnostics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from balr.scoring import Counts, MaxLLRScorer, ScorerError
from tests.scoring_reference import (
    counts_of,
    make_reference,
    maxllr_llr,
    mixture_log_likelihood,
)


@pytest.fixture(scope="module")
def fitted() -> tuple[MaxLLRScorer, np.ndarray, np.ndarray]:
    bits, labels = make_reference(seed=21)
    scorer = MaxLLRScorer(n_iterations=500, tol=1e-10)
    scorer.fit(bits, labels)
    return scorer, bits, labels


def _expected(scorer: MaxLLRScorer, enroll: np.ndarray, test: np.ndarray) -> float:
    ae, ne = counts_of(enroll)
    at, nt = counts_of(test)
    f, p, q = scorer.parameters().values()
    return sum(maxllr_llr(f[i], p[i], q[i], ae[i], ne[i], at[i], nt[i]) for i in range(len(ae)))


def test_llr_equals_scalar_formula_for_one_and_several_recordings(fitted) -> None:
    scorer, bits, _ = fitted
    sides = [([0], [1]), ([5], [200]), ([0, 1, 2], [3, 4]), ([40, 41], [80, 81, 82, 83])]
    enroll = Counts.of_rows(bits, [np.array(e) for e, _ in sides])
    test = Counts.of_rows(bits, [np.array(t) for _, t in sides])
    for llr, (e, t) in zip(scorer.score_counts(enroll, test), sides, strict=True):
        assert llr == pytest.approx(_expected(scorer, bits[e], bits[t]), rel=1e-10, abs=1e-10)


def test_em_step_leaves_the_fit_unchanged(fitted) -> None:
    # One EM step written with scalar loops from the fitted (f, p, q).
    scorer, bits, labels = fitted
    counts = Counts.of_speakers(bits, labels)
    f, p, q = scorer.parameters().values()
    assert scorer.report is not None and scorer.report.converged
    for i in range(bits.shape[1]):
        r = []
        for s in range(counts.n_groups):
            a, n = int(counts.active[s, i]), int(counts.inactive[s, i])
            log_has = math.log(f[i]) + a * math.log(p[i]) + n * math.log(1 - p[i])
            r.append(math.exp(log_has - mixture_log_likelihood(f[i], p[i], q[i], a, n)))
        a_col, n_col = counts.active[:, i].tolist(), counts.inactive[:, i].tolist()
        new_p = sum(w * a for w, a in zip(r, a_col, strict=True)) / sum(
            w * (a + n) for w, a, n in zip(r, a_col, n_col, strict=True)
        )
        new_q = sum((1 - w) * a for w, a in zip(r, a_col, strict=True)) / sum(
            (1 - w) * (a + n) for w, a, n in zip(r, a_col, n_col, strict=True)
        )
        low, high = scorer.min_probability, 1 - scorer.min_probability
        assert min(max(sum(r) / len(r), low), high) == pytest.approx(f[i], abs=1e-8)
        assert min(max(new_p, low), high) == pytest.approx(p[i], abs=1e-8)
        assert min(max(new_q, low), high) == pytest.approx(q[i], abs=1e-8)


def test_two_hundred_recordings_per_side_do_not_underflow() -> None:
    # BA-LR 2.0 computes p^a in linear space: 0.9^200 * 0.1^... underflows to 0, log gives -inf.
    bits, labels = make_reference(seed=22, n_speakers=30, per_speaker=10)
    scorer = MaxLLRScorer()
    scorer.fit(bits, labels)
    rng = np.random.default_rng(0)
    many = (rng.random((400, bits.shape[1])) < 0.5).astype(np.uint8)
    enroll = Counts.of_rows(many, [np.arange(200)])
    test = Counts.of_rows(many, [np.arange(200, 400)])
    llr = scorer.score_counts(enroll, test)
    assert np.isfinite(llr).all()
    assert llr[0] == pytest.approx(_expected(scorer, many[:200], many[200:]), rel=1e-9)


def test_attribute_unseen_in_reference_but_active_in_a_trial_is_finite() -> None:
    bits, labels = make_reference(seed=23)
    bits[:, 0] = 0
    scorer = MaxLLRScorer()
    report = scorer.fit(bits, labels)
    assert report.excluded == {"dead": 1}
    trial = np.ones((2, bits.shape[1]), np.uint8)
    contributions = scorer.contributions(
        Counts.of_rows(trial, [np.array([0])]), Counts.of_rows(trial, [np.array([1])])
    )
    assert np.isfinite(contributions).all() and contributions[0, 0] == 0
    # Even kept attributes with q at its floor stay finite.
    assert (scorer.parameters()["q"] >= scorer.min_probability).all()


def test_rare_but_kept_attribute_has_probabilities_clipped_away_from_zero() -> None:
    bits, labels = make_reference(seed=24)
    bits[:, 1] = 0
    bits[labels < 3, 1] = 1  # three speakers always show it, no one else ever
    scorer = MaxLLRScorer(n_iterations=300)
    scorer.fit(bits, labels)
    _, p, q = (v[1] for v in scorer.parameters().values())
    assert scorer.min_probability <= q < 1e-3 and p > 0.99
    llrs = scorer.score_pairs(bits[:50], bits[-50:])
    assert np.isfinite(llrs).all()


def test_convergence_is_reported() -> None:
    bits, labels = make_reference(seed=25)
    report = MaxLLRScorer(n_iterations=2, tol=1e-12).fit(bits, labels)
    assert not report.converged and report.iterations == 2
    assert any("not converged" in note for note in report.notes)


def test_initial_values_are_checked() -> None:
    with pytest.raises(ScorerError, match="must be below"):
        MaxLLRScorer(p=0.2, q=0.3)
    with pytest.raises(ScorerError, match=r"scorer\.f="):
        MaxLLRScorer(f=1.0)
