"""balr.validation: conditions, metrics, the guideline table and the speaker bootstrap."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from balr.config.validation import CriteriaConfig
from balr.errors import ConfigError, DatasetError
from balr.evaluation import cllr, cllr_min, compute_eer
from balr.evaluation.devpav import devpav
from balr.evaluation.weighted import SortedLLRs
from balr.validation import read_all, validate
from balr.validation.bootstrap import (
    bootstrap_replicates,
    comparison_weights,
    speaker_bootstrap,
    speaker_counts,
)
from balr.validation.guideline import coherence_row, metric_rows
from balr.validation.inputs import Speakers, duration_of, speakers_by_prefix
from balr.validation.measures import condition_metrics
from tests.validation_data import write_scores


def test_each_file_is_a_condition_named_after_its_folder(tmp_path: Path) -> None:
    a = write_scores(tmp_path / "clean" / "scores.tsv")
    b = write_scores(tmp_path / "phone" / "scores.tsv", seed=1, column="log10_lr")
    clean, phone = read_all([a, b], [], [])
    assert (clean.name, phone.name) == ("clean", "phone")
    assert phone.llrs.size == 400 and np.isfinite(phone.llrs).all()


def test_log10_lr_is_read_as_natural_log(tmp_path: Path) -> None:
    a = write_scores(tmp_path / "a" / "scores.tsv", column="llr")
    b = write_scores(tmp_path / "b" / "scores.tsv", column="log10_lr")
    first, second = read_all([a, b], [], [])
    assert second.llrs == pytest.approx(first.llrs, abs=1e-5)


def test_a_condition_column_splits_a_file(tmp_path: Path) -> None:
    path = write_scores(tmp_path / "mix" / "scores.tsv", condition=["clean", "phone"])
    conditions = read_all([path], [], [])
    assert [c.name for c in conditions] == ["clean", "phone"]
    assert sum(c.llrs.size for c in conditions) == 400


def test_one_name_twice_is_an_error_naming_both_files(tmp_path: Path) -> None:
    a = write_scores(tmp_path / "x" / "beta" / "scores.tsv")
    b = write_scores(tmp_path / "y" / "beta" / "scores.tsv")
    with pytest.raises(ConfigError, match=r"'beta' is given twice.*--name"):
        read_all([a, b], [], [])


def test_scores_of_one_class_are_an_error(tmp_path: Path) -> None:
    path = tmp_path / "s.tsv"
    path.write_text("enrollment\ttest\tllr\tlabel\na/1\tb/1\t0.5\t1\n")
    with pytest.raises(DatasetError, match="only same-speaker comparisons"):
        read_all([path], ["x"], [])


@pytest.mark.parametrize(
    ("name", "seconds"),
    [("short_5s", 5.0), ("dur2s", 2.0), ("4.5s", 4.5), ("clean_10sec", 10.0), ("phone", None)],
)
def test_durations_are_read_from_condition_names(name: str, seconds: float | None) -> None:
    assert duration_of(name) == seconds


def test_speakers_come_from_the_id_prefix(tmp_path: Path) -> None:
    (c,) = read_all([write_scores(tmp_path / "a" / "scores.tsv", speakers=7)], [], [])
    found = speakers_by_prefix(c)
    assert found is not None and found.count == 7
    same = c.labels
    assert (found.enrollment[same] == found.test[same]).all()


def test_misleading_evidence_is_counted_and_its_strongest_value_given() -> None:
    llrs = np.log(10.0) * np.array([-2.0, 1.0, 3.0, -1.0, 0.5, -3.0])
    labels = np.array([1, 1, 1, 0, 0, 0], dtype=bool)
    m = condition_metrics(llrs, labels)
    assert m["misleading_same"] == pytest.approx(1 / 3)
    assert m["strongest_misleading_same"] == pytest.approx(-2.0)
    assert m["misleading_different"] == pytest.approx(1 / 3)
    assert m["strongest_misleading_different"] == pytest.approx(0.5)
    assert (m["log10_lr_min"], m["log10_lr_max"]) == pytest.approx((-3.0, 3.0))


def _metrics(**values: float) -> dict:
    base = {"cllr": 0.2, "cllr_min": 0.1, "cllr_cal": 0.1, "devpav": 0.1, "eer": 2.0}
    return base | values


def test_a_condition_fails_a_row_when_it_misses_the_criterion() -> None:
    rows = metric_rows({"a": _metrics(), "b": _metrics(cllr=0.4)}, CriteriaConfig(), None, "")
    accuracy = rows[0]
    assert accuracy.characteristic == "accuracy"
    assert accuracy.passed == {"a": True, "b": False} and accuracy.decision is False


def test_a_baseline_makes_the_criteria_relative() -> None:
    baseline = _metrics(cllr=0.05, eer=1.0)
    rows = metric_rows({"a": _metrics(cllr=0.07)}, CriteriaConfig(), baseline, "")
    assert rows[0].passed == {"a": False}  # 0.07 > 0.05 * 1.2
    assert "baseline" in rows[0].criterion
    loose = CriteriaConfig(baseline_margin=0.5)
    assert metric_rows({"a": _metrics(cllr=0.07)}, loose, baseline, "")[0].passed == {"a": True}


def test_coherence_needs_performance_not_to_drop_with_more_speech() -> None:
    metrics = {"d2": _metrics(cllr=0.3, eer=5.0), "d4": _metrics(cllr=0.2, eer=3.0)}
    good = coherence_row(metrics, {"d2": 2.0, "d4": 4.0}, CriteriaConfig())
    bad = coherence_row(metrics, {"d2": 4.0, "d4": 2.0}, CriteriaConfig())
    unknown = coherence_row(metrics, {"d2": None, "d4": None}, CriteriaConfig())
    assert (good.decision, bad.decision, unknown.decision) == (True, False, None)


def test_a_speaker_drawn_twice_doubles_its_comparisons() -> None:
    counts = np.array([2.0, 1.0, 0.0])
    enrollment, test = np.array([0, 0, 0, 1, 2]), np.array([0, 1, 2, 1, 1])
    # same(0): 2 copies; 0 vs 1: 2 x 1; 0 vs 2: speaker 2 not drawn; same(1): 1; 2 vs 1: 0.
    assert comparison_weights(counts, enrollment, test).tolist() == [2, 2, 0, 1, 0]


def test_speaker_bootstrap_is_seeded_and_brackets_the_estimate(tmp_path: Path) -> None:
    (c,) = read_all([write_scores(tmp_path / "a" / "scores.tsv", n=600)], [], [])
    found = speakers_by_prefix(c)
    assert found is not None
    first = speaker_bootstrap(c.llrs, c.labels, found, 200, seed=5)
    assert first == speaker_bootstrap(c.llrs, c.labels, found, 200, seed=5)
    assert first != speaker_bootstrap(c.llrs, c.labels, found, 200, seed=6)
    low, high = first["cllr"]
    assert low < cllr(c.llrs, c.labels) < high


def test_validate_writes_the_report_and_its_figures(tmp_path: Path) -> None:
    a = write_scores(tmp_path / "in" / "dur2s" / "scores.tsv", separation=2.0)
    b = write_scores(tmp_path / "in" / "dur4s" / "scores.tsv", seed=1, separation=3.0)
    out = tmp_path / "out"
    report = validate([a, b], out, bootstrap=20)
    for name in (
        "validation.json",
        "validation.html",
        "det.png",
        "tippett.png",
        "ece.png",
        "pav.png",
        "coherence.png",
    ):
        assert (out / name).is_file(), name
    saved = json.loads((out / "validation.json").read_text())
    assert [c["duration"] for c in saved["conditions"]] == [2.0, 4.0]
    assert saved["metrics"]["dur2s"]["cllr"] == pytest.approx(report.metrics["dur2s"]["cllr"])
    assert [r["characteristic"] for r in saved["table"]][-3:] == [
        "robustness",
        "coherence",
        "generalisation",
    ]
    assert saved["bootstrap"]["intervals"]["dur4s"]["eer"][0] <= report.metrics["dur4s"]["eer"]
    html = (out / "validation.html").read_text()
    assert "http://" not in html and "https://" not in html
    assert html.count("data:image/png;base64,") == 5
    assert not math.isnan(saved["metrics"]["dur4s"]["devpav"])


def test_speakers_can_come_from_an_id_speaker_table(tmp_path: Path) -> None:
    path = tmp_path / "a" / "scores.tsv"
    path.parent.mkdir()
    path.write_text("enrollment\ttest\tllr\tlabel\nx1\tx2\t2.0\t1\nx1\ty1\t-1.0\t0\n")
    table = tmp_path / "speakers.csv"
    table.write_text("id,speaker\nx1,anna\nx2,anna\ny1,bob\n")
    report = validate([path], tmp_path / "out", data=str(table))
    assert report.metrics["a"]["n_speakers"] == 2
    assert "speakers.csv" in report.speakers_from


def test_the_report_names_the_scorer_and_calibration_of_a_score_run(tmp_path: Path) -> None:
    from balr.evaluation.calibration import Calibration
    from balr.validation.provenance import describe_method

    scores = write_scores(tmp_path / "run" / "scores.tsv")
    assert describe_method(scores) == ""  # another system's scores: nothing recorded
    rng = np.random.default_rng(0)
    labels = rng.random(200) < 0.5
    calibration = Calibration.fit(np.where(labels, 1.0, -1.0) + rng.normal(0, 1, 200), labels)
    calibration.data |= {"n_speakers": 40, "cross_validated": True, "folds": 5}
    calibration.save(tmp_path / "calibration.json")
    summary = {"kind": "score", "scorer": "beta", "scorer_dir": "ref", "calibrated": True,
               "calibration": str(tmp_path / "calibration.json"), "n_clipped": 3,
               "n_comparisons": 400}  # fmt: skip
    (tmp_path / "run" / "summary.json").write_text(json.dumps(summary))
    text = describe_method(scores)
    assert text.startswith("scorer beta (ref); calibration ")
    assert "logistic, cross-validated on 5 speaker-disjoint folds of 40 speakers" in text
    assert text.endswith("3 of 400 LLRs clipped to its bounds")


def test_an_unknown_id_is_named_by_its_file_line_within_a_split_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "scores.tsv"
    path.parent.mkdir()
    rows = ["x1\tx2\t2.0\t1\tclean", "x1\ty1\t-1.0\t0\tclean", "x1\tx2\t1.0\t1\tphone"]
    rows.append("x1\tz9\t-2.0\t0\tphone")  # line 5: z9 is in no dataset
    path.write_text("enrollment\ttest\tllr\tlabel\tcondition\n" + "\n".join(rows) + "\n")
    table = tmp_path / "speakers.csv"
    table.write_text("id,speaker\nx1,anna\nx2,anna\ny1,bob\n")
    with pytest.raises(DatasetError, match="line 5: id 'z9' has no speaker"):
        validate([path], tmp_path / "out", data=str(table))


def test_the_report_names_the_calibration_of_balr_score_apply(tmp_path: Path) -> None:
    from balr.scoring.commands.calibrate import apply_calibration, calibrate

    dev = write_scores(tmp_path / "dev" / "scores.tsv", column="score")
    test = write_scores(tmp_path / "test" / "scores.tsv", seed=1, column="score")
    for folder in ("cal", "applied"):
        (tmp_path / folder).mkdir()
    calibration = calibrate(dev, tmp_path / "cal", method="bigauss")
    apply_calibration(test, calibration, tmp_path / "applied")
    report = validate([tmp_path / "applied" / "scores.tsv"], tmp_path / "out")
    method = report.conditions[0]["method"]
    assert method.startswith(f"scores {test.absolute()} of another system; calibration ")
    assert "(bigauss, held-out data, 100 same / 300 different-speaker)" in method
    assert "applied by balr score apply" in method


def test_a_bootstrap_replicate_is_the_comparisons_among_the_drawn_speakers() -> None:
    rng = np.random.default_rng(1)
    enrollment = rng.integers(0, 8, 120)
    test = (enrollment + rng.integers(1, 8, 120)) % 8
    same = np.arange(120) % 3 == 0
    test[same] = enrollment[same]
    llrs = np.where(same, 2.0, -2.0) + rng.normal(0, 2, 8)[enrollment] + rng.normal(0, 1, 120)
    counts = speaker_counts(8, 1, seed=4)[0]
    assert counts.sum() == 8 and (counts == 0).any()  # 8 draws of 8 speakers, some left out
    # The replicate rebuilt: a same-speaker comparison once per copy of its speaker, a
    # different-speaker one once per pair of copies of its two speakers.
    copies = np.where(same, counts[enrollment], counts[enrollment] * counts[test])
    rows = np.repeat(np.arange(120), copies.astype(int))
    expected = [f(llrs[rows], same[rows]) for f in (cllr, cllr_min, compute_eer, devpav)]
    found = bootstrap_replicates(llrs, same, Speakers(enrollment, test, 8), 1, seed=4)[0]
    assert found == pytest.approx(expected, rel=1e-9)


def test_an_applied_score_file_is_validated_on_its_reported_llrs_not_the_raw_scores(
    tmp_path: Path,
) -> None:
    path = tmp_path / "applied" / "scores.tsv"
    path.parent.mkdir()
    rows = ["a/1\ta/2\t2.0\t5.0\t9.0\t1", "a/1\tb/1\t-1.0\t-1.0\t-3.0\t0"]
    rows += ["b/2\tb/3\t1.0\t1.0\t4.0\t1", "b/2\ta/3\t-2.0\t-7.0\t-8.0\t0"]
    header = "enrollment\ttest\tllr\tllr_unbounded\tllr_raw\tlabel\n"
    path.write_text(header + "\n".join(rows) + "\n")
    (condition,) = read_all([path], [], [])
    # llr (calibrated, bounded), not llr_unbounded, nor llr_raw, which calibration reads
    assert condition.llrs.tolist() == [2.0, -1.0, 1.0, -2.0]


def test_replicates_drawn_in_chunks_are_the_replicates_drawn_at_once() -> None:
    rng = np.random.default_rng(0)
    llrs, same = rng.normal(size=60), np.arange(60) % 4 == 0
    enrollment, test = rng.integers(0, 12, 60), rng.integers(0, 12, 60)
    test = np.where(same, enrollment, test)
    found = bootstrap_replicates(llrs, same, Speakers(enrollment, test, 12), 1500, seed=3)
    counts = speaker_counts(12, 1500, seed=3)  # one draw of all 1,500
    assert found.shape == (1500, 4)
    data = SortedLLRs.build(llrs, same)
    weights = comparison_weights(counts[1200], enrollment[data.order], test[data.order])
    assert found[1200][0] == pytest.approx(data.metrics(weights)["cllr"])
