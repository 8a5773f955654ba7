"""Where the shared reference audio and vectors are, for the extraction tests.

CI checks the repository out with ``shared/`` beside it; a local run without it
skips these tests, but under ``CI=true`` a missing folder is a failure.
"""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
LIBRISPEECH_VAL = SHARED / "data" / "librispeech-audio" / "val"


def shared_data(name: str) -> Path:
    """``shared/data/<name>``; skip (fail on CI) when absent."""
    path = SHARED / "data" / name
    if not path.is_dir():
        message = f"{path} is missing: the shared data must sit beside the repository"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def reference_vectors(folder: Path, csv_name: str) -> dict[str, np.ndarray]:
    """id -> float32 vector of a shared sample's CSV (``id,embedding,speaker``)."""
    with (folder / csv_name).open(newline="") as f:
        return {
            row["id"]: np.loadtxt(folder / row["embedding"], dtype=np.float32)
            for row in csv.DictReader(f)
        }


def voxceleb_sources(sample: Path) -> dict[str, str]:
    """Recording id -> audio path (relative to voxceleb-audio) of every utterance row."""
    with (sample / "segments_info.csv").open(newline="") as f:
        return {row["id"]: row["source"] for row in csv.DictReader(f) if row["kind"] == "utterance"}


def librispeech_id(path: Path) -> str:
    """``ls<speaker>/<chapter>-<utterance>`` of a LibriSpeech file ``<s>-<c>-<u>.flac``."""
    speaker, chapter, utterance = path.stem.split("-")
    return f"ls{speaker}/{chapter}-{utterance}"


def needs_shared(path: Path) -> pytest.MarkDecorator:
    """Skip when `path` is absent, except under ``CI=true``, where the tests run and fail."""
    on_ci = os.environ.get("CI", "").lower() == "true"
    return pytest.mark.skipif(not path.exists() and not on_ci, reason=f"{path} is missing")


def copy_audio(tmp_path: Path, names: tuple[str, ...]) -> Path:
    """tmp/audio/ls<speaker>/<name>.flac of the LibriSpeech val recordings `names`."""
    for name in names:
        folder = tmp_path / "audio" / f"ls{name.split('-')[0]}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(LIBRISPEECH_VAL / f"{name}.flac", folder)
    return tmp_path / "audio"


def csv_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV with a header."""
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))
