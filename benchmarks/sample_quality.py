"""Quality on the bundled LibriSpeech sample: binary-attribute EER vs the raw embeddings'.

Trains each configuration (several seeds) with `balr train` in a subprocess on the bundled
sample (217 train speakers; 31 val speakers, 10,731 trials) and prints best and last val EER of
the binary attributes next to the raw embeddings' EER, their ratio, and the train time.

    python benchmarks/sample_quality.py [--quick] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from statistics import mean

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from balr.cli.paths import sample_datasets  # noqa: E402

GEOMETRY = ["data.N_classes_per_batch=32", "data.M_samples_per_class=4", "data.batch_size=128"]
CONFIGS: dict[str, list[str]] = {
    "few_speakers (1,024 attributes)": ["+experiment=few_speakers"],
    "few_speakers, 2,048 attributes": ["+experiment=few_speakers", "trainer.internal_dim=2048"],
    "few_speakers, init=kaiming": ["+experiment=few_speakers", "trainer.init=kaiming"],
    "defaults (512, lr 1e-3, mse+triplet, 100 ep.)": [*GEOMETRY, "trainer.val_period=5"],
    "defaults, init=kaiming": [*GEOMETRY, "trainer.val_period=5", "trainer.init=kaiming"],
}
SEEDS = (1234, 1, 2, 3)


def train(workdir: Path, name: str, overrides: list[str]) -> dict:
    """One `balr train` run on the bundled sample; its summary.json."""
    train_dir, val_dir, trials = sample_datasets()
    run = workdir / name
    command = [sys.executable, "-m", "balr", "train", str(train_dir), str(val_dir)]
    command += ["--save-dir", str(run), "--exist-ok", f"data.val_trials={trials}", *overrides]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{name}: balr train failed: {done.stderr.strip().splitlines()[-1:]}")
    return json.loads((run / "summary.json").read_text())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed per configuration")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the runs here")
    args = parser.parse_args(argv)
    seeds = SEEDS[:1] if args.quick else SEEDS
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="balr-quality-"))
    print(
        f"{'configuration':48s} {'seeds':>5s} {'best EER':>9s} {'last EER':>9s} "
        f"{'raw EER':>8s} {'last/raw':>8s} {'train s':>8s}"
    )
    for number, (label, overrides) in enumerate(CONFIGS.items()):
        summaries = [
            train(workdir, f"config{number}-seed{seed}", [*overrides, f"trainer.seed={seed}"])
            for seed in seeds
        ]
        best = mean(s["best"]["value"] for s in summaries)
        last = mean(s["final"]["val"]["eer"] for s in summaries)
        raw = summaries[0]["reference"]["eer"]
        seconds = mean(s["train_seconds"] for s in summaries)
        print(
            f"{label:48s} {len(seeds):5d} {best:8.2f}% {last:8.2f}% {raw:7.2f}% "
            f"{last / raw:7.2f}x {seconds:8.1f}",
            flush=True,
        )
        for seed, s in zip(seeds, summaries, strict=True):
            print(
                f"{'':4s}seed {seed}: best {s['best']['value']:.2f}% (epoch {s['best']['epoch']})"
                f", last {s['final']['val']['eer']:.2f}%"
            )


if __name__ == "__main__":
    main()
