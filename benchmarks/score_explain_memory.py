"""Memory of explain.tsv (`balr score test --explain 3`): flat in the number of comparisons.

A synthetic set of 10,000 recordings (1,000 speakers x 10, 512 attributes) and a beta scorer
fitted on it; then, each size in its own process (so one size's freed memory cannot hide
the next one's), `write_explanations` writes the top-3 explanation of N one-recording
comparisons (distinct pairs, never a recording with itself). Measured: the peak resident
memory during the call above the resident memory before it (VmHWM reset by clear_refs),
the time and the size of explain.tsv.

Target: ten times more comparisons cost at most 1.5x the memory (explain.tsv is streamed
chunk by chunk, so its rows are never all held).

Usage::

    python benchmarks/score_explain_memory.py [--quick] [--sizes N N ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _common
import numpy as np

RECORDINGS, ATTRIBUTES, TOP = 10_000, 512, 3


def options() -> Any:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="comparisons per run")
    parser.add_argument("--one", type=int, help=argparse_hidden())
    return _common.parse(parser)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def distinct_pairs(n: int, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`count` distinct pairs (e, t) of rows below `n` with e != t."""
    codes = np.unique(rng.integers(0, n * n, int(count * 1.1) + 16))
    e, t = codes // n, codes % n
    keep = e != t
    e, t = e[keep], t[keep]
    order = rng.permutation(len(e))[:count]
    return e[order], t[order]


def one(count: int, workdir: Path) -> dict[str, float]:
    """Measure one size in this process; the result as a dict."""
    from balr.scoring import BetaScorer
    from balr.scoring.explain_file import write_explanations
    from balr.scoring.trials import Comparisons

    rng = np.random.default_rng(0)
    speakers = np.repeat(np.arange(RECORDINGS // 10), 10)
    rates = rng.beta(0.5, 0.5, size=(RECORDINGS // 10, ATTRIBUTES))
    bits = (rng.random((RECORDINGS, ATTRIBUTES)) < rates[speakers]).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, speakers)
    ids = np.asarray([f"spk{s}/rec{i}" for i, s in enumerate(speakers)], dtype=object)
    e, t = distinct_pairs(RECORDINGS, count, rng)
    comparisons = Comparisons(ids[e].tolist(), ids[t].tolist(), e[:, None], t[:, None])
    out = workdir / f"explain_{count}.tsv"
    if not _common.reset_peak_rss():
        raise SystemExit("cannot reset the peak RSS (/proc/self/clear_refs): Linux only")
    before = _common.proc_status_kib("VmRSS")
    started = time.perf_counter()
    write_explanations(out, scorer, bits, comparisons, TOP)
    seconds = time.perf_counter() - started
    peak = _common.proc_status_kib("VmHWM")
    size = out.stat().st_size
    out.unlink()
    return {
        "count": count,
        "extra_mib": (peak - before) / 1024,
        "seconds": seconds,
        "mb": size / 1e6,
    }


def main() -> None:
    args = options()
    workdir = args.workdir / "score_explain_memory"
    workdir.mkdir(parents=True, exist_ok=True)
    if args.one is not None:
        print(json.dumps(one(args.one, workdir)))
        return
    sizes = args.sizes or ([20_000, 200_000] if args.quick else [100_000, 1_000_000])
    print(*_common.machine_lines(), sep="\n")
    results = []
    for count in sizes:
        command = [sys.executable, __file__, "--one", str(count), "--workdir", str(args.workdir)]
        line = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        results.append(json.loads(line.strip().splitlines()[-1]))
    rows = [
        [f"{r['count']:,}", f"{r['extra_mib']:.0f}", f"{r['seconds']:.1f}", f"{r['mb']:.0f}"]
        for r in results
    ]
    ratio = results[-1]["extra_mib"] / max(results[0]["extra_mib"], 1.0)
    growth = results[-1]["count"] / results[0]["count"]
    notes = [
        f"{RECORDINGS:,} recordings x {ATTRIBUTES} attributes, beta scorer, top {TOP}",
        f"memory ratio for {growth:.0f}x the comparisons: {_common.fmt_ratio(ratio)}"
        f" (target <= 1.5x: {_common.verdict(ratio <= 1.5)})",
    ]
    columns = ["comparisons", "peak extra MiB", "seconds", "explain.tsv MB"]
    _common.print_table("write_explanations memory", columns, rows, notes)


if __name__ == "__main__":
    main()
