"""The binary-attribute autoencoder, its binarisation, and inference from checkpoints."""

from __future__ import annotations

from balr.models.autoencoder import AutoEncoder, binarize
from balr.models.inference import BinaryAttributeAutoEncoder
from balr.models.loading import expected_shapes, load_model_state

__all__ = [
    "AutoEncoder",
    "BinaryAttributeAutoEncoder",
    "binarize",
    "expected_shapes",
    "load_model_state",
]
