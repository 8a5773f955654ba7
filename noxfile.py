"""Developer sessions: tests (default), slow, lint, typecheck, bench."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests"]
nox.options.reuse_existing_virtualenvs = True

# The CPU build of torch that lies on the CI machines' disk; pyproject keeps torch>=2.4 for users.
TORCH = "torch==2.13.0"


def install(session: nox.Session, extras: str = "dev") -> None:
    session.install(TORCH)
    session.install("-e", f".[{extras}]")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and integration tests (everything but the slow marker)."""
    install(session)
    session.run("pytest", "-q", *session.posargs)


@nox.session
def slow(session: nox.Session) -> None:
    """Multi-process DDP, sweep, Slurm and scale tests."""
    install(session)
    # The slowest tests' wall times (DDP, sweeps, Slurm requeue) are worth seeing in every run.
    session.run("pytest", "-q", "-m", "slow", "--durations=20", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy over the package."""
    install(session)
    session.run("mypy")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks that print measured ratios (see BENCHMARKS.md)."""
    install(session)
    scripts = (
        "train_throughput.py",
        "voxceleb_scale.py",
        "file_loading.py",
        "val_llr_probe.py",
        "scoring_speed.py",
        "score_test_io.py",
        "score_explain_memory.py",
        "extract_speed.py",
        "extract_memory.py",
        "elub_speed.py",
        "conditions_speed.py",
        "validate_bootstrap.py",
        "plda_speed.py",
        "kaldi_read.py",
        "cv_calibration_speed.py",
        "check_ids_speed.py",
    )
    for script in scripts:
        session.run("python", f"benchmarks/{script}", *session.posargs)
