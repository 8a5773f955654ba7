"""Per-file loading: 100,000 vector files (+ CSV) into balr's embedding table, and the cache.

For each format (.txt by default, and .npy), a synthetic dataset of one file per utterance
plus ``data.csv`` is generated once in ``WORKDIR/files-...`` by balr's generator, then, in
this process:

- CSV: `AudioDataset.from_path` on the CSV (parsing and item dicts, no vector read);
- naive: a plain loop of ``np.loadtxt`` / ``np.load`` over the files (on a subset), the
  reference per-file reader;
- balr, uncached: `load_embedding_table(use_cache=False)` with 1 reader thread and with
  the default count;
- balr, first load with cache: reads every file and writes the cache (a fresh cache dir);
- balr, cached reload: `load_embedding_table` again (validates every file's size and
  mtime, then memory-maps the cached matrix), alone and with the CSV parse.

The reads run warm (files in the OS page cache: balr's own per-file cost) and cold (the
files' pages dropped from the page cache first with posix_fadvise, which touches nothing
but these files: the cost of a first run). Best of `--repeats` runs. Nothing asserts on
time.

Usage::

    python benchmarks/file_loading.py [--quick] [--files N] [--formats txt,npy] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import _common


def dataset_csv(workdir: Path, files: int, dim: int, fmt: str) -> tuple[Path, float]:
    """The per-file synthetic dataset's CSV (generated when missing) and seconds spent."""
    from balr.data.synthetic import generate

    out = workdir / f"files-{fmt}-{files}x{dim}"
    csv = out / "data.csv"
    done = out / "complete"  # written last: a half-generated folder is generated again
    if done.is_file():
        return csv, 0.0
    print(f"generating {files:,} .{fmt} files in {out} ...", flush=True)
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    generate(out, max(1, files // 50), files, dim, fmt, seed=0)
    done.write_text("ok\n")
    return csv, time.perf_counter() - started


def evict(paths: list[str]) -> None:
    """Drop these files' pages from the OS page cache (posix_fadvise DONTNEED): a cold read.

    Only the benchmark's own files are touched; directory entries and inodes stay cached.
    """
    import os

    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def naive_seconds(paths: list[str], fmt: str, cold: bool) -> float:
    """Seconds of a plain per-file loop (np.loadtxt or np.load) over `paths`."""
    import numpy as np

    if cold:
        evict(paths)
    reader = np.loadtxt if fmt == "txt" else np.load
    started = time.perf_counter()
    np.stack([np.asarray(reader(p), dtype=np.float32) for p in paths])
    return time.perf_counter() - started


def measure(csv: Path, fmt: str, args: argparse.Namespace, repeats: int) -> dict[str, Any]:
    """All timings of one format: {step name: (seconds, files)} plus a few facts."""
    from balr.data import AudioDataset, load_embedding_table
    from balr.data.reader import default_workers

    csv_s, dataset = _common.best_time(lambda: AudioDataset.from_path(csv), repeats)
    paths = [str(item["embedding"]) for _, item in dataset.iter_dicts()]
    files, subset = len(paths), paths[: args.naive_files]
    workers = args.workers or default_workers()
    steps: dict[str, tuple[float, int]] = {}
    for cold in (False, True):
        state = "cold" if cold else "warm"
        naive = min(naive_seconds(subset, fmt, cold) for _ in range(repeats))
        steps[f"naive per-file loop, {state} ({len(subset):,} files)"] = (naive, len(subset))
        for count in (1, workers):

            def uncached(count: int = count, cold: bool = cold) -> Any:
                if cold:
                    evict(paths)
                started = time.perf_counter()
                load_embedding_table(dataset, use_cache=False, num_workers=count, progress=False)
                return time.perf_counter() - started

            seconds = min(uncached() for _ in range(repeats))
            steps[f"balr uncached, {state}, {count} thread{'s' * (count > 1)}"] = (seconds, files)
    cache_dir = Path(tempfile.mkdtemp(prefix="balr-bench-cache-"))
    try:
        evict(paths)

        def load() -> Any:
            return load_embedding_table(
                dataset, cache_dir=cache_dir, num_workers=workers, progress=False
            )

        steps[f"balr first load, cold, {workers} threads, writes the cache"] = (
            _common.best_time(load, 1)[0],
            files,
        )
        steps["balr cached reload (stat + mmap)"] = (_common.best_time(load, repeats)[0], files)

        def reload_with_csv() -> Any:
            return load_embedding_table(
                AudioDataset.from_path(csv), cache_dir=cache_dir, progress=False
            )

        steps["balr cached reload incl. CSV"] = (
            _common.best_time(reload_with_csv, repeats)[0],
            files,
        )
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    return {"csv_s": csv_s, "files": files, "steps": steps}


def report(results: dict[str, dict[str, Any]], generated: dict[str, float]) -> None:
    """One table: seconds and files/s per step and format, ratio to the naive loop."""
    rows = []
    for fmt, r in results.items():
        rows.append(
            [f".{fmt}", "CSV -> AudioDataset (no vector read)", f"{r['csv_s']:.2f}", "", ""]
        )
        naive = {}
        for what, (seconds, files) in r["steps"].items():
            rate = files / seconds
            state = "cold" if ", cold" in what else "warm"
            if what.startswith("naive"):
                naive[state] = rate
            ratio = _common.fmt_ratio(rate / naive[state])
            rows.append([f".{fmt}", what, f"{seconds:.2f}", _common.fmt_rate(rate), ratio])
    first = next(iter(results.values()))
    notes = [
        *_common.machine_lines(),
        f"{first['files']:,} files per format, 256 float32 each; best of the repeats; warm: files"
        " in the OS page cache; cold: their pages dropped first (posix_fadvise DONTNEED)",
        "ratio: files/s over the naive loop in the same (warm or cold) state",
        "generation: "
        + ", ".join(f".{f} {s:.1f} s" if s else f".{f} reused" for f, s in generated.items()),
    ]
    _common.print_table(
        "Per-file loading", ["format", "what", "seconds", "files/s", "vs naive"], rows, notes
    )


def main() -> None:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=None, help="default 100,000 (10,000 quick)")
    parser.add_argument("--formats", default="txt,npy", help="comma-separated: txt, npy, pkl")
    parser.add_argument("--dim", type=int, default=256, help="embedding dimension")
    parser.add_argument("--workers", type=int, default=None, help="reader threads (balr default)")
    parser.add_argument(
        "--naive-files", type=int, default=20_000, help="files read by the naive loop"
    )
    args = _common.parse(parser)
    files = args.files or (10_000 if args.quick else 100_000)
    repeats = args.repeats or 2
    _common.set_threads(args.threads)
    args.workdir.mkdir(parents=True, exist_ok=True)
    results, generated = {}, {}
    for fmt in [f.strip().lstrip(".") for f in args.formats.split(",") if f.strip()]:
        csv, generated[fmt] = dataset_csv(args.workdir, files, args.dim, fmt)
        results[fmt] = measure(csv, fmt, args, repeats)
    report(results, generated)


if __name__ == "__main__":
    main()
