"""Sampler lookup by config name: a short name or the dotted path of an NxMSampler subclass."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from balr.errors import ConfigError
from balr.samplers.base import NxMSampler
from balr.samplers.exhaustive import ExhaustiveNxMSampler
from balr.samplers.random_nxm import RandomNxMSampler

SAMPLERS: dict[str, type[NxMSampler]] = {
    "random": RandomNxMSampler,
    "exhaustive": ExhaustiveNxMSampler,
}


def sampler_class(name: str) -> type[NxMSampler]:
    """The sampler class `name` stands for; ConfigError naming `data.sampler` if none."""
    short = str(name).strip().lower()
    if short in SAMPLERS:
        return SAMPLERS[short]
    module_name, _, attribute = str(name).strip().rpartition(".")
    found: Any = None
    if module_name:
        try:
            found = getattr(importlib.import_module(module_name), attribute, None)
        except ImportError:
            found = None
    if isinstance(found, type) and issubclass(found, NxMSampler):
        return found
    raise ConfigError(
        f"data.sampler={name!r} is not a known sampler: use one of"
        f" {', '.join(SAMPLERS)} or the dotted path of an importable NxMSampler subclass"
    )


def build_sampler(
    name: str, labels: np.ndarray | torch.Tensor | Sequence[Any], **kwargs: Any
) -> NxMSampler:
    """Build the sampler `name` ("random", "exhaustive" or a dotted class path) on `labels`.

    Keyword arguments go to the sampler (N_classes_per_batch, M_samples_per_class, ...).
    """
    return sampler_class(name)(labels, **kwargs)
