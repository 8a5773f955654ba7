"""Where the CLI finds its presets and the bundled sample dataset."""

from __future__ import annotations

from pathlib import Path

from balr.errors import BalrError

_PACKAGE = Path(__file__).resolve().parents[1]


def conf_dir() -> Path:
    """The presets folder: inside the installed package, else the source tree's conf/."""
    for candidate in (_PACKAGE / "conf", _PACKAGE.parent / "conf"):
        if candidate.is_dir():
            return candidate
    raise BalrError(f"balr's conf/ presets folder is missing from {_PACKAGE}: reinstall balr")


def sample_dir() -> Path:
    """The small real-embedding dataset shipped with balr (see its README.md)."""
    return _PACKAGE / "data" / "sample"


def sample_datasets() -> tuple[Path, Path, Path]:
    """(train, val, val trials) of the bundled sample."""
    root = sample_dir() / "librispeech"
    return root / "train", root / "val", root / "trials.csv"
