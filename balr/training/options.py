"""Keyword options of the trainer beyond the seed signature."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import torch

from balr.errors import ConfigError


@dataclass
class TrainerOptions:
    """Extra trainer settings, passed as keyword arguments (`**kwargs`)."""

    # What best.pt tracks: val_eer, val_min_dcf (P_target 0.01), val_loss or val_cllr_min.
    monitor: str = "val_eer"
    # A ready-made model; by default AutoEncoder(input_dim, internal_dim).
    model: torch.nn.Module | None = None
    # Encoder start: "hyperplane" (a hash of the centred train embeddings, see
    # balr.models.init) or "kaiming" (the model's own random init).
    init: str = "hyperplane"
    # A run directory or checkpoint to continue from.
    resume: str | Path | None = None
    # Compile the training module with torch.compile.
    compile: bool = False
    # Cap on target and non-target val trials drawn (each).
    val_max_pairs: int = 50_000
    # Train speakers (a fixed random subset of the seed) the default LLR scorer is fitted
    # on at each validation, for val llr_eer, cllr_min and cllr; 0 turns them off.
    val_scorer_speakers: int = 500
    # Show progress bars and per-epoch log lines.
    verbose: bool = True
    # The full run config, recorded in checkpoints and summary.json.
    run_config: dict[str, Any] | None = None

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> TrainerOptions:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(kwargs) - known)
        if unknown:
            raise ConfigError(
                f"unknown trainer option(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        return cls(**kwargs)
