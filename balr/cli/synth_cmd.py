"""`balr synth`: synthetic VoxCeleb2-shaped speaker embeddings for tests and benchmarks."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr synth` (the options are those of `python -m balr.data.synthetic`)."""
    parser = subparsers.add_parser(
        "synth",
        help="generate synthetic speaker embeddings",
        description="Generate a synthetic speaker-embedding dataset; see"
        " `python -m balr.data.synthetic --help` for every option.",
        add_help=False,
    )
    parser.set_defaults(run=None)


def run(args: list[str]) -> int:
    """Entry point of `balr synth ARGS`: the generator parses its own arguments."""
    from balr.data.synthetic import main

    return int(main(args) or 0)
