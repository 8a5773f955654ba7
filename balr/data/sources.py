"""Turning a CSV file, a folder of audio files or one audio file into dataset items.

Every function returns ``(ids, data)``: the ids in file order and a dict id ->
raw item dict whose "audio", "embedding" and "binary_attributes" values are
absolute paths (or `MatrixRow` references).
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl

from balr.data.columns import check_unique_columns
from balr.data.guard import check_regular
from balr.data.vectors import (
    SIDECAR_TAGS,
    VECTOR_SUFFIXES,
    VECTOR_TYPES,
    parse_vector_ref,
)
from balr.errors import DatasetError

PATH_COLUMNS = ("audio", *VECTOR_TYPES)
Items = tuple[list[str], dict[str, dict[str, Any]]]


def read_csv_dataset(csv_path: Path, root_dir: Path | None = None) -> Items:
    """Items of a dataset CSV; relative paths resolve against `root_dir` or the CSV's folder.

    Raises:
        DatasetError: unreadable or empty CSV, missing columns or ids, duplicate ids.
    """
    frame = _read_frame(csv_path)
    ids = _row_ids(frame, csv_path)
    base = str((root_dir or csv_path.parent).absolute())
    columns = {name: frame[name].to_list() for name in frame.columns if name != "id"}
    sidecars = SidecarFinder()
    data: dict[str, dict[str, Any]] = {}
    with bulk_objects():
        for row, item_id in enumerate(ids):
            item: dict[str, Any] = {}
            for name, values in columns.items():
                value = values[row]
                if value is not None and name in PATH_COLUMNS:
                    # A blank cell is no file (joined to `base` it would name the folder).
                    if value := value.strip():
                        item[name] = parse_vector_ref(value, base)
                elif value is not None or name == "speaker":
                    item[name] = value
            if isinstance(item.get("audio"), Path):
                sidecars.complete(item)
            data[item_id] = item
    return ids, data


@contextmanager
def bulk_objects() -> Iterator[None]:
    """Pause the cyclic garbage collector while building millions of small objects.

    They hold no reference cycles, and repeated full collections over a growing heap
    otherwise nearly double the time of reading a VoxCeleb2-sized CSV.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read_frame(csv_path: Path) -> pl.DataFrame:
    if not csv_path.exists():
        raise DatasetError(f"{csv_path}: dataset file not found: check the path")
    check_regular(csv_path, DatasetError, "dataset CSV file")
    try:
        # Every column as text: ids such as "00123" must not become numbers.
        frame = pl.read_csv(csv_path, infer_schema_length=0)
    except pl.exceptions.NoDataError:
        raise DatasetError(
            f"{csv_path}: the CSV file is empty: write a header (id, embedding, speaker, ...)"
            " and one row per item"
        ) from None
    except (pl.exceptions.PolarsError, OSError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DatasetError(
            f"{csv_path}: cannot read the CSV file ({message}): save it as UTF-8 comma-separated"
            " text with as many fields in every row as in the header"
        ) from None
    frame = frame.rename({name: name.strip() for name in frame.columns})
    check_unique_columns(frame.columns, csv_path)
    if not any(name in frame.columns for name in PATH_COLUMNS):
        raise DatasetError(
            f"{csv_path}: the CSV needs at least one of the columns {', '.join(PATH_COLUMNS)}"
            f" (found: {', '.join(frame.columns)}): name them, e.g. id,embedding,speaker"
        )
    if frame.height == 0:
        raise DatasetError(f"{csv_path}: the CSV has a header but no rows: add one row per item")
    return frame


def _row_ids(frame: pl.DataFrame, csv_path: Path) -> list[str]:
    column = "id" if "id" in frame.columns else "audio"
    if column == "audio" and "audio" not in frame.columns:
        raise DatasetError(
            f"{csv_path}: without an 'audio' column the CSV needs an 'id' column naming each item"
        )
    ids = frame[column].str.strip_chars()
    missing = ids.is_null() | (ids == "")
    if missing.any():
        row = int(missing.arg_true()[0])
        raise DatasetError(f"{csv_path}: row {row + 2} has no {column}: give every row an {column}")
    duplicated = ids.is_duplicated()
    if duplicated.any():
        rows = duplicated.arg_true().to_list()
        first = ids[rows[0]]
        lines = [r + 2 for r in rows if ids[r] == first][:2]
        raise DatasetError(
            f"{csv_path}: id {first!r} appears more than once (lines {lines[0]} and {lines[1]}):"
            " ids must be unique"
        )
    return ids.to_list()


class SidecarFinder:
    """Finds ``<stem>_emb.<ext>`` / ``<stem>_ba.<ext>`` vector files next to audio files.

    Each folder is listed once, so a large dataset costs one listing per folder
    rather than several stat calls per item.
    """

    def __init__(self) -> None:
        self._listings: dict[str, set[str]] = {}

    def complete(self, item: dict[str, Any]) -> None:
        """Fill the item's missing vector entries from sidecar files of its audio."""
        audio: Path = item["audio"]
        names = self._listing(str(audio.parent))
        for vector_type, tag in SIDECAR_TAGS.items():
            if item.get(vector_type) is not None:
                continue
            for suffix in VECTOR_SUFFIXES:
                name = f"{audio.stem}{tag}{suffix}"
                if name in names:
                    item[vector_type] = audio.parent / name
                    break

    def _listing(self, folder: str) -> set[str]:
        if folder not in self._listings:
            try:
                self._listings[folder] = set(os.listdir(folder))
            except OSError:
                self._listings[folder] = set()
        return self._listings[folder]


def normalise_formats(audio_formats: Iterable[str]) -> tuple[str, ...]:
    """Audio formats as lower-case suffixes with a dot (".wav")."""
    return tuple("." + f.lower().lstrip(".") for f in audio_formats)


def scan_audio_folder(folder: Path, audio_formats: Iterable[str]) -> Items:
    """Items of every audio file under `folder` (recursive); ids are relative paths.

    Raises:
        DatasetError: no audio file of the given formats under `folder`.
    """
    suffixes = normalise_formats(audio_formats)
    root = folder.absolute()
    found: list[tuple[str, Path]] = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.lower().endswith(suffixes):
                path = Path(current, name)
                found.append((path.relative_to(root).as_posix(), path))
    if not found:
        raise DatasetError(
            f"{folder}: no audio file ({', '.join(suffixes)}) in this folder: give a dataset CSV,"
            " a packed dataset folder, or add audio formats"
        )
    return _audio_items(found)


def single_audio_file(path: Path, audio_formats: Iterable[str]) -> Items:
    """The one item of an audio file (id: its file name)."""
    if not path.name.lower().endswith(normalise_formats(audio_formats)):
        raise DatasetError(
            f"{path}: not a dataset: give a CSV file, a folder, a packed dataset folder or an"
            " audio file"
        )
    return _audio_items([(path.name, path.absolute())])


def _audio_items(found: list[tuple[str, Path]]) -> Items:
    sidecars = SidecarFinder()
    data: dict[str, dict[str, Any]] = {}
    for item_id, path in found:
        item: dict[str, Any] = {"audio": path}
        sidecars.complete(item)
        data[item_id] = item
    return [item_id for item_id, _ in found], data
