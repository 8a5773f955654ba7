"""maxllr: a two-class mixture per attribute.

A speaker has attribute i with probability f_i; each of its recordings then shows it
with probability p_i (has it) or q_i (has not). For counts (a, n) of one side,

    L(a, n) = f p^a (1-p)^n + (1-f) q^a (1-q)^n
    LLR_i = ln L(a_e + a_t, n_e + n_t) - ln L(a_e, n_e) - ln L(a_t, n_t)

Everything is computed in log space (logaddexp of the two terms), so hundreds of
recordings per side cannot underflow. f, p and q are kept in [eps, 1 - eps]
(`min_probability`): an attribute never active in the reference would otherwise get
q = 0, and ln 0 for any trial showing it. The fit is EM from (f, p, q) with a
tolerance on the largest parameter change.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from balr.scoring.base import FitReport, Scorer, ScorerError
from balr.scoring.counts import Counts


class MaxLLRScorer(Scorer):
    """Two-class mixture LLR scorer.

    Args:
        f: initial share of speakers having each attribute.
        p: initial probability that a recording of a speaker having it shows it.
        q: initial probability that a recording of a speaker not having it shows it (< p).
        n_iterations: maximum EM steps.
        tol: stop when no f, p or q changes by more than this in a step.
        min_speakers: attributes shown (or lacked) by fewer reference speakers are excluded.
        min_probability: f, p, q are kept in [min_probability, 1 - min_probability].
    """

    name = "maxllr"
    parameter_names = ("f", "p", "q")

    def __init__(
        self,
        f: float = 0.5,
        p: float = 0.9,
        q: float = 0.1,
        n_iterations: int = 100,
        tol: float = 1e-6,
        min_speakers: int = 2,
        min_probability: float = 1e-6,
    ) -> None:
        super().__init__(min_speakers)
        if not 0 < min_probability < 0.5:
            raise ScorerError(f"min_probability={min_probability}: give a value in (0, 0.5)")
        for key, value in (("f", f), ("p", p), ("q", q)):
            if not 0 < value < 1:
                raise ScorerError(f"scorer.{key}={value}: give a probability strictly in (0, 1)")
        if not q < p:
            raise ScorerError(f"scorer.q={q} must be below scorer.p={p}: fix the scorer settings")
        if n_iterations < 0 or not tol > 0:
            raise ScorerError("n_iterations must be >= 0 and tol > 0: fix the scorer settings")
        self.f, self.p, self.q = float(f), float(p), float(q)
        self.n_iterations = int(n_iterations)
        self.tol = float(tol)
        self.min_probability = float(min_probability)
        self.f_ = np.zeros(0)
        self.p_ = np.zeros(0)
        self.q_ = np.zeros(0)

    def parameters(self) -> dict[str, np.ndarray]:
        """f, p, q per attribute, float64 [k]."""
        return {"f": self.f_, "p": self.p_, "q": self.q_}

    def set_parameters(self, arrays: dict[str, np.ndarray]) -> None:
        """Install f, p, q."""
        self.f_, self.p_, self.q_ = (
            np.asarray(arrays[n], dtype=np.float64) for n in self.parameter_names
        )
        self._table = None
        self._form = None

    def _clip(self, values: np.ndarray) -> np.ndarray:
        return np.clip(values, self.min_probability, 1.0 - self.min_probability)

    def _fit(self, counts: Counts, keep: np.ndarray) -> FitReport:
        a = counts.active[:, keep].astype(np.float64)
        n = counts.inactive[:, keep].astype(np.float64)
        width = int(keep.sum())
        f, p, q = (np.full(width, value) for value in (self.f, self.p, self.q))
        change, step, converged = float("inf"), 0, width == 0
        while step < self.n_iterations and not converged:
            step += 1
            log_has, log_not = _log_terms(f, p, q, a, n)
            with np.errstate(over="ignore"):  # exp overflows to inf: a responsibility of 0
                has = 1.0 / (1.0 + np.exp(log_not - log_has))  # responsibilities [S, k]
            new_p = self._clip(_ratio((has * a).sum(0), (has * (a + n)).sum(0), p))
            new_q = self._clip(_ratio(((1 - has) * a).sum(0), ((1 - has) * (a + n)).sum(0), q))
            new_f = self._clip(has.mean(axis=0))
            change = float(
                max(np.abs(new_f - f).max(), np.abs(new_p - p).max(), np.abs(new_q - q).max())
            )
            f, p, q = new_f, new_p, new_q
            converged = change < self.tol
        notes = []
        if not converged:
            notes.append(
                f"EM not converged after {step} steps (largest change of f, p, q:"
                f" {change:.3g} > tol={self.tol:g}): raise n_iterations"
            )
        self.f_, self.p_, self.q_ = (np.full(self.n_attributes, 0.5) for _ in range(3))
        self.f_[keep], self.p_[keep], self.q_[keep] = f, p, q
        return FitReport(converged, step, 0.0 if width == 0 else change, notes=notes)

    def in_range(self, arrays: dict[str, np.ndarray]) -> np.ndarray:
        """f, p and q strictly between 0 and 1 (the fit clips them to min_probability)."""
        valid = super().in_range(arrays)
        for values in arrays.values():
            valid &= (values > 0) & (values < 1)
        return valid

    def _from_torch(
        self, state: dict[str, np.ndarray], path: Path
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        arrays = {name: state[name] for name in self.parameter_names}
        shapes = {a.shape for a in arrays.values()}
        if len(shapes) != 1 or next(iter(shapes)) != (len(arrays["f"]),):
            raise ScorerError(
                f"{path}: f, p, q have shapes {sorted(shapes)}, expected one (attributes,):"
                " give a maxllr scorer file"
            )
        valid = np.ones(len(arrays["f"]), dtype=bool)
        for values in arrays.values():
            valid &= np.isfinite(values) & (values >= 0) & (values <= 1)
        cleaned = {n: self._clip(np.where(valid, v, 0.5)) for n, v in arrays.items()}
        return cleaned, valid

    def _contributions(self, enroll: Counts, test: Counts) -> np.ndarray:
        f, p, q = self.f_, self.p_, self.q_
        a_e, n_e = enroll.active.astype(np.float64), enroll.inactive.astype(np.float64)
        a_t, n_t = test.active.astype(np.float64), test.inactive.astype(np.float64)
        return (
            _log_likelihood(f, p, q, a_e + a_t, n_e + n_t)
            - _log_likelihood(f, p, q, a_e, n_e)
            - _log_likelihood(f, p, q, a_t, n_t)
        )


def _log_terms(
    f: np.ndarray, p: np.ndarray, q: np.ndarray, a: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(ln f p^a (1-p)^n, ln (1-f) q^a (1-q)^n), element-wise."""
    log_has = np.log(f) + a * np.log(p) + n * np.log1p(-p)
    log_not = np.log1p(-f) + a * np.log(q) + n * np.log1p(-q)
    return log_has, log_not


def _log_likelihood(
    f: np.ndarray, p: np.ndarray, q: np.ndarray, a: np.ndarray, n: np.ndarray
) -> np.ndarray:
    return np.logaddexp(*_log_terms(f, p, q, a, n))


def _ratio(numerator: np.ndarray, denominator: np.ndarray, fallback: np.ndarray) -> np.ndarray:
    """numerator / denominator, `fallback` where the denominator is 0 (no weight left)."""
    safe = denominator > 0
    return np.where(safe, numerator / np.where(safe, denominator, 1.0), fallback)
