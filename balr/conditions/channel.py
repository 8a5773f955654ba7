"""Channel steps: the telephone channel, lossy codecs, gain and clipping.

The codecs are those of well-kept libraries: GSM full rate and MP3 (LAME) through
pedalboard, Opus through libsndfile (soundfile), the band filter from SciPy and
the resampling from soxr.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np

from balr.conditions.chain import Context
from balr.conditions.checks import ConditionError, check_choice, check_range, fit_length, resample

# Bit rates LAME takes through pedalboard (kbit/s).
MP3_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
# LAME's encoder delay (576) plus the decoder's (529): decoded audio starts this late.
MP3_DELAY = 1105
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
# libsndfile maps Opus's compression level 0..1 linearly to 256..6 kbit/s per channel.
OPUS_KBPS = (6.0, 256.0)
CODECS = ("mp3", "opus")
# Container suffix of each codec's own file (balr degrade --keep-codec).
CODEC_SUFFIX = {"mp3": ".mp3", "opus": ".opus"}


@dataclass(frozen=True)
class Telephone:
    """Narrow-band telephone: to `rate`, band-pass `low_hz`-`high_hz`, codec, and back."""

    low_hz: float
    high_hz: float
    rate: int
    codec: str

    def __post_init__(self) -> None:
        check_range("telephone.rate", self.rate, 4000, 48000, " Hz")
        check_range("telephone.high_hz", self.high_hz, 1, self.rate / 2 - 1, " Hz")
        check_range("telephone.low_hz", self.low_hz, 0, self.high_hz - 1, " Hz")
        check_choice("telephone.codec", self.codec, ("gsm", "none"))
        if self.codec == "gsm" and self.rate != 8000:
            raise ConditionError(
                f"condition telephone.rate={self.rate}: the GSM codec runs at 8000 Hz:"
                " set telephone.rate=8000 or telephone.codec=none"
            )

    def __call__(self, wav: np.ndarray, rate: int, context: Context) -> np.ndarray:
        from scipy.signal import butter, sosfilt

        narrow = resample(wav, rate, self.rate)
        # 4th order band-pass (8 poles): 24 dB per octave outside the band.
        sos = butter(
            4, [max(self.low_hz, 1.0), self.high_hz], "bandpass", fs=self.rate, output="sos"
        )
        narrow = np.asarray(sosfilt(sos, narrow), dtype=np.float32)
        if self.codec == "gsm":
            narrow = gsm_full_rate(narrow, self.rate)
        return resample(np.asarray(narrow, np.float32), self.rate, rate, len(wav))


@dataclass(frozen=True)
class Codec:
    """A lossy codec at a bit rate: the audio encoded and decoded again."""

    codec: str
    kbps: float

    def __post_init__(self) -> None:
        check_choice("codec.codec", self.codec, CODECS)
        if self.codec == "mp3":
            _pedalboard()
            if self.kbps not in MP3_KBPS:
                raise ConditionError(
                    f"condition codec.kbps={self.kbps:g}: MP3 bit rates are"
                    f" {', '.join(map(str, MP3_KBPS))} kbit/s: give one of them"
                )
        else:
            check_range("codec.kbps", self.kbps, *OPUS_KBPS, " kbit/s for Opus")
            _check_opus()

    @property
    def suffix(self) -> str:
        """The file suffix of the codec's own container."""
        return CODEC_SUFFIX[self.codec]

    def __call__(self, wav: np.ndarray, rate: int, context: Context) -> np.ndarray:
        return self.decode(self.encode(wav, rate), rate, len(wav))

    def encode_rate(self, rate: int) -> int:
        """The rate the codec runs at: `rate` when it takes it, else 16 or 48 kHz."""
        rates = MP3_RATES if self.codec == "mp3" else OPUS_RATES
        return rate if rate in rates else (16000 if rate <= 16000 else 48000)

    def encode(self, wav: np.ndarray, rate: int) -> bytes:
        """The codec's file (mp3 or ogg/opus) of `wav`."""
        coded = self.encode_rate(rate)
        samples = resample(wav, rate, coded)
        buffer = io.BytesIO()
        if self.codec == "mp3":
            with _pedalboard().io.AudioFile(
                buffer, "w", coded, 1, format="mp3", quality=f"{self.kbps:g} kbps"
            ) as out:
                out.write(samples[None, :])
        else:
            import soundfile as sf

            level = (OPUS_KBPS[1] - self.kbps) / (OPUS_KBPS[1] - OPUS_KBPS[0])
            sf.write(buffer, samples, coded, format="OGG", subtype="OPUS", compression_level=level)
        return buffer.getvalue()

    def decode(self, data: bytes, rate: int, length: int) -> np.ndarray:
        """`length` samples at `rate` decoded from the codec's file, aligned with the input."""
        coded = self.encode_rate(rate)
        if self.codec == "mp3":
            with _pedalboard().io.AudioFile(io.BytesIO(data)) as got:
                samples = got.read(got.frames)[0][MP3_DELAY:]
        else:
            import soundfile as sf

            samples, _ = sf.read(io.BytesIO(data), dtype="float32")
        samples = fit_length(np.asarray(samples, np.float32), round(length * coded / rate))
        return resample(samples, coded, rate, length)


@dataclass(frozen=True)
class Gain:
    """The level changed by `gain_db`, then clipped at `clip_dbfs` (None: not clipped)."""

    gain_db: float
    clip_dbfs: float | None = None

    def __post_init__(self) -> None:
        check_range("gain.gain_db", self.gain_db, -60, 60, " dB")
        if self.clip_dbfs is not None:
            check_range("gain.clip_dbfs", self.clip_dbfs, -60, 0, " dBFS")

    def __call__(self, wav: np.ndarray, rate: int, context: Context) -> np.ndarray:
        pedalboard = _pedalboard()
        board = [pedalboard.Gain(gain_db=self.gain_db)]
        if self.clip_dbfs is not None:
            board.append(pedalboard.Clipping(threshold_db=self.clip_dbfs))
        return pedalboard.Pedalboard(board)(wav, rate)


def gsm_full_rate(wav: np.ndarray, rate: int) -> np.ndarray:
    """`wav` (at 8 kHz) encoded and decoded by the GSM 06.10 full-rate codec."""
    pedalboard = _pedalboard()
    # The plugin resamples to 8 kHz even from 8 kHz: its default windowed sinc then filters
    # the signal once more (~31 dB SNR) at a third of the codec's cost; zero-order hold at
    # equal rates is the identity, leaving the codec alone.
    hold = pedalboard.Resample.Quality.ZeroOrderHold
    return pedalboard.GSMFullRateCompressor(quality=hold)(wav, rate)


def _pedalboard() -> Any:
    try:
        import pedalboard
        import pedalboard.io
    except ImportError:
        raise ConditionError(
            "condition: the telephone and MP3 steps need pedalboard: `pip install pedalboard`"
        ) from None
    return pedalboard


def _check_opus() -> None:
    import soundfile as sf

    if "OPUS" not in sf.available_subtypes("OGG"):
        raise ConditionError(
            f"condition codec.codec=opus: the installed libsndfile ({sf.__libsndfile_version__})"
            " cannot write Opus: `pip install -U soundfile` (its wheels bundle libsndfile >= 1.1)"
        )
