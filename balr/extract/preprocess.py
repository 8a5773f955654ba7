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


def raise_level(wav: np.ndarray, target_dbfs: float = TARGET_DBFS) -> np.ndarray:
    """`wav` scaled up so that its mean power is `target_dbfs`; louder or silent audio as is."""
    power = np.mean(wav**2)
    if not power > 0:
        return wav
    change = target_dbfs - 10 * np.log10(power)
    if change <= 0:
        return wav
    return wav * (10 ** (change / 20))


def voice_windows(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """One WebRTC VAD decision (bool) per whole 30 ms window of `wav`."""
    window = VAD_WINDOW_MS * sample_rate // 1000
    n = len(wav) // window
    # Out-of-range samples wrap as in the reference pipeline (same cast, same result).
    with np.errstate(invalid="ignore", over="ignore"):
        pcm = np.round(wav[: n * window] * _INT16_SCALE).astype(np.int16).tobytes()
    vad = webrtcvad.Vad(VAD_MODE)
    step = 2 * window  # bytes per window
    return np.array(
        [vad.is_speech(pcm[i * step : (i + 1) * step], sample_rate) for i in range(n)],
        dtype=bool,
    )


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


def trim_silences(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    """`wav` cut to whole 30 ms windows, keeping only those in or near voice."""
    window = VAD_WINDOW_MS * sample_rate // 1000
    flags = voice_windows(wav, sample_rate)
    if flags.size == 0:
        return wav[:0]
    keep = np.repeat(smooth_flags(flags), window)
    return wav[: keep.size][keep]


def ge2e_preprocess(wav: np.ndarray, sample_rate: int = 16000) -> np.ndarray:
    """GE2E's preprocessing of a float32 16 kHz waveform: level raised, silences shortened."""
    return trim_silences(raise_level(wav), sample_rate)
