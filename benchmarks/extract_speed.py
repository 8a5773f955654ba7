"""Extraction speed: real-time factor of GE2E and of an ONNX ResNet34 on 1 and 2 processes.

Each worker process runs one compute thread and embeds its share of the files
(round-robin), reading, preprocessing and embedding them in groups of files so
that windows of several files share each forward pass. The clock starts when
every worker has loaded its model and stops when the last one finishes; the
real-time factor is seconds of audio per second of wall time; "per CPU second"
divides the audio by the CPU time the workers used, which stays meaningful when
other jobs share the cores.

    python3 benchmarks/extract_speed.py            # 10 min of audio for GE2E, 2 for ONNX
    python3 benchmarks/extract_speed.py --quick    # 2 and 0.5 min

The audio is ../shared/data/*-audio (beside the repository), repeated to reach
the requested duration. The ONNX model is a ResNet34 of WeSpeaker's shape
(32-64-128-256 channels, 3-4-6-3 basic blocks, statistics pooling, 256-dim
output, ~6.6 M parameters) with random weights, exported at run time.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from _common import common_parser, machine_lines, parse

SHARED = Path(__file__).resolve().parents[2] / "shared"
GROUP_FILES = 16  # files whose windows share the encoder's forward passes


def audio_files(shared: Path, minutes: float) -> tuple[list[Path], float]:
    """The shared audio files repeated to reach `minutes`, and their total seconds."""
    from balr.extract import audio_seconds

    files = sorted(
        p for p in (shared / "data").glob("*-audio/**/*") if p.suffix in (".wav", ".flac")
    )
    if not files:
        raise SystemExit(f"no audio under {shared / 'data'}/*-audio: pass --shared")
    seconds = [audio_seconds(p) for p in files]
    chosen: list[Path] = []
    total = 0.0
    while total < minutes * 60:
        for path, length in zip(files, seconds, strict=True):
            chosen.append(path)
            total += length
            if total >= minutes * 60:
                break
    return chosen, total


def worker(spec: tuple[str, str], files: list[Path], barrier: Any, results: Any) -> None:
    """Build the encoder, wait for the others, then embed `files` (one thread)."""
    import torch

    from balr.extract import AudioError, GE2EEncoder, OnnxEncoder, read_audio

    torch.set_num_threads(1)
    kind, path = spec
    encoder = GE2EEncoder() if kind == "ge2e" else OnnxEncoder(path, threads=1)
    barrier.wait()
    start, cpu = time.perf_counter(), time.process_time()
    done = 0
    for i in range(0, len(files), GROUP_FILES):
        wavs = []
        for f in files[i : i + GROUP_FILES]:
            try:
                wavs.append(encoder.prepare(read_audio(f)))
            except AudioError:
                continue
        done += len(encoder.embed(wavs))
    results.put((done, time.perf_counter() - start, time.process_time() - cpu))


def measure(spec: tuple[str, str], files: list[Path], workers: int) -> tuple[float, float]:
    """Wall seconds for `workers` processes to embed `files` from a common start, and their
    total CPU seconds (which other jobs on the machine do not inflate)."""
    context = mp.get_context("spawn")
    barrier = context.Barrier(workers + 1)
    results = context.Queue()
    shares = [files[k::workers] for k in range(workers)]
    procs = [context.Process(target=worker, args=(spec, s, barrier, results)) for s in shares]
    for p in procs:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    cpu = sum(results.get()[2] for _ in procs)
    wall = time.perf_counter() - start
    for p in procs:
        p.join()
    return wall, cpu


def resnet34_onnx(path: Path) -> int:
    """Export a WeSpeaker-shaped ResNet34 (random weights) to `path`; its parameter count."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, inp: int, out: int, stride: int) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(inp, out, 3, stride, 1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(),
                nn.Conv2d(out, out, 3, 1, 1, bias=False),
                nn.BatchNorm2d(out),
            )
            self.skip = (
                nn.Sequential(nn.Conv2d(inp, out, 1, stride, bias=False), nn.BatchNorm2d(out))
                if stride != 1 or inp != out
                else nn.Identity()
            )

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.body(x) + self.skip(x))

    class ResNet34(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            layers: list[nn.Module] = [nn.Conv2d(1, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32)]
            layers.append(nn.ReLU())
            inp = 32
            for out, blocks, stride in ((32, 3, 1), (64, 4, 2), (128, 6, 2), (256, 3, 2)):
                for b in range(blocks):
                    layers.append(Block(inp, out, stride if b == 0 else 1))
                    inp = out
            self.trunk = nn.Sequential(*layers)
            self.embed = nn.Linear(256 * 10 * 2, 256)

        def forward(self, feats: torch.Tensor) -> torch.Tensor:
            x = self.trunk(feats.transpose(1, 2).unsqueeze(1))  # (B, 256, 10, T/8)
            x = x.flatten(1, 2)
            return self.embed(torch.cat([x.mean(-1), x.std(-1)], dim=1))

    model = ResNet34().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.randn(1, 200, 80),),
            str(path),
            input_names=["feats"],
            output_names=["embs"],
            dynamic_axes={"feats": {0: "batch", 1: "frames"}, "embs": {0: "batch"}},
            dynamo=False,
        )
    return sum(p.numel() for p in model.parameters())


def row(name: str, workers: int, seconds: float, times: tuple[float, float]) -> str:
    wall, cpu = times
    rtf = seconds / wall
    cells = [name, str(workers), f"{seconds / 60:.1f}", f"{wall:.1f}", f"{rtf:.0f}x"]
    return "| " + " | ".join([*cells, f"{rtf / workers:.0f}x", f"{seconds / cpu:.0f}x"]) + " |"


def main() -> None:
    parser = common_parser(__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared folder")
    parser.add_argument("--minutes", type=float, default=10.0, help="audio for GE2E")
    parser.add_argument("--onnx-minutes", type=float, default=2.0, help="audio for ONNX")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", type=Path, help="also write the table (markdown) here")
    args = parse(parser)
    if args.quick:
        args.minutes, args.onnx_minutes = 2.0, 0.5
    if args.threads not in (None, 1):
        print("note: extract_speed.py always runs one thread per worker process")
    repeats = args.repeats or 1
    # Worker processes start OpenMP with one thread (spinning threads stall shared cores).
    os.environ["OMP_NUM_THREADS"] = "1"

    def best(spec: tuple[str, str], files: list[Path], n: int) -> tuple[float, float]:
        return min(measure(spec, files, n) for _ in range(repeats))

    lines = [
        "| encoder | workers | audio (min) | wall (s) | real time | per worker | per CPU second |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    files, seconds = audio_files(args.shared, args.minutes)
    for n in args.workers:
        lines.append(row("ge2e", n, seconds, best(("ge2e", ""), files, n)))
        print(lines[-1], flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "resnet34.onnx"
        params = resnet34_onnx(model)
        files, seconds = audio_files(args.shared, args.onnx_minutes)
        for n in args.workers:
            name = f"onnx ResNet34 ({params / 1e6:.1f} M params)"
            lines.append(row(name, n, seconds, best(("onnx", str(model)), files, n)))
            print(lines[-1], flush=True)
    footer = "\n" + "\n".join(machine_lines())
    print("\n".join(lines) + footer)
    if args.out:
        args.out.write_text("\n".join(lines) + footer + "\n")


if __name__ == "__main__":
    main()
