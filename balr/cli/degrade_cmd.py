"""`balr degrade`: write recordings as recorded under a condition (phone, codec, noise, room)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from omegaconf import OmegaConf

from balr.cli.overrides import compose_checked, quote, split_inputs
from balr.cli.paths import conf_dir
from balr.errors import BalrError, ConfigError
from balr.training.run_dir import discard_run_dir, prepare_save_dir

USAGE = "balr degrade INPUT --save-dir DIR"

EPILOG = """\
examples:
  balr degrade recordings/ --save-dir phone condition=phone
  balr degrade data.csv --save-dir voip condition=voip --keep-codec     .opus files
  balr degrade recordings/ --save-dir noisy 'condition=[noise_snr10,phone]' seed=3
  balr degrade recordings/ --save-dir street condition=noise_snr10 \\
      condition.noise_snr10.steps.0.kind=folder condition.noise_snr10.steps.0.noise_dir=noise/

Conditions: clean, phone, voip, mp3_32k, noise_snr10, reverb, short_5s, phone_noisy (or a list,
applied in order). Bad recordings are listed in DIR/degrade_errors.csv (exit status 1).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr degrade`."""
    parser = subparsers.add_parser(
        "degrade",
        help="write recordings as recorded under a condition (phone, codec, noise, room)",
        description="Write every recording of INPUT (a folder, a CSV with an audio column, or"
        " one audio file) as if recorded under the condition: flac files (or the codec's own"
        " files with --keep-codec) in --save-dir, mirroring the input layout, and"
        " condition.json recording the condition's full config.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("args", nargs="*", metavar="INPUT [OVERRIDES]")
    parser.add_argument("--save-dir", help="folder for the degraded audio (required)")
    parser.add_argument("--keep-codec", action="store_true", help="write mp3/opus files")
    parser.add_argument("--audio-formats", nargs="+", metavar="EXT", help="audio extensions")
    parser.add_argument("--root-dir", help="folder that relative CSV paths resolve against")
    parser.set_defaults(run=run)


def build_overrides(ns: argparse.Namespace) -> list[str]:
    """Overrides from the positional input and the options."""
    inputs, overrides = split_inputs(ns.args)
    if len(inputs) != 1:
        raise ConfigError(
            f"balr degrade takes one INPUT (folder, CSV or audio file), got {len(inputs)}"
        )
    if not ns.save_dir:
        raise ConfigError(f"--save-dir is required: {USAGE} condition=NAME")
    out = [
        f"input.path={quote(Path(inputs[0]).absolute())}",
        f"save_dir={quote(Path(ns.save_dir).absolute())}",
        f"keep_codec={bool(ns.keep_codec)}",
    ]
    if ns.root_dir:
        out.append(f"input.root_dir={quote(Path(ns.root_dir).absolute())}")
    if ns.audio_formats:
        formats = ",".join(quote(f.lstrip(".")) for f in ns.audio_formats)
        out.append(f"input.audio_formats=[{formats}]")
    return out + overrides


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr degrade`."""
    from balr.cli.conditions import condition_of, write_record
    from balr.cli.instantiate import build
    from balr.conditions.degrade import degrade_dataset

    cfg = compose_checked("degrade", build_overrides(ns), conf_dir(), False, USAGE)[0]
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(f"{missing[0]} is not set: add {missing[0]}=... (`{USAGE} --help`)")
    condition = condition_of(cfg)
    dataset = build(cfg.input, "input")
    # A file in the way is one line; a folder made here goes again if the run fails.
    out_dir, created = prepare_save_dir(Path(cfg.save_dir), exist_ok=True)
    try:
        summary = degrade_dataset(
            dataset, condition, out_dir, sample_rate=cfg.sample_rate, keep_codec=cfg.keep_codec
        )
        write_record(out_dir, cfg, condition)
    except (BalrError, KeyboardInterrupt):
        if created:
            discard_run_dir(out_dir)
        raise
    print(f"balr: {summary.line()} in {out_dir}", file=sys.stderr, flush=True)
    return 1 if summary.errors else 0
