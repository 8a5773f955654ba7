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

The OS page cache is warm (the files were just written or read): this measures balr's
per-file cost, not the disk. Best of `--repeats` runs. Nothing asserts on time.

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


def naive_rate(csv: Path, fmt: str, count: int) -> float:
    """Files/s of a plain per-file loop (np.loadtxt or np.load) over the first `count` files."""
    import numpy as np
    import polars as pl

    paths = [str(csv.parent / p) for p in pl.read_csv(csv)["embedding"].head(count).to_list()]
    reader = np.loadtxt if fmt == "txt" else np.load
    started = time.perf_counter()
    rows = [np.asarray(reader(p), dtype=np.float32) for p in paths]
    np.stack(rows)
    return len(paths) / (time.perf_counter() - started)


def measure(csv: Path, fmt: str, args: argparse.Namespace, repeats: int) -> dict[str, Any]:
    """All timings of one format."""
    from balr.data import AudioDataset, load_embedding_table
    from balr.data.reader import default_workers

    out: dict[str, Any] = {}
    out["csv_s"], dataset = _common.best_time(lambda: AudioDataset.from_path(csv), repeats)
    files = len(dataset)
    out["files"] = files
    out["naive_files"] = min(files, args.naive_files)
    out["naive_rate"] = max(naive_rate(csv, fmt, out["naive_files"]) for _ in range(repeats))
    out["workers"] = args.workers or default_workers()
    for key, workers in (("one", 1), ("many", out["workers"])):

        def uncached(workers: int = workers) -> Any:
            return load_embedding_table(
                dataset, use_cache=False, num_workers=workers, progress=False
            )

        out[f"uncached_{key}_s"], _ = _common.best_time(uncached, repeats)
    cache_dir = Path(tempfile.mkdtemp(prefix="balr-bench-cache-"))
    try:

        def load() -> Any:
            return load_embedding_table(
                dataset, cache_dir=cache_dir, num_workers=args.workers, progress=False
            )

        out["first_cached_s"], _ = _common.best_time(load, 1)
        out["reload_s"], _ = _common.best_time(load, repeats)

        def reload_with_csv() -> Any:
            return load_embedding_table(
                AudioDataset.from_path(csv), cache_dir=cache_dir, progress=False
            )

        out["reload_csv_s"], table = _common.best_time(reload_with_csv, repeats)
        out["table_rows"] = len(table)
    finally:
        shutil.rmtree(cache_dir, ignore_errors=True)
    return out


def report(results: dict[str, dict[str, Any]], generated: dict[str, float]) -> None:
    """One table: seconds and files/s per step and format."""
    rows = []
    for fmt, r in results.items():
        steps = [
            (
                f"naive per-file loop ({r['naive_files']:,} files)",
                r["naive_files"] / r["naive_rate"],
            ),
            ("balr uncached, 1 thread", r["uncached_one_s"]),
            (f"balr uncached, {r['workers']} threads", r["uncached_many_s"]),
            ("balr first load, writes the cache", r["first_cached_s"]),
            ("balr cached reload (stat + mmap)", r["reload_s"]),
            ("balr cached reload incl. CSV", r["reload_csv_s"]),
        ]
        rows.append(
            [f".{fmt}", "CSV -> AudioDataset (no vector read)", f"{r['csv_s']:.2f}", "", ""]
        )
        for i, (what, seconds) in enumerate(steps):
            rate = (r["naive_files"] if i == 0 else r["files"]) / seconds
            ratio = _common.fmt_ratio(rate / r["naive_rate"])
            rows.append([f".{fmt}", what, f"{seconds:.2f}", _common.fmt_rate(rate), ratio])
    first = next(iter(results.values()))
    notes = [
        *_common.machine_lines(),
        f"{first['files']:,} files per format, 256 float32 each; OS page cache warm; best of"
        " the repeats; ratio: files/s over the naive loop",
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
