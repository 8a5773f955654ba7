"""Shared helpers of the benchmark scripts: options, machine details, memory, tables.

The scripts are run as ``python benchmarks/<name>.py`` (or ``nox -s bench``); importing this
module first puts the repository root on ``sys.path`` so that an uninstalled checkout works.
`nox -s bench -- ARGS` passes the same ARGS to every script, so the options shared by all of
them live here, and each script ignores (with a note) the options of the others.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_WORKDIR = Path("/tmp/balr-bench")


def common_parser(description: str) -> argparse.ArgumentParser:
    """A parser with the options every benchmark script accepts."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run of ~1 min")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help=f"where generated data is kept and reused (default {DEFAULT_WORKDIR})",
    )
    parser.add_argument("--repeats", type=int, default=None, help="measurements per case (best)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads (default: one per usable core, as the trainer does)",
    )
    return parser


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse, ignoring (with a note) options meant for the other scripts."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        print(f"note: {Path(sys.argv[0]).name} ignores {' '.join(unknown)}")
    return args


def set_threads(threads: int | None) -> int:
    """Fix torch's thread count for the whole process (the trainer keeps a count set by env).

    Call before importing torch: OMP_NUM_THREADS is read when the OpenMP runtime starts.
    """
    count = threads if threads is not None else len(os.sched_getaffinity(0))
    os.environ["OMP_NUM_THREADS"] = str(count)
    import torch

    torch.set_num_threads(count)
    return count


def machine_lines() -> list[str]:
    """One-line facts about the machine and the software, for the report."""
    import numpy
    import torch

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return [
        f"cpu: {_cpu_model()}, {os.cpu_count()} logical cores; load average {load}",
        f"python {platform.python_version()}, torch {torch.__version__}"
        f" ({torch.get_num_threads()} threads), numpy {numpy.__version__}",
    ]


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def proc_status_kib(field: str) -> int:
    """A memory field of /proc/self/status (VmRSS, VmHWM, ...) in KiB; 0 when unavailable."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux clear_refs); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Smallest wall time of `repeats` calls of `fn`, and the last result."""
    best, result = float("inf"), None
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def print_table(title: str, columns: list[str], rows: list[list[str]], notes: list[str]) -> None:
    """A rich table on a terminal, a Markdown table otherwise (pasteable into BENCHMARKS.md)."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title=title, caption="\n".join(notes) or None, caption_justify="left")
        for i, column in enumerate(columns):
            table.add_column(column, justify="left" if i == 0 else "right")
        for row in rows:
            table.add_row(*row)
        Console().print(table)
        return
    print(f"\n### {title}\n")
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---" if i == 0 else "---:" for i in range(len(columns))) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if notes:
        print()
        for note in notes:
            print(f"- {note}")
    print(flush=True)


def fmt_rate(value: float) -> str:
    """12,345 style."""
    return f"{value:,.0f}"


def fmt_ratio(value: float) -> str:
    """0.93x style."""
    return f"{value:.2f}x"


def verdict(ok: bool) -> str:
    """The target column's text."""
    return "met" if ok else "MISSED"
