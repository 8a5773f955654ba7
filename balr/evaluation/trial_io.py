"""Trial files: tab-separated ``enrollment``, ``test`` and optional ``label``.

Ids are those of the dataset the trials run on (its ``id`` column). ``label``
is 1/0 (or true/false); when the column is absent, a trial is a target when
both sides have the same speaker. Extra columns are ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from balr.data.guard import check_regular
from balr.errors import DatasetError
from balr.evaluation.trials import Trials, as_label_array, draw_trials

# The spellings of a trial (or score) label: 1 = same speaker.
LABEL_VALUES = {"1": True, "0": False, "true": True, "false": False}


def read_trial_frame(path: Path, hint: str = "check data.val_trials") -> pl.DataFrame:
    """The rows of a trial file, every column as text, side cells stripped of blanks.

    The one reader of the trial format, for validation lists (:func:`read_trials`) and
    for `balr score`'s comparisons with multi-recording sides alike.

    Args:
        path: Tab-separated file with header ``enrollment<TAB>test[<TAB>label]``.
        hint: What to check when the file does not exist (the option that named it).

    Raises:
        DatasetError: The file is missing, unreadable, lacks a column or has no rows.
    """
    if not path.exists():
        raise DatasetError(f"{path}: trial file not found; {hint}")
    check_regular(path, DatasetError, "trial list (a tab-separated text file)")
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
    return frame.with_columns(pl.col("enrollment", "test").fill_null("").str.strip_chars())


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


def parse_labels(column: pl.Series, path: Path, fix: str | None = None) -> np.ndarray:
    """bool [P] of a text label column (1/0, true/false; blanks and case ignored).

    Raises:
        DatasetError: A label is something else (names the file, line and value, and `fix`).
    """
    text = column.fill_null("").str.strip_chars().str.to_lowercase()
    parsed = text.replace_strict(LABEL_VALUES, default=None, return_dtype=pl.Boolean)
    bad = np.flatnonzero(parsed.is_null().to_numpy())
    if bad.size:
        r = int(bad[0])
        fix = fix or "fix it, or drop the label column to derive labels from speakers"
        raise DatasetError(
            f"{path}: row {r + 1} (line {r + 2}): label {column[r] or ''!r} is not 1/0 or"
            f" true/false; {fix}"
        )
    return parsed.to_numpy().astype(bool)


def _rows_of(frame: pl.DataFrame, column: str, ids: list[str], path: Path) -> np.ndarray:
    """Dataset row index of every id in ``column``; unknown ids are a DatasetError."""
    index = {name: i for i, name in enumerate(ids)}
    rows = frame[column].replace_strict(index, default=-1, return_dtype=pl.Int64)
    rows_np = rows.fill_null(-1).to_numpy()
    bad = np.flatnonzero(rows_np < 0)
    if bad.size:
        r = int(bad[0])
        raise DatasetError(
            f"{path}: row {r + 1} (line {r + 2}): {column} id {frame[column][r] or ''!r} is not in "
            f"the validation dataset ({bad.size} unknown id(s) in this column); "
            "use ids from the dataset's id column"
        )
    return rows_np.astype(np.int64)


def _labels_from_speakers(
    enroll: np.ndarray, test: np.ndarray, labels: Any, path: Path
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
            f"{path}: row {r + 1} (line {r + 2}): a side of the trial has no speaker, so its "
            "label cannot be derived; add a 'label' column or give the sample a speaker"
        )
    return np.asarray(lab[enroll] == lab[test])


def read_trials(path: str | Path, ids: list[str], labels: Any = None) -> Trials:
    """Read a trial file (see the module docstring) against a dataset's ids.

    Args:
        path: Tab-separated file with header ``enrollment<TAB>test[<TAB>label]``.
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
        target = parse_labels(frame["label"], path)
    else:
        target = _labels_from_speakers(enroll, test, labels, path)
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
