"""BinaryAttributeEncoderTrainer through the Python API, on small tmp datasets."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from balr.config import DataConfig
from balr.data import AudioDataset
from balr.errors import ConfigError
from balr.losses import MSELoss, TripletMarginLoss
from balr.training import BinaryAttributeEncoderTrainer


def write_dataset(
    folder: Path, speakers: int, per_speaker: int, dim: int = 16, seed: int = 0
) -> Path:
    """Clustered random embeddings as .npy files plus a CSV (id, embedding, speaker)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    rows = []
    for s in range(speakers):
        centre = rng.normal(size=dim)
        for u in range(per_speaker):
            vector = (centre + 0.3 * rng.normal(size=dim)).astype(np.float32)
            name = f"spk{s:03d}_{u}.npy"
            np.save(folder / name, vector)
            rows.append({"id": f"spk{s:03d}/{u}", "embedding": name, "speaker": f"spk{s:03d}"})
    path = folder / "data.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "embedding", "speaker"])
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def datasets(tmp_path_factory: pytest.TempPathFactory) -> tuple[AudioDataset, AudioDataset]:
    root = tmp_path_factory.mktemp("trainer-data")
    train = AudioDataset.from_path(write_dataset(root / "train", 12, 6, seed=1))
    val = AudioDataset.from_path(write_dataset(root / "val", 5, 4, seed=2))
    return train, val


DATA = DataConfig(batch_size=16, N_classes_per_batch=4, M_samples_per_class=4, use_cache=False)


def make_trainer(datasets, save_dir: Path, **kwargs) -> BinaryAttributeEncoderTrainer:
    train, val = datasets
    options = {
        "input_dim": 16,
        "internal_dim": 32,
        "epochs": 4,
        "save_dir": save_dir,
        "verbose": False,
        **kwargs,
    }
    return BinaryAttributeEncoderTrainer(
        train, val, DATA, [MSELoss(), TripletMarginLoss()], **options
    )


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_periods_decide_metrics_rows_and_checkpoints(datasets, tmp_path: Path) -> None:
    make_trainer(datasets, tmp_path, epochs=4, log_period=1, val_period=2, save_period=3).train()
    rows = read_rows(tmp_path / "metrics.csv")
    assert [(r["epoch"], r["split"]) for r in rows] == [
        ("1", "train"),
        ("2", "train"),
        ("2", "val"),
        ("3", "train"),
        ("4", "train"),
        ("4", "val"),
    ]
    assert {"loss", "mse", "triplet", "eer", "min_dcf_0.01"} <= set(rows[0])
    assert {"llr_eer", "cllr_min", "cllr"} <= set(rows[0])
    names = {p.name for p in tmp_path.iterdir()}
    assert {"last.pt", "best.pt", "epoch3.pt", "summary.json", "metrics.csv"} <= names
    assert "epoch1.pt" not in names and "epoch2.pt" not in names


def test_val_period_zero_validates_only_after_last_epoch(datasets, tmp_path: Path) -> None:
    make_trainer(datasets, tmp_path, epochs=3, log_period=0, val_period=0).train()
    rows = read_rows(tmp_path / "metrics.csv")
    assert [(r["epoch"], r["split"]) for r in rows] == [("3", "train"), ("3", "val")]


def test_summary_reports_best_epoch_and_reference(datasets, tmp_path: Path) -> None:
    summary = make_trainer(datasets, tmp_path, epochs=2, val_period=1).train()
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["epochs_done"] == 2
    assert on_disk["best"]["epoch"] in (1, 2)
    assert on_disk["reference"]["eer"] == pytest.approx(summary["reference"]["eer"])
    assert set(on_disk["losses"]) == {"mse", "triplet"}


def test_checkpoint_is_a_weights_only_dict(datasets, tmp_path: Path) -> None:
    make_trainer(datasets, tmp_path, epochs=1).train()
    state = torch.load(tmp_path / "last.pt", weights_only=True)
    assert state["epoch"] == 1
    assert state["model_config"] == {"input_dim": 16, "internal_dim": 32}
    assert {"model", "optimizer", "rng", "best", "losses"} <= set(state)


def test_training_lowers_the_loss(datasets, tmp_path: Path) -> None:
    make_trainer(datasets, tmp_path, epochs=15, log_period=1, val_period=5).train()
    rows = [r for r in read_rows(tmp_path / "metrics.csv") if r["split"] == "train"]
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])


