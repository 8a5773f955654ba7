"""Val LLR metrics: the fixed train reference, its scorer fit and the metrics of the val trials."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch

from balr.evaluation import cllr, cllr_min, compute_eer, draw_trials
from balr.scoring import BetaScorer
from balr.training.llr_probe import LLR_KEYS, LLRProbe, reference_rows


def long_tailed_labels(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    counts = rng.integers(1, 80, size=50)
    labels = np.repeat(np.arange(50), counts)
    labels = labels[rng.permutation(labels.size)]
    labels[:5] = -1  # rows without a speaker are never picked
    return labels


def test_reference_keeps_at_most_the_asked_speakers_and_recordings() -> None:
    labels = long_tailed_labels()
    rows = reference_rows(labels, max_speakers=20, seed=3, max_recordings=10)
    picked = labels[rows]
    assert np.all(np.diff(rows) > 0)
    assert (picked >= 0).all()
    speakers, counts = np.unique(picked, return_counts=True)
    assert speakers.size == 20
    full = np.bincount(labels[labels >= 0])
    assert np.array_equal(counts, np.minimum(full[speakers], 10))


def test_reference_takes_everything_of_a_small_set() -> None:
    labels = long_tailed_labels()
    rows = reference_rows(labels, max_speakers=1000, seed=3, max_recordings=1000)
    assert np.array_equal(rows, np.flatnonzero(labels >= 0))


def test_reference_depends_on_the_seed_only_and_leaves_global_rngs_alone() -> None:
    labels = long_tailed_labels()
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    states = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())
    first = reference_rows(labels, 10, seed=7, max_recordings=5)
    assert random.getstate() == states[0]
    assert np.array_equal(np.random.get_state()[1], states[1])
    assert torch.equal(torch.get_rng_state(), states[2])
    assert np.array_equal(reference_rows(labels, 10, seed=7, max_recordings=5), first)
    assert not np.array_equal(reference_rows(labels, 10, seed=8, max_recordings=5), first)


def sign_bits(x: torch.Tensor) -> torch.Tensor:
    return (x > 0).to(torch.float32)


def test_probe_metrics_are_those_of_the_beta_scorer_on_the_reference() -> None:
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(30, 24))
    train_labels = np.repeat(np.arange(30), 6)
    train = torch.from_numpy(centres[train_labels] + 0.5 * rng.normal(size=(180, 24))).float()
    val_labels = np.repeat(np.arange(8), 5)
    val_centres = rng.normal(size=(8, 24))
    val = val_centres[val_labels] + 0.5 * rng.normal(size=(40, 24))
    val_bits = (val > 0).astype(np.uint8)
    trials = draw_trials(val_labels, max_pairs=500, seed=0)

    probe = LLRProbe(train, train_labels, max_speakers=30, seed=0)
    metrics = probe.run(sign_bits, val_bits, trials)

    scorer = BetaScorer()
    scorer.fit((train.numpy() > 0).astype(np.uint8), train_labels)
    llrs = scorer.score_pairs(val_bits[trials.enroll], val_bits[trials.test])
    assert metrics == pytest.approx(
        {
            "llr_eer": compute_eer(llrs, trials.labels),
            "cllr_min": cllr_min(llrs, trials.labels),
            "cllr": cllr(llrs, trials.labels),
        }
    )
    assert metrics["llr_eer"] < 25 and metrics["cllr_min"] < 1


def test_probe_reports_nan_when_no_scorer_can_be_fitted() -> None:
    # One train speaker: a scorer needs at least two.
    probe = LLRProbe(torch.randn(6, 4), np.zeros(6, dtype=np.int64), max_speakers=5, seed=0)
    trials = draw_trials(np.array([0, 0, 1, 1]), max_pairs=10, seed=0)
    metrics = probe.run(sign_bits, np.ones((4, 4), dtype=np.uint8), trials)
    assert set(metrics) == set(LLR_KEYS) and all(math.isnan(v) for v in metrics.values())
