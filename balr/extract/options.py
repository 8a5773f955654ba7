"""What `extract_embeddings` is asked to do (`ExtractOptions`) and did (`ExtractSummary`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from balr.extract.worklist import Row


@dataclass
class ExtractOptions:
    """How `extract_embeddings` runs (the CLI's `extract.*` keys, --force, --save-dir...).

    Attributes:
        force: recompute items whose vectors exist (else they are skipped: a rerun resumes).
        save_output: write vector files and the CSV (else compute and report only).
        save_dir: vector files go under it, mirroring the audio layout (None: beside audio).
        fmt: vector file format: npy, pkl (a pickled NumPy array) or txt.
        segments: cut each prepared recording into pieces of this many seconds (ids <id>-sKK).
        min_last: keep a last piece of at least this many seconds.
        workers: processes computing embeddings, one torch thread each.
        batch_files: files per `embed` call.
        strict: stop at the first bad file (DatasetError) instead of listing it.
        packed: write one packed dataset instead of per-file vectors and a CSV.
        shards: split the sorted work list into this many shards ...
        shard: ... and do only this one (0-based).
        progress: show a progress bar (terminal) or periodic log lines.
        condition: a balr.conditions.Condition simulated on each recording before it is
            embedded; its name fills the output's `condition` column (None: audio as is,
            no column).
    """

    force: bool = False
    save_output: bool = True
    save_dir: Path | None = None
    fmt: str = "npy"
    segments: float | None = None
    min_last: float = 1.5
    workers: int = 1
    batch_files: int = 8
    strict: bool = False
    packed: bool = False
    shards: int = 1
    shard: int = 0
    progress: bool = True
    condition: Any = None


@dataclass
class ExtractSummary:
    """What a run did; `line()` is its one-line summary."""

    total: int
    extracted: int = 0
    skipped: int = 0
    failed: int = 0
    vectors: int = 0
    audio_seconds: float = 0.0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    output: Path | None = None
    errors_path: Path | None = None
    rows: list[Row] = field(default_factory=list, repr=False)

    def line(self) -> str:
        """'extracted 30 of 32 recordings (...): 1 already done, 1 failed: see ...'."""
        seconds = max(self.seconds, 1e-9)
        if self.extracted == 0 and self.skipped == self.total:
            where = f"; dataset: {self.output}" if self.output is not None else ""
            return f"nothing to do: all {self.total} recordings already have embeddings{where}"
        text = (
            f"extracted {self.extracted} of {self.total} recordings ({self.vectors} vectors,"
            f" {self.audio_seconds / 60:.1f} min of audio) in {self.seconds:.1f}s"
            f" ({self.extracted / seconds:.1f} files/s, {self.audio_seconds / seconds:.0f}x"
            f" real time, {self.audio_seconds / max(self.cpu_seconds, 1e-9):.0f}x per CPU"
            " second)"
        )
        if self.skipped:
            text += f"; {self.skipped} already done"
        if self.output is not None:
            text += f"; dataset: {self.output}"
        if self.failed:
            where = f": see {self.errors_path}" if self.errors_path else ""
            text += f"; {self.failed} failed{where}"
        return text
