"""Recording conditions: what simulating a condition costs next to embedding the audio.

Two measurements on the shared LibriSpeech audio (val: 31 files, 6.0 min; --minutes
repeats it through links):

- in process, one thread: seconds of audio per CPU second of each preset's `apply`
  (the condition alone), of GE2E's `prepare` + `embed` (the embedding alone), and the
  condition's cost as a share of the embedding's;
- end to end: `balr extract DIR condition=NAME` (a fresh process, one worker) for clean
  and the presets given, with the real-time factor per CPU second its summary reports.

    python3 benchmarks/conditions_speed.py             # every preset; extract clean, phone
    python3 benchmarks/conditions_speed.py --quick     # phone and mp3_32k only
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import numpy as np
from _common import common_parser, machine_lines, parse
from extract_speed import SHARED, build_folder, run_extract

PRESETS = ("phone", "voip", "mp3_32k", "noise_snr10", "reverb", "short_5s", "phone_noisy")


def condition(name: str, folder: Path) -> object:
    """The preset `name` as balr extract builds it (drawing babble from `folder`'s audio)."""
    from balr.cli.conditions import condition_of
    from balr.cli.overrides import compose_checked
    from balr.cli.paths import conf_dir
    from balr.conditions import Source

    cfg = compose_checked(
        "extract", [f"input.path={folder}", f"condition={name}"], conf_dir(), False
    )
    built = condition_of(cfg[0])
    sources = [Source(p.name, p, p.name.split("-")[0]) for p in sorted(folder.glob("*.flac"))]
    return built.with_sources(sources)


def cpu_rate(work: list[np.ndarray], run: object) -> tuple[float, float]:
    """(seconds of audio per CPU second, CPU seconds) of `run(wav, n)` over `work`."""
    audio = sum(len(w) for w in work) / 16000
    started = time.process_time()
    for n, wav in enumerate(work):
        run(wav, n)  # type: ignore[operator]
    spent = time.process_time() - started
    return audio / spent, spent


def in_process(names: tuple[str, ...], folder: Path) -> None:
    import torch

    from balr.extract import GE2EEncoder, read_audio

    torch.set_num_threads(1)
    work = [read_audio(p) for p in sorted(folder.glob("*.flac"))]
    encoder = GE2EEncoder()
    embed_rate, embed_cpu = cpu_rate(work, lambda w, n: encoder.embed([encoder.prepare(w)]))
    print("\n| step | x real time per CPU s | cost / GE2E's embedding |")
    print("|---|---:|---:|")
    print(f"| GE2E prepare + embed | {embed_rate:.0f} | 1.00 |")
    for name in names:
        chain = condition(name, folder)

        def run(wav: np.ndarray, n: int, chain: object = chain) -> None:
            # A duration longer than the recording fails; its cost still counts.
            with contextlib.suppress(Exception):
                chain.apply(wav, 16000, f"rec{n}", f"spk{n}")  # type: ignore[attr-defined]

        # Imports (scipy.signal: ~0.7 CPU s) and caches are paid once per worker, not per
        # second of audio: one untimed call first, as the encoder is built before timing.
        run(work[0][:16000], len(work))
        rate, spent = cpu_rate(work, run)
        print(f"| {name} | {rate:.0f} | {spent / embed_cpu:.2f} |", flush=True)


def end_to_end(names: tuple[str, ...], folder: Path, workdir: Path) -> None:
    print("\n| balr extract | files | wall s | run s | x real time per CPU s |")
    print("|---|---:|---:|---:|---:|")
    for name in ("clean", *names):
        wall, run, files, per_cpu = run_extract(
            folder, workdir / "cond-out", 1, [f"condition={name}"]
        )
        print(f"| condition={name} | {files} | {wall:.1f} | {run:.1f} | {per_cpu} |", flush=True)


def main() -> None:
    parser = common_parser(__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=None, help="audio (default: 6 min)")
    args = parse(parser)
    args.workdir.mkdir(parents=True, exist_ok=True)
    folder = args.workdir / "conditions-audio"
    if args.minutes:
        build_folder(folder, args.minutes)
    else:
        folder.mkdir(parents=True, exist_ok=True)
        for path in sorted((SHARED / "data" / "librispeech-audio" / "val").glob("*.flac")):
            link = folder / path.name
            if not link.exists():
                link.symlink_to(path)
    print(*machine_lines(), sep="\n")
    quick = ("phone", "mp3_32k")
    in_process(quick if args.quick else PRESETS, folder)
    end_to_end(("phone",), folder, args.workdir)


if __name__ == "__main__":
    main()
