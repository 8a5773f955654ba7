"""Recording conditions through scoring: a trial's condition and metrics per condition."""

from __future__ import annotations

import numpy as np

from balr.scoring.conditions import conditions_of, metrics_by_condition, trial_conditions

BY_ID = {"a1": "clean", "a2": "clean", "b1": "phone", "b2": "phone"}


def test_a_dataset_without_a_condition_column_has_no_conditions() -> None:
    assert conditions_of([("a", {"speaker": "s"}), ("b", {"condition": ""})]) is None
    assert conditions_of([("a", {"condition": "phone"}), ("b", {})]) == {"a": "phone"}


def test_a_trial_shares_its_recordings_condition_else_names_both() -> None:
    got = trial_conditions(["a1", "b1", "a1,a2", "a1,b1"], ["a2", "b2", "b1", "b2"], BY_ID)
    assert got == ["clean", "phone", "clean vs phone", "clean & phone vs phone"]


def test_a_side_mixing_conditions_is_not_named_like_a_chained_condition() -> None:
    by_id = {"n": "noise_snr10", "p": "phone", "c": "noise_snr10+phone"}
    mixed, chained = trial_conditions(["n,p", "c"], ["n,p", "c"], by_id)
    assert mixed == "noise_snr10 & phone" and chained == "noise_snr10+phone"
    assert trial_conditions(["c"], ["p"], by_id) == ["noise_snr10+phone vs phone"]


def test_metrics_are_given_per_condition_with_both_kinds_of_trial() -> None:
    rng = np.random.default_rng(0)
    labels = np.tile([True, False], 40)
    conditions = ["clean"] * 40 + ["phone"] * 38 + ["odd", "odd"]
    llr = np.where(labels, 2.0, -2.0) + rng.normal(0, 1, 80)
    llr[40:78] = rng.normal(0, 1, 38)  # phone: no discrimination
    labels[-2:] = True  # "odd" has same-speaker trials only: no metrics
    metrics = metrics_by_condition(llr, labels, conditions)
    assert sorted(metrics) == ["clean", "phone"]
    assert metrics["clean"]["n_target"] == 20
    assert metrics["clean"]["eer"] < metrics["phone"]["eer"]
