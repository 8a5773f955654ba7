"""Figures of a case report: the contributions waterfall and where the LR sits.

matplotlib is imported only when a figure is drawn. All axes are in log10 LR units, the
unit forensic reports use.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from balr.evaluation.plots import pyplot, save_png
from balr.report.case import LN10, TOP_PER_SIDE, AttributeRow, Case

# Colours that stay apart for colour-blind readers: blue = towards same speaker,
# orange = towards different speakers, grey = totals.
SAME_COLOUR = "#2166ac"
DIFFERENT_COLOUR = "#d95f02"
TOTAL_COLOUR = "#404040"


def _save(fig: Any, path: Path) -> Path:
    return save_png(fig, path, dpi=110)


def waterfall_steps(case: Case, top: int = TOP_PER_SIDE) -> list[tuple[str, float, str]]:
    """(label, log10 step, kind) of the waterfall; the steps add up to the reported log10 LR.

    kind is "shown" (the sum of the `top` largest contributions each way, drawn one by one
    above), "rest_same" / "rest_different" (the other attributes' positive / negative
    terms), "total" (a running total drawn from 0: the raw LR, then the reported one) or
    "calibration".
    """
    shown = case.largest(top)
    ids = {r.index for r in shown}
    rest = [r for r in case.contributing if r.index not in ids]
    steps = [(f"the {len(shown)} attributes above", _sum(shown), "shown")]
    for kind, towards, rows in (
        ("rest_same", "same speaker", [r for r in rest if r.contribution > 0]),
        ("rest_different", "different speakers", [r for r in rest if r.contribution < 0]),
    ):
        if rows:
            steps.append((f"{len(rows)} other attributes towards {towards}", _sum(rows), kind))
    raw = "raw log10 LR (sum of all)" if case.calibration else "log10 LR (sum of all)"
    steps.append((raw, case.llr_raw / LN10, "total"))
    if case.calibration is not None:
        steps.append(("calibration", (case.llr_unbounded - case.llr_raw) / LN10, "calibration"))
        if case.clipped:
            steps.append(("calibrated, unbounded", case.llr_unbounded / LN10, "total"))
            steps.append(("bound of the validation data", (case.llr - case.llr_unbounded) / LN10,
                          "calibration"))  # fmt: skip
        steps.append(("calibrated log10 LR", case.log10_lr, "total"))
    return steps


def _sum(rows: list[AttributeRow]) -> float:
    return math.fsum(r.contribution for r in rows) / LN10


def _label(row: AttributeRow) -> str:
    return f"attribute {row.index} ({row.case})"


def _annotate(ax: Any, text: str, x: float, y: float) -> None:
    ax.annotate(text, (x, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8)


def contributions_figure(case: Case, path: Path, top: int = TOP_PER_SIDE) -> Path:
    """Draw the largest contributions and how all of them add up into `path` (PNG)."""
    plt = pyplot()
    shown = case.largest(top)
    steps = waterfall_steps(case, top)
    fig, (bars, fall) = plt.subplots(
        2,
        1,
        figsize=(9.0, 0.3 * (len(shown) + len(steps)) + 2.6),
        height_ratios=[max(len(shown), 1), len(steps)],
    )
    for y, row in enumerate(shown):
        value = row.log10_contribution
        bars.barh(y, value, color=SAME_COLOUR if value > 0 else DIFFERENT_COLOUR, height=0.7)
        _annotate(bars, f"{value:+.3f}", max(value, 0.0), y)
    bars.set_yticks(range(len(shown)), [_label(r) for r in shown], fontsize=8)
    bars.set_title(
        f"The {len(shown)} largest contributions (log10 LR)\nblue: towards the same speaker,"
        " orange: towards different speakers",
        fontsize=9,
    )
    _draw_waterfall(fall, steps)
    fall.set_title("How all contributions add up to the LR", fontsize=9)
    fall.set_xlabel("log10 LR (each bar starts where the previous one ended)")
    for ax in (bars, fall):
        ax.invert_yaxis()
        ax.axvline(0.0, color="black", linewidth=0.8)
        # Bars pin the axis at their start ("sticky edges"): a waterfall step starting at
        # the running maximum would touch the frame and push its label outside.
        ax.use_sticky_edges = False
        ax.margins(x=0.15)
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


_COLOURS = {
    "shown": "#6a6a6a",
    "rest_same": SAME_COLOUR,
    "rest_different": DIFFERENT_COLOUR,
    "calibration": "#7570b3",
    "total": TOTAL_COLOUR,
}


def _draw_waterfall(ax: Any, steps: list[tuple[str, float, str]]) -> None:
    running = 0.0
    for y, (_, step, kind) in enumerate(steps):
        start = 0.0 if kind == "total" else running
        running = step if kind == "total" else running + step
        ax.barh(y, step, left=start, color=_COLOURS[kind], height=0.7,
                alpha=0.55 if kind.startswith("rest") else 1.0)  # fmt: skip
        text = f"{step:.2f}" if kind == "total" else f"{step:+.2f}"
        _annotate(ax, text, max(start, start + step), y)
    ax.set_yticks(range(len(steps)), [s[0] for s in steps], fontsize=8)


def placement_figure(case: Case, path: Path) -> Path:
    """Draw the validation LLR distributions with this case's LR marked into `path`."""
    placement = case.placement
    if placement is None:
        raise ValueError("the case has no labelled validation scores to place it among")
    plt = pyplot()
    target, nontarget = placement.target / LN10, placement.nontarget / LN10
    here = case.log10_lr
    fig, (hist, tippett) = plt.subplots(2, 1, figsize=(9.0, 6.0), sharex=True)
    low = min(target.min(), nontarget.min(), here)
    high = max(target.max(), nontarget.max(), here)
    bins = np.linspace(low, high, 41)
    for values, colour, name in (
        (target, SAME_COLOUR, "same-speaker comparisons"),
        (nontarget, DIFFERENT_COLOUR, "different-speaker comparisons"),
    ):
        hist.hist(values, bins=bins, density=True, histtype="stepfilled", alpha=0.35, color=colour)
        hist.hist(values, bins=bins, density=True, histtype="step", color=colour, label=name)
        xs = np.sort(values)
        tippett.plot(xs, 1.0 - np.arange(xs.size) / xs.size, color=colour, label=name)
    for ax in (hist, tippett):
        ax.axvline(here, color="black", linewidth=1.5, linestyle="--")
        ax.grid(alpha=0.3)
    hist.set_ylabel("density")
    hist.legend(fontsize=8, loc="best")
    hist.set_title(f"This comparison: log10 LR = {here:.2f} (dashed line)", fontsize=10)
    tippett.set_ylabel("share with log10 LR ≥ x")
    tippett.set_xlabel("log10 LR")
    tippett.set_ylim(0.0, 1.02)
    fig.tight_layout()
    return _save(fig, path)


def attributes_figure(
    typicality: np.ndarray,
    second: np.ndarray,
    second_name: str,
    excluded: np.ndarray,
    path: Path,
    title: str = "",
) -> Path:
    """Scatter of each attribute's typicality against its drop-out (or activation rate)."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7.0, 5.5))
    kept = ~excluded
    ax.scatter(
        typicality[kept],
        second[kept],
        s=12,
        color=SAME_COLOUR,
        alpha=0.7,
        label=f"used ({int(kept.sum())})",
    )
    if excluded.any():
        ax.scatter(
            typicality[excluded],
            second[excluded],
            s=28,
            marker="x",
            color=DIFFERENT_COLOUR,
            label=f"excluded ({int(excluded.sum())})",
        )
    ax.set_xlabel("typicality (share of reference speaker pairs that both have it)")
    ax.set_ylabel(second_name)
    ax.set_title(title or "Attributes of the scorer", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)
