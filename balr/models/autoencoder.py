"""The binary-attribute autoencoder and its straight-through binarisation."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class _StraightThroughBinarize(torch.autograd.Function):
    """Forward: (Z > 0) as 0/1; backward: the incoming gradient, clipped to [-1, 1]."""

    @staticmethod
    def forward(ctx: Any, Z: torch.Tensor) -> torch.Tensor:
        return (Z > 0).to(Z.dtype)

    @staticmethod
    def backward(ctx: Any, grad_output: torch.Tensor) -> torch.Tensor:
        return grad_output.clamp(-1.0, 1.0)


def binarize(Z: torch.Tensor) -> torch.Tensor:
    """Binary attributes of latent `Z`: 1 where Z > 0, else 0 (straight-through gradient)."""
    return _StraightThroughBinarize.apply(Z)


class AutoEncoder(nn.Module):
    """Embedding -> latent Z in (-1, 1) -> binary attributes -> reconstructed embedding.

    Module layout and state_dict keys match BA-LR 2.0 checkpoints:
    ``encoder`` = Linear, ReLU, BatchNorm1d, Linear, Tanh; ``decoder`` = Linear, Tanh, Linear.

    Args:
        input_dim: embedding dimension.
        internal_dim: number of binary attributes.
    """

    def __init__(self, input_dim: int = 256, internal_dim: int = 512) -> None:
        super().__init__()
        self.input_dim = int(input_dim)
        self.internal_dim = int(internal_dim)
        self.encoder = nn.Sequential(
            nn.Linear(self.input_dim, self.internal_dim),
            nn.ReLU(),
            nn.BatchNorm1d(self.internal_dim),
            nn.Linear(self.internal_dim, self.internal_dim),
            nn.Tanh(),
        )
        self.decoder = nn.Sequential(
            nn.Linear(self.internal_dim, self.internal_dim),
            nn.Tanh(),
            nn.Linear(self.internal_dim, self.input_dim),
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Kaiming-normal (fan_in) Linear weights, zero biases, BatchNorm reset."""
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity="relu")
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm1d):
                module.reset_parameters()

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent Z of embeddings `x` [B, input_dim]: [B, internal_dim], values in (-1, 1)."""
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return (reconstruction, binary attributes, latent Z) of embeddings `x`."""
        Z = self.encode(x)
        binary = binarize(Z)
        return self.decoder(binary), binary, Z
