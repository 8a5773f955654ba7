"""What every speaker encoder offers the extraction runner."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class SpeakerEncoder(Protocol):
    """Turns waveforms into fixed-size speaker embeddings.

    The runner calls ``prepare`` on each recording (it may raise `AudioError`,
    e.g. when too little speech remains), optionally cuts the prepared waveform
    into segments, then calls ``embed`` on many waveforms at once.
    """

    name: str  # short name, e.g. "ge2e"
    dim: int  # embedding size
    sample_rate: int  # the rate waveforms must be given at

    def prepare(self, wav: np.ndarray) -> np.ndarray:
        """The encoder's own preprocessing of one float32 waveform at `sample_rate`."""
        ...

    def embed(self, wavs: Sequence[np.ndarray]) -> np.ndarray:
        """Embeddings of prepared waveforms, float32 [len(wavs), dim]."""
        ...
