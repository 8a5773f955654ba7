"""LLR scoring speed: balr's fast paths vs a straightforward per-comparison implementation.

For 512 and 1,024 attributes, a synthetic reference of 10,000 recordings (500 speakers x
20, speaker rates drawn from a Beta) is binarised, the Beta-Bernoulli scorer is fitted on
it, and then, in this process:

- 1+1 trial list: 1,000,000 comparisons drawn at random over the 10,000 recordings, scored
  by `Scorer.score_rows` (what `balr score test` uses: each vector read once, comparisons
  index them) and by `Scorer.score_pairs` on pre-gathered rows (200,000 of them);
- all pairs: the 10,000 x 10,000 matrix by `Scorer.score_matrix`, of the set against
  itself (symmetric: half the products, mirrored) and against a second set of 10,000;
- straightforward: the same LLR computed per comparison as ln B sums of lgamma over stacked
  [P, k, 2] (active, inactive) counts in float64 torch, chunk by chunk, on a subset of the
  trials (its rate gives the time it would take for the whole list and the whole matrix).

Every path is checked against the straightforward one on that subset (largest absolute
difference). Best of `--repeats`; nothing asserts on time.

Usage::

    python benchmarks/scoring_speed.py [--quick] [--trials N] [--recordings N] [--repeats R]
"""

from __future__ import annotations

import time
from typing import Any

import _common
import numpy as np


def options() -> Any:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1_000_000, help="1+1 comparisons")
    parser.add_argument("--recordings", type=int, default=10_000, help="recordings (and matrix)")
    parser.add_argument("--pairs", type=int, default=200_000, help="pre-gathered pairs")
    parser.add_argument(
        "--straight", type=int, default=40_000, help="comparisons for the straightforward path"
    )
    parser.add_argument("--attributes", default="512,1024", help="attribute counts, comma list")
    args = _common.parse(parser)
    if args.quick:
        args.trials, args.recordings, args.pairs, args.straight = 100_000, 2_000, 20_000, 5_000
    args.repeats = args.repeats or (1 if args.quick else 3)
    return args


