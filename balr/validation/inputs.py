"""The conditions of a validation: labelled LLRs read from score files, and their speakers.

A score file is the output of `balr score test` / `balr score apply` or any system's LLRs:
tab-separated with a header, ``enrollment``, ``test``, ``label`` (1/0) and ``llr`` (natural
log; the calibrated, bounded LLR when the file has one) or ``log10_lr``. The validation needs
the reported LLR, not the raw score, which is why it reads ``llr`` where the calibration
reader (`balr/scoring/score_files.py`) prefers ``llr_raw``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from balr.errors import ConfigError, DatasetError
from balr.evaluation.trial_io import parse_labels

LN10 = math.log(10.0)
FIX = "give the labelled scores.tsv of balr score test or balr score apply"
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
        duration: net speech seconds, when known (coherence).
    """

    name: str
    source: str
    llrs: np.ndarray
    labels: np.ndarray
    enrollment: list[str]
    test: list[str]
    duration: float | None = None


def read_frame(path: Path) -> pl.DataFrame:
    """A score file's rows, every column as text; DatasetError when missing or unreadable."""
    if not path.is_file():
        raise DatasetError(f"{path}: scores file not found; {FIX}")
    try:
        frame = pl.read_csv(path, separator="\t", infer_schema=False, quote_char=None)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DatasetError(f"{path}: cannot read the scores ({first}); {FIX}") from err
    missing = [c for c in ("enrollment", "test", "label") if c not in frame.columns]
    if not {"llr", "log10_lr"} & set(frame.columns):
        missing.append("llr or log10_lr")
    if missing or frame.height == 0:
        found = ", ".join(frame.columns) or "nothing"
        what = f"no column {', '.join(missing)}" if missing else "no rows"
        raise DatasetError(f"{path}: {what} (found {found}); {FIX}")
    return frame


def _llrs(frame: pl.DataFrame, path: Path, offset: np.ndarray) -> np.ndarray:
    """Natural-log LLRs of `frame` (llr, else log10_lr x ln 10), finite, or a DatasetError."""
    column = "llr" if "llr" in frame.columns else "log10_lr"
    values = frame[column].str.strip_chars().cast(pl.Float64, strict=False).to_numpy()
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        r = int(bad[0])
        raise DatasetError(
            f"{path}: line {int(offset[r]) + 2}: {column} {frame[column][r]!r} is not a finite"
            f" number ({bad.size} such row(s)); fix or drop the line"
        )
    return values.astype(np.float64) * (LN10 if column == "log10_lr" else 1.0)


def _condition(frame: pl.DataFrame, name: str, path: Path, lines: np.ndarray) -> Condition:
    labels = parse_labels(frame["label"], path, "labels must be 1 (same speaker) or 0")
    if labels.all() or not labels.any():
        have = "same-speaker" if labels.any() else "different-speaker"
        raise DatasetError(
            f"{path}: condition {name!r} has only {have} comparisons ({labels.size}); a"
            " validation needs both: add the other kind"
        )
    enrollment = frame["enrollment"].fill_null("").str.strip_chars().to_list()
    test = frame["test"].fill_null("").str.strip_chars().to_list()
    return Condition(name, str(path), _llrs(frame, path, lines), labels, enrollment, test)


def read_conditions(path: Path, name: str | None) -> list[Condition]:
    """The conditions of one score file: one, or one per value of its `condition` column.

    Args:
        path: the score file.
        name: the condition's name (None: the file's folder name); with several values
            in a `condition` column, each is named ``NAME: VALUE`` (or VALUE alone).
    """
    frame = read_frame(path)
    lines = np.arange(frame.height)
    values = (
        frame["condition"].unique(maintain_order=True).to_list()
        if ("condition" in frame.columns)
        else []
    )
    if len(values) <= 1:
        label = name or path.absolute().parent.name
        return [_condition(frame, label, path, lines)]
    found = []
    for value in values:
        mask = (
            (frame["condition"] == value).fill_null(False).to_numpy()
            if value is not None
            else frame["condition"].is_null().to_numpy()
        )
        label = f"{name}: {value}" if name else str(value)
        found.append(_condition(frame.filter(pl.Series(mask)), label, path, lines[mask]))
    return found


def read_all(
    paths: Sequence[str | Path], names: Sequence[str], durations: Sequence[float]
) -> list[Condition]:
    """Every condition of the score files, with unique names and their durations.

    Raises:
        ConfigError: names or durations do not match the conditions, or a name repeats.
        DatasetError: a file is unusable (see :func:`read_frame`).
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
    """Speakers from a dataset's id -> speaker map; DatasetError naming an unknown id."""
    firsts = [side.split(",")[0].strip() for side in (*condition.enrollment, *condition.test)]
    names = []
    for i, item in enumerate(firsts):
        speaker = speaker_of.get(item)
        if speaker is None:
            row = i % len(condition.enrollment)
            raise DatasetError(
                f"{condition.source}: line {row + 2}: id {item!r} has no speaker in {data};"
                " give the dataset the comparisons were made on with --data"
            )
        names.append(speaker)
    return _indexed(names)


def _indexed(names: list[str]) -> Speakers:
    _, index = np.unique(np.asarray(names, dtype=object).astype(str), return_inverse=True)
    half = len(names) // 2
    return Speakers(
        index[:half].astype(np.int64), index[half:].astype(np.int64), int(index.max()) + 1
    )