def test_same_seed_gives_identical_metrics_and_weights(datasets, tmp_path: Path) -> None:
    make_trainer(datasets, tmp_path / "a", epochs=3, val_period=1).train()
    make_trainer(datasets, tmp_path / "b", epochs=3, val_period=1).train()
    assert (tmp_path / "a/metrics.csv").read_text() == (tmp_path / "b/metrics.csv").read_text()
    a = torch.load(tmp_path / "a/last.pt", weights_only=True)["model"]
    b = torch.load(tmp_path / "b/last.pt", weights_only=True)["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_resume_continues_to_the_same_weights(datasets, tmp_path: Path) -> None:
    make_trainer(datasets, tmp_path / "full", epochs=4, val_period=2).train()
    make_trainer(datasets, tmp_path / "part", epochs=2, val_period=2).train()
    make_trainer(
        datasets, tmp_path / "part", epochs=4, val_period=2, resume=tmp_path / "part"
    ).train()
    full = torch.load(tmp_path / "full/last.pt", weights_only=True)["model"]
    part = torch.load(tmp_path / "part/last.pt", weights_only=True)["model"]
    assert all(torch.equal(full[k], part[k]) for k in full)
    assert (tmp_path / "full/metrics.csv").read_text() == (
        tmp_path / "part/metrics.csv"
    ).read_text()


def test_save_dir_none_claims_runs_train(datasets, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_trainer(datasets, None, epochs=1).train()
    assert (tmp_path / "runs" / "train" / "last.pt").is_file()


def test_input_dim_must_match_the_data(datasets, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"trainer\.input_dim=8"):
        make_trainer(datasets, tmp_path, input_dim=8).train()


def test_unknown_option_is_rejected(datasets, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown trainer option"):
        make_trainer(datasets, tmp_path, learning_rte=0.1)


def test_negative_epochs_are_rejected(datasets, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"trainer\.epochs"):
        make_trainer(datasets, tmp_path, epochs=-1)


def test_unknown_init_is_rejected(datasets, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"trainer\.init='xavier'"):
        make_trainer(datasets, tmp_path, init="xavier")


def test_hyperplane_init_starts_from_the_hash_of_the_train_data(datasets, tmp_path: Path) -> None:
    trainer = make_trainer(datasets, tmp_path / "h", epochs=0)
    trainer.setup()
    first = trainer.model.encoder[0]
    mean = trainer.train_table.embeddings.mean(0)
    assert torch.allclose(first(mean), torch.zeros(32), atol=1e-5)
    kaiming = make_trainer(datasets, tmp_path / "k", epochs=0, init="kaiming")
    kaiming.setup()
    assert not torch.allclose(kaiming.model.encoder[0](mean), torch.zeros(32), atol=1e-3)


@pytest.mark.parametrize(
    ("monitor", "column"),
    [
        ("val_eer", "eer"),
        ("val_min_dcf", "min_dcf_0.01"),
        ("val_loss", "loss"),
        ("val_cllr_min", "cllr_min"),
    ],
)
def test_best_checkpoint_tracks_the_monitored_metric(
    datasets, tmp_path: Path, monitor: str, column: str
) -> None:
    summary = make_trainer(datasets, tmp_path, epochs=6, val_period=1, monitor=monitor).train()
    rows = [r for r in read_rows(tmp_path / "metrics.csv") if r["split"] == "val"]
    values = [float(r[column]) for r in rows]
    best_epoch = int(rows[values.index(min(values))]["epoch"])
    assert summary["best"]["epoch"] == best_epoch
    assert summary["best"]["value"] == pytest.approx(min(values))
    assert torch.load(tmp_path / "best.pt", weights_only=True)["epoch"] == best_epoch


def test_a_signal_during_a_checkpoint_write_arrives_after_the_file_is_complete(
    tmp_path: Path,
) -> None:
    import os
    import signal

    from balr.training.checkpoint import atomic_write_bytes

    class Preempted(Exception):
        pass

    def handler(signum: int, frame: object) -> None:
        raise Preempted

    def write(handle) -> None:
        handle.write(b"first half,")
        os.kill(os.getpid(), signal.SIGUSR2)  # a scheduler's warning, mid-write
        handle.write(b"second half")

    previous = signal.signal(signal.SIGUSR2, handler)
    try:
        with pytest.raises(Preempted):
            atomic_write_bytes(tmp_path / "last.pt", write)
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert (tmp_path / "last.pt").read_bytes() == b"first half,second half"


def test_atomic_writes_get_the_usual_file_mode(tmp_path: Path) -> None:
    # Not mkstemp's private 0600: teammates read each other's checkpoints and summaries.
    from balr.training.checkpoint import atomic_write_bytes

    mask = os.umask(0)
    os.umask(mask)
    atomic_write_bytes(tmp_path / "summary.json", lambda handle: handle.write(b"{}"))
    assert (tmp_path / "summary.json").stat().st_mode & 0o777 == 0o666 & ~mask


def test_a_library_run_writes_its_log_into_the_run_dir(datasets, tmp_path: Path) -> None:
    make_trainer(datasets, tmp_path / "run", epochs=2, verbose=True).train()
    log = (tmp_path / "run" / "train.log").read_text()
    assert "training 2 epochs" in log and "done: 2 epochs" in log


def test_epoch_lines_follow_log_period_and_validations(datasets, tmp_path: Path) -> None:
    make_trainer(datasets, tmp_path, epochs=5, log_period=2, val_period=0, verbose=True).train()
    log = (tmp_path / "train.log").read_text()
    announced = [n for n in range(1, 6) if f"epoch {n}/5  train" in log]
    assert announced == [2, 4, 5]  # every 2nd epoch, and the last (validated) one


def test_host_staged_batches_train_exactly_like_device_gathers(datasets, tmp_path: Path) -> None:
    # The path of a GPU too small for the table, run on the CPU with unpinned buffers.
    from balr.training.gather import HostStagedGather

    class NoEvent:
        def record(self) -> None: ...

        def synchronize(self) -> None: ...

    plain = make_trainer(datasets, tmp_path / "plain", epochs=1)
    plain.setup()
    plain.train_one_epoch(1)
    staged = make_trainer(datasets, tmp_path / "staged", epochs=1)
    staged.setup()
    staged._host_gather = HostStagedGather(
        staged.train_x,
        staged.train_y,
        staged.device,
        rows=DATA.batch_size,
        pin=False,
        new_event=NoEvent,
    )
    staged.train_one_epoch(1)
    for key, value in plain.model.state_dict().items():
        assert torch.equal(value, staged.model.state_dict()[key]), key


def test_val_llr_metrics_reach_metrics_csv_log_and_summary(datasets, tmp_path: Path) -> None:
    summary = make_trainer(datasets, tmp_path, epochs=2, val_period=1, verbose=True).train()
    rows = [r for r in read_rows(tmp_path / "metrics.csv") if r["split"] == "val"]
    assert len(rows) == 2
    for row in rows:
        assert 0 <= float(row["llr_eer"]) <= 100
        assert 0 <= float(row["cllr_min"]) <= 1 + 1e-9  # PAV never does worse than LR = 1
        assert float(row["cllr"]) >= float(row["cllr_min"])
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    for metrics in (on_disk["best"]["metrics"], on_disk["final"]["val"]):
        assert {"llr_eer", "cllr_min", "cllr"} <= set(metrics)
    assert summary["final"]["val"]["cllr_min"] == pytest.approx(float(rows[-1]["cllr_min"]))
    log = (tmp_path / "train.log").read_text()
    assert "LLR EER" in log and "Cllr_min" in log


def test_val_llr_metrics_use_the_train_reference_and_the_val_trials(
    datasets, tmp_path: Path
) -> None:
    from balr.evaluation import cllr, cllr_min, compute_eer
    from balr.scoring import BetaScorer

    trainer = make_trainer(datasets, tmp_path, epochs=1)
    trainer.train()
    val = trainer.validate()
    model, validator = trainer.model.eval(), trainer.validator
    with torch.no_grad():
        reference = model(trainer.train_table.embeddings)[1].numpy().astype(np.uint8)
        bits = model(validator.embeddings)[1].numpy().astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(reference, trainer.train_table.labels.numpy())
    trials = validator.trials
    llrs = scorer.score_pairs(bits[trials.enroll], bits[trials.test])
    assert val["llr_eer"] == pytest.approx(compute_eer(llrs, trials.labels))
    assert val["cllr_min"] == pytest.approx(cllr_min(llrs, trials.labels))
    assert val["cllr"] == pytest.approx(cllr(llrs, trials.labels))


def test_val_scorer_speakers_zero_turns_the_llr_metrics_off(datasets, tmp_path: Path) -> None:
    make_trainer(datasets, tmp_path, epochs=1, val_scorer_speakers=0).train()
    (row,) = [r for r in read_rows(tmp_path / "metrics.csv") if r["split"] == "val"]
    assert "eer" in row and not {"llr_eer", "cllr_min", "cllr"} & set(row)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"val_scorer_speakers": -1}, "trainer.val_scorer_speakers=-1"),
        ({"val_scorer_speakers": 0, "monitor": "val_cllr_min"}, "trainer.val_scorer_speakers"),
    ],
)
def test_bad_val_scorer_settings_are_config_errors(
    datasets, tmp_path: Path, options: dict, fragment: str
) -> None:
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        make_trainer(datasets, tmp_path, **options)


def test_a_nan_best_gives_way_to_the_next_number(datasets, tmp_path: Path) -> None:
    # LLR metrics are NaN when no scorer can be fitted; best.pt must not stick to that epoch.
    trainer = make_trainer(datasets, tmp_path, monitor="val_cllr_min")
    assert trainer._update_best(1, {"cllr_min": float("nan")})
    assert trainer._update_best(2, {"cllr_min": 0.5})
    assert not trainer._update_best(3, {"cllr_min": float("nan")})
    assert not trainer._update_best(4, {"cllr_min": 0.7})
    assert trainer.best["epoch"] == 2
