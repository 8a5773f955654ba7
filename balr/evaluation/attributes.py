"""Statistics of binary attributes over a labelled set of samples.

An attribute (dimension) is *active* in a sample when its value is 1. A
speaker's *profile* has the attribute when any of the speaker's samples
activates it, and the attribute's *typicality* is the share of speakers whose
profile has it. An attribute in every profile tells speakers apart no better
than one in none.

:func:`attribute_statistics` returns these keys (flat, CSV-friendly):

- ``attr_active_rate_mean``, ``attr_active_rate_std``,
  ``attr_active_rate_min``, ``attr_active_rate_max``: summary over dimensions
  of the share of samples activating each dimension;
- ``attr_active_per_sample_mean``: mean number of active attributes per sample;
- ``attr_never_active``: number of dimensions active in no sample;
- ``attr_always_active``: number of dimensions active in every sample;
- ``attr_typicality_mean``, ``attr_typicality_std``, ``attr_typicality_min``,
  ``attr_typicality_median``, ``attr_typicality_max``: summary over
  dimensions of the typicality;
- ``attr_in_every_profile``: number of dimensions every speaker's profile has.

Standard deviations are population ones (ddof = 0). Counts are floats so all
values share one type. Samples labelled -1 (no speaker) count for activation
rates but not for profiles; with no labelled sample the typicality values and
``attr_in_every_profile`` are NaN.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch


def _as_binary(binary: Any) -> torch.Tensor:
    b = torch.as_tensor(binary).detach()
    if b.ndim != 2 or b.shape[0] == 0:
        raise ValueError(f"binary must be a non-empty 2-D [N, K] array, got {tuple(b.shape)}")
    if not bool(((b == 0) | (b == 1)).all()):
        raise ValueError("binary must hold only 0/1 values")
    return b.to(torch.float32)


def activation_rates(binary: Any) -> np.ndarray:
    """Share of samples in which each attribute is active.

    Args:
        binary: 0/1 [N, K] tensor or array.

    Returns:
        float64 [K] activation rate per dimension.
    """
    b = _as_binary(binary)
    counts = (b > 0).sum(dim=0).cpu().numpy()  # int64: exact for any N
    return counts / b.shape[0]


def speaker_profiles(binary: Any, labels: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """Attribute profile of every speaker: has any of its samples activated each one.

    Args:
        binary: 0/1 [N, K] tensor or array.
        labels: int [N] speaker label per sample; -1 rows are left out.

    Returns:
        ``(profiles, speakers)``: bool [S, K] profiles (on CPU) and the int64
        [S] sorted speaker labels their rows belong to.
    """
    b = _as_binary(binary).cpu()
    lab = torch.as_tensor(labels).detach().cpu().to(torch.int64).reshape(-1)
    if lab.shape[0] != b.shape[0]:
        raise ValueError(f"labels has {lab.shape[0]} entries for {b.shape[0]} samples")
    keep = lab >= 0
    speakers, index = torch.unique(lab[keep], return_inverse=True)
    counts = torch.zeros(speakers.shape[0], b.shape[1], dtype=torch.float32)
    counts.index_add_(0, index, b[keep])
    return counts > 0, speakers


def attribute_typicality(binary: Any, labels: Any) -> np.ndarray:
    """Share of speakers whose profile has each attribute.

    Args:
        binary: 0/1 [N, K] tensor or array.
        labels: int [N] speaker label per sample; -1 rows are left out.

    Returns:
        float64 [K] typicality per dimension (NaN if no sample has a speaker).
    """
    profiles, speakers = speaker_profiles(binary, labels)
    if speakers.numel() == 0:
        return np.full(profiles.shape[1], np.nan)
    return profiles.to(torch.float64).mean(dim=0).numpy()


def attribute_statistics(binary: Any, labels: Any) -> dict[str, float]:
    """Summary statistics of the attributes (keys in the module docstring).

    Args:
        binary: 0/1 [N, K] tensor or array, e.g. the binarised val set.
        labels: int [N] speaker label per sample; -1 rows are left out of
            the typicality.

    Returns:
        Flat dict of floats.
    """
    rates = activation_rates(binary)
    typicality = attribute_typicality(binary, labels)
    has_speakers = not np.isnan(typicality).any()
    stats = {
        "attr_active_rate_mean": float(rates.mean()),
        "attr_active_rate_std": float(rates.std()),
        "attr_active_rate_min": float(rates.min()),
        "attr_active_rate_max": float(rates.max()),
        "attr_active_per_sample_mean": float(rates.sum()),
        "attr_never_active": float(np.count_nonzero(rates == 0.0)),
        "attr_always_active": float(np.count_nonzero(rates == 1.0)),
    }
    summary: dict[str, Callable[[np.ndarray], Any]] = {
        "mean": np.mean,
        "std": np.std,
        "min": np.min,
        "median": np.median,
        "max": np.max,
    }
    for name, fn in summary.items():
        stats[f"attr_typicality_{name}"] = float(fn(typicality)) if has_speakers else np.nan
    stats["attr_in_every_profile"] = (
        float(np.count_nonzero(typicality == 1.0)) if has_speakers else np.nan
    )
    return stats
