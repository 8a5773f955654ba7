"""Paths holding '=' (balr's own sweep folders, e.g. scorer=beta) are inputs, not overrides."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from balr.cli.overrides import split_inputs
from balr.data.vectors import save_vector
from balr.scoring import BetaScorer
from tests.score_data import all_pairs, write_attributes


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
    rng = np.random.default_rng(0)
    bits = (rng.random((12, 8)) < 0.5).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, np.repeat(np.arange(4), 3))
    scorer.save(tmp_path / "scorer")
    folder = tmp_path / "job=2"
    for i in range(3):
        save_vector(folder / f"r{i}_ba.npy", bits[i])
    enroll = f"{folder / 'r0_ba.npy'},{folder / 'r1_ba.npy'}"
    args = ["compare", enroll, str(folder / "r2_ba.npy"), "--scorer", "scorer"]
    assert main([*args, "--save-dir", "case"]) == 0
    report = json.loads((tmp_path / "case" / "report.json").read_text())
    assert len(report["enrollment"]) == 2 and "job=2" in report["test"][0]["path"]
