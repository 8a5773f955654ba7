"""Likelihood-ratio quality: Cllr, Cllr_min (PAV), empirical cross-entropy.

All LLRs are natural logs; Cllr and cross-entropies are in bits.

- ``cllr`` = ½ [mean over targets of log2(1 + e^-LLR) + mean over non-targets of
  log2(1 + e^LLR)]: 0 is perfect, 1 is an uninformative system (LLR ≡ 0).
- ``cllr_min``: the Cllr of the scores after the best monotonic recalibration, the
  pool-adjacent-violators (PAV) transform (:func:`pav_llrs`). It depends only on the
  order of the scores (ties count as one value), so any score works, not only LLRs.
- ``cllr_cal`` = ``cllr`` - ``cllr_min``: what calibration could still gain.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from balr.evaluation.metrics import as_numpy, compute_eer, compute_min_dcf
from balr.evaluation.scoring import DEFAULT_P_TARGETS

# Vectorised PAV passes before the stack finishes the job (each pass is one NumPy sweep).
_PAV_PASSES = 30


def check_labelled(values: Any, labels: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Return values as float64 and labels as bool (1-D, one length, both classes, finite)."""
    s = as_numpy(values, np.float64)
    if not np.isfinite(s).all():
        raise ValueError(f"{what} contain NaN or infinite values")
    return s, _check_labels(labels, s.size, what)


def _check_labels(labels: Any, size: int, what: str) -> np.ndarray:
    """Labels as bool [size], both classes present."""
    y = as_numpy(labels, np.float64)
    if y.size != size:
        raise ValueError(f"{what} and labels differ in length: {size} vs {y.size}")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("labels must be 0/1 or booleans (1 = target trial)")
    target = y.astype(bool)
    if not target.any() or target.all():
        raise ValueError(f"{what} need at least one target and one non-target trial")
    return target


def _cross_entropy(llrs: np.ndarray, target: np.ndarray, prior_log_odds: float) -> float:
    """Bits per trial at one prior; LLRs may be +/-inf on the side that costs nothing."""
    with np.errstate(invalid="ignore"):
        tar = np.logaddexp(0.0, -(llrs[target] + prior_log_odds)).mean()
        non = np.logaddexp(0.0, llrs[~target] + prior_log_odds).mean()
    p_target = 1.0 / (1.0 + math.exp(-prior_log_odds))
    return float((p_target * tar + (1.0 - p_target) * non) / math.log(2.0))


def cllr(llrs: Any, labels: Any) -> float:
    """Log-likelihood-ratio cost in bits.

    Args:
        llrs: One natural-log LLR per trial (finite; any magnitude, no overflow).
        labels: 1/True for target (same-speaker) trials, 0/False otherwise.

    Returns:
        Cllr in bits: 0 for a perfect system, exactly 1 for LLR ≡ 0.

    Raises:
        ValueError: Lengths differ, LLRs are not finite, labels are not 0/1, or
            one of the two classes is empty.
    """
    s, target = check_labelled(llrs, labels, "LLRs")
    return _cross_entropy(s, target, 0.0)


def empirical_cross_entropy(llrs: Any, labels: Any, prior_log_odds: Any) -> np.ndarray:
    """Empirical cross-entropy (bits) of LLRs used with each prior.

    ECE(θ) = P·mean_tar log2(1 + e^-(LLR+θ)) + (1-P)·mean_non log2(1 + e^(LLR+θ)) with
    P = 1/(1 + e^-θ); at θ = 0 it equals :func:`cllr`. LR ≡ 1 (LLR ≡ 0) gives the
    entropy of the prior, the reference a useful system stays below.

    Args:
        llrs: Natural-log LLRs per trial; +/-inf allowed where they cost nothing
            (the output of :func:`pav_llrs`).
        labels: 1/True for target trials, 0/False for non-target trials.
        prior_log_odds: Natural-log prior odds θ of a target trial, one or many.

    Returns:
        float64 array of the shape of ``prior_log_odds``.
    """
    s = as_numpy(llrs, np.float64)
    if np.isnan(s).any():
        raise ValueError("LLRs contain NaN")
    target = _check_labels(labels, s.size, "LLRs")
    thetas = np.asarray(prior_log_odds, dtype=np.float64)
    values = [_cross_entropy(s, target, float(t)) for t in thetas.reshape(-1)]
    return np.array(values, dtype=np.float64).reshape(thetas.shape)


