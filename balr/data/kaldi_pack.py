"""A Kaldi/WeSpeaker ``.ark`` or ``.scp`` opened as an in-memory packed dataset.

The vectors are read once into one float32 matrix, so an ark dataset behaves like a
packed one: the training table is that matrix (no per-item Python work for a million
utterances), and new vectors (`balr binarize --save-dir`) are written as a new pack.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from balr.data.kaldi import read_kaldi_vectors, speakers_of
from balr.data.packed import MATRIX_FILES, PackedData


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
