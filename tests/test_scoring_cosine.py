"""The cosine scorer: plain cosine similarity, sides averaged, saved and reloaded."""

from __future__ import annotations

import numpy as np
import pytest

from balr.scoring import CosineScorer, ScorerError, load_any_scorer, load_scorer
from balr.scoring.sides import RowGroups


def _data(n: int = 12, dim: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, dim)), np.repeat(np.arange(n // 3), 3)


def _numpy_cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_cosine_scores_equal_numpy_cosine() -> None:
    x, labels = _data()
    scorer = CosineScorer()
    scorer.fit(x, labels)
    np.testing.assert_allclose(scorer.score_pairs(x[:6], x[6:]), _numpy_cosine(x[:6], x[6:]))
    matrix = scorer.score_matrix(x[:4], x[4:])
    expected = (x[:4] / np.linalg.norm(x[:4], axis=1, keepdims=True)) @ (
        x[4:] / np.linalg.norm(x[4:], axis=1, keepdims=True)
    ).T
    np.testing.assert_allclose(matrix, expected, rtol=1e-12)


def test_centering_subtracts_the_reference_mean() -> None:
    x, labels = _data()
    scorer = CosineScorer(center=True)
    scorer.fit(x, labels)
    mean = x.mean(axis=0)
    np.testing.assert_allclose(
        scorer.score_pairs(x[:6], x[6:]), _numpy_cosine(x[:6] - mean, x[6:] - mean)
    )


def test_a_side_of_several_recordings_is_its_mean_unit_vector() -> None:
    x, labels = _data()
    scorer = CosineScorer()
    scorer.fit(x, labels)
    enroll = RowGroups.of([np.array([0, 1, 2])])
    test = RowGroups.of([np.array([5, 7])])
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    mean_e, mean_t = unit[[0, 1, 2]].mean(0, keepdims=True), unit[[5, 7]].mean(0, keepdims=True)
    expected = _numpy_cosine(mean_e, mean_t)
    np.testing.assert_allclose(scorer.score_sides(x, enroll, test), expected)


def test_saved_cosine_reloads_and_binary_loader_refuses_it(tmp_path) -> None:
    x, labels = _data()
    scorer = CosineScorer(center=True)
    scorer.fit(x, labels)
    scorer.save(tmp_path / "cos")
    loaded = load_any_scorer(tmp_path / "cos")
    assert isinstance(loaded, CosineScorer) and loaded.center
    before, after = scorer.score_pairs(x[:6], x[6:]), loaded.score_pairs(x[:6], x[6:])
    np.testing.assert_array_equal(after, before)
    with pytest.raises(ScorerError, match="scorer of embeddings"):
        load_scorer(tmp_path / "cos")


def test_embeddings_of_another_size_are_refused() -> None:
    x, labels = _data()
    scorer = CosineScorer()
    scorer.fit(x, labels)
    with pytest.raises(ScorerError, match="have 3 dimensions"):
        scorer.score_pairs(x[:2, :3], x[2:4, :3])


def test_trial_list_of_rows_equals_numpy_cosine() -> None:
    x, labels = _data()
    scorer = CosineScorer()
    scorer.fit(x, labels)
    enroll, test = np.array([0, 4, 11]), np.array([1, 4, 2])
    np.testing.assert_allclose(
        scorer.score_rows(x, enroll, test), _numpy_cosine(x[enroll], x[test])
    )
