"""A recording condition: a named chain of steps, seeded per recording.

Every random draw of a step (a noise segment, a room placement, an offset) comes
from a generator seeded by the recording's id, the condition's seed and the step's
position, through SHA-256 (not Python's salted `hash`): the same recording gets the
same samples on any machine, in any shard and in any order.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np


@dataclass(frozen=True)
class Source:
    """Another recording of the input that a step may draw from (babble noise)."""

    id: str
    audio: Path
    speaker: str | None = None


@dataclass(frozen=True)
class Context:
    """What a step knows of the recording it degrades."""

    rng: np.random.Generator
    recording_id: str
    speaker: str | None = None
    sources: tuple[Source, ...] = ()


class Step(Protocol):
    """One degradation: float32 mono samples at `rate` in, float32 mono samples out."""

    def __call__(self, wav: np.ndarray, rate: int, context: Context) -> np.ndarray: ...


def recording_seed(recording_id: str, seed: int) -> int:
    """A 64-bit seed from a recording id and a seed, the same on every machine."""
    digest = hashlib.sha256(f"{seed}\0{recording_id}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


class Condition:
    """A named chain of steps applied to a recording's waveform.

    Example::

        from balr.conditions import Condition, Telephone
        phone = Condition("phone", [Telephone(300, 3400, 8000, "gsm")])
        degraded = phone.apply(wav, 16000, "speaker1/rec1")
    """

    def __init__(
        self, name: str, steps: Sequence[Step] = (), seed: int = 0, sources: Sequence[Source] = ()
    ) -> None:
        self.name = name
        self.steps = tuple(steps)
        self.seed = seed
        self.sources = tuple(sources)

    @property
    def is_clean(self) -> bool:
        """True when the condition changes nothing (no step)."""
        return not self.steps

    def with_sources(self, sources: Sequence[Source]) -> Condition:
        """The same condition drawing babble from `sources` (all recordings of the input)."""
        return Condition(self.name, self.steps, self.seed, sources)

    def apply(
        self, wav: np.ndarray, rate: int, recording_id: str, speaker: str | None = None
    ) -> np.ndarray:
        """`wav` as recorded under this condition (float32, at `rate`).

        Raises:
            BalrError: the recording cannot be degraded (e.g. less speech than a duration).
        """
        base = recording_seed(recording_id, self.seed)
        out = np.asarray(wav, dtype=np.float32)
        for position, step in enumerate(self.steps):
            rng = np.random.default_rng([base, position])
            context = Context(rng, recording_id, speaker, self.sources)
            out = np.ascontiguousarray(step(out, rate, context), dtype=np.float32)
        return out

    def describe(self) -> dict[str, Any]:
        """Name, seed and every step's parameters (what a run records)."""
        return {
            "name": self.name,
            "seed": self.seed,
            "steps": [_describe_step(step) for step in self.steps],
        }


def _describe_step(step: Step) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if dataclasses.is_dataclass(step) and not isinstance(step, type):
        fields = dataclasses.asdict(step)
    shown = {k: v for k, v in fields.items() if not k.startswith("_")}
    return {"step": type(step).__name__, **shown}
