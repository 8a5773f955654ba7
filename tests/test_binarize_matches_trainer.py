"""`balr binarize` with a run's best.pt reproduces the trainer's val EER on the same trials.

The EER here is computed by this file's own plain implementation (cosine of the written
binary vectors, threshold sweep with linear interpolation), not by balr.evaluation.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from balr.data import AudioDataset

LIBRI = Path(__file__).resolve().parents[2] / "shared" / "data" / "librispeech-sample"

pytestmark = pytest.mark.skipif(not LIBRI.is_dir(), reason="shared sample data not present")


def plain_eer(scores: np.ndarray, target: np.ndarray) -> float:
    """EER in percent: accept when score >= threshold; FRR/FAR crossing, linearly interpolated."""
    thresholds = np.append(np.unique(scores), np.inf)
    frr = np.array([(scores[target] < t).mean() for t in thresholds])
    far = np.array([(scores[~target] >= t).mean() for t in thresholds])
    i = next(k for k in range(len(thresholds)) if frr[k] >= far[k])
    if frr[i] == far[i]:
        return 100.0 * frr[i]
    gap_before, gap_after = far[i - 1] - frr[i - 1], frr[i] - far[i]
    alpha = gap_before / (gap_before + gap_after)
    return 100.0 * (frr[i - 1] + alpha * (frr[i] - frr[i - 1]))


def trial_eer(binarized_csv: Path, trials_path: Path) -> float:
    """EER of the cosine similarity of the binary vectors written for the trials' ids."""
    dataset = AudioDataset.from_path(binarized_csv)
    vectors = {item.id: np.asarray(item.binary_attributes, dtype=np.float64) for item in dataset}
    scores, target = [], []
    with trials_path.open() as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            a, b = vectors[row["enrollment"]], vectors[row["test"]]
            scores.append(a @ b / np.sqrt((a @ a) * (b @ b)))
            target.append(row["label"] == "1")
    return plain_eer(np.array(scores), np.array(target))


def test_binarized_val_set_has_the_trainers_last_val_eer(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    trials = LIBRI / "trials.csv"
    train_args = [str(LIBRI / "train.csv"), str(LIBRI / "val.csv"), "--save-dir", "run"]
    train_args += [f"data.val_trials={trials}", "+experiment=few_speakers"]
    # One validation, after the last epoch: best.pt is that epoch's model.
    train_args += ["trainer.epochs=4", "trainer.val_period=0"]
    assert main(["train", *train_args]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["best"]["epoch"] == 4
    best = tmp_path / "run" / "best.pt"
    binarize_args = [str(LIBRI / "val.csv"), f"encoder.model.checkpoint_path={best}"]
    assert main(["binarize", *binarize_args, "--save-dir", "ba"]) == 0
    written = sorted(p.name for p in (tmp_path / "ba").rglob("*_ba.txt"))
    assert len(written) == 147
    eer = trial_eer(tmp_path / "ba" / "binarized.csv", trials)
    assert eer == pytest.approx(summary["final"]["val"]["eer"], abs=1e-6)
