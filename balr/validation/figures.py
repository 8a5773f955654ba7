"""The report's figures over several conditions: Tippett, ECE, PAV and coherence.

Each draws one set of curves per condition in the same colour as the DET plot
(:func:`balr.evaluation.det.det_plot`), so a reader can follow a condition across figures;
Tippett and ECE are :mod:`balr.evaluation.plots`' figures of the conditions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from balr.evaluation.plots import (
    condition_colors,
    ece_figure,
    figure_size,
    finish,
    pyplot,
    save_png,
    tippett_figure,
)
from balr.evaluation.quality import pav_llrs
from balr.validation.inputs import Condition

LN10 = math.log(10.0)


def tippett(conditions: Sequence[Condition], path: Path) -> Path:
    """Tippett plot of the conditions (consensus style: see :func:`tippett_figure`)."""
    return tippett_figure([(c.name, c.llrs, c.labels) for c in conditions], path)


def ece(conditions: Sequence[Condition], path: Path) -> Path:
    """ECE plot of the conditions, with the PAV and LR ≡ 1 references (:func:`ece_figure`)."""
    return ece_figure([(c.name, c.llrs, c.labels) for c in conditions], path)


def pav(conditions: Sequence[Condition], path: Path) -> Path:
    """Reported log10 LR against its PAV recalibration (the curve devPAV measures).

    On the identity line the LRs are perfectly calibrated; above it they understate,
    below it they overstate. Values whose PAV LR is infinite are left out, as devPAV does.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=figure_size(len(conditions)))
    low, high = math.inf, -math.inf
    for c, color in zip(conditions, condition_colors(plt, len(conditions)), strict=True):
        x, first = np.unique(c.llrs / LN10, return_index=True)
        y = pav_llrs(c.llrs, c.labels)[first] / LN10
        keep = np.isfinite(y)
        ax.plot(x[keep], y[keep], color=color, label=c.name)
        if keep.any():
            low, high = min(low, x[keep][0]), max(high, x[keep][-1])
    if not math.isfinite(low):
        low, high = -1.0, 1.0
    ax.plot([low, high], [low, high], color="black", linestyle=":", label="identity (calibrated)")
    ax.set_xlabel("reported log10 LR")
    ax.set_ylabel("log10 LR after PAV")
    return finish(fig, ax, "PAV plot (the curve of devPAV)", path)


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
