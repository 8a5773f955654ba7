"""The guideline table: per performance characteristic, metric, criterion, result, pass/fail.

Follows the structure of Meuwly, Ramos and Haraksim (2017): accuracy, discriminating power,
calibration, robustness, coherence and generalisation, each with its metric, graphic,
validation criterion, the data used, the result and a decision. Rows of one metric give one
result per condition and pass when every condition passes; robustness, coherence and
generalisation look across the conditions. A row that the given conditions cannot assess
(e.g. coherence without durations) says so and decides nothing.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from balr.config.validation import CriteriaConfig

# metric key -> (characteristic, label, unit, graphic, criteria key)
METRIC_ROWS = (
    ("cllr", "accuracy", "Cllr", "bits", "ECE", "cllr_max"),
    ("eer", "discriminating power", "EER", "%", "DET", "eer_max"),
    ("cllr_min", "discriminating power", "Cllr_min", "bits", "ECE (PAV curve)", "cllr_min_max"),
    ("cllr_cal", "calibration", "Cllr_cal", "bits", "ECE, Tippett", "cllr_cal_max"),
    ("devpav", "calibration", "devPAV", "log10", "PAV, Tippett", "devpav_max"),
)
METRIC_CRITERIA = {row[0]: row[5] for row in METRIC_ROWS}
# Criteria that a baseline turns relative.
RELATIVE = ("cllr", "cllr_min", "eer")


@dataclass
class Row:
    """One line of the table; `results` maps a condition (or "all") to its result text."""

    characteristic: str
    metric: str
    graphic: str
    criterion: str
    results: dict[str, str]
    passed: dict[str, bool | None]
    decision: bool | None
    data: str
    note: str = ""
    values: dict[str, Any] = field(default_factory=dict)


def fmt(value: float | None, unit: str) -> str:
    """'0.072 bits', '1.46 %', 'n/a'."""
    if value is None or not math.isfinite(value):
        return "n/a"
    if unit == "%":
        return f"{value:.2f} %"
    return f"{value:.3f}" + (f" {unit}" if unit != "log10" else "")


def _limit(key: str, criteria: CriteriaConfig, baseline: dict[str, Any] | None) -> float:
    if baseline is not None and key in RELATIVE:
        return float(baseline[key]) * (1.0 + criteria.baseline_margin)
    return float(getattr(criteria, METRIC_CRITERIA[key]))


def metric_rows(
    metrics: dict[str, dict[str, Any]],
    criteria: CriteriaConfig,
    baseline: dict[str, Any] | None,
    data: str,
    intervals: dict[str, dict[str, list[float]]] | None = None,
) -> list[Row]:
    """Accuracy, discriminating power and calibration: one result per condition."""
    rows = []
    for key, characteristic, label, unit, graphic, _ in METRIC_ROWS:
        limit = _limit(key, criteria, baseline)
        criterion = f"≤ {fmt(limit, unit)}"
        if baseline is not None and key in RELATIVE:
            criterion += (
                f" (baseline {fmt(baseline[key], unit)} + {100 * criteria.baseline_margin:g} %)"
            )
        results, passed = _per_condition(metrics, key, unit, limit, intervals or {})
        known = [p for p in passed.values() if p is not None]
        decision = all(known) if known else None
        metric = f"{label} ({unit})"
        rows.append(
            Row(characteristic, metric, graphic, criterion, results, passed, decision, data)
        )
    return rows


def _per_condition(
    metrics: dict[str, dict[str, Any]],
    key: str,
    unit: str,
    limit: float,
    intervals: dict[str, dict[str, list[float]]],
) -> tuple[dict[str, str], dict[str, bool | None]]:
    """Each condition's result text (with its interval, if any) and whether it passes."""
    results, passed = {}, {}
    for name, m in metrics.items():
        value = m[key]
        text = fmt(value, unit)
        ci = intervals.get(name, {}).get(key)
        if ci is not None:
            text += f" [{fmt(ci[0], unit).split()[0]}, {fmt(ci[1], unit).split()[0]}]"
        results[name] = text
        passed[name] = None if not math.isfinite(value) else bool(value <= limit)
    return results, passed


