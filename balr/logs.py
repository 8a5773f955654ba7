"""Console logging: rich on a terminal, plain lines otherwise."""

from __future__ import annotations

import logging
import sys


def console_handler() -> logging.Handler:
    """Return the handler used for console output of the balr apps."""
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        return RichHandler(show_path=False, rich_tracebacks=False, markup=False)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(levelname)s] %(message)s"))
    return handler


def quiet_non_main_rank(rank: int) -> None:
    """Only rank 0 logs below WARNING, so a DDP run prints one copy of everything."""
    if rank != 0:
        logging.getLogger().setLevel(logging.WARNING)
