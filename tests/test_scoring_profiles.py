"""dna and speech scorers: the thesis' tables, typicality/drop-out, multi-recording sides."""

from __future__ import annotations

import math

import numpy as np
import pytest

from balr.scoring import Counts, DNAScorer, SpeechScorer
from balr.scoring.dna import ProfileScorer
from tests.scoring_reference import dna_lr, make_reference, speech_lr, typicality_dropout

FORMULAS = {"dna": (DNAScorer, dna_lr), "speech": (SpeechScorer, speech_lr)}


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_typicality_and_dropout_match_loops(name: str) -> None:
    bits, labels = make_reference(seed=31, n_speakers=15, per_speaker=4, k=8)
    scorer = FORMULAS[name][0]()
    scorer.fit(bits, labels)
    for i in range(bits.shape[1]):
        t, d = typicality_dropout(bits, labels, i)
        assert scorer.typicality[i] == pytest.approx(t, abs=1e-14)
        assert scorer.dropout[i] == pytest.approx(d, abs=1e-14)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_one_vs_one_llr_equals_scalar_formula(name: str) -> None:
    bits, labels = make_reference(seed=32)
    cls, formula = FORMULAS[name]
    scorer = cls(drop_in=0.2)
    scorer.fit(bits, labels)
    pairs = [(0, 1), (7, 230), (15, 15), (100, 9)]
    llrs = scorer.score_pairs(bits[[e for e, _ in pairs]], bits[[t for _, t in pairs]])
    for llr, (e, t) in zip(llrs, pairs, strict=True):
        expected = sum(
            math.log(formula(scorer.typicality[i], scorer.dropout[i], 0.2, bits[e, i], bits[t, i]))
            for i in range(bits.shape[1])
        )
        assert llr == pytest.approx(expected, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_multi_recording_side_uses_its_profile(name: str) -> None:
    # BA-LR 2.0 refuses these; balr: the side has an attribute when any recording shows it.
    bits, labels = make_reference(seed=33)
    cls, formula = FORMULAS[name]
    scorer = cls()
    scorer.fit(bits, labels)
    enroll_rows, test_rows = [0, 1, 2], [50, 51]
    llr = scorer.score_counts(
        Counts.of_rows(bits, [np.array(enroll_rows)]), Counts.of_rows(bits, [np.array(test_rows)])
    )[0]
    e = bits[enroll_rows].max(axis=0)
    t = bits[test_rows].max(axis=0)
    expected = sum(
        math.log(formula(scorer.typicality[i], scorer.dropout[i], 0.12, e[i], t[i]))
        for i in range(bits.shape[1])
    )
    assert llr == pytest.approx(expected, rel=1e-10)


def test_low_typicality_attributes_contribute_nothing() -> None:
    bits, labels = make_reference(seed=34)
    bits[:, 0] = 0
    bits[labels < 2, 0] = 1  # two speakers of 40: T = 2 / 1560
    scorer = DNAScorer(typicality_threshold=1e-2)
    report = scorer.fit(bits, labels)
    assert report.excluded == {"low_typicality": 1}
    assert (scorer.table()[0] == 0).all()


@pytest.mark.parametrize("cls", [DNAScorer, SpeechScorer])
def test_zero_drop_in_with_zero_dropout_stays_finite(cls: type[ProfileScorer]) -> None:
    # Mismatch LR = 0 there: floored so the LLR is large but finite.
    bits, labels = make_reference(seed=35)
    bits[:, 3] = (labels % 2).astype(np.uint8)  # speakers always or never show it: D = 0
    scorer = cls(drop_in=0.0)
    scorer.fit(bits, labels)
    assert scorer.dropout[3] == 0
    scores = scorer.score_matrix(bits[:40], bits[40:80])
    assert np.isfinite(scores).all()


def test_drop_in_changes_the_table() -> None:
    bits, labels = make_reference(seed=36)
    low, high = SpeechScorer(drop_in=0.05), SpeechScorer(drop_in=0.3)
    low.fit(bits, labels)
    high.fit(bits, labels)
    assert not np.allclose(low.table(), high.table())
