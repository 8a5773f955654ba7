"""Config schema of `balr validate`: the validation report of a method.

The criteria follow the guideline of Meuwly, Ramos and Haraksim (2017): the laboratory sets
them; these defaults are a starting point for speaker comparison, not a standard.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from omegaconf import MISSING

from balr.config.schema import _hydra_settings


@dataclass
class CriteriaConfig:
    """Validation criteria, one per metric; a condition passes a row when it meets it.

    With a baseline (--baseline SCORES.tsv), the criteria of Cllr, Cllr_min and EER become
    relative: the method's value may exceed the baseline's by at most `baseline_margin`.
    """

    # Accuracy: Cllr (bits) of every condition at most this.
    cllr_max: float = 0.3
    # Discriminating power: Cllr_min (bits) of every condition at most this.
    cllr_min_max: float = 0.2
    # Discriminating power: EER (percent) of every condition at most this.
    eer_max: float = 5.0
    # Calibration: Cllr_cal = Cllr - Cllr_min (bits) of every condition at most this.
    cllr_cal_max: float = 0.05
    # Calibration: devPAV (log10 units) of every condition at most this.
    devpav_max: float = 0.25
    # With a baseline: Cllr, Cllr_min and EER may exceed the baseline's by this fraction
    # (0.2: up to 20 % worse); the absolute limits above are then not used for them.
    baseline_margin: float = 0.2
    # Robustness: the worst condition's Cllr (bits) at most this.
    robustness_cllr_max: float = 0.5
    # Robustness: the worst condition's EER (percent) at most this.
    robustness_eer_max: float = 10.0
    # Coherence: with more net speech, Cllr (bits) may rise by at most this much between
    # consecutive durations (0: it must not get worse at all).
    coherence_cllr_tolerance: float = 0.01
    # Coherence: with more net speech, EER (percent) may rise by at most this much.
    coherence_eer_tolerance: float = 0.5
    # Generalisation: Cllr (bits) of all conditions pooled at most this.
    generalisation_cllr_max: float = 0.3


CRITERIA_KEYS = tuple(f.name for f in fields(CriteriaConfig))


@dataclass
class ValidateConfig:
    """Top-level config of ``balr validate``."""

    defaults: list[Any] = field(
        default_factory=lambda: [
            "_self_",
            {"override hydra/job_logging": "balr"},
            {"override hydra/hydra_logging": "balr"},
        ]
    )
    # Labelled score files (balr score test / apply, or any system's LLRs), one condition
    # each; a file with a `condition` column of several values gives one per value.
    scores: list[str] = MISSING
    # Condition names, one per file (empty: each file's folder name).
    names: list[str] = field(default_factory=list)
    # Net speech seconds of each condition, in order (empty: read from names such as
    # short_5s, dur2s or 4.0s; conditions without one are left out of the coherence curve).
    durations: list[float] = field(default_factory=list)
    # Dataset (CSV, folder or packed) mapping the comparisons' ids to speakers (None: the
    # part of each id before its first '/', e.g. ls1355/39947-0000-s00 -> ls1355).
    data: str | None = None
    # Baseline method's labelled scores: criteria become relative to its metrics.
    baseline: str | None = None
    # What the validation data are, for the report's generalisation row (e.g. "LibriSpeech
    # val speakers, none in the reference or calibration data").
    data_description: str | None = None
    # The validation criteria (criteria.cllr_max=0.2, ...).
    criteria: CriteriaConfig = field(default_factory=CriteriaConfig)
    # Speaker-bootstrap replicates for 95 % intervals of Cllr, Cllr_min, EER and devPAV
    # (0: no intervals).
    bootstrap: int = 0
    # Seed of the bootstrap draws.
    seed: int = 1234
    # Run directory; set by the balr launcher (runs/validate/validateN unless --save-dir).
    save_dir: str | None = None
    # Allow an existing save_dir.
    exist_ok: bool = False
    hydra: Any = field(default_factory=lambda: _hydra_settings("validate"))
