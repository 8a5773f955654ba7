"""Trial list formats other toolkits write, and matching their ids to a dataset's.

`balr.evaluation.trial_io.read_trial_frame` reads every format into balr's trial frame
(``enrollment``, ``test``, optional ``label``, and ``line``: the file line of each trial).
The format is told from the first non-blank line:

- balr: tab-separated with a header naming ``enrollment`` and ``test`` (``label`` 1/0);
- NIST SRE key: tab-separated with a header naming ``modelid``, ``segmentid`` and
  ``targettype`` (target/nontarget);
- VoxCeleb: ``1 id10270/x6uYqmx31kE/00001.wav id10270/8jEAjG6SegY/00008.wav``: label
  first, space-separated, no header;
- Kaldi/WeSpeaker: ``enrol test target|nontarget`` (or ``enrol test``), no header.

Ids match a dataset's with or without an audio extension (``x.wav`` and ``x``), as
lists and datasets of one corpus often differ in that.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from balr.errors import DatasetError

# The spellings of a trial (or score) label: 1 = same speaker.
LABEL_VALUES = {
    "1": True,
    "0": False,
    "true": True,
    "false": False,
    "target": True,
    "nontarget": False,
}
FORMAT_FIX = (
    "write a tab-separated 'enrollment<TAB>test[<TAB>label]' header and rows, VoxCeleb lines"
    " 'label enrol test', Kaldi lines 'enrol test target|nontarget' or a NIST key"
    " (modelid, segmentid, targettype)"
)
# An audio extension that one form of an id has and the other lacks.
AUDIO_SUFFIX = r"(?i)\.(wav|flac|m4a|mp3|ogg|opus|wma|sph|aac)$"
# Column names of each whitespace-separated format, in file order.
_COLUMNS = {
    "voxceleb": ("label", "enrollment", "test"),
    "kaldi": ("enrollment", "test", "label"),
    "pairs": ("enrollment", "test"),
}
_NIST = {"modelid": "enrollment", "segmentid": "test", "targettype": "label"}


def sniff(line: str) -> str | None:
    """The format of a trial file from its first non-blank line (None: no known format)."""
    names = {name.strip().strip('"').lower() for name in line.split("\t")}
    if {"modelid", "segmentid"} <= names:
        return "nist"
    if names & {"enrollment", "test", "label"}:  # a header (missing columns reported)
        return "balr"
    fields = line.split()
    if len(fields) == 1:  # a header in another separator: the tab-separated reader says so
        return "balr"
    # A target/nontarget word decides first: ids may be numbers ("1 2 target" is Kaldi's).
    if len(fields) == 3 and fields[2].lower() in ("target", "nontarget"):
        return "kaldi"
    if len(fields) == 3 and fields[0] in ("0", "1"):
        return "voxceleb"
    if len(fields) == 3 and fields[2].lower() in LABEL_VALUES:
        return "kaldi"
    if len(fields) == 2:
        return "pairs"
    return None


def no_format_error(path: object, number: int, line: str) -> DatasetError:
    """The error for a trial line in no known format (shows the line)."""
    return DatasetError(
        f"{path}: line {number} is in no known trial format ({line[:100]!r}); {FORMAT_FIX}"
    )


def read_plain(path: object, lines: list[str], kind: str) -> pl.DataFrame:
    """The trial frame of a whitespace-separated list without header (`kind` from `sniff`).

    Raises:
        DatasetError: a line whose fields do not fit the format of the first (shows it).
    """
    frame = read_fields(path, lines, _COLUMNS[kind], kind)
    if kind == "voxceleb":
        bad = np.flatnonzero(~frame["label"].is_in(["0", "1"]).to_numpy())
        if bad.size:
            raise _misfit(path, lines, int(frame["line"][int(bad[0])]), int(frame["line"][0]), kind)
    return frame


def read_fields(
    path: object, lines: list[str], columns: tuple[str, ...], kind: str
) -> pl.DataFrame:
    """`columns` (text) and ``line`` of the non-blank `lines`, whitespace-separated.

    Raises:
        DatasetError: a line without exactly ``len(columns)`` fields (shows it).
    """
    series = pl.Series("line", lines, dtype=pl.String)
    numbers = np.flatnonzero(series.str.strip_chars().str.len_chars().to_numpy() > 0) + 1
    pattern = r"^\s*" + r"\s+".join([r"(\S+)"] * len(columns)) + r"\s*$"
    parts = series.gather(numbers - 1).str.extract_groups(pattern)
    fields = parts.struct.unnest()
    bad = np.flatnonzero(fields[fields.columns[0]].is_null().to_numpy())
    if bad.size:
        raise _misfit(path, lines, int(numbers[bad[0]]), int(numbers[0]), kind, columns)
    frame = fields.rename(dict(zip(fields.columns, columns, strict=True)))
    return frame.with_columns(pl.Series("line", numbers, dtype=pl.Int64))


def _misfit(
    path: object,
    lines: list[str],
    number: int,
    first: int,
    kind: str,
    columns: tuple[str, ...] | None = None,
) -> DatasetError:
    layout = " ".join(columns or _COLUMNS[kind])
    return DatasetError(
        f"{path}: line {number} ({lines[number - 1][:100]!r}) does not fit the {kind} format"
        f" of line {first} ({layout}); {FORMAT_FIX if kind in _COLUMNS else 'fix or drop it'}"
    )


def nist_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A NIST SRE key (columns named in any case) renamed to balr's trial columns."""
    lower = {name: name.strip().lower() for name in frame.columns}
    renames = {name: _NIST[low] for name, low in lower.items() if low in _NIST}
    return frame.select(list(renames)).rename(renames)


class IdIndex:
    """Dataset row of an id, matching with or without an audio extension.

    An exact match wins; else both forms are compared without their extension. Two
    dataset ids equal without their extension (x.wav and x.flac) match neither bare form.
    """

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        self.exact = {name: i for i, name in enumerate(ids)}
        self._bare: dict[str, int] | None = None

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def get(self, name: str) -> int | None:
        """The row of `name`, or None."""
        row = self.exact.get(name)
        if row is None:
            bare = pl.Series([name]).str.replace(AUDIO_SUFFIX, "")[0]
            row = self.bare.get(bare)
        return row

    @property
    def bare(self) -> dict[str, int]:
        """Ids without their audio extension -> row (ambiguous ones left out)."""
        if self._bare is None:
            stripped = pl.Series("id", self.ids, dtype=pl.String).str.replace(AUDIO_SUFFIX, "")
            frame = pl.DataFrame({"id": stripped, "row": np.arange(len(self.ids))})
            unique = frame.filter(pl.col("id").is_unique())
            self._bare = dict(zip(unique["id"].to_list(), unique["row"].to_list(), strict=True))
        return self._bare

    def rows(self, cells: pl.Series) -> np.ndarray:
        """int64 row of every cell (-1: not in the dataset)."""
        rows = cells.replace_strict(self.exact, default=-1, return_dtype=pl.Int64)
        out = rows.fill_null(-1).to_numpy().copy()
        missing = np.flatnonzero(out < 0)
        if missing.size:
            bare = cells.gather(missing).str.replace(AUDIO_SUFFIX, "")
            found = bare.replace_strict(self.bare, default=-1, return_dtype=pl.Int64)
            out[missing] = found.fill_null(-1).to_numpy()
        return out
