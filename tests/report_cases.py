"""Hand-built cases for the report tests (no scorer needed)."""

from __future__ import annotations

import numpy as np

from balr.report.case import (
    CalibrationInfo,
    Case,
    Recording,
    ScorerInfo,
)
from balr.report.rows import attribute_rows, placement_of


def make_case(
    k: int = 64,
    seed: int = 0,
    *,
    calibrated: bool = True,
    placed: bool = True,
    name: str = "enroll.wav",
    reference: str = "librispeech/train",
    n_enroll: int = 1,
    n_test: int = 1,
) -> Case:
    """A case over `k` attributes with random contributions, counts and statistics."""
    rng = np.random.default_rng(seed)
    excluded = np.zeros(k, bool)
    excluded[:3] = True
    contributions = rng.normal(0.05, 0.4, k)
    contributions[excluded] = 0.0
    enroll = rng.integers(0, n_enroll + 1, k)
    test = rng.integers(0, n_test + 1, k)
    stats = {
        "rate": rng.uniform(0, 1, k),
        "speaker_share": rng.uniform(0, 1, k),
        "typicality": rng.uniform(0, 1, k),
        "dropout": rng.uniform(0, 0.5, k),
    }
    info = ScorerInfo(
        name="beta",
        path="/runs/scorer/train",
        reference=reference,
        n_speakers=217,
        n_recordings=1148,
        n_attributes=k,
        excluded=[int(i) for i in np.flatnonzero(excluded)],
        sha256="ab" * 32,
    )
    rows = attribute_rows(contributions, enroll, n_enroll, test, n_test, stats, excluded)
    case = Case(
        scorer=info,
        enrollment=[Recording(name, "audio", f"/data/{name}", "cd" * 32)] * n_enroll,
        test=[Recording("ls32/21625-0000-s01", "binary_attributes", None, None)] * n_test,
        attributes=rows,
        llr_raw=float(np.sum(contributions)),
        calibration=CalibrationInfo("/runs/score/calibrate/calibration.json", 0.6, -0.4, "ef" * 32)
        if calibrated
        else None,
    )
    if placed:
        labels = np.r_[np.ones(300, bool), np.zeros(3000, bool)]
        llrs = np.r_[rng.normal(5, 2.5, 300), rng.normal(-4, 2.5, 3000)]
        case.placement = placement_of(
            case.llr,
            (llrs, labels),
            "/runs/score/calibrate/scores.tsv",
            calibrated=calibrated,
            same_data_as_calibration=calibrated,
        )
    return case
