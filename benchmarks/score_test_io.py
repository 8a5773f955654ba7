"""`balr score test` outside the scorer: reading trials, scoring them, writing the files.

A synthetic set of 10,000 recordings (1,000 speakers x 10, 512 attributes, speaker rates
from a Beta) is binarised and a beta scorer fitted on it; then, timed stage by stage in
this process, what `balr score test` does with a trial file:

- 1+1: a 1,000,000-line trial file over the 10,000 ids is read (`read_comparisons`, labels
  from the speakers), scored (`score_comparisons`: the matrix fast path), written
  (`write_scores`), and the first 10,000 comparisons explained (`write_explanations`,
  top 5, from the [k, 2, 2] table);
- multi-recording sides: 20,000 comparisons of 3 enrollment against 2 test recordings,
  read and scored (`Counts.of_rows` + `score_counts`).

Best of `--repeats`; nothing asserts on time.

Usage::

    python benchmarks/score_test_io.py [--quick] [--trials N] [--repeats R]
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common
import numpy as np


def options() -> Any:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1_000_000, help="1+1 comparisons")
    parser.add_argument("--multi", type=int, default=20_000, help="3-vs-2 comparisons")
    return _common.parse(parser)


def best(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """Best wall time of `run` over `repeats` calls, and its last result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def write_trials(path: Path, enroll: list[str], test: list[str]) -> None:
    import polars as pl

    pl.DataFrame({"enrollment": enroll, "test": test}).write_csv(path, separator="\t")


def main() -> None:
    args = options()
    _common.set_threads(args.threads)
    from balr.scoring import BetaScorer
    from balr.scoring.explain_file import write_explanations
    from balr.scoring.score_files import write_scores
    from balr.scoring.trials import Comparisons, read_comparisons, score_comparisons

    trials_n = 20_000 if args.quick else args.trials
    multi_n = 2_000 if args.quick else args.multi
    repeats = args.repeats or (1 if args.quick else 3)
    rng = np.random.default_rng(0)
    n, k = 10_000, 512
    speakers = np.repeat(np.arange(n // 10), 10)
    rates = rng.beta(0.5, 0.5, size=(n // 10, k))
    bits = (rng.random((n, k)) < rates[speakers]).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, speakers)
    ids = [f"spk{s}/rec{i}" for i, s in enumerate(speakers)]
    work = args.workdir / "score_test_io"
    work.mkdir(parents=True, exist_ok=True)
    single = work / "single.tsv"
    # Distinct pairs, never a recording with itself (balr score test refuses both).
    codes = np.unique(rng.integers(0, n * n, int(trials_n * 1.02) + 16))
    codes = rng.permutation(codes[codes // n != codes % n])[:trials_n]
    e, t = codes // n, codes % n
    write_trials(single, [ids[i] for i in e], [ids[i] for i in t])
    multi = work / "multi.tsv"
    picks = [rng.choice(n, 5, False) for _ in range(multi_n)]  # 3 + 2 distinct recordings
    groups = [
        (",".join(ids[i] for i in pick[:3]), ",".join(ids[i] for i in pick[3:])) for pick in picks
    ]
    write_trials(multi, [g[0] for g in groups], [g[1] for g in groups])

    print(*_common.machine_lines(), sep="\n")
    print(f"{n:,} recordings x {k} attributes; best of {repeats}")
    read_s, comparisons = best(repeats, lambda: read_comparisons(single, ids, speakers))
    score_s, llrs = best(repeats, lambda: score_comparisons(scorer, bits, comparisons))
    write_s, _ = best(repeats, lambda: write_scores(work / "scores.tsv", comparisons, llrs))
    head_n = min(10_000, trials_n)
    head = Comparisons(
        comparisons.enrollment[:head_n],
        comparisons.test[:head_n],
        comparisons.enroll_rows[:head_n],
        comparisons.test_rows[:head_n],
    )
    explain_s, _ = best(
        repeats, lambda: write_explanations(work / "explain.tsv", scorer, bits, head, 5)
    )
    print(f"\n1+1, {trials_n:,} comparisons:")
    for name, seconds, count in (
        ("read_comparisons", read_s, trials_n),
        ("score_comparisons", score_s, trials_n),
        ("write_scores", write_s, trials_n),
        ("write_explanations (top 5)", explain_s, head_n),
    ):
        print(f"  {name:28s} {seconds:7.2f} s  {count / seconds:12,.0f} comparisons/s")
    total = read_s + score_s + write_s
    print(f"  {'read + score + write':28s} {total:7.2f} s  {trials_n / total:12,.0f} comparisons/s")
    read_m, multi_c = best(repeats, lambda: read_comparisons(multi, ids, speakers))
    score_m, _ = best(repeats, lambda: score_comparisons(scorer, bits, multi_c))
    print(f"\n3 vs 2 recordings, {multi_n:,} comparisons:")
    print(f"  {'read_comparisons':28s} {read_m:7.2f} s  {multi_n / read_m:12,.0f} comparisons/s")
    print(f"  {'score_comparisons':28s} {score_m:7.2f} s  {multi_n / score_m:12,.0f} comparisons/s")


if __name__ == "__main__":
    main()
