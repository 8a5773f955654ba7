"""Checks of config values that Hydra's type checks cannot express.

Run by the launcher before a run directory is claimed, so a bad value leaves nothing on disk.
"""

from __future__ import annotations

from typing import Any

from balr.errors import ConfigError
from balr.models.init import MODEL_INITS

# trainer.monitor -> the validation metric best.pt tracks (lower is better for each).
MONITOR_KEYS = {
    "val_eer": "eer",
    "val_min_dcf": "min_dcf_0.01",
    "val_loss": "loss",
    "val_cllr_min": "cllr_min",
}
MONITORS = tuple(MONITOR_KEYS)
TRIPLET_TYPES = ("all", "hard", "semihard", "easy")


def _require(ok: bool, key: str, value: Any, need: str) -> None:
    if not ok:
        raise ConfigError(f"{key}={value!r} is invalid: {need}")


def validate_data_config(data: Any) -> None:
    """Check batch geometry; `data` is a DataConfig or a DictConfig node."""
    n, m = data.N_classes_per_batch, data.M_samples_per_class
    _require(n >= 1, "data.N_classes_per_batch", n, "it must be >= 1")
    _require(m >= 1, "data.M_samples_per_class", m, "it must be >= 1")
    _require(
        data.batch_size == n * m,
        "data.batch_size",
        data.batch_size,
        f"it must equal data.N_classes_per_batch * data.M_samples_per_class = {n * m}"
        f" (set data.batch_size={n * m})",
    )
    _require(data.num_workers >= 1, "data.num_workers", data.num_workers, "it must be >= 1")


def validate_trainer_config(trainer: Any) -> None:
    """Check the trainer's numbers and the selected losses."""
    _require(trainer.epochs >= 0, "trainer.epochs", trainer.epochs, "it must be >= 0")
    _require(
        trainer.learning_rate > 0,
        "trainer.learning_rate",
        trainer.learning_rate,
        "it must be > 0 (e.g. 0.001)",
    )
    for key in ("input_dim", "internal_dim"):
        value = trainer[key]
        _require(value >= 1, f"trainer.{key}", value, "it must be >= 1")
    for key in ("save_period", "log_period", "val_period", "val_scorer_speakers"):
        value = trainer[key]
        _require(value >= 0, f"trainer.{key}", value, "it must be >= 0 (0 turns it off)")
    _require(
        trainer.init in MODEL_INITS,
        "trainer.init",
        trainer.init,
        f"choose one of {', '.join(MODEL_INITS)}",
    )
    _require(
        trainer.monitor in MONITORS,
        "trainer.monitor",
        trainer.monitor,
        f"choose one of {', '.join(MONITORS)}",
    )
    if trainer.monitor == "val_cllr_min" and trainer.val_scorer_speakers == 0:
        raise ConfigError(
            "trainer.monitor=val_cllr_min needs the val LLR metrics, which"
            " trainer.val_scorer_speakers=0 turns off: set trainer.val_scorer_speakers to a"
            " number of train speakers (e.g. 500) or monitor val_eer"
        )
    losses = trainer.losses
    if not losses:
        raise ConfigError(
            "trainer.losses is empty: select at least one, e.g. 'trainer.losses=[mse]'"
        )
    # ArcFace is not evaluated on held-out speakers, so it alone gives no val loss to track.
    if trainer.monitor == "val_loss" and set(losses) <= {"arcface"}:
        raise ConfigError(
            "trainer.monitor=val_loss needs a loss besides arcface (it is not computed on val"
            " speakers): add one, e.g. 'trainer.losses=[mse,arcface]', or monitor val_eer"
        )
    for name, loss in losses.items():
        _require(loss.weight >= 0, f"trainer.losses.{name}.weight", loss.weight, "it must be >= 0")
        if "type_of_triplets" in loss:
            _require(
                loss.type_of_triplets in TRIPLET_TYPES,
                f"trainer.losses.{name}.type_of_triplets",
                loss.type_of_triplets,
                f"choose one of {', '.join(TRIPLET_TYPES)}",
            )


def validate_train_config(cfg: Any) -> None:
    """Check a composed `balr train` config."""
    validate_data_config(cfg.data)
    validate_trainer_config(cfg.trainer)
