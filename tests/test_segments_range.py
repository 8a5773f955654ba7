"""Segment lengths outside 0.5 s .. 1 h are refused in one line (balr extract, balr compare)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from balr.cli.main import main
from balr.errors import ConfigError
from balr.extract.segments import check_segment_seconds


@pytest.mark.parametrize("seconds", [float("inf"), float("nan"), 0.01, 0.0, -2.0, 7200.0])
def test_lengths_outside_the_range_are_refused(seconds: float) -> None:
    with pytest.raises(ConfigError, match=r"between 0\.5 and 3600 seconds"):
        check_segment_seconds(seconds, "--segments")


@pytest.mark.parametrize("seconds", [0.5, 2.0, 3600.0])
def test_lengths_in_the_range_pass(seconds: float) -> None:
    check_segment_seconds(seconds, "--segments")


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--segments", "inf"], "--segments inf"),
        (["--segments", "0.01"], "--segments 0.01"),
        (["extract.segments=0.01"], "extract.segments=0.01"),
    ],
)
def test_extract_refuses_a_segment_length_outside_the_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys, args: list[str], named: str
) -> None:
    monkeypatch.chdir(tmp_path)
    sf.write(tmp_path / "a.wav", np.zeros(16000, np.float32), 16000)
    assert main(["extract", str(tmp_path / "a.wav"), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"balr: error: {named}: give a segment length between 0.5")
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("*.csv"))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "runs") == ["a.wav"]
