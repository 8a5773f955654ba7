"""`balr runs`: a table of runs from their summary.json files; also the end of a sweep."""

from __future__ import annotations

import argparse
import csv
import io
import math
import os
import sys
from pathlib import Path
from typing import Any

from balr.errors import RunDirError
from balr.training.checkpoint import atomic_write_text
from balr.training.summary import read_summary

COLUMNS = [
    "run",
    "losses",
    "dims",
    "epochs",
    "best_epoch",
    "val_eer",
    "val_min_dcf_0.01",
    "val_llr_eer",
    "val_cllr_min",
    "val_cllr",
    "val_loss",
    "raw_eer",
    "train_s",
]

# The columns of `balr score` runs (summary.json with "kind": "scorer" or "score").
SCORE_COLUMNS = [
    "run",
    "scorer",
    "attributes",
    "speakers",
    "converged",
    "iterations",
    "eer",
    "cllr",
    "cllr_min",
    "min_dcf_0.01",
    "seconds",
]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr runs`."""
    parser = subparsers.add_parser(
        "runs",
        help="compare finished runs",
        description="Show a table of runs (or of a sweep's jobs) from their summary.json files,"
        " best first by each run's monitored metric.",
    )
    parser.add_argument(
        "dirs", nargs="*", metavar="DIR", help="run or sweep folders (default: runs/)"
    )
    parser.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    parser.set_defaults(run=run)


def find_summaries(root: Path) -> list[Path]:
    """summary.json of `root` itself, or of the runs below it (sweep jobs included)."""
    if (root / "summary.json").is_file():
        return [root / "summary.json"]
    return sorted(root.glob("*/summary.json")) + sorted(root.glob("*/*/summary.json"))


def collect(dirs: list[Path]) -> list[dict[str, Any]]:
    """One row per run, sorted by its monitored metric (lower is better)."""
    rows = []
    for root in dirs:
        for path in find_summaries(root):
            summary = read_summary(path)
            if summary is not None:
                rows.append(row_of(path.parent, summary))
    return sorted(rows, key=lambda r: _sort_key(r["_monitor_value"]))


def row_of(run_dir: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """The table row of one run."""
    if summary.get("kind") in ("scorer", "score"):
        return score_row_of(run_dir, summary)
    best = summary.get("best") or {}
    metrics = best.get("metrics") or {}
    reference = summary.get("reference") or {}
    return {
        "run": str(run_dir),
        "losses": ",".join(f"{k}x{v:g}" for k, v in (summary.get("losses") or {}).items()),
        "dims": f"{summary.get('input_dim')}->{summary.get('internal_dim')}",
        "epochs": f"{summary.get('epochs_done')}/{summary.get('epochs')}",
        "best_epoch": best.get("epoch"),
        "val_eer": metrics.get("eer"),
        "val_min_dcf_0.01": metrics.get("min_dcf_0.01"),
        "val_llr_eer": metrics.get("llr_eer"),
        "val_cllr_min": metrics.get("cllr_min"),
        "val_cllr": metrics.get("cllr"),
        "val_loss": metrics.get("loss"),
        "raw_eer": reference.get("eer"),
        "train_s": summary.get("train_seconds"),
        "_monitor_value": best.get("value"),
    }


def score_row_of(run_dir: Path, summary: dict[str, Any]) -> dict[str, Any]:
    """The table row of a `balr score train` or `balr score test` run (SCORE_COLUMNS)."""
    fit = summary.get("fit") or {}
    metrics = summary.get("metrics") or {}
    used, total = summary.get("n_used"), summary.get("n_attributes")
    # Embedding scorers (cosine, plda) have dimensions instead of attributes.
    size = f"{used}/{total}" if total is not None else None
    if size is None and summary.get("dim") is not None:
        size = f"{summary['dim']} dims"
    return {
        "run": str(run_dir),
        "scorer": summary.get("scorer"),
        "attributes": size,
        "speakers": summary.get("n_speakers"),
        "converged": fit.get("converged"),
        "iterations": fit.get("iterations"),
        "eer": metrics.get("eer"),
        "cllr": metrics.get("cllr"),
        "cllr_min": metrics.get("cllr_min"),
        "min_dcf_0.01": metrics.get("min_dcf_0.01"),
        "seconds": summary.get("fit_seconds", summary.get("seconds")),
        "_monitor_value": metrics.get("cllr_min"),
        "_kind": "score",
    }


def _sort_key(value: Any) -> float:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else math.inf


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def to_csv(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    """The rows as CSV text (the same data as the table)."""
    columns = columns or columns_of(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return buffer.getvalue()


def columns_of(rows: list[dict[str, Any]]) -> list[str]:
    """The columns of the rows: training COLUMNS, SCORE_COLUMNS, or both when mixed.

    `balr score` rows show only the columns some of them fill (fits have no metrics,
    tests no fit diagnostics).
    """
    scored = [row for row in rows if row.get("_kind") == "score"]
    filled = [c for c in SCORE_COLUMNS if any(row.get(c) is not None for row in scored)]
    if not scored or len(scored) < len(rows):
        return COLUMNS + [c for c in filled if c not in COLUMNS]
    return filled


def print_table(rows: list[dict[str, Any]], title: str) -> None:
    """A rich table of the rows on stdout."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    # Text, not markup: job names such as 'trainer.losses=[mse]' would lose their '[mse]'.
    table = Table(title=Text(title))
    columns = columns_of(rows)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text(_text(row.get(c))) for c in columns))
    # Wide enough that no cell folds (job names stay verbatim), however narrow the terminal.
    widths = [max([len(c), *(len(_text(row.get(c))) for row in rows)]) for c in columns]
    Console(width=max(sum(widths) + 3 * len(widths) + 1, Console().width)).print(table)


def report_sweep(sweep_dir: Path) -> None:
    """After a sweep: write summary.csv into the sweep directory and show the table."""
    rows = collect([sweep_dir])
    for row in rows:  # job directories are named after their overrides: show just that
        row["run"] = os.path.relpath(row["run"], sweep_dir)
    atomic_write_text(sweep_dir / "summary.csv", to_csv(rows))
    print_table(rows, f"sweep {sweep_dir}")


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr runs`."""
    dirs = [Path(d) for d in ns.dirs] or [Path("runs")]
    missing = [str(d) for d in dirs if not d.is_dir()]
    if missing:
        raise RunDirError(
            f"no such run folder: {', '.join(missing)}: give run or sweep directories (default"
            " runs/)"
        )
    rows = collect(dirs)
    if ns.csv:
        sys.stdout.write(to_csv(rows))
        return 0
    # Training runs and `balr score` runs have different columns: one table per kind.
    scored = [row for row in rows if row.get("_kind") == "score"]
    trained = [row for row in rows if row.get("_kind") != "score"]
    for group in (trained, scored) if trained and scored else (rows,):
        print_table(group, f"{len(group)} run(s)")
    return 0
