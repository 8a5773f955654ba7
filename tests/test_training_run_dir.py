"""choose_run_dir: the one way every command gets its run directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from balr.errors import RunDirError
from balr.training import run_dir as run_dirs
from balr.training.run_dir import choose_run_dir, discard_run_dir


def test_without_save_dir_the_next_free_numbered_folder_is_claimed(tmp_path: Path) -> None:
    first = choose_run_dir(None, False, tmp_path / "runs" / "compare", "case")
    second = choose_run_dir(None, False, tmp_path / "runs" / "compare", "case")
    assert first == (tmp_path / "runs" / "compare" / "case", True)
    assert second == (tmp_path / "runs" / "compare" / "case2", True)


def test_a_save_dir_is_created_or_reused_only_with_exist_ok(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert choose_run_dir(str(out), False, tmp_path / "runs", "x") == (out, True)
    (out / "report.html").write_text("kept")
    assert choose_run_dir(str(out), True, tmp_path / "runs", "x") == (out, False)
    with pytest.raises(RunDirError, match="add --exist-ok"):
        choose_run_dir(str(out), False, tmp_path / "runs", "x")
    assert not (tmp_path / "runs").exists()


def test_an_os_error_becomes_one_line_naming_the_folder(tmp_path: Path, monkeypatch) -> None:
    def refuse(path: Path, exist_ok: bool) -> tuple[Path, bool]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(run_dirs, "prepare_save_dir", refuse)
    with pytest.raises(RunDirError, match=r"in /x/out \(Permission denied\): give a --save-dir"):
        choose_run_dir("/x/out", False, tmp_path, "case")


def test_discarding_a_run_removes_the_empty_folders_its_claim_made(tmp_path: Path) -> None:
    run_dir, _ = choose_run_dir(None, False, tmp_path / "runs" / "score", "test")
    save_dir, _ = choose_run_dir(str(tmp_path / "new" / "deep" / "dir"), False, tmp_path, "x")
    discard_run_dir(run_dir)
    discard_run_dir(save_dir)
    assert list(tmp_path.iterdir()) == []


def test_discarding_a_run_keeps_folders_that_were_there_or_hold_other_runs(
    tmp_path: Path,
) -> None:
    (tmp_path / "runs").mkdir()
    first, _ = choose_run_dir(None, False, tmp_path / "runs" / "score", "test")
    choose_run_dir(None, False, tmp_path / "runs" / "score", "test")
    discard_run_dir(first)
    assert [p.name for p in (tmp_path / "runs" / "score").iterdir()] == ["test2"]
    third, _ = choose_run_dir(None, False, tmp_path / "runs" / "validate", "validate")
    discard_run_dir(third)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["runs", "score", "test2"]
