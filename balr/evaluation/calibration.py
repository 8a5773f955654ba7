"""Likelihood-ratio quality: Cllr, Cllr_min (PAV), empirical cross-entropy, calibration.

All LLRs are natural logs; Cllr and cross-entropies are in bits.

- ``cllr`` = ½ [mean over targets of log2(1 + e^-LLR) + mean over non-targets of
  log2(1 + e^LLR)]: 0 is perfect, 1 is an uninformative system (LLR ≡ 0).
- ``cllr_min``: the Cllr of the scores after the best monotonic recalibration, the
  pool-adjacent-violators (PAV) transform (:func:`pav_llrs`). It depends only on the
  order of the scores (ties count as one value), so any score works, not only LLRs.
- ``cllr_cal`` = ``cllr`` - ``cllr_min``: what calibration could still gain.

:class:`Calibration` is the affine map LLR' = a·s + b fitted by logistic regression
with both classes weighted equally, which minimises Cllr on its labelled scores.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

from balr.data.atomic import atomic_path
from balr.errors import CalibrationError
from balr.evaluation.metrics import _as_numpy, compute_eer, compute_min_dcf
from balr.evaluation.scoring import DEFAULT_P_TARGETS

CALIBRATION_KIND = "affine"
# Ridge on the slope of the standardised scores: keeps the fit finite when the classes
# are separable (slope ~ ln(1/ridge) / margin) and moves ordinary fits by ~1e-6 bits.
_RIDGE = 1e-6
_NEWTON_STEPS = 100
_NEWTON_TOLERANCE = 1e-12
# Vectorised PAV passes before the stack finishes the job (each pass is one NumPy sweep).
_PAV_PASSES = 30


def _check(values: Any, labels: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Return values as float64 and labels as bool (1-D, one length, both classes, finite)."""
    s = _as_numpy(values, np.float64)
    if not np.isfinite(s).all():
        raise ValueError(f"{what} contain NaN or infinite values")
    return s, _check_labels(labels, s.size, what)


def _check_labels(labels: Any, size: int, what: str) -> np.ndarray:
    """Labels as bool [size], both classes present."""
    y = _as_numpy(labels, np.float64)
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
    s, target = _check(llrs, labels, "LLRs")
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
    s = _as_numpy(llrs, np.float64)
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


