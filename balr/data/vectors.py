"""Vector files: reading, validating and writing .txt, .npy and .pkl vectors.

An embedding is a 1-D float32 vector. A binary-attribute vector is a 1-D 0/1
vector of length internal_dim; files holding an (internal_dim, 2) one-hot array
``[b, 1-b]`` (written by the BA-LR 2.0 toolkit) are accepted too: column 0 is
the attribute being active.

A vector may also be one row of a 2-D ``.npy`` matrix (a packed dataset), or the n-th
vector of a Kaldi ``.ark``/``.scp`` file: a `MatrixRow` reference, written
``<file>.npy#<row>`` (``<file>.scp#<n>``) in CSV files.
"""

from __future__ import annotations

import io
import os
import pickle
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from balr.data.guard import VECTOR_LIMIT, check_regular, read_limited
from balr.data.kaldi import is_kaldi_file, read_kaldi_vectors
from balr.data.safe_pickle import UnsafePickleError, load_array_pickle
from balr.errors import VectorFileError

VECTOR_SUFFIXES = (".txt", ".npy", ".pkl")
VECTOR_TYPES = ("embedding", "binary_attributes")
# Sidecar tag of each vector type: <stem>_emb.<ext>, <stem>_ba.<ext>.
SIDECAR_TAGS = {"embedding": "_emb", "binary_attributes": "_ba"}

