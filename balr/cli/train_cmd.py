"""`balr train`: turn the command line into Hydra overrides, own the run directory, launch."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from balr.cli import hydra_launch
from balr.cli.overrides import compose_checked, key_of, quote, split_inputs
from balr.cli.paths import conf_dir, sample_datasets
from balr.config.validate import validate_train_config
from balr.errors import BalrError, ConfigError, RunDirError
from balr.training import distributed as ddp
from balr.training.run_dir import choose_run_dir, discard_run_dir

log = logging.getLogger("balr")

EPILOG = """\
overrides (Hydra syntax, any number, anywhere on the line):
  trainer.epochs=10                       any config key; list them all with --cfg job
  'trainer.losses=[mse, arcface]'         losses: mse, triplet, arcface, sparsity
  trainer.losses.arcface.weight=1         a selected loss's own settings
  data.N_classes_per_batch=32 data.M_samples_per_class=16 data.batch_size=512
  +experiment=recipe                      a preset from conf/experiment/
  hydra/launcher=slurm                    submit the jobs to Slurm (with -m)

examples:
  balr train                              train on the bundled sample dataset
  balr train train.csv val.csv trainer.epochs=10
  balr train -m train.csv val.csv 'trainer.losses=[mse],[mse,triplet]' trainer.internal_dim=256,512
  balr train --resume runs/train3         continue an interrupted run
  balr train --cfg job                    print the composed config (every key)
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr train` and its options."""
    parser = subparsers.add_parser(
        "train",
        help="train a binary-attribute autoencoder",
        description="Train a BinaryAttributeAutoEncoder on TRAIN, validating on VAL. Without"
        " TRAIN and VAL it trains on the small sample dataset shipped with balr.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "args",
        nargs="*",
        metavar="TRAIN VAL [OVERRIDES]",
        help="datasets (CSV file, folder, audio file or packed dataset) then Hydra overrides",
    )
    parser.add_argument("--save-dir", help="run directory (default: runs/trainX, X incremented)")
    parser.add_argument("--exist-ok", action="store_true", help="allow an existing --save-dir")
    parser.add_argument("--device", help="cpu (default), cuda, cuda:N, N, mps; cuda:0,1 for DDP")
    parser.add_argument("--root-dir", help="folder that relative paths in the CSVs resolve against")
    parser.add_argument(
        "--utt2spk", help="Kaldi utt2spk of .ark/.scp datasets (default: the one beside each)"
    )
    parser.add_argument("--audio-formats", nargs="+", metavar="EXT", help="audio extensions")
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue the run in RUN_DIR")
    parser.add_argument(
        "--nproc-per-node", type=int, metavar="K", help="start K DDP workers (like torchrun)"
    )
    parser.add_argument("-m", "--multirun", action="store_true", help="run a Hydra sweep")
    parser.add_argument(
        "--cfg", choices=("job", "hydra", "all"), help="print the composed config and exit"
    )
    parser.add_argument("--info", nargs="?", const="all", help="print Hydra's info and exit")
    parser.add_argument("--hydra-help", action="store_true", help="print Hydra's help and exit")
    parser.set_defaults(run=run)


def split_args(args: list[str]) -> tuple[list[str], list[str]]:
    """Datasets are the arguments without '=' (or naming existing paths); the rest overrides."""
    return split_inputs(args)


def dataset_overrides(ns: argparse.Namespace, datasets: list[str]) -> list[str]:
    """Overrides naming the datasets (absolute paths) and the options shared by both."""
    if len(datasets) == 1 or len(datasets) > 2:
        raise ConfigError(
            f"balr train takes TRAIN and VAL datasets, got {len(datasets)} ({' '.join(datasets)});"
            " give both, or neither to use the bundled sample"
        )
    out: list[str] = []
    if not datasets and ns.resume is None:
        train, val, trials = sample_datasets()
        print(
            f"balr: no dataset given: training on the bundled sample ({train.parent})",
            file=sys.stderr,
        )
        out += [f"train.path={quote(train)}", f"val.path={quote(val)}"]
        out += [f"data.val_trials={quote(trials)}"]
        if not any(arg.lstrip("+~").startswith("experiment=") for arg in ns.args):
            out.append(SAMPLE_PRESET)
    elif datasets:
        out += [f"train.path={quote(Path(datasets[0]).absolute())}"]
        out += [f"val.path={quote(Path(datasets[1]).absolute())}"]
    for split in ("train", "val"):
        if ns.root_dir:
            out.append(f"{split}.root_dir={quote(Path(ns.root_dir).absolute())}")
        if ns.utt2spk:
            out.append(f"{split}.utt2spk={quote(Path(ns.utt2spk).absolute())}")
        if ns.audio_formats:
            formats = ",".join(quote(f.lstrip(".")) for f in ns.audio_formats)
            out.append(f"{split}.audio_formats=[{formats}]")
    if ns.device:
        out.append(f"device={quote(ns.device)}")
    return out


# The bundled sample has 217 train speakers: it gets the few-speaker preset (conf/experiment).
SAMPLE_PRESET = "+experiment=few_speakers"


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr train`."""
    datasets, user_overrides = split_args(ns.args)
    overrides = dataset_overrides(ns, datasets)
    run_dir: Path | None = None
    if ns.resume is not None:
        run_dir = Path(ns.resume).absolute()
        overrides = hydra_launch.previous_overrides(run_dir) + overrides
        overrides.append(f"resume={quote(run_dir)}")
    overrides += user_overrides
    if ns.cfg or ns.info or ns.hydra_help:
        return hydra_launch.call_app("train", overrides, hydra_flags(ns))
    if ns.nproc_per_node is not None and ns.nproc_per_node < 1:
        raise ConfigError(f"--nproc-per-node {ns.nproc_per_node}: give 1 or more workers")
    for cfg in compose_checked("train", overrides, conf_dir(), ns.multirun):
        validate_train_config(cfg)
    if ns.nproc_per_node:
        from balr.cli.elastic import launch_workers

        if ns.multirun:
            raise ConfigError(
                "--nproc-per-node runs one training: for sweeps of DDP jobs, select a launcher"
                " (e.g. hydra/launcher=slurm with hydra.launcher.tasks_per_node=K)"
            )
        return launch_workers(ns, *claim(ns, run_dir))
    return launch(ns, overrides, run_dir)


def hydra_flags(ns: argparse.Namespace) -> list[str]:
    """Hydra's own flags, passed through unchanged."""
    flags = []
    if ns.cfg:
        flags += ["--cfg", ns.cfg]
    if ns.info:
        flags += ["--info", ns.info]
    if ns.hydra_help:
        flags.append("--hydra-help")
    return flags


