"""summary.json read back: a missing, malformed or hostile file is "no summary", never a crash.

Calibrate, apply, fuse and validate read the summary.json beside a score file for its scorer;
a hand-edited or foreign one must not stop them (they gave AttributeError, TypeError and
RecursionError tracebacks).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from balr.scoring.commands.calibrate import scorer_of_scores
from balr.scoring.fuse import scorer_of
from balr.training.summary import read_summary, write_summary


def test_a_written_summary_reads_back(tmp_path: Path) -> None:
    write_summary(tmp_path / "summary.json", {"kind": "score", "eer": float("nan")})
    assert read_summary(tmp_path / "summary.json") == {"kind": "score", "eer": None}


@pytest.mark.parametrize("content", ["[1, 2]", "garbage{", "[" * 100_000 + "]" * 100_000, "\udcff"])
def test_a_summary_that_is_no_json_object_reads_as_none(tmp_path: Path, content: str) -> None:
    (tmp_path / "summary.json").write_bytes(content.encode("utf-8", "surrogateescape"))
    assert read_summary(tmp_path / "summary.json") is None


def test_a_fifo_named_summary_json_is_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "summary.json")
    assert read_summary(tmp_path / "summary.json") is None


@pytest.mark.parametrize(
    "summary",
    [
        {"kind": "score", "scorer_dir": 5},
        {"kind": "score", "scorer_dir": "", "scorer_sha256": "ab"},
        {"kind": "score", "scorer_dir": "/nowhere", "scorer_sha256": 7},
    ],
)
def test_a_summary_with_fields_of_the_wrong_type_records_no_scorer(
    tmp_path: Path, summary: dict[str, object]
) -> None:
    (tmp_path / "summary.json").write_text(json.dumps(summary))
    assert scorer_of_scores(tmp_path / "scores.tsv") is None


def test_fusion_reads_the_scorer_of_a_list_summary_as_unknown(tmp_path: Path) -> None:
    (tmp_path / "summary.json").write_text("[" * 100_000 + "]" * 100_000)
    assert scorer_of(tmp_path / "scores.tsv") is None
