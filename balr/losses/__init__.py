"""Training losses of the binary-attribute autoencoder, and their registry.

Default weights in the configs: mse 1.0, triplet 1.0, arcface 0.001, sparsity 0.0001.
"""

from __future__ import annotations

from balr.losses.arcface import ArcFaceLoss
from balr.losses.base import BaseAutoEncoderLoss
from balr.losses.mining import TRIPLET_TYPES, MinedTriplets, mine_triplets, normalized_distances
from balr.losses.mse import MSELoss
from balr.losses.sparsity import SparsityLoss
from balr.losses.triplet import TripletMarginLoss

LOSSES: dict[str, type[BaseAutoEncoderLoss]] = {
    "mse": MSELoss,
    "triplet": TripletMarginLoss,
    "arcface": ArcFaceLoss,
    "sparsity": SparsityLoss,
}

__all__ = [
    "LOSSES",
    "TRIPLET_TYPES",
    "ArcFaceLoss",
    "BaseAutoEncoderLoss",
    "MSELoss",
    "MinedTriplets",
    "SparsityLoss",
    "TripletMarginLoss",
    "mine_triplets",
    "normalized_distances",
]
