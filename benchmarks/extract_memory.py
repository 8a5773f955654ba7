"""Extraction memory: peak RSS of `balr extract` on one long recording, against a short one.

Builds one 16 kHz 16-bit FLAC of the requested length from the shared LibriSpeech audio
(the files one after the other, repeated), then runs the real command (a fresh process,
GE2E, one worker) on it and on one short recording. Reported: each run's peak RSS (the
kernel's maxrss of that process), the long run's peak above the short run's (what the
recording itself costs), and that excess as a multiple of the recording's float32 samples
(4 bytes x 16,000 per second). The whole file is decoded at once, so the floor is ~1x;
the silence trimming's kept copy of the speech adds up to ~1x more.

    python3 benchmarks/extract_memory.py              # a 120 min recording
    python3 benchmarks/extract_memory.py --quick      # 20 min
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from _common import common_parser, machine_lines, parse

SHARED = Path(__file__).resolve().parents[2] / "shared"
RATE = 16000


def long_recording(path: Path, minutes: float) -> float:
    """Write `path` (FLAC, 16 kHz) of `minutes` of speech unless it exists; its seconds."""
    import numpy as np
    import soundfile as sf

    if path.is_file() and abs(sf.info(str(path)).duration - minutes * 60) < 1:
        return float(sf.info(str(path)).duration)
    sources = sorted((SHARED / "data" / "librispeech-audio").glob("*/*.flac"))
    if not sources:
        raise SystemExit(f"no audio under {SHARED / 'data' / 'librispeech-audio'}")
    speech = np.concatenate([sf.read(str(p), dtype="int16")[0] for p in sources])
    samples = int(minutes * 60 * RATE)
    whole = np.tile(speech, -(-samples // len(speech)))[:samples]
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), whole, RATE, subtype="PCM_16")
    return samples / RATE


def peak_rss_mib(audio: Path, out: Path) -> tuple[float, float]:
    """(peak RSS in MiB, wall s) of one `balr extract` of `audio`."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "balr", "extract", str(audio), "--save-dir", str(out)]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"balr extract failed ({process.returncode}):\n{err[-2000:]}")
    return usage.ru_maxrss / 1024, time.perf_counter() - started


def main() -> None:
    parser = common_parser(__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=None, help="length of the recording")
    args = parse(parser)
    minutes = args.minutes or (20.0 if args.quick else 120.0)
    work = args.workdir / "extract-memory"
    # Written by a child process: a child's maxrss starts at its parent's RSS when it forks.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        seconds = pool.submit(long_recording, work / f"long-{minutes:g}min.flac", minutes).result()
    short = sorted((SHARED / "data" / "librispeech-audio").glob("*/*.flac"))[0]
    base, _ = peak_rss_mib(short, work / "out-short")
    peak, wall = peak_rss_mib(work / f"long-{minutes:g}min.flac", work / "out-long")
    samples_mib = seconds * RATE * 4 / 2**20
    print(*machine_lines(), sep="\n")
    print("\n| recording | float32 samples MiB | peak RSS MiB | above a short file MiB | x samples"
          " | wall s |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| {short.name} | | {base:.0f} | | | |")
    print(
        f"| {minutes:g} min | {samples_mib:.0f} | {peak:.0f} | {peak - base:.0f}"
        f" | {(peak - base) / samples_mib:.2f} | {wall:.0f} |"
    )


if __name__ == "__main__":
    main()
