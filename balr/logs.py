"""Console logging: rich on a terminal, plain lines otherwise."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The format of train.log (the CLI's Hydra job log and the library's own alike).
FILE_FORMAT = "[%(asctime)s][%(name)s][%(levelname)s] - %(message)s"


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


@contextmanager
def run_log_file(folder: Path | None, name: str = "train.log") -> Iterator[None]:
    """Also write balr's INFO records to `folder/name`, unless a handler already logs there.

    The CLI's Hydra job log is such a handler; a trainer used as a library gets its own, so a
    run directory always holds its log. The console is left as the caller configured it.
    """
    if folder is None or _logs_into(Path(folder)):
        yield
        return
    handler = logging.FileHandler(Path(folder) / name, delay=True)
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    handler.setLevel(logging.INFO)
    logger = logging.getLogger("balr")
    previous = logger.level
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
        handler.close()


def _logs_into(folder: Path) -> bool:
    folder = folder.resolve()
    loggers = (logging.getLogger(), logging.getLogger("balr"), logging.getLogger("balr.train"))
    return any(
        isinstance(handler, logging.FileHandler)
        and Path(handler.baseFilename).resolve().parent == folder
        for logger in loggers
        for handler in logger.handlers
    )
