"""Validation: losses on deterministic val batches plus speaker-verification metrics."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np
import torch

from balr.data.table import EmbeddingTable
from balr.errors import DatasetError
from balr.evaluation import (
    Trials,
    attribute_statistics,
    draw_trials,
    read_trials,
    verification_metrics,
)
from balr.losses import ArcFaceLoss, BaseAutoEncoderLoss
from balr.models.autoencoder import AutoEncoder, binarize
from balr.samplers import ExhaustiveNxMSampler
from balr.training.llr_probe import LLR_KEYS, LLRProbe

log = logging.getLogger("balr.train")

# The keys of verification_metrics (kept NaN when the val set gives no trials).
VERIFICATION_KEYS = ("eer", "min_dcf_0.01", "min_dcf_0.05")

# Rows pushed through the model at once when binarising the val set or the LLR reference:
# the hidden activations of a chunk (2,048 x internal_dim float32, 8 MiB at 1,024) stay small
# next to the training table.
_CHUNK = 2048


class Validator:
    """Evaluates a model on the val set; everything deterministic is prepared once."""

    def __init__(
        self,
        table: EmbeddingTable,
        losses: list[BaseAutoEncoderLoss],
        n_classes: int,
        m_samples: int,
        device: torch.device,
        trials_path: str | Path | None = None,
        max_pairs: int = 50_000,
        seed: int = 1234,
        probe: LLRProbe | None = None,
    ) -> None:
        if table.num_speakers < 1 or bool((table.labels < 0).any()):
            raise DatasetError("the val dataset needs a 'speaker' for every row to be validated")
        self.device = device
        self.embeddings = table.embeddings.to(device)
        self.labels = table.labels.to(device)
        # ArcFace's centres belong to train speakers: on held-out speakers it means nothing.
        self.losses = [loss for loss in losses if not isinstance(loss, ArcFaceLoss)]
        self.batches = self._batches(table, min(n_classes, table.num_speakers), m_samples, seed)
        self.trials = self._trials(table, trials_path, max_pairs, seed)
        self.reference = self._verification(table.embeddings)
        self.probe = probe
        log.info(
            "val: %d samples, %d speakers, %d trials (%d target); raw-embedding EER %.2f%%",
            len(table),
            table.num_speakers,
            len(self.trials.labels) if self.trials is not None else 0,
            int(self.trials.labels.sum()) if self.trials is not None else 0,
            self.reference["eer"],
        )

    @staticmethod
    def _batches(table: EmbeddingTable, n: int, m: int, seed: int) -> list[torch.Tensor]:
        sampler = ExhaustiveNxMSampler(table.labels.numpy(), n, m, shuffle=False, seed=seed)
        return [torch.from_numpy(batch) for batch in sampler.batches()]

    @staticmethod
    def _trials(
        table: EmbeddingTable, path: str | Path | None, max_pairs: int, seed: int
    ) -> Trials | None:
        """The val trials; None when the val speakers allow no same- or no different-speaker pair.

        A val set of one recording per speaker (BA-LR 2.0's example test.csv) still has val
        losses, so training goes on without speaker-verification metrics.
        """
        labels = table.labels.numpy()
        if path is not None:
            return read_trials(Path(path), table.ids, labels)
        try:
            return draw_trials(labels, max_pairs=max_pairs, seed=seed)
        except DatasetError as error:
            log.warning(
                "%s: EER, minDCF and LLR metrics are not computed (NaN) and best.pt"
                " follows the val loss",
                str(error).split(":", 1)[0],
            )
            return None

    def _verification(self, vectors: torch.Tensor) -> dict[str, float]:
        """EER and minDCF of `vectors` on the val trials (NaN without trials)."""
        if self.trials is None:
            return dict.fromkeys(VERIFICATION_KEYS, math.nan)
        return verification_metrics(vectors, self.trials)

    def loss_names(self) -> list[str]:
        return [loss.name for loss in self.losses]

    @torch.no_grad()
    def binarize(self, model: torch.nn.Module, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Binary attributes of every val row (or of `rows`, any device), in eval mode."""
        x = self.embeddings if rows is None else rows
        chunks = [
            _binary(model, x[i : i + _CHUNK].to(self.device)) for i in range(0, len(x), _CHUNK)
        ]
        return torch.cat(chunks)

    @torch.no_grad()
    def run(self, model: torch.nn.Module) -> dict[str, float]:
        """Metrics: total 'loss', each loss, EER, minDCF, LLR metrics, attribute statistics."""
        was_training = model.training
        model.eval()
        try:
            metrics = self._losses(model)
            binary = self.binarize(model)
            metrics.update(self._verification(binary))
            if self.probe is not None and self.trials is not None:
                bits = binary.cpu().numpy().astype(np.uint8)
                metrics.update(
                    self.probe.run(lambda rows: self.binarize(model, rows), bits, self.trials)
                )
            elif self.probe is not None:
                metrics.update(dict.fromkeys(LLR_KEYS, math.nan))
            metrics.update(attribute_statistics(binary.cpu(), self.labels.cpu()))
        finally:
            model.train(was_training)
        return metrics

    def _losses(self, model: torch.nn.Module) -> dict[str, float]:
        if not self.losses:  # e.g. arcface alone: no loss is defined on held-out speakers
            return {"loss": float("nan")}
        sums = torch.zeros(len(self.losses), device=self.device)
        for index in self.batches:
            index = index.to(self.device)
            x, y = self.embeddings[index], self.labels[index]
            recon, binary, z = model(x)
            sums += torch.stack([loss(x, y, binary, recon, z) for loss in self.losses])
        means = (sums / max(len(self.batches), 1)).tolist()
        weights = [float(loss.weight) for loss in self.losses]
        total = sum(w * v for w, v in zip(weights, means, strict=True))
        return {"loss": total, **dict(zip(self.loss_names(), means, strict=True))}


def _binary(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The binary attributes of `x`; balr's AutoEncoder skips its decoder (same values)."""
    if isinstance(model, AutoEncoder):
        return binarize(model.encode(x))
    return model(x)[1]
