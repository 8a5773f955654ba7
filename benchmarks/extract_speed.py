"""Extraction speed: `balr extract` end to end, GE2E and an ONNX ResNet34, on 1 and 2 workers.

Runs the real command (a fresh process, as a user would) on a folder of the shared
LibriSpeech and VoxCeleb audio repeated through symbolic links to the requested duration,
with vectors written under a fresh --save-dir each time. Reported per case:

- wall: the whole command (Python start, dataset scan, model load, worker start-up,
  extraction, CSV): files/s and real-time factor (audio seconds per wall second);
- run: the extraction as the command's summary line reports it (dataset scan to CSV);
- per CPU s: seconds of audio per CPU second of the processes that decode and embed (the
  command reports it too): the real-time factor per core, which other jobs on a shared
  machine change much less than the wall-clock figures. The GE2E target is >= 80x.

The ONNX model is a ResNet34 of WeSpeaker's shape (32-64-128-256 channels, 3-4-6-3 basic
blocks, statistics pooling, 256-dim output, ~6.6 M parameters) with random weights,
exported at run time and run with `encoder=onnx` (fbank features and onnxruntime).

    python3 benchmarks/extract_speed.py            # GE2E on 60 min of audio, ONNX on 5 min
    python3 benchmarks/extract_speed.py --quick    # 5 min and 1 min
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

from _common import common_parser, machine_lines, parse

SHARED = Path(__file__).resolve().parents[2] / "shared"
_SUMMARY = re.compile(
    r"extracted (\d+) of \d+ recordings .* in ([\d.]+)s .*, (\d+)x per CPU second"
)


def build_folder(folder: Path, minutes: float) -> tuple[int, float]:
    """`folder`/copyK/<name> links to the shared audio, >= `minutes` in all: (files, seconds)."""
    import soundfile as sf

    sources = sorted(
        p for p in (SHARED / "data").glob("*-audio/**/*") if p.suffix in (".wav", ".flac")
    )
    if not sources:
        raise SystemExit(f"no audio under {SHARED / 'data'}/*-audio")
    lengths = [sf.info(str(p)).duration for p in sources]
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
    return count, total


def run_extract(
    folder: Path, out: Path, workers: int, overrides: list[str]
) -> tuple[float, float, int, int]:
    """(wall s, the summary's s, files extracted, x real time per CPU s) of one `balr extract`."""
    shutil.rmtree(out, ignore_errors=True)
    command = [sys.executable, "-m", "balr", "extract", str(folder), "--save-dir", str(out)]
    command += ["--workers", str(workers), *overrides]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - started
    match = _SUMMARY.search(done.stderr)
    if done.returncode != 0 or match is None:
        raise SystemExit(f"balr extract failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, float(match[2]), int(match[1]), int(match[3])


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


def measure(name: str, minutes: float, overrides: list[str], args: argparse.Namespace) -> None:
    """Print one table row per worker count (the best wall time of --repeats runs)."""
    folder = args.workdir / "extract-audio"
    _, seconds = build_folder(folder, minutes)
    for workers in args.workers:
        best: tuple[float, float, int, int] | None = None
        for _ in range(args.repeats or 1):
            result = run_extract(folder, args.workdir / "extract-out", workers, overrides)
            best = result if best is None or result[0] < best[0] else best
        assert best is not None
        wall, run, files, per_cpu = best
        print(
            f"| {name} | {workers} | {files} | {seconds / 60:.1f} | {wall:.1f}"
            f" | {files / wall:.1f} | {seconds / wall:.0f} | {run:.1f} | {seconds / run:.0f}"
            f" | {per_cpu} |",
            flush=True,
        )


def main() -> None:
    parser = common_parser(__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=None, help="audio for GE2E")
    parser.add_argument("--onnx-minutes", type=float, default=None, help="audio for ONNX")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="cases")
    args = parse(parser)
    if args.threads not in (None, 1):
        print("note: extract_speed.py always runs one thread per worker process")
    minutes = args.minutes or (5.0 if args.quick else 60.0)
    onnx_minutes = args.onnx_minutes or (1.0 if args.quick else 5.0)
    args.workdir.mkdir(parents=True, exist_ok=True)
    model = args.workdir / "extract-resnet34.onnx"
    params = resnet34_onnx(model)
    onnx = ["encoder=onnx", f"encoder.path={model}"]
    print(*machine_lines(), sep="\n")
    print(
        "\n| encoder | workers | files | audio min | wall s | files/s | x real time | run s"
        " | run x real time | x real time per CPU s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    measure("ge2e", minutes, [], args)
    measure(f"onnx ResNet34 ({params / 1e6:.1f} M params)", onnx_minutes, onnx, args)


if __name__ == "__main__":
    main()
