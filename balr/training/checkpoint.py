"""Checkpoint files: atomic writes, safe reads, RNG state capture."""

from __future__ import annotations

import os
import random
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from balr.errors import CheckpointError
from balr.models.loading import describe_load_error, load_tensors_only

FORMAT = "balr-checkpoint"
VERSION = 1


def atomic_write_bytes(path: Path, write: Any) -> None:
    """Write through `write(fileobj)` to a temp file beside `path`, then rename over it.

    A kill at any moment leaves either the old file or the new one, never a partial file.
    """
    path = Path(path)
    with signals_deferred():
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            # mkstemp makes the file private (0600); results are shared like any written file.
            os.fchmod(fd, 0o666 & ~_UMASK)
            with os.fdopen(fd, "wb") as handle:
                write(handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once, at import: os.umask can only be read by setting it, which races with other threads.
_UMASK = _read_umask()


_DEFERRED_SIGNALS = {
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGUSR1", "SIGUSR2")
    if hasattr(signal, name)
}


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold interrupting signals while a file is written; they are delivered right after.

    A Python signal handler that raises (a scheduler's pre-emption handler exiting the job)
    would otherwise surface inside torch.save's writer as an unrelated RuntimeError. Handlers
    are swapped rather than the signal mask changed: any thread may receive the signal.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = {}
    for signum in _DEFERRED_SIGNALS:
        handler = signal.getsignal(signum)
        if handler is not None and handler != signal.SIG_IGN:
            previous[signum] = handler
            signal.signal(signum, lambda number, frame: caught.append(number))
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for number in caught:
            signal.raise_signal(number)


def atomic_write_text(path: Path, text: str) -> None:
    """Atomically replace `path` with `text` (UTF-8)."""
    atomic_write_bytes(path, lambda handle: handle.write(text.encode("utf-8")))


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Atomically save a balr checkpoint dict (format tag added)."""
    payload = {"format": FORMAT, "version": VERSION, **state}
    atomic_write_bytes(path, lambda handle: torch.save(payload, handle))


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a balr checkpoint with `weights_only=True`; any problem is a CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist: check the path")
    try:
        state = load_tensors_only(path, map_location=map_location)
    except Exception as error:  # torch raises many exception types on foreign bytes
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({describe_load_error(error)}): resume from"
            " another checkpoint of the run, e.g. its best.pt or epoch<N>.pt"
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a balr training checkpoint (no '{FORMAT}' tag): resume needs the"
            " last.pt of a balr run"
        )
    return state


def capture_rng_state() -> dict[str, Any]:
    """RNG states of Python, NumPy and torch, in a form `weights_only` loading accepts."""
    np_state: Any = np.random.get_state()
    state: dict[str, Any] = {
        "python": _python_state_to_list(random.getstate()),
        "numpy": {
            "keys": torch.from_numpy(np.asarray(np_state[1], dtype=np.int64)),
            "pos": int(np_state[2]),
            "has_gauss": int(np_state[3]),
            "cached_gaussian": float(np_state[4]),
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict[str, Any]) -> None:
    """Restore what `capture_rng_state` captured."""
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    np_state = state["numpy"]
    np.random.set_state(
        (
            "MT19937",
            np_state["keys"].numpy().astype(np.uint32),
            np_state["pos"],
            np_state["has_gauss"],
            np_state["cached_gaussian"],
        )
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _python_state_to_list(state: tuple[Any, ...]) -> list[Any]:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def seed_everything(seed: int) -> None:
    """One seed drives Python, NumPy and torch."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
