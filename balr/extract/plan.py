"""What is left to do: the items of a work list whose vectors are not yet (usably) written."""

from __future__ import annotations

import logging
from pathlib import Path

from balr.errors import DatasetError
from balr.extract.options import ExtractOptions, ExtractSummary
from balr.extract.worklist import WorkItem, done_rows

log = logging.getLogger("balr.extract")


def plan(
    items: list[WorkItem], fmt: str, options: ExtractOptions, summary: ExtractSummary, dim: int
) -> tuple[list[WorkItem], list[tuple[str, Path | None, str]]]:
    """Items still to compute, and errors: finished items go to `summary.rows`, rows without
    audio to the errors (or a DatasetError with `strict`).

    A finished item's vector files must load as `dim` finite values (the encoder's size);
    those that do not are redone, with one warning counting them.
    """
    todo: list[WorkItem] = []
    errors: list[tuple[str, Path | None, str]] = []
    broken: list[str] = []
    segments = options.segments is not None
    for item in items:
        if item.audio is None:
            reason = f"row {item.id!r} has no audio file: fill its audio cell or remove the row"
            if options.strict:
                raise DatasetError(reason)
            errors.append((item.id, None, reason))
            continue
        redo = options.force or options.packed
        rows = None if redo else done_rows(item, fmt, segments, dim, broken)
        if rows is None:
            todo.append(item)
        else:
            summary.rows.extend(rows)
            summary.skipped += 1
    if summary.skipped:
        log.info(
            "%d recordings already have embeddings (use --force to redo them)", summary.skipped
        )
    if broken:
        files = "file does" if len(broken) == 1 else "files do"
        log.warning(
            "%d existing embedding %s not load (first: %s): computing again", len(broken),
            files, broken[0],
        )  # fmt: skip
    return todo, errors
