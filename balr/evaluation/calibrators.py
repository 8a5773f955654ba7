"""The maps from raw scores to calibrated LLRs: affine (logistic) and bi-Gaussianized.

- :func:`fit_logistic`: LLR = a s + b by logistic regression with both classes weighted
  equally, which minimises Cllr on the labelled scores.
- :class:`BiGaussMap` (Morrison 2024): q = a s + b from the logistic fit, then
  LLR = F^-1(ECDF(q)), with ECDF the class-balanced ECDF of the calibration q's (each
  same-speaker point 1 / (2 (N1 + 1)), each different-speaker one 1 / (2 (N0 + 1)), linear
  between points, clamped at the ends) and F the distribution of a perfectly calibrated
  two-Gaussian LLR whose variance gives the Cllr of q. Monotone; never beyond the LLRs of
  the most extreme calibration points.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from balr.evaluation.logistic import newton_logistic

# Ridge on the slope of the standardised scores: keeps the fit finite when the classes
# are separable (slope ~ ln(1/ridge) / margin) and moves ordinary fits by ~1e-6 bits.
_RIDGE = 1e-6
# Cllr -> sigma^2 of the perfectly calibrated two-Gaussian model (Morrison 2024's
# approximate inverse of Cllr(sigma^2)); it holds for Cllr above e^-17.67.
_CLLR_A, _CLLR_B = 17.6654, 0.0093338
_CLLR_FLOOR = 1e-7
# F is tabulated over +-(sigma^2 / 2 + 12 sigma): beyond, F < 1e-32 (ECDFs never get there).
_TABLE_POINTS = 20_001
_TABLE_SIGMAS = 12.0


def _newton(x: np.ndarray, target: np.ndarray, ridge: float, start: np.ndarray) -> np.ndarray:
    """Newton's method (with backtracking) for slope and offset of x; the loss never rises."""
    design = np.stack([x, np.ones_like(x)], axis=1)
    return newton_logistic(design, target, np.array([ridge, 0.0]), start)


def balanced_cllr(llrs: np.ndarray, target: np.ndarray) -> float:
    """Cllr (bits) of natural-log LLRs; no input checks (callers have checked)."""
    tar = np.logaddexp(0.0, -llrs[target]).mean()
    non = np.logaddexp(0.0, llrs[~target]).mean()
    return float((tar + non) / (2 * math.log(2.0)))


def fit_logistic(scores: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """Slope a and offset b of the balanced logistic regression of finite scores.

    The scores are standardised and a first fit puts a tiny ridge on the slope there, so
    separable scores cannot send it far. On near-separable scores that ridge stops short of
    the optimum (even of the identity map on good LLRs), so Newton then continues without
    it from the better of that fit and the identity: the loss never rises, and the result
    never has a higher Cllr on these scores than the scores themselves.
    """
    center = float(scores.mean())
    scale = float(scores.std()) or 1.0
    x = (scores - center) / scale
    ridged = _newton(x, target, _RIDGE, np.zeros(2))
    identity = np.array([scale, center])  # s = scale * x + center
    start = min((ridged, identity), key=lambda th: balanced_cllr(th[0] * x + th[1], target))
    slope, offset = _newton(x, target, 0.0, start)
    return float(slope / scale), float(offset - slope * center / scale)


def sigma2_of_cllr(value: float) -> float:
    """Variance of the perfectly calibrated two-Gaussian LLR model with this Cllr (bits)."""
    value = min(max(value, _CLLR_FLOOR), 1.0)
    return max(-math.log(math.log(value) / _CLLR_A + 1.0) / _CLLR_B, 1e-9)


@lru_cache(maxsize=8)
def _mixture_table(sigma2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, log F(x) and -log(1 - F(x)) of F = ½ N(-σ²/2, σ²) + ½ N(σ²/2, σ²) on a grid."""
    sigma, mean = math.sqrt(sigma2), sigma2 / 2
    reach = mean + _TABLE_SIGMAS * sigma
    x = np.linspace(-reach, reach, _TABLE_POINTS)
    root2 = sigma * math.sqrt(2.0)

    def erfc(values: np.ndarray) -> np.ndarray:
        return np.array([math.erfc(v) for v in values.tolist()], dtype=np.float64)

    # Each tail from erfc directly, so neither loses its digits to 1 - F.
    low = 0.25 * (erfc(-(x + mean) / root2) + erfc(-(x - mean) / root2))
    high = 0.25 * (erfc((x + mean) / root2) + erfc((x - mean) / root2))
    with np.errstate(divide="ignore"):
        return x, np.log(low), -np.log(high)


def mixture_ppf(p: np.ndarray, sigma2: float) -> np.ndarray:
    """F^-1(p) for probabilities 0 < p < 1 (float64), F as in :func:`_mixture_table`."""
    x, log_low, log_high = _mixture_table(float(sigma2))
    p = np.asarray(p, dtype=np.float64)
    lower = p <= 0.5
    out = np.empty_like(p)
    with np.errstate(divide="ignore"):
        out[lower] = np.interp(np.log(p[lower]), log_low, x)
        out[~lower] = np.interp(-np.log1p(-p[~lower]), log_high, x)
    return out


@dataclass(frozen=True, eq=False)
class BiGaussMap:
    """q -> F^-1(ECDF(q)): the second stage of bi-Gaussianized calibration.

    Attributes:
        sigma2: variance of the two Gaussians of F (natural-log LLR units squared).
        knots: float64 [M], the distinct calibration q's, ascending.
        ecdf: float64 [M], the class-balanced ECDF at each knot (0 < ecdf < 1, rising).
    """

    sigma2: float
    knots: np.ndarray
    ecdf: np.ndarray

    @classmethod
    def fit(cls, q: np.ndarray, target: np.ndarray) -> BiGaussMap:
        """ECDF knots and sigma^2 from the affine-calibrated LLRs q of the calibration data."""
        n1, n0 = int(target.sum()), int((~target).sum())
        weight = np.where(target, 0.5 / (n1 + 1), 0.5 / (n0 + 1))
        knots, inverse = np.unique(q, return_inverse=True)
        mass = np.bincount(inverse.reshape(-1), weights=weight, minlength=knots.size)
        return cls(sigma2_of_cllr(balanced_cllr(q, target)), knots, np.cumsum(mass))

    def __call__(self, q: np.ndarray) -> np.ndarray:
        """Calibrated natural-log LLRs of affine-calibrated q (np.interp clamps the ends)."""
        return mixture_ppf(np.interp(q, self.knots, self.ecdf), self.sigma2)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BiGaussMap):
            return NotImplemented
        return (
            self.sigma2 == other.sigma2
            and np.array_equal(self.knots, other.knots)
            and np.array_equal(self.ecdf, other.ecdf)
        )

    __hash__ = None  # type: ignore[assignment]
