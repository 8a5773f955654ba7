"""Triplet margin loss on the binary attributes, with in-batch mining."""

from __future__ import annotations

import torch

from balr.losses.base import BaseAutoEncoderLoss, as_labels
from balr.losses.mining import check_margin, check_triplet_type, mine_triplets, normalized_distances


class TripletMarginLoss(BaseAutoEncoderLoss):
    """relu(d(a, p) - d(a, n) + margin), averaged over the mined triplets whose loss is not 0.

    Triplets are mined inside the batch from the speaker labels, on the L2-normalised binary
    attributes with Euclidean distance (see `balr.losses.mining` for the types). The loss is 0,
    with a defined zero gradient, when no mined triplet has a non-zero loss.

    Args:
        margin: margin of both the miner and the loss.
        type_of_triplets: "all", "hard", "semihard" or "easy".
        weight: factor in the total loss; None means 1.0 (the configs' default is 1.0).
    """

    def __init__(
        self, margin: float = 0.3, type_of_triplets: str = "all", weight: float | None = None
    ) -> None:
        super().__init__("triplet", weight)
        self.margin = check_margin(margin)
        self.type_of_triplets = check_triplet_type(type_of_triplets)

    def forward(
        self,
        input: torch.Tensor,
        labels: torch.Tensor,
        output: torch.Tensor,
        recon: torch.Tensor,
        Z: torch.Tensor,
    ) -> torch.Tensor:
        """Mean non-zero triplet loss of the batch's binary attributes `output`."""
        labels = as_labels(labels, len(output), output.device)
        dist = normalized_distances(output)
        mined = mine_triplets(dist.detach(), labels, self.margin, self.type_of_triplets)
        count = mined.num_active
        # Each active triplet's loss is linear in two distances: summing them through the
        # per-pair counts never builds a per-triplet tensor.
        total = (mined.pair_weights(dist.dtype) * dist).sum()
        return total / count.clamp(min=1) + self.margin * (count > 0).to(dist.dtype)

    def extra_repr(self) -> str:
        return f"margin={self.margin:g}, type_of_triplets={self.type_of_triplets!r}, " + (
            super().extra_repr()
        )