def _pav_stack(
    targets: np.ndarray, totals: np.ndarray, widths: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pool adjacent violators with a stack, one block at a time (linear time, in Python)."""
    tar: list[int] = []
    tot: list[int] = []
    width: list[int] = []
    for t, n, w in zip(targets.tolist(), totals.tolist(), widths.tolist(), strict=True):
        tar.append(t)
        tot.append(n)
        width.append(w)
        # Merge while the previous block's target share is not below this one's.
        while len(tar) > 1 and tar[-2] * tot[-1] >= tar[-1] * tot[-2]:
            t1, n1, w1 = tar.pop(), tot.pop(), width.pop()
            tar[-1] += t1
            tot[-1] += n1
            width[-1] += w1
    return np.array(tar, np.int64), np.array(tot, np.int64), np.array(width, np.int64)


def pav_blocks(
    targets: np.ndarray, totals: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pool adjacent violators on per-value counts: (targets, totals, width) per final block.

    `targets` and `totals` are the same-speaker and all comparisons at each distinct value,
    ascending (counts, or integer-valued weights); `width` is how many values a block pools.
    Vectorised passes pool every run of adjacent blocks whose target share does not rise
    (any order of pooling violators reaches the same, unique, solution); the few inputs
    that would need many passes are finished by the stack. Shares are compared as exact
    integer cross products.
    """
    widths = np.ones(targets.size, dtype=np.int64)
    for _ in range(_PAV_PASSES):
        violates = targets[:-1] * totals[1:] >= targets[1:] * totals[:-1]
        if not violates.any():
            return targets, totals, widths
        starts = np.concatenate(([0], np.flatnonzero(~violates) + 1))
        targets = np.add.reduceat(targets, starts)
        totals = np.add.reduceat(totals, starts)
        widths = np.add.reduceat(widths, starts)
    return _pav_stack(targets, totals, widths)


def pav_llrs(scores: Any, labels: Any) -> np.ndarray:
    """LLRs of the best monotonic (non-decreasing) recalibration of the scores.

    Equal scores form one value (their trials are pooled, so the result never depends
    on the order of tied trials); PAV on the share of targets per value gives the
    posterior of a target, and its log-odds minus the log prior odds of this set
    (n_target / n_nontarget) is the LLR.

    The two ends may be infinite: a lowest block without targets gets -inf and a highest
    block without non-targets +inf. They are kept exact (no clipping): such a trial is
    correctly and certainly classified, costs exactly 0 in Cllr and cross-entropy, so
    :func:`cllr_min` stays finite.

    Args:
        scores: One finite score per trial, higher meaning "same speaker".
        labels: 1/True for target trials, 0/False for non-target trials.

    Returns:
        float64 [T] natural-log LLRs in trial order, non-decreasing in the score.
    """
    s, target = check_labelled(scores, labels, "scores")
    values, inverse = np.unique(s, return_inverse=True)
    targets = np.bincount(inverse, weights=target, minlength=values.size).astype(np.int64)
    totals = np.bincount(inverse, minlength=values.size).astype(np.int64)
    tar, tot, width = pav_blocks(targets, totals)
    return np.repeat(block_llrs(tar, tot), width)[inverse.reshape(-1)]


def block_llrs(targets: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Natural-log LLR of each PAV block: its log odds of a same-speaker comparison minus the
    prior log odds of all blocks together; -inf / +inf for a block without same / different-
    speaker comparisons."""
    tar = targets.astype(np.float64)
    non = (totals - targets).astype(np.float64)
    prior_log_odds = math.log(tar.sum()) - math.log(non.sum())
    with np.errstate(divide="ignore"):
        return np.log(tar) - np.log(non) - prior_log_odds


def cllr_min(scores: Any, labels: Any) -> float:
    """Cllr (bits) after the PAV recalibration of the scores: the best a monotonic map reaches.

    Args:
        scores: One finite score per trial (LLRs or any score, higher = same speaker).
        labels: 1/True for target trials, 0/False for non-target trials.
    """
    llrs = pav_llrs(scores, labels)
    return _cross_entropy(llrs, as_numpy(labels, np.float64).astype(bool), 0.0)


def llr_metrics(llrs: Any, labels: Any) -> dict[str, float]:
    """Every metric of a labelled set of LLRs, with flat CSV/JSON-friendly keys.

    Returns:
        ``eer`` (percent), ``min_dcf_0.01``, ``min_dcf_0.05``, ``cllr``, ``cllr_min``,
        ``cllr_cal`` (= ``cllr`` - ``cllr_min``, bits), ``n_target``, ``n_nontarget``.
    """
    s, target = check_labelled(llrs, labels, "LLRs")
    metrics: dict[str, float] = {"eer": compute_eer(s, target)}
    for p_target in DEFAULT_P_TARGETS:
        metrics[f"min_dcf_{p_target:g}"] = compute_min_dcf(s, target, p_target)
    metrics["cllr"] = cllr(s, target)
    metrics["cllr_min"] = cllr_min(s, target)
    metrics["cllr_cal"] = metrics["cllr"] - metrics["cllr_min"]
    metrics["n_target"] = int(target.sum())
    metrics["n_nontarget"] = int((~target).sum())
    return metrics
