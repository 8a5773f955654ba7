"""Beta-Bernoulli scorer (the default): each speaker has a rate p_i ~ Beta(alpha_i, beta_i).

    LLR_i = lnB(alpha + a_e + a_t, beta + n_e + n_t) + lnB(alpha, beta)
            - lnB(alpha + a_e, beta + n_e) - lnB(alpha + a_t, beta + n_t)

Fit, per attribute (never one global precision, so one attribute cannot spoil another):

1. Start: mean E = mean over speakers of their share of recordings with the attribute;
   precision A = alpha + beta from the moments corrected for the binomial noise of speakers
   with few recordings: with r = Var(p_hat) / (E(1-E)) (ddof 1) and h = mean of 1/N_s,
   A = (1 - r) / (r - h). An attribute whose speakers differ no more than that noise
   gets the largest precision, one whose speakers look deterministic the smallest.
   When a precision of a log grid over the allowed range (same mean) has a higher
   likelihood, the fit starts there instead.
2. Minka's fixed-point iteration on (alpha, beta), until the largest change of ln alpha,
   ln beta is below `tol` or after `n_iterations` steps (both reported). Alone it can
   crawl for 10^5 steps along flat ridges of the likelihood (few speakers, or near-
   deterministic attributes), so each step also tries the same move taken 8 times as far
   and a Newton step, and keeps whichever raises the likelihood most (the fixed point
   when none does better). The precision is kept in [min_precision, max_precision]
   after every step: at either end the likelihood is flat and the plain iteration
   drifts forever (to 0 for near-deterministic attributes).
3. One recording per speaker: the precision is not identifiable (a single recording's
   likelihood depends on the mean only), so every attribute gets A = `prior_precision`
   and alpha = E*A, beta = (1-E)*A, which is also the fixed point of step 2 for such data.

The digamma and trigamma sums and the log-likelihood are evaluated exactly in Minka's
counting form (`_Tables`): no special functions, cost k x (largest count) per step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from balr.scoring.base import FitReport, Scorer, ScorerError
from balr.scoring.counts import Counts
from balr.scoring.special import lgamma

# Smallest alpha or beta kept (keeps ln Gamma finite whatever the reference).
_FLOOR = 1e-8
# Largest count held in the counting tables (k x 4096 floats each); the rare speakers with
# more recordings are handled by asymptotic series (`_Counting`).
TABLE_COUNTS = 4096  # at least 64: the series are exact to rounding from there


class BetaScorer(Scorer):
    """Beta-Bernoulli LLR scorer.

    Args:
        n_iterations: maximum fixed-point steps of the fit.
        tol: stop when no ln alpha or ln beta changes by more than this in a step.
        min_speakers: attributes shown (or lacked) by fewer reference speakers are excluded.
        min_precision: smallest alpha + beta allowed.
        max_precision: largest alpha + beta allowed.
        prior_precision: alpha + beta used when the reference has one recording per speaker.
    """

    name = "beta"
    parameter_names = ("alpha", "beta")

    def __init__(
        self,
        n_iterations: int = 1000,
        tol: float = 1e-6,
        min_speakers: int = 2,
        min_precision: float = 1e-2,
        max_precision: float = 1e4,
        prior_precision: float = 1.0,
    ) -> None:
        super().__init__(min_speakers)
        if not 0 < min_precision <= prior_precision <= max_precision:
            raise ScorerError(
                f"precisions must satisfy 0 < min_precision ({min_precision}) <= prior_precision"
                f" ({prior_precision}) <= max_precision ({max_precision}): fix scorer settings"
            )
        if n_iterations < 0 or not tol > 0:
            raise ScorerError("n_iterations must be >= 0 and tol > 0: fix the scorer settings")
        self.n_iterations = int(n_iterations)
        self.tol = float(tol)
        self.min_precision = float(min_precision)
        self.max_precision = float(max_precision)
        self.prior_precision = float(prior_precision)
        self.alpha = np.zeros(0)
        self.beta = np.zeros(0)

    def parameters(self) -> dict[str, np.ndarray]:
        """alpha and beta, float64 [k] (1.0 where excluded)."""
        return {"alpha": self.alpha, "beta": self.beta}

    def set_parameters(self, arrays: dict[str, np.ndarray]) -> None:
        """Install alpha and beta."""
        self.alpha = np.asarray(arrays["alpha"], dtype=np.float64)
        self.beta = np.asarray(arrays["beta"], dtype=np.float64)
        self._table = None
        self._form = None

    def in_range(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """Finite alpha > 0 and beta > 0 (the shapes of a beta distribution)."""
        return super().in_range(arrays) & (arrays["alpha"] > 0) & (arrays["beta"] > 0)

    def _from_torch(
        self, state: dict[str, np.ndarray], path: Path
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        alpha = state["alpha"]
        if alpha.ndim != 2 or alpha.shape[1] != 2:
            raise ScorerError(
                f"{path}: alpha has shape {alpha.shape}, expected (attributes, 2): give a beta"
                " scorer file"
            )
        valid = np.isfinite(alpha).all(axis=1) & (alpha > 0).all(axis=1)
        neutral = np.where(valid[:, None], alpha, 1.0)
        # Column 0 is the active state (BA-LR 2.0's one-hot [b, 1-b] layout).
        return {"alpha": neutral[:, 0].copy(), "beta": neutral[:, 1].copy()}, valid

    def _fit(self, counts: Counts, keep: np.ndarray) -> FitReport:
        active = counts.active[:, keep].astype(np.float64)
        total = counts.total[:, keep].astype(np.float64)
        alpha, beta = np.ones(self.n_attributes), np.ones(self.n_attributes)
        notes: list[str] = []
        if not keep.any():
            a, b = np.ones(0), np.ones(0)
            report = FitReport(True, 0, 0.0)
        elif (total <= 1).all():
            mean = active.mean(axis=0)
            a, b = self._clip(mean * self.prior_precision, (1 - mean) * self.prior_precision)
            report = FitReport(True, 0, 0.0)
            notes.append(
                "every reference speaker has one recording: alpha + beta is not identifiable,"
                f" prior_precision={self.prior_precision:g} is used for every attribute"
            )
        else:
            a, b = self._moment_start(active, total)
            a, b, report = self._iterate(a, b, counts.active[:, keep], counts.inactive[:, keep])
            if not report.converged:
                notes.append(
                    f"not converged after {report.iterations} steps (largest change of ln alpha,"
                    f" ln beta: {report.max_change:.3g} > tol={self.tol:g}): raise n_iterations"
                )
        alpha[keep], beta[keep] = a, b
        self.alpha, self.beta = alpha, beta
        report.notes = notes
        return report

    def _moment_start(self, active: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        share = active / total
        mean = share.mean(axis=0)
        spread = mean * (1 - mean)
        ratio = share.var(axis=0, ddof=1) / spread
        noise = (1.0 / total[:, 0]).mean()
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = (1.0 - ratio) / (ratio - noise)
        precision = np.where(ratio <= noise, self.max_precision, precision)
        precision = np.where(ratio >= 1.0, self.min_precision, precision)
        return self._clip(mean * precision, (1 - mean) * precision)

    def _clip(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(alpha, beta) rescaled so that alpha + beta is in range, each above the floor."""
        precision = a + b
        scale = np.clip(precision, self.min_precision, self.max_precision) / precision
        return np.maximum(a * scale, _FLOOR), np.maximum(b * scale, _FLOOR)

    def _iterate(
        self, a: np.ndarray, b: np.ndarray, active: np.ndarray, inactive: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, FitReport]:
        tables = _Tables(active, inactive)
        a, b = self._grid_start(tables, a, b)
        change = float("inf")
        for step in range(1, self.n_iterations + 1):
            new_a, new_b = self._step(tables, a, b)
            change = float(max(np.abs(np.log(new_a / a)).max(), np.abs(np.log(new_b / b)).max()))
            a, b = new_a, new_b
            if change < self.tol:
                return a, b, FitReport(True, step, change)
        return a, b, FitReport(self.n_iterations == 0 and len(a) == 0, self.n_iterations, change)

    def _grid_start(
        self, tables: _Tables, a: np.ndarray, b: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The moment start, or a better-scoring precision of a log grid at the same mean.

        Moments can land on the far side of a flat ridge (e.g. at the largest precision
        when the optimum is near 5), where no local step gets out quickly.
        """
        mean = a / (a + b)
        grid = np.geomspace(self.min_precision, self.max_precision, 25)
        candidates = [(a, b)] + [self._clip(mean * g, (1 - mean) * g) for g in grid]
        scores = np.stack([tables.log_likelihood(*c) for c in candidates])
        best = np.argmax(scores, axis=0)
        return np.choose(best, [c[0] for c in candidates]), np.choose(
            best, [c[1] for c in candidates]
        )

    def _step(self, tables: _Tables, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step: the best (highest likelihood) of three candidates, per attribute.

        Minka's fixed point (never lowers the likelihood), the same step taken 8 times
        as far (crosses the long plateaus where the fixed point crawls), and a Newton
        step on (ln alpha, ln beta) (quadratic convergence near the optimum).
        """
        h1, h1sq = tables.active.sums(a)
        h0, h0sq = tables.inactive.sums(b)
        hn, hnsq = tables.total.sums(a + b)
        fixed = self._clip(a * h1 / hn, b * h0 / hn)
        stretched = self._clip(a * (fixed[0] / a) ** 8, b * (fixed[1] / b) ** 8)
        # Gradient and Hessian of the log-likelihood in (x, y) = (ln alpha, ln beta).
        gx, gy = a * (h1 - hn), b * (h0 - hn)
        hxx = a * a * (hnsq - h1sq) + gx
        hyy = b * b * (hnsq - h0sq) + gy
        hxy = a * b * hnsq
        det = hxx * hyy - hxy * hxy
        concave = (hxx < 0) & (det > 0)
        safe = np.where(concave, det, 1.0)
        dx = np.where(concave, -(hyy * gx - hxy * gy) / safe, 0.0)
        dy = np.where(concave, -(hxx * gy - hxy * gx) / safe, 0.0)
        shrink = np.minimum(1.0, 2.0 / np.maximum(np.maximum(np.abs(dx), np.abs(dy)), 1e-300))
        newton = self._clip(a * np.exp(dx * shrink), b * np.exp(dy * shrink))
        candidates = [fixed, stretched, newton]
        scores = np.stack([tables.log_likelihood(*c) for c in candidates])
        best = np.argmax(scores, axis=0)  # ties keep the fixed point
        new_a = np.choose(best, [c[0] for c in candidates])
        new_b = np.choose(best, [c[1] for c in candidates])
        return new_a, new_b

    def _contributions(self, enroll: Counts, test: Counts) -> np.ndarray:
        alpha, beta = self.alpha, self.beta
        a_e, n_e = enroll.active, enroll.inactive
        a_t, n_t = test.active, test.inactive
        return (
            _log_rising_beta(alpha, beta, a_e + a_t, n_e + n_t)
            - _log_rising_beta(alpha, beta, a_e, n_e)
            - _log_rising_beta(alpha, beta, a_t, n_t)
        )


def _log_rising_beta(
    alpha: np.ndarray, beta: np.ndarray, a: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """lnB(alpha + a, beta + n) - lnB(alpha, beta), element-wise over [P, k] counts."""
    base = lgamma(alpha) + lgamma(beta) - lgamma(alpha + beta)
    return lgamma(alpha + a) + lgamma(beta + n) - lgamma(alpha + beta + a + n) - base


class _Tables:
    """The reference in Minka's counting form, per state (active, inactive, total)."""

    def __init__(self, active: np.ndarray, inactive: np.ndarray) -> None:
        self.active = _Counting(active)
        self.inactive = _Counting(inactive)
        self.total = _Counting(active + inactive)

    def log_likelihood(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Per attribute: sum over speakers of ln B(a + x1, b + x0) - ln B(a, b)."""
        return self.active.log_sum(a) + self.inactive.log_sum(b) - self.total.log_sum(a + b)


class _Counting:
    """Counts x_s [S, k] of one state as c_j, the speakers whose count exceeds j.

    sum_s [psi(x_s + z) - psi(z)] = sum_j c_j / (z + j); the trigamma analogue uses
    1 / (z + j)^2, and sum_s [lnGamma(x_s + z) - lnGamma(z)] = sum_j c_j ln(z + j): exact,
    no special function, cost k x (largest count). The table stops at `TABLE_COUNTS`;
    the few speakers with more recordings add the rest of their sums from asymptotic
    series (their arguments are >= TABLE_COUNTS, where the series are exact to rounding),
    so one huge "speaker" cannot blow memory up.
    """

    def __init__(self, counts: np.ndarray) -> None:
        largest = int(counts.max()) if counts.size else 0
        self.width = min(largest, TABLE_COUNTS)
        self.table = np.zeros((counts.shape[1], self.width))
        for column in range(counts.shape[1]):
            histogram = np.bincount(
                np.minimum(counts[:, column], self.width), minlength=self.width + 1
            )
            self.table[column] = histogram[::-1].cumsum()[::-1][1:]
        big = counts.max(axis=1) > self.width if counts.size else np.zeros(0, bool)
        self.tail = np.maximum(counts[big], self.width).astype(np.float64)  # [S_big, k]
        self.steps = np.arange(self.width)

    def sums(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per attribute: (sum_s psi(x_s + z) - psi(z), sum_s psi'(z) - psi'(x_s + z))."""
        inverse = 1.0 / (z[:, None] + self.steps)
        weighted = self.table * inverse
        first, second = weighted.sum(axis=1), (weighted * inverse).sum(axis=1)
        if len(self.tail):
            start = self.width + z
            first += (_digamma_large(self.tail + z) - _digamma_large(start)).sum(axis=0)
            second += (_trigamma_large(start) - _trigamma_large(self.tail + z)).sum(axis=0)
        return first, second

    def log_sum(self, z: np.ndarray) -> np.ndarray:
        """Per attribute: sum_s lnGamma(x_s + z) - lnGamma(z)."""
        out = (self.table * np.log(z[:, None] + self.steps)).sum(axis=1)
        if len(self.tail):
            out += (lgamma(self.tail + z) - lgamma(self.width + z)).sum(axis=0)
        return out


def _digamma_large(y: np.ndarray) -> np.ndarray:
    """psi(y) for y >= 64 (asymptotic series; next term below 1e-22)."""
    inverse2 = 1.0 / (y * y)
    series = inverse2 * (1 / 12 - inverse2 * (1 / 120 - inverse2 * (1 / 252)))
    return np.log(y) - 0.5 / y - series


def _trigamma_large(y: np.ndarray) -> np.ndarray:
    """psi'(y) for y >= 64 (asymptotic series)."""
    inverse = 1.0 / y
    inverse2 = inverse * inverse
    series = 1 + inverse * (0.5 + inverse * (1 / 6 - inverse2 * (1 / 30 - inverse2 / 42)))
    return inverse * series
