"""GE2E in balr reproduces the shared reference vectors to 1e-5 per component."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
import torch

from balr.extract import GE2EEncoder, read_audio, segment_id, split_segments
from tests.extract_shared import (
    librispeech_id,
    reference_vectors,
    shared_data,
    voxceleb_sources,
)

TOLERANCE = 1e-5
# Fast-suite subset: 24 kHz VoxCeleb2 (resampled) and 16 kHz VoxCeleb1 recordings,
# including one whose last segment is shorter than 2 s.
VOXCELEB_FAST = ("id00906/00014", "id06261/00159", "id10270/5r0dWxy17C8/00004")
LIBRISPEECH_FAST = 4


@pytest.fixture(scope="module")
def encoder() -> GE2EEncoder:
    torch.set_num_threads(1)
    return GE2EEncoder()


def check_voxceleb(encoder: GE2EEncoder, ids: Iterable[str] | None) -> float:
    """Largest |difference| over the chosen recordings and all their segments."""
    audio, sample = shared_data("voxceleb-audio"), shared_data("voxceleb-sample")
    utterances = reference_vectors(sample, "utterances.csv")
    segments = reference_vectors(sample, "all.csv")
    sources = voxceleb_sources(sample)
    worst = 0.0
    for item in ids or sorted(sources):
        wav = encoder.prepare(read_audio(audio / sources[item]))
        whole = encoder.embed([wav])[0]
        worst = max(worst, float(np.abs(whole - utterances[item]).max()))
        pieces = encoder.embed(split_segments(wav, encoder.sample_rate))
        expected = sorted(k for k in segments if k.startswith(f"{item}-s"))
        assert [segment_id(item, k) for k in range(len(pieces))] == expected
        for k, vector in enumerate(pieces):
            worst = max(worst, float(np.abs(vector - segments[segment_id(item, k)]).max()))
    return worst


def check_librispeech(encoder: GE2EEncoder, limit: int | None) -> float:
    """Largest |difference| over the val segments of the first `limit` files."""
    audio = shared_data("librispeech-audio") / "val"
    reference = reference_vectors(shared_data("librispeech-sample"), "val.csv")
    files: list[Path] = sorted(audio.glob("*.flac"))[:limit]
    worst, seen = 0.0, 0
    for path in files:
        item = librispeech_id(path)
        pieces = encoder.embed(split_segments(encoder.prepare(read_audio(path)), 16000))
        for k, vector in enumerate(pieces):
            worst = max(worst, float(np.abs(vector - reference[segment_id(item, k)]).max()))
        seen += len(pieces)
        assert seen and all(segment_id(item, k) in reference for k in range(len(pieces)))
    if limit is None:
        assert seen == len(reference)
    return worst


def test_voxceleb_recordings_and_segments_match_reference(encoder: GE2EEncoder) -> None:
    assert check_voxceleb(encoder, VOXCELEB_FAST) < TOLERANCE


def test_librispeech_val_segments_match_reference(encoder: GE2EEncoder) -> None:
    assert check_librispeech(encoder, LIBRISPEECH_FAST) < TOLERANCE


@pytest.mark.slow
def test_every_voxceleb_vector_matches_reference(encoder: GE2EEncoder) -> None:
    assert check_voxceleb(encoder, None) < TOLERANCE


@pytest.mark.slow
def test_every_librispeech_val_vector_matches_reference(encoder: GE2EEncoder) -> None:
    assert check_librispeech(encoder, None) < TOLERANCE
