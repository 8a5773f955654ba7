"""Small labelled score files for the `balr validate` tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_scores(
    path: Path,
    seed: int = 0,
    speakers: int = 12,
    n: int = 400,
    separation: float = 3.0,
    column: str = "llr",
    condition: list[str] | None = None,
) -> Path:
    """A scores.tsv of `n` comparisons among `speakers` speakers (ids speaker/recording).

    LLRs are Gaussian, mean +-separation and sd 2 (natural log): close to calibrated for
    separation 2. Every 4th comparison is a same-speaker one.
    """
    rng = np.random.default_rng(seed)
    enroll = rng.integers(0, speakers, n)
    test = (enroll + rng.integers(1, speakers, n)) % speakers
    same = np.arange(n) % 4 == 0
    test[same] = enroll[same]
    llrs = np.where(same, separation, -separation) + rng.normal(0, 2.0, n)
    header = ["enrollment", "test", column, "label"] + (["condition"] if condition else [])
    lines = ["\t".join(header)]
    for i in range(n):
        value = llrs[i] / np.log(10.0) if column == "log10_lr" else llrs[i]
        cells = [f"s{enroll[i]}/e{i}", f"s{test[i]}/t{i}", f"{value:.6f}", str(int(same[i]))]
        lines.append(
            "\t".join(cells + ([condition[(i // 4) % len(condition)]] if condition else []))
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path
