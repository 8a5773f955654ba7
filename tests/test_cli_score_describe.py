"""`balr score describe`: the attribute table and attributes.png of a fitted scorer."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from balr.cli.main import main
from balr.scoring import BetaScorer, load_scorer


def fitted(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    bits = (rng.uniform(size=(60, 16)) < rng.uniform(0.1, 0.6, 16)).astype(np.uint8)
    bits[:, 3] = 0
    bits[:, 7] = 1
    scorer = BetaScorer()
    scorer.fit(bits, np.repeat(np.arange(20), 3))
    scorer.save(tmp_path / "scorer")
    return tmp_path / "scorer"


def test_describe_lists_excluded_attributes_and_draws_the_figure(tmp_path: Path, capsys) -> None:
    run_dir = fitted(tmp_path)
    assert main(["score", "describe", str(run_dir), "--top", "3"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "beta scorer: 16 attributes, 14 used, 2 excluded" in out
    assert "20 speakers, 60 recordings" in out
    assert "dead 1 (3)" in out and "always_on 1 (7)" in out
    assert "Most typical 3 attributes" in out and "Least typical 3 attributes" in out
    png = run_dir / "attributes.png"
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_describe_writes_into_save_dir_with_the_rate_axis(tmp_path: Path) -> None:
    run_dir = fitted(tmp_path)
    (tmp_path / "figs").mkdir()
    assert main(["score", "describe", str(run_dir), "--y", "rate", "--save-dir",
                 str(tmp_path / "figs")]) == 0  # fmt: skip
    assert (tmp_path / "figs" / "attributes.png").is_file()
    assert not (run_dir / "attributes.png").exists()


def test_describe_of_a_missing_run_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(["score", "describe", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("balr: error:") and err.count("\n") == 1


def test_describe_names_the_reference_set_the_scorer_was_fitted_on(tmp_path: Path, capsys):
    run_dir = fitted(tmp_path)
    scorer = load_scorer(run_dir)
    scorer.save(run_dir, reference={"name": "vox2/dev.csv", "path": "/data/vox2/dev.csv"})
    assert main(["score", "describe", str(run_dir)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "reference: vox2/dev.csv (20 speakers, 60 recordings)" in out
