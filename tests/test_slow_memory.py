"""Peak memory of training on 200,000 samples: the data costs about one copy of the table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from balr.data.synthetic import main as synthesize

pytestmark = pytest.mark.slow

SAMPLES, DIM = 200_000, 256

# Runs in a fresh interpreter: the baseline is taken after the imports, before any data.
SCRIPT = """
import json, resource, sys
from pathlib import Path
import torch
from balr.config import DataConfig
from balr.data import AudioDataset
from balr.losses import MSELoss, TripletMarginLoss
from balr.training import BinaryAttributeEncoderTrainer

def rss_kib(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1])

baseline = rss_kib("VmRSS:")
train, val, out = (Path(arg) for arg in sys.argv[1:4])
trainer = BinaryAttributeEncoderTrainer(
    AudioDataset.from_path(train), AudioDataset.from_path(val),
    DataConfig(batch_size=512, N_classes_per_batch=32, M_samples_per_class=16),
    [MSELoss(), TripletMarginLoss()], epochs=1, save_dir=out, verbose=False,
)
trainer.train()
print(json.dumps({"baseline_kib": baseline, "peak_kib": rss_kib("VmHWM:")}))
"""


def peak_above_baseline_kib(train: Path, val: Path, out: Path) -> int:
    """Peak RSS of one training epoch above the post-import baseline, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(train), str(val), str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    memory = json.loads(done.stdout.strip().splitlines()[-1])
    return int(memory["peak_kib"] - memory["baseline_kib"])


def test_training_on_200k_samples_holds_one_copy_of_the_table(tmp_path: Path) -> None:
    packed = ["--format", "packed", "--dim", str(DIM)]
    synthesize(
        [str(tmp_path / "train"), "--speakers", "2000", "--utterances", str(SAMPLES), *packed]
    )
    synthesize([str(tmp_path / "val"), "--speakers", "50", "--utterances", "1000", *packed])
    table_kib = SAMPLES * DIM * 4 / 1024
    peak = peak_above_baseline_kib(tmp_path / "train", tmp_path / "val", tmp_path / "run")
    # The same epoch on 1,000 samples: what the runtime needs whatever the data size
    # (kernels, thread pools, autograd), about 300 MiB with torch 2.13 on CPU.
    fixed = peak_above_baseline_kib(tmp_path / "val", tmp_path / "val", tmp_path / "small")
    print(
        f"peak RSS above baseline {peak / 1024:.0f} MiB = {peak / table_kib:.2f}x the"
        f" {table_kib / 1024:.0f} MiB table; fixed runtime part {fixed / 1024:.0f} MiB;"
        f" data part {(peak - fixed) / table_kib:.2f}x"
    )
    # What the data costs stays near one copy of the table: the memory-mapped matrix plus
    # bounded buffers (batches, the validation's LLR reference of <= 16,000 rows), measured
    # 0.9-1.5x from run to run (allocator timing). A second copy of the table would put it
    # above 2x. The total above the post-import baseline (measured 2.8-3.4x) also holds the
    # fixed runtime part, which varies between machines and library versions, so it is
    # reported, not asserted.
    assert peak - fixed < 1.8 * table_kib
