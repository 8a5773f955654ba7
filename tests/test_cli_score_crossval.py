"""`balr score train REF --calibrate K`: speaker-disjoint cross-validated calibration."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from balr.cli.main import main
from balr.data import AudioDataset
from balr.data.attributes import load_attribute_table
from balr.evaluation.calibration import Calibration, cllr
from balr.scoring import BetaScorer
from balr.scoring.io import scorer_digest
from tests.score_data import all_pairs, write_attributes

SPEAKERS, PER = 12, 3


@pytest.fixture
def ref(work: Path) -> Path:
    return write_attributes(work / "ref", speakers=SPEAKERS, per_speaker=PER, seed=1, prefix="r")


def speaker(ids: pl.Series) -> list[str]:
    return [i.split("/")[0] for i in ids]


def cv_frame(run: Path) -> pl.DataFrame:
    return pl.read_csv(run / "cv_scores.tsv", separator="\t")


def test_calibrate_writes_out_of_fold_scores_and_a_calibration_fitted_on_them(
    ref: Path, work: Path
) -> None:
    assert main(["score", "train", str(ref), "--calibrate", "3"]) == 0
    run = work / "runs" / "scorer" / "train"
    frame = cv_frame(run)
    assert frame.columns == ["enrollment", "test", "llr_raw", "label", "fold"]
    assert sorted(frame["fold"].unique()) == [1, 2, 3]
    record = json.loads((run / "calibration.json").read_text())
    assert record["data"] == {
        "file": str((run / "cv_scores.tsv").absolute()),
        "n_target": int(frame["label"].sum()),
        "n_nontarget": int((frame["label"] == 0).sum()),
        "n_speakers": SPEAKERS,
        "cross_validated": True,
        "folds": 3,
    }
    assert record["scorer"]["sha256"] == scorer_digest(run)
    assert record["method"] == "logistic" and record["bounds"]["kind"] == "elub"
    refit = Calibration.fit(frame["llr_raw"].to_numpy(), frame["label"].to_numpy())
    assert record["a"] == pytest.approx(refit.a, rel=1e-4)
    summary = json.loads((run / "summary.json").read_text())
    assert summary["calibration"]["folds"] == 3 and "cllr_after" in summary["calibration"]


def test_each_fold_is_scored_by_a_scorer_that_never_saw_its_speakers(ref: Path, work: Path) -> None:
    assert main(["score", "train", str(ref), "--calibrate", "3"]) == 0
    frame = cv_frame(work / "runs" / "scorer" / "train")
    table = load_attribute_table(AudioDataset.from_path(ref), require_speakers=True)
    row = {name: i for i, name in enumerate(table.ids)}
    folds = {f: set(speaker(frame.filter(pl.col("fold") == f)["enrollment"])) for f in (1, 2, 3)}
    assert sum(len(s) for s in folds.values()) == SPEAKERS  # disjoint, every speaker once
    for f, held in folds.items():
        part = frame.filter(pl.col("fold") == f)
        assert set(speaker(part["test"])) <= held
        keep = np.array([name.split("/")[0] not in held for name in table.ids])
        scorer = BetaScorer()
        scorer.fit(table.bits[keep], table.labels[keep])
        enroll = table.bits[[row[i] for i in part["enrollment"]]]
        test = table.bits[[row[i] for i in part["test"]]]
        expected = scorer.score_pairs(enroll, test)
        np.testing.assert_allclose(part["llr_raw"].to_numpy(), expected, atol=1e-5)


def test_the_folds_follow_the_seed(ref: Path, work: Path) -> None:
    for name, seed in (("a", 0), ("b", 0), ("c", 7)):
        args = ["--calibrate", "3", "--save-dir", name, f"cv.seed={seed}"]
        assert main(["score", "train", str(ref), *args]) == 0
    assert (work / "a" / "cv_scores.tsv").read_bytes() == (
        work / "b" / "cv_scores.tsv"
    ).read_bytes()
    assert (
        cv_frame(work / "a")["enrollment"].to_list() != cv_frame(work / "c")["enrollment"].to_list()
    )


def test_the_cap_limits_each_class_in_each_fold(ref: Path, work: Path) -> None:
    args = ["--calibrate", "2", "cv.max_pairs=4"]
    assert main(["score", "train", str(ref), *args]) == 0
    frame = cv_frame(work / "runs" / "scorer" / "train")
    counts = frame.group_by("fold", "label").len()
    assert counts["len"].to_list() == [4, 4, 4, 4]


def test_bigauss_without_bounds(ref: Path, work: Path) -> None:
    args = ["--calibrate", "3", "--method", "bigauss", "--bounds", "none"]
    assert main(["score", "train", str(ref), *args]) == 0
    record = json.loads((work / "runs" / "scorer" / "train" / "calibration.json").read_text())
    assert record["method"] == "bigauss" and record["bounds"] is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--calibrate", "1"], "--calibrate 1: cross-validation needs at least 2 folds"),
        (["--calibrate", "7"], "fold 7 (the smallest) gets 1 speaker(s)"),
        (["--method", "bigauss"], "add it"),
        (["cv.folds=3", "cv.method=isotonic"], "cv.method='isotonic': give one of logistic"),
        (["cv.folds=1"], "--calibrate 1 (cv.folds): cross-validation needs at least 2 folds"),
    ],
)
def test_unusable_folds_are_one_line_and_nothing_is_written(
    ref: Path, work: Path, capsys: pytest.CaptureFixture, args: list[str], expected: str
) -> None:
    assert main(["score", "train", str(ref), *args]) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("balr: error")]
    assert len(errors) == 1 and expected in errors[0] and "Traceback" not in err
    assert not (work / "runs" / "scorer" / "train").exists()


def test_a_fold_without_same_speaker_comparison_is_named(
    work: Path, capsys: pytest.CaptureFixture
) -> None:
    lonely = write_attributes(work / "one", speakers=8, per_speaker=1, seed=3)
    assert main(["score", "train", str(lonely), "--calibrate", "2"]) == 2
    err = capsys.readouterr().err.strip()
    assert "fold 1 of --calibrate 2 holds 4 speakers with one recording each" in err
    assert not (work / "runs" / "scorer" / "train").exists()


def test_an_existing_scorer_dir_is_untouched_when_the_folds_are_unusable(
    ref: Path, work: Path
) -> None:
    assert main(["score", "train", str(ref), "--save-dir", "fitted"]) == 0
    before = {p.name: p.read_bytes() for p in (work / "fitted").iterdir() if p.is_file()}
    args = ["--save-dir", "fitted", "--exist-ok", "--calibrate", "9", "scorer=maxllr"]
    assert main(["score", "train", str(ref), *args]) == 2
    after = {p.name: p.read_bytes() for p in (work / "fitted").iterdir() if p.is_file()}
    assert after.pop("score_train.log").startswith(before.pop("score_train.log"))  # appended
    assert after == before


@pytest.fixture(scope="module")
def calibrated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scorer run calibrated by --calibrate 3 on `ref`'s data, shared by the module's
    tests (which only read it)."""
    root = tmp_path_factory.mktemp("calibrated")
    ref = write_attributes(root / "ref", speakers=SPEAKERS, per_speaker=PER, seed=1, prefix="r")
    args = ["score", "train", str(ref), "--calibrate", "3", "--save-dir", str(root / "cal")]
    assert main(args) == 0
    return root / "cal"


