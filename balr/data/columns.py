"""Headers of the tables a user writes (dataset CSVs, trial lists): each column named once.

polars reads a header naming a column twice as ``label`` and ``label_duplicated_0``; balr
would then use the first silently. Both readers refuse such a header instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from balr.errors import DatasetError

_RENAMED = re.compile(r"^(?P<name>.+)_duplicated_\d+$")


def repeated_column(columns: Sequence[str]) -> str | None:
    """The first column name the header holds twice (as polars renamed it), else None."""
    names = set(columns)
    for column in columns:
        match = _RENAMED.match(column)
        if match is not None and match["name"] in names:
            return match["name"]
    return None


def check_unique_columns(columns: Sequence[str], path: Path) -> None:
    """DatasetError when the header of `path` names a column twice.

    Raises:
        DatasetError: names the file and the column, and the fix.
    """
    name = repeated_column(columns)
    if name is not None:
        raise DatasetError(
            f"{path}: the header names the column {name!r} twice, and only one can be used:"
            " rename or drop the other"
        )
