"""The one rule for recording ids: no character that a trial list uses as a separator.

Trial lists separate columns with a TAB, rows with a line break, and several
enrollment recordings of one trial with a comma. An id holding one of these would
be split when the list is read back, so balr refuses such ids where they are made
(``balr extract``, from file names or a CSV's id column) and where they are written
(trial lists); it never rewrites them, since a silently changed id no longer names
the file the user knows.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import polars as pl

from balr.errors import DatasetError

# The separators of a trial list, with the words a message uses for them.
UNSAFE_ID_CHARS = {",": "a comma", "\t": "a TAB", "\n": "a line break", "\r": "a line break"}
_UNSAFE_PATTERN = "[,\t\n\r]"


def unsafe_char(item_id: str) -> str | None:
    """The first trial-list separator in `item_id` (as words, e.g. "a comma"), else None."""
    for char in item_id:
        if char in UNSAFE_ID_CHARS:
            return UNSAFE_ID_CHARS[char]
    return None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_ids(ids: Iterable[str], where: str, fix: str) -> None:
    """Refuse ids holding a comma, TAB or line break, naming the first and the count.

    Args:
        ids: the ids to check.
        where: what holds them, to start the message (a file or folder).
        fix: what the user should do, to end the message.

    Raises:
        DatasetError: an id holds a trial-list separator, or is not UTF-8.
    """
    ids = list(ids)
    # One vectorised scan: a Python loop over a million ids takes most of a second.
    try:
        series = pl.Series(values=ids, dtype=pl.String)
    except UnicodeEncodeError:
        # A file name of bytes that are not UTF-8: no CSV, JSON or trial list can hold it.
        first = next(i for i in ids if not _is_utf8(i))
        raise DatasetError(
            f"{where}: id {os.fsencode(first)!r} is not valid UTF-8 (balr writes ids into"
            f" UTF-8 files): {fix}"
        ) from None
    bad = series.filter(series.str.contains(_UNSAFE_PATTERN))
    if bad.is_empty():
        return
    first = bad[0]
    char = unsafe_char(first)
    more = f" ({len(bad)} ids in all)" if len(bad) > 1 else ""
    raise DatasetError(
        f"{where}: id {first!r} holds {char}{more}; ids may not hold a comma, TAB or line"
        f" break (trial lists use them as separators): {fix}"
    )
