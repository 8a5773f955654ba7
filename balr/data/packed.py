"""Packed datasets: one folder holding every vector of a dataset as a matrix.

A packed dataset is a folder with:

- ``balr-pack.json``: format name and version, item count, vector dimensions;
- ``index.parquet``: one row per item: ``id``, ``speaker``, ``audio`` and any other
  scalar column of the source dataset (all text);
- ``embeddings.npy``: float32 [N, D], row i is the embedding of index row i;
- ``binary_attributes.npy`` (optional): uint8 0/1 [N, K].

Matrices are memory-mapped, so opening even a VoxCeleb2-sized pack takes about
a second and no per-row Python work. Every file is written atomically (temporary
file + ``os.replace``) and the manifest last, so a pack is never half-written.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import polars as pl

from balr.data.atomic import atomic_path
from balr.data.sources import bulk_objects
from balr.data.vectors import MatrixRow, open_matrix
from balr.errors import DatasetError

PACK_FORMAT = "balr-pack"
PACK_VERSION = 1
MANIFEST = "balr-pack.json"
INDEX = "index.parquet"
MATRIX_FILES = {"embedding": "embeddings.npy", "binary_attributes": "binary_attributes.npy"}
MATRIX_DTYPES = {"embedding": np.float32, "binary_attributes": np.uint8}
# Rows per finiteness-check step: 16 MiB of a 256-dim float32 matrix, whatever its size.
_CHECK_ROWS = 1 << 14
# Index columns holding paths (turned back into Path objects on reading).
_PATH_COLUMNS = ("audio",)


def is_packed_dir(path: Path) -> bool:
    """True when `path` is a packed dataset folder."""
    return path.is_dir() and (
        (path / MANIFEST).is_file()
        or ((path / INDEX).is_file() and (path / MATRIX_FILES["embedding"]).is_file())
    )


@dataclass
class PackedData:
    """An opened packed dataset: its index table and memory-mapped matrices."""

    root: Path
    manifest: dict[str, Any]
    index: pl.DataFrame

    @property
    def count(self) -> int:
        """Number of items (rows)."""
        return self.index.height

    def ids(self) -> list[str]:
        """Item ids in row order."""
        return self.index["id"].to_list()

    def has(self, vector_type: str) -> bool:
        """True when the pack holds a matrix of `vector_type`."""
        return bool(self.manifest.get(f"{vector_type}_dim"))

    def matrix_path(self, vector_type: str) -> Path:
        """Where the matrix of `vector_type` is (or would be) stored."""
        return self.root / MATRIX_FILES[vector_type]

    def matrix(self, vector_type: str) -> np.ndarray | None:
        """The memory-mapped matrix of `vector_type`, or None when the pack has none."""
        return open_matrix(self.matrix_path(vector_type)) if self.has(vector_type) else None

    def speakers(self) -> pl.Series | None:
        """The speaker column (None when the pack has none)."""
        return self.index["speaker"] if "speaker" in self.index.columns else None

    def dicts(self, rows: np.ndarray | None = None) -> list[dict[str, Any]]:
        """Raw item dicts of `rows` (all rows by default), vectors as `MatrixRow` references."""
        frame = self.index if rows is None else self.index[rows]
        positions = np.arange(self.count) if rows is None else rows
        columns = {c: frame[c].to_list() for c in frame.columns if c != "id"}
        vector_paths = [(t, self.matrix_path(t)) for t in MATRIX_FILES if self.has(t)]
        with bulk_objects():
            return list(self._dicts(positions.tolist(), columns, vector_paths))

    @staticmethod
    def _dicts(
        positions: list[int], columns: dict[str, list[Any]], vector_paths: list[tuple[str, Path]]
    ) -> Iterator[dict[str, Any]]:
        for i, row in enumerate(positions):
            item: dict[str, Any] = {t: MatrixRow(path, row) for t, path in vector_paths}
            for name, values in columns.items():
                value = values[i]
                if value is not None:
                    item[name] = Path(value) if name in _PATH_COLUMNS else value
                elif name == "speaker":
                    item[name] = None
            yield item


def open_pack(root: Path) -> PackedData:
    """Open the packed dataset in `root`, checking that its files agree.

    Raises:
        DatasetError: unknown format version, unreadable index or inconsistent files.
    """
    root = root.absolute()
    manifest = _read_manifest(root)
    try:
        index = pl.read_parquet(root / INDEX)
    except (pl.exceptions.PolarsError, OSError) as error:
        raise DatasetError(
            f"{root / INDEX}: cannot read the pack index ({error}): pack again"
        ) from None
    if "id" not in index.columns:
        raise DatasetError(f"{root / INDEX}: the pack index has no 'id' column: pack again")
    pack = PackedData(root, manifest, index)
    # balr checked every vector it packed; a pack without its manifest was written by
    # someone else, so its values are checked here (measured: 0.25 s on a 1.1 GiB matrix).
    written_by_balr = (root / MANIFEST).is_file()
    for vector_type in MATRIX_FILES:
        if vector_type == "embedding" or pack.has(vector_type):
            _check_matrix(pack, vector_type, check_values=not written_by_balr)
    return pack


def _read_manifest(root: Path) -> dict[str, Any]:
    path = root / MANIFEST
    if not path.is_file():
        # A bare index.parquet + embeddings.npy folder: derive what the manifest would say.
        shape = open_matrix(root / MATRIX_FILES["embedding"]).shape
        has_binary = (root / MATRIX_FILES["binary_attributes"]).is_file()
        binary_dim = (
            open_matrix(root / MATRIX_FILES["binary_attributes"]).shape[1] if has_binary else None
        )
        return _manifest(shape[0], shape[1], binary_dim)
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError, RecursionError) as error:
        reason = type(error).__name__ if isinstance(error, RecursionError) else error
        raise DatasetError(
            f"{path}: unreadable pack manifest ({reason}): pack the dataset again"
        ) from None
    if not isinstance(manifest, dict):
        raise DatasetError(f"{path}: not a balr pack manifest: pack the dataset again")
    if manifest.get("format") != PACK_FORMAT or not isinstance(manifest.get("version"), int):
        raise DatasetError(f"{path}: not a balr pack manifest: pack the dataset again")
    if manifest["version"] > PACK_VERSION:
        raise DatasetError(
            f"{path}: pack format version {manifest['version']} is newer than this balr"
            f" understands ({PACK_VERSION}): upgrade balr or pack the dataset again"
        )
    return dict(manifest)


def _check_matrix(pack: PackedData, vector_type: str, check_values: bool) -> None:
    path = pack.matrix_path(vector_type)
    if not path.is_file():
        raise DatasetError(f"{path}: missing from the packed dataset: pack the dataset again")
    matrix = open_matrix(path)
    expected = (pack.count, pack.manifest.get(f"{vector_type}_dim"))
    if matrix.shape != expected:
        raise DatasetError(
            f"{path}: shape {matrix.shape} does not match the pack index and manifest"
            f" {expected}: pack the dataset again"
        )
    dtype = np.dtype(MATRIX_DTYPES[vector_type])
    if matrix.dtype != dtype:
        raise DatasetError(
            f"{path}: holds {matrix.dtype} values, a packed {vector_type} matrix holds {dtype}:"
            f" save it as {dtype} (numpy: matrix.astype('{dtype}')) or pack the dataset again"
        )
    if check_values and dtype.kind == "f":
        _check_finite(matrix, path)


def _check_finite(matrix: np.ndarray, path: Path) -> None:
    """DatasetError naming the first row with NaN or infinity; reads the matrix in chunks."""
    for start in range(0, len(matrix), _CHECK_ROWS):
        finite = np.isfinite(matrix[start : start + _CHECK_ROWS]).all(axis=1)
        if not finite.all():
            row = start + int(np.argmin(finite))
            raise DatasetError(
                f"{path}: row {row} holds NaN or infinite values: recompute that embedding"
                " and save the matrix again"
            )


def _manifest(count: int, embedding_dim: int, binary_dim: int | None) -> dict[str, Any]:
    return {
        "format": PACK_FORMAT,
        "version": PACK_VERSION,
        "count": int(count),
        "embedding_dim": int(embedding_dim),
        "binary_attributes_dim": None if binary_dim is None else int(binary_dim),
        "files": {"index": INDEX, **MATRIX_FILES},
    }


def prepare_pack_dir(out_dir: Path) -> Path:
    """Create `out_dir` for a pack; refuse a non-empty folder that is not a pack already."""
    out_dir = out_dir.absolute()
    if out_dir.exists() and not out_dir.is_dir():
        raise DatasetError(f"{out_dir}: exists and is not a folder: choose another output path")
    if out_dir.is_dir() and any(map(_is_content, out_dir.iterdir())) and not is_packed_dir(out_dir):
        raise DatasetError(
            f"{out_dir}: folder is not empty and not a packed dataset: choose an empty or a"
            " new folder"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def _is_content(entry: Path) -> bool:
    """False for the run bookkeeping a CLI command keeps beside its output (.hydra/, logs)."""
    return not (entry.name.startswith(".") or entry.suffix == ".log")


class MatrixAppender:
    """Appends rows to a .npy file being written (see `append_matrix`)."""

    def __init__(self, stream: BinaryIO, shape: tuple[int, int], dtype: np.dtype) -> None:
        self.stream, self.shape, self.dtype = stream, shape, dtype
        self.rows = 0

    def write(self, rows: np.ndarray) -> None:
        """Append `rows` [k, shape[1]] (cast to the matrix dtype)."""
        block = np.ascontiguousarray(rows, dtype=self.dtype)
        if block.ndim != 2 or block.shape[1] != self.shape[1]:
            raise ValueError(f"rows of shape {block.shape} do not fit a matrix of {self.shape}")
        self.stream.write(block.tobytes())
        self.rows += len(block)


@contextmanager
def append_matrix(path: Path, shape: tuple[int, int], dtype: Any) -> Iterator[MatrixAppender]:
    """Write the .npy `path` sequentially, rows appended chunk by chunk; atomic.

    Memory stays bounded by the chunk size, unlike filling a memory map, whose dirty
    pages all count against the process until written back.
    """
    dtype = np.dtype(dtype)
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
    with atomic_path(path) as tmp, open(tmp, "wb") as stream:
        np.lib.format.write_array_header_1_0(stream, header)
        appender = MatrixAppender(stream, shape, dtype)
        yield appender
        if appender.rows != shape[0]:
            raise ValueError(f"{path}: {appender.rows} rows written, {shape[0]} expected")


def write_matrix(path: Path, matrix: Any, chunk: int = 1 << 16) -> None:
    """Write `matrix` to the .npy `path` atomically, chunk by chunk.

    `matrix` is an array, a memmap or any row view with shape, dtype, len and slicing.
    """
    with append_matrix(path, matrix.shape, matrix.dtype) as out:
        for start in range(0, len(matrix), chunk):
            out.write(matrix[start : start + chunk])


def write_index(out_dir: Path, index: pl.DataFrame) -> None:
    """Write the pack index atomically."""
    with atomic_path(out_dir / INDEX) as tmp:
        index.write_parquet(tmp)


def write_manifest(out_dir: Path, count: int, embedding_dim: int, binary_dim: int | None) -> None:
    """Write the manifest (atomically, last); drop a binary matrix the pack no longer has."""
    if binary_dim is None:
        (out_dir / MATRIX_FILES["binary_attributes"]).unlink(missing_ok=True)
    with atomic_path(out_dir / MANIFEST) as tmp:
        tmp.write_text(json.dumps(_manifest(count, embedding_dim, binary_dim), indent=2))


def index_frame(ids: list[str], items: list[dict[str, Any]]) -> pl.DataFrame:
    """The pack index of items: id, speaker, then every other scalar field as text."""
    names: list[str] = ["speaker"]
    for item in items:
        names.extend(k for k in item if k not in names and k not in MATRIX_FILES)
    columns: dict[str, list[Any]] = {"id": ids}
    for name in names:
        columns[name] = [_text(item.get(name)) for item in items]
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)
