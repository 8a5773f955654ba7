"""Writing Kaldi/WeSpeaker ``.ark`` vectors, their ``.scp`` index and ``utt2spk``.

For converting balr datasets for tools that read Kaldi files, and for building test data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def write_ark(
    path: Path, ids: Sequence[str], matrix: np.ndarray, *, text: bool = False
) -> list[int]:
    """Write float32 vectors as a binary (or text) ark; return each record's scp offset."""
    matrix = np.ascontiguousarray(matrix, dtype="<f4")
    if matrix.ndim != 2 or len(matrix) != len(ids):
        raise ValueError(f"need one row per id, got a matrix of shape {matrix.shape}")
    header = b"\0BFV \x04" + np.int32(matrix.shape[1]).astype("<i4").tobytes()
    offsets: list[int] = []
    position = 0
    with open(path, "wb") as stream:
        for key, row in zip(ids, matrix, strict=True):
            name = key.encode() + b" "
            offsets.append(position + len(name))
            if text:
                record = (
                    name + b"[ " + " ".join(f"{v:.9g}" for v in row.tolist()).encode() + b" ]\n"
                )
            else:
                record = name + header + row.tobytes()
            stream.write(record)
            position += len(record)
    return offsets


def write_scp(path: Path, ids: Sequence[str], ark: Path, offsets: Sequence[int]) -> None:
    """Write an scp file pointing each id at its record of `ark`."""
    lines = [f"{key} {ark}:{offset}\n" for key, offset in zip(ids, offsets, strict=True)]
    path.write_text("".join(lines))


def write_utt2spk(path: Path, ids: Sequence[str], speakers: Sequence[str]) -> None:
    """Write a Kaldi ``utt2spk`` file: one ``utterance speaker`` line per id."""
    lines = [f"{key} {speaker}\n" for key, speaker in zip(ids, speakers, strict=True)]
    path.write_text("".join(lines))
