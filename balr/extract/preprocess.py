"""GE2E's waveform preprocessing: raise the level, shorten silences with WebRTC VAD.

The steps and their constants are those the pretrained GE2E encoder was used
with (and with which every shared reference vector was computed): the level is
raised towards -30 dBFS, never lowered; then 30 ms windows are classified by
WebRTC VAD in its most aggressive mode, the voice flags are smoothed by a
moving average over 8 windows, rounded, dilated by 7 windows, and only the
windows flagged as voice are kept.
"""

from __future__ import annotations

import numpy as np
import webrtcvad

TARGET_DBFS = -30.0
VAD_MODE = 3
VAD_WINDOW_MS = 30
VAD_AVERAGE_WINDOWS = 8
VAD_DILATION_WINDOWS = 7
# webrtcvad takes 16-bit PCM; the scale matches the one the reference vectors used.
_INT16_SCALE = 2**15 - 1


# Windows converted to 16-bit PCM at a time (~4 min at 16 kHz): a long recording's
# temporary copies stay small.
_VAD_CHUNK_WINDOWS = 8192


def level_gain(wav: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.floating | None:
    """The gain bringing `wav`'s mean power up to `target_dbfs`; None for louder or silent audio."""
    power = np.mean(wav**2)
    if not power > 0:
        return None
    change = target_dbfs - 10 * np.log10(power)
    if change <= 0:
        return None
    gain: np.floating = 10 ** (change / 20)
    return gain


def raise_level(wav: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """`wav` scaled up so that its mean power is `target_dbfs`; louder or silent audio as is."""
    gain = level_gain(wav, target_dbfs)
    return wav if gain is None else wav * gain


def voice_windows(wav: np.ndarray, sample_rate: int, gain: np.floating | None = None) -> np.ndarray:
    """One WebRTC VAD decision (bool) per whole 30 ms window of `wav` (times `gain`)."""
    window = VAD_WINDOW_MS * sample_rate // 1000
    n = len(wav) // window
    vad = webrtcvad.Vad(VAD_MODE)
    step = 2 * window  # bytes per window
    flags = np.zeros(n, dtype=bool)
    for first in range(0, n, _VAD_CHUNK_WINDOWS):
        last = min(first + _VAD_CHUNK_WINDOWS, n)
        chunk = wav[first * window : last * window]
        # Out-of-range samples wrap as in the reference pipeline (same cast, same result).
        with np.errstate(invalid="ignore", over="ignore"):
            scaled = chunk if gain is None else chunk * gain
            pcm = np.round(scaled * _INT16_SCALE).astype(np.int16).tobytes()
        for i in range(last - first):
            flags[first + i] = vad.is_speech(pcm[i * step : (i + 1) * step], sample_rate)
    return flags


def smooth_flags(flags: np.ndarray) -> np.ndarray:
    """Moving average over 8 windows (rounded half to even), then dilation by 7 windows."""
    width = VAD_AVERAGE_WINDOWS
    padded = np.concatenate(
        [np.zeros((width - 1) // 2), flags.astype(np.float64), np.zeros(width // 2)]
    )
    total = np.cumsum(padded)
    total[width:] = total[width:] - total[:-width]
    voiced = np.round(total[width - 1 :] / width).astype(bool)
    # "full", then the centred len(flags) values: what "same" gives, also for fewer flags
    # than the dilation's width (where "same" would return the width's length instead).
    spread = np.convolve(voiced.astype(np.int64), np.ones(VAD_DILATION_WINDOWS, np.int64))
    offset = (VAD_DILATION_WINDOWS - 1) // 2
    return spread[offset : offset + flags.size] > 0


def trim_silences(wav: np.ndarray, sample_rate: int, gain: np.floating | None = None) -> np.ndarray:
    """`wav` (times `gain`) cut to whole 30 ms windows, keeping only those in or near voice.

    Only the kept windows are scaled, in the returned copy: a long recording is never held
    twice more (bitwise what scaling all of it first gives, sample by sample).
    """
    window = VAD_WINDOW_MS * sample_rate // 1000
    flags = voice_windows(wav, sample_rate, gain)
    if flags.size == 0:
        return wav[:0]
    kept = wav[: flags.size * window].reshape(flags.size, window)[smooth_flags(flags)].ravel()
    if gain is not None:
        kept *= gain
    return kept


def ge2e_preprocess(wav: np.ndarray, sample_rate: int = 16000) -> np.ndarray:
    """GE2E's preprocessing of a float32 16 kHz waveform: level raised, silences shortened."""
    return trim_silences(wav, sample_rate, level_gain(wav))
