"""One dataset item with its vectors loaded."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass
class AnnotatedAudio:
    """A dataset item as returned by ``AudioDataset[i]``.

    Attributes:
        id: the item's id in its dataset.
        sample_rate: the dataset's sample rate (audio is never decoded by balr.data).
        audio_path: the audio file the item refers to, if any.
        audio: decoded audio; always None here (training only needs vectors).
        embedding: float32 [D] speaker embedding, if the item has one.
        binary_attributes: float32 0/1 [K] binary-attribute vector, if the item has one.
        speaker: the speaker label, if known.
    """

    id: str
    sample_rate: int
    audio_path: Path | None = None
    audio: torch.Tensor | None = None
    embedding: torch.Tensor | None = None
    binary_attributes: torch.Tensor | None = None
    speaker: str | None = None