def launch(ns: argparse.Namespace, overrides: list[str], resume_dir: Path | None) -> int:
    """Claim the run (or sweep) directory — agreed by all DDP ranks — and run the app."""
    ctx = ddp.context_from_env()
    # --device arrives as a `device=` override, as does one from the command line or a resume.
    device_spec = next(
        (o.split("=", 1)[1].strip("'") for o in reversed(overrides) if key_of(o) == "device"),
        "cpu",
    )
    if ctx.enabled:
        ddp.init_process_group(ctx, device_spec)
    claimed: tuple[Path, bool] | None = None
    error: BalrError | None = None
    if ctx.is_main:
        try:
            claimed = claim(ns, resume_dir)
        except BalrError as failure:
            error = failure
    claimed, error = ddp.broadcast_object((claimed, error))
    if error is not None or claimed is None:
        ddp.destroy_process_group()
        raise error or RunDirError("no run directory could be claimed")
    run_dir, created = claimed
    # Hydra rewrites .hydra/ at start; a resume that fails must not leave its overrides there.
    recorded = _read_files(run_dir / ".hydra") if resume_dir is not None and ctx.is_main else {}
    checkpoint_before = _version(run_dir / "last.pt")
    try:
        status = hydra_launch.run_app(
            "train", overrides, run_dir, multirun=ns.multirun, rank=ctx.rank
        )
    finally:
        ddp.destroy_process_group()
    if status != 0 and recorded and _version(run_dir / "last.pt") == checkpoint_before:
        # The resume saved nothing, so the overrides it brought apply to no checkpoint.
        for path, content in recorded.items():
            path.write_bytes(content)
    if status == 2 and created and ctx.is_main and not any(run_dir.rglob("last.pt")):
        # The run (or every job of the sweep) failed before training: leave nothing behind.
        discard_run_dir(run_dir)
    if status == 0 and ns.multirun and ctx.is_main:
        from balr.cli.runs_cmd import report_sweep

        report_sweep(run_dir)
    return status


def _version(path: Path) -> tuple[int, int, int, int] | None:
    """The `file_version` of a file, None when missing: tells whether it was rewritten."""
    from balr.data.vectors import file_version

    try:
        return file_version(path.stat())
    except OSError:
        return None


def _read_files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.glob("*") if p.is_file()}


def claim(ns: argparse.Namespace, resume_dir: Path | None) -> tuple[Path, bool]:
    """The run directory: the resumed one, --save-dir, or the next runs/trainX (multirun/trainX)."""
    if resume_dir is not None:
        if not (resume_dir / "last.pt").is_file():
            raise RunDirError(f"--resume {resume_dir}: no last.pt there; give a balr run directory")
        return resume_dir, False
    # Raised on rank 0 only: as a BalrError it reaches the other ranks instead of hanging them.
    parent = Path("multirun" if ns.multirun else "runs")
    return choose_run_dir(ns.save_dir, ns.exist_ok, parent, "train")
