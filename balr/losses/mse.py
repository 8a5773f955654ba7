"""Reconstruction loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from balr.losses.base import BaseAutoEncoderLoss


class MSELoss(BaseAutoEncoderLoss):
    """Mean squared error between the reconstruction and the input embedding.

    Args:
        weight: factor in the total loss; None means 1.0 (the configs' default is 1.0).
    """

    def __init__(self, weight: float | None = None) -> None:
        super().__init__("mse", weight)

    def forward(
        self,
        input: torch.Tensor,
        labels: torch.Tensor,
        output: torch.Tensor,
        recon: torch.Tensor,
        Z: torch.Tensor,
    ) -> torch.Tensor:
        """Mean over all elements of (recon - input)^2."""
        return F.mse_loss(recon, input)
