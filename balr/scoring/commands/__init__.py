"""What `balr score train` and `balr score test` do, callable from Python without Hydra.

Example::

    from pathlib import Path

    from balr.scoring import BetaScorer
    from balr.scoring.commands import Bits, TestOptions, score_test, train_scorer

    reference = Bits("ref", ids, bits, speaker_labels, speakers)
    scorer = train_scorer(BetaScorer, reference, Path("runs/scorer/mine"))
    summary = score_test(scorer, "mine", data, Path("trials.tsv"), Path("out"), TestOptions())
"""

from __future__ import annotations

from balr.scoring.commands.bits import Bits, check_declared_width, check_width
from balr.scoring.commands.crossval import CrossValOptions
from balr.scoring.commands.test import TestOptions, score_test
from balr.scoring.commands.train import train_scorer

__all__ = [
    "Bits",
    "CrossValOptions",
    "TestOptions",
    "check_declared_width",
    "check_width",
    "score_test",
    "train_scorer",
]
