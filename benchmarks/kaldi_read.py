"""Kaldi/WeSpeaker embeddings: 1M x 256 vectors from .ark/.scp vs one .npy file per utterance.

Generated once in ``WORKDIR/kaldi-...`` (float32, Kaldi's binary vector records):

- ``fixed.ark``: keys of one length (VoxCeleb ids such as ``id00012-21Uxsk56VDQ-00001``);
- ``varied.ark``: keys of different lengths (the records are then not one strided view);
- ``xvector.scp`` over ``xvector_00.ark`` ... ``xvector_07.ark`` (WeSpeaker writes one ark
  per job), lines in shuffled order, plus ``utt2spk``.

Measured in this process, best of `--repeats` (the file cache emptied between runs, files warm
in the OS page cache):

- reader: `balr.data.kaldi.read_kaldi_vectors` (ids + float32 matrix);
- dataset: `AudioDataset.from_path` with utt2spk, then `load_embedding_table` (what `balr
  train` does before its first epoch);
- per-file .npy: the same two calls on a CSV + one ``.npy`` per utterance (``--npy-files``,
  20,000 by default: writing 1M small files takes long and needs 1M inodes), extrapolated
  to 1M at the measured per-file rate (said so in the output).

Usage::

    python benchmarks/kaldi_read.py [--quick] [--vectors N] [--npy-files N] [--workdir DIR]
"""

from __future__ import annotations

import time
from pathlib import Path

import _common
import numpy as np

DIM = 256
ARKS = 8


def keys(count: int, varied: bool) -> list[str]:
    """VoxCeleb-like utterance ids; `varied`: of different lengths."""
    if varied:
        return [f"spk{i % 5000}-{'x' * (i % 7)}utt{i}" for i in range(count)]
    return [f"id{i % 5000:05d}-{i:011d}-{i % 100:05d}" for i in range(count)]


def speaker(key: str) -> str:
    return key.split("-", 1)[0]


def generate(folder: Path, count: int) -> None:
    """The arks, scp and utt2spk of `count` vectors (skipped when complete)."""
    from balr.data.kaldi_write import write_ark, write_utt2spk

    done = folder / "complete"
    if done.is_file():
        return
    folder.mkdir(parents=True, exist_ok=True)
    print(f"generating {count:,} x {DIM} vectors in {folder} ...", flush=True)
    matrix = np.random.default_rng(0).standard_normal((count, DIM), dtype=np.float32)
    for name, varied in (("fixed", False), ("varied", True)):
        ids = keys(count, varied)
        write_ark(folder / f"{name}.ark", ids, matrix)
        write_utt2spk(folder / f"{name}.utt2spk", ids, [speaker(k) for k in ids])
    ids = keys(count, True)
    lines: list[str] = []
    for part, rows in enumerate(np.array_split(np.arange(count), ARKS)):
        ark = folder / f"xvector_{part:02d}.ark"
        offsets = write_ark(ark, [ids[r] for r in rows], matrix[rows])
        lines += [f"{ids[r]} {ark.name}:{o}\n" for r, o in zip(rows.tolist(), offsets, strict=True)]
    order = np.random.default_rng(1).permutation(count)
    (folder / "xvector.scp").write_text("".join(lines[i] for i in order))
    write_utt2spk(folder / "utt2spk", ids, [speaker(k) for k in ids])
    done.write_text("ok\n")


def best(repeats: int, run: object) -> float:
    times = []
    for _ in range(repeats):
        _clear_caches()
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return min(times)


def _clear_caches() -> None:
    from balr.data import kaldi, vectors

    kaldi._read_cached.cache_clear()
    vectors._open_matrix.cache_clear()


def read_only(path: Path) -> None:
    from balr.data.kaldi import read_kaldi_vectors

    read_kaldi_vectors(path)


def dataset_table(path: Path, utt2spk: Path | None) -> None:
    from balr.data import AudioDataset, load_embedding_table

    dataset = AudioDataset.from_path(path, utt2spk=utt2spk)
    table = load_embedding_table(dataset, use_cache=False, progress=False)
    assert table.embeddings.shape[1] == DIM


def npy_dataset(workdir: Path, files: int) -> Path:
    from balr.data.synthetic import generate as generate_files

    out = workdir / f"kaldi-npy-{files}x{DIM}"
    if not (out / "complete").is_file():
        print(f"generating {files:,} .npy files in {out} ...", flush=True)
        generate_files(out, max(1, files // 50), files, DIM, "npy", seed=0)
        (out / "complete").write_text("ok\n")
    return out / "data.csv"


def main() -> None:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=None, help="vectors (default 1,000,000)")
    parser.add_argument("--npy-files", type=int, default=None, help="per-file .npy (20,000)")
    args = _common.parse(parser)
    count = args.vectors or (100_000 if args.quick else 1_000_000)
    files = args.npy_files or (5_000 if args.quick else 20_000)
    repeats = args.repeats or (1 if args.quick else 3)
    folder = args.workdir / f"kaldi-{count}x{DIM}"
    generate(folder, count)
    for line in _common.machine_lines():
        print(line)
    rows = [
        (
            "fixed-length keys, one ark: reader",
            best(repeats, lambda: read_only(folder / "fixed.ark")),
        ),
        ("varied keys, one ark: reader", best(repeats, lambda: read_only(folder / "varied.ark"))),
        (
            f"scp over {ARKS} arks, shuffled: reader",
            best(repeats, lambda: read_only(folder / "xvector.scp")),
        ),
        (
            "fixed.ark + utt2spk: dataset + table",
            best(repeats, lambda: dataset_table(folder / "fixed.ark", folder / "fixed.utt2spk")),
        ),
        (
            "xvector.scp + utt2spk: dataset + table",
            best(repeats, lambda: dataset_table(folder / "xvector.scp", None)),
        ),
    ]
    csv = npy_dataset(args.workdir, files)
    npy = best(repeats, lambda: dataset_table(csv, None))
    per_file = npy / files
    size = count * DIM * 4 / 2**30
    print(f"\n{count:,} vectors of {DIM} float32 ({size:.2f} GiB), best of {repeats}:")
    print(f"| {'what':<44} | {'seconds':>8} | {'vectors/s':>11} |")
    for name, seconds in rows:
        print(f"| {name:<44} | {seconds:8.2f} | {count / seconds:11,.0f} |")
    print(
        f"| {f'per-file .npy, {files:,} files: dataset + table':<44} | {npy:8.2f} |"
        f" {files / npy:11,.0f} |"
    )
    print(
        f"\nper-file .npy extrapolated to {count:,} files at the measured rate:"
        f" {per_file * count:,.0f} s (not run at that size)"
    )
    table = min(s for n, s in rows if "dataset" in n)
    print(f"ark/scp dataset + table vs per-file .npy: {per_file * count / table:,.0f}x faster")


if __name__ == "__main__":
    main()
