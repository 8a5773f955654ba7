"""The two-covariance PLDA model and its maximum-likelihood fit by EM (plain NumPy).

Model: recording j of speaker i is x_ij = y_i + e_ij, with the speaker's identity
y_i ~ N(mu, B) and the recording's deviation e_ij ~ N(0, W), all independent. B is the
between-speaker and W the within-speaker covariance.

The fit starts from the moment estimates (mu = mean of the speaker means, B = their
covariance, W = the pooled within-speaker covariance) and runs EM: the E-step takes the
posterior of each y_i (Gaussian; it depends on the speaker's mean and number of
recordings only), the M-step sets mu, B and W to the expected complete-data ML values.
Both steps are done in the basis where W = I and B is diagonal (`diagonalise`), so no
per-speaker matrix is ever inverted. The exact log-likelihood of the data
(`log_likelihood`) never decreases; the fit stops when it gains less than `tol` nats per
recording in an iteration.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from balr.scoring.base import ScorerError
from balr.scoring.stats import FitReport

__all__ = ["SpeakerStats", "TwoCovariance", "fit_two_covariance", "log_likelihood"]

# Eigenvalues of W below this share of their mean are raised to it. Length normalisation
# leaves a direction with almost no within-speaker variance (~1e-6 of the mean on the
# bundled sample); unfloored, a test vector slightly off it scores LLRs of -1e7.
WITHIN_FLOOR = 1e-3


@dataclass
class SpeakerStats:
    """Sufficient statistics of labelled vectors for the two-covariance model.

    Attributes:
        counts: float64 [S], recordings per speaker.
        means: float64 [S, d], each speaker's mean vector.
        scatter: float64 [d, d], sum over recordings of (x - speaker mean)(x - speaker mean)'.
    """

    counts: np.ndarray
    means: np.ndarray
    scatter: np.ndarray

    @classmethod
    def of(cls, x: np.ndarray, labels: np.ndarray) -> SpeakerStats:
        """Statistics of float64 [N, d] vectors with labels 0..S-1 (every label used)."""
        counts = np.bincount(labels).astype(np.float64)
        # One bincount per dimension: ~10x faster than np.add.at on 100k x 256.
        sums = np.column_stack(
            [np.bincount(labels, weights=column, minlength=len(counts)) for column in x.T]
        )
        means = sums / counts[:, None]
        deviations = x - means[labels]
        return cls(counts, means, deviations.T @ deviations)

    @property
    def n_recordings(self) -> float:
        """N, all recordings."""
        return float(self.counts.sum())


@dataclass
class TwoCovariance:
    """A two-covariance model: mean [d], between [d, d] and within [d, d] covariances."""

    mean: np.ndarray
    between: np.ndarray
    within: np.ndarray

    def diagonalise(self) -> tuple[np.ndarray, np.ndarray, float]:
        """(T [d, d], psi [d], ln|det T|) with T W T' = I and T B T' = diag(psi), psi >= 0.

        W's eigenvalues are floored at a share `WITHIN_FLOOR` of their mean, so T exists.
        """
        w, v = np.linalg.eigh(_symmetric(self.within))
        w = np.maximum(w, WITHIN_FLOOR * max(float(w.mean()), np.finfo(float).tiny))
        root = v / np.sqrt(w)  # W^-1/2, up to a rotation: root' W root = I
        psi, u = np.linalg.eigh(_symmetric(root.T @ self.between @ root))
        transform = (root @ u).T
        return transform, np.maximum(psi, 0.0), float(-0.5 * np.log(w).sum())


def initial_model(stats: SpeakerStats) -> TwoCovariance:
    """Moment estimates: mean and covariance of the speaker means, pooled within covariance."""
    mean = stats.means.mean(axis=0)
    centred = stats.means - mean
    between = centred.T @ centred / len(stats.counts)
    dof = max(stats.n_recordings - len(stats.counts), 1.0)
    return TwoCovariance(mean, between, stats.scatter / dof)


Diagonal = tuple[np.ndarray, np.ndarray, float]


def log_likelihood(
    model: TwoCovariance, stats: SpeakerStats, diagonal: Diagonal | None = None
) -> float:
    """ln p(all vectors | model), exactly (nats), from the sufficient statistics.

    Per speaker with n recordings and mean m, in the basis z = T(x - mu):
    ln p = -nd/2 ln 2pi - 1/2 sum_j |z_j - zbar|^2 + d/2 ln(2pi/n) + ln N(zbar; 0, psi + 1/n),
    plus n ln|det T| for the change of basis. `diagonal`: `model.diagonalise()`, if known.
    """
    transform, psi, log_det = diagonal or model.diagonalise()
    d, n = len(psi), stats.counts[:, None]
    zbar = (stats.means - model.mean) @ transform.T
    variance = psi[None, :] + 1.0 / n
    marginal = -0.5 * (np.log(2 * math.pi * variance) + zbar**2 / variance).sum()
    scatter = float(np.einsum("ij,jk,ik->", transform, stats.scatter, transform))
    total_n = stats.n_recordings
    return float(
        -0.5 * total_n * d * math.log(2 * math.pi)
        - 0.5 * scatter
        + 0.5 * d * np.log(2 * math.pi / stats.counts).sum()
        + marginal
        + total_n * log_det
    )


def em_step(
    model: TwoCovariance, stats: SpeakerStats, diagonal: Diagonal | None = None
) -> TwoCovariance:
    """One EM iteration (see the module docstring); `diagonal` as in `log_likelihood`."""
    transform, psi, _ = diagonal or model.diagonalise()
    inverse = np.linalg.inv(transform)
    n = stats.counts[:, None]
    zbar = (stats.means - model.mean) @ transform.T
    shrink = n * psi / (1.0 + n * psi)  # posterior mean of the identity = shrink * zbar
    posterior_var = psi / (1.0 + n * psi)  # [S, d], diagonal in the z basis
    identity = model.mean + (shrink * zbar) @ inverse.T
    mean = identity.mean(axis=0)
    spread = identity - mean
    between = spread.T @ spread / len(n) + (inverse * posterior_var.mean(axis=0)) @ inverse.T
    gap = stats.means - identity
    within = (
        stats.scatter + (gap * n).T @ gap + (inverse * (n * posterior_var).sum(axis=0)) @ inverse.T
    ) / stats.n_recordings
    return TwoCovariance(mean, _symmetric(between), _symmetric(within))


def fit_two_covariance(
    stats: SpeakerStats, n_iterations: int, tol: float
) -> tuple[TwoCovariance, FitReport]:
    """ML two-covariance model by EM from the moment start (see the module docstring).

    Raises:
        ScorerError: no speaker has two recordings (W cannot be estimated).
    """
    if not (stats.counts > 1).any():
        raise ScorerError(
            "PLDA needs speakers with several recordings to estimate the within-speaker"
            " covariance: every reference speaker has one; give a reference with repeats"
        )
    model = initial_model(stats)
    per_recording = 1.0 / stats.n_recordings
    # One eigendecomposition per iteration, shared by the likelihood and the next E-step.
    diagonal = model.diagonalise()
    previous = log_likelihood(model, stats, diagonal) * per_recording
    change, converged, done = float("nan"), n_iterations == 0, 0
    while done < n_iterations:
        done += 1
        model = em_step(model, stats, diagonal)
        diagonal = model.diagonalise()
        current = log_likelihood(model, stats, diagonal) * per_recording
        change, previous = current - previous, current
        if abs(change) < tol:
            converged = True
            break
    notes = [f"log-likelihood {previous:.6g} nats per recording"]
    dof = stats.n_recordings - len(stats.counts)
    if dof < stats.means.shape[1]:
        notes.append(
            f"only {dof:g} within-speaker degrees of freedom for {stats.means.shape[1]}"
            " dimensions: W is rank-deficient (floored); use scorer.lda_dim or more recordings"
        )
    return model, FitReport(converged, done, abs(change), notes=notes)


def _symmetric(matrix: np.ndarray) -> np.ndarray:
    return 0.5 * (matrix + matrix.T)