# A row of a .npy matrix, or the n-th vector of a Kaldi .ark/.scp file.
_ROW_REF = re.compile(r"^(?P<path>.+\.(npy|ark|scp))#(?P<row>\d+)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MatrixRow:
    """Row `row` of the 2-D ``.npy`` matrix in `path` (how packed items hold vectors), or
    the vector number `row` of a Kaldi ``.ark``/``.scp`` file."""

    path: Path
    row: int

    def __str__(self) -> str:
        return f"{self.path}#{self.row}"


VectorRef = Path | MatrixRow


def parse_vector_ref(value: str, base: str) -> VectorRef:
    """A CSV cell as a vector reference: a path, or ``<matrix>.npy#<row>``, against `base`."""
    match = _ROW_REF.match(value) if "#" in value else None
    if match is not None:
        return MatrixRow(
            Path(os.path.normpath(os.path.join(base, match["path"]))), int(match["row"])
        )
    return Path(os.path.normpath(os.path.join(base, value)))


def check_vector_type(vector_type: str) -> None:
    """ValueError unless `vector_type` is "embedding" or "binary_attributes"."""
    if vector_type not in VECTOR_TYPES:
        raise ValueError(f"vector_type must be one of {VECTOR_TYPES}, not {vector_type!r}")


def load_vector(path: Path, kind: str = "embedding") -> np.ndarray:
    """Read one vector file as a 1-D float32 array.

    Args:
        path: a .txt (numbers separated by white space), .npy or .pkl (pickled ndarray) file.
        kind: "embedding" or "binary_attributes" (0/1 values; (K, 2) one-hot accepted).

    Raises:
        VectorFileError: missing, unreadable, malformed, non-finite or unsafe file.
    """
    try:
        data, _ = read_limited(Path(path), VECTOR_LIMIT, VectorFileError, "vector file")
    except FileNotFoundError:
        raise VectorFileError(
            f"{path}: vector file not found: fix the path or create the file"
        ) from None
    except OSError as error:
        raise VectorFileError(
            f"{path}: cannot read vector file ({error.strerror}): point the row at a vector file"
        ) from None
    return decode_vector(data, Path(path), kind)


def load_ref(ref: VectorRef, kind: str = "embedding") -> np.ndarray:
    """`load_vector` for a path, or the row of a matrix file for a `MatrixRow`."""
    if isinstance(ref, MatrixRow):
        matrix = open_matrix(ref.path)
        if not 0 <= ref.row < len(matrix):
            raise VectorFileError(f"{ref}: row {ref.row} is out of range ({len(matrix)} rows)")
        # A copy: the matrix may be shared (cached) and read-only.
        return as_vector(np.array(matrix[ref.row]), ref.path, kind)
    return load_vector(ref, kind)


def decode_vector(data: bytes, path: Path, kind: str = "embedding") -> np.ndarray:
    """The 1-D float32 vector held in the bytes `data` of the vector file `path`."""
    if not data.strip():
        raise VectorFileError(f"{path}: vector file is empty: write the vector again")
    suffix = path.suffix.lower()
    if suffix == ".txt":
        array = parse_text(data, path)
    elif suffix == ".npy":
        array = _decode_npy(data, path)
    elif suffix == ".pkl":
        array = _decode_pickle(data, path)
    else:
        raise VectorFileError(f"{path}: unsupported vector file type: use one of {VECTOR_SUFFIXES}")
    return as_vector(array, path, kind)


def parse_text(data: bytes, path: Path) -> np.ndarray:
    """Numbers of a text file, as a 1-D array or a 2-D one when lines hold several columns.

    Much faster than np.loadtxt for one-vector files: the whole file is split and
    converted in one call; the first line gives the number of columns.
    """
    if b"#" in data:
        data = b"\n".join(line.split(b"#", 1)[0] for line in data.splitlines())
    if b"," in data:
        data = data.replace(b",", b" ")
    tokens = data.split()
    try:
        values = np.array(tokens, dtype=np.float32)
    except ValueError:
        bad = next((t for t in tokens if not _is_number(t)), b"?")
        raise VectorFileError(
            f"{path}: not a numeric text vector ({bad[:20].decode(errors='replace')!r} is not a"
            " number): write one number per line or per column"
        ) from None
    if values.size == 0:
        raise VectorFileError(f"{path}: vector file holds no numbers: write the vector again")
    columns = len(data.lstrip().split(b"\n", 1)[0].split())
    if columns <= 1 or columns == values.size:
        return values
    if values.size % columns:
        raise VectorFileError(
            f"{path}: lines have different numbers of columns: write one row per line"
        )
    return values.reshape(-1, columns)


def _is_number(token: bytes) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _decode_npy(data: bytes, path: Path) -> np.ndarray:
    if not data.startswith(b"\x93NUMPY"):
        raise VectorFileError(
            f"{path}: not a .npy file (no NumPy header): save the vector with numpy.save"
        )
    _check_npy_size(data, path)
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise VectorFileError(
                f"{path}: .npy file holds Python objects (object dtype), which balr never"
                " unpickles: save a numeric array"
            ) from None
        raise VectorFileError(
            f"{path}: malformed .npy file ({error}): save it again with numpy.save"
        ) from None
    except (OSError, EOFError) as error:
        raise VectorFileError(
            f"{path}: malformed .npy file ({error}): save it again with numpy.save"
        ) from None


def _check_npy_size(data: bytes, path: Path) -> None:
    """Refuse a header whose shape needs more bytes than the file holds, before numpy
    allocates that shape (a forged header could ask for hundreds of GiB)."""
    stream = io.BytesIO(data)
    read_header = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    try:
        shape, _, dtype = read_header[np.lib.format.read_magic(stream)](stream)
    except (KeyError, ValueError, OSError, EOFError):
        return  # np.load reads other versions, and names a malformed header itself
    if dtype.hasobject:
        return
    needed = int(np.prod(shape, dtype=object)) * dtype.itemsize
    held = len(data) - stream.tell()
    if needed > held:
        raise VectorFileError(
            f"{path}: malformed .npy file (its header declares shape {shape}, {needed} bytes,"
            f" but the file holds {held}): save it again with numpy.save"
        )


def _decode_pickle(data: bytes, path: Path) -> np.ndarray:
    try:
        return load_array_pickle(data)
    except UnsafePickleError as error:
        raise VectorFileError(
            f"{path}: refused to unpickle: the file {error}; only pickled NumPy arrays are"
            " accepted (re-save the vector with numpy)"
        ) from None
    except TypeError as error:
        raise VectorFileError(f"{path}: .pkl file {error}: pickle a NumPy array") from None
    # Random bytes can declare absurd sizes (OverflowError, MemoryError) or nest too deep.
    except (
        pickle.UnpicklingError,
        EOFError,
        ValueError,
        AttributeError,
        IndexError,
        KeyError,
        OverflowError,
        MemoryError,
        RecursionError,
    ) as error:
        raise VectorFileError(
            f"{path}: malformed .pkl file ({error}): pickle a NumPy array again"
        ) from None


def as_vector(array: np.ndarray, path: Path, kind: str = "embedding") -> np.ndarray:
    """Validate a loaded array and return it as a contiguous 1-D float32 vector."""
    if array.dtype.kind not in "biuf":
        raise VectorFileError(
            f"{path}: holds {array.dtype} values, not numbers: save a numeric array"
        )
    if array.size == 0:
        raise VectorFileError(f"{path}: holds an empty array: write the vector again")
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if kind == "binary_attributes":
        array = _as_binary(array, path)
    elif array.ndim != 1:
        raise VectorFileError(
            f"{path}: holds an array of shape {array.shape}, expected one vector: save one 1-D"
            " vector per file"
        )
    vector = np.ascontiguousarray(array, dtype=np.float32)
    if not np.isfinite(vector).all():
        raise VectorFileError(f"{path}: holds NaN or infinite values: recompute this vector")
    return vector


def _as_binary(array: np.ndarray, path: Path) -> np.ndarray:
    if array.ndim == 2 and array.shape[1] == 2:
        # BA-LR 2.0's one-hot rows [b, 1 - b]: column 0 is the active state.
        if not (np.isin(array, (0, 1)).all() and (array.sum(axis=1) == 1).all()):
            raise VectorFileError(
                f"{path}: (internal_dim, 2) binary attributes must be one-hot rows [b, 1-b]:"
                " binarise the vector again"
            )
        return array[:, 0].astype(np.float32)
    if array.ndim != 1:
        raise VectorFileError(
            f"{path}: holds an array of shape {array.shape}; binary attributes are one 0/1"
            " vector or (internal_dim, 2) one-hot rows [b, 1-b]"
        )
    if not np.isin(array, (0, 1)).all():
        raise VectorFileError(
            f"{path}: binary attributes must be 0 or 1: binarise the vector again"
        )
    return array


def save_vector(path: Path, vector: np.ndarray) -> None:
    """Write `vector` in the format given by the suffix of `path`, creating folders.

    Integer and boolean vectors go to .txt as compact integers (binary attributes as
    0/1 lines); float vectors as ``%.8e``, which reads back as the same float32.
    """
    path = Path(path)
    array = np.asarray(vector)
    suffix = path.suffix.lower()
    if suffix == ".txt":
        payload = _text_bytes(array)
    elif suffix == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        payload = buffer.getvalue()
    elif suffix == ".pkl":
        payload = pickle.dumps(np.ascontiguousarray(array), protocol=4)
    else:
        raise VectorFileError(f"{path}: unsupported vector file type: use one of {VECTOR_SUFFIXES}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)


def _text_bytes(array: np.ndarray) -> bytes:
    flat = array.reshape(-1)
    if array.dtype.kind in "bu" and array.ndim == 1 and (flat <= 1).all():
        # Interleave digit bytes and newlines: one "0"/"1" per line, no formatting loop.
        out = np.full(2 * flat.size, ord("\n"), dtype=np.uint8)
        out[0::2] = flat.astype(np.uint8) + ord("0")
        return out.tobytes()
    if array.dtype.kind in "biu":
        rows = array.reshape(len(array), -1).astype(np.int64)
        return "".join(" ".join(map(str, row)) + "\n" for row in rows.tolist()).encode()
    values = array.reshape(len(array), -1).astype(np.float32).tolist()
    return "".join(" ".join(f"{x:.8e}" for x in row) + "\n" for row in values).encode()


# The fields of a `file_version` (the columns of the cache's per-file stats).
VERSION_FIELDS = 4


def file_version(stat: os.stat_result) -> tuple[int, int, int, int]:
    """(size, mtime_ns, ctime_ns, inode) of a file: changes whenever its content may have.

    Size and mtime alone miss a rewrite that restores them (``cp -p``, ``rsync -t``);
    the ctime still moves, and a replaced file has a new inode. The inode is folded
    into int64 so versions fit an int64 array.
    """
    ino = stat.st_ino - (1 << 64) if stat.st_ino >= 1 << 63 else stat.st_ino
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, ino


def open_matrix(path: Path) -> np.ndarray:
    """Memory-map the 2-D .npy matrix `path` read-only (copy-on-write), cached per file version."""
    return open_matrix_version(path)[0]


def open_matrix_version(path: Path) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """`open_matrix` and the `file_version` of the file, taken before any row is read."""
    try:
        version = file_version(check_regular(path, VectorFileError, "packed matrix (.npy)"))
    except OSError:
        raise VectorFileError(f"{path}: matrix file not found: pack the dataset again") from None
    return _open_matrix(str(path), version), version


@lru_cache(maxsize=16)
def _open_matrix(path: str, version: tuple[int, int, int, int]) -> np.ndarray:
    if is_kaldi_file(Path(path)):
        return read_kaldi_vectors(Path(path)).matrix
    try:
        matrix = np.load(path, mmap_mode="c", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise VectorFileError(
            f"{path}: malformed matrix file ({error}): pack the dataset again"
        ) from None
    if matrix.ndim != 2:
        raise VectorFileError(f"{path}: expected a 2-D matrix, found shape {matrix.shape}")
    if matrix.dtype.kind not in "biuf":
        raise VectorFileError(
            f"{path}: holds {matrix.dtype} values, not numbers: save a numeric matrix"
        )
    return matrix
