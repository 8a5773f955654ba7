"""The training table: every embedding of a dataset in one float32 matrix."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl
import torch

from balr.data.cache import TableCache, cache_key, default_cache_dir
from balr.data.kaldi import is_kaldi_file
from balr.data.reader import read_vectors
from balr.data.vectors import MatrixRow, VectorRef
from balr.errors import DatasetError

if TYPE_CHECKING:
    from balr.data.dataset import AudioDataset

log = logging.getLogger("balr.data")


@dataclass
class EmbeddingTable:
    """Embeddings of a dataset with integer speaker labels.

    Attributes:
        ids: item ids, in row order.
        embeddings: float32 [N, D], contiguous (possibly memory-mapped, copy-on-write).
        labels: int64 [N], index into `speakers`; -1 where the item has no speaker.
        speakers: speaker names, sorted; label i is speakers[i].
    """

    ids: list[str]
    embeddings: torch.Tensor
    labels: torch.Tensor
    speakers: list[str]

    @property
    def dim(self) -> int:
        """Embedding dimension (0 for an empty table)."""
        return int(self.embeddings.shape[1]) if self.embeddings.ndim == 2 else 0

    @property
    def num_speakers(self) -> int:
        """Number of distinct speakers."""
        return len(self.speakers)

    def __len__(self) -> int:
        return len(self.ids)


def load_embedding_table(
    dataset: AudioDataset,
    *,
    require_speakers: bool = True,
    skip_missing: bool = False,
    num_workers: int | None = None,
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    progress: bool = True,
) -> EmbeddingTable:
    """Load every embedding of `dataset` into one table.

    Packed datasets are memory-mapped (no file reads, no per-row Python). Per-file
    datasets are read by a thread pool, then cached; later calls memory-map the cache
    while no source file has changed (same size, mtime, ctime and inode).

    Args:
        dataset: the dataset to load.
        require_speakers: an item without a speaker is an error.
        skip_missing: skip items without an embedding (one warning) instead of failing.
        num_workers: reader threads (default: a few per core).
        cache_dir: cache folder (default: ``$XDG_CACHE_HOME/balr/tables``, else
            ``~/.cache/balr/tables``; never a folder of the dataset).
        use_cache: read and write the cache.
        progress: show a progress bar (terminal) or periodic log lines.

    Raises:
        DatasetError: missing embeddings or speakers, unusable vector files, vectors of
            different dimensions or with non-finite values.
    """
    if dataset.packed is not None:
        return _packed_table(dataset, require_speakers)
    ids, refs, speakers = _collect(dataset, require_speakers, skip_missing)
    labels, names = speaker_labels(pl.Series("speaker", speakers, dtype=pl.String))
    # Rows of matrix files (.npy, Kaldi .ark/.scp) are gathered in one read: a cache would
    # only copy them.
    if not use_cache or not refs or all(isinstance(ref, MatrixRow) for ref in refs):
        matrix = read_vectors(
            refs, num_workers=num_workers, progress=progress, what="embedding files"
        )[0]
    else:
        folder = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        matrix = _cached_matrix(
            TableCache(folder, cache_key(ids, refs)), refs, num_workers, progress
        )
    return EmbeddingTable(ids, torch.from_numpy(matrix), torch.from_numpy(labels), names)


def _collect(
    dataset: AudioDataset, require_speakers: bool, skip_missing: bool
) -> tuple[list[str], list[VectorRef], list[str | None]]:
    ids: list[str] = []
    refs: list[VectorRef] = []
    speakers: list[str | None] = []
    skipped: list[str] = []
    for item_id, item in dataset.iter_dicts():
        ref = item.get("embedding")
        if ref is None:
            if not skip_missing:
                raise missing_embedding_error(dataset, item_id, item)
            skipped.append(item_id)
            continue
        speaker = item.get("speaker")
        if speaker is None and require_speakers:
            raise DatasetError(f"{dataset.name}: item {item_id!r} has no speaker: {_fix(dataset)}")
        ids.append(item_id)
        refs.append(ref)
        speakers.append(None if speaker is None else str(speaker))
    if skipped:
        log.warning("%d items without an embedding skipped (first: %r)", len(skipped), skipped[0])
    return ids, refs, speakers


def _fix(dataset: AudioDataset) -> str:
    """How to give an item its speaker: a Kaldi utt2spk for an ark/scp, else the CSV column."""
    if dataset.source is not None and is_kaldi_file(dataset.source):
        return "give the utt2spk with --utt2spk (or put one beside the ark/scp)"
    return "fill its 'speaker' column"


def missing_embedding_error(
    dataset: AudioDataset, item_id: str, item: dict[str, object]
) -> DatasetError:
    """The error for an item without an embedding; for audio, say that `balr extract` makes it."""
    if item.get("audio") is not None:
        return DatasetError(
            f"{dataset.name}: item {item_id!r} has audio but no embedding: compute the"
            f" embeddings first with `balr extract {dataset.name}` and use the dataset CSV it"
            " writes (or the _emb files it puts beside the audio)"
        )
    return DatasetError(
        f"{dataset.name}: item {item_id!r} has no embedding: give every item an"
        " embedding file (or remove the item)"
    )


def _cached_matrix(
    cache: TableCache, refs: list[VectorRef], num_workers: int | None, progress: bool
) -> np.ndarray:
    started = time.perf_counter()
    cached = cache.load(refs, num_workers)
    if cached is not None:
        log.info(
            "loaded %d embeddings from cache %s in %.1fs",
            len(cached),
            cache.matrix_path,
            time.perf_counter() - started,
        )
        return cached
    matrix, stats = read_vectors(
        refs, num_workers=num_workers, progress=progress, what="embedding files"
    )
    cache.store(matrix, stats)
    return matrix


def _packed_table(dataset: AudioDataset, require_speakers: bool) -> EmbeddingTable:
    assert dataset.packed is not None
    pack, rows = dataset.packed
    matrix = pack.matrix("embedding")
    if matrix is None:
        raise DatasetError(f"{pack.root}: the packed dataset has no embeddings: pack it again")
    speakers = pack.speakers()
    if speakers is None:
        speakers = pl.Series("speaker", [None] * pack.count, dtype=pl.String)
    if rows is not None:
        matrix, speakers = matrix[rows], speakers[rows]
    if require_speakers and speakers.null_count():
        first = int(speakers.is_null().arg_true()[0])
        raise DatasetError(
            f"{dataset.name}: item {dataset.ids[first]!r} has no speaker: {_fix(dataset)}"
        )
    labels, names = speaker_labels(speakers)
    return EmbeddingTable(dataset.ids, torch.from_numpy(matrix), torch.from_numpy(labels), names)


def speaker_labels(speakers: pl.Series) -> tuple[np.ndarray, list[str]]:
    """int64 labels (index into the sorted speaker names, -1 for null) and the sorted names."""
    names = speakers.drop_nulls().unique().sort().to_list()
    # An Enum over the sorted names: its physical codes are exactly the label indices.
    codes = speakers.cast(pl.Enum(names)).to_physical().cast(pl.Int64).fill_null(-1)
    return np.array(codes.to_numpy(), dtype=np.int64), names
