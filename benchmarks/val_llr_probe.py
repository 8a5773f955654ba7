"""Cost of the val LLR metrics (beta scorer fitted on train speakers) next to a training epoch.

At each validation the trainer binarises a fixed reference of `trainer.val_scorer_speakers`
train speakers (up to 32 recordings each) with the current model, fits the beta scorer on
it, scores the val trials and computes EER, Cllr_min and Cllr (balr.training.llr_probe).
This script measures that step against one training epoch and against the rest of the
validation, on:

- the bundled LibriSpeech sample (1,148 train rows of 217 speakers, 10,731 val trials),
  batch 128 = 32 x 4, mse+triplet, 512 attributes;
- a VoxCeleb2-sized synthetic set (5,994 speakers, 1,092,009 rows, 256 dims, as
  benchmarks/voxceleb_scale.py; 40 val speakers x 120), batch 512 = 32 x 16, mse+triplet,
  512 attributes; ``--quick``: 600 speakers, 109,200 rows.

Each time is the best of ``--repeats`` (3). Nothing asserts on time. On a machine shared with
other jobs, run with ``--threads 1``: two OpenMP threads fighting other processes for two cores
slowed an epoch 5x here, which would make the LLR step look cheap next to it.

Usage::

    python benchmarks/val_llr_probe.py [--quick] [--workdir DIR] [--threads N]
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

import _common
import voxceleb_scale

SPEAKER_COUNTS = (250, 500, 1000, 4000)
SAMPLE = _common.ROOT / "balr" / "data" / "sample" / "librispeech"


def _trainer(
    train: Path, val: Path, batch: tuple[int, int], run: Path, trials: Path | None, **options: Any
) -> Any:
    from balr.config.data import DataConfig
    from balr.data import AudioDataset
    from balr.losses import MSELoss, TripletMarginLoss
    from balr.training.trainer import BinaryAttributeEncoderTrainer

    n, m = batch
    return BinaryAttributeEncoderTrainer(
        AudioDataset.from_path(train),
        AudioDataset.from_path(val),
        DataConfig(
            batch_size=n * m,
            N_classes_per_batch=n,
            M_samples_per_class=m,
            val_trials=str(trials) if trials else None,
        ),
        [MSELoss(), TripletMarginLoss()],
        epochs=100,
        save_dir=run,
        verbose=False,
        **options,
    )


def measure(
    train: Path, val: Path, batch: tuple[int, int], repeats: int, trials: Path | None = None
) -> dict[str, Any]:
    """Epoch, validation without LLR metrics, and the LLR step at each reference size."""
    from balr.training.llr_probe import LLRProbe

    with tempfile.TemporaryDirectory(prefix="balr-bench-llr-") as run:
        trainer = _trainer(train, val, batch, Path(run), trials, val_scorer_speakers=0)
        trainer.setup()
        validator, model = trainer.validator, trainer.model
        epoch_s, _ = _common.best_time(lambda: trainer.train_one_epoch(1), repeats)
        val_s, _ = _common.best_time(lambda: validator.run(model), repeats)
        bits = validator.binarize(model).cpu().numpy().astype("uint8")
        table = trainer.train_table
        result: dict[str, Any] = {
            "rows": len(table),
            "speakers": table.num_speakers,
            "trials": len(validator.trials.labels),
            "epoch_s": epoch_s,
            "steps": trainer.sampler.num_batches(),
            "batch": batch[0] * batch[1],
            "val_s": val_s,
            "probe": [],
        }
        for speakers in SPEAKER_COUNTS:
            began = time.perf_counter()
            probe = LLRProbe(table.embeddings, table.labels.numpy(), speakers, trainer.seed)
            setup_s = time.perf_counter() - began
            model.eval()
            run_s, metrics = _common.best_time(
                lambda p=probe: p.run(
                    lambda x: validator.binarize(model, x), bits, validator.trials
                ),
                repeats,
            )
            result["probe"].append(
                {
                    "speakers": probe.n_speakers,
                    "recordings": int(probe.rows.size),
                    "setup_s": setup_s,
                    "run_s": run_s,
                    "cllr_min": metrics["cllr_min"],
                }
            )
            if probe.n_speakers < speakers:
                break  # every speaker already in: larger sizes are the same
    return result


def report(name: str, result: dict[str, Any]) -> None:
    rows = []
    for probe in result["probe"]:
        rows.append(
            [
                f"{probe['speakers']:,} x <= 32 ({probe['recordings']:,} rows)",
                f"{probe['run_s'] * 1000:.0f} ms",
                f"{100 * probe['run_s'] / result['epoch_s']:.1f} %",
                f"{100 * probe['run_s'] / result['val_s']:.0f} %",
                f"{probe['setup_s'] * 1000:.0f} ms",
            ]
        )
    _common.print_table(
        f"{name}: {result['rows']:,} train rows of {result['speakers']:,} speakers,"
        f" {result['trials']:,} val trials; epoch ({result['steps']} steps of"
        f" {result['batch']}) {result['epoch_s']:.2f} s,"
        f" validation without LLR metrics {result['val_s']:.2f} s",
        ["reference", "LLR step", "of an epoch", "of the rest of val", "once at setup"],
        rows,
        ["LLR step: binarise the reference, fit beta, score the trials, EER/Cllr_min/Cllr"],
    )


def main() -> None:
    parser = _common.common_parser(__doc__.splitlines()[0])
    args = _common.parse(parser)
    _common.set_threads(args.threads)
    repeats = args.repeats or 3
    for line in _common.machine_lines():
        print(line)
    report(
        "bundled sample",
        measure(SAMPLE / "train", SAMPLE / "val", (32, 4), repeats, SAMPLE / "trials.csv"),
    )
    sizes = voxceleb_scale.QUICK if args.quick else voxceleb_scale.FULL
    args.workdir.mkdir(parents=True, exist_ok=True)
    pack, _ = voxceleb_scale.dataset(args.workdir, sizes["speakers"], sizes["utterances"], 256, 0)
    val, _ = voxceleb_scale.dataset(
        args.workdir, voxceleb_scale.VAL["speakers"], voxceleb_scale.VAL["utterances"], 256, 1
    )
    name = f"synthetic {sizes['speakers']:,} speakers (VoxCeleb2-sized)"
    report(name, measure(pack, val, (32, 16), repeats))


if __name__ == "__main__":
    main()
