"""The conditions of a validation: labelled LLRs read from score files, and their speakers.

A score file is the output of `balr score test` / `balr score apply` or any system's LLRs:
tab-separated with a header, ``enrollment``, ``test``, ``label`` (1/0) and ``llr`` (natural
log; the calibrated, bounded LLR when the file has one) or ``log10_lr``. It is read by the
one score-file reader, :func:`balr.scoring.score_files.read_scores`; the validation takes
the LLR as reported (:meth:`~balr.scoring.score_files.ScoreList.reported_llrs`), not the
raw score that calibration takes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from balr.errors import ConfigError, DatasetError
from balr.scoring.score_files import ScoreList, read_scores

WANTED = "labelled scores.tsv of balr score test or balr score apply"
FIX = f"give the {WANTED}"
# Net speech in a condition name: short_5s, dur2s, 4.0s, 2sec, 3_seconds.
DURATION = re.compile(r"(?:^|[^0-9.])(\d+(?:\.\d+)?)\s*_?(?:s|sec|secs|seconds)(?![a-z])", re.I)


@dataclass
class Condition:
    """One condition's labelled comparisons.

    Attributes:
        name: condition name (as the report shows it).
        source: the score file it came from.
        llrs: float64 [P], natural-log LLRs as reported.
        labels: bool [P], True for same-speaker comparisons.
        enrollment: the enrollment side of each comparison (ids, comma-separated).
        test: the test side of each comparison.
        lines: int64 [P], the file line of each comparison (for messages).
        duration: net speech seconds, when known (coherence).
    """

    name: str
    source: str
    llrs: np.ndarray
    labels: np.ndarray
    enrollment: list[str]
    test: list[str]
    lines: np.ndarray
    duration: float | None = None


def read_labelled(path: Path) -> ScoreList:
    """A score file with ids and labels; DatasetError naming what is missing."""
    scores = read_scores(path, wanted=WANTED)
    columns = scores.frame.columns
    missing = [c for c in ("enrollment", "test") if c not in columns]
    missing += ["label"] if scores.labels is None else []
    if missing:
        found = ", ".join(c for c in columns if c != "line")
        raise DatasetError(f"{path}: no column {', '.join(missing)} (found {found}); {FIX}")
    return scores


def _condition(scores: ScoreList, llrs: np.ndarray, name: str, rows: np.ndarray) -> Condition:
    """The comparisons `rows` of `scores` as the condition `name` (both classes needed)."""
    labels = np.asarray(scores.labels)[rows]
    if labels.all() or not labels.any():
        have = "same-speaker" if labels.any() else "different-speaker"
        raise DatasetError(
            f"{scores.path}: condition {name!r} has only {have} comparisons ({labels.size}); a"
            " validation needs both: add the other kind"
        )
    frame = scores.frame[rows]
    sides = [frame[c].fill_null("").str.strip_chars().to_list() for c in ("enrollment", "test")]
    lines = frame["line"].to_numpy().astype(np.int64)
    return Condition(name, str(scores.path), llrs[rows], labels, sides[0], sides[1], lines)


def read_conditions(path: Path, name: str | None) -> list[Condition]:
    """The conditions of one score file: one, or one per value of its `condition` column.

    Args:
        path: the score file.
        name: the condition's name (None: the file's folder name); with several values
            in a `condition` column, each is named ``NAME: VALUE`` (or VALUE alone).
    """
    scores = read_labelled(path)
    llrs = scores.reported_llrs(WANTED)
    column = scores.conditions
    values = [] if column is None else column.unique(maintain_order=True).to_list()
    if column is None or len(values) <= 1:
        every = np.arange(llrs.size)
        return [_condition(scores, llrs, name or path.absolute().parent.name, every)]
    found = []
    for value in values:
        mask = column.is_null() if value is None else (column == value).fill_null(False)
        label = f"{name}: {value}" if name else str(value)
        found.append(_condition(scores, llrs, label, np.flatnonzero(mask.to_numpy())))
    return found


def read_all(
    paths: Sequence[str | Path], names: Sequence[str], durations: Sequence[float]
) -> list[Condition]:
    """Every condition of the score files, with unique names and their durations.

    Raises:
        ConfigError: names or durations do not match the conditions, or a name repeats.
        DatasetError: a file is unusable (see :func:`read_labelled`).
    """
    if names and len(names) != len(paths):
        raise ConfigError(
            f"{len(names)} --name for {len(paths)} score files: give one name per file, in order"
        )
    conditions: list[Condition] = []
    for i, path in enumerate(paths):
        conditions += read_conditions(Path(path), names[i] if names else None)
    seen: dict[str, str] = {}
    for c in conditions:
        if c.name in seen:
            raise ConfigError(
                f"condition {c.name!r} is given twice ({seen[c.name]} and {c.source}): name"
                " each file with --name NAME, one per file"
            )
        seen[c.name] = c.source
    _set_durations(conditions, durations)
    return conditions


def duration_of(name: str) -> float | None:
    """Net speech seconds written in a condition name (short_5s -> 5.0), else None."""
    found = DURATION.findall(name)
    return float(found[-1]) if len(found) >= 1 else None


def _set_durations(conditions: list[Condition], durations: Sequence[float]) -> None:
    if durations and len(durations) != len(conditions):
        raise ConfigError(
            f"{len(durations)} durations for {len(conditions)} conditions"
            f" ({', '.join(c.name for c in conditions)}): give one net-speech duration in"
            " seconds per condition, in order"
        )
    for i, c in enumerate(conditions):
        c.duration = float(durations[i]) if durations else duration_of(c.name)
        if c.duration is not None and not c.duration > 0:
            raise ConfigError(f"duration {c.duration} of {c.name!r}: give seconds > 0")


@dataclass
class Speakers:
    """Speaker indices of one condition's comparisons.

    Attributes:
        enrollment: int64 [P], the enrollment side's speaker (of its first recording).
        test: int64 [P], the test side's speaker.
        count: number of distinct speakers.
    """

    enrollment: np.ndarray
    test: np.ndarray
    count: int


def speakers_by_prefix(condition: Condition) -> Speakers | None:
    """Speakers from the ids' ``speaker/`` prefix; None when an id has no prefix."""
    firsts = [side.split(",")[0].strip() for side in (*condition.enrollment, *condition.test)]
    if not all("/" in i and not i.startswith("/") for i in firsts):
        return None
    return _indexed([i.split("/", 1)[0] for i in firsts])