def reference(recordings: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """uint8 0/1 [recordings, k] and speaker labels (20 recordings per speaker)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(recordings) // 20
    means = rng.uniform(0.1, 0.6, k)
    rates = rng.beta(means * 2, (1 - means) * 2, (labels[-1] + 1, k))
    bits = np.empty((recordings, k), np.uint8)
    for start in range(0, recordings, 4096):
        rows = slice(start, start + 4096)
        bits[rows] = rng.random((len(labels[rows]), k)) < rates[labels[rows]]
    return bits, labels


def straightforward(
    alpha: Any, bits: np.ndarray, enroll: np.ndarray, test: np.ndarray, chunk: int = 10_000
) -> np.ndarray:
    """LLR per comparison from stacked [P, k, 2] counts, lgamma for every term (float64)."""
    import torch

    def log_beta(x: Any) -> Any:  # ln B over the last axis (the two states)
        return torch.lgamma(x).sum(-1) - torch.lgamma(x.sum(-1))

    out = []
    for start in range(0, len(enroll), chunk):
        e = torch.from_numpy(bits[enroll[start : start + chunk]]).double()
        t = torch.from_numpy(bits[test[start : start + chunk]]).double()
        e2, t2 = torch.stack([e, 1 - e], -1), torch.stack([t, 1 - t], -1)
        llr = (
            log_beta(alpha + e2 + t2)
            + log_beta(alpha)
            - log_beta(alpha + e2)
            - log_beta(alpha + t2)
        )
        out.append(llr.sum(-1).numpy())
    return np.concatenate(out)


def measure(args: Any, k: int) -> tuple[list[list[str]], list[str]]:
    import torch

    from balr.scoring import BetaScorer

    bits, labels = reference(args.recordings, k)
    scorer = BetaScorer()
    fit_seconds, report = _common.best_time(lambda: scorer.fit(bits, labels), 1)
    rng = np.random.default_rng(1)
    enroll = rng.integers(0, len(bits), args.trials)
    test = rng.integers(0, len(bits), args.trials)
    alpha = torch.from_numpy(np.stack([scorer.alpha, scorer.beta], -1))
    sub = slice(0, args.straight)
    straight_seconds, reference_llrs = _common.best_time(
        lambda: straightforward(alpha, bits, enroll[sub], test[sub]), 1
    )
    straight_rate = args.straight / straight_seconds

    rows_seconds, llrs = _common.best_time(
        lambda: scorer.score_rows(bits, enroll, test), args.repeats
    )
    pair_e, pair_t = bits[enroll[: args.pairs]], bits[test[: args.pairs]]
    pairs_seconds, pair_llrs = _common.best_time(
        lambda: scorer.score_pairs(pair_e, pair_t), args.repeats
    )
    matrix_seconds, matrix = _common.best_time(
        lambda: scorer.score_matrix(bits, bits), max(1, args.repeats - 1)
    )
    other = reference(args.recordings, k, seed=2)[0]
    cross_seconds, cross = _common.best_time(
        lambda: scorer.score_matrix(bits, other), max(1, args.repeats - 1)
    )
    cross_sub = slice(0, min(args.straight, 2000))
    cross_reference = straightforward(
        alpha, np.vstack([bits, other]), enroll[cross_sub], len(bits) + test[cross_sub]
    )
    diff_cross = np.abs(cross[enroll[cross_sub], test[cross_sub]] - cross_reference).max()
    del cross
    n = len(bits)
    diff_rows = np.abs(llrs[sub] - reference_llrs).max()
    diff_pairs = np.abs(pair_llrs[: args.straight] - reference_llrs[: args.pairs]).max()
    diff_matrix = np.abs(matrix[enroll[sub], test[sub]] - reference_llrs).max()
    rows_rate, pairs_rate = args.trials / rows_seconds, args.pairs / pairs_seconds
    straight_matrix = n * n / straight_rate
    table = [
        [
            f"k={k}: 1+1 trial list ({args.trials:,} over {n:,} recordings), score_rows",
            f"{_common.fmt_rate(rows_rate)} /s",
            f"{_common.fmt_rate(straight_rate)} /s",
            _common.fmt_ratio(rows_rate / straight_rate),
            f"{diff_rows:.1e}",
        ],
        [
            f"k={k}: 1+1 pre-gathered rows ({args.pairs:,}), score_pairs",
            f"{_common.fmt_rate(pairs_rate)} /s",
            f"{_common.fmt_rate(straight_rate)} /s",
            _common.fmt_ratio(pairs_rate / straight_rate),
            f"{diff_pairs:.1e}",
        ],
        [
            f"k={k}: all pairs of one set, {n:,} x {n:,}, score_matrix",
            f"{matrix_seconds:.2f} s ({_common.fmt_rate(n * n / matrix_seconds)} /s)",
            f"{straight_matrix:.0f} s (extrapolated)",
            _common.fmt_ratio(straight_matrix / matrix_seconds),
            f"{diff_matrix:.1e}",
        ],
        [
            f"k={k}: all pairs of two sets, {n:,} x {n:,}, score_matrix",
            f"{cross_seconds:.2f} s ({_common.fmt_rate(n * n / cross_seconds)} /s)",
            f"{straight_matrix:.0f} s (extrapolated)",
            _common.fmt_ratio(straight_matrix / cross_seconds),
            f"{diff_cross:.1e}",
        ],
    ]
    notes = [
        f"k={k}: fit {fit_seconds:.2f} s ({report.iterations} steps, converged"
        f" {report.converged}); straightforward measured on {args.straight:,} comparisons",
    ]
    if k == 512:
        notes.append(
            f"targets at k=512: >= 1,000,000 comparisons/s: {_common.verdict(rows_rate >= 1e6)};"
            f" all pairs of {n:,} under 10 s: {_common.verdict(matrix_seconds < 10)} (one"
            f" set), {_common.verdict(cross_seconds < 10)} (two sets);"
            f" >= 20x straightforward: {_common.verdict(rows_rate / straight_rate >= 20)}"
        )
    return table, notes


def main() -> None:
    args = options()
    threads = _common.set_threads(args.threads)
    rows, notes = [], []
    for k in (int(x) for x in args.attributes.split(",")):
        started = time.perf_counter()
        table, extra = measure(args, k)
        rows += table
        notes += extra
        print(f"k={k} measured in {time.perf_counter() - started:.0f} s", flush=True)
    notes += _common.machine_lines()
    notes.append(f"{threads} threads (torch and balr's look-up pool); numpy BLAS default")
    _common.print_table(
        "LLR scoring speed (Beta-Bernoulli, float64)",
        ["case", "balr", "straightforward", "speed-up", "max |diff|"],
        rows,
        notes,
    )


if __name__ == "__main__":
    main()
