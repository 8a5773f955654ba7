"""explain.tsv: per comparison of `balr score test --explain`, its strongest attributes.

Written chunk by chunk as the contributions are computed, so memory stays that of one chunk
however many comparisons are explained.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from balr.data.atomic import atomic_path

if TYPE_CHECKING:
    from balr.scoring.base import ReferenceStats, Scorer
    from balr.scoring.counts import Counts
    from balr.scoring.trials import Comparisons


def write_explanations(
    path: Path,
    scorer: Scorer,
    bits: np.ndarray,
    comparisons: Comparisons,
    top: int,
) -> None:
    """explain.tsv: per comparison, the `top` attributes of largest |contribution|.

    Counts are written ``a/n``: recordings of the side where the attribute is active / not
    active. ``rate`` and ``typicality`` describe the attribute in the reference population.
    A last row per comparison, attribute ``others``, sums the remaining attributes, so each
    comparison's contributions add up to its raw (uncalibrated) LLR.

    The rows are written chunk by chunk as they are computed: memory stays that of one chunk
    of 4,096 comparisons however many are explained.
    """
    from balr.scoring.sides import iter_counts

    stats = scorer.reference_stats()
    # One recording per side: each contribution is a cell of the [k, 2, 2] table (no lgamma).
    cells = scorer.table() if comparisons.single() else None
    sides = comparisons.enroll_rows, comparisons.test_rows
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        for start, (enroll, test) in iter_counts(bits, *sides, chunk=4096):
            if cells is not None:
                columns = np.arange(cells.shape[0])[None, :]
                contrib = cells[columns, enroll.active, test.active]
            else:
                contrib = scorer.contributions(enroll, test)
            rows = _explained(start, (enroll, test), contrib, top, comparisons, stats)
            rows.write_csv(
                handle,
                include_header=start == 0,
                separator="\t",
                float_precision=4,
                quote_style="never",
            )


def _explained(
    start: int,
    sides: tuple[Counts, Counts],
    contrib: np.ndarray,
    top: int,
    comparisons: Comparisons,
    stats: ReferenceStats,
) -> pl.DataFrame:
    """explain.tsv rows of the comparisons start, start + 1, ... (contributions [P, k]).

    Each comparison's `top` attributes (rank 1, 2, ...), then its ``others`` row.
    """
    enroll, test = sides
    n, k = len(contrib), min(top, contrib.shape[1])
    attrs = _top_attributes(contrib, k)
    rows = np.arange(n)[:, None]
    shown = contrib[rows, attrs]
    rest = contrib.sum(axis=1, keepdims=True) - shown.sum(axis=1, keepdims=True)
    others = np.full((n, 1), -1)  # the attribute column of the `others` row

    def per_row(top_values: np.ndarray, other: float | int) -> np.ndarray:
        """[n, k] values of the top attributes and one of `others`, row-major [n * (k + 1)]."""
        return np.hstack([top_values, np.full((n, 1), other, top_values.dtype)]).ravel()

    frame = pl.DataFrame(
        {
            "comparison": np.repeat(np.arange(start, start + n), k + 1),
            "rank": np.tile(np.arange(1, k + 2), n),
            "attribute": np.hstack([attrs, others]).ravel(),
            "e_active": per_row(enroll.active[rows, attrs], 0),
            "e_inactive": per_row(enroll.inactive[rows, attrs], 0),
            "t_active": per_row(test.active[rows, attrs], 0),
            "t_inactive": per_row(test.inactive[rows, attrs], 0),
            "contribution": np.hstack([shown, rest]).ravel(),
            "rate": per_row(stats.rate[attrs].astype(np.float64), np.nan),
            "typicality": per_row(stats.typicality[attrs].astype(np.float64), np.nan),
        }
    )
    names = pl.DataFrame(
        {
            "enrollment": comparisons.enrollment[start : start + n],
            "test": comparisons.test[start : start + n],
        },
        schema={"enrollment": pl.String, "test": pl.String},
    )
    rows_text = pl.concat([names[frame["comparison"] - start], frame], how="horizontal")
    return _as_text(rows_text, contrib.shape[1] - k)


def _top_attributes(contrib: np.ndarray, k: int) -> np.ndarray:
    """int [n, k]: per row the k largest |contribution|, largest first, ties to the lower
    attribute (a stable sort), in O(n x attributes) instead of sorting whole rows."""
    magnitude = np.abs(contrib)
    if k >= contrib.shape[1]:
        return np.argsort(-magnitude, axis=1, kind="stable")
    some = np.argpartition(-magnitude, k - 1, axis=1)[:, :k]
    kth = np.take_along_axis(magnitude, some, axis=1).min(axis=1, keepdims=True)
    above = magnitude > kth
    ties = magnitude == kth
    # Of the attributes tied at the k-th value, the lowest ones fill the k places.
    ties &= np.cumsum(ties, axis=1) <= k - above.sum(axis=1, keepdims=True)
    chosen = np.nonzero(above | ties)[1].reshape(len(contrib), k)
    order = np.argsort(-np.take_along_axis(magnitude, chosen, axis=1), axis=1, kind="stable")
    return np.take_along_axis(chosen, order, axis=1)


def _as_text(frame: pl.DataFrame, rest: int) -> pl.DataFrame:
    """explain.tsv's columns of numeric rows (attribute -1 marks an ``others`` row)."""
    is_other = pl.col("attribute") < 0

    def text(other: str, column: pl.Expr) -> pl.Expr:
        return pl.when(is_other).then(pl.lit(other)).otherwise(column)

    return frame.select(
        "enrollment",
        "test",
        "rank",
        text("others", pl.col("attribute").cast(pl.String)).alias("attribute"),
        text(f"{rest} attributes", pl.format("{}/{}", "e_active", "e_inactive")).alias(
            "enrollment_counts"
        ),
        text("", pl.format("{}/{}", "t_active", "t_inactive")).alias("test_counts"),
        "contribution",
        pl.col("rate", "typicality").fill_nan(None),
    )
