"""`balr score calibrate` and `balr score apply` through the real CLI."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from balr.evaluation.calibration import Calibration, cllr
from balr.scoring.io import scorer_digest
from tests.score_data import all_pairs, write_attributes


def score_file(path: Path, scores: np.ndarray, labels: np.ndarray, column: str = "score") -> Path:
    """A tab-separated score file of another system: ids, score, label, condition."""
    lines = [f"enrollment\ttest\t{column}\tlabel\tcondition"]
    for i, (s, y) in enumerate(zip(scores, labels, strict=True)):
        lines.append(f"e{i}\tt{i}\t{float(s)!r}\t{int(y)}\tphone")
    path.write_text("\n".join(lines) + "\n")
    return path


def cosine_like(seed: int = 0, n1: int = 100, n0: int = 900) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    scores = np.r_[rng.normal(0.6, 0.15, n1), rng.normal(0.1, 0.15, n0)]
    return scores, np.r_[np.ones(n1), np.zeros(n0)].astype(bool)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


@pytest.mark.parametrize("method", ["logistic", "bigauss"])
def test_calibrate_then_apply_any_systems_scores(work: Path, method: str) -> None:
    scores, labels = cosine_like()
    dev = score_file(work / "dev.tsv", scores, labels)
    assert main(["score", "calibrate", str(dev), "--method", method]) == 0
    path = work / "runs" / "score" / "calibrate" / "calibration.json"
    record = json.loads(path.read_text())
    assert record["method"] == method and record["bounds"]["kind"] == "elub"
    assert record["data"]["file"] == str(dev) and record["scorer"] is None
    test_scores, test_labels = cosine_like(seed=1)
    test = score_file(work / "test.tsv", test_scores, test_labels)
    assert main(["score", "apply", str(test), "--calibration", str(path)]) == 0
    out = work / "runs" / "score" / "apply"
    rows = read_tsv(out / "scores.tsv")
    assert list(rows[0]) == [
        "enrollment", "test", "llr", "llr_unbounded", "llr_raw", "log10_lr", "label", "condition"
    ]  # fmt: skip
    calibration = Calibration.load(path)
    llr = np.array([float(r["llr"]) for r in rows])
    np.testing.assert_allclose(llr, calibration.apply(test_scores), atol=1e-5)
    log10 = np.array([float(r["log10_lr"]) for r in rows])
    np.testing.assert_allclose(log10, llr / math.log(10), atol=1e-5)
    assert rows[0]["condition"] == "phone"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["cllr"] == pytest.approx(cllr(calibration.apply(test_scores), test_labels))


def test_calibrate_prints_cllr_with_five_digits_and_the_bounds(
    work: Path, capsys: pytest.CaptureFixture
) -> None:
    scores, labels = cosine_like()
    dev = score_file(work / "dev.tsv", scores, labels)
    assert main(["score", "calibrate", str(dev)]) == 0
    out = capsys.readouterr().out
    record = json.loads((work / "runs/score/calibrate/calibration.json").read_text())
    assert f"Cllr {record['cllr_before']:.5g} -> {record['cllr_after']:.5g}" in out
    bounds = record["bounds"]
    assert f"log10 LR [{bounds['log10_lower']:+.2f}, {bounds['log10_upper']:+.2f}]" in out
    assert f"N1 = {bounds['n_target']}, N0 = {bounds['n_nontarget']}" in out


def test_calibrate_never_makes_near_separable_llrs_worse(work: Path) -> None:
    rng = np.random.default_rng(3)
    sd = math.sqrt(65.0)
    llrs = 2 * np.r_[rng.normal(32.5, sd, 1000), rng.normal(-32.5, sd, 10000)]
    labels = np.r_[np.ones(1000), np.zeros(10000)].astype(bool)
    dev = score_file(work / "dev.tsv", llrs, labels, column="llr_raw")
    assert main(["score", "calibrate", str(dev), "--bounds", "none"]) == 0
    record = json.loads((work / "runs/score/calibrate/calibration.json").read_text())
    assert record["cllr_after"] <= record["cllr_before"]


def test_calibrate_reports_the_cllr_the_bounds_cost_apart_from_the_map(
    work: Path, capsys: pytest.CaptureFixture
) -> None:
    rng = np.random.default_rng(3)
    llrs = 2 * np.r_[rng.normal(32.5, 8.0, 1000), rng.normal(-32.5, 8.0, 10000)]
    labels = np.r_[np.ones(1000), np.zeros(10000)].astype(bool)
    dev = score_file(work / "dev.tsv", llrs, labels, column="llr_raw")
    assert main(["score", "calibrate", str(dev)]) == 0
    record = json.loads((work / "runs/score/calibrate/calibration.json").read_text())
    # The map alone never loses to the identity; clipping to the ELUB bounds may cost more.
    assert record["cllr_after_unbounded"] <= record["cllr_before"] < record["cllr_after"]
    out = capsys.readouterr().out
    assert f"{record['cllr_after_unbounded']:.5g} calibrated before clipping" in out


def test_apply_without_bounds_writes_no_unbounded_column(work: Path) -> None:
    scores, labels = cosine_like()
    dev = score_file(work / "dev.tsv", scores, labels)
    assert main(["score", "calibrate", str(dev), "--bounds", "none", "--save-dir", "cal"]) == 0
    unlabelled = work / "case.tsv"
    unlabelled.write_text("enrollment\ttest\tscore\na\tb\t0.55\n")
    args = ["score", "apply", str(unlabelled), "--calibration", "cal/calibration.json"]
    assert main([*args, "--save-dir", "out"]) == 0
    rows = read_tsv(work / "out" / "scores.tsv")
    assert list(rows[0]) == ["enrollment", "test", "llr", "llr_raw", "log10_lr"]
    assert not (work / "out" / "metrics.json").exists()


def fitted_scorer_scores(work: Path, name: str, seed: int) -> tuple[Path, Path]:
    """A beta scorer run and its `balr score test` scores on a labelled trial list."""
    ref = write_attributes(work / f"ref_{name}", speakers=10, per_speaker=3, seed=seed)
    data = write_attributes(work / "data", speakers=5, per_speaker=3, seed=9)
    trials = all_pairs(work / "trials.tsv", 5, 3)
    run, scored = work / f"scorer_{name}", work / f"test_{name}"
    assert main(["score", "train", str(ref), "--save-dir", str(run)]) == 0
    args = ["--scorer", str(run), "--save-dir", str(scored)]
    assert main(["score", "test", str(data), str(trials), *args]) == 0
    return run, scored / "scores.tsv"


@pytest.fixture(scope="module")
def two_scorers(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path, Path]:
    """Two scorer runs (a, b) and the scores each gave on one trial list: (run, scores) x 2."""
    root = tmp_path_factory.mktemp("scorers")
    return (*fitted_scorer_scores(root, "a", 1), *fitted_scorer_scores(root, "b", 2))


def test_a_calibration_records_its_scorer_and_is_refused_for_another(
    work: Path, two_scorers: tuple[Path, Path, Path, Path], capsys: pytest.CaptureFixture
) -> None:
    run_a, scores_a, _, scores_b = two_scorers
    assert main(["score", "calibrate", str(scores_a), "--save-dir", "cal"]) == 0
    record = json.loads((work / "cal" / "calibration.json").read_text())
    assert record["scorer"] == {"sha256": scorer_digest(run_a), "path": str(run_a)}
    capsys.readouterr()
    cal = ["--calibration", str(work / "cal" / "calibration.json")]
    assert main(["score", "apply", str(scores_b), *cal]) == 2
    assert "another scorer" in capsys.readouterr().err
    assert not (work / "runs" / "score" / "apply").exists()
    assert main(["score", "apply", str(scores_b), *cal, "--force-calibration"]) == 0
    assert main(["score", "apply", str(scores_a), *cal, "--save-dir", "applied"]) == 0
    summary = json.loads((work / "applied" / "summary.json").read_text())
    assert summary["scorer_sha256"] == scorer_digest(run_a)  # provenance carried on


def test_scorer_digest_follows_the_parameters_and_settings(work: Path) -> None:
    import shutil

    ref = write_attributes(work / "ref", speakers=6, per_speaker=3, seed=1)
    run = work / "scorer"
    assert main(["score", "train", str(ref), "--save-dir", str(run)]) == 0
    copy = work / "copy"
    shutil.copytree(run, copy)
    assert scorer_digest(copy) == scorer_digest(run) == scorer_digest(run / "scorer.json")
    (copy / "scorer.json").write_text((run / "scorer.json").read_text() + " ")
    assert scorer_digest(copy) != scorer_digest(run)
    (run / "parameters.npz").unlink()
    assert scorer_digest(run) is None


def test_score_test_records_its_scorer_and_refuses_another_ones_calibration(
    work: Path, two_scorers: tuple[Path, Path, Path, Path], capsys: pytest.CaptureFixture
) -> None:
    run_a, scores_a, run_b, _ = two_scorers
    summary = json.loads((scores_a.parent / "summary.json").read_text())
    assert summary["scorer_sha256"] == scorer_digest(run_a)
    assert main(["score", "calibrate", str(scores_a), "--save-dir", "cal"]) == 0
    trials, data = run_a.parent / "trials.tsv", run_a.parent / "data" / "data.csv"
    test_b = ["score", "test", str(data), str(trials), "--scorer", str(run_b)]
    cal = ["--calibration", str(work / "cal" / "calibration.json")]
    capsys.readouterr()
    assert main([*test_b, *cal, "--save-dir", "out"]) == 2
    assert "another scorer" in capsys.readouterr().err and not (work / "out").exists()
    assert main([*test_b, *cal, "--save-dir", "out", "--force-calibration"]) == 0
