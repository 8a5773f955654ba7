"""A bounded LR in the case report: the headline is the bound, the model's value a caveat."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from balr.cli.compare_app import print_summary
from balr.evaluation.bounds import ElubBounds
from balr.evaluation.calibration import Calibration
from balr.report import Recording, Side, calibration_info, case_from_scorer, scorer_info
from balr.report.case import Case
from balr.report.figure import waterfall_steps
from balr.report.html import render_html
from balr.scoring import BetaScorer

LN10 = math.log(10.0)
DATA = {
    "file": "/runs/scorer/train/cv_scores.tsv",
    "n_target": 2766,
    "n_nontarget": 129_000,
    "n_speakers": 217,
    "cross_validated": True,
    "folds": 5,
}


def case_with_bounds(tmp_path: Path, upper: float) -> tuple[Case, Calibration]:
    """A same-speaker case, calibrated LLR = 10 x raw, bounds log10 [-0.5, `upper`]."""
    rng = np.random.default_rng(0)
    rates = rng.uniform(0.1, 0.7, (30, 24))
    bits = (rng.uniform(size=(90, 24)) < np.repeat(rates, 3, axis=0)).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, np.repeat(np.arange(30), 3))
    calibration = Calibration(10.0, 0.0, bounds=ElubBounds(-0.5, upper, 300, 3000), data=DATA)
    path = tmp_path / "calibration.json"
    calibration.save(path)
    same = [bits[:1], bits[1:2]]  # one speaker: a same-speaker LR above 1
    sides = [
        Side([Recording(f"{n}.npy", "binary_attributes")], b)
        for n, b in zip("et", same, strict=True)
    ]
    info = calibration_info(calibration, path, "ab" * 32)
    case = case_from_scorer(scorer, scorer_info(tmp_path, scorer), *sides, info, None, calibration)
    return case, calibration


def figure(tmp_path: Path) -> Path:
    path = tmp_path / "f.png"
    path.write_bytes(b"\x89PNG")
    return path


def test_the_reported_lr_is_clipped_to_the_upper_bound(tmp_path: Path) -> None:
    case, _ = case_with_bounds(tmp_path, 0.3)
    assert case.llr_unbounded == pytest.approx(10 * case.llr_raw)
    assert case.llr_unbounded > 0.3 * LN10
    assert case.clipped and case.log10_lr == pytest.approx(0.3)
    record = json.loads(case.to_json())
    assert record["log10_lr"] == pytest.approx(0.3) and record["clipped"] is True
    assert record["log10_lr_unbounded"] == pytest.approx(10 * case.llr_raw / LN10)
    assert record["calibration"]["bounds"]["log10_upper"] == 0.3
    assert record["calibration"]["data"]["cross_validated"] is True


def test_the_page_says_what_the_data_support_and_what_the_model_alone_says(
    tmp_path: Path,
) -> None:
    case, _ = case_with_bounds(tmp_path, 0.3)
    page = render_html(case, figure(tmp_path))
    assert 'id="log10lr">+0.30<' in page
    assert "The validation data support at most LR = 10<sup>0.30</sup> (300 same-speaker and" in (
        page
    )
    assert "3,000 different-speaker comparisons)" in page and "<b>not the result</b>" in page
    assert f"{case.llr_unbounded / LN10:+.2f}" in page  # the model's value, as a caveat
    assert "217 speakers, 2,766 same-speaker and 129,000 different-speaker comparisons" in page
    assert "cross-validated (5 speaker-disjoint folds" in page
    assert "scores in /runs/scorer/train/cv_scores.tsv" in page
    assert "affine (logistic regression)" in page


def test_an_lr_inside_the_bounds_is_reported_as_calibrated(tmp_path: Path) -> None:
    case, _ = case_with_bounds(tmp_path, 9.0)
    assert not case.clipped and case.llr == pytest.approx(case.llr_unbounded)
    page = render_html(case, figure(tmp_path))
    assert 'id="bounded"' not in page and "log10 LR from -0.50 to +9.00" in page


def test_the_waterfall_ends_at_the_bounded_lr(tmp_path: Path) -> None:
    case, _ = case_with_bounds(tmp_path, 0.3)
    steps = waterfall_steps(case)
    assert steps[-1] == ("calibrated log10 LR", pytest.approx(0.3), "total")
    assert ("calibrated, unbounded", pytest.approx(case.llr_unbounded / LN10), "total") in steps


def test_the_terminal_summary_says_the_lr_is_bounded(tmp_path: Path, capsys) -> None:
    case, _ = case_with_bounds(tmp_path, 0.3)
    print_summary(case, 3)
    out = " ".join(capsys.readouterr().out.split())
    assert "log10 LR = +0.30" in out and "calibrated, bounded" in out
    assert "the validation data support at most LR = 10^0.30 (300 same-speaker" in out
    assert "the model alone says LR = " in out and "not the result" in out
    assert "cross-validated (5 speaker-disjoint folds" in out
