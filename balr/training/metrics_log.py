"""metrics.csv: one row per epoch and split, rewritten atomically on every append."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

from balr.training.checkpoint import atomic_write_text


class MetricsLog:
    """Rows of (epoch, split, metrics...) kept in memory and mirrored to a CSV file.

    The file is small (one row per logged epoch), so each append rewrites it atomically:
    a kill never leaves a half-written line.
    """

    def __init__(self, path: Path | None, columns: list[str]) -> None:
        self.path = path
        self.columns = ["epoch", "split", *columns]
        self.rows: list[dict[str, str]] = []

    def resume(self, last_epoch: int) -> None:
        """Reload the file, dropping rows of epochs after the checkpoint's `last_epoch`."""
        if self.path is None or not self.path.is_file():
            return
        with self.path.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
        self.rows = [row for row in rows if int(row["epoch"]) <= last_epoch]
        extra = [c for c in (rows[0].keys() if rows else []) if c not in self.columns]
        self.columns += extra
        self._flush()

    def append(self, epoch: int, split: str, metrics: Mapping[str, float]) -> None:
        """Add one row and rewrite the file."""
        row = {"epoch": str(epoch), "split": split}
        for key, value in metrics.items():
            if key not in self.columns:
                self.columns.append(key)
            row[key] = _format(value)
        self.rows.append(row)
        self._flush()

    def _flush(self) -> None:
        if self.path is None:
            return
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, restval="", lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        atomic_write_text(self.path, buffer.getvalue())


def _format(value: float) -> str:
    # repr round-trips floats exactly, so identical runs give identical files.
    return repr(float(value))
