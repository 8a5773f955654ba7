"""Cllr, Cllr_min, EER and devPAV of LLRs with a weight per comparison, fast for many weightings.

The bootstrap by speaker gives each comparison an integer weight per replicate (how many
copies of it the replicate holds); the scores never change. :class:`SortedLLRs` sorts
once and groups tied LLRs once, so each weighting costs a few passes over the comparisons:
a dot product for Cllr, per-group sums for the ROC (EER) and the pool-adjacent-violators
(Cllr_min, devPAV). With every weight 1 the results equal :func:`~balr.evaluation.cllr`,
:func:`~balr.evaluation.cllr_min`, :func:`~balr.evaluation.compute_eer` and
:func:`~balr.evaluation.devpav.devpav`; with integer weights, those of the data with each
comparison repeated that many times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from balr.evaluation.devpav import devpav_from_points
from balr.evaluation.metrics import eer_of_rates
from balr.evaluation.quality import block_llrs, check_labelled, pav_blocks

LN2 = math.log(2.0)
LN10 = math.log(10.0)
METRICS = ("cllr", "cllr_min", "eer", "devpav")


@dataclass
class SortedLLRs:
    """Labelled natural-log LLRs sorted once, cut into runs that PAV always pools.

    A run is a stretch of the sorted comparisons of one label (tied LLRs kept together; a
    tie of both labels is a run alone). Pool-adjacent-violators gives every run one value
    whatever the weights (adjacent equal observations are never split), and the ROC is a
    straight line along a run, so each weighting works on runs, not comparisons.

    Attributes:
        order: int64 [N], the sort order (index of the original comparison at each place).
        target: float64 [N], 1 for same-speaker comparisons, in sorted order.
        log10: float64 [N], the sorted LLRs in log10.
        runs: int64 [R], where each run starts in sorted order.
        tar_cost: float64 [N], log2(1 + e^-LLR) of same-speaker comparisons (0 for others).
        non_cost: float64 [N], log2(1 + e^LLR) of different-speaker comparisons (0 else).
    """

    order: np.ndarray
    target: np.ndarray
    log10: np.ndarray
    runs: np.ndarray
    tar_cost: np.ndarray
    non_cost: np.ndarray

    @classmethod
    def build(cls, llrs: Any, labels: Any) -> SortedLLRs:
        """Sort `llrs` (natural log, finite) with their `labels` (1 = same speaker)."""
        s, target = check_labelled(llrs, labels, "LLRs")
        order = np.argsort(s, kind="stable")
        s, target = s[order], target[order]
        tar_cost = np.where(target, np.logaddexp(0.0, -s) / LN2, 0.0)
        non_cost = np.where(target, 0.0, np.logaddexp(0.0, s) / LN2)
        return cls(order, target.astype(np.float64), s / LN10, _runs(s, target), tar_cost, non_cost)

    def metrics(self, weights: np.ndarray | None = None) -> dict[str, float]:
        """Cllr and Cllr_min (bits), EER (percent) and devPAV (log10) under `weights`.

        Args:
            weights: float64 [N] in sorted order (:meth:`in_order` of the original order),
                >= 0; None for all 1.

        Returns:
            NaN for every metric when a class gets no weight.
        """
        w = np.ones(self.target.size) if weights is None else weights
        total_tar = _dot(w, self.target)
        total_non = float(w.sum()) - total_tar
        if total_tar <= 0 or total_non <= 0:
            return dict.fromkeys(METRICS, math.nan)
        tot = np.add.reduceat(w, self.runs)
        tar = np.add.reduceat(w * self.target, self.runs)
        used = tot > 0
        cllr = 0.5 * (_dot(w, self.tar_cost) / total_tar + _dot(w, self.non_cost) / total_non)
        cllr_min, blocks = _pav_cllr(tar[used], tot[used], total_tar, total_non)
        return {
            "cllr": float(cllr),
            "cllr_min": cllr_min,
            "eer": _eer(tar[used], tot[used] - tar[used], total_tar, total_non),
            "devpav": self._devpav(w, self.runs[used], blocks),
        }

    def in_order(self, weights: np.ndarray) -> np.ndarray:
        """Weights given per comparison in the original order, put in sorted order."""
        return np.asarray(weights, dtype=np.float64)[self.order]

    def _devpav(self, w: np.ndarray, run_starts: np.ndarray, blocks: Blocks) -> float:
        """devPAV: a PAV block is flat, so its first and last weighted LLR carry its curve."""
        kept = np.flatnonzero(w > 0)
        edges = np.concatenate((run_starts, [w.size]))
        block_edges = edges[np.concatenate(([0], np.cumsum(blocks.width)))]
        first = kept[np.searchsorted(kept, block_edges[:-1])]
        last = kept[np.searchsorted(kept, block_edges[1:]) - 1]
        x = np.stack([self.log10[first], self.log10[last]], axis=1).reshape(-1)
        y = np.repeat(blocks.llr / LN10, 2)
        return devpav_from_points(x, y)


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """a . b without BLAS, whose threads contend on a shared machine (5x slower here)."""
    return float(np.einsum("i,i->", a, b))


def _runs(s: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Starts of the runs of sorted LLRs `s` (see :class:`SortedLLRs`)."""
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    tars = np.add.reduceat(target.astype(np.int64), starts)
    sizes = np.diff(np.concatenate((starts, [s.size])))
    kind = np.where(tars == 0, 0, np.where(tars == sizes, 1, 2))
    new = np.concatenate(([True], (kind[1:] != kind[:-1]) | (kind[1:] == 2)))
    return starts[new]


@dataclass
class Blocks:
    """PAV blocks over the used runs: their natural-log LLR and how many runs each spans."""

    llr: np.ndarray
    width: np.ndarray


def _pav_cllr(
    tar: np.ndarray, tot: np.ndarray, total_tar: float, total_non: float
) -> tuple[float, Blocks]:
    """Cllr_min (bits) from per-run weights (same-speaker, all), and the PAV blocks."""
    b_tar, b_tot, width = pav_blocks(tar, tot)
    b_non = b_tot - b_tar
    llr = block_llrs(b_tar, b_tot)
    # A block without one class costs nothing for that class (0 * inf is not a number here).
    with np.errstate(invalid="ignore", over="ignore"):
        tar_part = np.where(b_tar > 0, b_tar * np.logaddexp(0.0, -llr), 0.0)
        non_part = np.where(b_non > 0, b_non * np.logaddexp(0.0, llr), 0.0)
    cllr_min = 0.5 * (tar_part.sum() / total_tar + non_part.sum() / total_non) / LN2
    return float(cllr_min), Blocks(llr, width)


def _eer(tar: np.ndarray, non: np.ndarray, total_tar: float, total_non: float) -> float:
    """EER (percent) from per-value class weights, as :func:`compute_eer` interpolates it."""
    frr = np.concatenate(([0.0], np.cumsum(tar))) / total_tar
    far = 1.0 - np.concatenate(([0.0], np.cumsum(non))) / total_non
    return eer_of_rates(frr, far)
