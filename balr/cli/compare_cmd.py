"""`balr compare`: explain one comparison (LR, verbal scale, attributes) as a case report."""

from __future__ import annotations

import argparse
from pathlib import Path

from balr.cli import hydra_launch
from balr.cli.overrides import compose_checked, quote, split_inputs
from balr.cli.paths import conf_dir
from balr.cli.score_calibrate import add_calibration_options
from balr.data.guard import check_regular
from balr.errors import ConfigError, DatasetError
from balr.extract.segments import check_segment_seconds
from balr.report.conditions import check_names
from balr.report.inputs import split_side
from balr.training.run_dir import choose_run_dir

EPILOG = """\
ENROLL and TEST are each one or more recordings of one person, separated by commas:
audio files, embedding files (binarised with encoder.model.checkpoint_path=...), _ba files
(binary attributes), or ids of the dataset given with --data.

examples:
  balr compare a.flac b1.flac,b2.flac --scorer runs/scorer/train \\
      --calibration runs/score/calibrate/calibration.json \\
      encoder.model.checkpoint_path=runs/train/best.pt
  balr compare spk1/utt1,spk1/utt2 spk2/utt1 --data val.csv --scorer runs/scorer/train
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr compare`."""
    parser = subparsers.add_parser(
        "compare",
        usage="balr compare ENROLL TEST [OVERRIDES...] --scorer RUN_DIR [options]",
        help="explain one comparison as a case report (LR, verbal scale, attributes)",
        description="Compute the likelihood ratio of ENROLL vs TEST with a fitted scorer and"
        " write a case report into runs/compare/caseN (or --save-dir): report.html (one"
        " self-contained page), report.json and contributions.png.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("args", nargs="+", metavar="ENROLL TEST [OVERRIDES...]")
    parser.add_argument("--scorer", required=True, metavar="RUN_DIR",
                        help="run directory of balr score train")  # fmt: skip
    add_calibration_options(parser)
    parser.add_argument(
        "--fusion",
        metavar="FILE",
        help="fusion.json (balr score fuse) of RUN_DIR with embedding scorers: the fused LR,"
        " each system's part shown",
    )
    parser.add_argument(
        "--condition-enrollment",
        metavar="NAME",
        help="recording condition of the enrollment side (e.g. phone; default: measured)",
    )
    parser.add_argument(
        "--condition-test",
        metavar="NAME",
        help="recording condition of the test side (e.g. phone; default: measured)",
    )
    parser.add_argument(
        "--scores",
        metavar="FILE",
        help="labelled scores.tsv to place the LR among (default: the one beside"
        " --calibration, else the scorer's)",
    )
    parser.add_argument("--data", metavar="DATASET", help="dataset the ids refer to")
    parser.add_argument(
        "--segments",
        type=float,
        metavar="SECONDS",
        help="cut audio into segments of this length, one recording each",
    )
    parser.add_argument(
        "--top", type=int, metavar="N", help="largest contributions shown each way (default 6)"
    )
    parser.add_argument("--save-dir", help="folder for the report (default runs/compare/caseN)")
    parser.add_argument("--exist-ok", action="store_true", help="allow an existing --save-dir")
    parser.add_argument("--device", help="cpu (default), cuda, cuda:N, N or mps")
    parser.add_argument("--cfg", choices=("job", "hydra", "all"), help="print the config")
    parser.set_defaults(run=run)


def _side(role: str, text: str) -> str:
    names = split_side(text)
    if not names:
        raise DatasetError(
            f"the {role} side '{text}' lists no recording: give one or more, comma-separated"
        )
    return f"{role}=[{','.join(quote(n) for n in names)}]"


def _existing(option: str, value: str, what: str) -> str:
    path = Path(value).expanduser()
    if not path.exists():
        raise ConfigError(f"{option} {value}: no such {what}: check the path")
    if what.endswith("file"):
        check_regular(path, ConfigError, what)
    return quote(path.absolute())


def build_overrides(ns: argparse.Namespace) -> list[str]:
    """Overrides from ENROLL, TEST and the options; checks the files before any run dir."""
    inputs, user = split_inputs(ns.args)
    if len(inputs) != 2:
        raise ConfigError(
            f"balr compare takes ENROLL and TEST (2 arguments, recordings comma-separated),"
            f" got {len(inputs)}"
        )
    scorer = Path(ns.scorer).expanduser()
    if not (scorer / "scorer.json").is_file() and not scorer.is_file():
        raise ConfigError(
            f"--scorer {ns.scorer}: no scorer.json there: give a run directory of balr score train"
            " (or its scorer.json)"
        )
    out = [
        _side("enrollment", inputs[0]),
        _side("test", inputs[1]),
        f"scorer_dir={quote(scorer.absolute())}",
    ]
    for option, key, what in (
        ("--calibration", "calibration", "calibration file"),
        ("--fusion", "fusion", "fusion file"),
        ("--scores", "scores", "scores file"),
        ("--data", "data", "dataset"),
    ):
        value = getattr(ns, key)
        if value:
            out.append(f"{key}={_existing(option, value, what)}")
    if ns.uncalibrated:
        out.append("uncalibrated=true")
    for key in ("condition_enrollment", "condition_test"):
        if getattr(ns, key):
            check_names(f"--{key.replace('_', '-')}", getattr(ns, key))
            out.append(f"{key}={quote(getattr(ns, key))}")
    if ns.segments is not None:
        check_segment_seconds(ns.segments, "--segments")
        out.append(f"segments={ns.segments}")
    if ns.top is not None:
        out.append(f"top={ns.top}")
    if ns.device:
        out.append(f"device={quote(ns.device)}")
    if ns.force_calibration:
        out.append("force_calibration=true")
    return out + user


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr compare`."""
    overrides = build_overrides(ns)
    if ns.cfg:
        return hydra_launch.call_app("compare", overrides, ["--cfg", ns.cfg])
    (cfg,) = compose_checked("compare", overrides, conf_dir(), multirun=False)
    if cfg.top < 1:
        raise ConfigError(f"top={cfg.top} is invalid: list at least 1 attribute")
    if cfg.segments is not None:
        check_segment_seconds(float(cfg.segments), "segments=")
    run_dir, created = choose_run_dir(ns.save_dir, ns.exist_ok, Path("runs") / "compare", "case")
    if ns.save_dir:
        overrides.append(f"save_dir={quote(run_dir)}")
    return hydra_launch.run_app_in("compare", overrides, run_dir, created)
