"""Likelihood-ratio scoring of binary attributes: fit on a reference, score, explain.

Scorers (`SCORERS`): ``beta`` (Beta-Bernoulli, the default), ``maxllr``, ``dna`` and
``speech``. Each fits on reference recordings with speaker labels (or per-speaker
counts), scores comparisons whose sides are one or several recordings as natural-log
LLRs, splits an LLR into per-attribute contributions, and saves itself as a folder
(`save`, `load_scorer`). Scorers of embeddings instead (`EMBEDDING_SCORERS`: ``cosine``
and ``plda``, interface in `balr.scoring.embedding`) score real-valued vectors and save
themselves alike (`load_any_scorer` reads either family). Plain NumPy: no Hydra, no
torch (except to read BA-LR 2.0 ``scorer.pt`` files).
"""

from __future__ import annotations

from balr.scoring.base import FitReport, ReferenceStats, Scorer, ScorerError
from balr.scoring.beta import BetaScorer
from balr.scoring.cosine import CosineScorer
from balr.scoring.counts import Counts
from balr.scoring.dna import DNAScorer
from balr.scoring.embedding import EmbeddingScorer
from balr.scoring.embedding_io import load_any_scorer
from balr.scoring.io import load_scorer, save
from balr.scoring.maxllr import MaxLLRScorer
from balr.scoring.plda import PLDAScorer
from balr.scoring.registry import EMBEDDING_SCORERS, SCORERS
from balr.scoring.speech import SpeechScorer

__all__ = [
    "EMBEDDING_SCORERS",
    "SCORERS",
    "BetaScorer",
    "CosineScorer",
    "Counts",
    "DNAScorer",
    "EmbeddingScorer",
    "FitReport",
    "MaxLLRScorer",
    "PLDAScorer",
    "ReferenceStats",
    "Scorer",
    "ScorerError",
    "SpeechScorer",
    "load_any_scorer",
    "load_scorer",
    "save",
]