@pytest.fixture
def trials(work: Path) -> tuple[Path, Path]:
    data = write_attributes(work / "data", speakers=6, per_speaker=3, seed=2)
    return data, all_pairs(work / "trials.tsv", 6, 3)


def test_score_test_applies_the_runs_calibration_clipped_to_its_bounds(
    calibrated_run: Path, trials: tuple[Path, Path], work: Path, capsys: pytest.CaptureFixture
) -> None:
    args = ["score", "test", *map(str, trials), "--scorer", str(calibrated_run)]
    assert main([*args, "--save-dir", "out"]) == 0
    own = calibrated_run / "calibration.json"
    assert f"calibration: {own} (the scorer run's, logistic, cross-validated on 3 folds" in (
        capsys.readouterr().err
    )
    frame = pl.read_csv(work / "out" / "scores.tsv", separator="\t")
    assert frame.columns == [
        "enrollment", "test", "llr", "llr_unbounded", "llr_raw", "log10_lr", "label"
    ]  # fmt: skip
    calibration = Calibration.load(own)
    assert calibration.bounds is not None
    unbounded = calibration.apply_unbounded(frame["llr_raw"].to_numpy())
    np.testing.assert_allclose(frame["llr_unbounded"].to_numpy(), unbounded, atol=1e-5)
    clipped = calibration.bounds.clip(unbounded)
    np.testing.assert_allclose(frame["llr"].to_numpy(), clipped, atol=1e-5)
    assert (clipped != unbounded).any()  # a small calibration set: narrow bounds
    metrics = json.loads((work / "out" / "metrics.json").read_text())
    assert metrics["cllr"] == pytest.approx(cllr(clipped, frame["label"].to_numpy()), abs=1e-4)


