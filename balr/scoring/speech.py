"""speech: the thesis' second typicality / drop-out / drop-in scorer.

Same inputs, profiles and multi-recording rule as `balr.scoring.dna` (a side's profile
has an attribute when any of its recordings shows it); per attribute:

    LR00 = (1 + D^2) / (T (1 - Din + D)^2)
    LR01 = LR10 = ((1 - Din) Din T + D (1 - D))
                  / (T (1 + Din T D + (1 - Din) Din T + D (1 - D)))
    LR11 = (1 + (Din T)^2) / (T (1 - D + Din T)^2)
"""

from __future__ import annotations

import numpy as np

from balr.scoring.dna import ProfileScorer


class SpeechScorer(ProfileScorer):
    """The thesis' "speech" scorer (see the module docstring)."""

    name = "speech"

    def likelihood_ratios(
        self, t: np.ndarray, d: np.ndarray, din: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(LR00, LR01 = LR10, LR11) per attribute."""
        lr00 = (1 + d**2) / (t * (1 - din + d) ** 2)
        top = (1 - din) * din * t + d * (1 - d)
        mismatch = top / (t * (1 + din * t * d + (1 - din) * din * t + d * (1 - d)))
        lr11 = (1 + (din * t) ** 2) / (t * (1 - d + din * t) ** 2)
        return lr00, mismatch, lr11
