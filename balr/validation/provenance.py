"""Which method made a condition's LLRs: read from the `balr score test` run beside its scores.

A validation report must say what was validated: the scorer, the calibration and what the
calibration was fitted on. `balr score test` leaves a summary.json beside its scores.tsv
naming both; when it is there (and the calibration file still is), the report quotes them.
Score files of other systems have none, and the report says so: nothing here is an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from balr.errors import BalrError

# summary.json of a score run is a few hundred bytes; anything far larger is not one.
_SUMMARY_LIMIT = 1 << 20


def describe_method(scores: Path) -> str:
    """One sentence on the scorer and calibration behind `scores` ("" when unknown)."""
    summary = _summary(scores.parent / "summary.json")
    if summary is None:
        return ""
    text = f"scorer {summary.get('scorer', '?')} ({summary.get('scorer_dir', '?')})"
    calibration = summary.get("calibration")
    if not summary.get("calibrated") or not calibration:
        return text + ", uncalibrated LLRs"
    text += f"; calibration {calibration}"
    fitted = _calibration_data(Path(calibration))
    if fitted:
        text += f" ({fitted})"
    clipped, total = summary.get("n_clipped"), summary.get("n_comparisons")
    if isinstance(clipped, int) and isinstance(total, int) and clipped:
        text += f"; {clipped:,} of {total:,} LLRs clipped to its bounds"
    return text


def _summary(path: Path) -> dict[str, Any] | None:
    try:
        if not path.is_file() or path.stat().st_size > _SUMMARY_LIMIT:
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return record if isinstance(record, dict) and record.get("kind") == "score" else None


def _calibration_data(path: Path) -> str:
    """'logistic, cross-validated on 5 folds of 217 speakers (2,766 same / ...)' or ''."""
    from balr.evaluation.calibration_file import read_calibration

    try:
        fields = read_calibration(path)
    except (BalrError, OSError):
        return ""
    data = fields["data"]
    how = (
        f"cross-validated on {data.get('folds', '?')} speaker-disjoint folds"
        if data.get("cross_validated")
        else "held-out data"
    )
    speakers = data.get("n_speakers")
    who = f" of {speakers:,} speakers" if isinstance(speakers, int) else ""
    counts = ""
    if isinstance(data.get("n_target"), int) and isinstance(data.get("n_nontarget"), int):
        counts = f", {data['n_target']:,} same / {data['n_nontarget']:,} different-speaker"
    return f"{fields['method']}, {how}{who}{counts}"
