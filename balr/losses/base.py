"""The interface every autoencoder loss implements."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import Any

import torch
from torch import nn


class BaseAutoEncoderLoss(nn.Module, ABC):
    """A training loss of the binary-attribute autoencoder.

    The trainer builds the losses from the config, calls `setup` once with the data and model
    sizes, then calls each loss on every batch and adds ``weight * loss`` to the total.

    Args:
        name: short name used in logs, metrics and checkpoints (e.g. "mse").
        weight: factor of this loss in the total; None means 1.0.
    """

    _weight: torch.Tensor

    def __init__(self, name: str, weight: float | None = None) -> None:
        super().__init__()
        value = 1.0 if weight is None else float(weight)
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"loss {name!r}: weight must be a finite number >= 0, got {weight}")
        self._name = name
        # A buffer so that it follows .to(device), but not persistent: the weight comes from the
        # config, and old checkpoints without it must still load.
        self.register_buffer("_weight", torch.tensor(value), persistent=False)

    @property
    def name(self) -> str:
        """Short name of the loss, as used in metrics and checkpoints."""
        return self._name

    @property
    def weight(self) -> torch.Tensor:
        """Factor of this loss in the total (0-dim float tensor)."""
        return self._weight

    def setup(self, **kwargs: Any) -> None:
        """Prepare state that depends on the data or model sizes (default: nothing).

        The trainer passes input_dim, internal_dim, nb_train_classes, M_samples_per_class and
        seed; losses take what they need and ignore the rest.
        """

    @abstractmethod
    def forward(
        self,
        input: torch.Tensor,
        labels: torch.Tensor,
        output: torch.Tensor,
        recon: torch.Tensor,
        Z: torch.Tensor,
    ) -> torch.Tensor:
        """Unweighted loss of one batch, as a scalar tensor.

        Args:
            input: the input embeddings [B, input_dim].
            labels: integer speaker labels [B].
            output: the binary attributes [B, internal_dim].
            recon: the reconstructed embeddings [B, input_dim].
            Z: the latent values before binarisation [B, internal_dim].
        """

    def extra_repr(self) -> str:
        return f"weight={float(self._weight):g}"


def as_labels(labels: torch.Tensor | Any, batch_size: int, device: torch.device) -> torch.Tensor:
    """`labels` as an int64 vector of length `batch_size` on `device` (ValueError otherwise)."""
    labels = torch.as_tensor(labels, device=device)
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise ValueError(f"labels must be integers, got dtype {labels.dtype}")
    labels = labels.reshape(-1)
    if labels.numel() != batch_size:
        raise ValueError(f"got {labels.numel()} labels for a batch of {batch_size} samples")
    return labels.long()
