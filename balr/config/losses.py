"""Structured configs of the four losses, keyed in LOSS_CONFIGS by their config-group name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class MSELossConfig:
    """Reconstruction loss between the decoder output and the input embedding."""

    _target_: str = "balr.losses.MSELoss"
    # Factor of this loss in the total.
    weight: float = 1.0


@dataclass
class TripletLossConfig:
    """Triplet margin loss on the L2-normalised binary attributes, with in-batch mining."""

    _target_: str = "balr.losses.TripletMarginLoss"
    # Factor of this loss in the total.
    weight: float = 1.0
    # Margin of both the miner and the loss.
    margin: float = 0.3
    # Which triplets are mined: all, hard, semihard or easy.
    type_of_triplets: str = "all"


@dataclass
class ArcFaceLossConfig:
    """Additive angular margin softmax against learnable train-speaker centres."""

    _target_: str = "balr.losses.ArcFaceLoss"
    # Factor of this loss in the total.
    weight: float = 0.001
    # Margin of the triplet miner that weights the samples.
    margin: float = 0.3
    # Which triplets the miner keeps: all, hard, semihard or easy.
    type_of_triplets: str = "all"
    # Angular margin added to the target angle, in degrees.
    angular_margin: float = 28.6
    # Logit scale.
    scale: float = 64.0


@dataclass
class SparsityLossConfig:
    """Pushes each attribute towards being shared by only part of a speaker's utterances."""

    _target_: str = "balr.losses.SparsityLoss"
    # Factor of this loss in the total.
    weight: float = 0.0001


LOSS_CONFIGS: dict[str, type] = {
    "mse": MSELossConfig,
    "triplet": TripletLossConfig,
    "arcface": ArcFaceLossConfig,
    "sparsity": SparsityLossConfig,
}
