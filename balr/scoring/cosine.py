"""The cosine scorer: the conventional baseline on embeddings (a similarity, not an LLR)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np

from balr.scoring.base import ScorerError
from balr.scoring.embedding import EmbeddingScorer, PairScorer
from balr.scoring.stats import FitReport

__all__ = ["CosineScorer"]


class CosineScorer(EmbeddingScorer):
    """Cosine similarity of two sides' embeddings, in [-1, 1]; calibrate it for LLRs.

    Nothing is estimated: "fitting" records the embedding size and, with `center`, the
    reference mean, which is subtracted from every embedding before the cosine (as
    WeSpeaker's mean subtraction does). A side of several recordings is the mean of its
    length-normalised embeddings (after centering), so each recording weighs the same.
    A zero vector has no direction: its cosine with anything is 0.

    Args:
        center: subtract the reference mean first.
    """

    name: ClassVar[str] = "cosine"

    def __init__(self, center: bool = False) -> None:
        super().__init__()
        self.center = bool(center)
        self.mean = np.zeros(0)

    def _fit(self, x: np.ndarray, labels: np.ndarray) -> FitReport:
        self.mean = x.mean(axis=0) if self.center else np.zeros(x.shape[1])
        note = "reference mean subtracted" if self.center else "nothing estimated (center=false)"
        return FitReport(True, 0, 0.0, notes=[f"cosine: {note}"])

    def parameters(self) -> dict[str, np.ndarray]:
        """``mean`` [D]: subtracted before the cosine (zeros unless `center`)."""
        return {"mean": self.mean.astype(np.float64)}

    def set_parameters(self, arrays: Mapping[str, np.ndarray], dim: int) -> None:
        """Install ``mean`` [dim]."""
        mean = np.asarray(arrays["mean"], dtype=np.float64)
        if mean.shape != (dim,) or not np.isfinite(mean).all():
            raise ScorerError(f"mean has shape {mean.shape} or non-finite values, not ({dim},)")
        self.mean, self.dim = mean, dim

    def _prepare(self, x: np.ndarray) -> np.ndarray:
        return _unit(x - self.mean)

    def _score_means(
        self, m1: np.ndarray, n1: np.ndarray, m2: np.ndarray, n2: np.ndarray
    ) -> np.ndarray:
        return np.einsum("ij,ij->i", _unit(m1), _unit(m2))

    def _pair_scorer(self, z: np.ndarray) -> PairScorer:
        def pairs(enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
            return np.einsum("ij,ij->i", z[enroll], z[test])  # prepared rows are unit vectors

        return pairs

    def _score_block(self, z1: np.ndarray, z2: np.ndarray) -> np.ndarray:
        return z1 @ z2.T


def _unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (zero rows stay 0)."""
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
