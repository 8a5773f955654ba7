"""Data-loading settings shared by the trainer, the inference model and the CLI."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DataConfig:
    """How batches are drawn from a dataset.

    A training batch holds ``N_classes_per_batch`` speakers with
    ``M_samples_per_class`` utterances each.
    """

    _target_: str = "balr.config.data.DataConfig"
    # Samples per batch; must equal N_classes_per_batch * M_samples_per_class.
    batch_size: int = 64
    # Threads used to read vector files when a dataset is loaded.
    num_workers: int = 1
    # Shuffle speakers (and utterances) every epoch.
    shuffle: bool = True
    # "random", "exhaustive", or the dotted path of an NxMSampler subclass.
    sampler: str = "random"
    # Speakers per batch (N).
    N_classes_per_batch: int = 8
    # Utterances per speaker in a batch (M).
    M_samples_per_class: int = 8
    # Tab-separated trial list (enrollment, test[, label]) for validation; None draws one.
    val_trials: str | None = None
    # Where the embedding-table cache goes; None: $XDG_CACHE_HOME/balr/tables (~/.cache/...).
    cache_dir: str | None = None
    # Keep and reuse an on-disk cache of loaded embedding tables.
    use_cache: bool = True
