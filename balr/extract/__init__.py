"""Speaker embeddings from audio, offline: reading, preprocessing, encoders.

Example (GE2E, whose weights ship with balr)::

    from balr.extract import GE2EEncoder, read_audio
    encoder = GE2EEncoder()
    vector = encoder.embed([encoder.prepare(read_audio("speech.flac"))])[0]
"""

from __future__ import annotations

from balr.extract.audio import AudioError, audio_seconds, read_audio
from balr.extract.encoder import SpeakerEncoder
from balr.extract.ge2e import GE2EEncoder
from balr.extract.onnx import OnnxEncoder
from balr.extract.segments import segment_id, split_segments

__all__ = [
    "AudioError",
    "GE2EEncoder",
    "OnnxEncoder",
    "SpeakerEncoder",
    "audio_seconds",
    "read_audio",
    "segment_id",
    "split_segments",
]
