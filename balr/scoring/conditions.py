"""Recording conditions through scoring: each trial's condition and metrics per condition.

A dataset extracted under a condition (`balr extract condition=phone`) carries a
`condition` column. A trial's condition is the condition shared by all its recordings,
else "ENROLLMENT vs TEST". A side whose recordings mix conditions joins them with " & "
("clean & phone"): '+' names one chained condition (noise_snr10+phone), never a mix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

# The separator of several ids on one side of a trial.
SIDE_SEPARATOR = ","
# Joins the conditions of a side that mixes several (not '+', which chains presets).
MIX_SEPARATOR = " & "
# Joins the two sides of a trial whose conditions differ.
TRIAL_SEPARATOR = " vs "


def conditions_of(items: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, str] | None:
    """id -> condition of a dataset's (id, item) pairs; None when no item has one."""
    found = {
        item_id: str(item["condition"])
        for item_id, item in items
        if item.get("condition") not in (None, "")
    }
    return found or None


def side_condition(side: str, by_id: Mapping[str, str]) -> str:
    """The condition of one side of a trial (ids of several: their conditions joined by " & ")."""
    names = sorted({by_id.get(i.strip(), "unknown") for i in side.split(SIDE_SEPARATOR)})
    return MIX_SEPARATOR.join(names)


def trial_conditions(
    enrollment: Sequence[str], test: Sequence[str], by_id: Mapping[str, str]
) -> list[str]:
    """Each trial's condition: the shared one, else 'ENROLLMENT vs TEST'."""
    out = []
    for left, right in zip(enrollment, test, strict=True):
        a, b = side_condition(left, by_id), side_condition(right, by_id)
        out.append(a if a == b else f"{a}{TRIAL_SEPARATOR}{b}")
    return out


def metrics_by_condition(
    llr: np.ndarray, labels: np.ndarray, conditions: Sequence[str]
) -> dict[str, dict[str, float]]:
    """llr_metrics of each condition with same- and different-speaker trials (sorted)."""
    from balr.evaluation.calibration import llr_metrics

    names = np.asarray(conditions)
    out = {}
    for name in sorted(set(conditions)):
        mask = names == name
        chosen = labels[mask]
        if chosen.any() and not chosen.all():
            out[name] = llr_metrics(llr[mask], chosen)
    return out
