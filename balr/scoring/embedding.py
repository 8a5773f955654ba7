"""The interface of scorers of real-valued embeddings (cosine, PLDA).

Binary-attribute scorers (`balr.scoring.base.Scorer`) sum per-attribute contributions of
0/1 counts; an embedding scorer instead maps each recording to a vector in its own
scoring space (`_prepare`), summarises a side of one or several recordings by the mean of
those vectors and their number, and scores two sides from these summaries
(`_score_means`). Trial lists, all-pairs matrices and multi-recording sides all go through
these two methods, in bounded chunks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from balr.scoring.saving import save_embedding_scorer
from balr.scoring.settings import ScorerError, Settings
from balr.scoring.sides import CHUNK, RowGroups
from balr.scoring.stats import FitReport

__all__ = ["EmbeddingScorer", "check_embeddings", "looks_binary"]

PairScorer = Callable[[np.ndarray, np.ndarray], np.ndarray]

# Matrix cells (enrollment rows x test rows) per block of `score_matrix`: ~32 MiB of float64.
_MATRIX_CELLS = 1 << 22
# Gathered vector cells per chunk of `score_sides`.
_ROW_CELLS = 1 << 21


def check_embeddings(vectors: Any, what: str = "the embeddings") -> np.ndarray:
    """`vectors` as float64 [N, D] after checking they are finite real-valued embeddings.

    Raises:
        ScorerError: not 2-D, no dimension, NaN or infinite values, or 0/1 vectors only
            (binary attributes: these scorers compare embeddings).
    """
    array = np.asarray(vectors)
    if array.ndim != 2 or array.shape[1] == 0:
        raise ScorerError(f"{what} must be a [N, D] matrix with D > 0, not shape {array.shape}")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        row = int(np.flatnonzero(~np.isfinite(array).all(axis=1))[0])
        raise ScorerError(f"{what}: row {row} holds NaN or infinity: fix or drop that vector")
    # The first rows decide in the usual case; only 0/1-looking data is checked in full.
    if len(array) and looks_binary(array[:1024]) and looks_binary(array):
        raise ScorerError(
            f"{what} hold only 0 and 1 (binary attributes): embedding scorers (cosine, plda)"
            " compare embeddings; give the embeddings, or a binary-attribute scorer (beta)"
        )
    return array


class EmbeddingScorer(Settings, ABC):
    """A likelihood-ratio (or similarity) scorer of embeddings, fitted on a reference.

    Subclasses implement `_fit`, `_prepare`, `_score_means` and the parameter accessors.
    Sides of several recordings are the mean of their prepared vectors (what that mean
    means is the subclass's choice, documented there).
    """

    name: ClassVar[str]
    # True when the scores are natural-log LLRs of a model (plda), False for similarities.
    gives_llrs: ClassVar[bool] = False

    def __init__(self) -> None:
        self.dim = 0
        self.report: FitReport | None = None
        self.n_speakers = 0
        self.n_recordings = 0
        self.source: Path | None = None  # the file it was loaded from, for messages

    @property
    def fitted(self) -> bool:
        """True once the scorer knows its embedding size (fitted or loaded)."""
        return self.dim > 0

    # -- fitting ----------------------------------------------------------------------

    def fit(self, embeddings: Any, labels: Any) -> FitReport:
        """Fit on reference `embeddings` (float [N, D]) of speakers `labels` (int [N]).

        Recordings with label -1 (no speaker) are left out.

        Raises:
            ScorerError: bad vectors, or fewer than 2 speakers.
        """
        x = check_embeddings(embeddings, "the reference embeddings")
        y = np.asarray(labels, dtype=np.int64).reshape(-1)
        if len(y) != len(x):
            raise ScorerError(f"{len(x)} reference embeddings for {len(y)} speaker labels")
        x, y = x[y >= 0], y[y >= 0]
        speakers, compact = np.unique(y, return_inverse=True)
        if len(speakers) < 2:
            raise ScorerError(
                f"the reference has {len(speakers)} speaker(s): a scorer needs recordings of"
                " at least 2 speakers (check the speaker column)"
            )
        report = self._fit(x, compact.reshape(-1))
        self.dim = int(x.shape[1])
        self.n_speakers, self.n_recordings = len(speakers), len(x)
        self.report = report
        return report

    @abstractmethod
    def _fit(self, x: np.ndarray, labels: np.ndarray) -> FitReport:
        """Estimate the parameters from float64 [N, D] and labels 0..S-1 (every one used)."""

    # -- parameters -------------------------------------------------------------------

    @abstractmethod
    def parameters(self) -> dict[str, np.ndarray]:
        """The fitted float64 arrays, by name (what parameters.npz stores)."""

    @abstractmethod
    def set_parameters(self, arrays: Mapping[str, np.ndarray], dim: int) -> None:
        """Install arrays of `parameters()` for embeddings of `dim` (ScorerError if unusable)."""

    # -- scoring ----------------------------------------------------------------------

    def check_dim(self, dim: int, what: str = "the embeddings") -> None:
        """ScorerError unless `dim` is the scorer's embedding size."""
        self.check_fitted()
        if dim != self.dim:
            scorer = f"the scorer {self.source}" if self.source is not None else "the scorer"
            raise ScorerError(
                f"{what} have {dim} dimensions but {scorer} was fitted on {self.dim}: score"
                " embeddings of the encoder the scorer was fitted for"
            )

    @abstractmethod
    def _prepare(self, x: np.ndarray) -> np.ndarray:
        """float64 [N, d]: each recording in the scoring space."""

    @abstractmethod
    def _score_means(
        self, m1: np.ndarray, n1: np.ndarray, m2: np.ndarray, n2: np.ndarray
    ) -> np.ndarray:
        """float64 [P]: scores of sides with prepared means m1, m2 [P, d] of n1, n2 [P] rows."""

    def _pair_scorer(self, z: np.ndarray) -> PairScorer:
        """A function (enroll rows, test rows) -> float64 [P] scores of one-recording sides
        over the prepared rows `z` (subclasses precompute per-row parts once here)."""

        def pairs(enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
            ones = np.ones(len(enroll))
            return self._score_means(z[enroll], ones, z[test], ones)

        return pairs

    def _score_block(self, z1: np.ndarray, z2: np.ndarray) -> np.ndarray:
        """float64 [E, T]: one-recording sides, every row of z1 against every row of z2."""
        e, t = len(z1), len(z2)
        rows = np.repeat(np.arange(e), t)
        cols = np.tile(np.arange(t), e)
        ones = np.ones(e * t)
        return self._score_means(z1[rows], ones, z2[cols], ones).reshape(e, t)

    def prepare(self, embeddings: Any, what: str = "the embeddings") -> np.ndarray:
        """float64 [N, d]: `embeddings` checked and mapped into the scoring space."""
        x = check_embeddings(embeddings, what)
        self.check_dim(x.shape[1], what)
        return self._prepare(x)

    def score_pairs(self, enroll: Any, test: Any) -> np.ndarray:
        """float64 [P]: row i of `enroll` against row i of `test` (one recording per side)."""
        z1 = self.prepare(enroll, "the enrollment embeddings")
        z2 = self.prepare(test, "the test embeddings")
        if len(z1) != len(z2):
            raise ScorerError(f"{len(z1)} enrollment embeddings for {len(z2)} test embeddings")
        ones = np.ones(len(z1))
        return _checked(self._score_means(z1, ones, z2, ones))

    def score_matrix(self, enroll: Any, test: Any) -> np.ndarray:
        """float64 [E, T]: every enrollment row against every test row, in blocks."""
        z1 = self.prepare(enroll, "the enrollment embeddings")
        z2 = self.prepare(test, "the test embeddings")
        out = np.empty((len(z1), len(z2)), dtype=np.float64)
        step = max(1, _MATRIX_CELLS // max(len(z2), 1))
        for start in range(0, len(z1), step):
            out[start : start + step] = self._score_block(z1[start : start + step], z2)
        return _checked(out)

    def score_sides(self, embeddings: Any, enroll: RowGroups, test: RowGroups) -> np.ndarray:
        """float64 [P]: side i of `enroll` against side i of `test` (rows of `embeddings`).

        Each recording is prepared once; a side is the mean of its prepared rows.
        """
        z = self.prepare(embeddings)
        enroll, test = RowGroups.of(enroll), RowGroups.of(test)
        out = np.empty(len(enroll), dtype=np.float64)
        # Gathered rows per chunk: ~16 MiB of float64 (cache-friendly, bounded memory).
        chunk = max(1, min(CHUNK, _ROW_CELLS // max(z.shape[1], 1)))
        if bool(np.all(enroll.sizes() == 1) and np.all(test.sizes() == 1)):
            pairs = self._pair_scorer(z)
            for start in range(0, len(enroll), chunk):
                rows = slice(start, start + chunk)
                out[rows] = pairs(enroll.values[rows], test.values[rows])
            return _checked(out)
        for start in range(0, len(enroll), chunk):
            stop = min(start + chunk, len(enroll))
            m1, n1 = _side_means(z, enroll[start:stop])
            m2, n2 = _side_means(z, test[start:stop])
            out[start:stop] = self._score_means(m1, n1, m2, n2)
        return _checked(out)

    def score_rows(
        self, embeddings: Any, enroll_rows: np.ndarray, test_rows: np.ndarray
    ) -> np.ndarray:
        """float64 [P]: ``embeddings[enroll_rows[i]]`` against ``embeddings[test_rows[i]]``."""
        single = np.arange(len(enroll_rows) + 1, dtype=np.int64)
        return self.score_sides(
            embeddings, RowGroups(enroll_rows, single), RowGroups(test_rows, single)
        )

    # -- files ------------------------------------------------------------------------

    def save(self, run_dir: Path, reference: Mapping[str, Any] | None = None) -> None:
        """Write scorer.json and parameters.npz into `run_dir` (read by `embedding_io`)."""
        save_embedding_scorer(self, Path(run_dir), reference)


def looks_binary(array: np.ndarray) -> bool:
    """True when every value is 0 or 1 (binary attributes, not embeddings)."""
    return bool(((array == 0.0) | (array == 1.0)).all())


def _side_means(z: np.ndarray, groups: RowGroups) -> tuple[np.ndarray, np.ndarray]:
    """(float64 [P, d] mean prepared vector of each side, float64 [P] its recordings)."""
    sizes = groups.sizes()
    if bool(np.all(sizes == 1)):
        return z[groups.values], sizes.astype(np.float64)
    starts = groups.offsets[:-1] - groups.offsets[0]
    sums = np.add.reduceat(z[groups.values], starts, axis=0)
    return sums / sizes[:, None], sizes.astype(np.float64)


def _checked(values: np.ndarray) -> np.ndarray:
    """`values`, after making sure no NaN or infinity leaves a scorer."""
    if not np.isfinite(values).all():
        raise ScorerError(
            "a score is NaN or infinite (never expected): report this with the scorer directory"
        )
    return values
