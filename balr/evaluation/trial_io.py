"""Trial files: tab-separated ``enrollment``, ``test`` and optional ``label``, or the
VoxCeleb, Kaldi/WeSpeaker and NIST SRE formats (told apart automatically, see
`balr.evaluation.trial_formats`).

Ids are those of the dataset the trials run on (its ``id`` column), with or without an
audio extension. ``label`` is 1/0 (or true/false, target/nontarget); when the column is
absent, a trial is a target when both sides have the same speaker. Extra columns are
ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from balr.data.guard import check_regular
from balr.errors import DatasetError
from balr.evaluation.trial_checks import check_trial_rows
from balr.evaluation.trial_formats import (
    FORMAT_FIX,
    LABEL_VALUES,
    IdIndex,
    nist_frame,
    no_format_error,
    read_plain,
    sniff,
)
from balr.evaluation.trials import Trials, as_label_array, draw_trials

__all__ = ["LABEL_VALUES", "IdIndex", "parse_labels", "read_trial_frame", "read_trials"]


def read_trial_frame(path: Path, hint: str = "check data.val_trials") -> pl.DataFrame:
    """The rows of a trial file, every column as text, side cells stripped of blanks.

    The one reader of trial lists, for validation lists (:func:`read_trials`) and for
    `balr score`'s comparisons with multi-recording sides alike. Besides ``enrollment``,
    ``test`` and ``label`` the frame has ``line`` (int): the file line of each trial.

    Args:
        path: A balr, VoxCeleb, Kaldi/WeSpeaker or NIST trial list (module docstring).
        hint: What to check when the file does not exist (the option that named it).

    Raises:
        DatasetError: The file is missing, unreadable, in no known format (the message
            shows the line), lacks a column or has no rows.
    """
    if not path.exists():
        raise DatasetError(f"{path}: trial file not found; {hint}")
    check_regular(path, DatasetError, "trial list (a tab-separated text file)")
    lines = _text_lines(path)
    first = next((n for n, line in enumerate(lines) if line.strip()), 0)
    kind = sniff(lines[first]) if lines else "balr"
    if kind is None:
        raise no_format_error(path, first + 1, lines[first])
    if kind not in ("balr", "nist"):
        return _stripped(read_plain(path, lines, kind), path)
    frame = _read_tsv(path)
    if kind == "nist":
        frame = nist_frame(frame)
    missing = [c for c in ("enrollment", "test") if c not in frame.columns]
    if missing:
        raise DatasetError(
            f"{path}: missing column(s) {', '.join(missing)} (found {', '.join(frame.columns)});"
            " write a tab-separated header 'enrollment<TAB>test[<TAB>label]'"
        )
    if frame.height == 0:
        raise DatasetError(
            f"{path}: the trial file has no trials (no comparisons); add rows below the header"
        )
    # Line numbers below the header (polars skips no line of a file read this way).
    rows = pl.Series("line", np.arange(frame.height, dtype=np.int64) + first + 2)
    return _stripped(frame.with_columns(rows), path)


def _text_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(
            f"{path}: cannot read the trial file ({err}); write it as UTF-8 text: {FORMAT_FIX}"
        ) from None


def _stripped(frame: pl.DataFrame, path: Path) -> pl.DataFrame:
    """Side cells without blanks; a repeated column or comparison is refused."""
    frame = frame.with_columns(pl.col("enrollment", "test").fill_null("").str.strip_chars())
    check_trial_rows(frame, path)
    return frame


def _read_tsv(path: Path) -> pl.DataFrame:
    try:
        # Every column as text: numeric-looking ids must stay ids. No CSV quoting (an id
        # may hold a '"'); cells wholly in quotes (R, QUOTE_ALL writers) are unwrapped below.
        frame = _unquoted(pl.read_csv(path, separator="\t", infer_schema=False, quote_char=None))
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DatasetError(
            f"{path}: cannot read the trial file ({first}); write it as tab-separated"
            " 'enrollment<TAB>test[<TAB>label]' with a header"
        ) from err
    return frame


def _unquoted(frame: pl.DataFrame) -> pl.DataFrame:
    """Column names and cells wrapped in a pair of double quotes, without them."""

    def strip(text: str) -> str:
        return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text

    frame = frame.rename({name: strip(name) for name in frame.columns})
    wrapped = [
        pl.when(
            pl.col(c).str.len_chars().ge(2)
            & pl.col(c).str.starts_with('"')
            & pl.col(c).str.ends_with('"')
        )
        .then(pl.col(c).str.slice(1, pl.col(c).str.len_chars() - 2))
        .otherwise(pl.col(c))
        .alias(c)
        for c in frame.columns
    ]
    return frame.with_columns(wrapped)


def parse_labels(
    column: pl.Series, path: Path, fix: str | None = None, lines: pl.Series | None = None
) -> np.ndarray:
    """bool [P] of a text label column (1/0, true/false, target/nontarget; blanks and case
    ignored). `lines`: the file line of each row (default: row + 2, below a header).

    Raises:
        DatasetError: A label is something else (names the file, line and value, and `fix`).
    """
    text = column.fill_null("").str.strip_chars().str.to_lowercase()
    parsed = text.replace_strict(LABEL_VALUES, default=None, return_dtype=pl.Boolean)
    bad = np.flatnonzero(parsed.is_null().to_numpy())
    if bad.size:
        r = int(bad[0])
        fix = fix or "fix it, or drop the label column to derive labels from speakers"
        line = int(lines[r]) if lines is not None else r + 2
        raise DatasetError(
            f"{path}: row {r + 1} (line {line}): label {column[r] or ''!r} is not 1/0,"
            f" true/false or target/nontarget; {fix}"
        )
    return parsed.to_numpy().astype(bool)


def _rows_of(frame: pl.DataFrame, column: str, ids: list[str], path: Path) -> np.ndarray:
    """Dataset row index of every id in ``column``; unknown ids are a DatasetError."""
    rows_np = IdIndex(ids).rows(frame[column])
    bad = np.flatnonzero(rows_np < 0)
    if bad.size:
        r = int(bad[0])
        raise DatasetError(
            f"{path}: row {r + 1} (line {line_of(frame, r)}): {column} id"
            f" {frame[column][r] or ''!r} is not in the validation dataset ({bad.size} unknown"
            " id(s) in this column); "
            "use ids from the dataset's id column"
        )
    return rows_np.astype(np.int64)


def line_of(frame: pl.DataFrame, row: int) -> int:
    """The file line of trial `row` of a frame of :func:`read_trial_frame`."""
    return int(frame["line"][row]) if "line" in frame.columns else row + 2


def _labels_from_speakers(
    enroll: np.ndarray, test: np.ndarray, labels: Any, path: Path, frame: pl.DataFrame
) -> np.ndarray:
    if labels is None:
        raise DatasetError(
            f"{path}: no label column and no speaker labels to derive it from; "
            "add a 'label' column (1 = same speaker)"
        )
    lab = as_label_array(labels)
    unknown = np.flatnonzero((lab[enroll] < 0) | (lab[test] < 0))
    if unknown.size:
        r = int(unknown[0])
        raise DatasetError(
            f"{path}: row {r + 1} (line {line_of(frame, r)}): a side of the trial has no"
            " speaker, so its label cannot be derived; add a 'label' column or give the sample"
            " a speaker"
        )
    return np.asarray(lab[enroll] == lab[test])


def read_trials(path: str | Path, ids: list[str], labels: Any = None) -> Trials:
    """Read a trial file (see the module docstring) against a dataset's ids.

    Args:
        path: A trial list in one of the formats of the module docstring.
        ids: Dataset ids, in row order (``EmbeddingTable.ids``).
        labels: int [N] speaker label per row (-1: none); used only when the
            file has no ``label`` column.

    Returns:
        Trials in file order.

    Raises:
        DatasetError: The file is missing or malformed, an id is not in the
            dataset (message names the file, row and id), a label is not 0/1,
            or the list lacks target or non-target trials.
    """
    path = Path(path)
    frame = read_trial_frame(path)
    enroll = _rows_of(frame, "enrollment", ids, path)
    test = _rows_of(frame, "test", ids, path)
    if "label" in frame.columns:
        target = parse_labels(frame["label"], path, lines=frame["line"])
    else:
        target = _labels_from_speakers(enroll, test, labels, path, frame)
    if target.all() or not target.any():
        kind = "non-target" if target.all() else "target"
        raise DatasetError(f"{path}: the trial list has no {kind} trials; EER needs both kinds")
    return Trials(enroll, test, target)


def write_trials(path: str | Path, trials: Trials, ids: list[str]) -> None:
    """Write trials as a tab-separated file that :func:`read_trials` reads back.

    Args:
        path: Output file; its parent directory must exist.
        trials: Trials over the rows of the dataset whose ids are ``ids``.
        ids: Dataset ids, in row order.
    """
    names = np.asarray(ids, dtype=object)
    pl.DataFrame(
        {
            "enrollment": names[trials.enroll].tolist(),
            "test": names[trials.test].tolist(),
            "label": trials.labels.astype(np.int8),
        },
        schema={"enrollment": pl.String, "test": pl.String, "label": pl.Int8},
    ).write_csv(path, separator="\t", quote_style="never")


def load_or_draw_trials(
    ids: list[str],
    labels: Any,
    path: str | Path | None = None,
    max_pairs: int = 50_000,
    seed: int = 1234,
) -> Trials:
    """The validation trial list: read from ``path`` if given, else drawn.

    Args:
        ids: Dataset ids, in row order.
        labels: int [N] speaker label per row (-1: none).
        path: Trial file (``data.val_trials``); None draws a list.
        max_pairs: Cap per class for a drawn list.
        seed: Seed for a drawn list.
    """
    if path is not None:
        return read_trials(path, ids, labels)
    return draw_trials(labels, max_pairs=max_pairs, seed=seed)
