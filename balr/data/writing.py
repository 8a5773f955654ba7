"""Writing vectors of dataset items and the dataset CSV (used by AudioDataset)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import polars as pl

from balr.data.atomic import atomic_path
from balr.data.packing import add_packed_vectors
from balr.data.protocol import DatasetState
from balr.data.sources import PATH_COLUMNS
from balr.data.vectors import SIDECAR_TAGS, VECTOR_SUFFIXES, MatrixRow, save_vector
from balr.errors import DatasetError


def prepare_vector(vector: Any, vector_type: str, item_id: str) -> np.ndarray:
    """`vector` as 1-D float32 (embedding) or uint8 0/1 (binary attributes).

    Raises:
        ValueError: not 1-D, non-finite, or binary attributes other than 0/1.
    """
    array = np.asarray(vector)
    if array.ndim != 1:
        raise ValueError(f"the {vector_type} of {item_id!r} has shape {array.shape}, expected 1-D")
    if vector_type == "binary_attributes":
        if not np.isin(array, (0, 1)).all():
            raise ValueError(f"the binary attributes of {item_id!r} are not all 0 or 1")
        return array.astype(np.uint8)
    if not np.isfinite(array).all():
        raise ValueError(f"the embedding of {item_id!r} holds NaN or infinite values")
    return array.astype(np.float32)


def save_packed_pairs(
    dataset: DatasetState, pairs: Sequence[tuple[str, np.ndarray]], vector_type: str
) -> None:
    """Packed items: rows of one matrix, committed once every item has its vector."""
    if not pairs:
        return
    try:
        block = np.stack([np.asarray(v) for _, v in pairs])
    except ValueError:
        raise ValueError(
            f"the {vector_type} vectors given to save_vectors differ in shape"
        ) from None
    add_packed_vectors(
        dataset, [i for i, _ in pairs], prepare_block(block, vector_type), vector_type
    )


def prepare_block(block: np.ndarray, vector_type: str) -> np.ndarray:
    """`prepare_vector` for a stack of vectors [N, K], checked in one pass."""
    if block.ndim != 2:
        raise ValueError(f"{vector_type} vectors must be 1-D, got a stack of shape {block.shape}")
    if vector_type == "binary_attributes":
        if block.dtype.kind in "iu":
            valid = block.min(initial=0) >= 0 and block.max(initial=0) <= 1
        else:
            valid = block.dtype.kind == "b" or bool(((block == 0) | (block == 1)).all())
        if not valid:
            raise ValueError("binary attributes given to save_vectors are not all 0 or 1")
        return block.astype(np.uint8, copy=False)
    if not np.isfinite(block).all():
        raise ValueError("embeddings given to save_vectors hold NaN or infinite values")
    return block.astype(np.float32, copy=False)


def save_file_pairs(
    dataset: DatasetState,
    pairs: Sequence[tuple[str, np.ndarray]],
    vector_type: str,
    fmt: str | None,
) -> None:
    """Per-file items: one vector file per item, then the item points at it."""
    data = dataset.data
    planner = _Planner(dataset, vector_type, fmt)
    for item_id, vector in pairs:
        item = data.get(item_id)
        if item is None:
            raise DatasetError(
                f"{dataset.name}: save_vectors got id {item_id!r}, which is not an item"
            )
        target = planner.target(item_id, item)
        save_vector(target, vector)
        item[vector_type] = target


class _Planner:
    """Chooses the file each item's vector is written to."""

    def __init__(self, dataset: DatasetState, vector_type: str, fmt: str | None) -> None:
        self.vector_type = vector_type
        self.tag = SIDECAR_TAGS[vector_type]
        self.fmt = None if fmt is None else "." + fmt.lower().lstrip(".")
        if self.fmt is not None and self.fmt not in VECTOR_SUFFIXES:
            raise ValueError(f"fmt must be one of {VECTOR_SUFFIXES}, not {fmt!r}")
        self.output_dir = dataset.output_dir
        self.root: Path | None = None
        if self.output_dir is not None:
            # Computed once per output dir and vector type: streamed saves call this per chunk.
            if vector_type not in dataset._common_roots:
                dataset._common_roots[vector_type] = _common_root(dataset, vector_type)
            self.root = dataset._common_roots[vector_type]

    def target(self, item_id: str, item: dict[str, Any]) -> Path:
        ext = self.fmt or _existing_suffix(item, self.vector_type)
        ref = _reference(item, self.vector_type)
        if ref is None:
            if self.output_dir is None:
                raise DatasetError(
                    f"item {item_id!r} has no audio or vector file to write its {self.vector_type}"
                    " beside: set an output dir"
                )
            relative = _safe_relative(item_id)
            return self.output_dir / relative.parent / f"{relative.name}{self.tag}{ext}"
        folder = ref.parent
        if self.output_dir is not None and self.root is not None:
            folder = self.output_dir / folder.relative_to(self.root)
        return folder / f"{_base_stem(ref)}{self.tag}{ext}"


def _reference(item: dict[str, Any], vector_type: str) -> Path | None:
    """The file a new vector goes beside: the audio, else the item's vector files."""
    others = [t for t in SIDECAR_TAGS if t != vector_type]
    for key in ("audio", vector_type, *others):
        value = item.get(key)
        if isinstance(value, Path):
            return value
    return None


def _base_stem(ref: Path) -> str:
    """The name part shared by an item's files: a vector file's _emb/_ba tag is dropped."""
    stem = ref.stem
    if ref.suffix.lower() in VECTOR_SUFFIXES:
        for tag in SIDECAR_TAGS.values():
            if stem.endswith(tag):
                return stem[: -len(tag)]
    return stem


def _existing_suffix(item: dict[str, Any], vector_type: str) -> str:
    for key in (vector_type, *SIDECAR_TAGS):
        value = item.get(key)
        if isinstance(value, Path) and value.suffix.lower() in VECTOR_SUFFIXES:
            return value.suffix.lower()
    return ".txt"


def _common_root(dataset: DatasetState, vector_type: str) -> Path | None:
    folders = {
        str(ref.parent)
        for _, item in dataset.iter_dicts()
        if (ref := _reference(item, vector_type))
    }
    if not folders:
        return None
    try:
        return Path(os.path.commonpath(sorted(folders)))
    except ValueError:  # paths on different drives: nothing in common
        return None


def _safe_relative(item_id: str) -> Path:
    parts = [p for p in PurePosixPath(item_id).parts if p not in ("", ".", "..", "/")]
    return Path(*parts) if parts else Path("item")


def write_csv(dataset: DatasetState, path: Path) -> Path:
    """Write `dataset` as a CSV (see `AudioDataset.to_csv`); return its absolute path."""
    path = path.expanduser().absolute()
    prefix = str(path.parent) + os.sep
    items = [item for _, item in dataset.iter_dicts()]
    names: list[str] = []
    for item in items:
        names.extend(k for k in item if k not in names)
    order = [c for c in PATH_COLUMNS if c in names] + [c for c in names if c not in PATH_COLUMNS]
    if not any(c in PATH_COLUMNS for c in order):
        order.insert(0, "embedding")
    columns: dict[str, list[str | None]] = {"id": list(dataset.ids)}
    for name in order:
        columns[name] = [_cell(item.get(name), prefix) for item in items]
    frame = pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.String))
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        frame.write_csv(tmp)
    return path


def _cell(value: Any, prefix: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, MatrixRow):
        return f"{_cell(value.path, prefix)}#{value.row}"
    if isinstance(value, Path):
        text = str(value)
        return text[len(prefix) :] if text.startswith(prefix) else text
    return str(value)
