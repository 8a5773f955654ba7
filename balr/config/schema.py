"""The configuration schema of the Hydra apps: one dataclass per component.

Defaults live here and only here; YAML presets in ``conf/`` select and override.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omegaconf import MISSING

from balr.config.data import DataConfig

# The same list as balr.data.AUDIO_FORMATS (a test keeps them equal); repeated here so the
# config schema imports no torch.
AUDIO_FORMATS = ["flac", "mp3", "m4a", "ogg", "opus", "wav", "wma"]

# Override keys that say where data and results are, not what was trained: they are left
# out of sweep job directory names.
NON_EXPERIMENT_KEYS = [
    "train.path",
    "val.path",
    "input.path",
    "device",
    "save_dir",
    "exist_ok",
    "resume",
    "train.root_dir",
    "val.root_dir",
    "input.root_dir",
    "train.utt2spk",
    "val.utt2spk",
    "input.utt2spk",
    "train.audio_formats",
    "val.audio_formats",
    "input.audio_formats",
    "data.val_trials",
    "data.cache_dir",
    "data.num_workers",
    *("force", "save_output", "extract.workers", "extract.batch_files", "extract.strict"),
]


@dataclass
class DatasetConfig:
    """A dataset read by ``AudioDataset.from_path``."""

    _target_: str = "balr.data.AudioDataset.from_path"
    # A CSV file, a folder of audio files, a single audio file or a packed dataset folder.
    path: str = MISSING
    # Audio file extensions looked for when path is a folder.
    audio_formats: list[str] = field(default_factory=lambda: list(AUDIO_FORMATS))
    # Sample rate recorded on the items.
    sample_rate: int = 16000
    # Folder that relative paths in a CSV (or an scp's ark paths) are resolved against
    # (default: the CSV's or scp's folder).
    root_dir: str | None = None
    # Kaldi utt2spk file giving the speakers of an .ark/.scp dataset (default: the
    # utt2spk beside it, if any); ignored for other datasets.
    utt2spk: str | None = None


@dataclass
class ModelConfig:
    """The binary-attribute autoencoder; its dimensions follow the trainer's."""

    _target_: str = "balr.models.AutoEncoder"
    # Embedding dimension.
    input_dim: int = "${..input_dim}"  # type: ignore[assignment]
    # Number of binary attributes.
    internal_dim: int = "${..internal_dim}"  # type: ignore[assignment]


@dataclass
class TrainerConfig:
    """Arguments of ``BinaryAttributeEncoderTrainer``; losses are picked in ``trainer.losses``."""

    _target_: str = "balr.training.BinaryAttributeEncoderTrainer"
    # Embedding dimension; must match the data.
    input_dim: int = 256
    # Number of binary attributes.
    internal_dim: int = 512
    # Adam learning rate.
    learning_rate: float = 0.001
    # Number of training epochs.
    epochs: int = 100
    # Seed of Python, NumPy, torch and the samplers.
    seed: int = 1234
    # Save epoch<N>.pt every this many epochs (0: never).
    save_period: int = 0
    # Log train metrics every this many epochs (0: only at validations).
    log_period: int = 2
    # Validate every this many epochs (0: only after the last epoch).
    val_period: int = 10
    # What best.pt tracks: val_eer, val_min_dcf, val_loss or val_cllr_min (lower is better).
    monitor: str = "val_eer"
    # Encoder start: hyperplane (a random-hyperplane hash of the centred train embeddings,
    # which keeps their angular geometry) or kaiming (generic random init).
    init: str = "hyperplane"
    # Compile the training step with torch.compile.
    compile: bool = False
    # Cap on target and non-target trials drawn from the val set (each).
    val_max_pairs: int = 50_000
    # Train speakers (a fixed random subset of the seed, up to 32 recordings each) the default
    # LLR scorer is fitted on at each validation, for val llr_eer, cllr_min and cllr; 0: off.
    val_scorer_speakers: int = 500
    # Selected losses, keyed by name; set with 'trainer.losses=[mse,triplet]'.
    losses: dict[str, Any] = field(default_factory=dict)
    # The autoencoder.
    model: ModelConfig = field(default_factory=ModelConfig)


def _hydra_settings(job_name: str) -> dict[str, Any]:
    return {
        "job": {
            "name": job_name,
            "chdir": False,
            "config": {"override_dirname": {"exclude_keys": NON_EXPERIMENT_KEYS}},
        },
        "sweep": {"subdir": "${hydra:job.override_dirname}"},
    }


@dataclass
class TrainConfig:
    """Top-level config of ``balr train``."""

    defaults: list[Any] = field(
        default_factory=lambda: [
            "_self_",
            {"trainer.losses": ["mse", "triplet"]},
            {"override hydra/job_logging": "balr"},
            {"override hydra/hydra_logging": "balr"},
        ]
    )
    # Training dataset.
    train: DatasetConfig = field(default_factory=DatasetConfig)
    # Validation dataset (other speakers than train).
    val: DatasetConfig = field(default_factory=DatasetConfig)
    # Batching.
    data: DataConfig = field(default_factory=DataConfig)
    # Trainer and model.
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    # cpu, cuda, cuda:N, N, mps, or cuda:0,1 (one device per torchrun rank).
    device: str = "cpu"
    # Run directory; set by the balr launcher (runs/trainX unless --save-dir).
    save_dir: str | None = None
    # Allow an existing save_dir.
    exist_ok: bool = False
    # Run directory or checkpoint to continue from.
    resume: str | None = None
    hydra: Any = field(default_factory=lambda: _hydra_settings("train"))


@dataclass
class EncoderConfig:
    """The trained encoder used by ``balr binarize``."""

    model: Any = field(
        default_factory=lambda: {
            "_target_": "balr.models.BinaryAttributeAutoEncoder",
            "checkpoint_path": MISSING,
            "input_dim": None,
            "internal_dim": None,
        }
    )


@dataclass
class BinarizeConfig:
    """Top-level config of ``balr binarize``."""

    defaults: list[Any] = field(
        default_factory=lambda: [
            "_self_",
            {"override hydra/job_logging": "balr"},
            {"override hydra/hydra_logging": "balr"},
        ]
    )
    # Dataset whose embeddings are binarised.
    input: DatasetConfig = field(default_factory=DatasetConfig)
    # Encoder checkpoint (encoder.model.checkpoint_path=PATH).
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    # Batching (batch_size, num_workers).
    data: DataConfig = field(default_factory=lambda: DataConfig(batch_size=4096))
    # Recompute items that already have binary attributes.
    force: bool = False
    # Write _ba files and the output CSV (else only report).
    save_output: bool = True
    # Folder for the _ba files, mirroring the input layout (default: beside each input).
    save_dir: str | None = None
    # Allow an existing save_dir.
    exist_ok: bool = False
    # cpu, cuda, cuda:N, N or mps.
    device: str = "cpu"
    hydra: Any = field(default_factory=lambda: _hydra_settings("binarize"))
