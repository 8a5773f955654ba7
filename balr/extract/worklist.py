"""What `balr extract` has to do: one work item per recording, its output files, shards.

The work list is the dataset's items sorted by id. Shard i of K takes the items at
positions i, i + K, i + 2K, ... of that list, so every job computes the same split
from the same input, whatever machine it runs on.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from balr.data.vectors import SIDECAR_TAGS, VECTOR_SUFFIXES, MatrixRow, load_vector
from balr.errors import DatasetError, VectorFileError
from balr.extract.segments import segment_id

EMB_TAG = SIDECAR_TAGS["embedding"]
FORMATS = tuple(s.lstrip(".") for s in VECTOR_SUFFIXES)


@dataclass(frozen=True)
class WorkItem:
    """One recording to embed: where it is, who speaks, and where its vectors go.

    Attributes:
        id: the dataset id of the recording.
        audio: the audio file (None when the CSV row names none).
        speaker: the input CSV's speaker, else the audio's parent folder name.
        folder: the folder its vector files go to.
        stem: the vector files' name part before ``_emb`` (``-sKK`` added for segments).
        existing: an embedding file the item already has (a sidecar or the CSV's column).
    """

    id: str
    audio: Path | None
    speaker: str | None
    folder: Path
    stem: str
    existing: Path | None = None

    def target(self, fmt: str, segment: int | None = None) -> Path:
        """The vector file of the whole recording, or of segment `segment`."""
        stem = self.stem if segment is None else f"{self.stem}-s{segment:02d}"
        return self.folder / f"{stem}{EMB_TAG}.{fmt}"

    def segment_id(self, segment: int) -> str:
        """``<id>-sKK``: 2 digits, 0-based; an audio suffix ending the id is dropped."""
        base = self.id
        if self.audio is not None and base.lower().endswith(self.audio.suffix.lower()):
            base = base[: -len(self.audio.suffix)] or base
        return segment_id(base, segment)


@dataclass(frozen=True)
class Row:
    """One line of the output CSV: a recording (or segment) and its embedding.

    A segment has no `audio` of its own (the vectors of later steps, e.g. its binary
    attributes, must not be named after the whole recording): its recording is `source`.
    """

    id: str
    audio: Path | None
    embedding: Path | MatrixRow
    speaker: str | None
    source: Path | None = None


def check_format(fmt: str) -> str:
    """The vector file format without its dot; ValueError unless npy, pkl or txt."""
    clean = fmt.lower().lstrip(".")
    if clean not in FORMATS:
        raise ValueError(f"unknown vector format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return clean


def work_items(
    items: Iterable[tuple[str, dict[str, Any]]], save_dir: Path | None
) -> list[WorkItem]:
    """Work items of a dataset's (id, raw item) pairs, sorted by id.

    Vector files go beside each audio file, or under `save_dir` mirroring the audio
    files' layout below their common folder (computed over ALL items, so every shard
    of a dataset agrees on it).
    """
    pairs = sorted(items, key=lambda pair: pair[0])
    audios = [_audio_of(raw) for _, raw in pairs]
    root = _common_folder([a for a in audios if a is not None]) if save_dir else None
    out = []
    for (item_id, raw), audio in zip(pairs, audios, strict=True):
        out.append(_work_item(item_id, raw, audio, save_dir, root))
    _check_distinct(out)
    return out


def _work_item(
    item_id: str, raw: dict[str, Any], audio: Path | None, save_dir: Path | None, root: Path | None
) -> WorkItem:
    speaker = raw.get("speaker")
    if speaker is None or not str(speaker).strip():
        speaker = audio.parent.name if audio is not None else None
    existing = raw.get("embedding")
    existing = existing if isinstance(existing, Path) else None
    if audio is None:
        folder, stem = (save_dir or Path.cwd()) / "missing", _safe_stem(item_id)
    else:
        folder, stem = audio.parent, audio.stem
        if save_dir is not None and root is not None:
            folder = save_dir / audio.parent.relative_to(root)
    return WorkItem(
        item_id, audio, None if speaker is None else str(speaker), folder, stem, existing
    )


def _check_distinct(items: list[WorkItem]) -> None:
    """Two items writing one vector file (one audio file listed twice, or ``a.wav`` beside
    ``a.flac``) would overwrite each other's vectors: refuse that up front."""
    seen: dict[Path, WorkItem] = {}
    for item in items:
        if item.audio is None:
            continue
        key = item.folder / item.stem
        first = seen.setdefault(key, item)
        if first is item:
            continue
        if first.audio == item.audio:
            raise DatasetError(
                f"items {first.id!r} and {item.id!r} name the same audio file {item.audio}:"
                " keep one row per recording (--segments cuts a recording into pieces)"
            )
        raise DatasetError(
            f"items {first.id!r} and {item.id!r} would write the same vector file"
            f" {key}{EMB_TAG}: keep one of {first.audio} and {item.audio}"
            " (or rename one)"
        )


