"""Data-dependent initialisation of the autoencoder's encoder as a random-hyperplane hash.

With few training speakers, an encoder trained from a generic random init learns attributes
that separate the training speakers but lose the angular geometry that separates new ones. This
initialisation starts instead from binary attributes that already preserve it: each attribute
is the sign of a random projection of the centred embedding (the classic hyperplane hash, whose
bit agreement estimates the angle between two embeddings). Training then refines it.

The encoder layout (Linear, ReLU, BatchNorm1d, Linear, Tanh) is kept, so checkpoints stay
compatible: the first layer holds pairs of opposite rows, since relu(u) - relu(-u) = u lets the
second layer read any linear function of the centred embedding back through the ReLU.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from balr.models.autoencoder import AutoEncoder

MODEL_INITS = ("hyperplane", "kaiming")
STATS_ROWS = 65_536
STATS_CHUNK = 4_096


@torch.no_grad()
def init_hyperplane_hash(model: AutoEncoder, embeddings: torch.Tensor, seed: int = 1234) -> None:
    """Set `model`'s encoder so its binary attributes hash the centred `embeddings` (in place).

    Args:
        model: the autoencoder; its decoder keeps its own initialisation.
        embeddings: training embeddings [N, input_dim] (their mean is the centre; their spread
            sets the BatchNorm statistics so eval mode matches from the first step).
        seed: seeds the random rotations and hyperplanes (same seed, same encoder).
    """
    first = cast(nn.Linear, model.encoder[0])
    norm = cast(nn.BatchNorm1d, model.encoder[2])
    second = cast(nn.Linear, model.encoder[3])
    dim = model.input_dim
    generator = torch.Generator().manual_seed(seed)
    pairs = model.internal_dim // 2
    rotations = _stacked_rotations(dim, pairs, generator)
    weight = torch.zeros_like(first.weight, device="cpu")
    weight[:pairs], weight[pairs : 2 * pairs] = rotations, -rotations
    center = embeddings.detach().float().mean(0).cpu()
    first.weight.copy_(weight)
    first.bias.copy_(-(weight @ center))
    hyperplanes = torch.randn(model.internal_dim, pairs, generator=generator) / pairs**0.5
    second.weight.zero_()
    second.weight[:, :pairs] = hyperplanes
    second.weight[:, pairs : 2 * pairs] = -hyperplanes
    second.bias.zero_()
    mean, var = _hidden_moments(embeddings, weight, center, generator)
    norm.reset_parameters()
    assert norm.running_mean is not None and norm.running_var is not None  # track_running_stats
    norm.running_mean.copy_(mean)
    # One scale per pair keeps relu(u)/s - relu(-u)/s = u/s linear, so eval mode is an exact hash.
    var = var.nan_to_num(1.0)
    pooled = (var[:pairs] + var[pairs : 2 * pairs]) / 2
    var[:pairs], var[pairs : 2 * pairs] = pooled, pooled
    norm.running_var.copy_(var.clamp(min=1e-5))


@torch.no_grad()
def _hidden_moments(
    embeddings: torch.Tensor, weight: torch.Tensor, center: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and variance of the first layer's ReLU output over a random subset of rows.

    A subset is enough for the statistics, and chunks keep memory flat at corpus scale.
    """
    rows = torch.randperm(len(embeddings), generator=generator)[:STATS_ROWS]
    total = torch.zeros(weight.shape[0], dtype=torch.float64)
    squares = torch.zeros_like(total)
    for chunk in rows.split(STATS_CHUNK):
        sample = embeddings.detach()[chunk.to(embeddings.device)].float().cpu()
        hidden = torch.relu(sample @ weight.T - weight @ center).double()
        total += hidden.sum(0)
        squares += hidden.square().sum(0)
    count = len(rows)
    mean = total / count
    var = (squares - count * mean.square()) / max(count - 1, 1)
    return mean.float(), var.clamp(min=0).float()


def _stacked_rotations(dim: int, rows: int, generator: torch.Generator) -> torch.Tensor:
    """`rows` x `dim` matrix of stacked random orthogonal blocks (each block lossless)."""
    blocks = []
    for _ in range(-(-rows // dim)):
        q, r = torch.linalg.qr(torch.randn(dim, dim, generator=generator))
        blocks.append(q * torch.sign(torch.diagonal(r)))  # sign fix: uniform (Haar) rotation
    return torch.cat(blocks)[:rows]