def speaker_map(data: str) -> dict[str, str]:
    """id -> speaker of a dataset balr reads, or of a plain CSV with `id` and `speaker`."""
    path = Path(data)
    if path.is_file() and path.suffix.lower() in (".csv", ".tsv"):
        separator = "\t" if path.suffix.lower() == ".tsv" else ","
        try:
            frame = pl.read_csv(path, separator=separator, infer_schema=False)
        except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as err:
            raise DatasetError(f"{path}: cannot read it ({type(err).__name__}); {FIX}") from err
        if {"id", "speaker"} <= set(frame.columns) and len(frame.columns) == 2:
            return dict(zip(frame["id"].to_list(), frame["speaker"].to_list(), strict=True))
    from balr.data import AudioDataset

    dataset = AudioDataset.from_path(data)
    return {i: str(d["speaker"]) for i, d in dataset.iter_dicts() if d.get("speaker") is not None}


def speakers_from_data(condition: Condition, speaker_of: dict[str, str], data: str) -> Speakers:
    """Speakers from a dataset's id -> speaker map (ids matched with or without an audio
    extension, as in trial lists); DatasetError naming an unknown id."""
    from balr.evaluation.trial_formats import IdIndex

    firsts = [side.split(",")[0].strip() for side in (*condition.enrollment, *condition.test)]
    rows = IdIndex(list(speaker_of)).rows(pl.Series(firsts, dtype=pl.String))
    missing = np.flatnonzero(rows < 0)
    if missing.size:
        i = int(missing[0])
        raise DatasetError(
            f"{condition.source}: line {condition.lines[i % len(condition.enrollment)]}: id"
            f" {firsts[i]!r} has no speaker in {data}; give the dataset the comparisons were"
            " made on with --data"
        )
    speakers = np.asarray(list(speaker_of.values()), dtype=object)
    return _indexed(speakers[rows].tolist())


def _indexed(names: list[str]) -> Speakers:
    _, index = np.unique(np.asarray(names, dtype=object).astype(str), return_inverse=True)
    half = len(names) // 2
    return Speakers(
        index[:half].astype(np.int64), index[half:].astype(np.int64), int(index.max()) + 1
    )
