"""How the CLI reports errors: one line on stderr, a fixed exit status."""

from __future__ import annotations

import os
import sys
import traceback

USER_ERROR = 2

DEBUG_ENV = "BALR_DEBUG"


def debug_enabled() -> bool:
    """--debug (or BALR_DEBUG=1) shows tracebacks of user errors."""
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def report(error: BaseException, status: int = USER_ERROR) -> int:
    """Print `error` as one line (plus a traceback in debug mode); return `status`."""
    if debug_enabled():
        traceback.print_exception(error)
    message = " ".join(str(error).split()) or type(error).__name__
    print(f"balr: error: {message}", file=sys.stderr, flush=True)
    return status
