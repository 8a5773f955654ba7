"""Reading files a user names: regular files only, never more than they can hold.

A path may name a device (/dev/zero never ends), a FIFO (a read waits for a writer that
never comes) or a folder. Every reader of user files (vectors, calibration.json,
scorer.json and parameters, trial lists, score files) goes through this guard: it refuses
anything but a regular file, and bounds a whole-file read by what the file can
legitimately hold.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from balr.errors import BalrError

MIB = 1 << 20
# What a legitimate file of each kind can hold (far above any real one).
VECTOR_LIMIT = 64 * MIB  # one vector: a 1M-dim float64 .npy is 8 MiB
# A calibration.json: a few hundred bytes, a bigauss one ~40 bytes per distinct dev score.
CALIBRATION_LIMIT = 64 * MIB
SCORER_JSON_LIMIT = 16 * MIB  # settings and fit notes of a scorer

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _refuse_non_regular(path: Path, mode: int, error: type[BalrError], what: str) -> None:
    if not stat.S_ISREG(mode):
        raise error(f"{path}: is {_kind(mode)}, not a regular file: give a {what}")


def check_regular(path: Path, error: type[BalrError], what: str) -> os.stat_result:
    """The stat of `path`, which must be a regular file (for readers that take a path).

    Raises:
        OSError: the path is missing or cannot be stat'ed (the caller says what to do).
        error: the path is a folder, device, FIFO or socket (`what` names the file wanted).
    """
    info = os.stat(path)
    _refuse_non_regular(Path(path), info.st_mode, error, what)
    return info


def read_limited(
    path: Path, limit: int, error: type[BalrError], what: str
) -> tuple[bytes, os.stat_result]:
    """(content, stat) of the regular file `path`, refused when it holds more than `limit`.

    The file is opened without blocking, so a FIFO is refused instead of waited on, and the
    stat comes from the open file. A file that grows while it is read stops at the limit.

    Raises:
        OSError: the path is missing or unreadable (the caller says what to do).
        error: not a regular file, or larger than `limit` bytes.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        _refuse_non_regular(Path(path), info.st_mode, error, what)
        if info.st_size > limit:
            raise error(_too_large(path, info.st_size, limit, what))
        data = os.read(fd, info.st_size + 1)
        while len(data) > info.st_size and len(data) <= limit:
            more = os.read(fd, limit + 1 - len(data))
            if not more:
                break
            data += more
    finally:
        os.close(fd)
    if len(data) > limit:
        raise error(_too_large(path, len(data), limit, what))
    return data, info


def _too_large(path: Path, size: int, limit: int, what: str) -> str:
    most = f"{limit // MIB} MiB" if limit >= MIB else f"{limit:,} bytes"
    return f"{path}: holds {size:,} bytes or more, beyond the {most} a {what} holds: give a {what}"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB blocks (memory does not grow with it)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(MIB), b""):
            digest.update(block)
    return digest.hexdigest()
