"""The PLDA scorer: natural-log LLRs of embeddings under a two-covariance model.

Preprocessing, all estimated on the reference embeddings (as in Kaldi and WeSpeaker
recipes): subtract the reference mean; then either project with LDA onto `lda_dim`
directions (scaled so the within-speaker covariance is the identity) or, without
`lda_dim`, whiten by the reference's total covariance (`whiten`, keeping the
directions whose variance is at least `min_variance` of the largest: a PCA); then
length-normalise each vector to norm sqrt(d) (`length_norm`). On these vectors a
two-covariance model (`balr.scoring.plda_fit`) is fitted by EM.

Scoring, in the basis z = T(x - mu) where W = I and B = diag(psi): a side of n
recordings is summarised by the mean of its z and n (the rest of the side cancels in the
ratio), and two sides with means m1, m2 and counts n1, n2 give per dimension, with
a = psi + 1/n1, c = psi + 1/n2,

  LLR_k = ln N([m1, m2]; 0, [[a, psi], [psi, c]]) - ln N(m1; 0, a) - ln N(m2; 0, c).

This is the exact multi-recording (multi-enrollment) LLR of the model, not a mean
embedding scored as one recording. One recording per side reduces it to
c0 + q.(m1^2 + m2^2) + p.(m1 m2): an all-pairs matrix is one matrix product.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from balr.scoring.base import ScorerError
from balr.scoring.embedding import EmbeddingScorer, PairScorer
from balr.scoring.plda_fit import SpeakerStats, TwoCovariance, fit_two_covariance
from balr.scoring.stats import FitReport

__all__ = ["PLDAScorer"]


class PLDAScorer(EmbeddingScorer):
    """Two-covariance PLDA on preprocessed embeddings (see the module docstring).

    Args:
        lda_dim: project onto this many LDA directions (at most the embedding size and
            the number of reference speakers - 1); None: no LDA.
        whiten: without LDA, whiten by the reference's total covariance first.
        min_variance: whitening keeps the directions whose reference variance is at least
            this share of the largest (a PCA: the dropped directions hold noise that
            whitening would blow up to the size of the speaker information).
        length_norm: length-normalise the preprocessed vectors (to norm sqrt(d)).
        n_iterations: maximum EM iterations.
        tol: stop when an iteration gains less log-likelihood than this (nats per recording).
    """

    name: ClassVar[str] = "plda"
    gives_llrs: ClassVar[bool] = True

    def __init__(
        self,
        lda_dim: int | None = None,
        whiten: bool = True,
        min_variance: float = 0.01,
        length_norm: bool = True,
        n_iterations: int = 100,
        tol: float = 1e-3,
    ) -> None:
        super().__init__()
        if lda_dim is not None and int(lda_dim) < 1:
            raise ScorerError(f"scorer.lda_dim={lda_dim}: give a number of directions >= 1")
        if not 0 <= float(min_variance) < 1:
            raise ScorerError(f"scorer.min_variance={min_variance}: give a share in [0, 1)")
        if int(n_iterations) < 0 or not float(tol) >= 0:
            raise ScorerError("scorer.n_iterations and scorer.tol must be >= 0")
        self.lda_dim = None if lda_dim is None else int(lda_dim)
        self.whiten = bool(whiten)
        self.min_variance = float(min_variance)
        self.length_norm = bool(length_norm)
        self.n_iterations = int(n_iterations)
        self.tol = float(tol)
        self.center = np.zeros(0)
        self.projection = np.zeros((0, 0))
        self.model = TwoCovariance(np.zeros(0), np.zeros((0, 0)), np.zeros((0, 0)))
        self.transform = np.zeros((0, 0))
        self.psi = np.zeros(0)

    # -- fitting ----------------------------------------------------------------------

    def _fit(self, x: np.ndarray, labels: np.ndarray) -> FitReport:
        self.center = x.mean(axis=0)
        centred = x - self.center
        self.projection = self._projection(centred, labels)
        y = self._normalise(centred @ self.projection)
        self.model, report = fit_two_covariance(
            SpeakerStats.of(y, labels), self.n_iterations, self.tol
        )
        self.transform, self.psi, _ = self.model.diagonalise()
        steps = ["centred"]
        if self.lda_dim is not None:
            steps.append(f"LDA to {self.lda_dim} dimensions")
        elif self.whiten:
            steps.append(f"whitened ({self.projection.shape[1]} dimensions)")
        if self.length_norm:
            steps.append("length-normalised")
        report.notes.insert(0, "preprocessing: " + ", ".join(steps))
        return report

    def _projection(self, centred: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """[D, d]: LDA, whitening or identity (see the module docstring)."""
        dim = centred.shape[1]
        if self.lda_dim is not None:
            return _lda(centred, labels, self.lda_dim)
        if self.whiten:
            return _whitening(centred.T @ centred / len(centred), self.min_variance)
        return np.eye(dim)

    def _normalise(self, y: np.ndarray) -> np.ndarray:
        if not self.length_norm:
            return y
        norms = np.linalg.norm(y, axis=1, keepdims=True)
        scale = np.sqrt(y.shape[1])
        return np.divide(y * scale, norms, out=np.zeros_like(y), where=norms > 0)

    # -- parameters -------------------------------------------------------------------

    def parameters(self) -> dict[str, np.ndarray]:
        """Preprocessing (center, projection), the model (mean, between, within) and its
        diagonal form (transform, psi)."""
        return {
            "center": self.center,
            "projection": self.projection,
            "mean": self.model.mean,
            "between": self.model.between,
            "within": self.model.within,
            "transform": self.transform,
            "psi": self.psi,
        }

    def set_parameters(self, arrays: Mapping[str, np.ndarray], dim: int) -> None:
        """Install the arrays of `parameters()` for embeddings of `dim`."""
        a = {name: np.asarray(arrays[name], dtype=np.float64) for name in self.parameters()}
        d = a["projection"].shape[1] if a["projection"].ndim == 2 else -1
        shapes = {
            "center": (dim,),
            "projection": (dim, d),
            "mean": (d,),
            "between": (d, d),
            "within": (d, d),
            "transform": (d, d),
            "psi": (d,),
        }
        for name, shape in shapes.items():
            if a[name].shape != shape or not np.isfinite(a[name]).all():
                raise ScorerError(f"{name} has shape {a[name].shape} or non-finite values")
        if (a["psi"] < 0).any():
            raise ScorerError("psi holds negative variances")
        self.center, self.projection, self.transform, self.psi = (
            a["center"], a["projection"], a["transform"], a["psi"]
        )  # fmt: skip
        self.model = TwoCovariance(a["mean"], a["between"], a["within"])
        self.dim = dim

    # -- scoring ----------------------------------------------------------------------

    def _prepare(self, x: np.ndarray) -> np.ndarray:
        y = self._normalise((x - self.center) @ self.projection)
        return (y - self.model.mean) @ self.transform.T

    def _score_means(
        self, m1: np.ndarray, n1: np.ndarray, m2: np.ndarray, n2: np.ndarray
    ) -> np.ndarray:
        psi = self.psi[None, :]
        a = psi + 1.0 / n1[:, None]
        c = psi + 1.0 / n2[:, None]
        det = a * c - psi**2
        quad = (c * m1**2 - 2 * psi * m1 * m2 + a * m2**2) / det
        terms = -0.5 * np.log(det / (a * c)) - 0.5 * quad + 0.5 * (m1**2 / a + m2**2 / c)
        return terms.sum(axis=1)

    def _pair_scorer(self, z: np.ndarray) -> PairScorer:
        constant, square, cross = self.single_form()
        weighted = z * cross  # per recording once: a trial is then one gathered dot product
        own = (z**2) @ square + 0.5 * constant

        def pairs(enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
            dots = np.einsum("ij,ij->i", weighted[enroll], z[test])
            return dots + own[enroll] + own[test]

        return pairs

    def _score_block(self, z1: np.ndarray, z2: np.ndarray) -> np.ndarray:
        constant, square, cross = self.single_form()
        q1 = (z1**2) @ square
        q2 = (z2**2) @ square
        return (z1 * cross) @ z2.T + q1[:, None] + q2[None, :] + constant

    def single_form(self) -> tuple[float, np.ndarray, np.ndarray]:
        """(c0, q [d], p [d]): LLR = c0 + q.(m1^2 + m2^2) + p.(m1 m2) for one recording a side."""
        psi = self.psi
        a, det = psi + 1.0, 2.0 * psi + 1.0
        constant = float((-0.5 * np.log(det) + np.log(a)).sum())
        return constant, 0.5 / a - 0.5 * a / det, psi / det


def _whitening(covariance: np.ndarray, floor: float = 1e-10) -> np.ndarray:
    """[D, d]: maps to unit covariance; directions whose variance is below a share `floor`
    of the largest are dropped (whitening would blow their noise up)."""
    w, v = np.linalg.eigh(0.5 * (covariance + covariance.T))
    keep = w > floor * max(float(w.max()), np.finfo(float).tiny)
    return v[:, keep] / np.sqrt(w[keep])


def _lda(centred: np.ndarray, labels: np.ndarray, dim: int) -> np.ndarray:
    """[D, dim]: the `dim` most discriminant directions, within-speaker covariance = I."""
    stats = SpeakerStats.of(centred, labels)
    limit = min(centred.shape[1], len(stats.counts) - 1)
    if dim > limit:
        raise ScorerError(
            f"scorer.lda_dim={dim} exceeds what the reference allows ({limit}: the embedding"
            " size and the number of speakers - 1): give a smaller scorer.lda_dim"
        )
    within = _whitening(stats.scatter / len(centred))
    if within.shape[1] < dim:
        raise ScorerError(
            f"scorer.lda_dim={dim}: the reference's within-speaker covariance has rank"
            f" {within.shape[1]}: give at most scorer.lda_dim={within.shape[1]}"
        )
    weighted = stats.means * np.sqrt(stats.counts)[:, None]
    between = weighted.T @ weighted / len(centred)
    values, vectors = np.linalg.eigh(within.T @ between @ within)
    order = np.argsort(values)[::-1][:dim]
    return within @ vectors[:, order]
