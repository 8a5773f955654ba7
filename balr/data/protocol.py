"""What the writers of a dataset's vectors use of it, as a Protocol.

`balr.data.writing` and `balr.data.packing` work on an `AudioDataset` that imports them;
typing them against this Protocol instead keeps the imports one-way (no import cycle).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from balr.data.packed import PackedData


class DatasetState(Protocol):
    """The parts of an `AudioDataset` that writing vectors and CSV files reads and updates."""

    output_dir: Path | None
    # Per vector type, the common folder of the items' files (see writing._Planner).
    _common_roots: dict[str, Path | None]
    # Open packed-vector writers, per vector type (see packing).
    _writers: dict[str, Any]

    @property
    def name(self) -> str:
        """Where the dataset comes from, for messages."""
        ...

    @property
    def ids(self) -> list[str]:
        """Item ids in dataset order."""
        ...

    @property
    def data(self) -> dict[str, dict[str, Any]]:
        """id -> raw item dict."""
        ...

    @property
    def packed(self) -> tuple[PackedData, np.ndarray | None] | None:
        """(pack, rows) of a packed dataset, else None."""
        ...

    def __len__(self) -> int: ...

    def iter_dicts(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(id, raw dict) of every item in order."""
        ...

    def position(self, item_id: str) -> int:
        """Index of `item_id` in dataset order."""
        ...

    def set_output_dir(self, output_dir: Path | str | None) -> None:
        """Make vectors go under `output_dir`."""
        ...

    def _repoint(self, pack: PackedData, rows: np.ndarray | None) -> None:
        """Read from `pack` after packed vectors were committed."""
        ...
