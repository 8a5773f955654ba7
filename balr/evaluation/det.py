"""DET plot: miss rate against false-alarm rate on normal-deviate (probit) axes.

The standard graphic of discrimination in speaker recognition: on probit axes, Gaussian
score distributions give straight lines, and the EER is where a curve crosses the
diagonal. Rates come from :func:`balr.evaluation.metrics.error_rates` (every distinct score
a threshold); the probit is the inverse of the standard normal CDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from balr.evaluation.metrics import eer_of_rates, error_rates
from balr.evaluation.plots import Curve, condition_colors, pyplot, save_png

# Axis ticks (percent) and the range shown: from 0.05 % (lower when a curve's smallest rate
# is, down to 0.001 %) to 60 %.
TICKS = (0.001, 0.01, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 40)
LIMITS = (0.05, 60.0)
LOWEST = 0.001


def probit(p: Any) -> np.ndarray:
    """The standard normal quantile of each probability (-inf at 0, +inf at 1)."""
    import torch

    values = torch.as_tensor(np.asarray(p, dtype=np.float64))
    return torch.special.ndtri(values).numpy()


def det_plot(curves: Sequence[Curve], path: Path, title: str = "DET plot") -> Path:
    """One DET curve per (name, LLRs, labels), each with its EER marked; writes a PNG.

    Args:
        curves: (condition name, scores or LLRs, labels with 1 = same speaker).
        path: PNG to write.
        title: figure title.

    Returns:
        ``path``.
    """
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 6))
    rates = [error_rates(scores, labels)[1:] for _, scores, labels in curves]
    bottom = LIMITS[0]
    for frr, far in rates:
        smallest = 100.0 * min(far[far > 0].min(initial=1.0), frr[frr > 0].min(initial=1.0))
        bottom = max(LOWEST, min(bottom, 0.7 * smallest))
    # A rate of 0 has no probit: drawn below the axis, so the curve leaves the box there
    # (and passes the EER point) instead of stopping short.
    floor = bottom / 1000.0
    palette = condition_colors(plt, len(curves))
    for (name, _, _), (frr, far), color in zip(curves, rates, palette, strict=True):
        eer = eer_of_rates(frr, far)
        x, y = probit(np.maximum(far, floor)), probit(np.maximum(frr, floor))
        ax.plot(x, y, color=color, label=f"{name} (EER {eer:.2f} %)")
        point = probit(max(eer, 1e-9) / 100.0)
        ax.plot([point], [point], "o", color=color, markersize=6, markeredgecolor="black")
    _probit_axes(ax, bottom)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small", loc="upper right")
    return save_png(fig, path)


def _probit_axes(ax: Any, bottom: float) -> None:
    """Square probit axes from `bottom` % to 60 %, ticks in percent, and the EER line."""
    low, high = probit(np.array([bottom, LIMITS[1]]) / 100.0)
    ax.plot(
        [low, high],
        [low, high],
        color="gray",
        linestyle=":",
        linewidth=1,
        label="EER line (miss = false alarm)",
    )
    shown = [t for t in TICKS if t >= bottom]
    ticks = probit(np.array(shown) / 100.0)
    labels_text = [f"{t:g}" for t in shown]
    ax.set_xticks(ticks, labels_text)
    ax.set_yticks(ticks, labels_text)
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_aspect("equal")
    ax.set_xlabel("false-alarm rate: different-speaker comparisons accepted (%)")
    ax.set_ylabel("miss rate: same-speaker comparisons rejected (%)")
