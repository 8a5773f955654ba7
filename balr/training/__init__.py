"""Training: the trainer, checkpoints, run directories and multi-process helpers."""

from balr.training.trainer import BinaryAttributeEncoderTrainer

__all__ = ["BinaryAttributeEncoderTrainer"]
