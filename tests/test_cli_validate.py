"""`balr validate` through the CLI: run directories, options and criteria keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from balr.cli.main import main
from tests.validation_data import write_scores


def test_validate_writes_runs_validate_with_names_criteria_and_intervals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = write_scores(tmp_path / "in" / "a" / "scores.tsv", separation=2.0)
    b = write_scores(tmp_path / "in" / "b" / "scores.tsv", seed=1, separation=3.0)
    monkeypatch.chdir(tmp_path)
    status = main(
        [
            "validate",
            str(a),
            str(b),
            "--name",
            "short",
            "long",
            "--duration",
            "2",
            "4",
            "criteria.cllr_max=0.01",
            "--bootstrap",
            "5",
        ]
    )
    assert status == 0
    out = tmp_path / "runs" / "validate" / "validate"
    saved = json.loads((out / "validation.json").read_text())
    assert list(saved["metrics"]) == ["short", "long"]
    assert saved["criteria"]["cllr_max"] == 0.01
    accuracy = saved["table"][0]
    assert accuracy["decision"] is False and "≤ 0.010 bits" in accuracy["criterion"]
    assert saved["bootstrap"]["replicates"] == 5
    assert (out / "coherence.png").is_file()
    assert main(["validate", str(a), "--save-dir", str(tmp_path / "mine")]) == 0
    assert (tmp_path / "mine" / "validation.html").is_file()
    assert not (tmp_path / "runs" / "validate" / "validate2").exists()


def test_a_baseline_is_measured_and_named_in_the_report(tmp_path: Path) -> None:
    a = write_scores(tmp_path / "method" / "scores.tsv", separation=3.0)
    base = write_scores(tmp_path / "base" / "scores.tsv", seed=2, separation=2.0)
    out = tmp_path / "out"
    assert main(["validate", str(a), "--baseline", str(base), "--save-dir", str(out)]) == 0
    saved = json.loads((out / "validation.json").read_text())
    assert saved["baseline"]["source"] == str(base.absolute())
    assert "baseline" in saved["table"][0]["criterion"]
    assert "Baseline" in (out / "validation.html").read_text()
