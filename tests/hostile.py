"""The shared harness of the hostile-input suites: one bad input through the CLI."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from balr.cli.main import main

# Only log records may come before the error line.
LOG_RECORD = re.compile(r"^\[(DEBUG|INFO|WARNING)\] ")

# A case builds its inputs in the given folder; returns (argv, names in the line, the fix).
Outcome = tuple[list[str], str, str]
Case = Callable[[Path], Outcome]


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file below `folder`, by relative path."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_bad_input(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> tuple[Path, Path, dict[str, str]]:
    """Run `case` from tmp_path/work; assert one `balr: error:` line naming the input and fix.

    Returns (inputs folder, work folder, the inputs' digest before the run).
    """
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    args, names, fix = case(inputs)
    before = digest(inputs)
    capsys.readouterr()
    status = main(args)
    out, err = capsys.readouterr()
    lines = err.splitlines()
    assert status == 2, err[-2000:]
    assert lines and lines[-1].startswith("balr: error: "), err[-2000:]
    assert all(LOG_RECORD.match(line) for line in lines[:-1]), err[-2000:]
    assert names in lines[-1] and fix in lines[-1], lines[-1]
    assert "Traceback" not in err + out
    return inputs, work, before


def assert_refused_cleanly(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """`run_bad_input`, then: nothing (not even an empty runs/ folder) was left in the work
    folder, the inputs are intact."""
    inputs, work, before = run_bad_input(case, tmp_path, monkeypatch, capsys)
    assert not any(work.iterdir()), sorted(work.rglob("*"))
    assert digest(inputs) == before
