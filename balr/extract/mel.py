"""GE2E's input features: a 40-band power mel spectrogram on the Slaney mel scale.

The filterbank is the usual Slaney one (linear below 1 kHz, logarithmic above,
each triangle scaled to unit area), as librosa builds it by default; the STFT
uses a 400-sample periodic Hann window, a 160-sample hop and centred frames
padded with zeros.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

N_FFT = 400
HOP = 160
N_MELS = 40

# Slaney's mel scale: linear up to 1 kHz (3 mels per 200 Hz), then log-spaced.
_F_SP = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP
_LOG_STEP = np.log(6.4) / 27.0


def hz_to_mel(hz: float | np.ndarray) -> np.ndarray:
    """Frequencies in Hz on Slaney's mel scale."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _F_SP
    log = _MIN_LOG_MEL + np.log(np.maximum(hz, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOG_STEP
    return np.where(hz >= _MIN_LOG_HZ, log, linear)


def mel_to_hz(mel: float | np.ndarray) -> np.ndarray:
    """Slaney mels back to Hz."""
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _F_SP
    log = _MIN_LOG_HZ * np.exp(_LOG_STEP * (np.maximum(mel, _MIN_LOG_MEL) - _MIN_LOG_MEL))
    return np.where(mel >= _MIN_LOG_MEL, log, linear)


def slaney_mel_filterbank(
    sample_rate: int = 16000, n_fft: int = N_FFT, n_mels: int = N_MELS
) -> np.ndarray:
    """Triangular mel filters, float32 [n_mels, n_fft // 2 + 1], each of unit area in Hz.

    The band edges are `n_mels + 2` points evenly spaced in mel from 0 Hz to the
    Nyquist frequency; filter i rises from edge i to edge i+1 and falls to edge i+2.
    """
    bins = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    edges = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sample_rate / 2), n_mels + 2))
    widths = np.diff(edges)
    distance = edges[:, None] - bins[None, :]
    rising = -distance[:-2] / widths[:-1, None]
    falling = distance[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights *= (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=4)
def _filterbank(sample_rate: int) -> torch.Tensor:
    return torch.from_numpy(slaney_mel_filterbank(sample_rate))


@lru_cache(maxsize=1)
def _window() -> torch.Tensor:
    return torch.hann_window(N_FFT, periodic=True, dtype=torch.float32)


# Frames per STFT block (60 s): the complex spectrum of a block is ~10 MB, so a long
# recording costs little more than its mel features.
BLOCK_FRAMES = 6000


def mel_spectrogram(
    wav: np.ndarray, sample_rate: int = 16000, length: int | None = None
) -> torch.Tensor:
    """Power mel spectrogram of a float32 waveform, [frames, 40] with 1 + length // 160 frames.

    Frames are centred (the signal is padded with N_FFT // 2 zeros on each side) and computed
    in blocks of BLOCK_FRAMES; each frame depends only on its own 400 samples, so blocks give
    the frames of one whole-signal STFT. `length` (>= len(wav)) extends the signal with
    zeros, as padding it would, without a padded copy of a long recording.
    """
    signal = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32))
    total = max(signal.numel(), length or 0)
    frames = 1 + total // HOP
    out = torch.empty(frames, N_MELS)
    for first in range(0, frames, BLOCK_FRAMES):
        last = min(first + BLOCK_FRAMES, frames)
        piece = _padded_piece(signal, first * HOP - N_FFT // 2, (last - 1) * HOP + N_FFT // 2)
        spec = torch.stft(
            piece, N_FFT, hop_length=HOP, window=_window(), center=False, return_complex=True
        )
        power = spec.real.square() + spec.imag.square()
        out[first:last] = (_filterbank(sample_rate) @ power).T
    return out


def _padded_piece(signal: torch.Tensor, start: int, stop: int) -> torch.Tensor:
    """`signal[start:stop]`, with zeros where the range runs past either end."""
    inside = signal[max(start, 0) : max(min(stop, signal.numel()), 0)]
    before, after = max(-start, 0), max(stop - max(signal.numel(), start), 0)
    if before == 0 and after == 0:
        return inside
    return torch.nn.functional.pad(inside, (before, after))