def test_uncalibrated_gives_raw_llrs_and_another_file_replaces_the_runs(
    calibrated_run: Path, trials: tuple[Path, Path], work: Path, capsys: pytest.CaptureFixture
) -> None:
    args = ["score", "test", *map(str, trials), "--scorer", str(calibrated_run)]
    assert main([*args, "--uncalibrated", "--save-dir", "raw"]) == 0
    assert "calibration: none (--uncalibrated)" in capsys.readouterr().err
    raw = pl.read_csv(work / "raw" / "scores.tsv", separator="\t")
    assert raw.columns == ["enrollment", "test", "llr", "log10_lr", "label"]
    other = Calibration.fit(raw["llr"].to_numpy(), raw["label"].to_numpy(), bounds="none")
    other.save(work / "other.json")
    assert main([*args, "--calibration", str(work / "other.json"), "--save-dir", "other"]) == 0
    frame = pl.read_csv(work / "other" / "scores.tsv", separator="\t")
    assert "llr_unbounded" not in frame.columns  # no bounds, nothing clipped
    np.testing.assert_allclose(frame["llr"], other.apply(raw["llr"].to_numpy()), atol=1e-5)
    assert main([*args, "--calibration", str(work / "other.json"), "--uncalibrated"]) == 2


def test_compare_reports_the_runs_calibration_and_its_bounds(
    calibrated_run: Path, work: Path, capsys: pytest.CaptureFixture
) -> None:
    sides = [str(calibrated_run.parent / "ref" / f"r0u{u}_ba.npy") for u in (0, 1)]
    args = ["compare", *sides, "--scorer", str(calibrated_run)]
    assert main([*args, "--save-dir", "case"]) == 0
    own = calibrated_run / "calibration.json"
    assert f"calibration: {own} (the scorer run's" in capsys.readouterr().err
    report = json.loads((work / "case" / "report.json").read_text())
    assert report["calibration"]["path"] == str(own)
    assert report["calibration"]["data"]["cross_validated"] is True
    bounds = Calibration.load(own).bounds
    assert bounds is not None
    assert bounds.log10_lower <= report["log10_lr"] <= bounds.log10_upper
    unbounded = Calibration.load(own).apply_unbounded([report["llr_raw"]])[0]
    assert report["llr_unbounded"] == pytest.approx(unbounded)
    assert report["clipped"] == (report["llr"] != pytest.approx(unbounded))
    assert main([*args, "--uncalibrated", "--save-dir", "raw"]) == 0
    raw = json.loads((work / "raw" / "report.json").read_text())
    assert raw["calibration"] is None and raw["llr"] == pytest.approx(report["llr_raw"])
