"""No NaN or infinity ever: every scorer on many random, often degenerate, references."""

from __future__ import annotations

import numpy as np
import pytest

from balr.scoring import SCORERS, Counts


def _random_reference(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_speakers = int(rng.choice([2, 3, 5, 20]))
    k = int(rng.integers(1, 24))
    sizes = rng.choice([1, 1, 2, 5, 40], size=n_speakers)
    labels = np.repeat(np.arange(n_speakers), sizes)
    # Speaker rates from near-deterministic to uniform, plus dead and always-on columns.
    rates = rng.beta(rng.choice([0.05, 0.5, 5.0]), rng.choice([0.05, 0.5, 5.0]), (n_speakers, k))
    bits = (rng.random((len(labels), k)) < rates[labels]).astype(np.uint8)
    bits[:, rng.random(k) < 0.1] = 0
    bits[:, rng.random(k) < 0.1] = 1
    return bits, labels


@pytest.mark.parametrize("name", sorted(SCORERS))
def test_random_references_never_give_nan_or_infinity(name: str) -> None:
    rng = np.random.default_rng(sorted(SCORERS).index(name))
    for _ in range(60):
        bits, labels = _random_reference(rng)
        scorer = SCORERS[name](min_speakers=int(rng.choice([1, 2])))
        report = scorer.fit(bits, labels)
        assert np.isfinite(report.max_change) or not report.converged
        for values in scorer.parameters().values():
            assert np.isfinite(values).all()
        k = bits.shape[1]
        trials = (rng.random((12, k)) < rng.random()).astype(np.uint8)
        assert np.isfinite(scorer.score_matrix(trials[:6], trials[6:])).all()
        # Large multi-recording sides, including all-active and all-inactive ones.
        big = np.vstack([np.ones((150, k), np.uint8), np.zeros((150, k), np.uint8), trials])
        groups = [np.arange(150), np.arange(150, 300), np.arange(300), np.array([300])]
        sides = Counts.of_rows(big, groups)
        flipped = Counts.of_rows(big, groups[::-1])
        contributions = scorer.contributions(sides, flipped)
        assert np.isfinite(contributions).all()
        assert (contributions[:, scorer.excluded] == 0).all()
