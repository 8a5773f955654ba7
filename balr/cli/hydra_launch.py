"""Handing a command over to a @hydra.main app in this process."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from balr.cli.overrides import key_of, quote
from balr.cli.paths import conf_dir
from balr.errors import RunDirError
from balr.training.run_dir import discard_run_dir

# Hydra app of each command: "module:function" (imported only when that command runs).
APPS: dict[str, str] = {
    "train": "balr.cli.train_app:train_app",
    "binarize": "balr.cli.binarize_app:binarize_app",
    "extract": "balr.cli.extract_app:extract_app",
    "score_train": "balr.cli.score_app:score_train_app",
    "score_test": "balr.cli.score_app:score_test_app",
    "compare": "balr.cli.compare_app:compare_app",
    "validate": "balr.cli.validate_app:validate_app",
}


def _app(name: str) -> Callable[[], Any]:
    import importlib

    module, function = APPS[name].split(":")
    app: Callable[[], Any] = getattr(importlib.import_module(module), function)
    return app


def call_app(name: str, args: list[str], flags: list[str] | None = None) -> int:
    """Run the Hydra app `name` with a command line of `args`; return its exit status."""
    searchpath = f"hydra.searchpath=[{quote('file://' + str(conf_dir()))}]"
    from hydra.core.global_hydra import GlobalHydra

    saved = sys.argv
    sys.argv = [f"balr-{name}", *(flags or []), *args, searchpath]
    GlobalHydra.instance().clear()
    try:
        _app(name)()
    except SystemExit as stop:
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        sys.argv = saved
        GlobalHydra.instance().clear()
    return 0


def run_app(
    name: str, overrides: list[str], run_dir: Path, *, multirun: bool = False, rank: int = 0
) -> int:
    """Run the app with its outputs in `run_dir` (a sweep directory when `multirun`)."""
    args = list(overrides)
    if multirun:
        args.append(f"hydra.sweep.dir={quote(run_dir)}")
        flags = ["--multirun"]
    else:
        args.append(f"hydra.run.dir={quote(run_dir)}")
        flags = []
    if rank > 0:
        # Only rank 0 writes into the run directory.
        args += ["hydra.output_subdir=null", "hydra/job_logging=none", "hydra/hydra_logging=none"]
    return call_app(name, args, flags)


def run_app_in(
    name: str,
    overrides: list[str],
    run_dir: Path,
    created: bool,
    *,
    multirun: bool = False,
    keep_if: str | None = None,
    resumable: bool = False,
) -> int:
    """`run_app`; remove `run_dir` if this command created it and the app failed (status 2)
    or was interrupted (Ctrl-C), so the next default run dir is not a half-written one.

    A folder holding a file named `keep_if` (e.g. a finished sweep job's summary.json) stays;
    so does an interrupted `resumable` run (rerunning the command continues it).
    """
    try:
        status = run_app(name, overrides, run_dir, multirun=multirun)
    except KeyboardInterrupt:
        if not resumable:
            _discard(run_dir, created, keep_if)
        raise
    if status == 2:
        _discard(run_dir, created, keep_if)
    return status


def _discard(run_dir: Path, created: bool, keep_if: str | None) -> None:
    if created and not (keep_if and any(run_dir.rglob(keep_if))):
        discard_run_dir(run_dir)


def previous_overrides(run_dir: Path) -> list[str]:
    """The overrides a run was started with, from its .hydra/overrides.yaml."""
    path = run_dir / ".hydra" / "overrides.yaml"
    if not path.is_file():
        raise RunDirError(
            f"--resume {run_dir}: no .hydra/overrides.yaml; give a balr run directory"
        )
    from omegaconf import OmegaConf

    saved = OmegaConf.to_container(OmegaConf.load(path))
    if not isinstance(saved, list):
        raise RunDirError(f"{path} is not a list of overrides: the run directory is damaged")
    return [str(o) for o in saved if key_of(str(o)) != "resume"]
