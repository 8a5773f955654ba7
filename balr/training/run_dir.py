"""Run directories: runs/train, runs/train2, ... claimed atomically."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from balr.errors import RunDirError

# The folders a claim made above its run dir (runs/, runs/score/, --save-dir's new parents),
# nearest first, by run dir: a failed run removes them too when they are still empty.
_MADE_ABOVE: dict[Path, list[Path]] = {}


def claim_run_dir(parent: Path, name: str = "train", max_tries: int = 10_000) -> Path:
    """Create and return the first free `parent/name`, `parent/name2`, ...

    `mkdir(exist_ok=False)` makes the claim atomic, so concurrent launches never share a dir.
    """
    parent = Path(parent).absolute()
    missing = [folder for folder in (parent, *parent.parents) if not folder.exists()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirError(f"cannot create {parent}: {error.strerror}") from None
    for i in range(1, max_tries + 1):
        candidate = parent / (name if i == 1 else f"{name}{i}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        except OSError as error:
            raise RunDirError(f"cannot create {candidate}: {error.strerror}") from None
        _MADE_ABOVE[candidate] = missing
        return candidate
    raise RunDirError(f"no free run directory named {name}N under {parent}: clean it up")


def prepare_save_dir(path: Path, exist_ok: bool) -> tuple[Path, bool]:
    """Make `path` the run dir; return it (absolute) and whether it was created now."""
    path = Path(path).absolute()
    if path.exists() and not path.is_dir():
        raise RunDirError(f"--save-dir {path} is a file: give a directory path")
    if path.exists():
        if not exist_ok and any(path.iterdir()):
            raise RunDirError(
                f"--save-dir {path} already exists and is not empty: add --exist-ok to reuse it"
                " or choose another directory"
            )
        created = False
    else:
        missing = [folder for folder in path.parents if not folder.exists()]
        try:
            path.mkdir(parents=True)
        except OSError as error:
            # Name the file that blocks the path, if any: the errno text alone does not.
            blocker = next((p for p in path.parents if p.exists()), None)
            why = f"{blocker} is a file" if blocker and not blocker.is_dir() else error.strerror
            raise RunDirError(
                f"cannot create --save-dir {path} ({why}): give a directory you can write"
            ) from None
        created = True
        _MADE_ABOVE[path] = missing
    if not os.access(path, os.W_OK | os.X_OK):
        raise RunDirError(f"--save-dir {path} is not writable: choose a directory you can write")
    return path, created


def discard_run_dir(run_dir: Path) -> None:
    """Remove a run dir this process created, and the folders its claim made above it while
    they are empty (a failed or interrupted run leaves no runs/score/ behind)."""
    run_dir = Path(run_dir).absolute()
    shutil.rmtree(run_dir, ignore_errors=True)
    for folder in _MADE_ABOVE.pop(run_dir, []):
        try:
            folder.rmdir()
        except OSError:
            return  # another run's folder is in it now (or it is gone already)


def choose_run_dir(
    save_dir: str | Path | None, exist_ok: bool, parent: Path, name: str
) -> tuple[Path, bool]:
    """A command's run dir: `save_dir` prepared when given, else the next free parent/nameN.

    Returns:
        The run dir (absolute) and whether this call created it: a failed command removes
        only a folder it created.

    Raises:
        RunDirError: the folder cannot be made or written (one line naming it and the fix).
    """
    try:
        if save_dir:
            return prepare_save_dir(Path(save_dir), exist_ok)
        return claim_run_dir(parent, name), True
    except OSError as error:
        raise RunDirError(
            f"cannot prepare the run directory in {save_dir or parent}"
            f" ({error.strerror or error}): give a --save-dir you can write"
        ) from None
