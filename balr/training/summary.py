"""summary.json: what a run achieved, read by `balr runs` and sweep tables."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from balr.training.checkpoint import atomic_write_text

# A run's summary.json is kilobytes; anything far larger is not one.
_SUMMARY_LIMIT = 16 << 20


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/Inf become None, tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Atomically write the summary as indented JSON."""
    atomic_write_text(path, json.dumps(_clean(summary), indent=2) + "\n")


def read_summary(path: Path) -> dict[str, Any] | None:
    """Read a summary.json, or None when it is missing, unreadable or not a JSON object.

    Only a regular file of at most 16 MiB is read (a FIFO named summary.json would block).
    """
    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size > _SUMMARY_LIMIT:
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return record if isinstance(record, dict) else None
