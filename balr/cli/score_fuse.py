"""`balr score fuse`: fit a fusion of several systems' score files, or apply one."""

from __future__ import annotations

import argparse
from pathlib import Path

from balr.errors import BalrError
from balr.training.run_dir import choose_run_dir, discard_run_dir

DESCRIPTION = """\
Fuse the scores of several systems on the same trials (score files of `balr score test`,
or any file `balr score calibrate` reads; rows matched by enrollment and test) into one
LLR = offset + sum of weight * score, fitted by logistic regression with both classes
weighted equally (as `balr score calibrate`). Each system's raw score is its llr_raw
column, else its llr (or score). Writes fusion.json (each system's name, weight, score
file and scorer run; the ELUB bounds of the fused LLRs unless --bounds none), scores.tsv
(the fused llr clipped to those bounds, llr_unbounded, log10_lr, label and each system's
part part_NAME) and metrics.json into runs/score/fuse, fuse2, ...

With --apply FUSION.json, the score files (one per system of the fusion, in its order)
are fused by that fusion instead of fitting one.
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `balr score fuse`."""
    parser = sub.add_parser(
        "fuse",
        help="fuse several systems' scores (logistic regression)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scores", nargs="+", metavar="SCORES.tsv")
    parser.add_argument("--names", help="system names, comma-separated (default: the folders)")
    parser.add_argument("--apply", metavar="FUSION.json", help="apply this fusion, fit none")
    parser.add_argument(
        "--bounds",
        choices=("elub", "none"),
        default="elub",
        help="clip the fused LLRs to ELUB bounds of the fitting data's (default elub)",
    )
    parser.add_argument("--save-dir", help="run directory (default: runs/score/fuseX)")
    parser.add_argument("--exist-ok", action="store_true", help="allow an existing --save-dir")
    parser.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr score fuse`."""
    from balr.scoring.fuse import apply_fusion, fuse

    paths = [Path(p) for p in ns.scores]
    names = ns.names.split(",") if ns.names else None
    run_dir, created = choose_run_dir(ns.save_dir, ns.exist_ok, Path("runs") / "score", "fuse")
    try:
        if ns.apply:
            apply_fusion(Path(ns.apply), paths, run_dir)
        else:
            fuse(paths, run_dir, names, ns.bounds == "elub")
    except (BalrError, KeyboardInterrupt):
        if created:
            discard_run_dir(run_dir)
        raise
    return 0
