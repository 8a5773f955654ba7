"""The scorers by name: binary-attribute (`SCORERS`) and embedding (`EMBEDDING_SCORERS`).

A module of its own, below `balr.scoring.io` which loads saved scorers by name, so that
loading does not import the package that imports it.
"""

from __future__ import annotations

from balr.scoring.base import Scorer
from balr.scoring.beta import BetaScorer
from balr.scoring.cosine import CosineScorer
from balr.scoring.dna import DNAScorer
from balr.scoring.embedding import EmbeddingScorer
from balr.scoring.maxllr import MaxLLRScorer
from balr.scoring.plda import PLDAScorer
from balr.scoring.speech import SpeechScorer

SCORERS: dict[str, type[Scorer]] = {
    scorer.name: scorer for scorer in (BetaScorer, MaxLLRScorer, DNAScorer, SpeechScorer)
}

# Scorers of embeddings (`balr.scoring.embedding_io` loads them by name).
EMBEDDING_SCORERS: dict[str, type[EmbeddingScorer]] = {
    scorer.name: scorer for scorer in (CosineScorer, PLDAScorer)
}
