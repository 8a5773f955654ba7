"""Reading audio files: float32 mono at the encoder's sample rate, one-line errors.

soundfile (libsndfile) reads wav, flac, ogg/vorbis, opus and mp3; m4a, wma and
other FFmpeg-only containers go through PyAV when it is installed. Resampling
uses soxr's HQ quality, the same resampler and setting as librosa's default,
so that vectors computed here match those computed by tools built on librosa.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from balr.errors import DatasetError

# Containers that libsndfile cannot decode but FFmpeg (PyAV) can.
FFMPEG_SUFFIXES = (".m4a", ".mp4", ".aac", ".wma", ".webm", ".mka")

# libsndfile notes a WAV whose data chunk claims more bytes than the file holds
# as "data : <declared> (should be <present>)" and silently reads what is there.
_SHORT_DATA = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
# Streaming writers leave the size unknown (0 or all ones): not a truncation.
_UNKNOWN_SIZES = (0, 0x7FFFFFFF, 0xFFFFFFFF)


class AudioError(DatasetError):
    """An audio file is unreadable, truncated, empty, unsupported, silent or too short."""


def read_audio(path: Path | str, sample_rate: int = 16000) -> np.ndarray:
    """Read an audio file as float32 mono samples at `sample_rate`.

    Multi-channel audio is mixed down by averaging the channels; other rates are
    resampled with soxr (HQ), and the length is set to ``ceil(n * sample_rate / rate)``.

    Args:
        path: the audio file.
        sample_rate: the rate the samples are returned at.

    Raises:
        AudioError: the file is missing, unreadable, truncated, empty or of an
            unsupported format (the message names the file and the fix).
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: audio file not found: fix the path or remove the entry")
    if path.suffix.lower() in FFMPEG_SUFFIXES:
        data, rate = _read_ffmpeg(path)
    else:
        data, rate = _read_sndfile(path)
    if data.ndim == 2:
        data = data.mean(axis=1, dtype=np.float32) if data.shape[1] > 1 else data[:, 0]
    if data.size == 0:
        raise AudioError(f"{path}: empty audio (no samples): remove the file or re-export it")
    if not np.all(np.isfinite(data)):
        raise AudioError(f"{path}: audio holds NaN or infinite samples: re-export the file")
    return resample(np.ascontiguousarray(data, dtype=np.float32), rate, sample_rate)


def resample(wav: np.ndarray, rate: int, sample_rate: int) -> np.ndarray:
    """`wav` (float32, 1-D) from `rate` to `sample_rate` with soxr HQ, length fixed as librosa."""
    if rate == sample_rate:
        return wav
    out = soxr.resample(wav, rate, sample_rate, quality="HQ")
    n = math.ceil(wav.shape[0] * sample_rate / rate)
    if out.shape[0] < n:
        out = np.pad(out, (0, n - out.shape[0]))
    return np.ascontiguousarray(out[:n], dtype=np.float32)


def audio_seconds(path: Path | str) -> float:
    """Duration of an audio file in seconds from its header (0.0 when it cannot be told)."""
    path = Path(path)
    try:
        info = sf.info(str(path))
    except (sf.SoundFileError, OSError, RuntimeError):
        return _ffmpeg_seconds(path)
    return float(info.frames) / info.samplerate if info.samplerate > 0 else 0.0


def _read_sndfile(path: Path) -> tuple[np.ndarray, int]:
    """Samples ([n] or [n, channels], float32) and rate of a file libsndfile reads."""
    try:
        with sf.SoundFile(str(path)) as f:
            _check_not_truncated(path, f.extra_info)
            data = f.read(dtype="float32", always_2d=True)
            rate = f.samplerate
    except sf.SoundFileError as error:
        raise AudioError(_sndfile_message(path, error)) from None
    except OSError as error:
        raise AudioError(f"{path}: cannot read the audio file ({error.strerror})") from None
    return data, rate


def _check_not_truncated(path: Path, extra_info: str) -> None:
    """AudioError when the header claims more audio data than the file holds."""
    match = _SHORT_DATA.search(extra_info)
    if match is None:
        return
    declared, present = int(match[1]), int(match[2])
    if declared > present and declared not in _UNKNOWN_SIZES:
        raise AudioError(
            f"{path}: truncated audio file (header declares {declared} data bytes, "
            f"{present} present): copy or re-export the complete file"
        )


def _sndfile_message(path: Path, error: Exception) -> str:
    """One line for a libsndfile failure: empty, unsupported or damaged file."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if path.stat().st_size == 0:
        return f"{path}: empty audio file (0 bytes): remove it or re-export the recording"
    if "not recognised" in text or "unknown format" in text.lower():
        return (
            f"{path}: unsupported or unrecognised audio format: convert it to wav or flac "
            "(m4a/wma need `pip install av`)"
        )
    return f"{path}: unreadable or truncated audio ({text}): re-export the file"


def _read_ffmpeg(path: Path) -> tuple[np.ndarray, int]:
    """Samples ([n, channels], float32) and rate decoded by PyAV (FFmpeg)."""
    av = _import_av(path)
    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            rate = int(stream.rate)
            # Planar float keeps every channel in its own row, whatever the codec's format.
            planar = av.AudioResampler(format="fltp", layout=stream.layout, rate=rate)
            for frame in container.decode(stream):
                chunks.extend(f.to_ndarray() for f in planar.resample(frame))
            chunks.extend(f.to_ndarray() for f in planar.resample(None))
    except (IndexError, av.FFmpegError) as error:
        raise AudioError(f"{path}: unreadable audio ({error}): re-export the file") from None
    if not chunks:
        return np.zeros((0, 1), np.float32), rate
    return np.ascontiguousarray(np.concatenate(chunks, axis=1).T, dtype=np.float32), rate


def _ffmpeg_seconds(path: Path) -> float:
    """Duration from the container header through PyAV, 0.0 when unknown."""
    try:
        import av
    except ImportError:
        return 0.0
    try:
        with av.open(str(path)) as container:
            return float(container.duration or 0) / 1_000_000
    except Exception:  # any decode failure: the duration is only for progress display
        return 0.0


def _import_av(path: Path) -> Any:
    """The PyAV module, or an AudioError saying how to install it."""
    try:
        import av
    except ImportError:
        raise AudioError(
            f"{path}: reading {path.suffix} audio needs FFmpeg: `pip install av`, "
            "or convert the file to wav/flac"
        ) from None
    return av
