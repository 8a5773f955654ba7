"""Cosine scoring and verification metrics, including the dataset baselines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from balr.evaluation import Trials, cosine_scores, read_trials, score_metrics, verification_metrics

DATA = Path("/work/shared/data")


def trials_of(pairs: list[tuple[int, int]], labels: list[bool] | None = None) -> Trials:
    enroll, test = (np.array(side, dtype=np.int64) for side in zip(*pairs, strict=True))
    flags = np.array(labels if labels is not None else [i % 2 == 0 for i in range(len(pairs))])
    return Trials(enroll, test, flags)


def test_cosine_scores_match_numpy() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(20, 8))
    trials = trials_of([(0, 1), (3, 7), (19, 2), (5, 5)])
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    expected = (unit[trials.enroll] * unit[trials.test]).sum(axis=1)
    scores = cosine_scores(torch.from_numpy(vectors).float(), trials)
    np.testing.assert_allclose(scores, expected, atol=1e-6)
    assert scores.dtype == np.float64


def test_cosine_of_a_zero_vector_is_zero() -> None:
    vectors = torch.tensor([[0.0, 0.0, 0.0], [1.0, 2.0, 0.5], [0.0, 0.0, 0.0]])
    scores = cosine_scores(vectors, trials_of([(0, 1), (0, 2)]))
    np.testing.assert_array_equal(scores, [0.0, 0.0])


def test_cosine_of_an_all_zero_binary_vector_is_zero() -> None:
    vectors = torch.tensor([[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]], dtype=torch.float32)
    scores = cosine_scores(vectors, trials_of([(0, 1), (0, 2), (1, 1)]))
    np.testing.assert_array_equal(scores, [0.0, 0.0, 1.0])


def test_equal_binary_cosines_are_identical_floats() -> None:
    # 1/sqrt(2) three ways: d/sqrt(n_a n_b) = 1/sqrt(1*2) = 2/sqrt(2*4) = 3/sqrt(3*6).
    vectors = torch.zeros(6, 12)
    vectors[0, 0] = 1
    vectors[1, :2] = 1
    vectors[2, :2] = 1
    vectors[3, :4] = 1
    vectors[4, :3] = 1
    vectors[5, :6] = 1
    scores = cosine_scores(vectors, trials_of([(0, 1), (2, 3), (4, 5)]))
    assert scores[0] == scores[1] == scores[2]
    assert scores[0] == pytest.approx(2**-0.5)


def test_binary_cosines_match_the_float_formula() -> None:
    bits = (np.random.default_rng(1).random((30, 64)) < 0.3).astype(np.float64)
    trials = trials_of([(i, (7 * i + 3) % 30) for i in range(30)])
    counts = bits.sum(axis=1)
    dots = (bits[trials.enroll] * bits[trials.test]).sum(axis=1)
    expected = dots / np.sqrt(counts[trials.enroll] * counts[trials.test])
    np.testing.assert_allclose(cosine_scores(bits, trials), expected, rtol=1e-12)


def test_cosine_scores_reject_trials_beyond_the_vectors() -> None:
    with pytest.raises(ValueError, match="beyond"):
        cosine_scores(torch.ones(3, 2), trials_of([(0, 3)]))


def test_verification_metrics_keys() -> None:
    vectors = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    trials = trials_of([(0, 1), (2, 3), (0, 2), (1, 3)], [True, True, False, False])
    metrics = verification_metrics(vectors, trials)
    assert metrics == {"eer": 0.0, "min_dcf_0.01": 0.0, "min_dcf_0.05": 0.0}


def test_score_metrics_names_min_dcf_after_each_prior() -> None:
    metrics = score_metrics([0.9, 0.1, 0.5], [1, 0, 0], p_targets=(0.001, 0.5))
    assert set(metrics) == {"eer", "min_dcf_0.001", "min_dcf_0.5"}


def load_val(name: str) -> tuple[list[str], np.ndarray]:
    """Ids and raw embeddings of a shared dataset's val split, read with numpy only."""
    root = DATA / name
    rows = [line.split(",") for line in (root / "val.csv").read_text().splitlines()[1:]]
    vectors = np.stack([np.loadtxt(root / row[1]) for row in rows])
    return [row[0] for row in rows], vectors


@pytest.mark.parametrize(
    ("name", "pairs", "targets", "eer"),
    [("librispeech-sample", 10_731, 338, 1.48), ("voxceleb-sample", 703, 176, 8.54)],
)
def test_cosine_eer_reproduces_the_dataset_baseline(
    name: str, pairs: int, targets: int, eer: float
) -> None:
    ids, vectors = load_val(name)
    trials = read_trials(DATA / name / "trials.csv", ids)
    assert (len(trials), trials.num_targets) == (pairs, targets)
    metrics = verification_metrics(torch.from_numpy(vectors).float(), trials)
    assert round(metrics["eer"], 2) == eer
