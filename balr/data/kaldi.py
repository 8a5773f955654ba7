"""Kaldi/WeSpeaker vectors: binary and text ``.ark`` archives, ``.scp`` indexes, ``utt2spk``.

A binary ark record is ``<key> `` then ``\\0B``, a type token (``FV `` float32, ``DV ``
float64), a size byte 4, the int32 dimension and the values (little-endian). A text
record is one line ``<key> [ v1 v2 ... ]``. An scp line is ``<key> <ark path>:<offset>``,
the offset pointing at the ``\\0B`` (or ``[``) of the record.

A binary ark is read whole; its records are found by a walk over their headers and
their values copied into one float32 matrix (see `balr.data.kaldi_scan`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from balr.data.kaldi_scan import (
    BINARY_TOKENS,
    HEADER_BYTES,
    check_headers,
    gather_rows,
    scan_binary_ark,
)
from balr.errors import VectorFileError

KALDI_SUFFIXES = (".ark", ".scp")
_ROOT_DIRS: dict[str, str] = {}
_SCP_LINE = r"^\s*(?<key>\S+)\s+(?<ark>.+):(?<offset>\d+)\s*$"


@dataclass(frozen=True)
class KaldiVectors:
    """The vectors of an ark or scp file, in file order.

    Attributes:
        ids: the record keys.
        matrix: float32 [N, D], row i is the vector of ids[i].
    """

    ids: list[str]
    matrix: np.ndarray


def is_kaldi_file(path: Path) -> bool:
    """True for an ``.ark`` or ``.scp`` path."""
    return path.suffix.lower() in KALDI_SUFFIXES


def read_kaldi_vectors(path: Path, root_dir: Path | None = None) -> KaldiVectors:
    """Read an ``.ark`` or ``.scp`` file (cached per file version).

    Args:
        path: the ark or scp file.
        root_dir: folder that relative ark paths of an scp resolve against (default: the
            scp's folder, then the working directory).

    Raises:
        VectorFileError: missing, truncated or malformed file, an scp line pointing at a
            missing ark or at an offset holding no vector, vectors of different sizes,
            non-finite values or a key listed twice.
    """
    path = Path(path).absolute()
    # Rows of an scp dataset are read again later by path alone (`MatrixRow`): they must
    # resolve the arks against the folder given when the dataset was opened.
    if root_dir is not None:
        _ROOT_DIRS[str(path)] = str(Path(root_dir).absolute())
    try:
        stat = os.stat(path)
    except OSError:
        raise VectorFileError(f"{path}: file not found: check the path") from None
    version = (stat.st_size, stat.st_mtime_ns, stat.st_ino)
    return _read_cached(str(path), version, _ROOT_DIRS.get(str(path)))


@lru_cache(maxsize=4)
def _read_cached(path: str, version: tuple[int, int, int], root_dir: str | None) -> KaldiVectors:
    file = Path(path)
    if file.suffix.lower() == ".scp":
        vectors = _read_scp(file, Path(root_dir) if root_dir else None)
    else:
        vectors = _read_ark(file)
    _check_vectors(vectors, file)
    return vectors


def _read_bytes(path: Path) -> bytes:
    """The whole file (one read is faster than a memory map for the copy that follows)."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise VectorFileError(f"{path}: cannot read the file ({error.strerror})") from None


def _read_ark(path: Path) -> KaldiVectors:
    data = _read_bytes(path)
    key_end = data.find(b" ")
    if key_end > 0 and data[key_end + 1 : key_end + 3] == b"\0B":
        keys, offsets, token, dim = scan_binary_ark(data, path)
        matrix = gather_rows(data, offsets + HEADER_BYTES, dim, BINARY_TOKENS[token])
        return KaldiVectors(keys, matrix)
    return _read_text_ark(data, path)


def _read_text_ark(data: bytes, path: Path) -> KaldiVectors:
    """A text ark: one ``key [ values ]`` line per vector."""
    keys: list[str] = []
    inners: list[bytes] = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        key, _, rest = line.strip().partition(b" ")
        rest = rest.strip()
        if not (rest.startswith(b"[") and rest.endswith(b"]")):
            raise VectorFileError(
                f"{path}: line {number} is not 'key [ v1 v2 ... ]' ({line[:60]!r}): write a"
                " binary ark or one text vector per line"
            )
        keys.append(key.decode("utf-8", "replace"))
        inners.append(rest[1:-1])
    if not keys:
        raise VectorFileError(f"{path}: the ark file is empty: write the vectors again")
    return KaldiVectors(keys, _text_matrix(inners, keys, path))


def _text_matrix(inners: list[bytes], keys: list[str], path: Path) -> np.ndarray:
    try:
        values = np.array(b" ".join(inners).split(), dtype=np.float32)
    except ValueError:
        bad = next(k for k, v in zip(keys, inners, strict=True) if not _numeric(v))
        raise VectorFileError(
            f"{path}: the vector of key {bad!r} holds something that is not a number"
        ) from None
    dim = len(inners[0].split())
    if dim == 0 or values.size != dim * len(keys):
        bad = next(k for k, v in zip(keys, inners, strict=True) if len(v.split()) != dim)
        raise VectorFileError(
            f"{path}: the vector of key {bad!r} does not have {dim} values like the first:"
            " all vectors must have the same size"
        )
    return values.reshape(len(keys), dim)


def _numeric(values: bytes) -> bool:
    try:
        np.array(values.split(), dtype=np.float32)
    except ValueError:
        return False
    return True


def _read_scp(path: Path, root_dir: Path | None) -> KaldiVectors:
    keys, arks, offsets, lines = _parse_scp(path)
    matrix: np.ndarray | None = None
    for ark_name in arks.unique(maintain_order=True).to_list():
        rows = (arks == ark_name).arg_true().to_numpy()
        ark = _resolve_ark(ark_name, path, root_dir, int(lines[rows[0]]))
        block = _read_at(ark, offsets[rows], path, lines[rows])
        if matrix is None:
            matrix = np.empty((len(keys), block.shape[1]), np.float32)
        elif block.shape[1] != matrix.shape[1]:
            raise VectorFileError(
                f"{path}: line {lines[rows[0]]}: {ark} holds vectors of {block.shape[1]} values,"
                f" the first ark {matrix.shape[1]}: all vectors must have the same size"
            )
        matrix[rows] = block
    assert matrix is not None
    return KaldiVectors(keys, matrix)


def _parse_scp(path: Path) -> tuple[list[str], pl.Series, np.ndarray, np.ndarray]:
    """(keys, ark paths as written, int64 offsets, 1-based line numbers) of an scp file."""
    text = _read_bytes(path).decode("utf-8", "replace").splitlines()
    lines = pl.Series("line", text, dtype=pl.String)  # typed: an empty file has no lines
    numbers = np.flatnonzero(lines.str.strip_chars().str.len_chars().to_numpy() > 0) + 1
    if not numbers.size:
        raise VectorFileError(f"{path}: the scp file lists no vectors: write it again")
    parts = lines.gather(numbers - 1).str.extract_groups(_SCP_LINE)
    bad = np.flatnonzero(parts.struct.field("offset").is_null().to_numpy())
    if bad.size:
        line = lines[int(numbers[bad[0]]) - 1]
        raise VectorFileError(
            f"{path}: line {numbers[bad[0]]} is not 'key path.ark:offset' ({line[:80]!r}): write"
            " the scp with offsets (copy-vector ... ark,scp:out.ark,out.scp)"
        )
    offsets = parts.struct.field("offset").cast(pl.Int64).to_numpy()
    return parts.struct.field("key").to_list(), parts.struct.field("ark"), offsets, numbers


def _resolve_ark(name: str, scp: Path, root_dir: Path | None, line: int) -> Path:
    """An ark path of an scp: absolute, else under root_dir or the scp's folder, else cwd."""
    candidate = Path(name)
    if candidate.is_absolute():
        options = [candidate]
    else:
        options = [(root_dir or scp.parent) / candidate, Path.cwd() / candidate]
    found = next((p for p in options if p.is_file()), None)
    if found is None and options[0].exists():
        raise VectorFileError(
            f"{scp}: line {line}: ark file {options[0]} is not a regular file (a folder, FIFO"
            " or device): point the scp at the ark file"
        )
    if found is None:
        raise VectorFileError(
            f"{scp}: line {line}: ark file {name} not found (looked in {options[0].parent}):"
            " fix the path, or give the folder it is relative to with --root-dir"
        )
    return found


def _read_at(ark: Path, offsets: np.ndarray, scp: Path, lines: np.ndarray) -> np.ndarray:
    """float32 [len(offsets), D]: the vectors whose records start at `offsets` of `ark`."""
    data = _read_bytes(ark)
    size = len(data)
    bad = np.flatnonzero(offsets + HEADER_BYTES > size)
    if bad.size:
        i = int(bad[0])
        raise VectorFileError(
            f"{scp}: line {lines[i]}: offset {offsets[i]} is past the end of {ark} ({size} bytes):"
            " the ark is truncated or the scp belongs to another ark; write both again"
        )
    head = np.frombuffer(data, np.uint8)
    if head[offsets[0]] != 0:  # the first record decides: text ark (else every one binary)
        return _read_text_at(data, offsets, scp, lines, ark)
    token = bytes(data[int(offsets[0]) + 2 : int(offsets[0]) + 5])
    dim = check_headers(head, offsets, token, scp, lines, ark)
    return gather_rows(data, offsets + HEADER_BYTES, dim, BINARY_TOKENS[token])


def _read_text_at(
    data: bytes, offsets: np.ndarray, scp: Path, lines: np.ndarray, ark: Path
) -> np.ndarray:
    """Vectors of a text ark at the given offsets (each ``[ values ]`` to its line end)."""
    inners: list[bytes] = []
    for i, offset in enumerate(offsets.tolist()):
        end = data.find(b"\n", offset)
        record = data[offset : end if end >= 0 else len(data)].strip()
        if not (record.startswith(b"[") and record.endswith(b"]")):
            raise VectorFileError(
                f"{scp}: line {lines[i]}: offset {offset} of {ark} does not start a vector:"
                " the scp belongs to another ark; write both again"
            )
        inners.append(record[1:-1])
    return _text_matrix(inners, [f"line {n}" for n in lines.tolist()], scp)


def _check_vectors(vectors: KaldiVectors, path: Path) -> None:
    # A row holds NaN or infinity exactly when its float64 sum is not finite (float32
    # values cannot overflow it): one pass, without an [N, D] mask.
    finite = np.isfinite(vectors.matrix.sum(axis=1, dtype=np.float64))
    if not finite.all():
        key = vectors.ids[int(np.argmin(finite))]
        raise VectorFileError(
            f"{path}: the vector of key {key!r} holds NaN or infinite values: recompute it"
        )
    if len(set(vectors.ids)) != len(vectors.ids):
        seen: set[str] = set()
        twice = next(k for k in vectors.ids if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise VectorFileError(f"{path}: key {twice!r} appears more than once: keys must be unique")
