"""Bulk, parallel reading of per-file vectors into one matrix, with progress reporting.

Files are read by a thread pool in chunks; each worker writes its rows straight
into the preallocated matrix. Rows that point into a matrix file (`MatrixRow`)
are gathered from its memory map in one vectorised step per file.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Self

import numpy as np

from balr.data.blocks import parse_npy_block, parse_text_block
from balr.data.guard import VECTOR_LIMIT, read_limited
from balr.data.kaldi import is_kaldi_file
from balr.data.vectors import (
    VERSION_FIELDS,
    MatrixRow,
    VectorRef,
    decode_vector,
    file_version,
    load_ref,
    open_matrix_version,
)
from balr.errors import DatasetError, VectorFileError

log = logging.getLogger("balr.data")

_CHUNK = 256


def default_workers() -> int:
    """Reader threads when none are asked for.

    Reads of other threads overlap the parsing of a chunk; many more threads than cores
    only add GIL contention when files are in the page cache (measured: 2-4 is best).
    """
    return min(8, 2 * (os.cpu_count() or 1))


def read_bytes(path: Path) -> tuple[bytes, tuple[int, int, int, int]]:
    """(content, `file_version`) of a file, stat taken from the open file.

    Plain os.open/os.read (half the per-file cost of open() with its buffered wrappers),
    through the guard: regular files only, at most `VECTOR_LIMIT` bytes.
    """
    try:
        data, stat = read_limited(path, VECTOR_LIMIT, VectorFileError, "vector file")
    except FileNotFoundError:
        raise VectorFileError(
            f"{path}: vector file not found: fix the path or create the file"
        ) from None
    except OSError as error:
        raise VectorFileError(f"{path}: cannot read vector file ({error.strerror})") from None
    return data, file_version(stat)


def read_vectors(
    refs: Sequence[VectorRef],
    kind: str = "embedding",
    *,
    num_workers: int | None = None,
    progress: bool = True,
    what: str = "vector files",
) -> tuple[np.ndarray, np.ndarray]:
    """Read every vector of `refs` into a float32 [N, D] matrix.

    Returns:
        (matrix, stats): stats is int64 [N, 4], each source file's `file_version`,
        taken before its vector was read (for cache validation).

    Raises:
        VectorFileError: a file is missing or malformed.
        DatasetError: the vectors do not all have the same dimension.
    """
    files = [i for i, ref in enumerate(refs) if not isinstance(ref, MatrixRow)]
    if not refs:
        return np.zeros((0, 0), np.float32), np.zeros((0, VERSION_FIELDS), np.int64)
    # Fully checked: the first vector sets the dimension of the whole matrix.
    first = load_ref(refs[0], kind)
    matrix = np.empty((len(refs), first.size), dtype=np.float32)
    stats = np.zeros((len(refs), VERSION_FIELDS), dtype=np.int64)
    _gather_matrix_rows(refs, matrix, stats, refs[0])
    if files:
        started = time.perf_counter()
        workers = max(1, num_workers if num_workers is not None else default_workers())
        reader = _ChunkReader(refs, kind, matrix, stats, Path(str(refs[0])))
        chunks = [files[i : i + _CHUNK] for i in range(0, len(files), _CHUNK)]
        with ReadProgress(len(files), what, enabled=progress) as bar:
            _run_chunks(reader, chunks, workers, bar.advance)
        seconds = time.perf_counter() - started
        log.info(
            "read %d %s in %.1fs (%.0f files/s, %d threads)",
            len(files),
            what,
            seconds,
            len(files) / max(seconds, 1e-9),
            workers,
        )
    return matrix, stats


def _run_chunks(
    reader: _ChunkReader, chunks: list[list[int]], workers: int, advance: Callable[[int], None]
) -> None:
    if workers == 1:
        for chunk in chunks:
            reader(chunk)
            advance(len(chunk))
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="balr-read") as pool:
        futures = [pool.submit(reader, chunk) for chunk in chunks]
        try:
            for future, chunk in zip(futures, chunks, strict=True):
                future.result()
                advance(len(chunk))
        except BaseException:
            for future in futures:
                future.cancel()
            raise


class _ChunkReader:
    """Reads a list of row indices into the shared matrix (one call per thread task)."""

    def __init__(
        self,
        refs: Sequence[VectorRef],
        kind: str,
        matrix: np.ndarray,
        stats: np.ndarray,
        first: Path,
    ) -> None:
        self.refs, self.kind, self.matrix, self.stats, self.first = refs, kind, matrix, stats, first

    def __call__(self, rows: list[int]) -> None:
        dim = self.matrix.shape[1]
        paths = [self.refs[row] for row in rows]
        blobs, stats = [], []
        for path in paths:
            data, version = read_bytes(path)  # type: ignore[arg-type]
            blobs.append(data)
            stats.append(version)
        self.stats[rows] = stats
        if self.kind == "embedding":
            block = _parse_block(paths, blobs, dim)
            if block is not None:
                self.matrix[rows] = block
                return
        # Any other format, or text the block parser declined: file by file, exact errors.
        for row, path, data in zip(rows, paths, blobs, strict=True):
            assert isinstance(path, Path)
            vector = decode_vector(data, path, self.kind)
            if vector.size != dim:
                raise DatasetError(
                    f"{path}: vector has {vector.size} values but {self.first} has {dim}: all"
                    " vectors of a dataset must have the same dimension"
                )
            self.matrix[row] = vector


def _parse_block(paths: list[VectorRef], blobs: list[bytes], dim: int) -> np.ndarray | None:
    """A whole chunk of same-format files parsed at once, or None (then file by file)."""
    suffixes = {str(p)[-4:].lower() for p in paths}
    if suffixes == {".txt"}:
        return parse_text_block(blobs, dim)
    if suffixes == {".npy"}:
        return parse_npy_block(blobs, dim)
    return None


def _gather_matrix_rows(
    refs: Sequence[VectorRef], matrix: np.ndarray, stats: np.ndarray, first: VectorRef
) -> None:
    groups: dict[Path, list[int]] = {}
    for i, ref in enumerate(refs):
        if isinstance(ref, MatrixRow):
            groups.setdefault(ref.path, []).append(i)
    for path, rows in groups.items():
        source, version = open_matrix_version(path)
        if source.shape[1] != matrix.shape[1]:
            raise DatasetError(
                f"{path}: vectors have {source.shape[1]} values but {first} has"
                f" {matrix.shape[1]}: all vectors of a dataset must have the same dimension"
            )
        wanted = np.fromiter((refs[i].row for i in rows), np.int64, len(rows))  # type: ignore[union-attr]
        if len(wanted) and (wanted.min() < 0 or wanted.max() >= len(source)):
            raise VectorFileError(f"{path}: a row reference is out of range ({len(source)} rows)")
        index = np.asarray(rows)
        if len(rows) == len(matrix) and source.dtype == matrix.dtype:
            np.take(source, wanted, axis=0, out=matrix)  # one file holds every row: no scatter
        else:
            matrix[index] = source[wanted]
        stats[index] = version
    # Kaldi files were checked when read; a .npy matrix's values are checked here.
    unchecked = [rows for path, rows in groups.items() if not is_kaldi_file(path)]
    if unchecked and not np.isfinite(matrix[np.concatenate(unchecked)]).all():
        raise VectorFileError(f"{next(iter(groups))}: holds NaN or infinite values: pack again")


# Seconds between plain progress lines when stderr is not a terminal (batch jobs, logs).
LOG_EVERY_S = 10.0


class ReadProgress:
    """A rich progress bar (rate, ETA) on a terminal; a log line every ~10 s otherwise.

    Subclasses change the words (`verb` on the bar, `past` in log lines), the logger and
    `rate_text` (e.g. balr.extract adds hours of audio per hour).
    """

    verb, past = "reading", "read"
    logger = log

    def __init__(self, total: int, what: str, enabled: bool = True) -> None:
        self.total, self.what, self.enabled = total, what, enabled
        self.done = 0
        self._bar: Any = None
        self._task: Any = None
        self._last_log = time.perf_counter()
        self._started = self._last_log

    def __enter__(self) -> Self:
        if self.enabled and sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn(f"{self.verb} {self.what}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}, ETA"),
                TimeRemainingColumn(),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.verb, total=self.total, rate="")
        return self

    def rate_text(self, elapsed: float) -> str:
        """The rates shown after the count, e.g. '1,234 files/s'."""
        return f"{self.done / elapsed:,.0f} files/s"

    def advance(self, count: int) -> None:
        """Record `count` more files done."""
        self.done += count
        now = time.perf_counter()
        elapsed = max(now - self._started, 1e-9)
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, advance=count, rate=self.rate_text(elapsed))
        elif self.enabled and now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            eta = (self.total - self.done) * elapsed / max(self.done, 1)
            self.logger.info(
                "%s %d/%d %s (%s, ETA %.0fs)",
                self.past,
                self.done,
                self.total,
                self.what,
                self.rate_text(elapsed),
                eta,
            )

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
