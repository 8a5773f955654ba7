"""Training: the trainer, checkpoints, run directories and multi-process helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from balr.training.trainer import BinaryAttributeEncoderTrainer

__all__ = ["BinaryAttributeEncoderTrainer"]


def __getattr__(name: str) -> Any:
    # Lazy, so that light modules (run_dir, checkpoint) import without the whole stack.
    if name == "BinaryAttributeEncoderTrainer":
        from balr.training.trainer import BinaryAttributeEncoderTrainer

        return BinaryAttributeEncoderTrainer
    raise AttributeError(name)
