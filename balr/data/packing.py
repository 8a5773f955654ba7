"""Writing packed datasets: `pack_dataset` and saving vectors of packed items."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from balr.data.atomic import temp_sibling
from balr.data.packed import (
    MATRIX_DTYPES,
    MATRIX_FILES,
    PackedData,
    index_frame,
    open_pack,
    prepare_pack_dir,
    write_index,
    write_manifest,
    write_matrix,
)
from balr.data.protocol import DatasetState
from balr.data.reader import read_vectors
from balr.errors import DatasetError

log = logging.getLogger("balr.data")

_COPY_CHUNK = 1 << 16


def pack_dataset(
    dataset: DatasetState,
    out_dir: Path,
    *,
    num_workers: int | None = None,
    progress: bool = True,
    binary_attributes: np.ndarray | None = None,
) -> Path:
    """Read every vector of `dataset` and write it as a packed dataset in `out_dir`.

    Every item needs an embedding. Binary attributes are packed when every item has
    them (or when `binary_attributes` gives a 0/1 [N, K] matrix in dataset order).

    Returns:
        The absolute path of the packed dataset folder.

    Raises:
        DatasetError: an item has no embedding, a vector file is unusable, or `out_dir`
            is a non-empty folder that is not a pack.
    """
    if len(dataset) == 0:
        raise DatasetError(f"{dataset.name}: nothing to pack, the dataset is empty")
    if dataset.packed is not None:
        pack, rows = dataset.packed
        index = pack.index if rows is None else pack.index[rows]
        embeddings = _rows_of(pack.matrix("embedding"), rows)
        binary = _rows_of(pack.matrix("binary_attributes"), rows)
    else:
        index, embeddings, binary = _read_items(dataset, num_workers, progress)
    if binary_attributes is not None:
        binary = np.asarray(binary_attributes, dtype=np.uint8)
    if embeddings is None:
        raise DatasetError(f"{dataset.name}: the packed dataset has no embeddings: pack it again")
    out = prepare_pack_dir(out_dir)
    write_matrix(out / MATRIX_FILES["embedding"], embeddings)
    if binary is not None:
        write_matrix(out / MATRIX_FILES["binary_attributes"], binary)
    write_index(out, index)
    write_manifest(
        out, len(index), embeddings.shape[1], None if binary is None else binary.shape[1]
    )
    return out


def _rows_of(matrix: np.ndarray | None, rows: np.ndarray | None) -> np.ndarray | None:
    if matrix is None or rows is None:
        return matrix
    return matrix[rows]


def _read_items(
    dataset: DatasetState, num_workers: int | None, progress: bool
) -> tuple[Any, np.ndarray, np.ndarray | None]:
    items = [item for _, item in dataset.iter_dicts()]
    missing = next((n for n, item in enumerate(items) if item.get("embedding") is None), None)
    if missing is not None:
        raise DatasetError(
            f"{dataset.name}: item {dataset.ids[missing]!r} has no embedding: a packed dataset"
            " needs an embedding for every item (filter the dataset first)"
        )
    refs = [item["embedding"] for item in items]
    embeddings, _ = read_vectors(
        refs, num_workers=num_workers, progress=progress, what="embedding files"
    )
    binary = None
    ba_refs = [i["binary_attributes"] for i in items if i.get("binary_attributes") is not None]
    with_ba = len(ba_refs)
    if with_ba == len(items):
        matrix, _ = read_vectors(
            ba_refs,
            "binary_attributes",
            num_workers=num_workers,
            progress=progress,
            what="binary-attribute files",
        )
        binary = matrix.astype(np.uint8)
    elif with_ba:
        log.warning(
            "%d of %d items have binary attributes: packing embeddings only", with_ba, len(items)
        )
    return index_frame(dataset.ids, items), embeddings, binary


class PackVectorWriter:
    """Collects vectors for the items of a packed dataset and commits them as one matrix.

    The target is `output_dir` (a new pack of the dataset's items) or the dataset's own
    pack (rows of the pack outside the dataset keep their previous vectors). Vectors go
    to a temporary memory-mapped file; once every item has one, it replaces the matrix
    and the manifest is rewritten.
    """

    def __init__(self, dataset: DatasetState, vector_type: str, output_dir: Path | None) -> None:
        assert dataset.packed is not None
        self.pack, rows = dataset.packed
        self.vector_type = vector_type
        self.rows = np.arange(self.pack.count) if rows is None else rows
        if output_dir is None and not self.pack.root.is_dir():
            raise DatasetError(
                f"{self.pack.root}: a Kaldi ark/scp cannot hold {vector_type}: set an output"
                " dir (balr binarize --save-dir) to write them, with the embeddings, as a pack"
            )
        self.target = prepare_pack_dir(output_dir) if output_dir is not None else self.pack.root
        self.in_place = os.path.samefile(self.target, self.pack.root)
        self.done = np.zeros(len(self.rows), dtype=bool)
        self._matrix: np.memmap | None = None
        self._tmp: str | None = None

    def add(self, positions: np.ndarray, vectors: np.ndarray) -> bool:
        """Store vectors of the dataset positions `positions`; True once all are stored."""
        if self._matrix is None:
            self._open(vectors.shape[1])
        assert self._matrix is not None
        if vectors.shape[1] != self._matrix.shape[1]:
            raise ValueError(
                f"vectors have {vectors.shape[1]} values, earlier ones {self._matrix.shape[1]}"
            )
        self._matrix[self.rows[positions] if self.in_place else positions] = vectors
        self.done[positions] = True
        if not self.done.all():
            return False
        self._commit()
        return True

    def _open(self, dim: int) -> None:
        existing = self.pack.matrix(self.vector_type) if self.in_place else None
        covers_all = len(np.unique(self.rows)) == self.pack.count
        if self.in_place and not covers_all and (existing is None or existing.shape[1] != dim):
            raise DatasetError(
                f"{self.pack.root}: the dataset holds {len(self.rows)} of the pack's"
                f" {self.pack.count} items, so its {self.vector_type} cannot be written into"
                " the pack: set an output dir to write them as a new pack"
            )
        shape = (self.pack.count if self.in_place else len(self.rows), dim)
        self._tmp = str(temp_sibling(self.target / MATRIX_FILES[self.vector_type]))
        dtype = MATRIX_DTYPES[self.vector_type]
        self._matrix = np.lib.format.open_memmap(self._tmp, mode="w+", dtype=dtype, shape=shape)
        if existing is not None and not covers_all:
            for start in range(0, len(existing), _COPY_CHUNK):
                self._matrix[start : start + _COPY_CHUNK] = existing[start : start + _COPY_CHUNK]

    def _commit(self) -> None:
        assert self._matrix is not None and self._tmp is not None
        self._matrix.flush()
        dims = {t: self.pack.manifest.get(f"{t}_dim") for t in MATRIX_FILES}
        dims[self.vector_type] = self._matrix.shape[1]
        self._matrix = None
        os.replace(self._tmp, self.target / MATRIX_FILES[self.vector_type])
        if not self.in_place:
            self._copy_other_files(dims)
        write_manifest(
            self.target,
            len(self.done) if not self.in_place else self.pack.count,
            int(dims["embedding"] or 0),
            dims["binary_attributes"],
        )

    def _copy_other_files(self, dims: dict[str, Any]) -> None:
        write_index(self.target, self.pack.index[self.rows])
        for vector_type in MATRIX_FILES:
            source = self.pack.matrix(vector_type)
            if vector_type == self.vector_type:
                continue
            if source is None:
                dims[vector_type] = None
                continue
            write_matrix(self.target / MATRIX_FILES[vector_type], _GatheredRows(source, self.rows))

    def reopened(self) -> tuple[PackedData, np.ndarray | None]:
        """The committed pack and the dataset's rows in it (None: every row in order)."""
        pack = open_pack(self.target)
        if not self.in_place or np.array_equal(self.rows, np.arange(pack.count)):
            return pack, None
        return pack, self.rows


class _GatheredRows:
    """Rows `rows` of a matrix, gathered chunk by chunk by `write_matrix` (no full copy)."""

    def __init__(self, matrix: np.ndarray, rows: np.ndarray) -> None:
        self.matrix, self.rows = matrix, rows
        self.shape = (len(rows), matrix.shape[1])
        self.dtype = matrix.dtype

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: slice) -> np.ndarray:
        return np.asarray(self.matrix[self.rows[index]])


