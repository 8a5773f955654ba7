"""Sparsity loss: each attribute should be active in only part of a speaker's samples."""

from __future__ import annotations

from typing import Any

import torch

from balr.losses.base import BaseAutoEncoderLoss


class SparsityLoss(BaseAutoEncoderLoss):
    """Penalises latent sums per speaker above a per-attribute target count.

    `setup` draws, with its own generator seeded by `seed`, one integer target in [0, M) per
    attribute (M = samples per speaker in a batch). The batch must hold its speakers in
    consecutive chunks of M samples, as the NxM samplers yield them. Each chunk's Z is summed
    over its samples; the loss is the mean over chunks of
    ``sum over attributes of clamp(sum - target, 0, 1) ** 2``.

    Args:
        weight: factor in the total loss; None means 1.0 (the configs' default is 0.0001).
    """

    targets: torch.Tensor | None

    def __init__(self, weight: float | None = None) -> None:
        super().__init__("sparsity", weight)
        self.samples_per_class = 0
        # A persistent buffer once set, so checkpoints carry the targets.
        self.register_buffer("targets", None)

    def setup(
        self,
        *,
        M_samples_per_class: int | None = None,
        internal_dim: int | None = None,
        seed: int = 1234,
        **kwargs: Any,
    ) -> None:
        """Draw the per-attribute targets (other kwargs ignored)."""
        if M_samples_per_class is None or internal_dim is None:
            raise ValueError("SparsityLoss.setup needs M_samples_per_class and internal_dim")
        if M_samples_per_class < 1 or internal_dim < 1:
            raise ValueError(
                f"SparsityLoss.setup: M_samples_per_class ({M_samples_per_class}) and"
                f" internal_dim ({internal_dim}) must be >= 1"
            )
        generator = torch.Generator().manual_seed(int(seed))
        shape = (int(internal_dim),)
        targets = torch.randint(0, int(M_samples_per_class), shape, generator=generator)
        self.samples_per_class = int(M_samples_per_class)
        self.targets = targets.to(self.weight.device, torch.float32)

    def forward(
        self,
        input: torch.Tensor,
        labels: torch.Tensor,
        output: torch.Tensor,
        recon: torch.Tensor,
        Z: torch.Tensor,
    ) -> torch.Tensor:
        """Mean over speaker chunks of the squared excess of Z's sums over the targets."""
        if self.targets is None:
            raise RuntimeError(
                "SparsityLoss is used before setup(): call setup(M_samples_per_class=...,"
                " internal_dim=...) first (the trainer does)"
            )
        m = self.samples_per_class
        batch, dim = Z.shape
        if batch % m:
            raise ValueError(
                f"SparsityLoss: a batch of {batch} samples is not a multiple of"
                f" M_samples_per_class={m}; use an NxM sampler with that M"
            )
        if dim != len(self.targets):
            raise ValueError(f"SparsityLoss: Z has {dim} attributes, setup got {len(self.targets)}")
        sums = Z.reshape(batch // m, m, dim).sum(1)
        excess = (sums - self.targets.to(Z.dtype)).clamp(0.0, 1.0)
        return excess.pow(2).sum(1).mean()

    def extra_repr(self) -> str:
        return f"M_samples_per_class={self.samples_per_class}, " + super().extra_repr()
