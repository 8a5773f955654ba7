"""Outputs that cannot be written are one line with the fix, and leave nothing half-written.

Tests run as root, for whom permission bits do not block writes: the failing write is made
to raise as a read-only folder would (PermissionError), and `os.access` to answer no.
"""

from __future__ import annotations

import errno
from pathlib import Path
from typing import NoReturn

import pytest

from balr.cli.main import main
from tests.score_data import saved_beta_scorer, write_attributes


def denied(*args: object, **kwargs: object) -> NoReturn:
    raise PermissionError(errno.EACCES, "Permission denied")


def test_trial_lists_into_a_read_only_folder_are_one_line_and_none_is_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    data = write_attributes(tmp_path / "data", speakers=4, per_speaker=2)
    calls: list[Path] = []

    def second_fails(path: Path, *args: object) -> None:
        calls.append(path)
        if len(calls) == 2:
            denied()
        Path(path).write_text("enrollment\ttest\n")

    monkeypatch.setattr("balr.evaluation.trial_io.write_trials", second_fails)
    out = tmp_path / "lists"
    assert main(["score", "trials", str(data), "--out-dir", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"balr: error: --out-dir {out}: cannot write the trial lists (Permission denied):"
        " give a folder you can write to"
    )
    assert not out.exists()


def test_describe_of_a_read_only_run_points_to_save_dir_before_any_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    run = saved_beta_scorer(tmp_path / "scorer")
    monkeypatch.setattr("balr.cli.score_describe.os.access", lambda path, mode: False)
    assert main(["score", "describe", str(run)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == (
        f"balr: error: {run} (the scorer run) is not writable: give --save-dir FOLDER you can"
        " write to"
    )


def test_describe_whose_figure_cannot_be_written_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    run = saved_beta_scorer(tmp_path / "scorer")
    monkeypatch.setattr("balr.report.figure.attributes_figure", denied)
    assert main(["score", "describe", str(run)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"balr: error: cannot write {run / 'attributes.png'} (Permission denied): give"
        " --save-dir FOLDER you can write to"
    ]
    assert not (run / "attributes.png").exists()
