"""Training curves: curves.png with matplotlib, TensorBoard events with tensorboard."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from balr.training.curves import TensorBoardSink, plot_curves

ROWS = [
    {"epoch": "1", "split": "train", "loss": "0.5", "mse": "0.4", "triplet": "0.1"},
    {"epoch": "2", "split": "train", "loss": "0.3", "mse": "0.25", "triplet": "0.05"},
    {"epoch": "2", "split": "val", "loss": "0.35", "mse": "0.3", "triplet": "0.05", "eer": "2.1"},
]


def _missing(package: str) -> bool:
    return importlib.util.find_spec(package) is None


def test_curves_png_is_written(tmp_path: Path) -> None:
    path = tmp_path / "curves.png"
    assert plot_curves(ROWS, ["mse", "triplet"], path, reference_eer=1.5, best_epoch=2)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_rows_draws_nothing(tmp_path: Path) -> None:
    assert not plot_curves([], ["mse"], tmp_path / "curves.png")
    assert not (tmp_path / "curves.png").exists()


@pytest.mark.skipif(_missing("tensorboard"), reason="tensorboard not installed")
def test_tensorboard_events_are_written(tmp_path: Path) -> None:
    sink = TensorBoardSink(tmp_path)
    sink.add(2, "val", {"loss": 0.35, "eer": 2.1})
    sink.close()
    assert list(tmp_path.glob("events.out.tfevents.*"))
