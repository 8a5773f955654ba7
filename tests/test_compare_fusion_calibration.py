"""`balr compare --fusion`: the fusion is named as the calibration, with the data it rests on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from balr.cli.main import main
from tests.score_data import all_pairs
from tests.test_cli_score_embeddings import write_both


def test_compare_with_a_fusion_names_it_and_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    ref = write_both(tmp_path / "ref", speakers=12, per=4, seed=1, prefix="r")
    data = write_both(tmp_path / "data", speakers=6, per=3, seed=2)
    trials = all_pairs(tmp_path / "trials.tsv", speakers=6, per_speaker=3)
    for name in ("beta", "cosine"):
        assert main(["score", "train", str(ref), f"scorer={name}", "--save-dir", f"sc/{name}"]) == 0
        args = [str(data), str(trials), "--scorer", f"sc/{name}", "--save-dir", name]
        assert main(["score", "test", *args]) == 0
    fuse = ["score", "fuse", "beta/scores.tsv", "cosine/scores.tsv", "--save-dir", "fused"]
    assert main(fuse) == 0
    capsys.readouterr()
    args = ["compare", "s0/u0", "s0/u1", "--data", str(data), "--scorer", "sc/beta"]
    assert main([*args, "--fusion", "fused/fusion.json", "--save-dir", "case"]) == 0
    log = capsys.readouterr()
    said = [line for line in (log.err + log.out).splitlines() if "] calibration:" in line]
    assert len(said) == 1
    assert said[0].endswith("fused/fusion.json (--fusion), with its ELUB bounds")
    recorded = json.loads((tmp_path / "case" / "report.json").read_text())["calibration"]["data"]
    bounds = json.loads((tmp_path / "fused" / "fusion.json").read_text())["bounds"]
    assert (recorded["n_target"], recorded["n_nontarget"]) == (
        bounds["n_target"],
        bounds["n_nontarget"],
    )
    assert "beta/scores.tsv" in recorded["file"] and "cosine/scores.tsv" in recorded["file"]
    assert (
        "not recorded in the calibration file"
        not in (tmp_path / "case" / "report.html").read_text()
    )
