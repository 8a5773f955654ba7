"""`balr score describe RUN_DIR`: a fitted scorer's attributes as a table and a figure."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import numpy as np

from balr.errors import ConfigError, RunDirError

EPILOG = """\
examples:
  balr score describe runs/scorer/train               table + runs/scorer/train/attributes.png
  balr score describe runs/scorer/train --y rate --top 5 --save-dir figures
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr score describe`."""
    parser = subparsers.add_parser(
        "describe",
        help="describe a fitted scorer's attributes (table and attributes.png)",
        description="Print the attributes of a fitted scorer (most and least typical, the"
        " excluded ones, reference counts) and draw attributes.png: typicality against"
        " drop-out (or activation rate), one point per attribute, excluded ones marked.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", help="run directory of balr score train")
    parser.add_argument("--top", type=int, default=10, metavar="N", help="attributes per list")
    parser.add_argument(
        "--y", choices=("dropout", "rate"), default="dropout", help="vertical axis of the figure"
    )
    parser.add_argument("--save-dir", help="folder for attributes.png (default: RUN_DIR)")
    parser.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr score describe`."""
    from balr.scoring import load_scorer
    from balr.scoring.embedding_io import embedding_scorer_type, load_embedding_scorer

    if ns.top < 1:
        raise ConfigError(f"--top {ns.top} is invalid: list at least 1 attribute")
    run_dir = Path(ns.run_dir).expanduser()
    if embedding_scorer_type(run_dir) is not None:
        print(describe_embedding_scorer(load_embedding_scorer(run_dir)))
        return 0
    scorer = load_scorer(run_dir)
    frame = scorer.attribute_frame()
    out_dir = Path(ns.save_dir).expanduser() if ns.save_dir else _folder_of(run_dir)
    if np.isfinite(frame["typicality"].to_numpy()).any():  # else no figure is drawn
        check_out_dir(out_dir, bool(ns.save_dir))
    print_description(scorer, frame, ns.top)
    png = draw(scorer, frame, ns.y, out_dir / "attributes.png")
    if png is not None:
        print(f"figure: {png}")
    return 0


def describe_embedding_scorer(scorer: Any) -> str:
    """Type, settings, embedding size, reference and fit of a cosine or plda scorer run
    (they have no attributes to list)."""
    settings = ", ".join(f"{k}={v}" for k, v in scorer.hyperparameters().items())
    lines = [
        f"{scorer.name} scorer of {scorer.dim}-dimensional embeddings ({settings}), fitted on"
        f" {scorer.n_recordings} recordings of {scorer.n_speakers} speakers"
    ]
    report = scorer.report
    if report is not None and report.iterations:
        state = "converged" if report.converged else "NOT converged"
        lines.append(f"fit: {state} after {report.iterations} EM iteration(s)")
    lines += [f"note: {note}" for note in (report.notes if report is not None else [])]
    return "\n".join(lines)


def _folder_of(path: Path) -> Path:
    return path if path.is_dir() else path.parent


def check_out_dir(folder: Path, given: bool) -> None:
    """RunDirError unless attributes.png can go into `folder` (checked before any output)."""
    option = f"--save-dir {folder}" if given else f"{folder} (the scorer run)"
    if folder.exists() and not folder.is_dir():
        raise RunDirError(f"{option} is a file: give a folder for attributes.png")
    if not folder.is_dir():
        raise RunDirError(f"{option} does not exist: create it first")
    if not os.access(folder, os.W_OK):
        raise RunDirError(f"{option} is not writable: give --save-dir FOLDER you can write to")


def print_description(scorer: Any, frame: Any, top: int) -> None:
    """The scorer's summary line, its most/least typical attributes and the excluded ones."""
    from rich.console import Console
    from rich.markup import escape

    console = Console()
    excluded = frame.filter(frame["excluded"] == 1)
    used = frame.filter(frame["excluded"] == 0).sort("typicality", descending=True)
    console.print(
        f"[bold]{scorer.name}[/bold] scorer: {scorer.n_attributes:,} attributes,"
        f" {len(used):,} used, {len(excluded):,} excluded; reference:"
        f" {escape(_reference(scorer))}",
        highlight=False,
    )
    if len(excluded):
        reasons = excluded.group_by("reason").len().sort("len", descending=True)
        console.print(
            "excluded: "
            + ", ".join(f"{r} {n} ({_indices(excluded, r)})" for r, n in reasons.iter_rows()),
            highlight=False,
        )
    console.print(_table(f"Most typical {min(top, len(used))} attributes", used.head(top)))
    console.print(_table(f"Least typical {min(top, len(used))} attributes", used.tail(top)))


def _reference(scorer: Any) -> str:
    """'librispeech/train (217 speakers, 1,148 recordings)'; the size only when recorded."""
    from balr.report.build import reference_of

    stats = scorer.reference_stats()
    name = reference_of(scorer.source)[0] if scorer.source is not None else "the reference set"
    if stats.n_speakers > 0:
        return f"{name} ({stats.n_speakers:,} speakers, {stats.n_recordings:,} recordings)"
    return f"{name} (size not recorded)"


def _indices(frame: Any, reason: str, limit: int = 12) -> str:
    values = frame.filter(frame["reason"] == reason)["index"].to_list()
    text = ", ".join(str(v) for v in values[:limit])
    return text + (", ..." if len(values) > limit else "")


def _table(title: str, rows: Any) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for name in ("attribute", "typicality", "speakers with it", "recordings with it", "drop-out"):
        table.add_column(name, justify="right")
    for row in rows.iter_rows(named=True):
        table.add_row(
            str(row["index"]),
            _number(row["typicality"], "{:.4f}"),
            _number(row["speaker_share"], "{:.1%}"),
            _number(row["rate"], "{:.1%}"),
            _number(row["dropout"], "{:.1%}"),
        )
    return table


def _number(value: Any, fmt: str) -> str:
    return "n/a" if value is None or not np.isfinite(value) else fmt.format(value)


def draw(scorer: Any, frame: Any, y: str, path: Path) -> Path | None:
    """attributes.png (typicality vs `y`), or None when the scorer holds no statistics."""
    from balr.report.figure import attributes_figure

    typicality = frame["typicality"].to_numpy()
    second = frame[y].to_numpy()
    if not np.isfinite(typicality).any():
        print("no reference statistics in this scorer (a BA-LR 2.0 file?): no figure drawn")
        return None
    label = {"dropout": "drop-out (share of a holder's recordings without it)",
             "rate": "activation rate (share of reference recordings with it)"}[y]  # fmt: skip
    excluded = frame["excluded"].to_numpy().astype(bool)
    title = (
        f"{scorer.name} scorer: {int((~excluded).sum()):,} of {scorer.n_attributes:,} attributes"
        f" used\nreference: {_reference(scorer)}"
    )
    try:
        return attributes_figure(typicality, second, label, excluded, path, title)
    except OSError as error:
        raise RunDirError(
            f"cannot write {path} ({error.strerror or error}): give --save-dir FOLDER you can"
            " write to"
        ) from None