def _pav_blocks(
    targets: np.ndarray, totals: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pool adjacent violators on per-value counts: (targets, totals, width) per final block.

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
    s, target = _check(scores, labels, "scores")
    values, inverse = np.unique(s, return_inverse=True)
    targets = np.bincount(inverse, weights=target, minlength=values.size).astype(np.int64)
    totals = np.bincount(inverse, minlength=values.size).astype(np.int64)
    tar, tot, width = _pav_blocks(targets, totals)
    block_tar = tar.astype(np.float64)
    block_non = (tot - tar).astype(np.float64)
    n_target = float(target.sum())
    prior_log_odds = math.log(n_target) - math.log(target.size - n_target)
    with np.errstate(divide="ignore"):
        block_llr = np.log(block_tar) - np.log(block_non) - prior_log_odds
    return np.repeat(block_llr, width)[inverse.reshape(-1)]


def cllr_min(scores: Any, labels: Any) -> float:
    """Cllr (bits) after the PAV recalibration of the scores: the best a monotonic map reaches.

    Args:
        scores: One finite score per trial (LLRs or any score, higher = same speaker).
        labels: 1/True for target trials, 0/False for non-target trials.
    """
    llrs = pav_llrs(scores, labels)
    return _cross_entropy(llrs, _as_numpy(labels, np.float64).astype(bool), 0.0)


def llr_metrics(llrs: Any, labels: Any) -> dict[str, float]:
    """Every metric of a labelled set of LLRs, with flat CSV/JSON-friendly keys.

    Returns:
        ``eer`` (percent), ``min_dcf_0.01``, ``min_dcf_0.05``, ``cllr``, ``cllr_min``,
        ``cllr_cal`` (= ``cllr`` - ``cllr_min``, bits), ``n_target``, ``n_nontarget``.
    """
    s, target = _check(llrs, labels, "LLRs")
    metrics: dict[str, float] = {"eer": compute_eer(s, target)}
    for p_target in DEFAULT_P_TARGETS:
        metrics[f"min_dcf_{p_target:g}"] = compute_min_dcf(s, target, p_target)
    metrics["cllr"] = cllr(s, target)
    metrics["cllr_min"] = cllr_min(s, target)
    metrics["cllr_cal"] = metrics["cllr"] - metrics["cllr_min"]
    metrics["n_target"] = int(target.sum())
    metrics["n_nontarget"] = int((~target).sum())
    return metrics


def _balanced_loss(
    z: np.ndarray, sign: np.ndarray, weight: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Weighted logistic loss (nats) of log-odds z, its derivative and curvature per trial."""
    loss = float((weight * np.logaddexp(0.0, -sign * z)).sum())
    p_wrong = np.exp(-np.logaddexp(0.0, sign * z))  # sigmoid(-sign * z), no overflow
    return loss, -sign * weight * p_wrong, weight * p_wrong * (1.0 - p_wrong)


def _fit_affine(x: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """Newton's method (with backtracking) for slope and offset of standardised scores x."""
    sign = np.where(target, 1.0, -1.0)
    weight = np.where(target, 0.5 / target.sum(), 0.5 / (~target).sum())
    design = np.stack([x, np.ones_like(x)], axis=1)
    theta = np.zeros(2)

    def objective(th: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        loss, d1, d2 = _balanced_loss(design @ th, sign, weight)
        grad = design.T @ d1 + np.array([_RIDGE * th[0], 0.0])
        hess = (design * d2[:, None]).T @ design + np.diag([_RIDGE, 0.0])
        return loss + 0.5 * _RIDGE * th[0] ** 2, grad, hess

    loss, grad, hess = objective(theta)
    for _ in range(_NEWTON_STEPS):
        step = -np.linalg.solve(hess + 1e-12 * np.eye(2), grad)
        decrement = float(-grad @ step)
        if decrement < _NEWTON_TOLERANCE:
            return float(theta[0]), float(theta[1])
        size = 1.0
        while size > 1e-10:  # Armijo backtracking: the loss must drop
            trial = objective(theta + size * step)
            if trial[0] <= loss - 0.25 * size * decrement:
                break
            size *= 0.5
        else:
            break  # no descent left at machine precision
        theta = theta + size * step
        loss, grad, hess = trial
    return float(theta[0]), float(theta[1])


@dataclass
class Calibration:
    """Affine LLR calibration: LLR' = a * s + b."""

    a: float  # slope: multiplies the raw score
    b: float  # offset, natural-log units

    @classmethod
    def fit(cls, scores: Any, labels: Any) -> Calibration:
        """Fit by logistic regression with both classes weighted equally (minimises Cllr).

        The scores are standardised first and a tiny ridge (1e-6) is put on the slope
        there, so separable scores give a large but finite slope instead of diverging.

        Args:
            scores: Labelled dev scores (raw LLRs or any score), finite.
            labels: 1/True for target trials, 0/False for non-target trials.

        Raises:
            ValueError: Not finite, not 0/1 labels, or a class is missing.
        """
        s, target = _check(scores, labels, "calibration scores")
        center = float(s.mean())
        scale = float(s.std()) or 1.0
        slope, offset = _fit_affine((s - center) / scale, target)
        return cls(a=slope / scale, b=offset - slope * center / scale)

    def apply(self, scores: Any) -> np.ndarray:
        """Calibrated natural-log LLRs (float64) of raw scores."""
        return self.a * _as_numpy(scores, np.float64) + self.b

    def save(self, path: Path, **extra: Any) -> None:
        """Write ``path`` (JSON, atomically): kind, a, b and `extra` (e.g. Cllr before/after)."""
        clash = sorted({"kind", "a", "b"} & extra.keys())
        if clash:
            raise ValueError(f"extra keys clash with the calibration's own: {clash}")
        record = {"kind": CALIBRATION_KIND, "a": float(self.a), "b": float(self.b)}
        record |= {key: _plain(value) for key, value in extra.items()}
        with atomic_path(Path(path)) as tmp:
            tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Read a file written by :meth:`save`.

        Raises:
            CalibrationError: The file is missing, not JSON or lacks finite ``a`` and ``b``.
        """
        fix = "pass a calibration.json written by `balr score calibrate`"
        try:
            record = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
            reason = getattr(err, "strerror", None) or type(err).__name__
            raise CalibrationError(f"{path}: cannot read calibration ({reason}); {fix}") from err
        if not isinstance(record, dict) or record.get("kind") != CALIBRATION_KIND:
            raise CalibrationError(f"{path}: not a balr calibration file; {fix}")
        a, b = record.get("a"), record.get("b")
        if not (_is_finite_number(a) and _is_finite_number(b)):
            raise CalibrationError(f"{path}: 'a' and 'b' must be finite numbers; {fix}")
        return cls(a=float(a), b=float(b))


def _is_finite_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as JSON-ready Python values."""
    if isinstance(value, np.generic | np.ndarray):
        return value.tolist()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value
