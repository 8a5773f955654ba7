"""The recordings of one side of a comparison, read into 0/1 attribute vectors.

A recording is named by a file or by a dataset id:

- an audio file (an extension of ``balr.data.AUDIO_FORMATS``): read, embedded by the
  speaker encoder, then binarised (optionally cut into segments first, each segment
  counting as one recording of the side);
- a vector file (.npy, .txt, .pkl) whose name ends in ``_ba``: binary attributes as is
  (balr's 1-D or BA-LR 2.0's [k, 2] layout);
- any other vector file: an embedding, binarised;
- an id of the dataset given as `dataset`: its binary attributes, else its embedding
  (binarised), else its audio.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from balr.data.dataset import AUDIO_FORMATS
from balr.data.guard import sha256_of
from balr.data.vectors import VECTOR_SUFFIXES, MatrixRow, load_ref, load_vector
from balr.errors import DatasetError
from balr.extract.segments import segment_id
from balr.report.build import Side
from balr.report.case import Recording
from balr.scoring.distinct import FILE_KINDS, first_repeat, same_as
from balr.scoring.sides import RowGroups

if TYPE_CHECKING:
    from balr.data import AudioDataset


@dataclass
class Encoders:
    """How vectors are made: each a callable built on first use (None: not available).

    Attributes:
        binarizer: embeddings float32 [n, D] -> 0/1 [n, k] (the binary-attribute encoder).
        extractor: audio file -> embeddings [m, D] (m > 1 when cut into segments).
        n_attributes: attributes every vector must have (the scorer's).
        binarizer_hint: how to provide the binarizer, for error messages.
    """

    binarizer: Callable[[np.ndarray], np.ndarray] | None
    extractor: Callable[[Path], np.ndarray] | None
    n_attributes: int
    binarizer_hint: str = "give encoder.model.checkpoint_path=RUN/best.pt"


def split_side(text: str) -> list[str]:
    """A side's comma-separated recordings, stripped, empty names dropped."""
    return [name.strip() for name in text.split(",") if name.strip()]


def check_distinct(
    enrollment: Sequence[str], test: Sequence[str], dataset: AudioDataset | None = None
) -> None:
    """DatasetError when one recording is named twice on a side or on both sides.

    Two names are one recording when they are the same name, name the same file, or files
    of the same content (sha256); a dataset id stands for the file of its vector or audio.
    """
    names = [*enrollment, *test]
    same = same_as([_identity(name, dataset) for name in names])
    n = len(enrollment)
    repeat = first_repeat(
        RowGroups.of([np.arange(n)]), RowGroups.of([np.arange(n, len(names))]), same
    )
    if repeat is None:
        return
    raise DatasetError(
        f"{repeat.describe(names, 'same file or content')}: a recording compared with itself,"
        " or counted twice, is not independent evidence; give each recording once"
    )


def _identity(name: str, dataset: AudioDataset | None) -> list[Hashable]:
    """What identifies the recording `name`: the name, its file and the file's sha256.

    The content of a binary-attribute file is no identity: two recordings may share every
    attribute. That of an audio or embedding file is.
    """
    keys: list[Hashable] = [("name", name)]
    files: list[tuple[Path, bool]] = []  # (file, its content identifies the recording)
    path = Path(name).expanduser()
    if path.is_file():
        files.append((path, not path.stem.endswith("_ba")))
    elif dataset is not None and _holds(dataset, name):
        # The one file the recording is read from (segments share their audio, not vectors).
        raw = dataset.data[name]
        kind = next((k for k in FILE_KINDS if raw.get(k) is not None), None)
        ref = raw.get(kind) if kind is not None else None
        if isinstance(ref, MatrixRow):
            keys.append(("ref", str(ref)))
        elif ref is not None:
            files.append((Path(ref), kind != "binary_attributes"))
    for file, by_content in files:
        if file.is_file():
            keys.append(("path", str(file.resolve())))
            keys += [("sha256", sha256_of(file))] if by_content else []
    return keys


def load_side(
    role: str, names: Sequence[str], encoders: Encoders, dataset: AudioDataset | None = None
) -> Side:
    """Read the recordings `names` of one side into a :class:`Side`.

    Raises:
        DatasetError: no recording, an unknown name, or vectors of the wrong size.
    """
    if not names:
        raise DatasetError(f"the {role} side lists no recording: give one or more, comma-separated")
    recordings: list[Recording] = []
    blocks: list[np.ndarray] = []
    for name in names:
        new, bits = _load_one(role, name, encoders, dataset)
        recordings += new
        blocks.append(bits)
    return Side(recordings, np.concatenate(blocks).astype(np.uint8))


def _load_one(
    role: str, name: str, encoders: Encoders, dataset: AudioDataset | None
) -> tuple[list[Recording], np.ndarray]:
    path = Path(name).expanduser()
    if path.is_file():
        return _from_file(role, name, path.absolute(), encoders)
    if dataset is not None and _holds(dataset, name):
        return _from_dataset(role, name, dataset, encoders)
    where = f" nor an id of {dataset.name}" if dataset is not None else ""
    raise DatasetError(
        f"{role} recording '{name}' is not a file{where}: give an audio, embedding or _ba"
        " file, or --data DATASET holding this id"
    )


def _holds(dataset: AudioDataset, name: str) -> bool:
    try:
        dataset.position(name)
    except KeyError:
        return False
    return True


def _from_file(
    role: str, name: str, path: Path, encoders: Encoders
) -> tuple[list[Recording], np.ndarray]:
    suffix = path.suffix.lower().lstrip(".")
    digest = sha256_of(path)
    if suffix in AUDIO_FORMATS:
        embeddings = _extract(role, name, path, encoders)
        bits = _binarise(role, name, embeddings, encoders)
        names = [name] if len(bits) == 1 else [segment_id(name, k) for k in range(len(bits))]
        return [Recording(n, "audio", str(path), digest) for n in names], bits
    if f".{suffix}" not in VECTOR_SUFFIXES:
        raise DatasetError(
            f"{role} recording {path}: unsupported file type: give audio"
            f" ({', '.join(AUDIO_FORMATS)}) or a vector file ({', '.join(VECTOR_SUFFIXES)})"
        )
    if path.stem.endswith("_ba"):
        bits = _check_bits(role, name, load_vector(path, "binary_attributes"), encoders)
        return [Recording(name, "binary_attributes", str(path), digest)], bits
    embedding = load_vector(path, "embedding")[None, :]
    bits = _binarise(role, name, embedding, encoders)
    return [Recording(name, "embedding", str(path), digest)], bits


def _from_dataset(
    role: str, name: str, dataset: AudioDataset, encoders: Encoders
) -> tuple[list[Recording], np.ndarray]:
    raw = dataset.data[name]
    for kind in ("binary_attributes", "embedding"):
        ref = raw.get(kind)
        if ref is None:
            continue
        vector = load_ref(ref, kind)
        path, digest = _ref_file(ref, vector)
        if kind == "binary_attributes":
            bits = _check_bits(role, name, vector, encoders)
        else:
            bits = _binarise(role, name, vector[None, :], encoders)
        return [Recording(name, kind, path, digest)], bits
    audio = raw.get("audio")
    if audio is None:
        raise DatasetError(
            f"{role} recording '{name}' of {dataset.name} has no audio, embedding or binary"
            " attributes: give another id"
        )
    return _from_file(role, name, Path(audio), encoders)


def _ref_file(ref: Any, vector: np.ndarray) -> tuple[str, str]:
    """(where the vector is, sha256 of its file, or of the row's float32 bytes when packed)."""
    if isinstance(ref, MatrixRow):
        row = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
        return str(ref), hashlib.sha256(row).hexdigest()
    return str(ref), sha256_of(Path(ref))


def _extract(role: str, name: str, path: Path, encoders: Encoders) -> np.ndarray:
    if encoders.extractor is None:
        raise DatasetError(f"{role} recording {name} is audio but no speaker encoder is set up")
    return encoders.extractor(path)


def _binarise(role: str, name: str, embeddings: np.ndarray, encoders: Encoders) -> np.ndarray:
    if encoders.binarizer is None:
        raise DatasetError(
            f"{role} recording {name} is an embedding, not binary attributes: to binarise it,"
            f" {encoders.binarizer_hint}"
        )
    try:
        bits = encoders.binarizer(np.asarray(embeddings))
    except DatasetError as error:
        raise DatasetError(f"{role} recording {name}: {error}") from None
    return _check_bits(role, name, bits, encoders)


def _check_bits(role: str, name: str, vectors: np.ndarray, encoders: Encoders) -> np.ndarray:
    """0/1 uint8 [n, k] with k the scorer's number of attributes."""
    bits = np.atleast_2d(np.asarray(vectors))
    if bits.shape[1] != encoders.n_attributes:
        raise DatasetError(
            f"{role} recording {name} has {bits.shape[1]} binary attributes but the scorer has"
            f" {encoders.n_attributes}: use vectors binarised by the model the scorer was"
            " fitted on"
        )
    if not np.isin(bits, (0, 1)).all():
        raise DatasetError(f"{role} recording {name} holds values other than 0 and 1")
    return bits.astype(np.uint8)
