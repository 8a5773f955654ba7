"""`balr train` end to end on the shared LibriSpeech sample (a few epochs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from balr.cli import train_cmd
from balr.cli.main import main

LIBRI = Path(__file__).resolve().parents[2] / "shared" / "data" / "librispeech-sample"
TRAIN, VAL = str(LIBRI / "train.csv"), str(LIBRI / "val.csv")
SMALL = [
    "trainer.epochs=2",
    "trainer.val_period=1",
    "trainer.internal_dim=64",
    "data.N_classes_per_batch=16",
    "data.M_samples_per_class=4",
    "data.batch_size=64",
]
ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(not LIBRI.is_dir(), reason="shared sample data not present")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_first_run_claims_runs_train_with_all_outputs(in_tmp: Path) -> None:
    assert main(["train", TRAIN, VAL, *SMALL]) == 0
    run = in_tmp / "runs" / "train"
    for name in (
        ".hydra/config.yaml",
        ".hydra/overrides.yaml",
        "train.log",
        "metrics.csv",
        "last.pt",
        "best.pt",
        "summary.json",
    ):
        assert (run / name).exists(), name
    summary = json.loads((run / "summary.json").read_text())
    assert summary["epochs_done"] == 2
    assert summary["best"]["metrics"]["eer"] >= 0


def test_second_run_gets_train2(in_tmp: Path) -> None:
    assert main(["train", TRAIN, VAL, *SMALL, "trainer.epochs=1"]) == 0
    assert main(["train", TRAIN, VAL, *SMALL, "trainer.epochs=1"]) == 0
    assert sorted(p.name for p in (in_tmp / "runs").iterdir()) == ["train", "train2"]


def test_seed_example_with_save_dir_device_and_losses(in_tmp: Path) -> None:
    status = main(
        [
            "train",
            "--save-dir",
            "training_output",
            "--device",
            "cpu",
            TRAIN,
            VAL,
            "trainer.epochs=1",
            "trainer.losses=[mse, arcface]",
            *SMALL[2:],
        ]
    )
    assert status == 0
    state = torch.load(in_tmp / "training_output" / "last.pt", weights_only=True)
    assert set(state["losses"]) == {"mse", "arcface"}
    assert not (in_tmp / "runs").exists()


def test_recipe_preset_runs(in_tmp: Path) -> None:
    status = main(
        ["train", TRAIN, VAL, "+experiment=recipe", "trainer.epochs=1", "trainer.internal_dim=64"]
    )
    assert status == 0
    config = (in_tmp / "runs" / "train" / ".hydra" / "config.yaml").read_text()
    assert "batch_size: 512" in config


def test_missing_dataset_is_one_line_error_and_leaves_no_run_dir(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", "nope.csv", VAL, *SMALL]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("balr: error:") and "nope.csv" in err[-1]
    assert not (in_tmp / "runs").exists() or not any((in_tmp / "runs").iterdir())


def test_more_speakers_per_batch_than_exist_is_an_error(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(
        [
            "train",
            TRAIN,
            VAL,
            "data.N_classes_per_batch=300",
            "data.M_samples_per_class=2",
            "data.batch_size=600",
        ]
    )
    assert status == 2
    assert "data.N_classes_per_batch" in capsys.readouterr().err
    assert not (in_tmp / "runs").exists()


def test_batch_size_mismatch_is_caught_before_any_directory(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", TRAIN, VAL, "data.batch_size=65"]) == 2
    assert "data.batch_size" in capsys.readouterr().err
    assert not (in_tmp / "runs").exists()


def test_input_dim_mismatch_names_the_key(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", TRAIN, VAL, *SMALL, "trainer.input_dim=128"]) == 2
    assert "trainer.input_dim=256" in capsys.readouterr().err


def test_help_lists_options_and_how_to_see_config_keys(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    for option in (
        "--save-dir",
        "--exist-ok",
        "--device",
        "--root-dir",
        "--audio-formats",
        "--resume",
        "--cfg job",
    ):
        assert option in out


def test_cfg_job_prints_the_config_without_a_run_dir(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", TRAIN, VAL, "--cfg", "job", "trainer.epochs=7"]) == 0
    assert "epochs: 7" in capsys.readouterr().out
    assert not (in_tmp / "runs").exists()


@pytest.mark.parametrize("launcher", [["-m", "balr"], [str(ROOT / "balr" / "cli" / "main.py")]])
def test_module_and_script_entry_points(in_tmp: Path, launcher: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, *launcher, "train", TRAIN, VAL, "--cfg", "job"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=in_tmp,
    )
    assert result.returncode == 0, result.stderr
    assert "_target_: balr.training.BinaryAttributeEncoderTrainer" in result.stdout


def fake_resumed_run(in_tmp: Path, monkeypatch, status: int, saves: bool) -> Path:
    """A run dir resumed with trainer.epochs=9 by an app that ends with `status`."""
    run_dir = in_tmp / "runs" / "train"
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text("- trainer.epochs=2\n")
    (run_dir / "last.pt").write_bytes(b"epoch 2")

    def app(name: str, overrides: list[str], folder: Path, **kwargs: object) -> int:
        (folder / ".hydra" / "overrides.yaml").write_text("- trainer.epochs=9\n")
        if saves:
            (folder / "last.pt").unlink()
            (folder / "last.pt").write_bytes(b"epoch 3")
        return status

    monkeypatch.setattr(train_cmd.hydra_launch, "run_app", app)
    assert main(["train", "--resume", str(run_dir), "trainer.epochs=9"]) == status
    return run_dir


def test_a_resume_that_saved_nothing_leaves_the_recorded_overrides(
    in_tmp: Path, monkeypatch
) -> None:
    run_dir = fake_resumed_run(in_tmp, monkeypatch, status=1, saves=False)
    assert (run_dir / ".hydra" / "overrides.yaml").read_text() == "- trainer.epochs=2\n"


def test_an_interrupted_resume_that_saved_keeps_its_overrides(in_tmp: Path, monkeypatch) -> None:
    # Its last.pt belongs to the resumed config: the next --resume must continue with it.
    run_dir = fake_resumed_run(in_tmp, monkeypatch, status=143, saves=True)
    assert (run_dir / ".hydra" / "overrides.yaml").read_text() == "- trainer.epochs=9\n"