def add_packed_vectors(
    dataset: DatasetState, ids: Sequence[str], block: np.ndarray, vector_type: str
) -> bool:
    """Hand vectors (rows of `block`) of items `ids` of a packed dataset to its writer.

    Returns:
        True once every item has its vector and the matrix is committed.
    """
    writer = dataset._writers.get(vector_type)
    if writer is None:
        writer = PackVectorWriter(dataset, vector_type, dataset.output_dir)
        dataset._writers[vector_type] = writer
    if not len(ids):
        return False
    positions = np.array([_position(dataset, item_id) for item_id in ids], dtype=np.int64)
    if not writer.add(positions, block):
        return False
    del dataset._writers[vector_type]
    dataset._repoint(*writer.reopened())
    return True


def _position(dataset: DatasetState, item_id: str) -> int:
    try:
        return dataset.position(item_id)
    except KeyError:
        raise DatasetError(
            f"{dataset.name}: save_vectors got id {item_id!r}, which is not an item"
        ) from None


def save_packed_binary_attributes(
    dataset: DatasetState, vectors: Sequence[tuple[str, np.ndarray]], out_dir: Path | None = None
) -> Path:
    """Write binary attributes of every item of `dataset` as a packed dataset.

    A packed dataset gets them in its own pack (or a new pack in `out_dir`); any other
    dataset is packed into `out_dir` (required) with its embeddings.

    Returns:
        The packed dataset folder; a packed `dataset` reads from it afterwards.
    """
    pairs = dict(vectors)
    missing = next((i for i in dataset.ids if i not in pairs), None)
    if missing is not None:
        raise DatasetError(
            f"{dataset.name}: no binary attributes given for item {missing!r}: give one per item"
        )
    ordered = [(i, np.asarray(pairs[i], dtype=np.uint8)) for i in dataset.ids]
    if dataset.packed is None:
        if out_dir is None:
            raise DatasetError(
                f"{dataset.name}: not a packed dataset: give out_dir for the new pack"
            )
        return pack_dataset(dataset, out_dir, binary_attributes=np.stack([v for _, v in ordered]))
    previous = dataset.output_dir
    dataset.set_output_dir(out_dir)
    try:
        block = np.stack([v for _, v in ordered])
        add_packed_vectors(dataset, dataset.ids, block, "binary_attributes")
    finally:
        # Also drops a writer left bound to `out_dir` by a failure, which later
        # save_vectors calls would otherwise reuse.
        dataset.set_output_dir(previous)
    assert dataset.packed is not None
    return dataset.packed[0].root
