"""Training throughput: balr's trainer against a bare PyTorch loop, in one process.

Cases, for batch 64 (8 speakers x 8) and 512 (32 x 16):

- bare: the same AutoEncoder and Adam on pre-made random tensors in memory, MSE only, a
  plain ``forward / mse / zero_grad / backward / step`` loop: the speed limit;
- balr mse, balr mse+triplet: `BinaryAttributeEncoderTrainer` through its Python API on a
  synthetic packed dataset (`balr.data.synthetic`), with and without ``compile=True``.

What a trainer epoch includes: what `trainer.train()` does every epoch when no validation
is due: `train_one_epoch` (sampler draw, index batches, gathers from the in-memory table,
forward, losses, backward, Adam, loss sums, progress) and writing ``last.pt``. Setup, the
first (warm-up, and compiling) epoch and validation are not timed. Every case runs
the same number of steps per epoch; the cases take turns so that load changes hit them
alike; each reports its best epoch. Nothing asserts on time: this prints a table.

Usage::

    python benchmarks/train_throughput.py [--quick] [--threads N] [--repeats R] [--no-compile]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import _common

TARGETS = {"mse": 0.9, "mse+triplet": 0.6}  # at batch 512, as a ratio to bare MSE


@dataclass
class Case:
    """One compared configuration: `run_epoch` runs one timed epoch of `samples` samples."""

    name: str
    batch: int
    run_epoch: Callable[[], None]
    samples: int
    warmup_seconds: float = 0.0
    times: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.samples / min(self.times)


def bare_case(batch: int, steps: int, dim: int) -> Case:
    """The plain loop: AutoEncoder + Adam + MSE on `steps` pre-made random batches."""
    import torch
    import torch.nn.functional as F

    from balr.models import AutoEncoder

    torch.manual_seed(0)
    model = AutoEncoder(dim, 512)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = torch.randn(steps, batch, dim)

    def run_epoch() -> None:
        for x in data:
            recon, _, _ = model(x)
            loss = F.mse_loss(recon, x)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

    return _warm(Case("bare PyTorch, mse", batch, run_epoch, steps * batch))


def trainer_case(
    name: str, n: int, m: int, losses: list[str], compile: bool, train: Path, val: Path, run: Path
) -> Case:
    """balr's trainer, set up once; each timed epoch is train_one_epoch + last.pt."""
    from balr.config.data import DataConfig
    from balr.data import AudioDataset
    from balr.losses import MSELoss, TripletMarginLoss
    from balr.training.trainer import BinaryAttributeEncoderTrainer

    makers = {"mse": MSELoss, "triplet": TripletMarginLoss}
    trainer = BinaryAttributeEncoderTrainer(
        AudioDataset.from_path(train),
        AudioDataset.from_path(val),
        DataConfig(batch_size=n * m, N_classes_per_batch=n, M_samples_per_class=m),
        [makers[loss]() for loss in losses],
        epochs=1_000_000,
        val_period=0,
        save_dir=run,
        verbose=False,
        compile=compile,
    )
    trainer.setup()
    epoch = [0]

    def run_epoch() -> None:
        epoch[0] += 1
        trainer.train_one_epoch(epoch[0])
        trainer.completed_epochs = epoch[0]
        trainer.save_checkpoint("last.pt")

    samples = trainer.sampler.num_batches() * n * m
    return _warm(Case(name, n * m, run_epoch, samples))


def _warm(case: Case) -> Case:
    started = time.perf_counter()
    case.run_epoch()
    case.warmup_seconds = time.perf_counter() - started
    return case


def make_data(workdir: Path, speakers: int, per_speaker: int, dim: int) -> tuple[Path, Path]:
    """Synthetic packed train and val sets, generated once per size under `workdir`."""
    from balr.data.packed import is_packed_dir
    from balr.data.synthetic import generate

    paths = []
    for split, count, each, seed in (("train", speakers, per_speaker, 0), ("val", 64, 16, 1)):
        out = workdir / f"throughput-{split}-{count}x{each}x{dim}"
        if not is_packed_dir(out):
            generate(out, count, count * each, dim, "packed", seed)
        paths.append(out)
    return paths[0], paths[1]


