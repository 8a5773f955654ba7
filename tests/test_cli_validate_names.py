"""`balr validate --name`/`--duration` may be repeated: each use adds to the list."""

from __future__ import annotations

import json
from pathlib import Path

from balr.cli.main import main
from tests.validation_data import write_scores


def test_repeated_name_and_duration_options_add_up(tmp_path: Path) -> None:
    a, b = write_scores(tmp_path / "a.tsv", seed=1), write_scores(tmp_path / "b.tsv", seed=2)
    args = ["validate", str(a), str(b), "--name", "short", "--name", "long"]
    args += ["--duration", "2", "--duration", "4", "--save-dir", str(tmp_path / "v")]
    assert main(args) == 0
    report = json.loads((tmp_path / "v" / "validation.json").read_text())
    conditions = report["conditions"]
    assert [c["name"] for c in conditions] == ["short", "long"]
    assert [c["duration"] for c in conditions] == [2.0, 4.0]
