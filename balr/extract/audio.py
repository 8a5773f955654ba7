"""Reading audio files: float32 mono at the encoder's sample rate, one-line errors.

soundfile (libsndfile) reads wav, flac, ogg/vorbis, opus and mp3; m4a, wma and
other FFmpeg-only containers go through PyAV when it is installed. Resampling
uses soxr's HQ quality, the same resampler and setting as librosa's default,
so that vectors computed here match those computed by tools built on librosa.

Float files may hold any values; a correctly scaled recording stays within +-1 (full
scale), lossy codecs overshoot it by a little. Samples beyond +-2 mean a mis-scaled export
(e.g. 16-bit values stored as floats): such a recording is brought to a mean level of
-30 dBFS (the level GE2E's preprocessing raises quiet speech to; never louder than full
scale) and a warning says so, instead of letting the encoder see a signal 60 dB too loud.
"""

from __future__ import annotations

import logging
import math
import re
import stat
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from balr.data.guard import check_regular
from balr.errors import DatasetError
from balr.extract.preprocess import TARGET_DBFS

log = logging.getLogger("balr.extract")

# Containers that libsndfile cannot decode but FFmpeg (PyAV) can.
FFMPEG_SUFFIXES = (".m4a", ".mp4", ".aac", ".wma", ".webm", ".mka")

# libsndfile notes a WAV whose data chunk claims more bytes than the file holds
# as "data : <declared> (should be <present>)" and silently reads what is there.
_SHORT_DATA = re.compile(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
# Streaming writers leave the size unknown (0 or all ones): not a truncation.
_UNKNOWN_SIZES = (0, 0x7FFFFFFF, 0xFFFFFFFF)
# Peaks above this are a mis-scaled float export, not a codec's overshoot of full scale.
OUT_OF_RANGE_PEAK = 2.0


class AudioError(DatasetError):
    """An audio file is unreadable, truncated, empty, unsupported, silent or too short."""


def read_audio(
    path: Path | str, sample_rate: int = 16000, notes: list[str] | None = None
) -> np.ndarray:
    """Read an audio file as float32 mono samples at `sample_rate`.

    Multi-channel audio is mixed down by averaging the channels; other rates are
    resampled with soxr (HQ), and the length is set to ``ceil(n * sample_rate / rate)``.
    Float samples beyond +-2 are rescaled (see the module docstring).

    Args:
        path: the audio file.
        sample_rate: the rate the samples are returned at.
        notes: collects warnings about the file (a rescaling); None logs them instead.

    Raises:
        AudioError: the file is missing, not readable by this user, truncated, empty or
            of an unsupported format (the message names the file and the fix).
    """
    path = Path(path)
    _check_readable(path)
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
    data = _within_range(path, data, notes)
    return resample(np.ascontiguousarray(data, dtype=np.float32), rate, sample_rate)


def _check_readable(path: Path) -> None:
    """AudioError unless `path` is a regular file this user may read."""
    denied = (
        f"{path}: permission denied: this user may not read the file (or a folder on its"
        " path): give read access (e.g. chmod a+r) or remove it from the input"
    )
    try:
        check_regular(path, AudioError, "recording (an audio file)")
    except PermissionError:
        raise AudioError(denied) from None
    except OSError:
        missing = f"{path}: audio file not found: fix the path or remove the entry"
        raise AudioError(missing) from None
    try:
        with open(path, "rb"):  # a regular file: never blocks
            pass
    except PermissionError:
        raise AudioError(denied) from None


def _within_range(path: Path, data: np.ndarray, notes: list[str] | None) -> np.ndarray:
    """`data`, rescaled to a mean level of -30 dBFS when its peak says it is mis-scaled."""
    peak = max(float(data.max()), -float(data.min()))  # no |data| copy of a long recording
    if peak <= OUT_OF_RANGE_PEAK:
        return data
    power = float(np.mean(np.square(data, dtype=np.float64)))
    gain = min(10 ** ((TARGET_DBFS - 10 * math.log10(power)) / 20), 1 / peak)
    note = (
        f"{path}: float samples reach +-{peak:.4g} (full scale is +-1): scaled by {gain:.3g}"
        f" to a mean level of {10 * math.log10(power * gain**2):.0f} dBFS before embedding;"
        " re-export the file at full scale to silence this warning"
    )
    if notes is None:
        log.warning("%s", note)
    else:
        notes.append(note)
    return data * np.float32(gain)


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
        if not stat.S_ISREG(path.stat().st_mode):
            return 0.0  # a FIFO would block the header read; read_audio says what it is
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
