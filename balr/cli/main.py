"""The `balr` command: train, binarize, runs, pack, synth.

Also runnable as a plain script (`python balr/cli/main.py train ...`), which torchrun needs.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a script: make `balr` importable from this source tree instead of this folder.
    _here = str(Path(__file__).resolve().parent)
    sys.path = [p for p in sys.path if p and Path(p).resolve() != Path(_here)]
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import argparse
import os
from collections.abc import Callable

from balr import __version__
from balr.cli.errors import DEBUG_ENV, report
from balr.cli.signals import TERMINATED_STATUS, Terminated, sigterm_as_interrupt
from balr.errors import BalrError, ConfigError

# One module per command, each with add_parser(subparsers); listed in `balr --help` order.
COMMAND_MODULES = (
    "extract_cmd",
    "degrade_cmd",
    "train_cmd",
    "binarize_cmd",
    "score_cmd",
    "compare_cmd",
    "validate_cmd",
    "runs_cmd",
    "pack_cmd",
    "synth_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one subcommand per job."""
    import importlib

    parser = argparse.ArgumentParser(
        prog="balr",
        description="Train and use binary-attribute speaker representations (BA-LR).",
        epilog="Run 'balr COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"balr {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"balr.cli.{name}").add_parser(sub)
    for command in sub.choices.values():
        # Also after the command name; SUPPRESS keeps a --debug given before it.
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
        )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen command; return the exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["synth"]:
        # The generator owns its options (argparse cannot intermix a pass-through remainder).
        from balr.cli import synth_cmd

        return _guarded(lambda: synth_cmd.run(_utf8(argv)[1:]))
    # Guarded too: Ctrl-C while the commands import (torch: seconds) is one line, no traceback.
    return _guarded(lambda: _parse_and_run(_utf8(argv)))


def _utf8(argv: list[str]) -> list[str]:
    """`argv`, or ConfigError naming an argument that is not UTF-8: balr writes names, paths
    and text into UTF-8 files (CSV, JSON, HTML), where such bytes cannot go."""
    for arg in argv:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = os.fsencode(arg)
            raise ConfigError(
                f"argument {shown!r} is not valid UTF-8: rename the file or folder (or retype"
                " the text) in UTF-8"
            ) from None
    return argv


def _parse_and_run(argv: list[str]) -> int | None:
    parser = build_parser()
    # Options may come anywhere: positionals after an option arrive as extras.
    ns, extras = parser.parse_known_args(argv)
    unknown = [e for e in extras if e.startswith("-")]
    if unknown or (extras and not hasattr(ns, "args")):
        parser.error(f"unrecognized arguments: {' '.join(unknown or extras)}")
    if hasattr(ns, "args"):
        ns.args = [*ns.args, *extras]
    if ns.debug:
        os.environ[DEBUG_ENV] = "1"
    return ns.run(ns)


def _guarded(command: Callable[[], int | None]) -> int:
    """Run a command; user errors become one line and status 2; Ctrl-C status 130, and
    SIGTERM, handled as Ctrl-C is, 143."""
    try:
        with sigterm_as_interrupt():
            return int(command() or 0)
    except BalrError as error:
        return report(error)
    except KeyboardInterrupt as stop:
        print(f"balr: {str(stop) or 'interrupted'}", file=sys.stderr)
        return TERMINATED_STATUS if isinstance(stop, Terminated) else 130


if __name__ == "__main__":
    sys.exit(main())
