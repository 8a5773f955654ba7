"""Cosine scoring of trials and the verification metrics of a trial list.

:func:`verification_metrics` returns these keys (flat, CSV-friendly):

- ``eer``: equal error rate in percent;
- ``min_dcf_0.01``, ``min_dcf_0.05``: normalised minimum detection cost at
  P_target = 0.01 and 0.05 with C_miss = C_fa = 1 (a fraction, at most 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from balr.evaluation.metrics import compute_eer, compute_min_dcf
from balr.evaluation.trials import Trials

DEFAULT_P_TARGETS: tuple[float, ...] = (0.01, 0.05)
# Gathered elements per chunk: bounds memory at ~2 x 32 MB of float64.
_CHUNK_ELEMENTS = 1 << 22


def _is_binary(vectors: torch.Tensor) -> bool:
    return bool(((vectors == 0) | (vectors == 1)).all())


def _score_dtype(device: torch.device) -> torch.dtype:
    return torch.float32 if device.type == "mps" else torch.float64  # MPS lacks float64


def _chunked_dots(left: torch.Tensor, right: torch.Tensor, trials: Trials) -> np.ndarray:
    """Row-wise dot of ``left[enroll]`` and ``right[test]``, gathered in chunks."""
    device = left.device
    chunk = max(1, _CHUNK_ELEMENTS // max(1, left.shape[1]))
    enroll = torch.from_numpy(np.ascontiguousarray(trials.enroll, dtype=np.int64)).to(device)
    test = torch.from_numpy(np.ascontiguousarray(trials.test, dtype=np.int64)).to(device)
    parts = [
        (left[enroll[i : i + chunk]] * right[test[i : i + chunk]]).sum(dim=1)
        for i in range(0, len(trials), chunk)
    ]
    if not parts:
        return np.zeros(0, dtype=np.float64)
    return torch.cat(parts).cpu().numpy().astype(np.float64)


def cosine_scores(vectors: Any, trials: Trials) -> np.ndarray:
    """Cosine similarity of the two vectors of every trial.

    Rows are normalised once, then gathered and multiplied chunk by chunk on
    the vectors' device. A zero vector (e.g. a binary vector with no active
    attribute) has no direction: its cosine with anything is defined as 0.

    0/1 vectors are scored exactly as ``sqrt(d**2 / (n_a * n_b))`` from the
    integer counts (``d`` shared active attributes, ``n_a``, ``n_b`` active
    per side), so trials with mathematically equal cosines get identical
    scores and form one threshold step.

    Args:
        vectors: float [N, D] tensor or array, one vector per dataset row.
        trials: Trials over those rows.

    Returns:
        float64 [T] scores in [-1, 1], in trial order.
    """
    v = torch.as_tensor(vectors).detach()
    if v.ndim != 2:
        raise ValueError(f"vectors must be 2-D [N, D], got shape {tuple(v.shape)}")
    if len(trials) and max(int(trials.enroll.max()), int(trials.test.max())) >= v.shape[0]:
        raise ValueError(f"trials refer to rows beyond the {v.shape[0]} vectors given")
    if _is_binary(v):
        # Counts up to D are exact in float32, which every device supports.
        bits = v.to(torch.float32)
        dots = _chunked_dots(bits, bits, trials)
        active = bits.sum(dim=1).cpu().numpy().astype(np.float64)
        denom = active[trials.enroll] * active[trials.test]
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.sqrt(dots * dots / denom)
        return np.where(denom > 0, scores, 0.0)
    v = v.to(_score_dtype(v.device))
    norms = torch.linalg.vector_norm(v, dim=1, keepdim=True)
    unit = torch.where(norms > 0, v / norms.clamp_min(torch.finfo(v.dtype).tiny), 0.0)
    return np.clip(_chunked_dots(unit, unit, trials), -1.0, 1.0)


def score_metrics(
    scores: Any, labels: Any, p_targets: Sequence[float] = DEFAULT_P_TARGETS
) -> dict[str, float]:
    """EER (percent) and normalised minDCF of scored trials.

    Args:
        scores: One score per trial.
        labels: 1/True for target trials.
        p_targets: Target priors; each gives a key ``min_dcf_<p>``.

    Returns:
        ``{"eer": ..., "min_dcf_0.01": ..., "min_dcf_0.05": ...}`` by default.
    """
    metrics = {"eer": compute_eer(scores, labels)}
    for p in p_targets:
        metrics[f"min_dcf_{p:g}"] = compute_min_dcf(scores, labels, p)
    return metrics


def verification_metrics(
    vectors: Any, trials: Trials, p_targets: Sequence[float] = DEFAULT_P_TARGETS
) -> dict[str, float]:
    """Cosine-score the trials and return EER and minDCF (see module docstring).

    Args:
        vectors: float [N, D] tensor or array (embeddings or 0/1 attributes).
        trials: Trials over the rows of ``vectors``.
        p_targets: Target priors for minDCF.

    Returns:
        Flat dict with keys ``eer`` and ``min_dcf_<p>`` per prior.
    """
    return score_metrics(cosine_scores(vectors, trials), trials.labels, p_targets)
