"""Which method made a condition's LLRs: read from the `balr score test` run beside its scores.

A validation report must say what was validated: the scorer, the calibration and what the
calibration was fitted on. `balr score test` and `balr score apply` leave a summary.json
beside their scores.tsv naming both (apply: the calibrated score file, its scorer when
known, the calibration and its method); when it is there, the report quotes them, with
what the calibration was fitted on while its file still exists. Score files of other
systems have none, and the report says so: nothing here is an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from balr.errors import BalrError

# summary.json of a score run is a few hundred bytes; anything far larger is not one.
_SUMMARY_LIMIT = 1 << 20


# The kinds of summary.json that describe the run which wrote a scores.tsv.
_KINDS = ("score", "score_apply")


def describe_method(scores: Path) -> str:
    """One sentence on the scorer and calibration behind `scores` ("" when unknown)."""
    summary = _summary(scores.parent / "summary.json")
    if summary is None:
        return ""
    text = _scored_by(summary)
    calibration = summary.get("calibration")
    applied = summary["kind"] == "score_apply"
    if not calibration or not (applied or summary.get("calibrated")):
        return text + ", uncalibrated LLRs"
    text += f"; calibration {calibration}"
    # The file's own record first; apply's summary still names the method if it is gone.
    fitted = _calibration_data(Path(calibration)) or summary.get("method")
    if fitted:
        text += f" ({fitted})"
    if applied:
        text += ", applied by balr score apply"
    clipped, total = summary.get("n_clipped"), summary.get("n_comparisons")
    if isinstance(clipped, int) and isinstance(total, int) and clipped:
        text += f"; {clipped:,} of {total:,} LLRs clipped to its bounds"
    return text


def _scored_by(summary: dict[str, Any]) -> str:
    """'scorer beta (ref)', or for apply the scores calibrated and their scorer if known."""
    if summary["kind"] == "score":
        return f"scorer {summary.get('scorer', '?')} ({summary.get('scorer_dir', '?')})"
    scorer = summary.get("scorer_dir")
    text = f"scores {summary.get('source', '?')}"
    return text + (f" of the scorer {scorer}" if scorer else " of another system")


def _summary(path: Path) -> dict[str, Any] | None:
    try:
        if not path.is_file() or path.stat().st_size > _SUMMARY_LIMIT:
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None
    return record if isinstance(record, dict) and record.get("kind") in _KINDS else None


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
