"""`balr score calibrate` and `balr score apply`: arguments only (the work is in
:mod:`balr.scoring.commands.calibrate`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from balr.errors import BalrError
from balr.training.run_dir import choose_run_dir, discard_run_dir

CALIBRATE_EPILOG = """\
SCORES: tab-separated with a header, a 'label' column (1 same, 0 different speaker) and the
  raw score in 'llr_raw' (balr's uncalibrated LLRs), else 'score' (any system's score, e.g.
  a cosine), else 'llr', else 'log10_lr'.
writes runs/score/calibrate, calibrate2, ...: calibration.json (method, a, b, bounds as
  log10 LR, what it was fitted on and for which scorer), a copy of the scores, a log
"""

APPLY_EPILOG = """\
writes runs/score/apply, apply2, ...: scores.tsv (llr: calibrated and clipped to the bounds,
  natural log; llr_unbounded; llr_raw; log10_lr; label and condition when given),
  metrics.json (labelled scores), summary.json, a log
"""


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """Register `balr score calibrate` and `balr score apply`."""
    _add_calibrate(sub)
    _add_apply(sub)


def _add_calibrate(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "calibrate",
        help="fit a calibration (and LR bounds) on labelled scores",
        description="Fit a calibration on the labelled dev scores of SCORES (a scores.tsv of"
        " `balr score test`, or any system's scores): logistic (affine, balanced logistic"
        " regression) or bigauss (bi-Gaussianized), with ELUB bounds of the calibrated LLRs.",
        epilog=CALIBRATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scores", metavar="SCORES.tsv")
    parser.add_argument("--method", choices=("logistic", "bigauss"), default="logistic")
    _trials_option(parser)
    parser.add_argument(
        "--bounds", choices=("elub", "none"), default="elub", help="LR bounds (default elub)"
    )
    _run_dir_options(parser, "calibrate")
    parser.set_defaults(run=run_calibrate)


def _add_apply(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "apply",
        help="calibrate (and bound) a score file",
        description="Calibrate the scores of SCORES (llr_raw, else score, else llr, else"
        " log10_lr) with a"
        " calibration.json and clip them to its bounds.",
        epilog=APPLY_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scores", metavar="SCORES.tsv")
    parser.add_argument("--calibration", metavar="FILE", required=True, help="calibration.json")
    parser.add_argument(
        "--force-calibration",
        action="store_true",
        help="apply a calibration fitted for another scorer (warns)",
    )
    _trials_option(parser)
    _run_dir_options(parser, "apply")
    parser.set_defaults(run=run_apply)


def add_calibration_options(parser: argparse.ArgumentParser) -> None:
    """--calibration, --uncalibrated and --force-calibration of `score test` and `compare`."""
    parser.add_argument(
        "--calibration",
        metavar="FILE",
        help="calibration.json to apply (default: the one in --scorer RUN_DIR, when there)",
    )
    parser.add_argument(
        "--uncalibrated", action="store_true", help="raw LLRs, even when RUN_DIR is calibrated"
    )
    parser.add_argument(
        "--force-calibration",
        action="store_true",
        help="apply a calibration fitted for another scorer (warns)",
    )


def _trials_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trials",
        metavar="TRIALS",
        help="the trial list the scores were computed on (balr, VoxCeleb, Kaldi or NIST"
        " format): labels scores that have none; a scored pair not in it is refused",
    )


def _run_dir_options(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--save-dir", help=f"run directory (default: runs/score/{name}X)")
    parser.add_argument("--exist-ok", action="store_true", help="allow an existing --save-dir")


def _in_run_dir(ns: argparse.Namespace, name: str, work: Callable[[Path], object]) -> int:
    """Claim the run dir, run `work` in it; remove it again when it was created and failed."""
    run_dir, created = choose_run_dir(ns.save_dir, ns.exist_ok, Path("runs") / "score", name)
    try:
        work(run_dir)
    except (BalrError, KeyboardInterrupt):
        if created:
            discard_run_dir(run_dir)
        raise
    return 0


def run_calibrate(ns: argparse.Namespace) -> int:
    """Entry point of `balr score calibrate`."""
    from balr.scoring.commands.calibrate import calibrate

    source = Path(ns.scores)
    trials = Path(ns.trials) if ns.trials else None
    return _in_run_dir(
        ns, "calibrate", lambda d: calibrate(source, d, ns.method, ns.bounds, trials)
    )


def run_apply(ns: argparse.Namespace) -> int:
    """Entry point of `balr score apply`."""
    from balr.scoring.commands.calibrate import apply_calibration

    source, calibration = Path(ns.scores), Path(ns.calibration)
    trials = Path(ns.trials) if ns.trials else None
    return _in_run_dir(
        ns,
        "apply",
        lambda d: apply_calibration(source, calibration, d, ns.force_calibration, trials),
    )
