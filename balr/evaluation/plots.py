"""Plots forensic practitioners read: Tippett, empirical cross-entropy (ECE) and PAV.

matplotlib (a core dependency) is imported only when a plot is drawn. Figures are drawn
with the Agg backend (no display) and written atomically as PNG.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from balr.data.atomic import atomic_path
from balr.evaluation.calibration import Calibration
from balr.evaluation.quality import (
    check_labelled,
    cllr,
    cllr_min,
    empirical_cross_entropy,
    pav_llrs,
)

LN10 = math.log(10.0)
# Prior log10 odds on the ECE plot's x axis: priors from 1:316 to 316:1.
ECE_PRIOR_RANGE = (-2.5, 2.5)


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend (no display)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(fig: Any, path: Path, dpi: int = 100) -> Path:
    """Lay out `fig`, write it to `path` atomically as PNG and close it; returns `path`."""
    path = Path(path)
    fig.tight_layout()
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            fig.savefig(handle, format="png", dpi=dpi)
    finally:
        pyplot().close(fig)
    return path


def tippett_plot(llrs: Any, labels: Any, path: Path, title: str = "") -> Path:
    """Tippett plot: share of target and non-target trials with log10 LR >= x, per x.

    The legend gives the rates of misleading evidence: targets with LR < 1 and
    non-targets with LR > 1.

    Args:
        llrs: Natural-log LLRs per trial (finite).
        labels: 1/True for target trials, 0/False for non-target trials.
        path: PNG to write.
        title: Figure title.

    Returns:
        ``path``.
    """
    s, target = check_labelled(llrs, labels, "LLRs")
    plt = pyplot()
    log10 = s / LN10
    left, right = _range(log10)
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for mask, name, color in ((target, "target", "tab:blue"), (~target, "non-target", "tab:red")):
        values = np.sort(log10[mask])
        # Share >= x is 1 left of the lowest value and drops by 1/n just after each value.
        share_above = (values.size - 1 - np.arange(values.size)) / values.size
        misleading = np.mean(values < 0) if name == "target" else np.mean(values > 0)
        sign = "<" if name == "target" else ">"
        ax.step(
            np.concatenate(([left], values, [right])),
            np.concatenate(([1.0], share_above, [0.0])),
            where="post",
            color=color,
            label=f"{name} ({values.size}; {100 * misleading:.1f}% with LR {sign} 1)",
        )
    ax.axvline(0.0, color="gray", linestyle="--", linewidth=1, label="LR = 1")
    ax.set_xlim(left, right)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("log10 LR")
    ax.set_ylabel("proportion of trials with log10 LR ≥ x")
    ax.set_title(title or "Tippett plot")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="center left")
    return save_png(fig, path)


def ece_plot(llrs: Any, labels: Any, path: Path, title: str = "") -> Path:
    """Empirical cross-entropy against prior log10 odds, with the LR ≡ 1 and PAV references.

    The system curve above the LR ≡ 1 curve means the LRs mislead at that prior; the gap
    to the PAV curve is the calibration loss. At prior log odds 0 the system's ECE is its
    Cllr and the PAV curve's is Cllr_min.

    Args:
        llrs: Natural-log LLRs per trial (finite).
        labels: 1/True for target trials, 0/False for non-target trials.
        path: PNG to write.
        title: Figure title.

    Returns:
        ``path``.
    """
    s, target = check_labelled(llrs, labels, "LLRs")
    plt = pyplot()
    x = np.linspace(*ECE_PRIOR_RANGE, 201)
    theta = x * LN10
    system = empirical_cross_entropy(s, target, theta)
    calibrated = empirical_cross_entropy(pav_llrs(s, target), target, theta)
    neutral = empirical_cross_entropy(np.zeros_like(s), target, theta)
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.plot(x, system, color="tab:red", label=f"LLRs (Cllr = {cllr(s, target):.3f})")
    ax.plot(
        x,
        calibrated,
        color="tab:blue",
        linestyle="--",
        label=f"after PAV (Cllr_min = {cllr_min(s, target):.3f})",
    )
    ax.plot(x, neutral, color="black", linestyle=":", label="LR ≡ 1 (neutral)")
    ax.axvline(0.0, color="gray", linewidth=0.8)
    # A badly calibrated system can reach tens of bits: keep the references readable.
    top = 1.1 * max(neutral.max(), min(system.max(), 2.0 * neutral.max()))
    ax.set_ylim(0.0, top)
    ax.set_xlim(*ECE_PRIOR_RANGE)
    ax.set_xlabel("prior log10 odds of a target trial")
    ax.set_ylabel("empirical cross-entropy (bits)")
    ax.set_title(title or "ECE plot")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="best")
    return save_png(fig, path)


def pav_plot(
    scores: Any, labels: Any, path: Path, title: str = "", calibration: Calibration | None = None
) -> Path:
    """Raw score against its PAV-calibrated LLR (a step function), and a calibration.

    PAV's infinite ends (no non-target above, no target below) are drawn as dotted lines
    at the edge of the plot, with an arrow marker.

    Args:
        scores: One finite score per trial.
        labels: 1/True for target trials, 0/False for non-target trials.
        path: PNG to write.
        title: Figure title.
        calibration: A calibration to draw over the same scores (bounded, as applied).

    Returns:
        ``path``.
    """
    s, target = check_labelled(scores, labels, "scores")
    plt = pyplot()
    order = np.argsort(s, kind="stable")
    xs, ys = s[order], pav_llrs(s, target)[order]
    finite = np.isfinite(ys)
    low, high = _range(ys[finite]) if finite.any() else (-1.0, 1.0)
    if calibration is not None:
        curve_x = np.linspace(xs[0], xs[-1], 400)
        line = calibration.apply(curve_x)
        low, high = min(low, line.min()), max(high, line.max())
    pad = 0.08 * (high - low or 1.0)
    low, high = low - pad, high + pad
    fig, ax = plt.subplots(figsize=(6, 4.2))
    ax.step(xs[finite], ys[finite], where="post", color="tab:blue", label="PAV (best monotonic)")
    label = "PAV = ±∞ (drawn at the edge)"
    for value, edge, marker in ((np.inf, high - pad / 2, "^"), (-np.inf, low + pad / 2, "v")):
        ends = xs[ys == value]
        if ends.size:
            inner = ends.min() if value > 0 else ends.max()
            ax.plot([ends.min(), ends.max()], [edge, edge], ":", color="tab:blue", label=label)
            ax.plot([inner], [edge], marker, color="tab:blue", markersize=6)
            label = "_nolegend_"
    if calibration is not None:
        sign = "+" if calibration.b >= 0 else "-"
        label = f"affine: {calibration.a:.3g}·s {sign} {abs(calibration.b):.3g}"
        if calibration.method == "bigauss":
            label = f"bi-Gaussianized ({label})"
        if calibration.bounds is not None:
            label += ", ELUB-bounded"
        ax.plot(curve_x, line, color="tab:orange", label=label)
    ax.axhline(0.0, color="gray", linestyle="--", linewidth=1)
    ax.set_ylim(low, high)
    ax.set_xlabel("raw score")
    ax.set_ylabel("calibrated LLR (natural log)")
    ax.set_title(title or "PAV calibration")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="upper left")
    return save_png(fig, path)


def _range(values: np.ndarray) -> tuple[float, float]:
    """Axis limits around values with a small margin (a unit span when they are all equal)."""
    low, high = float(values.min()), float(values.max())
    pad = 0.05 * (high - low) if high > low else 0.5
    return low - pad, high + pad
