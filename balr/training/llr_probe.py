"""Likelihood-ratio metrics at validation: what the attributes are worth to the default scorer.

Each validation binarises a fixed reference drawn from the TRAIN split with the current
model, fits the default scorer (Beta-Bernoulli) on it, and scores the val trials:

- ``llr_eer``: EER (percent) of the raw LLRs (the scorer's, not the cosine's);
- ``cllr_min``: Cllr after the best monotonic recalibration (PAV), bits;
- ``cllr``: Cllr of the raw, uncalibrated LLRs, bits.

The reference is at most ``max_speakers`` train speakers and ``max_recordings`` recordings
of each, picked once from the seed with a generator of its own (the global RNG streams, and
so a resumed run, are untouched), so every validation sees the same reference.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable

import numpy as np
import torch

from balr.evaluation import Trials, cllr, cllr_min, compute_eer
from balr.scoring import BetaScorer, ScorerError

log = logging.getLogger("balr.train")

LLR_KEYS = ("llr_eer", "cllr_min", "cllr")
# Recordings kept per reference speaker: enough to estimate each speaker's rates, while the
# cost (binarising and counting them) stays bounded on long-tailed sets.
MAX_RECORDINGS = 32
# Salt of the reference draw's generator, so it differs from every other stream of the seed.
_SALT = 0x11A


def reference_rows(
    labels: np.ndarray, max_speakers: int, seed: int, max_recordings: int = MAX_RECORDINGS
) -> np.ndarray:
    """Sorted rows of at most `max_speakers` speakers x `max_recordings` recordings each.

    Args:
        labels: int [N] speaker index per row (-1: no speaker, never picked).
        max_speakers: speakers to keep (all when there are no more).
        seed: seed of the draw; the same seed always gives the same rows.
        max_recordings: recordings kept per speaker (all when it has no more).
    """
    rng = np.random.default_rng([seed, _SALT])
    speakers = np.unique(labels[labels >= 0])
    if speakers.size > max_speakers:
        speakers = np.sort(rng.choice(speakers, size=max_speakers, replace=False))
    order = rng.permutation(labels.size)
    order = order[np.isin(labels[order], speakers)]
    # Rank of each row among its speaker's rows, in the random order: keep the first ones.
    grouped = order[np.argsort(labels[order], kind="stable")]
    starts = np.searchsorted(labels[grouped], labels[grouped], side="left")
    rank = np.arange(grouped.size) - starts
    return np.sort(grouped[rank < max_recordings])


class LLRProbe:
    """Fits the default scorer on binarised train rows and reports LLR metrics on val trials.

    Args:
        embeddings: the train embeddings [N, D] (any device; read in chunks).
        labels: int [N] train speaker per row.
        max_speakers: size of the reference in speakers (see :func:`reference_rows`).
        seed: the run's seed.
    """

    def __init__(
        self, embeddings: torch.Tensor, labels: np.ndarray, max_speakers: int, seed: int
    ) -> None:
        self.rows = reference_rows(labels, max_speakers, seed)
        self.embeddings = embeddings
        self.labels = np.unique(labels[self.rows], return_inverse=True)[1].reshape(-1)
        self.n_speakers = int(self.labels.max()) + 1 if self.labels.size else 0
        self._warned = False

    def run(
        self,
        binarize: Callable[[torch.Tensor], torch.Tensor],
        val_bits: np.ndarray,
        trials: Trials,
    ) -> dict[str, float]:
        """``llr_eer``, ``cllr_min`` and ``cllr`` of the val trials (NaN when no fit is possible).

        Args:
            binarize: the model's binarisation of a batch of embeddings (eval mode, no grad).
            val_bits: uint8 [V, k] binary attributes of the val rows.
            trials: the val trials (the same as the EER's).
        """
        index = torch.from_numpy(self.rows)
        bits = binarize(self.embeddings[index.to(self.embeddings.device)])
        reference = bits.cpu().numpy().astype(np.uint8)
        scorer = BetaScorer()
        try:
            scorer.fit(reference, self.labels)
        except ScorerError as error:
            if not self._warned:
                log.warning("val LLR metrics skipped: %s", error)
                self._warned = True
            return dict.fromkeys(LLR_KEYS, math.nan)
        llrs = scorer.score_rows(val_bits, trials.enroll, trials.test)
        return {
            "llr_eer": compute_eer(llrs, trials.labels),
            "cllr_min": cllr_min(llrs, trials.labels),
            "cllr": cllr(llrs, trials.labels),
        }
