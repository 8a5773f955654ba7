"""Ctrl-C during a command: the run directory it created is removed, as after a user error."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pytest

from balr.cli import hydra_launch
from balr.cli.main import main
from tests.score_data import all_pairs, beta_scorer_and_vectors, write_attributes


def interrupt(*args: object, **kwargs: object) -> NoReturn:
    raise KeyboardInterrupt


def test_ctrl_c_in_score_test_leaves_no_run_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    beta_scorer_and_vectors(tmp_path / "scorer", tmp_path, 0)
    data = write_attributes(tmp_path / "data", speakers=3, per_speaker=2, k=8)
    trials = all_pairs(tmp_path / "trials.tsv", 3, 2)
    # Interrupted after the run dir, its .hydra and log exist, while the scores are written.
    monkeypatch.setattr("balr.scoring.score_files.write_scores", interrupt)
    args = ["score", "test", str(data), str(trials), "--scorer", "scorer"]
    assert main(args) == 130
    assert not (tmp_path / "runs" / "score").exists()
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    assert main(args) == 0
    assert (tmp_path / "runs" / "score" / "test" / "scores.tsv").is_file()


def test_ctrl_c_in_compare_leaves_no_case_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    sides = [str(p) for p in beta_scorer_and_vectors(tmp_path / "scorer", tmp_path, 2)]
    monkeypatch.setattr("balr.cli.compare_app.load_side", interrupt)
    assert main(["compare", *sides, "--scorer", str(tmp_path / "scorer")]) == 130
    assert not (tmp_path / "runs").exists()


def test_an_interrupted_run_dir_that_was_there_before_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hydra_launch, "run_app", interrupt)
    (tmp_path / "given").mkdir()
    with pytest.raises(KeyboardInterrupt):
        hydra_launch.run_app_in("score_test", [], tmp_path / "given", created=False)
    assert (tmp_path / "given").is_dir()


def test_an_interrupted_resumable_run_stays_for_the_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # balr extract --save-dir: the vectors made so far are what a rerun continues from.
    monkeypatch.setattr(hydra_launch, "run_app", interrupt)
    (tmp_path / "emb").mkdir()
    (tmp_path / "emb" / "a_emb.npy").write_bytes(b"done")
    with pytest.raises(KeyboardInterrupt):
        hydra_launch.run_app_in("extract", [], tmp_path / "emb", created=True, resumable=True)
    assert (tmp_path / "emb" / "a_emb.npy").is_file()
