"""Joining the outputs of K extraction shards (``shard-<i>-of-<K>...``) into one dataset."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from balr.data.atomic import atomic_path
from balr.data.packed import open_pack
from balr.errors import DatasetError
from balr.extract.outputs import CSV_NAME, ERRORS_NAME, PACK_NAME, write_pack
from balr.extract.worklist import Row

_SHARD = re.compile(r"^shard-(\d+)-of-(\d+)(\.csv)?$")
_SHARD_ERRORS = re.compile(r"^shard-\d+-of-\d+_errors\.csv$")


@dataclass(frozen=True)
class MergeResult:
    """What a merge wrote: the dataset (CSV or pack), its rows, and the failures listed."""

    output: Path
    rows: int
    errors: int


def find_shards(folder: Path) -> tuple[int, dict[int, Path]]:
    """(K, shard number -> output) of the shard CSVs or packs in `folder`.

    Raises:
        DatasetError: no shard output, shards of different K, or missing shards (named).
    """
    found: dict[int, dict[int, Path]] = {}
    for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
        match = _SHARD.match(entry.name)
        if match and (entry.is_file() if match[3] else (entry / "balr-pack.json").is_file()):
            found.setdefault(int(match[2]), {})[int(match[1])] = entry
    if not found:
        raise DatasetError(
            f"{folder}: no shard output (shard-<i>-of-<K>.csv or a shard-<i>-of-<K> pack): give"
            " the folder the shard jobs wrote to"
        )
    if len(found) > 1:
        counts = ", ".join(str(k) for k in sorted(found))
        raise DatasetError(
            f"{folder}: holds shards of different splits (K = {counts}): keep one split's files"
        )
    ((shards, outputs),) = found.items()
    missing = [i for i in range(shards) if i not in outputs]
    if missing:
        names = ", ".join(f"shard-{i}-of-{shards}" for i in missing)
        raise DatasetError(
            f"{folder}: {len(missing)} of {shards} shards have no output ({names}): run those"
            f" jobs again (extract.shards={shards} extract.shard=N), then merge"
        )
    return shards, outputs


def merge_shards(folder: Path) -> MergeResult:
    """Join every shard's rows (sorted by id) into `extracted.csv` (or the `extracted` pack),
    and their failures into `extract_errors.csv`.

    Raises:
        DatasetError: see `find_shards`; an id in two shards.
    """
    folder = folder.absolute()
    _, outputs = find_shards(folder)
    paths = [outputs[i] for i in sorted(outputs)]
    try:
        if paths[0].suffix == ".csv":
            frames = [pl.read_csv(p, infer_schema_length=0) for p in paths]
            frame = pl.concat(frames, how="diagonal")
            _check_unique(frame["id"], folder)
            output = _write_frame(frame.sort("id"), folder / CSV_NAME)
            rows = frame.height
        else:
            output, rows = _merge_packs(paths, folder / PACK_NAME)
        return MergeResult(output, rows, _merge_errors(folder))
    except OSError as error:
        # Written atomically: a failed merge leaves the shard outputs and any older merge whole.
        raise DatasetError(
            f"{folder}: cannot write the merged outputs ({error.strerror or error}): make the"
            " folder writable (and free space), then run balr extract --merge again"
        ) from None


def _check_unique(ids: pl.Series, folder: Path) -> None:
    duplicated = ids.filter(ids.is_duplicated())
    if len(duplicated):
        raise DatasetError(
            f"{folder}: id {duplicated[0]!r} is in two shard outputs: remove shard files of an"
            " older split, then merge"
        )


def _write_frame(frame: pl.DataFrame, path: Path) -> Path:
    with atomic_path(path) as tmp:
        frame.write_csv(tmp)
    return path


def _merge_packs(paths: list[Path], out_dir: Path) -> tuple[Path, int]:
    packs = [open_pack(p) for p in paths]
    index = pl.concat([p.index for p in packs], how="diagonal")
    _check_unique(index["id"], out_dir.parent)
    matrices = [p.matrix("embedding") for p in packs]
    vectors = np.concatenate([m for m in matrices if m is not None])
    rows = [
        Row(r["id"], _path(r.get("audio")), Path(), r.get("speaker"), _path(r.get("source")))
        for r in index.iter_rows(named=True)
    ]
    return write_pack(out_dir, rows, vectors), len(rows)


def _path(value: str | None) -> Path | None:
    return None if value is None else Path(value)


def _merge_errors(folder: Path) -> int:
    parts = [
        pl.read_csv(p, infer_schema_length=0)
        for p in sorted(folder.iterdir())
        if _SHARD_ERRORS.match(p.name)
    ]
    target = folder / ERRORS_NAME
    if not parts:
        target.unlink(missing_ok=True)
        return 0
    frame = pl.concat(parts, how="diagonal").sort("id")
    _write_frame(frame, target)
    return frame.height
