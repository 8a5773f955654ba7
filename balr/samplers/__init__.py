"""NxM batch samplers (N classes x M samples per class), distributed-aware."""

from __future__ import annotations

from balr.samplers.base import NxMSampler
from balr.samplers.exhaustive import ExhaustiveNxMSampler
from balr.samplers.random_nxm import RandomNxMSampler
from balr.samplers.registry import SAMPLERS, build_sampler, sampler_class

__all__ = [
    "SAMPLERS",
    "ExhaustiveNxMSampler",
    "NxMSampler",
    "RandomNxMSampler",
    "build_sampler",
    "sampler_class",
]
