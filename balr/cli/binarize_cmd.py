"""`balr binarize`: binary attributes of a dataset's embeddings with a trained encoder."""

from __future__ import annotations

import argparse
from pathlib import Path

from balr.cli import hydra_launch
from balr.cli.overrides import compose_checked, quote, split_inputs
from balr.cli.paths import conf_dir
from balr.errors import ConfigError
from balr.training.run_dir import choose_run_dir

EPILOG = """\
examples:
  balr binarize val.csv encoder.model.checkpoint_path=runs/train/best.pt
  balr binarize data/ encoder.model.checkpoint_path=BAE_mse.pt --save-dir ba_out --force
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr binarize`."""
    parser = subparsers.add_parser(
        "binarize",
        help="extract binary attributes with a trained encoder",
        description="Write the binary attributes (_ba files) of INPUT's embeddings, computed by"
        " the encoder checkpoint given as encoder.model.checkpoint_path=PATH (a balr checkpoint"
        " or a BA-LR 2.0 state_dict). Also writes the dataset's CSV with a binary_attributes"
        " column.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("args", nargs="+", metavar="INPUT [OVERRIDES]")
    parser.add_argument("--force", action="store_true", help="redo items that have attributes")
    parser.add_argument(
        "--save-output",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write the _ba files and the CSV (default: yes)",
    )
    parser.add_argument("--save-dir", help="folder for outputs, mirroring the input layout")
    parser.add_argument("--exist-ok", action="store_true", help="allow an existing --save-dir")
    parser.add_argument("--audio-formats", nargs="+", metavar="EXT", help="audio extensions")
    parser.add_argument("--root-dir", help="folder that relative CSV paths resolve against")
    parser.add_argument(
        "--utt2spk", help="Kaldi utt2spk of an .ark/.scp dataset (default: the one beside it)"
    )
    parser.add_argument("--device", help="cpu (default), cuda, cuda:N, N or mps")
    parser.add_argument("--cfg", choices=("job", "hydra", "all"), help="print the config")
    parser.set_defaults(run=run)


def build_overrides(ns: argparse.Namespace) -> list[str]:
    """Overrides from the positional input and the options."""
    inputs, user = split_inputs(ns.args)
    if len(inputs) != 1:
        raise ConfigError(f"balr binarize takes one INPUT dataset, got {len(inputs)}")
    out = [f"input.path={quote(Path(inputs[0]).absolute())}"]
    if ns.root_dir:
        out.append(f"input.root_dir={quote(Path(ns.root_dir).absolute())}")
    if ns.utt2spk:
        out.append(f"input.utt2spk={quote(Path(ns.utt2spk).absolute())}")
    if ns.audio_formats:
        out.append(
            f"input.audio_formats=[{','.join(quote(f.lstrip('.')) for f in ns.audio_formats)}]"
        )
    if ns.device:
        out.append(f"device={quote(ns.device)}")
    out += [f"force={ns.force}", f"save_output={ns.save_output}"]
    return out + user


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr binarize`."""
    overrides = build_overrides(ns)
    if ns.cfg:
        return hydra_launch.call_app("binarize", overrides, ["--cfg", ns.cfg])
    (cfg,) = compose_checked("binarize", overrides, conf_dir(), multirun=False)
    if cfg.data.batch_size < 1:
        raise ConfigError(f"data.batch_size={cfg.data.batch_size} is invalid: it must be >= 1")
    run_dir, created = choose_run_dir(ns.save_dir, ns.exist_ok, Path("runs"), "binarize")
    if ns.save_dir:
        overrides.append(f"save_dir={quote(run_dir)}")
    return hydra_launch.run_app_in("binarize", overrides, run_dir, created)
