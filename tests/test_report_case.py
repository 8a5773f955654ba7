"""The content of a case: contributions, counts, LLR, calibration, placement, JSON."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from balr.errors import DatasetError
from balr.report import CalibrationInfo, Recording, Side, case_from_scorer, scorer_info
from balr.report.build import read_labelled_scores, reference_label
from balr.report.rows import case_of
from balr.scoring import BetaScorer, Counts
from tests.report_cases import make_case


def fitted_scorer(k: int = 24, seed: int = 0) -> tuple[BetaScorer, np.ndarray]:
    """A beta scorer on 30 speakers x 3 recordings, attribute 0 dead; and its bits."""
    rng = np.random.default_rng(seed)
    rates = rng.uniform(0.1, 0.7, (30, k))
    bits = (rng.uniform(size=(90, k)) < np.repeat(rates, 3, axis=0)).astype(np.uint8)
    bits[:, 0] = 0
    scorer = BetaScorer()
    scorer.fit(bits, np.repeat(np.arange(30), 3))
    return scorer, bits


def side(bits: np.ndarray, name: str) -> Side:
    return Side([Recording(f"{name}{i}", "binary_attributes") for i in range(len(bits))], bits)


@pytest.fixture(scope="module")
def scorer_and_bits() -> tuple[BetaScorer, np.ndarray]:
    return fitted_scorer()


def test_contributions_sum_to_the_scorers_llr(scorer_and_bits, tmp_path: Path) -> None:
    scorer, bits = scorer_and_bits
    enroll, test = bits[:2], bits[5:6]
    case = case_from_scorer(
        scorer, scorer_info(tmp_path, scorer), side(enroll, "e"), side(test, "t")
    )
    expected = scorer.score_counts(
        Counts(enroll.sum(0)[None], 2 - enroll.sum(0)[None]),
        Counts(test.sum(0)[None], 1 - test.sum(0)[None]),
    )[0]
    assert case.llr_raw == pytest.approx(expected, abs=1e-9)
    assert math.fsum(r.contribution for r in case.attributes) == pytest.approx(expected, abs=1e-9)
    assert case.llr == case.llr_raw and case.log10_lr == pytest.approx(expected / math.log(10))


def test_rows_hold_each_sides_counts_and_the_reference_statistics(scorer_and_bits, tmp_path):
    scorer, bits = scorer_and_bits
    case = case_from_scorer(
        scorer, scorer_info(tmp_path, scorer), side(bits[:3], "e"), side(bits[3:4], "t")
    )
    stats = scorer.reference_stats()
    for row in case.attributes:
        assert row.enroll_active == int(bits[:3, row.index].sum()) and row.enroll_total == 3
        assert row.test_active == int(bits[3, row.index]) and row.test_total == 1
        assert row.speaker_share == pytest.approx(stats.speaker_share[row.index])
    dead = case.attributes[0]
    assert dead.excluded and dead.contribution == 0.0 and dead not in case.contributing
    assert case.scorer.excluded == [0] and case.scorer.n_speakers == 30


def test_calibration_maps_the_raw_llr_affinely(scorer_and_bits, tmp_path: Path) -> None:
    scorer, bits = scorer_and_bits
    calibration = CalibrationInfo("cal.json", 0.5, -1.25)
    case = case_from_scorer(
        scorer, scorer_info(tmp_path, scorer), side(bits[:1], "e"), side(bits[1:2], "t"),
        calibration,
    )  # fmt: skip
    assert case.llr == pytest.approx(0.5 * case.llr_raw - 1.25)


def test_placement_counts_misleading_shares_on_the_calibrated_scale(scorer_and_bits, tmp_path):
    scorer, bits = scorer_and_bits
    raw = np.array([-3.0, -1.0, 0.0, 2.0, 4.0, 6.0])
    labels = np.array([False, False, False, True, True, True])
    case = case_from_scorer(
        scorer, scorer_info(tmp_path, scorer), side(bits[:1], "e"), side(bits[1:2], "t"),
        CalibrationInfo("cal.json", 1.0, -case_llr(scorer, bits) + 1.0),
        (raw, labels, "scores.tsv", True),
    )  # fmt: skip
    assert case.llr == pytest.approx(1.0)
    placement = case.placement
    assert placement is not None and placement.calibrated and placement.same_data_as_calibration
    # Calibrated scale: raw + b with b = 1 - raw LLR of the case.
    shifted = raw + (1.0 - case.llr_raw)
    assert placement.target_at_most == pytest.approx(np.mean(shifted[3:] <= 1.0))
    assert placement.nontarget_at_least == pytest.approx(np.mean(shifted[:3] >= 1.0))
    assert placement.eer == 0.0


def case_llr(scorer: BetaScorer, bits: np.ndarray) -> float:
    return float(scorer.score_pairs(bits[:1], bits[1:2])[0])


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((1, 1, 1, 1), "both"),
        ((2, 2, 0, 3), "enrollment only"),
        ((0, 1, 1, 1), "test only"),
        ((0, 2, 0, 1), "neither"),
        ((1, 2, 1, 1), "mixed"),
    ],
)
def test_case_of_names_where_the_attribute_is_present(counts, expected) -> None:
    assert case_of(*counts) == expected


def test_json_holds_every_field_and_no_nan() -> None:
    case = make_case(k=16)
    data = json.loads(case.to_json())
    for key in ("llr", "llr_raw", "log10_lr", "lr", "verbal", "scorer", "calibration",
                "enrollment", "test", "attributes", "balr_version", "placement"):  # fmt: skip
        assert key in data
    assert data["verbal"]["scale"].startswith("ENFSI")
    assert data["verbal"]["strength"] == case.verbal.strength
    assert data["enrollment"][0]["sha256"] == "cd" * 32
    assert len(data["attributes"]) == 16
    assert math.fsum(a["contribution"] for a in data["attributes"]) == pytest.approx(
        data["llr_raw"]
    )
    assert data["placement"]["n_target"] == 300 and "target" not in data["placement"]


def test_scores_tsv_prefers_the_raw_column_and_needs_both_classes(tmp_path: Path) -> None:
    path = tmp_path / "scores.tsv"
    path.write_text("enrollment\ttest\tllr\tllr_raw\tlabel\na\tb\t9\t1.5\t1\na\tc\t9\t-2\t0\n")
    llrs, labels = read_labelled_scores(path)
    assert llrs.tolist() == [1.5, -2.0] and labels.tolist() == [True, False]
    path.write_text("enrollment\ttest\tllr\tlabel\na\tb\t1\t1\n")
    assert read_labelled_scores(path) is None


def test_a_malformed_scores_line_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "scores.tsv"
    path.write_text("enrollment\ttest\tllr\tlabel\na\tb\t1.5\ttrue\na\tc\t-2\tsame\n")
    with pytest.raises(DatasetError, match=r"scores.tsv: .*line 3.*label 'same' is not 1/0"):
        read_labelled_scores(path)


def test_an_lr_beyond_every_validation_score_is_flagged_on_the_page(tmp_path: Path) -> None:
    from balr.report.html import render_html
    from balr.report.rows import placement_of

    case = make_case(k=16, calibrated=False, placed=False)
    inside = (np.array([case.llr - 1.0, case.llr + 1.0]), np.array([True, False]))
    case.placement = placement_of(case.llr, inside, "s.tsv", calibrated=False,
                                  same_data_as_calibration=False)  # fmt: skip
    assert not case.beyond_validation
    below = (np.array([case.llr - 2.0, case.llr - 1.0]), np.array([True, False]))
    case.placement = placement_of(case.llr, below, "s.tsv", calibrated=False,
                                  same_data_as_calibration=False)  # fmt: skip
    assert case.beyond_validation
    png = tmp_path / "c.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    assert "beyond every validation comparison" in render_html(case, png, png)


def test_a_run_without_a_recorded_name_is_named_after_its_configs_dataset(tmp_path: Path):
    """Scorers fitted before scorer.json named the reference: input.path of .hydra/config."""
    scorer, _ = fitted_scorer()
    run = tmp_path / "run"
    scorer.save(run)
    assert scorer_info(run, scorer).reference_path is None
    (run / ".hydra").mkdir()
    (run / ".hydra" / "config.yaml").write_text("input:\n  path: /data/sample/librispeech/train\n")
    info = scorer_info(run, scorer)
    assert info.reference == "librispeech/train"
    assert info.reference_path == "/data/sample/librispeech/train"
    assert reference_label("/vox/dev.csv") == "vox/dev.csv" and reference_label("dev") == "dev"
