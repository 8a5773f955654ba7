"""Speaker bootstrap of `balr validate`: 1,000 replicates on 1M comparisons (target < 60 s).

A synthetic condition of `--n` comparisons among `--speakers` speakers (2 % same-speaker,
a per-speaker offset on the LLRs so that comparisons sharing a speaker are correlated) gets
`--replicates` speaker-bootstrap replicates of Cllr, Cllr_min, EER and devPAV through
`balr.validation.bootstrap.speaker_bootstrap`, the code `--bootstrap N` runs. Printed: the
time, the time per replicate, and the intervals. As a check that nothing is skipped, one
replicate is recomputed from scratch (the comparisons repeated by their weights, then the
plain metric functions) and must agree.

Usage::

    python benchmarks/validate_bootstrap.py [--quick] [--n N] [--speakers S] [--replicates R]
"""

from __future__ import annotations

import os
import time
from typing import Any

import _common
import numpy as np


def options() -> Any:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="comparisons")
    parser.add_argument("--speakers", type=int, default=2_000, help="speakers")
    parser.add_argument("--replicates", type=int, default=1_000, help="bootstrap replicates")
    return _common.parse(parser)


def condition(n: int, speakers: int, seed: int = 0) -> tuple[Any, ...]:
    """LLRs, labels and the speakers of both sides of `n` comparisons."""
    from balr.validation.inputs import Speakers

    rng = np.random.default_rng(seed)
    enroll = rng.integers(0, speakers, n)
    test = (enroll + rng.integers(1, speakers, n)) % speakers
    same = rng.random(n) < 0.02
    test[same] = enroll[same]
    offset = rng.normal(0.0, 1.0, speakers)
    llrs = np.where(same, 3.0, -3.0) + offset[enroll] + rng.normal(0.0, 2.0, n)
    return llrs, same, Speakers(enroll, test, speakers)


def check_one_replicate(llrs: np.ndarray, labels: np.ndarray, speakers: Any) -> float:
    """Largest difference between one replicate and its metrics computed from scratch."""
    from balr.evaluation import cllr, cllr_min, compute_eer
    from balr.evaluation.devpav import devpav
    from balr.validation.bootstrap import (
        bootstrap_replicates,
        comparison_weights,
        speaker_counts,
    )

    fast = bootstrap_replicates(llrs, labels, speakers, 1, seed=7)[0]
    counts = speaker_counts(speakers.count, 1, seed=7)[0]
    copies = comparison_weights(counts, speakers.enrollment, speakers.test).astype(np.int64)
    rows = np.repeat(np.arange(llrs.size), copies)
    x, y = llrs[rows], labels[rows]
    slow = np.array([cllr(x, y), cllr_min(x, y), compute_eer(x, y), devpav(x, y)])
    return float(np.max(np.abs(fast - slow) / np.maximum(np.abs(slow), 1e-12)))


def main() -> None:
    args = options()
    n, speakers, replicates = args.n, args.speakers, args.replicates
    if args.quick:
        n, speakers, replicates = 100_000, 500, 100
    from balr.validation.bootstrap import speaker_bootstrap

    llrs, labels, who = condition(n, speakers)
    print(f"{n:,} comparisons ({int(labels.sum()):,} same-speaker), {speakers:,} speakers")
    print(
        f"one replicate vs from scratch: largest relative difference"
        f" {check_one_replicate(llrs, labels, who):.1e}"
    )
    load = os.getloadavg()[0]
    start, cpu = time.perf_counter(), time.process_time()
    intervals = speaker_bootstrap(llrs, labels, who, replicates, seed=1)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"{replicates:,} replicates: {seconds:.1f} s wall, {cpu:.1f} s CPU"
        f" ({1000 * seconds / replicates:.1f} ms per replicate; target < 60 s for 1,000 on 1M"
        f" comparisons); load average {load:.1f} -> {os.getloadavg()[0]:.1f} on"
        f" {os.cpu_count()} cores"
    )
    for name, (low, high) in intervals.items():
        print(f"  {name:9s} 95 % interval [{low:.4f}, {high:.4f}]")


if __name__ == "__main__":
    main()
