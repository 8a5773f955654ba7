"""`balr train -m`: one sweep directory, a complete run per job, summary.csv and a table."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from balr.cli import train_cmd
from balr.cli.main import main
from balr.cli.runs_cmd import COLUMNS, print_table

SWEEP = ["-m", "trainer.losses=[mse],[mse,triplet]", "trainer.internal_dim=32,64"]
SHORT = ["trainer.epochs=1"]


@pytest.fixture
def swept(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    assert main(["train", *SWEEP, *SHORT]) == 0
    return tmp_path / "multirun" / "train"


def test_sweep_runs_one_complete_run_dir_per_job(swept: Path) -> None:
    jobs = sorted(p for p in swept.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert len(jobs) == 4
    for job in jobs:
        for name in ("last.pt", "best.pt", "metrics.csv", "summary.json", ".hydra/config.yaml"):
            assert (job / name).exists(), (job.name, name)


def test_job_dirs_are_named_after_their_overrides(swept: Path) -> None:
    names = {p.name for p in swept.iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert names == {
        f"+experiment=few_speakers,trainer.epochs=1,trainer.internal_dim={dim},trainer.losses={losses}"
        for dim in (32, 64)
        for losses in ("[mse]", "[mse,triplet]")
    }


def test_sweep_table_shows_job_names_verbatim(capsys) -> None:
    rows = [{column: None for column in COLUMNS} | {"run": "trainer.losses=[mse,triplet]"}]
    print_table(rows, "sweep multirun/[x]")
    out = capsys.readouterr().out
    assert "trainer.losses=[mse,triplet]" in out and "multirun/[x]" in out


def test_summary_csv_lists_every_job_sorted_by_val_eer(capsys, swept: Path) -> None:
    with (swept / "summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 4
    assert {row["dims"] for row in rows} == {"256->32", "256->64"}
    eers = [float(row["val_eer"]) for row in rows]
    assert eers == sorted(eers)
    assert all(0 <= float(row["val_cllr_min"]) <= float(row["val_cllr"]) for row in rows)
    assert all((swept / row["run"] / "summary.json").is_file() for row in rows)
    assert "sweep" in capsys.readouterr().out


def test_a_second_sweep_gets_the_next_directory(swept: Path) -> None:
    assert main(["train", "-m", "trainer.internal_dim=32", *SHORT]) == 0
    assert (swept.parent / "train2" / "summary.csv").is_file()


@pytest.mark.slow
def test_submitit_local_launcher_runs_the_sweep(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    sweep = ["-m", "trainer.internal_dim=32,64", *SHORT, "hydra/launcher=submitit_local"]
    assert main(["train", *sweep]) == 0
    sweep_dir = tmp_path / "multirun" / "train"
    with (sweep_dir / "summary.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    for row in rows:
        assert (sweep_dir / row["run"] / "last.pt").is_file(), row["run"]


def test_a_sweep_of_nproc_per_node_runs_is_refused_before_any_directory(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", "-m", "--nproc-per-node", "2", "trainer.internal_dim=32,64"]) == 2
    assert "--nproc-per-node runs one training" in capsys.readouterr().err
    assert not (tmp_path / "multirun").exists() and not (tmp_path / "runs").exists()


def test_a_sweep_with_one_invalid_combination_is_refused_before_any_directory(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    # Each value is valid alone; N=64 with batch_size=128 is not (M=4: 64 x 4 = 256).
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(train_cmd.hydra_launch, "run_app", _no_job_may_run)
    sweep = ["-m", "data.N_classes_per_batch=32,64", "data.batch_size=128,256"]
    assert main(["train", *sweep, *SHORT]) == 2
    assert "data.batch_size=" in capsys.readouterr().err
    assert not (tmp_path / "multirun").exists()


def _no_job_may_run(*args: object, **kwargs: object) -> int:
    raise AssertionError("a job ran")


def test_a_job_failing_mid_sweep_keeps_the_jobs_that_trained(tmp_path: Path, monkeypatch) -> None:
    # input_dim=100 passes every config check; only the data (256 dims) refutes it.
    monkeypatch.chdir(tmp_path)
    assert main(["train", "-m", "trainer.input_dim=256,100", *SHORT]) == 2
    trained = list((tmp_path / "multirun" / "train").rglob("last.pt"))
    assert len(trained) == 1 and trained[0].parent.name.endswith("trainer.input_dim=256")
