"""The performance metrics of one condition's labelled LLRs."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from balr.evaluation.bounds import elub_bounds
from balr.evaluation.devpav import devpav
from balr.evaluation.quality import llr_metrics

LN10 = math.log(10.0)


def condition_metrics(llrs: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Every number the report gives for one condition (natural-log LLRs, bool labels).

    Returns:
        ``cllr``, ``cllr_min``, ``cllr_cal`` (bits), ``devpav`` (log10), ``eer`` (percent),
        ``min_dcf_0.01``, ``min_dcf_0.05``, ``n_target``, ``n_nontarget``,
        ``log10_lr_min`` / ``log10_lr_max`` (the LR range), ``misleading_same`` (share of
        same-speaker comparisons with LR < 1), ``misleading_different`` (share of
        different-speaker ones with LR > 1), ``strongest_misleading_same`` /
        ``strongest_misleading_different`` (their most extreme log10 LR, None when there is
        none) and ``elub`` (the ELUB bounds of these LLRs: log10_lower, log10_upper).
    """
    metrics: dict[str, Any] = dict(llr_metrics(llrs, labels))
    metrics["devpav"] = devpav(llrs, labels)
    log10 = llrs / LN10
    same, different = log10[labels], log10[~labels]
    metrics["log10_lr_min"] = float(log10.min())
    metrics["log10_lr_max"] = float(log10.max())
    wrong_same, wrong_different = same[same < 0], different[different > 0]
    metrics["misleading_same"] = wrong_same.size / same.size
    metrics["misleading_different"] = wrong_different.size / different.size
    metrics["strongest_misleading_same"] = float(wrong_same.min()) if wrong_same.size else None
    metrics["strongest_misleading_different"] = (
        float(wrong_different.max()) if wrong_different.size else None
    )
    bounds = elub_bounds(log10, labels)
    metrics["elub"] = {"log10_lower": bounds.log10_lower, "log10_upper": bounds.log10_upper}
    return metrics
