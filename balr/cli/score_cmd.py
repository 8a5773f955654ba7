"""`balr score train|test|calibrate|describe`: likelihood ratios from binary attributes."""

from __future__ import annotations

import argparse
from pathlib import Path

from balr.cli import hydra_launch, score_calibrate, score_describe, score_fuse, score_trials
from balr.cli.overrides import compose_checked, quote, split_inputs
from balr.cli.paths import conf_dir
from balr.errors import ConfigError
from balr.training.run_dir import choose_run_dir

EPILOG = """\
examples:
  balr score train ref.csv                                  fit the beta scorer (default)
  balr score train ref.csv scorer=maxllr scorer.n_iterations=50
  balr score train -m ref.csv scorer=beta,maxllr,dna,speech --val dev.csv dev.tsv
                                                            a sweep, with a summary table
  balr score train emb.csv encoder.model.checkpoint_path=runs/train/best.pt
  balr score trials val.csv --out-dir lists                 speaker-disjoint trial lists
  balr score calibrate runs/score/test/scores.tsv          fit a calibration on dev scores
  balr score calibrate dev.tsv --method bigauss --bounds elub
  balr score apply test.tsv --calibration runs/score/calibrate/calibration.json
  balr score test data.csv trials.tsv --scorer runs/scorer/train \\
      --calibration runs/score/calibrate/calibration.json --explain 5 --plots
  balr score test data.csv trials.tsv scorer=beta scorer.checkpoint_path=scorer.pt
  balr score train emb.csv scorer=plda scorer.lda_dim=150   PLDA (or scorer=cosine) on embeddings
  balr score fuse test/beta/scores.tsv test/plda/scores.tsv  fuse systems (fusion.json)
  balr score test emb.csv trials.tsv --fusion runs/score/fuse/fusion.json \
      encoder.model.checkpoint_path=runs/train/best.pt      score with every fused system
"""

TRAIN_EPILOG = """\
overrides: scorer=beta|maxllr|dna|speech (binary attributes) or cosine|plda (embeddings),
  scorer.KEY=VALUE (`--cfg job` lists them); encoder.model.checkpoint_path=RUN/best.pt
  binarises embeddings in memory (binary-attribute scorers only).
writes runs/scorer/train, train2, ...: scorer.json, parameters.npz, attributes.tsv,
  summary.json, score_train.log, .hydra/; with --calibrate K also cv_scores.tsv (the
  out-of-fold scores of K speaker-disjoint folds) and calibration.json fitted on them, which
  balr score test and balr compare --scorer RUN then apply (cv.seed, cv.max_pairs: the deal
  of speakers and the cap per class and fold)
"""

TEST_EPILOG = """\
TRIALS: tab-separated 'enrollment<TAB>test[<TAB>label]' with a header; a side may list
  several ids separated by commas. Without labels (casework) only scores are written.
writes runs/score/test, test2, ...: scores.tsv, metrics.json (labelled trials),
  explain.tsv (--explain N), tippett.png ece.png pav.png (--plots), summary.json
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr score` and its subcommands."""
    parser = subparsers.add_parser(
        "score",
        help="likelihood ratios: fit scorers, score trials, calibrate",
        description="Fit likelihood-ratio scorers on binary attributes, score trial lists,"
        " calibrate and explain the LLRs.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="score_command", metavar="SUBCOMMAND", required=True)
    _add_train(sub)
    _add_test(sub)
    score_calibrate.add_parsers(sub)
    score_trials.add_parser(sub)
    score_describe.add_parser(sub)
    score_fuse.add_parser(sub)
    for command in sub.choices.values():
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
        )


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exist-ok", action="store_true", help="allow an existing --save-dir")
    parser.add_argument("--device", help="cpu (default), cuda, cuda:N or mps (for the encoder)")
    parser.add_argument("--root-dir", help="folder that relative CSV paths resolve against")
    parser.add_argument(
        "--utt2spk", help="Kaldi utt2spk of an .ark/.scp dataset (default: the one beside it)"
    )
    parser.add_argument("-m", "--multirun", action="store_true", help="run a Hydra sweep")
    parser.add_argument("--cfg", choices=("job", "hydra", "all"), help="print the config")


