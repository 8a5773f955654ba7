"""`balr score calibrate` of out-of-fold scores (a cv_scores.tsv, with its `fold` column)
records them as cross-validated: they are not held-out data, and the case report must not
say they are."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from balr.evaluation.calibration import Calibration
from balr.scoring.commands.calibrate import fit_calibration


def write_cv_scores(path: Path, folds: int) -> Path:
    rng = np.random.default_rng(0)
    lines = ["enrollment\ttest\tllr_raw\tlabel\tfold"]
    for i in range(120):
        label = i % 4 == 0
        score = rng.normal(2.0 if label else -2.0, 1.5)
        test = f"s{i % 10}/b{i}" if label else f"s{(i + 1) % 10}/b{i}"
        lines.append(f"s{i % 10}/a{i}\t{test}\t{score:.4f}\t{int(label)}\t{i % folds + 1}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_scores_with_a_fold_column_are_recorded_as_cross_validated(tmp_path: Path) -> None:
    calibration, _, _ = fit_calibration(write_cv_scores(tmp_path / "cv_scores.tsv", folds=3))
    assert calibration.data["cross_validated"] is True
    assert calibration.data["folds"] == 3
    calibration.save(tmp_path / "calibration.json")
    again = Calibration.load(tmp_path / "calibration.json").data
    assert (again["cross_validated"], again["folds"]) == (True, 3)


def test_scores_without_a_fold_column_are_held_out_data(tmp_path: Path) -> None:
    path = write_cv_scores(tmp_path / "scores.tsv", folds=3)
    rows = [line.rsplit("\t", 1)[0] for line in path.read_text().splitlines()]
    path.write_text("\n".join(rows) + "\n")
    calibration, _, _ = fit_calibration(path)
    assert calibration.data["cross_validated"] is False and calibration.data["folds"] is None
