"""On-disk cache of loaded embedding tables, validated against the source files.

Entries live in the user's cache folder (``$XDG_CACHE_HOME/balr/tables``, else
``~/.cache/balr/tables``), never beside a dataset: a user's data folders are only read
(and may be read-only or shared). An entry is named by a hash of the dataset's ids and
the absolute paths of its vector files, so two datasets never share one. It holds the
float32 matrix (memory-mapped when reused) and each source file's version (size,
mtime_ns, ctime_ns, inode); it is reused only when every source file still has the
recorded version, and rebuilt otherwise (a file rewritten with its old size and mtime
restored still counts as changed: its ctime moved). All files are written atomically and
the small JSON index last, so a crash never leaves an entry that looks valid.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np

from balr.data.atomic import atomic_path
from balr.data.reader import default_workers
from balr.data.vectors import VERSION_FIELDS, MatrixRow, VectorRef, file_version

log = logging.getLogger("balr.data")

# 2: file versions gained ctime and inode.
CACHE_VERSION = 2


def user_cache_dir() -> Path:
    """$XDG_CACHE_HOME/balr, else ~/.cache/balr."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "balr"


def default_cache_dir() -> Path:
    """Where embedding tables are cached by default: ``tables/`` in the user cache dir."""
    return user_cache_dir() / "tables"


def cache_key(ids: Sequence[str], refs: Sequence[VectorRef]) -> str:
    """Identity of an embedding table: a hash of its ids and vector references, in order."""
    digest = hashlib.sha256(f"balr-table v{CACHE_VERSION} embedding\n".encode())
    lines = (f"{i}\t{_absolute(r)}" for i, r in zip(ids, refs, strict=True))
    digest.update("\n".join(lines).encode())
    return digest.hexdigest()[:32]


def _absolute(ref: VectorRef) -> str:
    # The same relative path in two folders is two datasets: the key holds absolute paths.
    if isinstance(ref, MatrixRow):
        return f"{os.path.abspath(ref.path)}#{ref.row}"
    return os.path.abspath(ref)


def file_stats(refs: Sequence[VectorRef], num_workers: int | None = None) -> np.ndarray:
    """int64 [N, 4] `file_version` of each reference's file; all -1 when missing."""
    paths = [str(ref.path if isinstance(ref, MatrixRow) else ref) for ref in refs]
    out = np.full((len(paths), VERSION_FIELDS), -1, dtype=np.int64)

    def fill(start: int) -> None:
        for i in range(start, min(start + 4096, len(paths))):
            try:
                out[i] = file_version(os.stat(paths[i]))
            except OSError:
                continue

    starts = range(0, len(paths), 4096)
    workers = max(1, num_workers if num_workers is not None else default_workers())
    if workers == 1 or len(starts) == 1:
        for start in starts:
            fill(start)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(fill, starts))
    return out


class TableCache:
    """One cache entry: ``<key>.emb.npy``, ``<key>.stats.npy`` and ``<key>.json`` in `directory`."""

    def __init__(self, directory: Path, key: str) -> None:
        self.directory, self.key = directory, key
        self.matrix_path = directory / f"{key}.emb.npy"
        self.stats_path = directory / f"{key}.stats.npy"
        self.index_path = directory / f"{key}.json"

    def load(self, refs: Sequence[VectorRef], num_workers: int | None = None) -> np.ndarray | None:
        """The cached matrix (memory-mapped, copy-on-write), or None when absent or stale."""
        try:
            index = json.loads(self.index_path.read_text())
            stored = np.load(self.stats_path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        if index.get("version") != CACHE_VERSION or index.get("count") != len(refs):
            return None
        if stored.shape != (len(refs), VERSION_FIELDS):
            return None
        changed = int((file_stats(refs, num_workers) != stored).any(axis=1).sum())
        if changed:
            log.info(
                "embedding cache %s is stale (%d files changed): rebuilding",
                self.index_path,
                changed,
            )
            return None
        try:
            matrix = np.load(self.matrix_path, mmap_mode="c", allow_pickle=False)
        except (OSError, ValueError):
            return None
        if matrix.shape != (index["count"], index["dim"]) or matrix.dtype != np.float32:
            return None
        return matrix

    def store(self, matrix: np.ndarray, stats: np.ndarray) -> None:
        """Write the entry; a failure (read-only or full disk) only logs a warning."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._atomic(self.matrix_path, lambda f: np.save(f, matrix, allow_pickle=False))
            self._atomic(self.stats_path, lambda f: np.save(f, stats, allow_pickle=False))
            index = {"version": CACHE_VERSION, "count": len(matrix), "dim": int(matrix.shape[1])}
            self._atomic(self.index_path, lambda f: f.write(json.dumps(index).encode()))
        except OSError as error:
            log.warning("could not write the embedding cache in %s (%s)", self.directory, error)

    def _atomic(self, path: Path, write: Callable[[BinaryIO], object]) -> None:
        with atomic_path(path) as tmp, open(tmp, "wb") as stream:
            write(stream)
