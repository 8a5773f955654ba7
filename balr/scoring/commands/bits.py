"""The binary attributes of a dataset as the scoring runs read them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from balr.errors import DatasetError

if TYPE_CHECKING:
    from balr.scoring.base import Scorer


@dataclass
class Bits:
    """The binary attributes of a dataset, with its ids and speaker labels (-1: none)."""

    name: str
    ids: list[str]
    bits: np.ndarray
    labels: np.ndarray
    speakers: list[str]
    # id -> recording condition, from the dataset's `condition` column (None: none).
    conditions: dict[str, str] | None = None
    # Per row, the number of its recording when two ids name one file (distinct.same_as).
    same: np.ndarray | None = None


def check_declared_width(data: Bits, declared: int | None) -> None:
    """DatasetError when BA-LR 2.0's scorer.n_attributes is set and the vectors differ."""
    k = int(data.bits.shape[1])
    if declared is not None and int(declared) != k:
        raise DatasetError(
            f"{data.name}: the vectors have {k} attributes, not scorer.n_attributes={declared}:"
            " drop scorer.n_attributes (balr reads the count from the data) or give vectors"
            f" of {declared} attributes"
        )


def check_width(scorer: Scorer, data: Bits, where: str) -> None:
    """DatasetError when DATA's vectors do not have the scorer's number of attributes."""
    k = data.bits.shape[1]
    if k != scorer.n_attributes:
        first = data.ids[0] if data.ids else "?"
        raise DatasetError(
            f"{data.name}: vector {first!r} has {k} attributes but the scorer {where} was"
            f" fitted on {scorer.n_attributes}: binarise DATA with the model whose attributes"
            " the scorer was fitted on (or fit a scorer on vectors like these)"
        )
