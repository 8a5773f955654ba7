"""Small ONNX speaker models exported at test time (no real weights can be downloaded here)."""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn


def export(model: nn.Module, example: torch.Tensor, path: Path, axes: dict[int, str]) -> Path:
    """The TorchScript exporter: the dynamo one needs onnxscript, not installed here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model.eval(),
            (example,),
            str(path),
            input_names=["feats"],
            output_names=["embs"],
            dynamic_axes={"feats": axes, "embs": {0: "batch"}},
            dynamo=False,
        )
    return path


class MeanFbankNet(nn.Module):
    """(batch, frames, 80) fbank frames -> (batch, dim): a Linear of the mean frame."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.out = nn.Linear(80, dim)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        return self.out(feats.mean(dim=1))


def mean_fbank_model(path: Path, dim: int) -> Path:
    """A MeanFbankNet of output `dim` exported to `path` (frames and batch dynamic)."""
    return export(MeanFbankNet(dim), torch.randn(2, 50, 80), path, {0: "batch", 1: "frames"})
