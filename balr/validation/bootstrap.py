"""Speaker bootstrap: 95 % intervals of Cllr, Cllr_min, EER and devPAV.

Comparisons that share a speaker are not independent, so the replicates resample speakers,
not comparisons (a comparison-level bootstrap gives intervals that are too narrow). A
replicate draws S speakers with replacement from the condition's S; speaker i drawn k_i
times keeps every comparison among the drawn speakers with multiplicity: a same-speaker
comparison of speaker i counts k_i times (each copy's own comparisons), a
different-speaker comparison of speakers i and j counts k_i * k_j times (every pair of
copies). The LLRs never change, so each replicate is a weighting of the sorted LLRs
(:class:`balr.evaluation.weighted.SortedLLRs`).
"""

from __future__ import annotations

import math

import numpy as np

from balr.evaluation.weighted import METRICS, SortedLLRs
from balr.validation.inputs import Speakers

PERCENTILES = (2.5, 97.5)
# More replicates than any interval needs (1,000-10,000 are usual) would only run for days.
MAX_REPLICATES = 100_000
# Replicates drawn at a time, so memory does not grow with their number (1,000 replicates of
# 10,000 speakers: 80 MB of counts).
_CHUNK = 1000


def speaker_bootstrap(
    llrs: np.ndarray,
    labels: np.ndarray,
    speakers: Speakers,
    replicates: int,
    seed: int = 1234,
) -> dict[str, list[float]]:
    """Percentile intervals (2.5 %, 97.5 %) of each metric over speaker-bootstrap replicates.

    Args:
        llrs: natural-log LLRs [P].
        labels: bool [P], True for same-speaker comparisons.
        speakers: the speakers of each comparison's two sides.
        replicates: number of replicates (>= 1).
        seed: seed of the draws.

    Returns:
        ``{metric: [low, high]}`` for cllr, cllr_min, eer, devpav (NaN when no replicate
        had both classes).
    """
    values = bootstrap_replicates(llrs, labels, speakers, replicates, seed)
    intervals = {}
    for i, name in enumerate(METRICS):
        column = values[:, i]
        column = column[np.isfinite(column)]
        low, high = np.percentile(column, PERCENTILES) if column.size else (math.nan, math.nan)
        intervals[name] = [float(low), float(high)]
    return intervals


def bootstrap_replicates(
    llrs: np.ndarray,
    labels: np.ndarray,
    speakers: Speakers,
    replicates: int,
    seed: int = 1234,
) -> np.ndarray:
    """float64 [replicates, 4]: cllr, cllr_min, eer, devpav of each replicate."""
    if not 1 <= replicates <= MAX_REPLICATES:
        raise ValueError(f"replicates must be from 1 to {MAX_REPLICATES}, got {replicates}")
    data = SortedLLRs.build(llrs, labels)
    enroll, test = speakers.enrollment[data.order], speakers.test[data.order]
    rng = np.random.default_rng(seed)
    out = np.empty((replicates, len(METRICS)))
    for start in range(0, replicates, _CHUNK):
        counts = _draw_counts(rng, speakers.count, min(_CHUNK, replicates - start))
        for r, row in enumerate(counts, start):
            metrics = data.metrics(comparison_weights(row, enroll, test))
            out[r] = [metrics[name] for name in METRICS]
    return out


def speaker_counts(n_speakers: int, replicates: int, seed: int) -> np.ndarray:
    """float64 [replicates, n_speakers]: how often each replicate draws each speaker."""
    return _draw_counts(np.random.default_rng(seed), n_speakers, replicates)


def _draw_counts(rng: np.random.Generator, n_speakers: int, replicates: int) -> np.ndarray:
    # Row by row from one generator: drawing in chunks gives the same rows as all at once.
    p = np.full(n_speakers, 1.0 / n_speakers)
    return rng.multinomial(n_speakers, p, size=replicates).astype(np.float64)


def comparison_weights(counts: np.ndarray, enrollment: np.ndarray, test: np.ndarray) -> np.ndarray:
    """Copies of each comparison in a replicate drawing speaker i `counts[i]` times.

    A same-speaker comparison (one speaker on both sides) counts once per copy of its
    speaker; a different-speaker one once per pair of copies of its two speakers.
    """
    k_enrollment = counts[enrollment]
    return np.where(enrollment == test, k_enrollment, k_enrollment * counts[test])
