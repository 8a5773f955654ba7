"""The fast one-recording-per-side paths equal the general count formulas, for every scorer."""

from __future__ import annotations

import numpy as np
import pytest

from balr.scoring import SCORERS, Counts, fast
from balr.scoring.base import Scorer
from tests.scoring_reference import make_reference


@pytest.fixture(scope="module", params=sorted(SCORERS))
def scorer(request: pytest.FixtureRequest) -> Scorer:
    bits, labels = make_reference(seed=41, k=13)  # not a multiple of 8: a padded byte
    bits[:, 0] = 0
    bits[:, 5] = 1
    fitted = SCORERS[request.param]()
    fitted.fit(bits, labels)
    assert fitted.excluded[[0, 5]].all()
    return fitted


def _pairs(seed: int, n: int, k: int = 13) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.random((n, k)) < 0.4).astype(np.uint8), (rng.random((n, k)) < 0.4).astype(np.uint8)


def _general(scorer: Scorer, enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
    rows = [np.array([i]) for i in range(len(enroll))]
    return scorer.score_counts(Counts.of_rows(enroll, rows), Counts.of_rows(test, rows))


def test_score_pairs_equals_score_counts(scorer: Scorer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "PAIR_CHUNK", 7)
    enroll, test = _pairs(0, 50)
    np.testing.assert_allclose(
        scorer.score_pairs(enroll, test), _general(scorer, enroll, test), rtol=1e-12, atol=1e-10
    )


def test_score_rows_equals_score_counts(scorer: Scorer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "PAIR_CHUNK", 9)
    bits, _ = _pairs(1, 30)
    rng = np.random.default_rng(2)
    e, t = rng.integers(0, 30, 60), rng.integers(0, 30, 60)
    np.testing.assert_allclose(
        scorer.score_rows(bits, e, t), _general(scorer, bits[e], bits[t]), rtol=1e-12, atol=1e-10
    )


def test_score_matrix_equals_score_counts(scorer: Scorer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fast, "MATRIX_ROWS", 4)
    monkeypatch.setattr(fast, "MATRIX_ELEMENTS", 13 * 5)  # test side in blocks of 5
    enroll, test = _pairs(3, 11)[0], _pairs(4, 17)[1]
    matrix = scorer.score_matrix(enroll, test)
    assert matrix.shape == (11, 17)
    e, t = np.meshgrid(np.arange(11), np.arange(17), indexing="ij")
    expected = _general(scorer, enroll[e.ravel()], test[t.ravel()]).reshape(11, 17)
    np.testing.assert_allclose(matrix, expected, rtol=1e-12, atol=1e-10)
    blocks = list(scorer.iter_matrix(enroll, test))
    np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), matrix)


def test_table_cells_are_the_contributions_of_one_recording_sides(scorer: Scorer) -> None:
    table = scorer.table()
    for e in (0, 1):
        for t in (0, 1):
            ones = np.full((1, scorer.n_attributes), 1)
            enroll = Counts(ones * e, ones * (1 - e))
            test = Counts(ones * t, ones * (1 - t))
            np.testing.assert_array_equal(table[:, e, t], scorer.contributions(enroll, test)[0])


def test_byte_table_sums_the_coefficients_of_set_bits() -> None:
    coefficients = np.arange(1.0, 11.0)  # 10 attributes: two bytes, the second padded
    table = fast.byte_table(coefficients)
    bits = np.zeros((1, 10), np.uint8)
    bits[0, [0, 3, 9]] = 1
    packed = np.packbits(bits, axis=1)
    assert table[packed[0, 0]] + table[256 + int(packed[0, 1])] == 1 + 4 + 10


def test_empty_inputs_give_empty_scores(scorer: Scorer) -> None:
    none = np.zeros((0, scorer.n_attributes), np.uint8)
    assert scorer.score_pairs(none, none).shape == (0,)
    assert scorer.score_matrix(none, _pairs(5, 3)[0]).shape == (0, 3)
    assert scorer.score_rows(_pairs(5, 3)[0], np.zeros(0, int), np.zeros(0, int)).shape == (0,)


def test_matrix_of_a_set_against_itself_is_symmetric_and_exact(
    scorer: Scorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast, "MATRIX_ROWS", 4)  # mirrored blocks
    monkeypatch.setattr(fast, "MATRIX_ELEMENTS", 13 * 5)
    bits = _pairs(6, 15)[0]
    matrix = scorer.score_matrix(bits, bits)
    np.testing.assert_array_equal(matrix, matrix.T)
    e, t = np.meshgrid(np.arange(15), np.arange(15), indexing="ij")
    expected = _general(scorer, bits[e.ravel()], bits[t.ravel()]).reshape(15, 15)
    np.testing.assert_allclose(matrix, expected, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize("symmetric", [True, False])
def test_fast_paths_equal_the_table_sum_for_any_table(
    symmetric: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fast, "PAIR_CHUNK", 8)
    rng = np.random.default_rng(7)
    table = rng.normal(size=(21, 2, 2))
    if symmetric:
        table[:, 0, 1] = table[:, 1, 0]
    form = fast.LinearForm.from_table(table)
    assert form.symmetric == symmetric
    enroll, test = _pairs(8, 40, k=21)
    columns = np.arange(21)
    expected = np.array([table[columns, e, t].sum() for e, t in zip(enroll, test, strict=True)])
    np.testing.assert_allclose(fast.score_pairs(form, enroll, test), expected, rtol=1e-12)
    bits = np.vstack([enroll, test])
    rows = fast.score_rows(form, bits, np.arange(40), np.arange(40, 80))
    np.testing.assert_allclose(rows, expected, rtol=1e-12)
    matrix = fast.score_matrix(form, enroll, test)
    np.testing.assert_allclose(np.diag(matrix), expected, rtol=1e-12)
