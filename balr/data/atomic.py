"""Atomic file replacement: write a temporary sibling, then ``os.replace`` it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_sibling(path: Path, suffix: str = "") -> Path:
    """A unique hidden temporary name next to `path` (created with the usual umask).

    `suffix` ends the name, for writers that pick the file format from it.
    """
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial{suffix}")


@contextmanager
def atomic_path(path: Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `path`, else it is removed.

    `suffix` ends the temporary name (see `temp_sibling`).
    """
    tmp = temp_sibling(path, suffix)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
