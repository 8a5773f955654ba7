"""Additive noise at a signal-to-noise ratio: white, pink, babble, or recordings of a folder.

The SNR compares the mean power of the speech with that of the noise. With
``measure="speech"`` (the default) the speech power is taken over the 30 ms windows
WebRTC VAD flags as voice, so pauses do not lower it (the active speech level, in the
spirit of ITU-T P.56); with ``measure="whole"`` over every sample. The noise power is
always that of the whole noise segment added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from balr.conditions.chain import Context, Source
from balr.conditions.checks import (
    ConditionError,
    RecordingError,
    check_choice,
    check_range,
    resample,
)

KINDS = ("white", "pink", "babble", "folder")
MEASURES = ("speech", "whole")
SNR_RANGE = (-20.0, 60.0)
NOISE_SUFFIXES = (".wav", ".flac", ".ogg", ".opus", ".mp3")


@dataclass(frozen=True)
class Noise:
    """Noise of `kind` added at `snr_db` (see the module docstring for how it is measured)."""

    kind: str
    snr_db: float
    measure: str = "speech"
    talkers: int = 5
    noise_dir: str | None = None
    _files: tuple[Path, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        check_choice("noise.kind", self.kind, KINDS)
        check_range("noise.snr_db", self.snr_db, *SNR_RANGE, " dB")
        check_choice("noise.measure", self.measure, MEASURES)
        check_range("noise.talkers", self.talkers, 1, 100)
        if self.kind == "folder" and not self._files:
            object.__setattr__(self, "_files", noise_files(self.noise_dir))

    def __call__(self, wav: np.ndarray, rate: int, context: Context) -> np.ndarray:
        noise = self.noise(len(wav), rate, context)
        return mix(wav, noise, self.snr_db, rate, self.measure)

    def noise(self, n: int, rate: int, context: Context) -> np.ndarray:
        """`n` samples of this step's noise (any level)."""
        rng = context.rng
        if self.kind == "white":
            return rng.standard_normal(n).astype(np.float32)
        if self.kind == "pink":
            return pink_noise(n, rng)
        if self.kind == "babble":
            return self._babble(n, rate, context)
        path = self._files[int(rng.integers(len(self._files)))]
        return segment(_read(path, rate), n, rng)

    def _babble(self, n: int, rate: int, context: Context) -> np.ndarray:
        talkers = other_talkers(context)
        if not talkers:
            # Without a speaker column a recording's folder names its speaker, so a flat
            # folder is one speaker: say so, or the user adds recordings in vain.
            raise RecordingError(
                "babble noise needs recordings of other speakers in the input, and every"
                f" recording of it is speaker {context.speaker!r} (without a speaker column,"
                " a recording's folder names its speaker): give a CSV with a speaker column,"
                " one folder per speaker, or the noise step's kind=white|pink|folder"
            )
        count = min(self.talkers, len(talkers))
        chosen = context.rng.choice(len(talkers), size=count, replace=False)
        mixed = np.zeros(n, np.float32)
        for k in sorted(int(c) for c in chosen):
            voice = segment(_read(talkers[k].audio, rate), n, context.rng)
            mixed += voice / max(float(np.sqrt(np.mean(voice**2))), 1e-9)
        return mixed


def other_talkers(context: Context) -> list[Source]:
    """The sources spoken by someone else (another speaker, else another recording)."""
    return [
        s
        for s in context.sources
        if s.id != context.recording_id
        and (context.speaker is None or s.speaker is None or s.speaker != context.speaker)
    ]


def mix(wav: np.ndarray, noise: np.ndarray, snr_db: float, rate: int, measure: str) -> np.ndarray:
    """`wav` plus `noise` scaled so that speech power / noise power is `snr_db`."""
    speech = speech_power(wav, rate) if measure == "speech" else float(np.mean(wav**2))
    power = float(np.mean(noise**2))
    if not speech > 0 or not power > 0:
        return wav
    scale = np.sqrt(speech / (power * 10 ** (snr_db / 10)))
    return (wav + scale * noise).astype(np.float32)


def speech_power(wav: np.ndarray, rate: int) -> float:
    """Mean power over the voice-active 30 ms windows (all samples when none is)."""
    from balr.extract.preprocess import VAD_WINDOW_MS, raise_level, voice_windows

    window = VAD_WINDOW_MS * rate // 1000
    # WebRTC VAD decides on the level GE2E's preprocessing gives it.
    if rate not in (8000, 16000, 32000, 48000):  # the rates WebRTC VAD takes
        return float(np.mean(wav**2))
    flags = voice_windows(raise_level(wav), rate)
    if not np.any(flags):
        return float(np.mean(wav**2))
    active = np.repeat(flags, window)
    return float(np.mean(wav[: active.size][active] ** 2))


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    """Noise whose power falls 3 dB per octave (white noise shaped by 1/sqrt(f))."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(spectrum.size, dtype=np.float64)
    freqs[0] = np.inf  # no DC
    return np.fft.irfft(spectrum / np.sqrt(freqs), n).astype(np.float32)


def segment(source: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` samples of `source` from a random start (repeated when it is shorter)."""
    if len(source) >= n:
        start = int(rng.integers(len(source) - n + 1))
        return source[start : start + n]
    start = int(rng.integers(len(source)))
    return np.resize(np.roll(source, -start), n)


def noise_files(folder: str | None) -> tuple[Path, ...]:
    """The readable audio files under `folder` (sorted), or a ConditionError."""
    import soundfile as sf

    if not folder:
        raise ConditionError("condition noise.kind=folder: set noise.noise_dir=FOLDER of noise")
    root = Path(folder)
    if not root.is_dir():
        raise ConditionError(f"condition noise.noise_dir={folder}: no such folder: fix the path")
    found = []
    for path in sorted(p for p in root.rglob("*") if p.suffix.lower() in NOISE_SUFFIXES):
        try:
            if sf.info(str(path)).frames > 0:
                found.append(path.absolute())
        except (sf.SoundFileError, RuntimeError, OSError):
            continue
    if not found:
        raise ConditionError(
            f"condition noise.noise_dir={folder}: no readable audio"
            f" ({', '.join(NOISE_SUFFIXES)}) in it: give a folder of noise recordings"
        )
    return tuple(found)


def _read(path: Path, rate: int) -> np.ndarray:
    import soundfile as sf

    try:
        data, source_rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.SoundFileError, RuntimeError, OSError) as error:
        raise RecordingError(f"{path}: cannot read this noise recording ({error})") from None
    if data.shape[0] == 0:
        raise RecordingError(f"{path}: empty noise recording: remove it")
    return resample(data.mean(axis=1, dtype=np.float32), source_rate, rate)
