"""What can be measured of a case recording's condition: sampling rate, band, net speech.

`balr compare` states the conditions of the case (given with --condition-enrollment /
--condition-test, else measured here) next to those of the calibration data, and warns
when they differ.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Energy share below the upper edge of a recording's band (99 % cuts into clean speech
# whose energy lies mostly below 4 kHz; 99.99 % sits at ~7.8 kHz for 16 kHz speech).
BAND_SHARE = 0.9999
# A recording whose band ends below this is narrow-band (telephone) audio.
NARROW_BAND_HZ = 4000.0


@dataclass(frozen=True)
class Measured:
    """A recording's measured condition."""

    sample_rate: int
    band_hz: float
    speech_seconds: float

    @property
    def narrow_band(self) -> bool:
        """True for telephone-band audio (sampled at 8 kHz or band-limited below 4 kHz)."""
        return self.sample_rate <= 8000 or self.band_hz < NARROW_BAND_HZ

    def line(self) -> str:
        """'16 kHz, band to 7.6 kHz, 12.3 s of speech' (telephone band noted)."""
        band = "telephone band, " if self.narrow_band else ""
        return (
            f"{band}{self.sample_rate / 1000:g} kHz, band to {self.band_hz / 1000:.1f} kHz,"
            f" {self.speech_seconds:.1f} s of speech"
        )


def measure(path: Path) -> Measured:
    """Measure one audio file (its native rate; speech by GE2E's voice-activity trimming)."""
    import soundfile as sf

    from balr.conditions.duration import voiced
    from balr.extract.audio import read_audio

    rate = int(sf.info(str(path)).samplerate)
    wav = read_audio(path, rate)
    vad_rate = 16000 if rate not in (8000, 16000, 32000, 48000) else rate
    speech = voiced(read_audio(path, vad_rate), vad_rate)
    return Measured(rate, band_edge(wav, rate), len(speech) / vad_rate)


def band_edge(wav: np.ndarray, rate: int, share: float = BAND_SHARE) -> float:
    """The frequency below which `share` of the signal's energy lies."""
    power = np.abs(np.fft.rfft(wav.astype(np.float64))) ** 2
    total = power.sum()
    if not total > 0:
        return 0.0
    index = int(np.searchsorted(np.cumsum(power) / total, share))
    return float(np.fft.rfftfreq(len(wav), 1 / rate)[min(index, power.size - 1)])


def mismatch(case: Iterable[str], calibration: Iterable[str]) -> str | None:
    """A warning when the case's conditions are not among the calibration data's, else None."""
    case_set, calibration_set = set(case), set(calibration)
    if not calibration_set or case_set <= calibration_set:
        return None
    return (
        f"the case's recording conditions ({', '.join(sorted(case_set))}) differ from those"
        f" of the calibration data ({', '.join(sorted(calibration_set))}): the LR was not"
        " validated for this case's conditions"
    )
