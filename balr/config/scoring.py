"""Config schema of `balr score`: the scorer group and the train/test apps' top-level configs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from balr.config.schema import NON_EXPERIMENT_KEYS, DatasetConfig

# Keys read by balr, not passed to a scorer's constructor: a BA-LR 2.0 scorer.pt to load, and
# BA-LR 2.0's attribute count (balr reads it from the data; when given, it is checked).
SCORER_ONLY_KEYS = ("checkpoint_path", "n_attributes")

# Where data, models and results are: left out of sweep job directory names.
SCORE_NON_EXPERIMENT_KEYS = [
    *NON_EXPERIMENT_KEYS,
    "trials",
    "val_data",
    "val_trials",
    "reference_name",
    "scorer_dir",
    "calibration",
    "fusion",
    "uncalibrated",
    "explain",
    "plots",
    "scorer.checkpoint_path",
    "encoder.model.checkpoint_path",
]


@dataclass
class BetaScorerConfig:
    """Beta-Bernoulli scorer (the default): a Beta prior per attribute, fitted by Minka."""

    _target_: str = "balr.scoring.BetaScorer"
    # Maximum fixed-point steps of the fit.
    n_iterations: int = 1000
    # Stop when no ln(alpha) or ln(beta) changes by more than this in a step.
    tol: float = 1e-6
    # Attributes shown (or lacked) by fewer reference speakers than this contribute 0.
    min_speakers: int = 2
    # Smallest alpha + beta allowed.
    min_precision: float = 1e-2
    # Largest alpha + beta allowed.
    max_precision: float = 1e4
    # alpha + beta used when the reference has one recording per speaker.
    prior_precision: float = 1.0
    # A BA-LR 2.0 scorer.pt to load at test time instead of a balr scorer run dir.
    checkpoint_path: str | None = None
    # BA-LR 2.0's key: balr takes the attribute count from the data; when set, it must match.
    n_attributes: int | None = None


@dataclass
class MaxLLRScorerConfig:
    """Two-class mixture per attribute (has / has not), fitted by EM in log space."""

    _target_: str = "balr.scoring.MaxLLRScorer"
    # Starting share of speakers having the attribute.
    f: float = 0.5
    # Starting activation probability of a recording of a speaker having it.
    p: float = 0.9
    # Starting activation probability of a recording of a speaker not having it.
    q: float = 0.1
    # Maximum EM iterations.
    n_iterations: int = 100
    # Stop when no parameter changes by more than this in an iteration.
    tol: float = 1e-6
    # Attributes shown (or lacked) by fewer reference speakers than this contribute 0.
    min_speakers: int = 2
    # Probabilities are kept in [min_probability, 1 - min_probability] (no log of 0).
    min_probability: float = 1e-6
    # A BA-LR 2.0 scorer.pt to load at test time instead of a balr scorer run dir.
    checkpoint_path: str | None = None
    # BA-LR 2.0's key: balr takes the attribute count from the data; when set, it must match.
    n_attributes: int | None = None


@dataclass
class DnaScorerConfig:
    """Typicality / drop-out / drop-in scorer ("dna"); needs calibration."""

    _target_: str = "balr.scoring.DNAScorer"
    # Probability that an attribute shows in a recording of a speaker without it.
    drop_in: float = 0.12
    # Attributes with a lower typicality (share of speaker pairs both having it) contribute 0.
    typicality_threshold: float = 1e-4
    # Attributes shown (or lacked) by fewer reference speakers than this contribute 0.
    min_speakers: int = 2
    # A BA-LR 2.0 scorer.pt to load at test time instead of a balr scorer run dir.
    checkpoint_path: str | None = None
    # BA-LR 2.0's key: balr takes the attribute count from the data; when set, it must match.
    n_attributes: int | None = None


@dataclass
class SpeechScorerConfig:
    """Typicality / drop-out / drop-in scorer ("speech" variant); needs calibration."""

    _target_: str = "balr.scoring.SpeechScorer"
    # Probability that an attribute shows in a recording of a speaker without it.
    drop_in: float = 0.12
    # Attributes with a lower typicality (share of speaker pairs both having it) contribute 0.
    typicality_threshold: float = 1e-4
    # Attributes shown (or lacked) by fewer reference speakers than this contribute 0.
    min_speakers: int = 2
    # A BA-LR 2.0 scorer.pt to load at test time instead of a balr scorer run dir.
    checkpoint_path: str | None = None
    # BA-LR 2.0's key: balr takes the attribute count from the data; when set, it must match.
    n_attributes: int | None = None


@dataclass
class CosineScorerConfig:
    """Cosine similarity of embeddings (a score, not an LLR: calibrate it)."""

    _target_: str = "balr.scoring.CosineScorer"
    # Subtract the reference embeddings' mean before the cosine.
    center: bool = False


@dataclass
class PldaScorerConfig:
    """Two-covariance PLDA on embeddings: natural-log LLRs of a Gaussian model."""

    _target_: str = "balr.scoring.PLDAScorer"
    # LDA onto this many directions first (<= embedding size and reference speakers - 1).
    lda_dim: int | None = None
    # Without lda_dim: whiten by the reference's total covariance first.
    whiten: bool = True
    # Whitening keeps the directions whose variance is at least this share of the largest.
    min_variance: float = 0.01
    # Length-normalise the preprocessed vectors (to norm sqrt(dimensions)).
    length_norm: bool = True
    # Maximum EM iterations.
    n_iterations: int = 100
    # Stop when an EM iteration gains less log-likelihood than this (nats per recording).
    tol: float = 1e-3


# The `scorer` config group: option name -> node (names are the scorers' `name`s).
SCORER_CONFIGS: dict[str, type] = {
    "beta": BetaScorerConfig,
    "maxllr": MaxLLRScorerConfig,
    "dna": DnaScorerConfig,
    "speech": SpeechScorerConfig,
    "cosine": CosineScorerConfig,
    "plda": PldaScorerConfig,
}


@dataclass
class ScoreEncoderConfig:
    """An optional trained encoder: binarises a dataset's embeddings in memory."""

    model: Any = field(
        default_factory=lambda: {
            "_target_": "balr.models.BinaryAttributeAutoEncoder",
            # A balr checkpoint (RUN/best.pt) or BA-LR 2.0 state_dict; None reads attributes.
            "checkpoint_path": None,
        }
    )


