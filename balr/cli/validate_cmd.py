"""`balr validate`: the validation report of a method from its labelled LLRs."""

from __future__ import annotations

import argparse
from pathlib import Path

from balr.cli import hydra_launch
from balr.cli.overrides import compose_checked, key_of, quote, split_inputs
from balr.cli.paths import conf_dir
from balr.config.validation import CRITERIA_KEYS
from balr.errors import ConfigError
from balr.training.run_dir import choose_run_dir

EPILOG = """\
Each SCORES.tsv holds one condition's labelled comparisons: the scores.tsv of balr score
test or balr score apply, or any system's LLRs (tab-separated enrollment, test, label and
llr (natural log) or log10_lr). A file with a `condition` column of several values gives one
condition per value.

examples:
  balr validate runs/score/test/scores.tsv
  balr validate test2s/scores.tsv test4s/scores.tsv --name dur2s dur4s --bootstrap 1000
  balr validate phone/scores.tsv --baseline clean/scores.tsv criteria.baseline_margin=0.5
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr validate`."""
    parser = subparsers.add_parser(
        "validate",
        usage="balr validate SCORES.tsv [SCORES.tsv ...] [criteria.KEY=VALUE ...] [options]",
        help="the validation report of a method (guideline table, DET, Tippett, ECE, PAV)",
        description="Measure a likelihood-ratio method on the labelled scores of one or more"
        " conditions against validation criteria, and write runs/validate/validateN (or"
        " --save-dir): validation.json, validation.html (one self-contained page), det.png,"
        " tippett.png, ece.png, pav.png (and coherence.png for net-speech durations).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("args", nargs="+", metavar="SCORES.tsv [...] [OVERRIDES...]")
    _add_condition_options(parser)
    parser.add_argument("--save-dir", help="folder for the report (default runs/validate/...)")
    parser.add_argument("--exist-ok", action="store_true", help="allow an existing --save-dir")
    parser.add_argument("--cfg", choices=("job", "hydra", "all"), help="print the config")
    parser.set_defaults(run=run)


def _add_condition_options(parser: argparse.ArgumentParser) -> None:
    """The options that describe the conditions, their speakers and the intervals."""
    parser.add_argument(
        "--name",
        nargs="+",
        action="extend",  # --name a --name b as --name a b (else the last would win)
        default=[],
        metavar="NAME",
        help="condition names, one per file (default: each file's folder)",
    )
    parser.add_argument(
        "--duration",
        nargs="+",
        action="extend",  # --name a --name b as --name a b (else the last would win)
        default=[],
        metavar="SECONDS",
        help="net speech seconds of each condition, in order (default: read"
        " from names such as dur2s or short_5s)",
    )
    parser.add_argument(
        "--data",
        metavar="DATASET",
        help="dataset mapping the ids to speakers (default: the ids' speaker/ prefix)",
    )
    parser.add_argument(
        "--baseline",
        metavar="SCORES.tsv",
        help="baseline method's labelled scores: criteria become relative",
    )
    parser.add_argument(
        "--bootstrap",
        type=int,
        metavar="N",
        help="speaker-bootstrap replicates for 95 %% intervals (e.g. 1000)",
    )
    parser.add_argument(
        "--describe", metavar="TEXT", help="what the validation data are (shown in the report)"
    )


def _existing(option: str, value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_file():
        what = "not a regular file" if path.exists() else "no such file"
        raise ConfigError(f"{option} {value}: {what}: give a labelled scores.tsv")
    return quote(path.absolute())


def _check_overrides(overrides: list[str]) -> None:
    """Unknown criteria keys: one line listing the known ones."""
    for override in overrides:
        key = key_of(override)
        if key.startswith("criteria.") and key.split(".", 1)[1] not in CRITERIA_KEYS:
            raise ConfigError(
                f"unknown criterion {key!r}: the known ones are"
                f" {', '.join('criteria.' + k for k in CRITERIA_KEYS)}"
            )


def _split_overrides(ns: argparse.Namespace) -> None:
    """KEY=VALUE words that --name or --duration swallowed go back to the overrides."""
    for option in ("name", "duration"):
        values = getattr(ns, option)
        ns.args = [*ns.args, *(v for v in values if "=" in v)]
        setattr(ns, option, [v for v in values if "=" not in v])
    durations = []
    for text in ns.duration:
        try:
            durations.append(float(text))
        except ValueError:
            raise ConfigError(f"--duration {text}: give net speech in seconds, e.g. 2.5") from None
        if not 0 < durations[-1] < float("inf"):
            raise ConfigError(f"--duration {text}: give net speech in seconds > 0 (finite)")
    ns.duration = durations


def build_overrides(ns: argparse.Namespace) -> list[str]:
    """Overrides from SCORES and the options; checks them before any run dir exists."""
    _split_overrides(ns)
    files, overrides = split_inputs(ns.args)
    if not files:
        raise ConfigError("balr validate needs at least one labelled SCORES.tsv")
    _check_overrides(overrides)
    out = [f"scores=[{','.join(_existing('SCORES', f) for f in files)}]"]
    if ns.name:
        out.append(f"names=[{','.join(quote(n) for n in ns.name)}]")
    if ns.duration:
        out.append(f"durations=[{','.join(str(d) for d in ns.duration)}]")
    if ns.data:
        if not Path(ns.data).expanduser().exists():
            raise ConfigError(f"--data {ns.data}: no such dataset: check the path")
        out.append(f"data={quote(Path(ns.data).expanduser().absolute())}")
    if ns.baseline:
        out.append(f"baseline={_existing('--baseline', ns.baseline)}")
    if ns.bootstrap is not None:
        from balr.validation.bootstrap import MAX_REPLICATES

        if not 1 <= ns.bootstrap <= MAX_REPLICATES:
            raise ConfigError(
                f"--bootstrap {ns.bootstrap}: give a number of replicates from 1 to"
                f" {MAX_REPLICATES:,} (e.g. 1000), or leave it out for no intervals"
            )
        out.append(f"bootstrap={ns.bootstrap}")
    if ns.describe:
        out.append(f"data_description={quote(ns.describe)}")
    return out + overrides


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr validate`."""
    overrides = build_overrides(ns)
    if ns.cfg:
        return hydra_launch.call_app("validate", overrides, ["--cfg", ns.cfg])
    (cfg,) = compose_checked(
        "validate", overrides, conf_dir(), multirun=False, usage="balr validate SCORES.tsv"
    )
    from balr.validation.bootstrap import MAX_REPLICATES

    if not 0 <= cfg.bootstrap <= MAX_REPLICATES:
        raise ConfigError(
            f"bootstrap={cfg.bootstrap}: give a number of replicates from 1 to"
            f" {MAX_REPLICATES:,}, or 0"
        )
    run_dir, created = choose_run_dir(
        ns.save_dir, ns.exist_ok, Path("runs") / "validate", "validate"
    )
    if ns.save_dir:
        overrides.append(f"save_dir={quote(run_dir)}")
    return hydra_launch.run_app_in("validate", overrides, run_dir, created)