def robustness_row(metrics: dict[str, dict[str, Any]], criteria: CriteriaConfig) -> Row:
    """The worst condition's Cllr and EER against the robustness limits."""
    criterion = (
        f"worst condition: Cllr ≤ {fmt(criteria.robustness_cllr_max, 'bits')},"
        f" EER ≤ {fmt(criteria.robustness_eer_max, '%')}"
    )
    data = f"{len(metrics)} condition(s): {', '.join(metrics)}"
    head = ("robustness", "Cllr, EER, LR range across conditions", "DET, Tippett, ECE", criterion)
    if len(metrics) < 2:
        fix = "give the scores of several conditions (channels, durations, noise)"
        return Row(*head, {"all": "not assessed: one condition given"}, {}, None, data, fix)
    worst_cllr = max(metrics, key=lambda n: metrics[n]["cllr"])
    worst_eer = max(metrics, key=lambda n: metrics[n]["eer"])
    c, e = metrics[worst_cllr]["cllr"], metrics[worst_eer]["eer"]
    low = min(m["log10_lr_min"] for m in metrics.values())
    high = max(m["log10_lr_max"] for m in metrics.values())
    ok = bool(c <= criteria.robustness_cllr_max and e <= criteria.robustness_eer_max)
    text = (
        f"worst Cllr {fmt(c, 'bits')} ({worst_cllr}), worst EER {fmt(e, '%')} ({worst_eer});"
        f" log10 LR from {low:+.2f} to {high:+.2f}"
    )
    return Row(*head, {"all": text}, {"all": ok}, ok, data)


def coherence_row(
    metrics: dict[str, dict[str, Any]], durations: dict[str, float | None], criteria: CriteriaConfig
) -> Row:
    """Cllr and EER must not get worse (beyond the tolerances) as net speech grows."""
    criterion = (
        f"with more speech, Cllr rises by ≤ {fmt(criteria.coherence_cllr_tolerance, 'bits')}"
        f" and EER by ≤ {fmt(criteria.coherence_eer_tolerance, '%')}"
    )
    timed = sorted((d, n) for n, d in durations.items() if d is not None)
    label, graphic = "Cllr, EER against net speech duration", "coherence, DET"
    if len({d for d, _ in timed}) < 2:
        return Row(
            "coherence",
            label,
            graphic,
            criterion,
            {"all": "not assessed: fewer than 2 net-speech durations"},
            {},
            None,
            "conditions named by duration (e.g. dur2s, short_5s) or --duration",
            "give conditions of different net-speech durations",
        )
    steps, ok = [], True
    for (d0, n0), (d1, n1) in itertools.pairwise(timed):
        dc = metrics[n1]["cllr"] - metrics[n0]["cllr"]
        de = metrics[n1]["eer"] - metrics[n0]["eer"]
        good = dc <= criteria.coherence_cllr_tolerance and de <= criteria.coherence_eer_tolerance
        ok = ok and good
        steps.append(f"{d0:g} s → {d1:g} s: Cllr {dc:+.3f}, EER {de:+.2f} points")
    data = ", ".join(f"{n} ({d:g} s)" for d, n in timed)
    return Row(
        "coherence", label, graphic, criterion, {"all": "; ".join(steps)}, {"all": ok}, ok, data
    )


def generalisation_row(pooled: dict[str, Any], criteria: CriteriaConfig, data: str) -> Row:
    """Cllr and EER of every condition pooled: the method on data other than its own."""
    limit = criteria.generalisation_cllr_max
    ok = bool(pooled["cllr"] <= limit)
    text = f"Cllr {fmt(pooled['cllr'], 'bits')}, EER {fmt(pooled['eer'], '%')} (all pooled)"
    return Row(
        "generalisation",
        "Cllr, EER on validation data",
        "ECE, DET, Tippett",
        f"pooled Cllr ≤ {fmt(limit, 'bits')}",
        {"all": text},
        {"all": ok},
        ok,
        data,
    )
