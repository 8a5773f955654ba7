"""Quality target: binary attributes within 1.3x the raw embeddings' EER on the sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from balr.cli.main import main

LIBRI = Path(__file__).resolve().parents[2] / "shared" / "data" / "librispeech-sample"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not LIBRI.is_dir(), reason="shared sample data not present"),
]


def test_few_speakers_preset_keeps_binary_eer_within_1_3x_of_raw(tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = [str(LIBRI / "train.csv"), str(LIBRI / "val.csv"), "--save-dir", str(run)]
    args += [f"data.val_trials={LIBRI / 'trials.csv'}", "+experiment=few_speakers"]
    assert main(["train", *args]) == 0
    summary = json.loads((run / "summary.json").read_text())
    raw = summary["reference"]["eer"]
    assert raw == pytest.approx(1.479, abs=1e-3)  # the sample README's baseline
    assert summary["best"]["value"] <= 1.3 * raw
    assert summary["final"]["val"]["eer"] <= 1.3 * raw
