"""Vectorised log-gamma for float64 arrays (NumPy has none; SciPy is not a dependency).

Arguments below `_SHIFT` are moved up with Gamma(x) = Gamma(x + 1) / x, then Stirling's series
with six correction terms gives a relative error below 1e-13 (checked against
``math.lgamma`` in the tests).
"""

from __future__ import annotations

import math

import numpy as np

_SHIFT = 15.0
_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
# Stirling's series coefficients B_2j / (2j (2j - 1)) for j = 1..6.
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360)


def lgamma(x: np.ndarray | float) -> np.ndarray:
    """ln Gamma(x) element-wise for positive finite x, float64."""
    z = np.array(x, dtype=np.float64, copy=True)
    correction = np.zeros_like(z)
    small = z < _SHIFT
    while small.any():
        correction[small] += np.log(z[small])
        z[small] += 1.0
        small = z < _SHIFT
    inverse = 1.0 / z
    inverse2 = inverse * inverse
    series = np.zeros_like(z)
    for coefficient in reversed(_STIRLING):
        series = series * inverse2 + coefficient
    series *= inverse
    return (z - 0.5) * np.log(z) - z + _HALF_LOG_2PI + series - correction


def log_beta(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """ln B(x, y) = ln Gamma(x) + ln Gamma(y) - ln Gamma(x + y), element-wise."""
    return lgamma(x) + lgamma(y) - lgamma(np.asarray(x) + np.asarray(y))
