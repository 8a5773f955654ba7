"""Configuration schema (dataclasses) and its registration in Hydra's ConfigStore."""

from balr.config.data import DataConfig
from balr.config.losses import (
    LOSS_CONFIGS,
    ArcFaceLossConfig,
    MSELossConfig,
    SparsityLossConfig,
    TripletLossConfig,
)
from balr.config.schema import (
    BinarizeConfig,
    DatasetConfig,
    EncoderConfig,
    ModelConfig,
    TrainConfig,
    TrainerConfig,
)

__all__ = [
    "LOSS_CONFIGS",
    "ArcFaceLossConfig",
    "BinarizeConfig",
    "DataConfig",
    "DatasetConfig",
    "EncoderConfig",
    "MSELossConfig",
    "ModelConfig",
    "SparsityLossConfig",
    "TrainConfig",
    "TrainerConfig",
    "TripletLossConfig",
]
