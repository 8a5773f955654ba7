"""AudioDataset: dataset metadata with lazily loaded items."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from balr.data import sources, writing
from balr.data.item import AnnotatedAudio
from balr.data.kaldi import is_kaldi_file
from balr.data.kaldi_pack import open_kaldi
from balr.data.packed import PackedData, is_packed_dir, open_pack
from balr.data.vectors import MatrixRow, VectorRef, check_vector_type, load_ref, parse_vector_ref
from balr.errors import DatasetError

AUDIO_FORMATS = ("flac", "mp3", "m4a", "ogg", "opus", "wav", "wma")


class AudioDataset(Dataset[AnnotatedAudio]):
    """Items (id -> dict of fields) whose vector files are read only when an item is accessed.

    Raw item dicts use the keys "audio", "embedding", "binary_attributes" (absolute
    paths, or `MatrixRow` references into a packed matrix), "speaker", plus any
    extra CSV column.

    Args:
        data: id -> raw item dict. String paths are turned into `Path` objects; relative
            paths are made absolute against the working directory of the constructor call.
        data_ids: the ids to keep, in this order (default: every id of `data`).
        sample_rate: sample rate recorded on the items.
        sort: sort the ids.
        output_dir: where `save_vectors` writes (default: beside each item's files).
    """

    def __init__(
        self,
        data: dict[str, dict[str, Any]],
        data_ids: list[str] | None = None,
        sample_rate: int = 16000,
        sort: bool = True,
        output_dir: Path | str | None = None,
    ) -> None:
        ids = [str(i) for i in (data if data_ids is None else data_ids)]
        if len(set(ids)) != len(ids):
            raise DatasetError("data_ids lists an id more than once: ids must be unique")
        unknown = next((i for i in ids if i not in data), None)
        if unknown is not None:
            raise DatasetError(f"data_ids lists {unknown!r}, which is not in data")
        # Read once: items must not follow later changes of the working directory.
        base = os.getcwd()
        self._setup(
            sorted(ids) if sort else ids, {i: _normalise(data[i], base) for i in ids}, sample_rate
        )
        self.set_output_dir(output_dir)

    def _setup(
        self, ids: list[str], data: dict[str, dict[str, Any]] | None, sample_rate: int
    ) -> None:
        self._ids = ids
        self._data = data
        self.sample_rate = int(sample_rate)
        self.source: Path | None = None
        self._pack: PackedData | None = None
        self._rows: np.ndarray | None = None
        self._positions: dict[str, int] | None = None
        self._common_roots: dict[str, Path | None] = {}
        self._writers: dict[str, Any] = {}
        self.output_dir: Path | None = None

    @classmethod
    def _create(
        cls,
        ids: list[str],
        data: dict[str, dict[str, Any]] | None,
        sample_rate: int,
        source: Path | None,
    ) -> AudioDataset:
        dataset = cls.__new__(cls)
        dataset._setup(ids, data, sample_rate)
        dataset.source = source
        return dataset

    @classmethod
    def from_path(
        cls,
        path: str | Path,
        audio_formats: Sequence[str] = AUDIO_FORMATS,
        sample_rate: int = 16000,
        root_dir: str | Path | None = None,
        utt2spk: str | Path | None = None,
    ) -> AudioDataset:
        """Open a dataset CSV, a packed dataset folder, a folder of audio files, one audio
        file, or a Kaldi/WeSpeaker ``.ark``/``.scp`` file of embeddings.

        A CSV needs one of the columns audio, embedding, binary_attributes; ids come from
        its `id` column, else from `audio`. Relative paths resolve against `root_dir` or
        the CSV's folder. Vector files named ``<audio stem>_emb.<ext>`` and
        ``<audio stem>_ba.<ext>`` next to an audio file are found automatically.
        An ark/scp's ids are its keys; speakers come from `utt2spk`, else from a
        ``utt2spk`` beside it; an scp's relative ark paths resolve against `root_dir`,
        else the scp's folder, else the working directory.

        Raises:
            DatasetError: the path is missing or not a usable dataset.
        """
        path = Path(path).expanduser()
        if not path.exists():
            raise DatasetError(f"{path}: dataset not found: check the path")
        if path.is_dir() and is_packed_dir(path):
            return cls.from_pack(open_pack(path), sample_rate)
        if is_kaldi_file(path):
            speakers = Path(utt2spk).expanduser() if utt2spk is not None else None
            root = Path(root_dir).expanduser() if root_dir is not None else None
            return cls.from_pack(open_kaldi(path, speakers, root), sample_rate)
        if path.is_dir():
            ids, data = sources.scan_audio_folder(path, audio_formats)
        elif path.suffix.lower() == ".csv":
            root = Path(root_dir).expanduser() if root_dir is not None else None
            ids, data = sources.read_csv_dataset(path, root)
        else:
            ids, data = sources.single_audio_file(path, audio_formats)
        return cls._create(sorted(ids), data, sample_rate, path.absolute())

    @classmethod
    def from_pack(
        cls, pack: PackedData, sample_rate: int = 16000, rows: np.ndarray | None = None
    ) -> AudioDataset:
        """A dataset over the rows of an opened packed dataset (all rows by default)."""
        ids = pack.ids()
        if rows is not None:
            ids = [ids[r] for r in rows.tolist()]
        dataset = cls._create(ids, None, sample_rate, pack.root)
        dataset._pack, dataset._rows = pack, rows
        return dataset

    # -- access ------------------------------------------------------------------------

    @property
    def ids(self) -> list[str]:
        """Item ids in dataset order (do not modify)."""
        return self._ids

    @property
    def name(self) -> str:
        """Where the dataset comes from, for messages: its path, or "in-memory dataset"."""
        return str(self.source) if self.source is not None else "in-memory dataset"

    @property
    def is_packed(self) -> bool:
        """True when the items' vectors are rows of a packed dataset's matrices."""
        return self._pack is not None

    @property
    def packed(self) -> tuple[PackedData, np.ndarray | None] | None:
        """(pack, rows) for a packed dataset (rows None: every row in order), else None."""
        return None if self._pack is None else (self._pack, self._rows)

    @property
    def data(self) -> dict[str, dict[str, Any]]:
        """id -> raw item dict (built on first use for a packed dataset)."""
        if self._data is None:
            assert self._pack is not None
            self._data = dict(zip(self._ids, self._pack.dicts(self._rows), strict=True))
        return self._data

    def __len__(self) -> int:
        return len(self._ids)

    def __getitem__(self, index: int) -> AnnotatedAudio:
        item_id = self._ids[index]
        return self._make_item(item_id, self._raw(index))

    def get_item(self, item_id: str) -> AnnotatedAudio:
        """The item with id `item_id` (KeyError if absent)."""
        return self[self.position(item_id)]

    def position(self, item_id: str) -> int:
        """Index of `item_id` in dataset order (KeyError if absent)."""
        if self._positions is None:
            self._positions = {i: n for n, i in enumerate(self._ids)}
        return self._positions[item_id]

    def _raw(self, index: int) -> dict[str, Any]:
        if self._data is None and self._pack is not None:
            rows = np.arange(self._pack.count) if self._rows is None else self._rows
            return self._pack.dicts(rows[[index]])[0]
        return self.data[self._ids[index]]

    def _make_item(self, item_id: str, raw: dict[str, Any]) -> AnnotatedAudio:
        audio = raw.get("audio")
        return AnnotatedAudio(
            id=item_id,
            sample_rate=self.sample_rate,
            audio_path=Path(audio) if audio is not None else None,
            embedding=_tensor(raw.get("embedding"), "embedding"),
            binary_attributes=_tensor(raw.get("binary_attributes"), "binary_attributes"),
            speaker=None if raw.get("speaker") is None else str(raw["speaker"]),
        )

    def iter_dicts(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(id, raw dict) of every item in order, without reading any file."""
        data = self.data
        for item_id in self._ids:
            yield item_id, data[item_id]

    def filter(self, fn: Callable[[dict[str, Any]], bool]) -> AudioDataset:
        """A new dataset of the items whose raw dict satisfies `fn`."""
        keep = [n for n, (_, item) in enumerate(self.iter_dicts()) if fn(item)]
        if self._pack is not None:
            rows = np.arange(self._pack.count) if self._rows is None else self._rows
            subset = AudioDataset.from_pack(self._pack, self.sample_rate, rows[keep])
        else:
            ids = [self._ids[n] for n in keep]
            subset = self._create(ids, {i: dict(self.data[i]) for i in ids}, self.sample_rate, None)
        subset.source = self.source
        subset.set_output_dir(self.output_dir)
        return subset

    def __str__(self) -> str:
        counts = self.counts()
        where = f" from {self.source}" if self.source is not None else ""
        return (
            f"AudioDataset{where}: {len(self)} items, {counts['embedding']} with embeddings,"
            f" {counts['binary_attributes']} with binary attributes, {counts['speakers']} speakers"
        )

    def counts(self) -> dict[str, int]:
        """How many items have an embedding / binary attributes, and the number of speakers."""
        if self._data is None and self._pack is not None:
            speakers = self._pack.speakers()
            if speakers is not None and self._rows is not None:
                speakers = speakers[self._rows]
            n = len(self)
            return {
                "embedding": n if self._pack.has("embedding") else 0,
                "binary_attributes": n if self._pack.has("binary_attributes") else 0,
                "speakers": 0 if speakers is None else speakers.drop_nulls().n_unique(),
            }
        items = list(self.data.values())
        return {
            "embedding": sum(item.get("embedding") is not None for item in items),
            "binary_attributes": sum(item.get("binary_attributes") is not None for item in items),
            "speakers": len({item["speaker"] for item in items if item.get("speaker") is not None}),
        }

    # -- writing -------------------------------------------------------------------------

    def set_output_dir(self, output_dir: Path | str | None) -> None:
        """Make `save_vectors` write under `output_dir` (None: beside each item's files)."""
        self.output_dir = (
            Path(output_dir).expanduser().absolute() if output_dir is not None else None
        )
        self._common_roots = {}
        self._writers = {}

    def save_vectors(
        self, vectors: Iterable[tuple[str, np.ndarray]], vector_type: str, fmt: str | None = None
    ) -> None:
        """Write vectors of items and point the items at the written files.

        Per-file items: each vector goes beside the item's reference file (its audio,
        else its vector file) as ``<stem>_emb.<ext>`` or ``<stem>_ba.<ext>``, or under
        `output_dir` mirroring paths relative to the items' common folder. The format is
        `fmt` (".txt", ".npy", ".pkl"), else that of the item's existing vector files.

        Packed items: the vectors fill one matrix, committed to the pack (`output_dir`:
        a new pack there holding this dataset's items; else the source pack itself) once
        every item of the dataset has been given its vector; the dataset then reads from it.

        Args:
            vectors: (id, vector) pairs; binary attributes must be 0/1.
            vector_type: "embedding" or "binary_attributes".
            fmt: file format for per-file items.
        """
        check_vector_type(vector_type)
        if self._pack is not None:
            writing.save_packed_pairs(self, list(vectors), vector_type)
        else:
            pairs = [(i, writing.prepare_vector(v, vector_type, i)) for i, v in vectors]
            writing.save_file_pairs(self, pairs, vector_type, fmt)

    def to_csv(self, path: str | Path) -> Path:
        """Write the dataset as a CSV that `from_path` reads back; return its path.

        Paths inside the CSV's folder are written relative to it, others absolute.
        Packed items' vectors are written as ``<matrix>.npy#<row>`` references.
        """
        return writing.write_csv(self, Path(path))

    def _repoint(self, pack: PackedData, rows: np.ndarray | None) -> None:
        """Read from `pack` (after packed vectors were committed)."""
        self._pack, self._rows, self._data = pack, rows, None
        self.source = pack.root


def _normalise(item: dict[str, Any], base: str) -> dict[str, Any]:
    """`item` with its path fields as absolute `Path`s (or `MatrixRow`s), relative to `base`."""
    out = dict(item)
    for key in sources.PATH_COLUMNS:
        value = out.get(key)
        if isinstance(value, str) and key != "audio":
            out[key] = parse_vector_ref(value, base)
        elif isinstance(value, MatrixRow):
            out[key] = MatrixRow(_absolute(value.path, base), value.row)
        elif isinstance(value, str | os.PathLike):
            out[key] = _absolute(Path(value), base)
    return out


def _absolute(path: Path, base: str) -> Path:
    return path if path.is_absolute() else Path(os.path.normpath(os.path.join(base, path)))


def _tensor(ref: VectorRef | None, kind: str) -> torch.Tensor | None:
    if ref is None:
        return None
    return torch.from_numpy(load_ref(ref if isinstance(ref, MatrixRow) else Path(ref), kind))
