"""Score files of other systems, read into the frame of `read_scores`.

The format is told from the first non-blank line:

- balr's scores.tsv, or a BOSARIS-like key+score table: tab-separated with a header
  (``enrollment``/``modelid``, ``test``/``segmentid``, ``score``/``llr_raw``/``llr``,
  optional ``label``/``targettype``);
- WeSpeaker/Kaldi ``.score``: ``enrol test score [target|nontarget]``, no header;
- SpeechBrain ``scores.txt``: ``enrol test label score`` (label 1/0), no header.

The frame holds every column as text, plus ``line``: the file line of each score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from balr.errors import DatasetError
from balr.evaluation.trial_formats import AUDIO_SUFFIX, read_fields
from balr.evaluation.trial_io import parse_labels, read_trial_frame

FIX = (
    "give a tab-separated file with a header (enrollment, test, score[, label]), a WeSpeaker"
    " 'enrol test score [target|nontarget]' or a SpeechBrain 'enrol test label score' file"
)
# Header names of a tab-separated score file; BOSARIS/NIST names become balr's.
_HEADER = {"enrollment", "test", "llr", "llr_raw", "score", "label", "log10_lr"}
_RENAMES = {"modelid": "enrollment", "segmentid": "test", "targettype": "label"}
_PLAIN = {
    "wespeaker": ("enrollment", "test", "score"),
    "wespeaker_key": ("enrollment", "test", "score", "label"),
    "speechbrain": ("enrollment", "test", "label", "score"),
}


def sniff_scores(line: str) -> str | None:
    """The format of a score file from its first non-blank line (None: no known format)."""
    names = {name.strip().lower() for name in line.split("\t")}
    if names & (_HEADER | set(_RENAMES)):
        return "tsv"
    fields = line.split()
    if len(fields) == 3 and _number(fields[2]):
        return "wespeaker"
    if len(fields) == 4 and fields[3].lower() in ("target", "nontarget") and _number(fields[2]):
        return "wespeaker_key"
    if len(fields) == 4 and fields[2] in ("0", "1") and _number(fields[3]):
        return "speechbrain"
    return None


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_score_frame(path: Path) -> pl.DataFrame:
    """The rows of a score file in any format above, every column as text, plus ``line``.

    Raises:
        DatasetError: unreadable file, or a line in no known format (shows it).
    """
    first, head = _first_line(path)
    kind = "tsv" if head is None else sniff_scores(head)
    if kind is None:
        shown = (head or "")[:100]
        raise DatasetError(
            f"{path}: line {first + 1} is in no known score format ({shown!r}); {FIX}"
        )
    if kind != "tsv":
        return read_fields(path, _lines(path), _PLAIN[kind], kind)
    try:
        frame = pl.read_csv(path, separator="\t", infer_schema=False, quote_char=None)
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DatasetError(f"{path}: cannot read the scores ({message}); {FIX}") from err
    renames = {
        name: _RENAMES[name.strip().lower()]
        for name in frame.columns
        if name.strip().lower() in _RENAMES and _RENAMES[name.strip().lower()] not in frame.columns
    }
    frame = frame.rename(renames)
    line = pl.Series("line", np.arange(frame.height, dtype=np.int64) + first + 2)
    return frame.with_columns(line)


def _first_line(path: Path) -> tuple[int, str | None]:
    """(index, text) of the first non-blank line, read alone (None: the file is blank)."""
    try:
        with path.open(encoding="utf-8") as handle:
            for n, line in enumerate(handle):
                if line.strip():
                    return n, line.rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: cannot read the scores ({err}); {FIX}") from None
    return 0, None


def _lines(path: Path) -> list[str]:
    """Every line of a headerless score file (DatasetError when unreadable)."""
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DatasetError(f"{path}: cannot read the scores ({err}); {FIX}") from None


def labels_from_trials(frame: pl.DataFrame, path: Path, trials: Path) -> np.ndarray | None:
    """Labels of the scored pairs from the trial list they were scored on (None: unlabelled).

    Ids match with or without an audio extension.

    Raises:
        DatasetError: a scored pair is not in the trials (names the first).
    """
    key = read_trial_frame(trials, "check the --trials path")
    key_pairs = _pairs(key["enrollment"], key["test"])
    pairs = _pairs(frame["enrollment"].fill_null(""), frame["test"].fill_null(""))
    index = {pair: i for i, pair in enumerate(key_pairs.to_list())}
    rows = pairs.replace_strict(index, default=-1, return_dtype=pl.Int64).to_numpy()
    missing = np.flatnonzero(rows < 0)
    if missing.size:
        r = int(missing[0])
        raise DatasetError(
            f"{path}: line {frame['line'][r]}: {frame['enrollment'][r]!r} vs"
            f" {frame['test'][r]!r} is not in the trials {trials} ({missing.size} scored pair(s)"
            " not in it): give the trial list the scores were computed on"
        )
    if "label" not in key.columns:
        return None
    return parse_labels(key["label"], trials, "fix it", key["line"])[rows]


def _pairs(enrollment: pl.Series, test: pl.Series) -> pl.Series:
    """'enrol<TAB>test' of each row, ids without their audio extension."""
    bare = [s.str.strip_chars().str.replace(AUDIO_SUFFIX, "") for s in (enrollment, test)]
    return bare[0] + "\t" + bare[1]
