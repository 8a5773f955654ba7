"""The binary attributes of a whole dataset as one 0/1 matrix, with speaker labels.

The input of scorer fitting and scoring: read once, in bulk (a packed dataset's
matrix is memory-mapped; per-file vectors are read by `balr.data.reader`), never per
comparison. Both layouts of a vector file are read: balr's 1-D 0/1 vector and BA-LR
2.0's [k, 2] one-hot ``[b, 1-b]`` (see `balr.data.vectors`). The number of
attributes k comes from the data, and every vector must have it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from balr.data.dataset import AudioDataset
from balr.data.reader import read_vectors
from balr.data.table import speaker_labels
from balr.errors import DatasetError

# Rows checked per step of the 0/1 check of a packed matrix (8 MiB at 512 attributes).
_CHECK_ROWS = 1 << 14


@dataclass
class AttributeTable:
    """Binary attributes of the items of a dataset.

    Attributes:
        ids: item ids, in dataset order.
        bits: uint8 0/1 [N, k], C-contiguous (a read-only memory map for a whole pack).
        labels: int64 [N], index into `speakers`, -1 for an item without speaker.
        speakers: sorted speaker names.
    """

    ids: list[str]
    bits: np.ndarray
    labels: np.ndarray
    speakers: list[str]

    @property
    def n_attributes(self) -> int:
        """k, the number of attributes of every vector."""
        return int(self.bits.shape[1])

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, ids: list[str]) -> np.ndarray:
        """int64 row of each id (KeyError naming the first unknown id)."""
        positions = {item: n for n, item in enumerate(self.ids)}
        return np.fromiter((positions[i] for i in ids), np.int64, len(ids))


def load_attribute_table(
    dataset: AudioDataset,
    *,
    require_speakers: bool = False,
    num_workers: int | None = None,
    progress: bool = True,
) -> AttributeTable:
    """Read the binary attributes and speakers of every item of `dataset`.

    Args:
        dataset: a dataset whose items have binary attributes.
        require_speakers: refuse an item without speaker (for fitting a scorer).
        num_workers: reader threads for per-file vectors (default: `default_workers`).
        progress: show a progress bar while reading files.

    Raises:
        DatasetError: an item without binary attributes (or speaker when required), a
            vector of another length than the others, a value other than 0 and 1.
    """
    if len(dataset) == 0:
        raise DatasetError(f"{dataset.name}: the dataset has no item: give a non-empty dataset")
    packed = dataset.packed
    if packed is not None:
        bits, names = _packed_bits(dataset)
    else:
        bits, names = _file_bits(dataset, num_workers, progress)
    labels, speakers = _labels(dataset, names, require_speakers)
    return AttributeTable(list(dataset.ids), bits, labels, speakers)


def _packed_bits(dataset: AudioDataset) -> tuple[np.ndarray, list[str | None]]:
    assert dataset.packed is not None
    pack, rows = dataset.packed
    matrix = pack.matrix("binary_attributes")
    if matrix is None:
        raise DatasetError(
            f"{pack.root}: the packed dataset holds no binary attributes: run `balr binarize`"
            " on it first"
        )
    bits = matrix if rows is None else np.ascontiguousarray(matrix[rows])
    for start in range(0, len(bits), _CHECK_ROWS):
        bad = bits[start : start + _CHECK_ROWS] > 1
        if bad.any():
            row = start + int(np.argmax(bad.any(axis=1)))
            raise DatasetError(
                f"{pack.matrix_path('binary_attributes')}: item {dataset.ids[row]!r} holds values"
                " other than 0 and 1: binarise the dataset again"
            )
    speakers = pack.speakers()
    if speakers is None:
        names: list[str | None] = [None] * len(bits)
    else:
        names = (speakers if rows is None else speakers[rows]).to_list()
    return bits, names


def _file_bits(
    dataset: AudioDataset, num_workers: int | None, progress: bool
) -> tuple[np.ndarray, list[str | None]]:
    refs, names = [], []
    for item_id, item in dataset.iter_dicts():
        ref = item.get("binary_attributes")
        if ref is None:
            raise DatasetError(
                f"{dataset.name}: item {item_id!r} has no binary attributes: run `balr binarize`"
                " or add a binary_attributes column"
            )
        refs.append(ref)
        speaker = item.get("speaker")
        names.append(None if speaker is None else str(speaker))
    matrix, _ = read_vectors(
        refs,
        kind="binary_attributes",
        num_workers=num_workers,
        progress=progress,
        what="binary-attribute files",
    )
    return np.ascontiguousarray(matrix, dtype=np.uint8), names


def _labels(
    dataset: AudioDataset, names: list[str | None], require_speakers: bool
) -> tuple[np.ndarray, list[str]]:
    missing = [n for n, name in enumerate(names) if name is None or name == ""]
    if missing and require_speakers:
        raise DatasetError(
            f"{dataset.name}: item {dataset.ids[missing[0]]!r} has no speaker: give every"
            " reference item a speaker"
        )
    # An empty speaker cell is no speaker, as in the embedding table.
    texts = pl.Series("speaker", [str(name) if name else None for name in names], pl.String)
    return speaker_labels(texts)
