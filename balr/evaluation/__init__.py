"""Speaker-verification metrics and binary-attribute statistics.

Typical validation use::

    trials = load_or_draw_trials(table.ids, table.labels, path=data_config.val_trials)
    metrics = verification_metrics(binary, trials)      # eer, min_dcf_0.01, min_dcf_0.05
    metrics |= attribute_statistics(binary, table.labels)  # attr_* keys

Metric keys are flat and CSV-friendly (the trainer prefixes them with
``val_``); see :mod:`balr.evaluation.scoring` and
:mod:`balr.evaluation.attributes` for their meaning:

- ``eer`` (percent), ``min_dcf_0.01``, ``min_dcf_0.05`` (normalised);
- ``attr_active_rate_{mean,std,min,max}``, ``attr_active_per_sample_mean``,
  ``attr_never_active``, ``attr_always_active``,
  ``attr_typicality_{mean,std,min,median,max}``, ``attr_in_every_profile``.

LLR quality (:mod:`balr.evaluation.calibration`): ``cllr``, ``cllr_min`` (PAV),
``cllr_cal`` via :func:`llr_metrics`, and the affine :class:`Calibration`; plots in
:mod:`balr.evaluation.plots`; ELUB bounds in :mod:`balr.evaluation.bounds`.
"""

from __future__ import annotations

from balr.evaluation.attributes import (
    activation_rates,
    attribute_statistics,
    attribute_typicality,
    speaker_profiles,
)
from balr.evaluation.calibration import (
    Calibration,
    cllr,
    cllr_min,
    empirical_cross_entropy,
    llr_metrics,
    pav_llrs,
)
from balr.evaluation.metrics import compute_eer, compute_min_dcf, error_rates
from balr.evaluation.scoring import (
    DEFAULT_P_TARGETS,
    cosine_scores,
    score_metrics,
    verification_metrics,
)
from balr.evaluation.trial_io import load_or_draw_trials, read_trials, write_trials
from balr.evaluation.trials import Trials, draw_trials

__all__ = [
    "DEFAULT_P_TARGETS",
    "Calibration",
    "Trials",
    "activation_rates",
    "attribute_statistics",
    "attribute_typicality",
    "cllr",
    "cllr_min",
    "compute_eer",
    "compute_min_dcf",
    "cosine_scores",
    "draw_trials",
    "empirical_cross_entropy",
    "error_rates",
    "llr_metrics",
    "load_or_draw_trials",
    "pav_llrs",
    "read_trials",
    "score_metrics",
    "speaker_profiles",
    "verification_metrics",
    "write_trials",
]
