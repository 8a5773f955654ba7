"""The model and the losses' parameters as one module, so DDP and Adam see them together."""

from __future__ import annotations

import torch
from torch import nn

from balr.losses import BaseAutoEncoderLoss


class TrainingModule(nn.Module):
    """forward(x, labels) -> unweighted loss values, one per loss."""

    def __init__(self, model: nn.Module, losses: list[BaseAutoEncoderLoss]) -> None:
        super().__init__()
        self.model = model
        self.losses = nn.ModuleList(losses)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        recon, binary, z = self.model(x)
        return torch.stack([loss(x, labels, binary, recon, z) for loss in self.losses])
