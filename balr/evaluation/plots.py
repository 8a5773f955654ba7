"""Plots forensic practitioners read: Tippett, empirical cross-entropy (ECE) and PAV.

:func:`tippett_figure` and :func:`ece_figure` draw one set of curves per (name, LLRs,
labels), each condition in the colour the DET plot (:mod:`balr.evaluation.det`) gives it;
:func:`tippett_plot` and :func:`ece_plot` draw the LLRs of one run. matplotlib (a core
dependency) is imported only when a plot is drawn. Figures are drawn with the Agg backend
(no display) and written atomically as PNG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
# (name, natural-log LLRs, labels with 1 = same speaker): one condition of a figure.
Curve = tuple[str, Any, Any]


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


def condition_colors(plt: Any, n: int) -> list[str]:
    """Colours of n conditions: condition i gets colour i of the cycle in every figure."""
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return [palette[i % len(palette)] for i in range(n)]


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


def tippett_figure(curves: Sequence[Curve], path: Path, title: str = "Tippett plot") -> Path:
    """Tippett plot in the consensus style: empirical cumulative proportions.

    Same-speaker curve: proportion of same-speaker log10 LRs <= x (rises to the right);
    different-speaker curve: proportion of different-speaker ones >= x (rises to the left).
    Each curve runs from its smallest to its largest observed LLR only, and ends at 1/N,
    not 0 (N comparisons of that kind): nothing is extrapolated. The legend gives the
    rates of misleading evidence (same-speaker LR < 1, different-speaker LR > 1).

    Raises:
        ValueError: LLRs not finite, labels not 0/1, or a class missing.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=figure_size(len(curves)))
    for (name, llrs, labels), color in zip(curves, condition_colors(plt, len(curves)), strict=True):
        s, target = check_labelled(llrs, labels, "LLRs")
        (same, up), (different, down) = tippett_curves(s, target)
        prefix = f"{name}: " if name else ""
        ax.step(
            same,
            up,
            where="post",
            color=color,
            label=f"{prefix}same speaker ({same.size:,}; {_share(same < 0)} with LR < 1)",
        )
        ax.step(
            different,
            down,
            where="pre",
            color=color,
            linestyle="--",
            label=f"{prefix}different speakers ({different.size:,}; {_share(different > 0)}"
            " with LR > 1)",
        )
    ax.axvline(0.0, color="gray", linewidth=1)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("log10 LR")
    ax.set_ylabel("cumulative proportion\n(same: LR ≤ x; different: LR ≥ x)")
    return finish(fig, ax, title, path, len(curves))


def ece_figure(curves: Sequence[Curve], path: Path, title: str = "ECE plot") -> Path:
    """ECE against prior log10 odds: each condition's LLRs (solid) and after PAV (dashed).

    The dotted LR ≡ 1 curve is the same for every condition; a system above it misleads
    at that prior. At prior log odds 0, the solid curve's value is Cllr and the dashed
    one's is Cllr_min.

    Raises:
        ValueError: LLRs not finite, labels not 0/1, or a class missing.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=figure_size(len(curves)))
    x = np.linspace(*ECE_PRIOR_RANGE, 201)
    theta = x * LN10
    top = 0.0
    for (name, llrs, labels), color in zip(curves, condition_colors(plt, len(curves)), strict=True):
        s, target = check_labelled(llrs, labels, "LLRs")
        system = empirical_cross_entropy(s, target, theta)
        best = empirical_cross_entropy(pav_llrs(s, target), target, theta)
        prefix = f"{name}: " if name else ""
        ax.plot(x, system, color=color, label=f"{prefix}LLRs (Cllr {cllr(s, target):.3f})")
        ax.plot(
            x,
            best,
            color=color,
            linestyle="--",
            label=f"{prefix}after PAV (Cllr_min {cllr_min(s, target):.3f})",
        )
        top = max(top, float(system.max()))
    neutral = empirical_cross_entropy(np.zeros(2), np.array([1, 0]), theta)
    ax.plot(x, neutral, color="black", linestyle=":", label="LR ≡ 1 (neutral)")
    ax.axvline(0.0, color="gray", linewidth=0.8)
    # A badly calibrated system can reach tens of bits: keep the references readable.
    peak = float(neutral.max())
    ax.set_ylim(0.0, 1.1 * max(peak, min(top, 2.0 * peak)))
    ax.set_xlim(*ECE_PRIOR_RANGE)
    ax.set_xlabel("prior log10 odds of the same-speaker hypothesis")
    ax.set_ylabel("empirical cross-entropy (bits)")
    return finish(fig, ax, title, path, len(curves))


def tippett_plot(llrs: Any, labels: Any, path: Path, title: str = "") -> Path:
    """:func:`tippett_figure` of one run's natural-log LLRs; returns `path`."""
    return tippett_figure([("", llrs, labels)], path, title or "Tippett plot")


