"""Synthetic VoxCeleb2-shaped speaker embeddings, for tests and benchmarks.

Each speaker has a random unit centroid; an utterance is its centroid plus
Gaussian noise, renormalised. Utterance counts per speaker follow a long-tailed
(log-normal) distribution with at least 2 per speaker. With noise sigma and
dimension D, cosine scores of same- and different-speaker pairs are separated
so that the cosine EER is set by sigma and D; the default sigma targets about 3 %
(`noise_for_eer`).

Every speaker's vectors come from its own seeded generator, so a dataset is the
same whatever the format and however it is chunked.

Usage::

    python -m balr.data.synthetic OUT --speakers 5994 --utterances 1092009 --dim 256 \\
        --format packed --seed 0
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from statistics import NormalDist

import numpy as np
import polars as pl

from balr.data.packed import (
    MATRIX_FILES,
    append_matrix,
    prepare_pack_dir,
    write_index,
    write_manifest,
)
from balr.data.vectors import save_vector
from balr.errors import BalrError

log = logging.getLogger("balr.data")

FORMATS = ("txt", "npy", "pkl", "packed")
DEFAULT_EER = 0.03
# Rows generated and written per step when packing: bounds memory at full VoxCeleb2 size.
_CHUNK_ROWS = 1 << 17


def noise_for_eer(dim: int, eer: float = DEFAULT_EER) -> float:
    """Noise sigma giving about `eer` cosine EER in `dim` dimensions (0 when unreachable).

    Non-target cosines have std 1/sqrt(D); target ones mean 1/(1+s^2) and std
    s*sqrt(2+s^2)/(sqrt(D)(1+s^2)). Equal error rates meet at z = sqrt(D)/f(s) with
    f(s) = (s + sqrt(s^2+2))^2 / 2, which solves for s in closed form.
    """
    a = math.sqrt(2.0 * math.sqrt(dim) / NormalDist().inv_cdf(1.0 - eer))
    return max((a * a - 2.0) / (2.0 * a), 0.0)


def utterance_counts(speakers: int, utterances: int, seed: int) -> np.ndarray:
    """Long-tailed int64 counts per speaker, each >= 2, summing to `utterances`."""
    if speakers < 1 or utterances < 2 * speakers:
        raise ValueError(
            f"need speakers >= 1 and utterances >= 2 * speakers, got {speakers}, {utterances}"
        )
    rng = np.random.default_rng([seed, 0])
    weights = rng.lognormal(mean=0.0, sigma=0.6, size=speakers)
    extra = rng.multinomial(utterances - 2 * speakers, weights / weights.sum())
    return (extra + 2).astype(np.int64)


def speaker_vectors(seed: int, speaker: int, count: int, dim: int, noise: float) -> np.ndarray:
    """float32 [count, dim] unit vectors of one speaker (deterministic per seed and speaker)."""
    rng = np.random.default_rng([seed, 1, speaker])
    centroid = rng.standard_normal(dim)
    centroid /= np.linalg.norm(centroid)
    vectors = centroid + noise * rng.standard_normal((count, dim)) / math.sqrt(dim)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def speaker_name(speaker: int) -> str:
    """VoxCeleb-style speaker id: id00000, id00001, ..."""
    return f"id{speaker:05d}"


def generate(
    out: Path,
    speakers: int,
    utterances: int,
    dim: int = 256,
    fmt: str = "npy",
    seed: int = 0,
    noise: float | None = None,
) -> Path:
    """Write a synthetic dataset; return its path (the CSV, or the packed folder).

    Per-file formats write ``OUT/embeddings/<speaker>/<utt>_emb.<fmt>`` and
    ``OUT/data.csv`` (id, embedding, speaker); "packed" writes a packed dataset in OUT.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    counts = utterance_counts(speakers, utterances, seed)
    sigma = noise_for_eer(dim) if noise is None else float(noise)
    if fmt == "packed":
        return _write_packed(Path(out), counts, dim, seed, sigma)
    return _write_files(Path(out), counts, dim, seed, sigma, fmt)


def _ids(counts: np.ndarray) -> Iterator[tuple[int, int, str]]:
    for speaker, count in enumerate(counts.tolist()):
        for utt in range(count):
            yield speaker, utt, f"{speaker_name(speaker)}/{utt:05d}"


def _write_files(
    out: Path, counts: np.ndarray, dim: int, seed: int, sigma: float, fmt: str
) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[str]] = {"id": [], "embedding": [], "speaker": []}
    for speaker, count in enumerate(counts.tolist()):
        vectors = speaker_vectors(seed, speaker, count, dim, sigma)
        for utt, vector in enumerate(vectors):
            relative = f"embeddings/{speaker_name(speaker)}/{utt:05d}_emb.{fmt}"
            save_vector(out / relative, vector)
            rows["id"].append(f"{speaker_name(speaker)}/{utt:05d}")
            rows["embedding"].append(relative)
            rows["speaker"].append(speaker_name(speaker))
    csv_path = out / "data.csv"
    pl.DataFrame(rows).write_csv(csv_path)
    return csv_path


def _write_packed(out: Path, counts: np.ndarray, dim: int, seed: int, sigma: float) -> Path:
    out = prepare_pack_dir(out)
    total = int(counts.sum())
    with append_matrix(out / MATRIX_FILES["embedding"], (total, dim), np.float32) as matrix:
        pending: list[np.ndarray] = []
        pending_rows = 0
        for speaker, count in enumerate(counts.tolist()):
            pending.append(speaker_vectors(seed, speaker, count, dim, sigma))
            pending_rows += count
            if pending_rows >= _CHUNK_ROWS or speaker == len(counts) - 1:
                matrix.write(np.concatenate(pending))
                pending, pending_rows = [], 0
    names = [speaker_name(s) for s in range(len(counts))]
    speaker_column = pl.Series("speaker", names).gather(np.repeat(np.arange(len(counts)), counts))
    utt_column = pl.Series("utt", np.concatenate([np.arange(c) for c in counts.tolist()]))
    index = pl.DataFrame({"speaker": speaker_column, "utt": utt_column}).select(
        pl.format("{}/{}", "speaker", pl.col("utt").cast(pl.String).str.zfill(5)).alias("id"),
        "speaker",
    )
    write_index(out, index)
    write_manifest(out, total, dim, None)
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options of the generator."""
    parser = argparse.ArgumentParser(
        prog="python -m balr.data.synthetic",
        description="Generate synthetic VoxCeleb2-shaped speaker embeddings (unit centroids plus"
        " noise, long-tailed utterance counts).",
    )
    parser.add_argument("out", type=Path, help="output folder")
    parser.add_argument("--speakers", type=int, default=100, help="number of speakers")
    parser.add_argument("--utterances", type=int, default=2000, help="total number of utterances")
    parser.add_argument("--dim", type=int, default=256, help="embedding dimension")
    parser.add_argument(
        "--format", choices=FORMATS, default="npy", help="per-file vectors or packed"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--noise", type=float, default=None, help="noise sigma (default: ~3%% EER)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; prints the path of the written dataset."""
    ns = parse_args(argv)
    try:
        path = generate(ns.out, ns.speakers, ns.utterances, ns.dim, ns.format, ns.seed, ns.noise)
    except (ValueError, BalrError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
