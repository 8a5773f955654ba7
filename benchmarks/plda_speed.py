"""PLDA and cosine speed: fit on N x D embeddings, score a trial list, score an all-pairs matrix.

Synthetic embeddings from a two-covariance model (D dimensions, speakers with 10 recordings
each; default 100,000 x 256, i.e. 10,000 speakers). Measured: the PLDA fit (preprocessing
and EM) with its iteration count, scoring 1,000,000 one-recording trials by
`score_rows` (random pairs of rows, chunks of 65,536), the same with the cosine scorer,
and an all-pairs matrix of 2,000 x 2,000 recordings. Rates are trials per second.

Usage::

    python benchmarks/plda_speed.py [--quick] [--recordings N] [--dim D] [--trials T]
"""

from __future__ import annotations

import time
from typing import Any

import _common
import numpy as np

PER_SPEAKER = 10


def options() -> Any:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--recordings", type=int, default=100_000, help="reference size")
    parser.add_argument("--dim", type=int, default=256, help="embedding dimensions")
    parser.add_argument("--trials", type=int, default=1_000_000, help="trials scored")
    parser.add_argument("--matrix", type=int, default=2_000, help="rows and columns of the matrix")
    return _common.parse(parser)


def synthetic(n: int, dim: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """float32 [n, dim] embeddings of n // PER_SPEAKER speakers, and their labels."""
    speakers = max(n // PER_SPEAKER, 2)
    basis = rng.normal(size=(dim, dim)) / np.sqrt(dim)
    identity = rng.normal(size=(speakers, dim)) @ basis
    labels = np.repeat(np.arange(speakers), PER_SPEAKER)[:n]
    noise = rng.normal(scale=0.7, size=(n, dim))
    return (identity[labels] + noise).astype(np.float32), labels


def main() -> None:
    args = options()
    _common.set_threads(args.threads)
    from balr.scoring import CosineScorer, PLDAScorer

    n, dim, trials, side = args.recordings, args.dim, args.trials, args.matrix
    if args.quick:
        n, trials, side = min(n, 20_000), min(trials, 200_000), min(side, 1_000)
    rng = np.random.default_rng(0)
    x, labels = synthetic(n, dim, rng)
    enroll = rng.integers(0, n, trials)
    test = rng.integers(0, n, trials)
    rows: list[list[str]] = []
    for name, scorer in (("plda", PLDAScorer()), ("cosine", CosineScorer())):
        started = time.perf_counter()
        report = scorer.fit(x, labels)
        fit = time.perf_counter() - started
        seconds, _ = _common.best_time(lambda s=scorer: s.score_rows(x, enroll, test), 1)
        block, _ = _common.best_time(lambda s=scorer: s.score_matrix(x[:side], x[-side:]), 1)
        rows.append(
            [
                name,
                f"{fit:.2f} s ({report.iterations} it.)",
                f"{seconds:.2f} s",
                _common.fmt_rate(trials / seconds),
                f"{block:.2f} s",
                _common.fmt_rate(side * side / block),
            ]
        )
    _common.print_table(
        f"PLDA and cosine: fit on {n:,} x {dim}, {trials:,} trials, {side:,} x {side:,} matrix",
        ["scorer", "fit", "trial list", "trials/s", "matrix", "cells/s"],
        rows,
        _common.machine_lines(),
    )


if __name__ == "__main__":
    main()
