"""Additive angular margin (ArcFace) softmax against learnable speaker centres."""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.autograd.function import once_differentiable

from balr.losses.base import BaseAutoEncoderLoss, as_labels
from balr.losses.mining import check_margin, check_triplet_type, mine_triplets, normalized_distances


class ArcFaceLoss(BaseAutoEncoderLoss):
    """ArcFace on the binary attributes, samples weighted by triplet-miner usage.

    Per sample i of speaker y: cross-entropy of the logits ``scale * cos(theta_y + m)`` for its
    own centre and ``scale * cos(theta_c)`` for every other centre c, where theta is the angle
    between the sample's binary attributes and a centre. Past theta_y > 180 deg - m, the target
    logit is ``scale * (cos(theta_y) - m sin(m))`` so it keeps decreasing with the angle.
    Sample i weighs ``count_i / max count``, count_i being how many triplets mined with
    (margin, type_of_triplets) use it; all weigh 1 when nothing is mined. The loss is the mean
    of the weighted values over the batch.

    The centres [nb_train_classes, internal_dim] are an nn.Parameter made in `setup`, drawn
    from N(0, 1) with torch's global generator (the trainer seeds it first); only their
    directions matter.

    Args:
        margin: margin of the triplet miner.
        type_of_triplets: "all", "hard", "semihard" or "easy", for the miner.
        weight: factor in the total loss; None means 1.0 (the configs' default is 0.001).
        angular_margin: m, in degrees.
        scale: logit scale.
    """

    centres: nn.Parameter | None

    def __init__(
        self,
        margin: float = 0.3,
        type_of_triplets: str = "all",
        weight: float | None = None,
        angular_margin: float = 28.6,
        scale: float = 64.0,
    ) -> None:
        super().__init__("arcface", weight)
        self.margin = check_margin(margin)
        self.type_of_triplets = check_triplet_type(type_of_triplets)
        self.angular_margin = float(angular_margin)
        self.scale = float(scale)
        self.register_parameter("centres", None)

    def setup(
        self,
        *,
        nb_train_classes: int | None = None,
        internal_dim: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Create the class centres [nb_train_classes, internal_dim] (other kwargs ignored)."""
        if nb_train_classes is None or internal_dim is None:
            raise ValueError("ArcFaceLoss.setup needs nb_train_classes and internal_dim")
        if nb_train_classes < 1 or internal_dim < 1:
            raise ValueError(
                f"ArcFaceLoss.setup: nb_train_classes ({nb_train_classes}) and internal_dim"
                f" ({internal_dim}) must be >= 1"
            )
        centres = torch.randn(int(nb_train_classes), int(internal_dim))
        self.centres = nn.Parameter(centres.to(self.weight.device))

    def forward(
        self,
        input: torch.Tensor,
        labels: torch.Tensor,
        output: torch.Tensor,
        recon: torch.Tensor,
        Z: torch.Tensor,
    ) -> torch.Tensor:
        """Miner-weighted mean ArcFace loss of the batch's binary attributes `output`."""
        if self.centres is None:
            raise RuntimeError(
                "ArcFaceLoss is used before setup(): call setup(nb_train_classes=...,"
                " internal_dim=...) first (the trainer does)"
            )
        labels = as_labels(labels, len(output), output.device)
        per_sample = F.cross_entropy(self._logits(output, labels), labels, reduction="none")
        return (per_sample * self._sample_weights(output, labels)).mean()

    def _logits(self, output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        assert self.centres is not None
        centres = self.centres.to(output.dtype)
        # The scale goes on the small side of the product (exact for a power of two).
        logits = (F.normalize(output, dim=1) * self.scale) @ _normalize_rows(centres).T
        target = logits.gather(1, labels[:, None]) / self.scale
        # Just inside [-1, 1]: acos has an infinite slope at the ends.
        bound = 1.0 - torch.finfo(logits.dtype).eps
        theta = torch.acos(target.clamp(-bound, bound))
        m = math.radians(self.angular_margin)
        with_margin = torch.where(
            theta <= math.pi - m, torch.cos(theta + m), torch.cos(theta) - m * math.sin(m)
        )
        return logits.scatter_add(1, labels[:, None], (with_margin - target) * self.scale)

    def _sample_weights(self, output: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            dist = normalized_distances(output)
            usage = mine_triplets(dist, labels, self.margin, self.type_of_triplets).usage()
            most = usage.max().to(output.dtype)
            return torch.where(most > 0, usage.to(output.dtype) / most.clamp(min=1), 1.0)

    def extra_repr(self) -> str:
        classes = None if self.centres is None else tuple(self.centres.shape)
        return (
            f"centres={classes}, angular_margin={self.angular_margin:g}, scale={self.scale:g}, "
            f"margin={self.margin:g}, type_of_triplets={self.type_of_triplets!r}, "
            + super().extra_repr()
        )


def _normalize_rows(x: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """F.normalize(x, dim=1) with a leaner backward (the centres are [classes, dim])."""
    return _NormalizeRows.apply(x, eps)


class _NormalizeRows(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, eps: float) -> torch.Tensor:
        norms = torch.linalg.vector_norm(x, dim=1, keepdim=True).clamp_min(eps)
        y = x / norms
        ctx.save_for_backward(y, norms)
        ctx.eps = eps
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        y, norms = ctx.saved_tensors
        # d(x / |x|) = (g - y <g, y>) / |x|; below eps the norm is a constant.
        along = (grad * y).sum(1, keepdim=True) * (norms > ctx.eps)
        return (grad - y * along) / norms, None