def build_cases(args: argparse.Namespace, train: Path, val: Path, runs: Path) -> list[Case]:
    """Every compared case, set up and warmed up."""
    cases: list[Case] = []
    geometries = [(8, 8), (32, 16)]
    for n, m in geometries:
        steps = -(-args.speakers // n)
        cases.append(bare_case(n * m, steps, args.dim))
        for losses in (["mse"], ["mse", "triplet"]):
            for compile in (False, True) if args.compile else (False,):
                label = "balr " + "+".join(losses) + (", compile" if compile else "")
                print(f"setting up batch {n * m}: {label}", flush=True)
                run = runs / f"b{n * m}-{'-'.join(losses)}-{int(compile)}"
                cases.append(trainer_case(label, n, m, losses, compile, train, val, run))
    return cases


def report(cases: list[Case], threads: int) -> None:
    """Print the table: samples/s, ratio to the bare loop of the same batch, target."""
    rows = []
    for case in cases:
        bare = next(c for c in cases if c.batch == case.batch and c.name.startswith("bare"))
        ratio = case.rate / bare.rate
        losses = case.name.removeprefix("balr ").split(",")[0]
        # The targets are for the default trainer (compile off).
        default = case.name.startswith("balr") and "compile" not in case.name
        target = TARGETS.get(losses) if case.batch == 512 and default else None
        rows.append(
            [
                f"{case.name}",
                str(case.batch),
                _common.fmt_rate(case.rate),
                f"{min(case.times) * 1000 / (case.samples / case.batch):.2f}",
                _common.fmt_ratio(ratio),
                f"{case.warmup_seconds:.1f}",
                "" if target is None else f">= {target}x: {_common.verdict(ratio >= target)}",
            ]
        )
    notes = [
        *_common.machine_lines(),
        f"best of {len(cases[0].times)} epochs per case, {threads} torch threads;"
        " trainer epoch = train_one_epoch + last.pt (no validation)",
        "ratio: samples/s over the bare PyTorch MSE loop of the same batch size",
    ]
    _common.print_table(
        "Training throughput",
        ["case", "batch", "samples/s", "ms/step", "ratio", "warm-up s", "target"],
        rows,
        notes,
    )


def main() -> None:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--speakers", type=int, default=None, help="train speakers (default 2048)")
    parser.add_argument("--per-speaker", type=int, default=24, help="utterances per speaker")
    parser.add_argument("--dim", type=int, default=256, help="embedding dimension")
    parser.add_argument(
        "--no-compile", dest="compile", action="store_false", help="skip trainer.compile cases"
    )
    args = _common.parse(parser)
    args.speakers = args.speakers or (512 if args.quick else 2048)
    repeats = args.repeats or (2 if args.quick else 5)
    threads = _common.set_threads(args.threads)
    import torch

    # torch.compile reports each graph break of the triplet miner: expected, not news here.
    torch._logging.set_logs(dynamo=logging.ERROR)
    logging.getLogger("balr").setLevel(logging.WARNING)
    args.workdir.mkdir(parents=True, exist_ok=True)
    train, val = make_data(args.workdir, args.speakers, args.per_speaker, args.dim)
    runs = Path(tempfile.mkdtemp(prefix="balr-bench-runs-"))
    try:
        cases = build_cases(args, train, val, runs)
        for _ in range(repeats):
            for case in cases:
                started = time.perf_counter()
                case.run_epoch()
                case.times.append(time.perf_counter() - started)
        report(cases, threads)
    finally:
        shutil.rmtree(runs, ignore_errors=True)


if __name__ == "__main__":
    main()