def _score_hydra(job_name: str, numbered: bool = False) -> dict[str, Any]:
    # Test jobs often differ only in excluded paths (scorer_dir=A,B): number them.
    subdir = "${hydra:job.override_dirname}"
    return {
        "job": {
            "name": job_name,
            "chdir": False,
            "config": {"override_dirname": {"exclude_keys": SCORE_NON_EXPERIMENT_KEYS}},
        },
        "sweep": {"subdir": f"job${{hydra:job.num}}_{subdir}" if numbered else subdir},
    }


def _defaults() -> list[Any]:
    return [
        "_self_",
        {"scorer": "beta"},
        {"override hydra/job_logging": "balr"},
        {"override hydra/hydra_logging": "balr"},
    ]


@dataclass
class CrossValConfig:
    """Cross-validated calibration of ``balr score train`` (``--calibrate K``)."""

    # Speaker-disjoint folds K (0: no cross-validated calibration; otherwise at least 2).
    folds: int = 0
    # Seed of the deal of speakers into folds and of any capped draw of comparisons.
    seed: int = 0
    # Cap per class and fold on the held-out fold's same- and different-speaker comparisons.
    max_pairs: int = 200_000
    # Calibration method fitted on the pooled out-of-fold scores: logistic or bigauss.
    method: str = "logistic"
    # Bounds of the calibrated LLRs: elub (empirical lower and upper bounds) or none.
    bounds: str = "elub"


@dataclass
class ScoreTrainConfig:
    """Top-level config of ``balr score train``: fit a scorer on a reference population."""

    defaults: list[Any] = field(default_factory=_defaults)
    # Reference dataset: binary attributes (or embeddings with encoder.model) and speakers.
    input: DatasetConfig = field(default_factory=DatasetConfig)
    # Name of the reference population, kept in scorer.json and shown by case reports
    # (None: the dataset's folder or file with the folder above it, e.g. librispeech/train).
    reference_name: str | None = None
    # The scorer and its settings (scorer=beta|maxllr|dna|speech, scorer.KEY=VALUE).
    scorer: Any = MISSING
    # Optional encoder that binarises the dataset's embeddings in memory.
    encoder: ScoreEncoderConfig = field(default_factory=ScoreEncoderConfig)
    # Optional dataset (speakers disjoint from input) whose val_trials are scored after the
    # fit: raw-LLR EER, Cllr and Cllr_min go to the log and summary.json (sweep tables).
    val_data: str | None = None
    # Trial file over val_data (enrollment<TAB>test[<TAB>label]).
    val_trials: str | None = None
    # Speaker-disjoint K-fold cross-validation on input, then calibration.json fitted on the
    # pooled out-of-fold scores (cv_scores.tsv).
    cv: CrossValConfig = field(default_factory=CrossValConfig)
    # cpu, cuda, cuda:N, N or mps (only the encoder uses it).
    device: str = "cpu"
    # Run directory; set by the balr launcher (runs/scorer/trainX unless --save-dir).
    save_dir: str | None = None
    # Allow an existing save_dir.
    exist_ok: bool = False
    hydra: Any = field(default_factory=lambda: _score_hydra("score_train"))


@dataclass
class ScoreTestConfig:
    """Top-level config of ``balr score test``: LLRs of a trial list, metrics, explanations."""

    defaults: list[Any] = field(default_factory=_defaults)
    # Dataset the trial ids refer to: binary attributes (or embeddings with encoder.model).
    input: DatasetConfig = field(default_factory=DatasetConfig)
    # Trial file: tab-separated enrollment<TAB>test[<TAB>label], sides may be id,id,...
    trials: str = MISSING
    # A fitted scorer's run directory (balr score train); else scorer.checkpoint_path.
    scorer_dir: str | None = None
    # The scorer type of a BA-LR 2.0 scorer.pt (scorer=NAME scorer.checkpoint_path=PATH).
    scorer: Any = MISSING
    # calibration.json applied to the LLRs (None: scorer_dir/calibration.json when present).
    calibration: str | None = None
    # fusion.json of `balr score fuse`: score with each of its systems' scorer runs and fuse
    # (instead of scorer_dir).
    fusion: str | None = None
    # Raw LLRs even when scorer_dir holds a calibration.json.
    uncalibrated: bool = False
    # Apply a calibration fitted for another scorer anyway (warns; --force-calibration).
    force_calibration: bool = False
    # Write explain.tsv with the N attributes of largest |contribution| per comparison.
    explain: int = 0
    # Draw tippett.png, ece.png and pav.png (needs labelled comparisons).
    plots: bool = False
    # Optional encoder that binarises the dataset's embeddings in memory.
    encoder: ScoreEncoderConfig = field(default_factory=ScoreEncoderConfig)
    # cpu, cuda, cuda:N, N or mps (only the encoder uses it).
    device: str = "cpu"
    # Run directory; set by the balr launcher (runs/score/testX unless --save-dir).
    save_dir: str | None = None
    # Allow an existing save_dir.
    exist_ok: bool = False
    hydra: Any = field(default_factory=lambda: _score_hydra("score_test", numbered=True))
