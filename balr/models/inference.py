"""Inference with a trained autoencoder: embeddings in, binary-attribute vectors out."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from balr.config.data import DataConfig
from balr.errors import CheckpointError, DatasetError
from balr.models.autoencoder import AutoEncoder
from balr.models.loading import expected_shapes, load_model_state
from balr.training.devices import resolve_device

if TYPE_CHECKING:
    from balr.data import AudioDataset

log = logging.getLogger("balr.binarize")

# Rows per forward pass at least; data.batch_size only raises it (inference has no batch effect).
_MIN_CHUNK = 8192


class BinaryAttributeAutoEncoder(AutoEncoder):
    """A trained AutoEncoder loaded for inference (eval mode, on `device`).

    Args:
        checkpoint_path: a balr checkpoint (last.pt, best.pt) or a BA-LR state_dict file.
        input_dim: expected embedding dimension; None takes it from the checkpoint.
        internal_dim: expected number of attributes; None takes it from the checkpoint.
        device: where the model runs ("cpu", "cuda:0", ...).

    Raises:
        CheckpointError: unreadable file, or dimensions that differ from the ones given.
        DeviceError: the device is not available.
    """

    def __init__(
        self,
        checkpoint_path: str | Path,
        input_dim: int | None = None,
        internal_dim: int | None = None,
        device: str | torch.device = "cpu",
    ) -> None:
        path = Path(checkpoint_path)
        state, meta = load_model_state(path)
        _check_dims(path, meta, input_dim, internal_dim)
        super().__init__(meta["input_dim"], meta["internal_dim"])
        self.load_state_dict(state)
        self.checkpoint_path = path
        self.to(resolve_device(device)).eval()

    @property
    def device(self) -> torch.device:
        """The device the model's weights are on."""
        return next(self.parameters()).device

    def check_embedding_dim(self, dim: int, what: str) -> None:
        """DatasetError unless `dim` is the model's input size; `what` names the embeddings.

        Example message: "the embeddings of val.csv have 192 dimensions but the model
        runs/train/best.pt expects 256: ...".
        """
        if dim != self.input_dim:
            raise DatasetError(
                f"{what} {dim} dimensions but the model {self.checkpoint_path} expects"
                f" {self.input_dim}: binarise embeddings of the encoder the model was trained on"
            )

    @torch.no_grad()
    def binarize_embeddings(
        self, embeddings: torch.Tensor, batch_size: int = _MIN_CHUNK
    ) -> torch.Tensor:
        """0/1 float attributes of `embeddings` [N, input_dim], in eval mode, batch by batch.

        The result is on the device of `embeddings`.
        """
        was_training = self.training
        self.eval()
        try:
            chunks = [
                self(embeddings[i : i + batch_size].to(self.device, torch.float32))[1]
                for i in range(0, len(embeddings), batch_size)
            ]
        finally:
            self.train(was_training)
        if not chunks:
            return torch.zeros(0, self.internal_dim, device=embeddings.device)
        return torch.cat(chunks).to(embeddings.device)

    def get_binary_attributes(
        self,
        dataset: AudioDataset,
        stream_save: bool = False,
        data_config: DataConfig | None = None,
    ) -> list[tuple[str, np.ndarray]]:
        """Binary attributes of every item of `dataset` that has an embedding.

        Items without an embedding are skipped (with a warning). Vectors are 1-D uint8
        0/1 arrays of length internal_dim.

        Args:
            dataset: the items to binarise.
            stream_save: save the vectors through ``dataset.save_vectors(...,
                "binary_attributes")`` chunk by chunk and return [] instead.
            data_config: loader settings (num_workers, batch_size, cache); default DataConfig().

        Returns:
            [(id, vector)] in dataset order, or [] when stream_save.
        """
        from balr.data.table import load_embedding_table

        config = data_config if data_config is not None else DataConfig()
        table = load_embedding_table(
            dataset,
            require_speakers=False,
            skip_missing=True,
            num_workers=config.num_workers,
            cache_dir=config.cache_dir,
            use_cache=config.use_cache,
        )
        if len(table):
            self.check_embedding_dim(table.dim, f"the embeddings of {dataset.name} have")
        chunk = max(int(config.batch_size), _MIN_CHUNK)
        results: list[tuple[str, np.ndarray]] = []
        for start in range(0, len(table), chunk):
            with torch.inference_mode():
                binary = self.binarize_embeddings(table.embeddings[start : start + chunk], chunk)
                rows = binary.to("cpu", torch.uint8).numpy()
            pairs = list(zip(table.ids[start : start + chunk], rows, strict=True))
            if stream_save:
                dataset.save_vectors(pairs, "binary_attributes")
            else:
                results.extend(pairs)
        return results


def _check_dims(
    path: Path, meta: dict[str, int], input_dim: int | None, internal_dim: int | None
) -> None:
    """CheckpointError when explicitly given dimensions differ from the checkpoint's."""
    found = (meta["input_dim"], meta["internal_dim"])
    asked = (
        found[0] if input_dim is None else int(input_dim),
        found[1] if internal_dim is None else int(internal_dim),
    )
    if asked == found:
        return
    key = "encoder.0.weight"
    raise CheckpointError(
        f"{path}: '{key}' has shape {expected_shapes(*found)[key]} (input_dim={found[0]},"
        f" internal_dim={found[1]}) but input_dim={asked[0]}, internal_dim={asked[1]} needs"
        f" {expected_shapes(*asked)[key]}: pass the checkpoint's dimensions or leave them unset"
    )
