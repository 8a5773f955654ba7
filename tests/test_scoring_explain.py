"""explain.tsv written chunk by chunk: one header, every comparison in order, exact top-k."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from balr.scoring import BetaScorer
from balr.scoring.explain_file import _top_attributes, write_explanations
from balr.scoring.trials import Comparisons


def test_top_attributes_match_a_stable_sort_with_ties() -> None:
    rng = np.random.default_rng(0)
    contrib = rng.integers(-2, 3, (200, 30)).astype(np.float64)  # many ties
    for k in (1, 4, 29, 30):
        expected = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(_top_attributes(contrib, k), expected)


@pytest.mark.parametrize("top", [2, 40])
def test_explanations_of_several_chunks_read_back_whole_and_in_order(
    tmp_path: Path, top: int
) -> None:
    rng = np.random.default_rng(1)
    speakers = np.repeat(np.arange(20), 5)
    bits = (rng.random((100, 24)) < rng.uniform(0.1, 0.9, (20, 24))[speakers]).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, speakers)
    n = 9_000  # three chunks of 4,096
    e = rng.integers(0, 100, n)
    t = (e + 1 + rng.integers(0, 99, n)) % 100
    ids = [f"r{i}" for i in range(100)]
    comparisons = Comparisons([ids[i] for i in e], [ids[i] for i in t], e[:, None], t[:, None])
    write_explanations(tmp_path / "explain.tsv", scorer, bits, comparisons, top)
    table = pl.read_csv(tmp_path / "explain.tsv", separator="\t", infer_schema=False)
    k = min(top, 24)
    assert table.height == n * (k + 1)
    assert table["enrollment"].to_list() == [ids[i] for i in np.repeat(e, k + 1)]
    assert table["rank"].to_list() == [str(r) for r in np.tile(np.arange(1, k + 2), n)]
    sums = table["contribution"].cast(pl.Float64).to_numpy().reshape(n, k + 1).sum(axis=1)
    llrs = scorer.score_rows(bits, e, t)
    np.testing.assert_allclose(sums, llrs, atol=5e-4 * (k + 1))
