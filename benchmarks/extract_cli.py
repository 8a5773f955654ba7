"""`balr extract` end to end: files/s and real-time factor of the command on 1 and 2 workers.

Runs the real command (a fresh process, as a user would) on a folder of the shared
LibriSpeech and VoxCeleb audio repeated through symbolic links to the requested
duration, with vectors written under a fresh --save-dir each time. Reported:

- wall: the whole command (Python start, dataset scan, model load, worker start-up,
  extraction, CSV), and files/s and real-time factor (audio seconds per wall second)
  over that time;
- run: the extraction as the command's summary line reports it (from the dataset scan
  to the CSV, without the Python start-up);
- per CPU s: seconds of audio per CPU second spent by the processes that decode and embed
  (the command reports it too): the real-time factor per core, which other jobs on a
  shared machine do not change much, unlike the wall-clock figures.

    python3 benchmarks/extract_cli.py              # 60 min of audio, ~1 min per case
    python3 benchmarks/extract_cli.py --quick      # 5 min
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _common import common_parser, machine_lines, parse

SHARED = Path(__file__).resolve().parents[2] / "shared"
_SUMMARY = re.compile(
    r"extracted (\d+) of \d+ recordings .* in ([\d.]+)s .*, (\d+)x per CPU second"
)


def build_folder(workdir: Path, minutes: float) -> tuple[Path, int, float]:
    """workdir/extract-audio/copyK/<name> links to the shared audio, >= `minutes` in all."""
    import soundfile as sf

    sources = sorted(
        p for p in (SHARED / "data").glob("*-audio/**/*") if p.suffix in (".wav", ".flac")
    )
    if not sources:
        raise SystemExit(f"no audio under {SHARED / 'data'}/*-audio")
    lengths = [sf.info(str(p)).duration for p in sources]
    folder = workdir / "extract-audio"
    shutil.rmtree(folder, ignore_errors=True)
    total, count, copy = 0.0, 0, 0
    while total < minutes * 60:
        for source, length in zip(sources, lengths, strict=True):
            target = folder / f"copy{copy}" / f"{source.parent.name}-{source.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(source)
            total, count = total + length, count + 1
            if total >= minutes * 60:
                break
        copy += 1
    return folder, count, total


def run_extract(folder: Path, out: Path, workers: int) -> tuple[float, float, int, int]:
    """(wall s, the summary's s, files extracted, x real time per CPU s) of one `balr extract`."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "balr", "extract", str(folder), "--save-dir", str(out)]
    command += ["--workers", str(workers)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    match = _SUMMARY.search(done.stderr)
    if done.returncode != 0 or match is None:
        raise SystemExit(f"balr extract failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, float(match[2]), int(match[1]), int(match[3])


def main() -> None:
    parser = common_parser(__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=None, help="audio to extract")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="cases")
    args = parse(parser)
    minutes = args.minutes or (5.0 if args.quick else 60.0)
    folder, count, seconds = build_folder(args.workdir, minutes)
    print(*machine_lines(), sep="\n")
    print(f"input: {count} files, {seconds / 60:.1f} min of audio ({folder})\n")
    print(
        "| workers | wall s | files/s | x real time | run s | run files/s | run x real time"
        " | x real time per CPU s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for workers in args.workers:
        best: tuple[float, float, int, int] | None = None
        for _ in range(args.repeats or 1):
            result = run_extract(folder, args.workdir / "extract-out", workers)
            best = result if best is None or result[0] < best[0] else best
        assert best is not None
        wall, run, files, per_cpu = best
        print(
            f"| {workers} | {wall:.1f} | {files / wall:.1f} | {seconds / wall:.0f} | {run:.1f}"
            f" | {files / run:.1f} | {seconds / run:.0f} | {per_cpu} |"
        )


if __name__ == "__main__":
    main()
