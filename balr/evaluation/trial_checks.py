"""Checks of a trial list's rows, called by the one reader (`trial_io.read_trial_frame`).

- a header naming a column twice (two ``label`` columns) is refused: one would be ignored;
- a comparison listed twice is refused: it would count twice in every metric. Sides are
  compared as sets of ids (``a,b`` and ``b,a`` are one side); a ``condition`` column, when
  there, is part of the comparison (a score file lists a pair once per condition).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from balr.data.columns import check_unique_columns
from balr.errors import DatasetError


def check_trial_rows(frame: pl.DataFrame, path: Path) -> None:
    """DatasetError on a repeated column or a repeated comparison of a trial list.

    Args:
        frame: the list's rows, text columns ``enrollment`` and ``test`` (sides stripped),
            and ``line``, the file line of each row (default: row + 2, below a header).
        path: the file, for the message.
    """
    check_unique_columns(frame.columns, path)
    # A score file may list one pair once per recording condition (its degraded copies).
    condition = [pl.col("condition")] if "condition" in frame.columns else []
    sides = frame.select(_side_key(frame, "enrollment"), _side_key(frame, "test"), *condition)
    repeated = sides.is_duplicated().to_numpy()
    if not repeated.any():
        return
    rows = np.flatnonzero(repeated)
    first = int(rows[0])
    twin = next(int(r) for r in rows[1:] if sides.row(int(r)) == sides.row(first))
    lines = frame["line"] if "line" in frame.columns else pl.Series(np.arange(len(frame)) + 2)
    raise DatasetError(
        f"{path}: lines {lines[first]} and {lines[twin]} compare the same recordings"
        f" ({frame['enrollment'][first]} vs {frame['test'][first]}; {rows.size} lines are"
        " repeats): a comparison listed twice counts twice in the metrics; keep one"
    )


def _side_key(frame: pl.DataFrame, column: str) -> pl.Expr:
    """A side as its sorted ids, so 'a,b' and 'b, a' are the same side."""
    col = pl.col(column).fill_null("")
    if not frame[column].str.contains(",", literal=True).any():
        return col
    listed = col.str.split(",").list.eval(pl.element().str.strip_chars()).list.sort()
    return listed.list.join(",").alias(column)
