"""`balr extract`: speaker embeddings of audio files (offline GE2E or an ONNX model)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from balr.cli import hydra_launch
from balr.cli.conditions import folder_of_config
from balr.cli.overrides import compose_checked, expand_sweeps, key_of, quote, split_inputs
from balr.cli.paths import conf_dir
from balr.errors import ConfigError
from balr.extract.segments import check_segment_seconds
from balr.training.run_dir import choose_run_dir

# How error hints name this command.
USAGE = "balr extract INPUT"

EPILOG = """\
examples:
  balr extract recordings/                  <stem>_emb.npy beside each file, a CSV in runs/extract/
  balr extract data.csv --save-dir emb --workers 2 --segments 2.0
  balr extract recordings/ encoder=onnx encoder.path=resnet34.onnx --format pkl
  balr extract recordings/ --shards 4 hydra/launcher=slurm hydra.launcher.partition=cpu
  balr extract --merge runs/extract/extract  join the shard CSVs of a finished sweep
  balr extract recordings/ --save-dir emb -m condition=clean,phone,mp3_32k
                                            matched sets: emb/, emb/phone/, emb/mp3_32k/

A rerun skips recordings whose embeddings exist (--force redoes them). Bad files are listed
in extract_errors.csv and the command exits with status 1 (--strict: stop, status 2).
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr extract`."""
    parser = subparsers.add_parser(
        "extract",
        help="compute speaker embeddings of audio files",
        description="Write the speaker embedding (_emb file) of every recording of INPUT (a"
        " folder searched recursively, a CSV with an audio column, or one audio file) and a"
        " CSV (id,audio,embedding,speaker) that `balr train` and `balr binarize` read. The"
        " default encoder is GE2E, shipped with balr (no download).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("args", nargs="*", metavar="INPUT [OVERRIDES]")
    parser.add_argument("--force", action="store_true", help="redo items that have embeddings")
    parser.add_argument(
        "--save-output",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="write the _emb files and the CSV (default: yes)",
    )
    parser.add_argument("--save-dir", help="folder for outputs, mirroring the input layout")
    parser.add_argument("--audio-formats", nargs="+", metavar="EXT", help="audio extensions")
    parser.add_argument("--root-dir", help="folder that relative CSV paths resolve against")
    parser.add_argument("--device", help="cpu (default), cuda, cuda:N or mps")
    parser.add_argument("--workers", type=int, metavar="N", help="processes (1 thread each)")
    parser.add_argument("--strict", action="store_true", help="stop at the first bad file")
    parser.add_argument(
        "--segments", type=float, metavar="SECONDS", help="embed segments of this length"
    )
    parser.add_argument("--format", choices=("npy", "pkl", "txt"), help="vector file format")
    parser.add_argument("--packed", action="store_true", help="write one packed dataset")
    parser.add_argument("--shards", type=int, metavar="K", help="run K shard jobs, then merge")
    parser.add_argument("--merge", metavar="DIR", help="join the shard outputs in DIR")
    parser.add_argument("-m", "--multirun", action="store_true", help="run a Hydra sweep")
    parser.add_argument("--cfg", choices=("job", "hydra", "all"), help="print the config")
    parser.set_defaults(run=run)


def build_overrides(ns: argparse.Namespace) -> list[str]:
    """Overrides from the positional input and the options."""
    inputs, user = split_inputs(ns.args)
    if len(inputs) != 1:
        raise ConfigError(
            f"balr extract takes one INPUT (folder, CSV or audio file), got {len(inputs)}"
        )
    out = [f"input.path={quote(Path(inputs[0]).absolute())}"]
    if ns.root_dir:
        out.append(f"input.root_dir={quote(Path(ns.root_dir).absolute())}")
    if ns.audio_formats:
        formats = ",".join(quote(f.lstrip(".")) for f in ns.audio_formats)
        out.append(f"input.audio_formats=[{formats}]")
    if ns.device:
        out.append(f"device={quote(ns.device)}")
    if ns.segments is not None:
        check_segment_seconds(ns.segments, "--segments")
    options = {
        "workers": ns.workers,
        "segments": ns.segments,
        "format": ns.format,
        "strict": True if ns.strict else None,
        "packed": True if ns.packed else None,
    }
    out += [f"extract.{key}={value}" for key, value in options.items() if value is not None]
    out += [f"force={ns.force}", f"save_output={ns.save_output}"]
    if ns.shards is not None:
        if ns.shards < 1:
            raise ConfigError(f"--shards {ns.shards}: give 1 or more shards")
        taken = [o for o in user if key_of(o) in ("extract.shards", "extract.shard")]
        if taken:
            raise ConfigError(f"--shards builds extract.shards and extract.shard: drop {taken[0]}")
        shards = ",".join(str(i) for i in range(ns.shards))
        out += [f"extract.shards={ns.shards}", f"extract.shard={shards}"]
    return out + user


def check_required(cfg: Any) -> None:
    """A required key left unset (encoder=onnx without encoder.path) is one line."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if missing:
        raise ConfigError(
            f"{missing[0]} is not set: add {missing[0]}=..., e.g. encoder.path=model.onnx with"
            f" encoder=onnx (`{USAGE} --cfg job` lists the keys)"
        )


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr extract`."""
    if ns.merge is not None:
        if ns.args:
            raise ConfigError("--merge DIR takes no INPUT or overrides: give only the folder")
        return merge(Path(ns.merge))
    overrides = build_overrides(ns)
    multirun = ns.multirun or ns.shards is not None
    if ns.cfg:
        # Hydra prints one job's config: that of the sweep's first job.
        first = next(expand_sweeps(overrides)) if multirun else overrides
        return hydra_launch.call_app("extract", first, ["--cfg", ns.cfg])
    configs = compose_checked("extract", overrides, conf_dir(), multirun, USAGE)
    for cfg in configs:
        check_required(cfg)
    # Reusing a --save-dir is how an interrupted extraction continues.
    run_dir, created = choose_run_dir(ns.save_dir, True, Path("runs") / "extract", "extract")
    if ns.save_dir:
        overrides.append(f"save_dir={quote(run_dir)}")
        job = configs[0].extract
        if not multirun and job.shards > 1:
            # One shard run on its own (e.g. by an array job): its logs go where a sweep's would.
            run_dir = run_dir / f"extract.shard={job.shard},extract.shards={job.shards}"
            created = created or not run_dir.exists()
    # An interrupted extraction into --save-dir stays: rerunning the command continues it.
    status = hydra_launch.run_app_in(
        "extract", overrides, run_dir, created, multirun=multirun, resumable=bool(ns.save_dir)
    )
    if status == 0 and multirun:
        # Each condition of a sweep has its own folder of shards.
        folders = {folder_of_config(run_dir, c) for c in configs if c.extract.shards > 1}
        status = max((merge(folder) for folder in sorted(folders)), default=0)
    return status


def merge(folder: Path) -> int:
    """Join the shard outputs in `folder`; status 1 when some files failed."""
    from balr.extract.merge import merge_shards

    result = merge_shards(folder)
    line = f"merged {result.rows} rows into {result.output}"
    if result.errors:
        line += f"; {result.errors} files failed: see {folder.absolute() / 'extract_errors.csv'}"
    print(f"balr: {line}", file=sys.stderr, flush=True)
    return 1 if result.errors else 0
