"""Kaldi-style log mel filterbank features, as WeSpeaker models are trained on.

The recipe (Kaldi's ``compute-fbank-feats`` defaults, with WeSpeaker's choices):
16 kHz audio scaled to the 16-bit range (x 32768); 25 ms frames every 10 ms,
only frames that fit entirely ("snip edges"); no dither; per frame, the mean is
removed (DC offset), then pre-emphasis 0.97 (the first sample against itself),
a symmetric Hamming window, zero padding to 512 samples, the power spectrum,
triangular filters equally spaced on Kaldi's mel scale ``1127 ln(1 + f / 700)``
between 20 Hz and the Nyquist frequency (the Nyquist bin itself unused), and
the log of each filter energy floored at float32's epsilon. WeSpeaker then
subtracts the utterance's mean feature vector (`mean_normalise`).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

FRAME_MS = 25.0
SHIFT_MS = 10.0
PREEMPHASIS = 0.97
LOW_HZ = 20.0
PCM_SCALE = 32768.0
LOG_FLOOR = float(np.finfo(np.float32).eps)
# Frames computed together (60 s): bounds the temporaries of long recordings (~10 MB each).
BLOCK_FRAMES = 6000


def kaldi_mel(hz: float | np.ndarray) -> np.ndarray:
    """Kaldi's mel scale: 1127 ln(1 + f / 700)."""
    return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)


def kaldi_mel_banks(
    n_bins: int, n_fft: int, sample_rate: int, low_hz: float = LOW_HZ
) -> np.ndarray:
    """Triangular filters [n_bins, n_fft // 2 + 1] on Kaldi's mel scale, peak 1, last column 0."""
    centres = np.linspace(kaldi_mel(low_hz), kaldi_mel(sample_rate / 2), n_bins + 2)
    left, centre, right = centres[:-2, None], centres[1:-1, None], centres[2:, None]
    freqs = kaldi_mel(np.arange(n_fft // 2) * sample_rate / n_fft)[None, :]
    rising = (freqs - left) / (centre - left)
    falling = (right - freqs) / (right - centre)
    weights = np.where((freqs > left) & (freqs < right), np.minimum(rising, falling), 0.0)
    return np.pad(weights, ((0, 0), (0, 1)))


@lru_cache(maxsize=8)
def _constants(n_bins: int, frame: int, n_fft: int, sample_rate: int) -> tuple[torch.Tensor, ...]:
    """Hamming window [frame] and mel banks [n_fft // 2 + 1, n_bins] as float32 tensors."""
    window = 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(frame) / (frame - 1))
    banks = kaldi_mel_banks(n_bins, n_fft, sample_rate)
    return (
        torch.from_numpy(window.astype(np.float32)),
        torch.from_numpy(np.ascontiguousarray(banks.T, dtype=np.float32)),
    )


def frame_count(n_samples: int, sample_rate: int = 16000) -> int:
    """Frames of an `n_samples` waveform with snipped edges (0 when shorter than one frame)."""
    frame, shift = _sizes(sample_rate)
    return 0 if n_samples < frame else 1 + (n_samples - frame) // shift


def kaldi_fbank(wav: np.ndarray, n_bins: int = 80, sample_rate: int = 16000) -> torch.Tensor:
    """Log mel filterbank of a float32 waveform in [-1, 1], float32 [frames, n_bins].

    The waveform is scaled by 32768 first, as Kaldi reads 16-bit audio.
    """
    frame, shift = _sizes(sample_rate)
    n_frames = frame_count(len(wav), sample_rate)
    out = torch.zeros((n_frames, n_bins))
    if n_frames == 0:
        return out
    # A view of overlapping frames (no copy); the per-frame work goes block by block, so
    # the temporaries stay a few MB however long the recording is.
    frames = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32)).unfold(0, frame, shift)
    for start in range(0, n_frames, BLOCK_FRAMES):
        block = frames[start : min(start + BLOCK_FRAMES, n_frames)]
        out[start : start + len(block)] = _log_mel(block * PCM_SCALE, n_bins, sample_rate)
    return out


def _log_mel(frames: torch.Tensor, n_bins: int, sample_rate: int) -> torch.Tensor:
    """Log mel energies [n, n_bins] of frames [n, frame] already scaled to the 16-bit range."""
    n_fft = 1 << (frames.shape[1] - 1).bit_length()
    window, banks = _constants(n_bins, frames.shape[1], n_fft, sample_rate)
    frames = frames - frames.mean(dim=1, keepdim=True)
    previous = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)
    frames = (frames - PREEMPHASIS * previous) * window
    spectrum = torch.fft.rfft(frames, n=n_fft)
    power = spectrum.real.square() + spectrum.imag.square()
    return torch.log(torch.clamp(power @ banks, min=LOG_FLOOR))


def mean_normalise(features: torch.Tensor) -> torch.Tensor:
    """Features minus their mean over frames (per-utterance CMN)."""
    return features - features.mean(dim=0, keepdim=True)


def _sizes(sample_rate: int) -> tuple[int, int]:
    """Frame length and shift in samples."""
    return int(sample_rate * FRAME_MS / 1000), int(sample_rate * SHIFT_MS / 1000)
