"""A Kaldi/WeSpeaker ``.ark`` or ``.scp`` opened as an in-memory packed dataset, with the
speakers of its ``utt2spk``.

The vectors are read once into one float32 matrix, so an ark dataset behaves like a
packed one: the training table is that matrix (no per-item Python work for a million
utterances), and new vectors (`balr binarize --save-dir`) are written as a new pack.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from balr.data.kaldi import read_kaldi_vectors
from balr.data.packed import MATRIX_FILES, PackedData
from balr.errors import VectorFileError


@dataclass
class KaldiPack(PackedData):
    """The vectors of `root` (an ark or scp file) as the embedding matrix of a pack."""

    def matrix_path(self, vector_type: str) -> Path:
        """The ark/scp for embeddings (items refer to its rows as ``<file>#<row>``)."""
        return (
            self.root
            if vector_type == "embedding"
            else self.root.parent / MATRIX_FILES[vector_type]
        )

    def matrix(self, vector_type: str) -> np.ndarray | None:
        """The vectors read from the ark/scp (cached per file version); no other matrix."""
        return read_kaldi_vectors(self.root).matrix if vector_type == "embedding" else None


def open_kaldi(path: Path, utt2spk: Path | None = None, root_dir: Path | None = None) -> KaldiPack:
    """Open an ``.ark`` or ``.scp``; ids are its keys, in file order.

    Speakers come from `utt2spk`, else from a ``utt2spk`` file beside `path` when there is
    one (else the items have none).

    Raises:
        VectorFileError: unusable ark/scp, or an id with no line in the utt2spk file.
    """
    path = path.absolute()
    vectors = read_kaldi_vectors(path, root_dir)
    beside = path.parent / "utt2spk"
    source = utt2spk if utt2spk is not None else (beside if beside.is_file() else None)
    ids = vectors.ids
    if source is not None:
        speakers = speakers_of(ids, source, path)
    else:
        speakers = pl.Series("speaker", [None] * len(ids), dtype=pl.String)
    index = pl.DataFrame({"id": pl.Series("id", ids, dtype=pl.String), "speaker": speakers})
    manifest = {
        "count": len(ids),
        "embedding_dim": int(vectors.matrix.shape[1]),
        "binary_attributes_dim": None,
    }
    return KaldiPack(path, manifest, index)


def read_utt2spk(path: Path) -> pl.DataFrame:
    """The ``utterance`` and ``speaker`` columns of a Kaldi ``utt2spk`` file (``utt spk`` lines).

    Raises:
        VectorFileError: the file is missing or a line has not two fields (shows it).
    """
    if not path.is_file():
        what = "is not a regular file (a folder, FIFO or device)" if path.exists() else "not found"
        raise VectorFileError(f"{path}: utt2spk file {what}: check the --utt2spk path")
    try:
        text = path.read_bytes().decode("utf-8", "replace")
    except OSError as error:
        raise VectorFileError(f"{path}: cannot read the utt2spk ({error.strerror})") from None
    # One split of the whole text (C speed); the lines are looked at only when a count is off.
    tokens = text.split()
    lines = text.splitlines()
    if len(tokens) != 2 * sum(1 for line in lines if line.strip()):
        number, line = next((n, x) for n, x in enumerate(lines, 1) if len(x.split()) not in (0, 2))
        raise VectorFileError(
            f"{path}: line {number} is not 'utterance speaker' ({line[:80]!r}): write one"
            " utterance and its speaker per line"
        )
    return pl.DataFrame(
        {"utterance": tokens[0::2], "speaker": tokens[1::2]},
        schema={"utterance": pl.String, "speaker": pl.String},
    )


def speakers_of(ids: Sequence[str], utt2spk: Path, source: Path) -> pl.Series:
    """The speaker of each id from `utt2spk` (an utterance may be listed twice, with one speaker).

    Raises:
        VectorFileError: some ids have no line (names the first and how many), or an utterance
            is listed with two speakers.
    """
    table = read_utt2spk(utt2spk).unique(maintain_order=True)
    twice = table.filter(pl.col("utterance").is_duplicated())
    if twice.height:
        first = twice["utterance"][0]
        named = twice.filter(pl.col("utterance") == first)["speaker"].to_list()
        raise VectorFileError(
            f"{utt2spk}: utterance {first!r} is listed with {len(named)} speakers"
            f" ({', '.join(named)}): keep the line of its speaker"
        )
    keys = pl.DataFrame({"utterance": list(ids)}, schema={"utterance": pl.String})
    speakers = keys.join(table, on="utterance", how="left", maintain_order="left")["speaker"]
    missing = np.flatnonzero(speakers.is_null().to_numpy())
    if missing.size:
        first = ids[int(missing[0])]
        raise VectorFileError(
            f"{utt2spk}: no speaker for {missing.size} vector(s) of {source} (first:"
            f" {first!r}): add a line '{first} SPEAKER' for each"
        )
    return speakers
