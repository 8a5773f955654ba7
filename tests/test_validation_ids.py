"""`balr validate --data`: score-file ids match the dataset's with or without an audio
extension, as trial lists do (a VoxCeleb list's `x.wav` is the dataset's `x`)."""

from __future__ import annotations

import json
from pathlib import Path

from balr.validation import validate


def test_speakers_of_ids_with_an_audio_extension_come_from_the_dataset(tmp_path: Path) -> None:
    rows = ["a1.wav\ta2\t2.0\t1", "a1.wav\tb1\t-1.0\t0", "b1.flac\tb2\t1.5\t1"]
    rows += ["b2\tc1.wav\t-2.0\t0", "c1.wav\tc2\t1.0\t1", "a2\tc2\t-0.5\t0"]
    scores = tmp_path / "s" / "scores.tsv"
    scores.parent.mkdir()
    scores.write_text("enrollment\ttest\tllr\tlabel\n" + "\n".join(rows) + "\n")
    table = tmp_path / "speakers.csv"
    table.write_text("id,speaker\na1,ann\na2,ann\nb1,bob\nb2,bob\nc1,cy\nc2,cy\n")
    validate([scores], tmp_path / "out", data=str(table), bootstrap=5)
    report = json.loads((tmp_path / "out" / "validation.json").read_text())
    assert report["metrics"]["s"]["n_speakers"] == 3
