"""Which calibration `balr score test` and `balr compare` apply, and why (for the log).

Unless told otherwise they use the scorer run's own calibration.json (written by
``balr score train --calibrate K``): ``--calibration FILE`` names another, ``--uncalibrated``
keeps the raw LLRs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from balr.errors import ConfigError

if TYPE_CHECKING:
    from balr.evaluation.calibration import Calibration

CALIBRATION_JSON = "calibration.json"


@dataclass(frozen=True)
class ChosenCalibration:
    """The calibration to apply (None: raw LLRs), the file it came from, and why."""

    calibration: Calibration | None
    path: Path | None
    why: str


def choose_calibration(
    explicit: str | Path | None,
    scorer_dir: str | Path | None,
    uncalibrated: bool = False,
    raw: str = "raw LLRs",
) -> ChosenCalibration:
    """`explicit`, else `scorer_dir`/calibration.json when present, else none.

    The caller logs `why` ("calibration: ...") once the run goes ahead; `raw` says what the
    scorer's uncalibrated output is (`balr.scoring.commands.inputs.raw_kind`).

    Raises:
        ConfigError: both `explicit` and `uncalibrated` are given.
        CalibrationError: the chosen file cannot be read.
    """
    from balr.evaluation.calibration import Calibration

    if uncalibrated and explicit is not None:
        raise ConfigError(
            f"--uncalibrated and --calibration {explicit} contradict each other: give one"
        )
    own = Path(scorer_dir) / CALIBRATION_JSON if scorer_dir is not None else None
    if uncalibrated:
        chosen = ChosenCalibration(None, None, f"none (--uncalibrated): {raw}")
    elif explicit is not None:
        path = Path(explicit)
        chosen = ChosenCalibration(Calibration.load(path), path, f"{path} (--calibration)")
    elif own is not None and own.is_file():
        loaded = Calibration.load(own)
        chosen = ChosenCalibration(loaded, own, f"{own} (the scorer run's, {fitted_on(loaded)})")
    else:
        chosen = ChosenCalibration(
            None,
            None,
            f"none: {raw} (the scorer run has no calibration.json: train it with"
            " --calibrate K, or give --calibration FILE)",
        )
    return chosen


def fitted_on(calibration: Calibration) -> str:
    """'logistic, cross-validated on 5 folds of 217 speakers' (what calibration.json records)."""
    data = calibration.data or {}
    how = (
        f"cross-validated on {data.get('folds', '?')} folds"
        if data.get("cross_validated")
        else "held-out data"
    )
    speakers = data.get("n_speakers")
    return f"{calibration.method}, {how}" + (f" of {speakers} speakers" if speakers else "")
