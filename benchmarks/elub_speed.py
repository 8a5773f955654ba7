"""ELUB bounds: sorted LLRs and cumulative counts against the straightforward N x T matrix.

Labelled log10 LLRs of a two-Gaussian system (10 % same-speaker) get their ELUB bounds
twice in the same run: by `balr.evaluation.bounds.elub_bounds` (sorted counts,
O(N log N + T)) and by the evaluation the spec states literally, an N x T boolean matrix
of "LLR <= threshold" (what lir's ELUB builds; T = thresholds every 0.01 log10). Both must
give the same bounds; the ratio of their times is printed (target >= 20x at 200k LLRs).
Then `elub_bounds` alone on 10M LLRs (the matrix would need N x T bytes: ~9 GB for T = 900).

Best of `--repeats`; nothing asserts on time.

Usage::

    python benchmarks/elub_speed.py [--quick] [--n N] [--big N] [--repeats R]
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import _common
import numpy as np


def options() -> Any:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200_000, help="LLRs for the comparison")
    parser.add_argument("--big", type=int, default=10_000_000, help="LLRs for elub_bounds alone")
    return _common.parse(parser)


def llrs(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """log10 LLRs of a calibrated two-Gaussian system (sigma^2 = 12 in natural log)."""
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.1
    sigma2 = 12.0
    natural = rng.normal(np.where(labels, sigma2 / 2, -sigma2 / 2), math.sqrt(sigma2))
    return natural / math.log(10), labels


def matrix_elub(log10_llrs: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The spec's algorithm with an N x T boolean matrix (the straightforward evaluation)."""
    x = np.clip(log10_llrs, -9, 9)
    n1, n0 = int(labels.sum()), int((~labels).sum())
    low, high = max(x.min(), -math.log10(n1 + 1)), min(x.max(), math.log10(n0 + 1))
    grid = np.arange(min(math.floor(low * 100), 0), max(math.ceil(high * 100), 0) + 1) / 100
    below = x[:, None] <= grid[None, :]
    miss = ((below & labels[:, None]).sum(axis=0) + 1) / (n1 + 1)
    fa = ((~below & ~labels[:, None]).sum(axis=0) + 1) / (n0 + 1)
    theta = 10.0**grid
    bad = np.minimum(1, theta) / (miss + theta * fa) < 1
    up, down = grid[bad & (grid >= 0)], grid[bad & (grid <= 0)]
    upper = up.min() - 0.01 if up.size else grid[-1]
    lower = down.max() + 0.01 if down.size else grid[0]
    return round(min(lower, 0.0), 2) + 0.0, round(max(upper, 0.0), 2)


def best(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    from balr.evaluation.bounds import elub_bounds, elub_grid

    args = options()
    n, big = (20_000, 1_000_000) if args.quick else (args.n, args.big)
    repeats = args.repeats or 3
    x, y = llrs(n)
    fast_time, bounds = best(repeats, lambda: elub_bounds(x, y))
    slow_time, reference = best(max(1, repeats // 2), lambda: matrix_elub(x, y))
    same = (bounds.log10_lower, bounds.log10_upper) == reference
    print(f"ELUB bounds of {n:,} LLRs: log10 [{bounds.log10_lower:+.2f}, {bounds.log10_upper:+.2f}]"
          f" (N x T matrix: [{reference[0]:+.2f}, {reference[1]:+.2f}], same: {same})")  # fmt: skip
    print(f"  sorted counts {1000 * fast_time:8.1f} ms | N x T matrix {1000 * slow_time:8.1f} ms"
          f" | speed-up {slow_time / fast_time:.0f}x (target >= 20x)")  # fmt: skip
    x, y = llrs(big, seed=1)
    big_time, bounds = best(repeats, lambda: elub_bounds(x, y))
    t = elub_grid(np.clip(x, -9, 9), int(y.sum()), int((~y).sum())).size
    print(
        f"ELUB bounds of {big:,} LLRs: {big_time:.2f} s, log10 [{bounds.log10_lower:+.2f},"
        f" {bounds.log10_upper:+.2f}] (an N x T matrix, T = {t}: {big * t / 1e9:.0f} GB)"
    )


if __name__ == "__main__":
    main()
