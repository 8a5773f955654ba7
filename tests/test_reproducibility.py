"""Same seed and config through `balr train` → identical metrics.csv and weights."""

from __future__ import annotations

from pathlib import Path

import torch

from balr.cli.main import main

SETTINGS = ["trainer.epochs=3", "trainer.internal_dim=32", "trainer.val_period=1"]


def test_two_runs_with_one_seed_give_identical_metrics_and_weights(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)  # whatever the global RNG holds before, the run seeds itself
    assert main(["train", "--save-dir", "a", *SETTINGS]) == 0
    torch.rand(7)
    assert main(["train", "--save-dir", "b", *SETTINGS]) == 0
    assert (tmp_path / "a/metrics.csv").read_text() == (tmp_path / "b/metrics.csv").read_text()
    first = torch.load(tmp_path / "a/last.pt", weights_only=True)["model"]
    second = torch.load(tmp_path / "b/last.pt", weights_only=True)["model"]
    assert first.keys() == second.keys()
    assert all(torch.equal(first[key], second[key]) for key in first)


def test_another_seed_gives_other_weights(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--save-dir", "a", *SETTINGS]) == 0
    assert main(["train", "--save-dir", "b", *SETTINGS, "trainer.seed=7"]) == 0
    first = torch.load(tmp_path / "a/last.pt", weights_only=True)["model"]
    second = torch.load(tmp_path / "b/last.pt", weights_only=True)["model"]
    assert not torch.equal(first["decoder.0.weight"], second["decoder.0.weight"])
