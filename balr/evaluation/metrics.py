"""Speaker-verification error rates: EER and minimum detection cost.

A trial is accepted when its score is at or above the threshold. The threshold
sweeps every distinct score (identical scores form one step, so ties never
depend on the order of the trials) plus one point above the highest score:

- FRR (miss rate) is the share of target trials scored below the threshold;
- FAR (false-alarm rate) is the share of non-target trials at or above it.

The sweep starts at (FRR, FAR) = (0, 1) and ends at (1, 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def as_numpy(values: Any, dtype: type) -> np.ndarray:
    """`values` (array-like or torch tensor) as a flat NumPy array of `dtype`."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=dtype).reshape(-1)


def _check_scores(scores: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return scores as float64 and labels as bool, both 1-D and of one length."""
    s = as_numpy(scores, np.float64)
    y = as_numpy(labels, np.float64)
    if s.shape != y.shape:
        raise ValueError(f"scores and labels differ in length: {s.size} vs {y.size}")
    if not np.isfinite(s).all():
        raise ValueError("scores contain NaN or infinite values")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("labels must be 0/1 or booleans (1 = target trial)")
    target = y.astype(bool)
    if not target.any() or target.all():
        raise ValueError("error rates need at least one target and one non-target trial")
    return s, target


def error_rates(scores: Any, labels: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FRR and FAR at every threshold of the sweep (a DET curve).

    Args:
        scores: One score per trial, higher meaning "same speaker".
        labels: 1/True for target (same-speaker) trials, 0/False otherwise.

    Returns:
        ``(thresholds, frr, far)``, each of length ``U + 1`` for ``U`` distinct
        scores: the distinct scores in ascending order followed by ``+inf``.
        ``frr`` rises from 0 to 1 and ``far`` falls from 1 to 0.

    Raises:
        ValueError: Lengths differ, scores are not finite, labels are not 0/1,
            or one of the two classes is empty.
    """
    s, target = _check_scores(scores, labels)
    thresholds, inverse = np.unique(s, return_inverse=True)
    tar_at = np.bincount(inverse, weights=target, minlength=thresholds.size)
    non_at = np.bincount(inverse, weights=~target, minlength=thresholds.size)
    # Counts strictly below each threshold; the last entry (+inf) is below everything.
    tar_below = np.concatenate(([0.0], np.cumsum(tar_at)))
    non_below = np.concatenate(([0.0], np.cumsum(non_at)))
    frr = tar_below / tar_below[-1]
    far = 1.0 - non_below / non_below[-1]
    return np.append(thresholds, np.inf), frr, far


def compute_eer(scores: Any, labels: Any) -> float:
    """Equal error rate in percent.

    The EER is where FRR and FAR cross: between the last threshold with
    FRR < FAR and the next one, both rates are interpolated linearly and the
    point where they meet is returned.

    Args:
        scores: One score per trial, higher meaning "same speaker".
        labels: 1/True for target trials, 0/False for non-target trials.

    Returns:
        The EER in percent (0 to 100).
    """
    _, frr, far = error_rates(scores, labels)
    return eer_of_rates(frr, far)


def eer_of_rates(frr: np.ndarray, far: np.ndarray) -> float:
    """EER in percent of a threshold sweep: FRR rising from 0 to 1, FAR falling from 1 to 0.

    Both rates are interpolated linearly between the last threshold with FRR < FAR and
    the next one; the EER is where they meet.
    """
    diff = frr - far  # -1 at the first threshold, +1 at the last
    i = int(np.argmax(diff >= 0.0))
    if diff[i] == 0.0:
        return float(100.0 * frr[i])
    alpha = -diff[i - 1] / (diff[i] - diff[i - 1])
    return float(100.0 * (frr[i - 1] + alpha * (frr[i] - frr[i - 1])))


def compute_min_dcf(
    scores: Any, labels: Any, p_target: float, c_miss: float = 1.0, c_fa: float = 1.0
) -> float:
    """Minimum normalised detection cost over all thresholds.

    ``DCF(t) = c_miss * p_target * FRR(t) + c_fa * (1 - p_target) * FAR(t)``,
    divided by ``min(c_miss * p_target, c_fa * (1 - p_target))``, the cost of
    the better of "accept all" and "reject all". The result is at most 1.

    Args:
        scores: One score per trial, higher meaning "same speaker".
        labels: 1/True for target trials, 0/False for non-target trials.
        p_target: Prior probability of a target trial, in (0, 1).
        c_miss: Cost of rejecting a target trial.
        c_fa: Cost of accepting a non-target trial.

    Returns:
        The normalised minimum DCF (a fraction, not a percentage).
    """
    if not 0.0 < p_target < 1.0:
        raise ValueError(f"p_target must be in (0, 1), got {p_target}")
    if c_miss <= 0 or c_fa <= 0:
        raise ValueError(f"costs must be positive, got c_miss={c_miss}, c_fa={c_fa}")
    _, frr, far = error_rates(scores, labels)
    dcf = c_miss * p_target * frr + c_fa * (1.0 - p_target) * far
    return float(dcf.min() / min(c_miss * p_target, c_fa * (1.0 - p_target)))
