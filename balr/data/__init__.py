"""Datasets of speaker embeddings: items, vector files, packed datasets, the training table."""

from __future__ import annotations

from balr.data.dataset import AUDIO_FORMATS, AudioDataset
from balr.data.item import AnnotatedAudio
from balr.data.packing import pack_dataset, save_packed_binary_attributes
from balr.data.table import EmbeddingTable, load_embedding_table
from balr.data.vectors import VECTOR_SUFFIXES, MatrixRow, load_vector, save_vector

__all__ = [
    "AUDIO_FORMATS",
    "VECTOR_SUFFIXES",
    "AnnotatedAudio",
    "AudioDataset",
    "EmbeddingTable",
    "MatrixRow",
    "load_embedding_table",
    "load_vector",
    "pack_dataset",
    "save_packed_binary_attributes",
    "save_vector",
]
