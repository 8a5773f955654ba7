"""The binary-attribute scorers by name (`balr.scoring.SCORERS`).

A module of its own, below `balr.scoring.io` which loads saved scorers by name, so that
loading does not import the package that imports it.
"""

from __future__ import annotations

from balr.scoring.base import Scorer
from balr.scoring.beta import BetaScorer
from balr.scoring.dna import DNAScorer
from balr.scoring.maxllr import MaxLLRScorer
from balr.scoring.speech import SpeechScorer

SCORERS: dict[str, type[Scorer]] = {
    scorer.name: scorer for scorer in (BetaScorer, MaxLLRScorer, DNAScorer, SpeechScorer)
}
