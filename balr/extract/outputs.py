"""Files `balr extract` writes: vector files, the dataset CSV, the error list, packs.

Every file is written to a temporary sibling and renamed into place, so an
interrupted extraction never leaves a partial file where a finished one is expected.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from balr.data.atomic import atomic_path
from balr.data.packed import (
    MATRIX_FILES,
    index_frame,
    prepare_pack_dir,
    write_index,
    write_manifest,
    write_matrix,
)
from balr.data.vectors import save_vector
from balr.errors import VectorFileError
from balr.extract.worklist import Row

CSV_NAME = "extracted.csv"
ERRORS_NAME = "extract_errors.csv"
PACK_NAME = "extracted"
ERROR_COLUMNS = ("id", "audio", "reason")


def write_vector(path: Path, vector: np.ndarray) -> None:
    """Write one vector file atomically (format from the suffix: .npy, .pkl or .txt).

    The temporary name keeps the suffix, so `save_vector` picks the same format, and
    starts with a dot, so no dataset scan takes it for a vector file.

    Raises:
        VectorFileError: the folder cannot be written (e.g. read-only audio beside which
            the vectors were to go): the message says to give --save-dir.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, suffix=path.suffix) as tmp:
            save_vector(tmp, vector)
    except OSError as error:
        raise VectorFileError(
            f"{path}: cannot write the vector file ({error.strerror or error}): give --save-dir"
            " a folder you can write (vectors already written are kept: the same command"
            " continues from them)"
        ) from None


def write_rows_csv(path: Path, rows: Sequence[Row], condition: str | None = None) -> Path:
    """The dataset CSV (id, audio, embedding, speaker), sorted by id; `balr train` reads it.

    Paths inside the CSV's folder are written relative to it, others absolute. A recording
    `condition` (e.g. "phone") fills a `condition` column.
    """
    from balr.data.dataset import AudioDataset

    data = {row.id: _fields(row, condition) for row in rows}
    return AudioDataset(data).to_csv(path)


def _fields(row: Row, condition: str | None = None) -> dict[str, object]:
    fields: dict[str, object] = {"embedding": row.embedding, "speaker": row.speaker}
    if row.audio is not None:
        fields["audio"] = row.audio
    if row.source is not None:
        fields["source"] = str(row.source)
    if condition is not None:
        fields["condition"] = condition
    return fields


def write_errors(path: Path, errors: Sequence[tuple[str, Path | None, str]]) -> Path | None:
    """The failures (id, audio, reason) as a CSV; no errors removes an old file instead."""
    if not errors:
        path.unlink(missing_ok=True)
        return None
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(ERROR_COLUMNS)
    for item_id, audio, reason in sorted(errors, key=lambda e: e[0]):
        writer.writerow([item_id, "" if audio is None else str(audio), reason])
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_text(buffer.getvalue())
    return path


def write_pack(
    out_dir: Path, rows: Sequence[Row], vectors: np.ndarray, condition: str | None = None
) -> Path:
    """A packed dataset (balr pack's format) of `rows` and their `vectors` [N, D], by id."""
    order = sorted(range(len(rows)), key=lambda n: rows[n].id)
    ids = [rows[n].id for n in order]
    items = [_fields(rows[n], condition) for n in order]
    out = prepare_pack_dir(out_dir)
    matrix = np.ascontiguousarray(vectors[order], dtype=np.float32)
    write_matrix(out / MATRIX_FILES["embedding"], matrix)
    write_index(out, index_frame(ids, items))
    write_manifest(out, len(ids), int(matrix.shape[1]), None)
    return out
