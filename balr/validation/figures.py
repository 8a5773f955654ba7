"""The report's figures over several conditions: Tippett, ECE, PAV and coherence.

Each draws one set of curves per condition in the same colour as the DET plot
(:func:`balr.evaluation.det.det_plot`), so a reader can follow a condition across figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from balr.evaluation.plots import pyplot, save_png
from balr.evaluation.quality import empirical_cross_entropy, pav_llrs
from balr.validation.inputs import Condition

LN10 = math.log(10.0)
# Prior log10 odds on the ECE plot's x axis.
ECE_PRIORS = (-2.5, 2.5)


def _colors(plt: Any) -> list[str]:
    return list(plt.rcParams["axes.prop_cycle"].by_key()["color"])


def tippett_curves(
    llrs: np.ndarray, labels: np.ndarray
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The Tippett plot's steps: ((same x, share <= x), (different x, share >= x)).

    x are the sorted observed log10 LRs of each kind: the same-speaker curve rises from 1/N1
    at the smallest to 1 at the largest, the different-speaker one falls from 1 to 1/N0.
    """
    same = np.sort(llrs[labels] / LN10)
    different = np.sort(llrs[~labels] / LN10)
    up = np.arange(1, same.size + 1) / same.size
    down = np.arange(different.size, 0, -1) / different.size
    return (same, up), (different, down)


def tippett(conditions: Sequence[Condition], path: Path) -> Path:
    """Tippett plot in the consensus style: empirical cumulative proportions.

    Same-speaker curve: proportion of same-speaker log10 LRs <= x (rises to the right);
    different-speaker curve: proportion of different-speaker ones >= x (rises to the left).
    Each curve runs from its smallest to its largest observed LLR only, and ends at 1/N,
    not 0 (N comparisons of that kind): nothing is extrapolated.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.6))
    colors = _colors(plt)
    for i, c in enumerate(conditions):
        color = colors[i % len(colors)]
        (same, up), (different, down) = tippett_curves(c.llrs, c.labels)
        ax.step(
            same, up, where="post", color=color, label=f"{c.name}: same speaker ({same.size:,})"
        )
        ax.step(
            different,
            down,
            where="pre",
            color=color,
            linestyle="--",
            label=f"{c.name}: different speakers ({different.size:,})",
        )
    ax.axvline(0.0, color="gray", linewidth=1)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("log10 LR")
    ax.set_ylabel("cumulative proportion\n(same: LR ≤ x; different: LR ≥ x)")
    ax.set_title("Tippett plot")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    return save_png(fig, path)


def ece(conditions: Sequence[Condition], path: Path) -> Path:
    """ECE against prior log10 odds: each condition's LLRs (solid) and after PAV (dashed).

    The dotted LR ≡ 1 curve is the same for every condition; a system above it misleads
    at that prior. At prior log odds 0, the solid curve's value is Cllr and the dashed
    one's is Cllr_min.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.6))
    colors = _colors(plt)
    x = np.linspace(*ECE_PRIORS, 101)
    theta = x * LN10
    top = 0.0
    for i, c in enumerate(conditions):
        color = colors[i % len(colors)]
        system = empirical_cross_entropy(c.llrs, c.labels, theta)
        best = empirical_cross_entropy(pav_llrs(c.llrs, c.labels), c.labels, theta)
        ax.plot(x, system, color=color, label=f"{c.name}: LLRs")
        ax.plot(x, best, color=color, linestyle="--", label=f"{c.name}: after PAV")
        top = max(top, float(system.max()))
    neutral = empirical_cross_entropy(np.zeros(2), np.array([1, 0]), theta)
    ax.plot(x, neutral, color="black", linestyle=":", label="LR ≡ 1 (neutral)")
    ax.axvline(0.0, color="gray", linewidth=0.8)
    ax.set_ylim(0.0, 1.1 * max(float(neutral.max()), min(top, 2.0 * float(neutral.max()))))
    ax.set_xlim(*ECE_PRIORS)
    ax.set_xlabel("prior log10 odds of the same-speaker hypothesis")
    ax.set_ylabel("empirical cross-entropy (bits)")
    ax.set_title("ECE plot")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    return save_png(fig, path)


def pav(conditions: Sequence[Condition], path: Path) -> Path:
    """Reported log10 LR against its PAV recalibration (the curve devPAV measures).

    On the identity line the LRs are perfectly calibrated; above it they understate,
    below it they overstate. Values whose PAV LR is infinite are left out, as devPAV does.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.6))
    colors = _colors(plt)
    low, high = math.inf, -math.inf
    for i, c in enumerate(conditions):
        x, first = np.unique(c.llrs / LN10, return_index=True)
        y = pav_llrs(c.llrs, c.labels)[first] / LN10
        keep = np.isfinite(y)
        ax.plot(x[keep], y[keep], color=colors[i % len(colors)], label=c.name)
        if keep.any():
            low, high = min(low, x[keep][0]), max(high, x[keep][-1])
    if not math.isfinite(low):
        low, high = -1.0, 1.0
    ax.plot([low, high], [low, high], color="black", linestyle=":", label="identity (calibrated)")
    ax.set_xlabel("reported log10 LR")
    ax.set_ylabel("log10 LR after PAV")
    ax.set_title("PAV plot (the curve of devPAV)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    return save_png(fig, path)


def coherence(points: Sequence[tuple[float, str, float, float]], path: Path) -> Path:
    """Cllr and EER against net speech duration: (seconds, name, Cllr, EER %) per condition."""
    plt = pyplot()
    ordered = sorted(points)
    seconds = [p[0] for p in ordered]
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 3.6))
    for ax, values, label in (
        (left, [p[2] for p in ordered], "Cllr (bits)"),
        (right, [p[3] for p in ordered], "EER (%)"),
    ):
        ax.plot(seconds, values, "o-", color="tab:blue")
        for s, v, p in zip(seconds, values, ordered, strict=True):
            ax.annotate(p[1], (s, v), textcoords="offset points", xytext=(4, 4), fontsize=8)
        ax.set_xlabel("net speech (s)")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0.0, top=1.15 * max(values) if max(values) > 0 else 1.0)
        ax.grid(alpha=0.3)
    fig.suptitle("Coherence: performance against net speech duration")
    return save_png(fig, path)
