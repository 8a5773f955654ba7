"""Paths holding '=' (balr's own sweep folders, e.g. scorer=beta) are inputs, not overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from balr.cli.main import main
from balr.cli.overrides import split_inputs
from tests.score_data import all_pairs, beta_scorer_and_vectors, write_attributes


def test_an_existing_path_with_equals_is_an_input(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scorer=beta").mkdir()
    (tmp_path / "a=1_ba.npy").write_bytes(b"")
    (tmp_path / "b_ba.npy").write_bytes(b"")
    args = ["scorer=beta", "scorer=maxllr", "a=1_ba.npy,b_ba.npy", "x=1,y=2", "plain"]
    inputs, overrides = split_inputs(args)
    assert inputs == ["scorer=beta", "a=1_ba.npy,b_ba.npy", "plain"]
    assert overrides == ["scorer=maxllr", "x=1,y=2"]


def test_score_train_and_test_take_data_in_a_sweep_job_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    job = tmp_path / "multirun" / "scorer=beta,scorer.prior_precision=2"
    ref = write_attributes(job / "ref", speakers=6, per_speaker=3, prefix="r")
    assert main(["score", "train", str(ref), "scorer=maxllr"]) == 0
    summary = json.loads((tmp_path / "runs/scorer/train/summary.json").read_text())
    assert summary["scorer"] == "maxllr"
    data = write_attributes(job / "data", speakers=3, per_speaker=2)
    trials = all_pairs(job / "trials.tsv", 3, 2)
    assert main(["score", "test", str(data), str(trials), "--scorer", "runs/scorer/train"]) == 0
    assert (tmp_path / "runs/score/test/scores.tsv").is_file()


def test_compare_takes_sides_in_a_folder_with_equals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "job=2"
    r0, r1, r2 = beta_scorer_and_vectors(tmp_path / "scorer", folder, 3)
    overrides = _overrides_of(["compare", f"{r0},{r1}", str(r2), "--scorer", "scorer", "top=3"])
    assert overrides[:2] == [f"enrollment=['{r0}','{r1}']", f"test=['{r2}']"]
    assert overrides[-1] == "top=3"


def _overrides_of(argv: list[str]) -> list[str]:
    """The overrides a Hydra-backed command builds from `argv` (no run is made)."""
    from balr.cli import compare_cmd, degrade_cmd, validate_cmd
    from balr.cli.main import build_parser

    ns, extras = build_parser().parse_known_args(argv)
    ns.args = [*ns.args, *extras]  # as main() does: positionals may follow options
    commands = {"validate": validate_cmd, "degrade": degrade_cmd, "compare": compare_cmd}
    return commands[argv[0]].build_overrides(ns)


def test_validate_takes_scores_in_a_sweep_job_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    scores = Path("multirun/score/test/scorer=beta/scores.tsv")
    scores.parent.mkdir(parents=True)
    scores.write_text("enrollment\ttest\tllr\tlabel\n")
    overrides = _overrides_of(["validate", str(scores), "criteria.cllr_max=0.5"])
    assert "scorer=beta/scores.tsv" in overrides[0] and overrides[0].startswith("scores=[")
    assert overrides[-1] == "criteria.cllr_max=0.5"


def test_degrade_takes_an_input_folder_with_equals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "take=2").mkdir()
    overrides = _overrides_of(["degrade", "take=2", "--save-dir", "out", "condition=phone"])
    assert overrides[0] == f"input.path='{tmp_path / 'take=2'}'"
    assert overrides[-1] == "condition=phone"


def test_calibrate_apply_and_fuse_take_score_files_with_equals_literally(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.validation_data import write_scores

    monkeypatch.chdir(tmp_path)
    scores = write_scores(tmp_path / "scorer=beta" / "scores.tsv", n=80)
    other = write_scores(tmp_path / "scorer=maxllr" / "scores.tsv", n=80, separation=2.0)
    assert main(["score", "calibrate", str(scores), "--save-dir", "cal"]) == 0
    apply = ["score", "apply", str(other), "--calibration", "cal/calibration.json"]
    assert main([*apply, "--save-dir", "app"]) == 0
    assert main(["score", "fuse", str(scores), str(other), "--save-dir", "fused"]) == 0
    assert (tmp_path / "fused" / "fusion.json").is_file()