def _audio_of(raw: dict[str, Any]) -> Path | None:
    audio = raw.get("audio")
    return Path(audio) if isinstance(audio, str | os.PathLike) else None


def _common_folder(audios: list[Path]) -> Path | None:
    if not audios:
        return None
    try:
        return Path(os.path.commonpath(sorted({str(a.parent) for a in audios})))
    except ValueError:  # different drives: mirror nothing
        return None


def _safe_stem(item_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in item_id) or "item"


def shard_of(items: list[WorkItem], shard: int, shards: int) -> list[WorkItem]:
    """The items of shard `shard` of `shards`: positions shard, shard + shards, ...

    Raises:
        ValueError: shards < 1 or shard outside 0..shards-1.
    """
    if shards < 1 or not 0 <= shard < shards:
        raise ValueError(
            f"extract.shard={shard} extract.shards={shards}: give shards >= 1 and a shard"
            f" from 0 to {max(shards - 1, 0)}"
        )
    return items[shard::shards]


def shard_name(shard: int, shards: int) -> str:
    """``shard-<i>-of-<K>``: the file names of one shard's outputs start with it."""
    return f"shard-{shard}-of-{shards}"


def done_rows(
    item: WorkItem,
    fmt: str,
    segments: bool,
    dim: int | None = None,
    broken: list[str] | None = None,
) -> list[Row] | None:
    """The CSV rows of an item whose vectors already exist, None when it is still to do.

    Whole recordings are done when their output file (or an embedding the item already
    had) exists. Segments are written last-first, so segment 0 existing means all of
    that recording's segments are there. Every such file must load as `dim` finite values
    (an empty or truncated file left by a crash, or one of another encoder, does not):
    otherwise the item is still to do, and the reason goes to `broken`.
    """
    if not segments:
        target = item.target(fmt)
        found = target if target.is_file() else None
        if found is None and item.existing is not None and item.existing.is_file():
            found = item.existing
        rows = None if found is None else [Row(item.id, item.audio, found, item.speaker)]
    elif not item.target(fmt, 0).is_file():
        rows = None
    else:
        rows = []
        k = 0
        while (path := item.target(fmt, k)).is_file():
            rows.append(Row(item.segment_id(k), None, path, item.speaker, item.audio))
            k += 1
    reason = None if rows is None else _unusable(rows, dim)
    if reason is not None and broken is not None:
        broken.append(reason)
    return None if reason is not None else rows


def _unusable(rows: list[Row], dim: int | None) -> str | None:
    """Why one of the rows' vector files cannot be used (None when all load)."""
    for row in rows:
        assert isinstance(row.embedding, Path)
        try:
            vector = load_vector(row.embedding)
        except VectorFileError as error:
            return str(error)
        if dim is not None and vector.shape != (dim,):
            return f"{row.embedding}: {vector.size} values, the encoder gives {dim}"
    return None