def ece_plot(llrs: Any, labels: Any, path: Path, title: str = "") -> Path:
    """:func:`ece_figure` of one run's natural-log LLRs; returns `path`."""
    return ece_figure([("", llrs, labels)], path, title or "ECE plot")


def _share(mask: np.ndarray) -> str:
    return f"{100.0 * float(mask.mean()):.1f}%"


def figure_size(conditions: int) -> tuple[float, float]:
    """Inches of a figure of several conditions (room for the legend beside it) or of one."""
    return (9.5, 4.6) if conditions > 1 else (7.0, 4.6)


def finish(fig: Any, ax: Any, title: str, path: Path, conditions: int = 2) -> Path:
    """Title, grid and the legend (beside the axes for several conditions); write the PNG."""
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if conditions > 1:
        ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    else:  # a run's few entries fit inside and leave the axes their width
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
    _infinite_ends(ax, xs, ys, (high - pad / 2, low + pad / 2))
    if calibration is not None:
        ax.plot(curve_x, line, color="tab:orange", label=_calibration_label(calibration))
    ax.axhline(0.0, color="gray", linestyle="--", linewidth=1)
    ax.set_ylim(low, high)
    ax.set_xlabel("raw score")
    ax.set_ylabel("calibrated LLR (natural log)")
    ax.set_title(title or "PAV calibration")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="upper left")
    return save_png(fig, path)


def _infinite_ends(ax: Any, xs: np.ndarray, ys: np.ndarray, edges: tuple[float, float]) -> None:
    """PAV's +inf / -inf ends as dotted lines at the top / bottom `edges`, with an arrow."""
    label = "PAV = ±∞ (drawn at the edge)"
    for value, edge, marker in ((np.inf, edges[0], "^"), (-np.inf, edges[1], "v")):
        ends = xs[ys == value]
        if ends.size:
            inner = ends.min() if value > 0 else ends.max()
            ax.plot([ends.min(), ends.max()], [edge, edge], ":", color="tab:blue", label=label)
            ax.plot([inner], [edge], marker, color="tab:blue", markersize=6)
            label = "_nolegend_"


def _calibration_label(calibration: Calibration) -> str:
    """'affine: 1.2·s + 0.3', 'bi-Gaussianized (affine: ...)', with ', ELUB-bounded'."""
    sign = "+" if calibration.b >= 0 else "-"
    label = f"affine: {calibration.a:.3g}·s {sign} {abs(calibration.b):.3g}"
    if calibration.method == "bigauss":
        label = f"bi-Gaussianized ({label})"
    return label + (", ELUB-bounded" if calibration.bounds is not None else "")


def _range(values: np.ndarray) -> tuple[float, float]:
    """Axis limits around values with a small margin (a unit span when they are all equal)."""
    low, high = float(values.min()), float(values.max())
    pad = 0.05 * (high - low) if high > low else 0.5
    return low - pad, high + pad
