"""Cost of `balr score train --calibrate K`: the K refits and out-of-fold scoring vs one fit.

Synthetic binary attributes (speaker-specific activation rates) of S speakers with R
recordings each go through `balr.scoring.commands.train_scorer` twice in the same run: the
plain fit (beta scorer, saved), then the same with 5-fold cross-validated calibration
(refits on 4/5 of the speakers, every held-out same-speaker pair and up to `cv.max_pairs`
different-speaker pairs per fold scored by the matrix path, cv_scores.tsv and
calibration.json written). Prints both times, their ratio, and the comparisons scored.

Best of `--repeats`; nothing asserts on time.

Usage::

    python benchmarks/cv_calibration_speed.py [--quick] [--speakers S] [--per R] [--k K]
"""

from __future__ import annotations

import functools
import tempfile
import time
from pathlib import Path
from typing import Any

import _common
import numpy as np


def options() -> Any:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--speakers", type=int, default=5_000, help="reference speakers")
    parser.add_argument("--per", type=int, default=20, help="recordings per speaker")
    parser.add_argument("--k", type=int, default=512, help="attributes per recording")
    return _common.parse(parser)


def reference(speakers: int, per: int, k: int) -> Any:
    """Bits of `speakers` x `per` recordings, attribute rates drawn per speaker."""
    from balr.scoring.commands import Bits

    rng = np.random.default_rng(0)
    rates = rng.uniform(0.05, 0.95, (speakers, k)).astype(np.float32)
    labels = np.repeat(np.arange(speakers), per)
    bits = (rng.random((speakers * per, k), dtype=np.float32) < rates[labels]).astype(np.uint8)
    ids = [f"s{s}/u{u}" for s in range(speakers) for u in range(per)]
    return Bits("synthetic", ids, bits, labels, [f"s{s}" for s in range(speakers)])


def timed(run: Any, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            run(Path(tmp))
            best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    args = options()
    from balr.scoring import BetaScorer
    from balr.scoring.commands import CrossValOptions, train_scorer

    speakers, per = (500, 10) if args.quick else (args.speakers, args.per)
    repeats = args.repeats or (1 if not args.quick else 2)
    data = reference(speakers, per, args.k)
    make = functools.partial(BetaScorer)
    cv = CrossValOptions(folds=5)
    plain = timed(lambda d: train_scorer(make, data, d), repeats)
    crossed = timed(lambda d: train_scorer(make, data, d, crossval=cv), repeats)
    with tempfile.TemporaryDirectory() as tmp:
        train_scorer(make, data, Path(tmp), crossval=cv)
        scored = len((Path(tmp) / "cv_scores.tsv").read_text().splitlines()) - 1
    print("\n".join(_common.machine_lines()))
    print(f"reference: {speakers:,} speakers x {per} recordings x {args.k} attributes")
    print(f"plain fit and save:            {plain:8.2f} s")
    print(f"with --calibrate 5:            {crossed:8.2f} s  ({crossed / plain:.1f}x)")
    print(f"out-of-fold comparisons scored: {scored:,}")


if __name__ == "__main__":
    main()