def _add_train(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "train",
        help="fit a scorer on a reference population",
        description="Fit a scorer on REF (binary attributes and speakers of each recording).",
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("args", nargs="*", metavar="REF [OVERRIDES]")
    parser.add_argument("--save-dir", help="run directory (default: runs/scorer/trainX)")
    parser.add_argument(
        "--val",
        nargs=2,
        metavar=("DATA", "TRIALS"),
        help="after the fit, score TRIALS over DATA (raw-LLR EER, Cllr, Cllr_min)",
    )
    parser.add_argument(
        "--calibrate",
        type=int,
        metavar="K",
        help="speaker-disjoint K-fold cross-validation on REF: cv_scores.tsv and a"
        " calibration.json fitted on them (cv.seed, cv.max_pairs set the deal and the cap)",
    )
    parser.add_argument(
        "--method", choices=("logistic", "bigauss"), help="calibration method (--calibrate)"
    )
    parser.add_argument("--bounds", choices=("elub", "none"), help="LLR bounds (--calibrate)")
    _common(parser)
    parser.set_defaults(run=run_train)


def _add_test(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "test",
        help="score a trial list",
        description="Score the comparisons of TRIALS between recordings of DATA.",
        epilog=TEST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("args", nargs="*", metavar="DATA TRIALS [OVERRIDES]")
    parser.add_argument("--scorer", metavar="RUN_DIR", help="a `balr score train` run directory")
    parser.add_argument(
        "--fusion", metavar="FILE", help="fusion.json of balr score fuse: score with its systems"
    )
    score_calibrate.add_calibration_options(parser)
    parser.add_argument(
        "--explain", type=int, default=0, metavar="N", help="explain.tsv: top N attributes"
    )
    parser.add_argument("--plots", action="store_true", help="write Tippett, ECE and PAV plots")
    parser.add_argument("--save-dir", help="run directory (default: runs/score/testX)")
    _common(parser)
    parser.set_defaults(run=run_test)


# The positional arguments of each Hydra-backed subcommand.
NAMES = {"train": ("REF",), "test": ("DATA", "TRIALS")}


def _positionals(ns: argparse.Namespace) -> list[str]:
    names = NAMES[ns.score_command]
    found = split_inputs(ns.args)[0]
    if len(found) != len(names):
        raise ConfigError(
            f"balr score {ns.score_command} takes {' and '.join(names)}, got {len(found)}"
            f" ({' '.join(found) or 'none'}): give {' '.join(names)}, then KEY=VALUE overrides"
        )
    return found


def _dataset_overrides(ns: argparse.Namespace, path: str) -> list[str]:
    out = [f"input.path={quote(Path(path).absolute())}"]
    if ns.root_dir:
        out.append(f"input.root_dir={quote(Path(ns.root_dir).absolute())}")
    if ns.utt2spk:
        out.append(f"input.utt2spk={quote(Path(ns.utt2spk).absolute())}")
    if ns.device:
        out.append(f"device={quote(ns.device)}")
    return out


def _absolute_paths(overrides: list[str]) -> list[str]:
    """Path-valued overrides made absolute (Hydra apps must not depend on the cwd)."""
    keys = ("scorer.checkpoint_path=", "encoder.model.checkpoint_path=")
    out = []
    for o in overrides:
        key = next((k for k in keys if o.startswith(k)), None)
        value = o[len(key) :].strip("'\"") if key else ""
        bare = key is not None and value not in ("", "null") and "," not in value
        out.append(f"{key}{quote(Path(value).absolute())}" if bare and key else o)
    return out


def run_train(ns: argparse.Namespace) -> int:
    """Entry point of `balr score train`."""
    (ref,) = _positionals(ns)
    overrides = _dataset_overrides(ns, ref)
    if ns.val:
        overrides += [f"val_data={quote(Path(ns.val[0]).absolute())}"]
        overrides += [f"val_trials={quote(Path(ns.val[1]).absolute())}"]
    overrides += _calibrate_overrides(ns)
    overrides += _absolute_paths(split_inputs(ns.args)[1])
    return _launch(ns, "score_train", overrides, Path("scorer"), "train")


def _calibrate_overrides(ns: argparse.Namespace) -> list[str]:
    """cv.* overrides of --calibrate K [--method M] [--bounds B]."""
    if ns.calibrate is None:
        if ns.method or ns.bounds:
            raise ConfigError("--method and --bounds set the calibration of --calibrate K: add it")
        return []
    if ns.calibrate < 2:
        raise ConfigError(
            f"--calibrate {ns.calibrate}: cross-validation needs at least 2 folds of speakers;"
            " give --calibrate 5, say"
        )
    out = [f"cv.folds={ns.calibrate}"]
    out += [f"cv.method={ns.method}"] if ns.method else []
    return out + ([f"cv.bounds={ns.bounds}"] if ns.bounds else [])


def run_test(ns: argparse.Namespace) -> int:
    """Entry point of `balr score test`."""
    data, trials = _positionals(ns)
    overrides = [*_dataset_overrides(ns, data), f"trials={quote(Path(trials).absolute())}"]
    if ns.scorer:
        overrides.append(f"scorer_dir={quote(Path(ns.scorer).absolute())}")
    if ns.calibration:
        overrides.append(f"calibration={quote(Path(ns.calibration).absolute())}")
    if ns.fusion:
        overrides.append(f"fusion={quote(Path(ns.fusion).absolute())}")
    if ns.force_calibration:
        overrides.append("force_calibration=true")
    overrides += [f"explain={ns.explain}", f"plots={ns.plots}"]
    overrides += ["uncalibrated=true"] if ns.uncalibrated else []
    overrides += _absolute_paths(split_inputs(ns.args)[1])
    return _launch(ns, "score_test", overrides, Path("score"), "test")


def _launch(ns: argparse.Namespace, app: str, overrides: list[str], folder: Path, name: str) -> int:
    """Check the config(s), claim the run (or sweep) directory, run the app."""
    if ns.cfg:
        return hydra_launch.call_app(app, overrides, ["--cfg", ns.cfg])
    from hydra.errors import OverrideParseException

    try:
        compose_checked(app, overrides, conf_dir(), ns.multirun)
    except ConfigError as error:
        # The shared explanations point at `balr train`; point at this command instead.
        text = str(error).replace("balr train TRAIN VAL --cfg job", "balr train --cfg job")
        usage = f"balr score {ns.score_command} {' '.join(NAMES[ns.score_command])} --cfg job"
        raise ConfigError(text.replace("balr train --cfg job", usage)) from None
    except OverrideParseException as error:
        first = str(error).strip().splitlines()[0]
        raise ConfigError(
            f"cannot parse the overrides ({first}): quote values holding '=' or ',' like"
            " key='a=b','c=d'"
        ) from None
    run_dir, created = _claim(ns, Path("multirun" if ns.multirun else "runs") / folder, name)
    # A sweep keeps the jobs that finished (their summary.json); otherwise nothing is left.
    status = hydra_launch.run_app_in(
        app, overrides, run_dir, created, multirun=ns.multirun, keep_if="summary.json"
    )
    if status == 0 and ns.multirun:
        from balr.cli.runs_cmd import report_sweep

        report_sweep(run_dir)
    return status


def _claim(ns: argparse.Namespace, parent: Path, name: str) -> tuple[Path, bool]:
    return choose_run_dir(ns.save_dir, ns.exist_ok, parent, name)
