"""Config schema of recording conditions: one dataclass per step, presets of the `condition` group.

A condition is a chain of steps applied to a waveform (balr.conditions). The group is
selected by name (`condition=phone`) or as a list that chains presets in order
(`'condition=[noise_snr10,phone]'`); each selected preset lands under
``condition.<name>``, so its steps can be changed (`condition.phone.steps.0.codec=none`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from balr.config.schema import DatasetConfig

CONDITION_GROUP = "condition"
DEFAULT_CONDITION = "clean"


@dataclass
class TelephoneConfig:
    """A telephone channel: 8 kHz sampling, a 300-3400 Hz band and a speech codec."""

    _target_: str = "balr.conditions.Telephone"
    # Band edges in Hz (the narrow-band telephone channel: 300-3400).
    low_hz: float = 300.0
    high_hz: float = 3400.0
    # Sampling rate of the channel in Hz (the audio returns to the input rate afterwards).
    rate: int = 8000
    # Speech codec on the channel: gsm (GSM full rate, 13 kbit/s) or none.
    codec: str = "gsm"


@dataclass
class CodecConfig:
    """A lossy audio codec at a bit rate (encoded and decoded again)."""

    _target_: str = "balr.conditions.Codec"
    # mp3 (LAME through pedalboard; 32-320 kbit/s) or opus (libsndfile; 6-256 kbit/s).
    codec: str = MISSING
    # Bit rate in kbit/s.
    kbps: float = MISSING


@dataclass
class NoiseConfig:
    """Additive noise at a signal-to-noise ratio."""

    _target_: str = "balr.conditions.Noise"
    # white, pink, babble (other speakers' recordings of the input) or folder (noise_dir).
    kind: str = "white"
    # Signal-to-noise ratio in dB (-20 to 60).
    snr_db: float = 10.0
    # Where the speech power is measured: speech (voice-active 30 ms windows) or whole.
    measure: str = "speech"
    # babble: how many other speakers' recordings are mixed.
    talkers: int = 5
    # folder: recordings of noise (searched recursively), one drawn per recording.
    noise_dir: str | None = None


@dataclass
class ReverbConfig:
    """A simulated shoebox room (image method, pyroomacoustics)."""

    _target_: str = "balr.conditions.Reverb"
    # Room size in metres (length, width, height).
    room: list[float] = field(default_factory=lambda: [5.0, 4.0, 3.0])
    # Reverberation time RT60 in seconds (Sabine).
    rt60: float = 0.5
    # Source/microphone placements drawn per seed; each recording uses one of them.
    placements: int = 8


@dataclass
class GainConfig:
    """A level change, then hard clipping at a ceiling."""

    _target_: str = "balr.conditions.Gain"
    # Gain in dB.
    gain_db: float = 0.0
    # Clip samples above this level in dBFS (None: no clipping).
    clip_dbfs: float | None = None


@dataclass
class DurationConfig:
    """Net speech: keep D seconds of the voice-active part of the recording."""

    _target_: str = "balr.conditions.NetSpeech"
    # Seconds of speech kept (a recording with less speech is an error, listed).
    seconds: float = MISSING
    # Start at a random point of the speech (drawn per recording and seed); else at its start.
    random_offset: bool = True


@dataclass
class ConditionConfig:
    """One preset of the `condition` group: its steps, applied in order."""

    steps: list[Any] = field(default_factory=list)
    # Name recorded in the outputs (None: the preset's, or one derived from changed steps).
    name: str | None = None


def _preset(*steps: Any) -> ConditionConfig:
    return ConditionConfig(steps=list(steps))


# Name -> preset of the `condition` group (clean is the default: no step).
CONDITION_PRESETS: dict[str, ConditionConfig] = {
    "clean": _preset(),
    "phone": _preset(TelephoneConfig()),
    "voip": _preset(CodecConfig(codec="opus", kbps=16)),
    "mp3_32k": _preset(CodecConfig(codec="mp3", kbps=32)),
    "noise_snr10": _preset(NoiseConfig(kind="babble")),
    "reverb": _preset(ReverbConfig()),
    "short_5s": _preset(DurationConfig(seconds=5.0)),
    # A phone call from a noisy place: the noise is picked up before the channel.
    "phone_noisy": _preset(NoiseConfig(kind="babble"), TelephoneConfig()),
}


def register_conditions(store: Any) -> None:
    """Store every preset in the `condition` group, each under ``condition.<name>``, and
    balr degrade's config."""
    store.store(name="degrade", node=DegradeConfig)
    for name, node in CONDITION_PRESETS.items():
        store.store(group=CONDITION_GROUP, name=name, node=node, package=f"condition.{name}")


@dataclass
class DegradeConfig:
    """Config of ``balr degrade``: the recordings, the condition, where the audio goes."""

    defaults: list[Any] = field(
        default_factory=lambda: ["_self_", {CONDITION_GROUP: [DEFAULT_CONDITION]}]
    )
    # The recordings: a folder (searched recursively), a CSV with an `audio` column, or a file.
    input: DatasetConfig = field(default_factory=DatasetConfig)
    # The condition, as for balr extract: condition=phone or 'condition=[noise_snr10,phone]'.
    condition: dict[str, Any] = field(default_factory=dict)
    # Seed of the condition's random draws (with each recording's id).
    seed: int = 0
    # Sampling rate the audio is read, degraded and written at.
    sample_rate: int = 16000
    # Write the codec's own file (mp3, opus) instead of flac (--keep-codec).
    keep_codec: bool = False
    # Folder the degraded audio goes to, mirroring the input layout (--save-dir; required).
    save_dir: str = MISSING
