"""The guard on user files: devices, FIFOs and folders are refused, reads are bounded."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from balr.data import guard
from balr.data.reader import read_vectors
from balr.data.vectors import load_vector, open_matrix
from balr.errors import CalibrationError, DatasetError, VectorFileError
from balr.evaluation.calibration import Calibration
from balr.evaluation.trial_io import read_trial_frame
from balr.scoring import load_scorer
from balr.scoring.base import ScorerError
from balr.scoring.score_files import read_scores
from tests.score_data import saved_beta_scorer


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A named pipe no one writes to; a reader that waits on it is released after 5 s."""
    path = tmp_path / "pipe_ba.npy"
    os.mkfifo(path)
    done = threading.Event()

    def release() -> None:
        if not done.wait(5):
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))

    thread = threading.Thread(target=release, daemon=True)
    thread.start()
    yield path
    done.set()
    thread.join()


def test_a_fifo_vector_is_refused_without_waiting(fifo: Path) -> None:
    with pytest.raises(VectorFileError, match=r"pipe_ba\.npy: is a FIFO .*not a regular file"):
        load_vector(fifo, "binary_attributes")


def test_dev_zero_as_a_vector_is_refused_not_read() -> None:
    with pytest.raises(VectorFileError, match=r"/dev/zero: is a device"):
        load_vector(Path("/dev/zero"))


def test_the_bulk_reader_refuses_a_device_among_files(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.ones(4, np.float32))
    with pytest.raises(VectorFileError, match=r"/dev/zero: is a device"):
        read_vectors([tmp_path / "a.npy", Path("/dev/zero")], progress=False)


def test_a_folder_as_a_vector_is_named_a_folder(tmp_path: Path) -> None:
    (tmp_path / "v.npy").mkdir()
    with pytest.raises(VectorFileError, match=r"v\.npy: is a folder"):
        load_vector(tmp_path / "v.npy")


def test_a_vector_file_beyond_the_limit_is_refused(tmp_path: Path, monkeypatch) -> None:
    np.save(tmp_path / "big.npy", np.ones(1000, np.float32))
    monkeypatch.setattr("balr.data.vectors.VECTOR_LIMIT", 1024)
    with pytest.raises(VectorFileError, match=r"big\.npy: holds 4,128 bytes"):
        load_vector(tmp_path / "big.npy")


def test_a_read_stops_at_the_limit_when_the_size_lies(tmp_path: Path) -> None:
    # /proc files report size 0 but hold more: the guard reads no further than the limit.
    status = Path("/proc/self/status")
    with pytest.raises(VectorFileError, match="beyond the 16 bytes"):
        guard.read_limited(status, 16, VectorFileError, "vector file")


def test_a_packed_matrix_that_is_a_fifo_is_refused(fifo: Path) -> None:
    with pytest.raises(VectorFileError, match="is a FIFO"):
        open_matrix(fifo)


def test_calibration_from_dev_zero_or_a_fifo_is_refused(fifo: Path) -> None:
    for path in (Path("/dev/zero"), fifo):
        with pytest.raises(CalibrationError, match="not a regular file: give a calibration"):
            Calibration.load(path)


def test_an_oversized_calibration_is_refused(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "calibration.json"
    path.write_text(json.dumps({"kind": "affine", "a": 1.0, "b": 0.0, "pad": "x" * 4096}))
    monkeypatch.setattr("balr.evaluation.calibration_file.CALIBRATION_LIMIT", 1024)
    with pytest.raises(CalibrationError, match="beyond the"):
        Calibration.load(path)


@pytest.mark.parametrize("name", ["scorer.json", "parameters.npz"])
def test_scorer_files_that_are_fifos_are_refused(tmp_path: Path, name: str, fifo: Path) -> None:
    folder = saved_beta_scorer(tmp_path / "scorer")
    (folder / name).unlink()
    os.rename(fifo, folder / name)
    with pytest.raises(ScorerError, match=rf"{name}: is a FIFO"):
        load_scorer(folder)


def test_a_scorer_given_as_dev_zero_is_refused() -> None:
    with pytest.raises(ScorerError, match="/dev/zero: is a device"):
        load_scorer(Path("/dev/zero"))


ListReader = Callable[[Path], object]


@pytest.mark.parametrize(
    ("reader", "what"),
    [(read_trial_frame, "trial list"), (read_scores, "scores.tsv")],
    ids=["trials", "scores"],
)
def test_trial_and_score_lists_that_are_fifos_are_refused(
    fifo: Path, reader: ListReader, what: str
) -> None:
    with pytest.raises(DatasetError, match=rf"is a FIFO .*give a {what}"):
        reader(fifo)


def test_a_dataset_csv_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    from balr.data import AudioDataset

    os.mkfifo(tmp_path / "data.csv")
    with pytest.raises(DatasetError, match=r"data\.csv: is a FIFO .*give a dataset CSV"):
        AudioDataset.from_path(tmp_path / "data.csv")


def test_a_model_checkpoint_that_is_a_device_is_refused() -> None:
    from balr.errors import CheckpointError
    from balr.models.loading import load_model_state

    with pytest.raises(CheckpointError, match="/dev/zero: is a device"):
        load_model_state(Path("/dev/zero"))
