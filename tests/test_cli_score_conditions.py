"""`balr score test` carries the data's recording conditions into scores.tsv and metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from balr.cli.main import main
from tests.score_data import all_pairs, write_attributes


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A beta scorer run on 12 speakers, shared by the module's tests (which only read it)."""
    root = tmp_path_factory.mktemp("trained")
    ref = write_attributes(root / "ref", speakers=12, per_speaker=3, seed=1, prefix="r")
    assert main(["score", "train", str(ref), "--save-dir", str(root / "scorer")]) == 0
    return root / "scorer"


@pytest.fixture
def scorer_dir(trained: Path, work: Path) -> Path:
    """The shared scorer run, with this test's tmp_path as the working directory."""
    return trained


def with_conditions(csv: Path, condition_of_speaker: dict[str, str]) -> Path:
    """The dataset CSV with a `condition` column (by speaker)."""
    frame = pl.read_csv(csv)
    frame = frame.with_columns(
        pl.col("speaker").replace_strict(condition_of_speaker).alias("condition")
    )
    frame.write_csv(csv)
    return csv


def test_scores_and_metrics_are_given_per_condition(scorer_dir: Path, tmp_path: Path) -> None:
    data = write_attributes(tmp_path / "data", speakers=6, per_speaker=3, seed=2)
    conditions = {f"s{n}": "clean" if n < 3 else "phone" for n in range(6)}
    with_conditions(data, conditions)
    trials = all_pairs(tmp_path / "trials.tsv", 6, 3)
    assert main(["score", "test", str(data), str(trials), "--scorer", str(scorer_dir),
                 "--save-dir", "out"]) == 0  # fmt: skip
    scores = pl.read_csv(tmp_path / "out" / "scores.tsv", separator="\t")
    assert set(scores["condition"]) == {"clean", "phone", "clean vs phone"}
    first = scores.row(0, named=True)
    assert first["condition"] == "clean"  # s0/u0 vs s0/u1
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    # "clean vs phone" pairs are all different-speaker: no metrics of their own.
    assert sorted(metrics["by_condition"]) == ["clean", "phone"]
    assert metrics["by_condition"]["clean"]["n_target"] == 9
    assert metrics["n_target"] == 18


def test_data_of_one_condition_get_the_column_without_a_split(
    scorer_dir: Path, tmp_path: Path
) -> None:
    data = write_attributes(tmp_path / "data", speakers=6, per_speaker=3, seed=2)
    with_conditions(data, {f"s{n}": "phone" for n in range(6)})
    trials = all_pairs(tmp_path / "trials.tsv", 6, 3)
    assert main(["score", "test", str(data), str(trials), "--scorer", str(scorer_dir),
                 "--save-dir", "out"]) == 0  # fmt: skip
    scores = pl.read_csv(tmp_path / "out" / "scores.tsv", separator="\t")
    assert set(scores["condition"]) == {"phone"}
    assert "by_condition" not in json.loads((tmp_path / "out" / "metrics.json").read_text())


def test_the_reference_and_calibration_data_record_their_conditions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ref = write_attributes(tmp_path / "ref", speakers=12, per_speaker=3, seed=1, prefix="r")
    with_conditions(ref, {f"r{n}": "phone" for n in range(12)})
    assert main(["score", "train", str(ref), "--calibrate", "3", "--save-dir", "scorer"]) == 0
    scorer = json.loads((tmp_path / "scorer" / "scorer.json").read_text())
    calibration = json.loads((tmp_path / "scorer" / "calibration.json").read_text())
    assert scorer["reference"]["conditions"] == ["phone"]
    assert calibration["data"]["conditions"] == ["phone"]
    data = write_attributes(tmp_path / "data", speakers=6, per_speaker=3, seed=2)
    with_conditions(data, {f"s{n}": "mp3_32k" for n in range(6)})
    trials = all_pairs(tmp_path / "trials.tsv", 6, 3)
    assert main(["score", "test", str(data), str(trials), "--scorer", "scorer",
                 "--save-dir", "dev"]) == 0  # fmt: skip
    assert main(["score", "calibrate", "dev/scores.tsv", "--save-dir", "cal"]) == 0
    fitted = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    assert fitted["data"]["conditions"] == ["mp3_32k"]
