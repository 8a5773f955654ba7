"""Balanced logistic regression of several scores by Newton's method (calibration, fusion).

The model is log-odds = design @ theta; the two classes weigh equally (each half the
loss), so the fit minimises Cllr on its labelled data. The affine calibration is the
one-score case (design [s, 1]); a linear fusion of several systems is design [s_1 .. s_m, 1].
"""

from __future__ import annotations

import numpy as np

NEWTON_STEPS = 100
NEWTON_TOLERANCE = 1e-12


def balanced_loss(
    z: np.ndarray, sign: np.ndarray, weight: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """Weighted logistic loss (nats) of log-odds z, its derivative and curvature per trial."""
    loss = float((weight * np.logaddexp(0.0, -sign * z)).sum())
    p_wrong = np.exp(-np.logaddexp(0.0, sign * z))  # sigmoid(-sign * z), no overflow
    return loss, -sign * weight * p_wrong, weight * p_wrong * (1.0 - p_wrong)


def newton_logistic(
    design: np.ndarray, target: np.ndarray, ridge: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """Coefficients [m] minimising the balanced logistic loss plus ½ Σ ridge·theta².

    Newton steps with Armijo backtracking, so the objective never rises.

    Args:
        design: float64 [P, m] (a column of ones for the offset).
        target: bool [P], both classes present.
        ridge: float64 [m], the penalty of each coefficient (0: none).
        start: float64 [m], where to start.
    """
    sign = np.where(target, 1.0, -1.0)
    weight = np.where(target, 0.5 / target.sum(), 0.5 / (~target).sum())
    ridge = np.asarray(ridge, dtype=np.float64)
    eye = np.eye(design.shape[1])

    def objective(th: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        loss, d1, d2 = balanced_loss(design @ th, sign, weight)
        grad = design.T @ d1 + ridge * th
        hess = (design * d2[:, None]).T @ design + np.diag(ridge)
        return loss + 0.5 * float(ridge @ th**2), grad, hess

    theta = np.asarray(start, dtype=np.float64)
    loss, grad, hess = objective(theta)
    for _ in range(NEWTON_STEPS):
        step = -np.linalg.solve(hess + 1e-12 * eye, grad)
        decrement = float(-grad @ step)
        if decrement < NEWTON_TOLERANCE:
            break
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
    return theta
