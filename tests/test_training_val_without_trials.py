"""A val set of one recording per speaker (BA-LR 2.0's example test.csv) still trains."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from balr.data import AudioDataset
from balr.errors import ConfigError
from balr.losses import ArcFaceLoss, MSELoss
from balr.training import BinaryAttributeEncoderTrainer
from tests.test_trainer import DATA, write_dataset


@pytest.fixture(scope="module")
def one_per_speaker(tmp_path_factory: pytest.TempPathFactory) -> tuple[AudioDataset, AudioDataset]:
    root = tmp_path_factory.mktemp("one-per-speaker")
    train = AudioDataset.from_path(write_dataset(root / "train", 8, 6, seed=1))
    val = AudioDataset.from_path(write_dataset(root / "val", 6, 1, seed=2))
    return train, val


def trainer(datasets, save_dir: Path, losses, **kwargs) -> BinaryAttributeEncoderTrainer:
    train, val = datasets
    return BinaryAttributeEncoderTrainer(
        train, val, DATA, losses, input_dim=16, internal_dim=32, epochs=2, val_period=1,
        save_dir=save_dir, **kwargs,
    )  # fmt: skip


def test_val_without_same_speaker_pairs_trains_and_best_follows_val_loss(
    one_per_speaker, tmp_path: Path
) -> None:
    summary = trainer(one_per_speaker, tmp_path / "run", [MSELoss()]).train()
    assert summary["monitor"] == "val_loss"
    assert math.isnan(summary["best"]["metrics"]["eer"])
    assert summary["best"]["value"] == pytest.approx(summary["best"]["metrics"]["loss"])
    assert (tmp_path / "run" / "best.pt").is_file()
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert saved["monitor"] == "val_loss"


def test_val_without_trials_and_no_val_loss_is_a_config_error(
    one_per_speaker, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="no speaker trials"):
        trainer(one_per_speaker, tmp_path / "run", [ArcFaceLoss()]).train()
