"""Small binary-attribute datasets and trial files for the `balr score` CLI tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

K = 16


def write_attributes(
    folder: Path,
    speakers: int = 8,
    per_speaker: int = 3,
    *,
    k: int = K,
    seed: int = 0,
    with_speaker: bool = True,
    prefix: str = "s",
) -> Path:
    """A CSV dataset of 1-D 0/1 .npy vectors (speaker-specific rates); returns the CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    header = "id,binary_attributes,speaker" if with_speaker else "id,binary_attributes"
    lines = [header]
    for s in range(speakers):
        rates = rng.choice([0.1, 0.9], size=k)
        for u in range(per_speaker):
            vector = (rng.random(k) < rates).astype(np.uint8)
            name = f"{prefix}{s}u{u}_ba.npy"
            np.save(folder / name, vector)
            cells = [f"{prefix}{s}/u{u}", name] + ([f"{prefix}{s}"] if with_speaker else [])
            lines.append(",".join(cells))
    csv = folder / "data.csv"
    csv.write_text("\n".join(lines) + "\n")
    return csv


def all_pairs(
    path: Path, speakers: int, per_speaker: int, *, label: bool = True, prefix: str = "s"
) -> Path:
    """Every unordered pair of recordings as a trial file (with a label column if asked)."""
    ids = [(s, f"{prefix}{s}/u{u}") for s in range(speakers) for u in range(per_speaker)]
    lines = ["enrollment\ttest" + ("\tlabel" if label else "")]
    for i, (s1, a) in enumerate(ids):
        for s2, b in ids[i + 1 :]:
            lines.append(f"{a}\t{b}" + (f"\t{int(s1 == s2)}" if label else ""))
    path.write_text("\n".join(lines) + "\n")
    return path


def beta_scorer_and_vectors(scorer_dir: Path, vector_dir: Path, n: int) -> list[Path]:
    """A beta scorer fitted on 12 random 8-bit recordings of 4 speakers, saved in
    `scorer_dir`, and the first `n` of them as r{i}_ba.npy files in `vector_dir`."""
    from balr.data.vectors import save_vector
    from balr.scoring import BetaScorer

    bits = (np.random.default_rng(0).random((12, 8)) < 0.5).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, np.repeat(np.arange(4), 3))
    scorer.save(scorer_dir)
    paths = [vector_dir / f"r{i}_ba.npy" for i in range(n)]
    for path, vector in zip(paths, bits, strict=False):
        save_vector(path, vector)
    return paths


def saved_beta_scorer(folder: Path) -> Path:
    """`folder` holding the beta scorer of `beta_scorer_and_vectors` (no vectors)."""
    beta_scorer_and_vectors(folder, folder, 0)
    return folder
