"""From arrays to the pieces of a case: attribute rows, placement, file digests."""

from __future__ import annotations

import math

import numpy as np

from balr.report.case import AttributeRow, Placement


def case_of(active_e: int, total_e: int, active_t: int, total_t: int) -> str:
    """'both', 'enrollment only', 'test only', 'neither', or 'mixed' (some recordings only)."""
    states = [
        "all" if a == n else ("none" if a == 0 else "some")
        for a, n in ((active_e, total_e), (active_t, total_t))
    ]
    names = {
        ("all", "all"): "both",
        ("all", "none"): "enrollment only",
        ("none", "all"): "test only",
        ("none", "none"): "neither",
    }
    return names.get((states[0], states[1]), "mixed")


def _optional(values: np.ndarray | None, i: int) -> float | None:
    if values is None:
        return None
    value = float(values[i])
    return value if math.isfinite(value) else None


def attribute_rows(
    contributions: np.ndarray,
    enroll_active: np.ndarray,
    enroll_total: int,
    test_active: np.ndarray,
    test_total: int,
    stats: dict[str, np.ndarray | None],
    excluded: np.ndarray,
) -> list[AttributeRow]:
    """One row per attribute from the comparison's arrays and the reference statistics.

    Args:
        contributions: float64 [k] natural-log contributions (sum = raw LLR).
        enroll_active: int [k] enrollment recordings showing each attribute.
        enroll_total: number of enrollment recordings.
        test_active: int [k] test recordings showing each attribute.
        test_total: number of test recordings.
        stats: "rate", "speaker_share", "typicality", "dropout": float [k] or None.
        excluded: bool [k] attributes the scorer excludes.
    """
    rows = []
    for i in range(contributions.size):
        ea, ta = int(enroll_active[i]), int(test_active[i])
        rows.append(
            AttributeRow(
                index=i,
                enroll_active=ea,
                enroll_total=enroll_total,
                test_active=ta,
                test_total=test_total,
                case=case_of(ea, enroll_total, ta, test_total),
                contribution=float(contributions[i]),
                rate=_optional(stats.get("rate"), i),
                speaker_share=_optional(stats.get("speaker_share"), i),
                typicality=_optional(stats.get("typicality"), i),
                dropout=_optional(stats.get("dropout"), i),
                excluded=bool(excluded[i]),
            )
        )
    return rows


def placement_of(
    llr: float,
    labelled: tuple[np.ndarray, np.ndarray],
    source: str,
    *,
    calibrated: bool,
    same_data_as_calibration: bool,
) -> Placement:
    """Where `llr` sits among labelled LLRs (llrs, bool labels) on the same scale."""
    from balr.evaluation.calibration import cllr
    from balr.evaluation.metrics import compute_eer

    llrs, labels = labelled
    target, nontarget = llrs[labels], llrs[~labels]
    return Placement(
        source=source,
        calibrated=calibrated,
        same_data_as_calibration=same_data_as_calibration,
        target=target,
        nontarget=nontarget,
        cllr=cllr(llrs, labels),
        eer=float(compute_eer(llrs, labels)),
        target_at_least=float(np.mean(target >= llr)),
        target_at_most=float(np.mean(target <= llr)),
        nontarget_at_least=float(np.mean(nontarget >= llr)),
        nontarget_at_most=float(np.mean(nontarget <= llr)),
    )
