"""Bad input to `balr score` through the real CLI.

Each case must fail with exit status 2 and one `balr: error:` line naming the file, line
or id at fault and saying how to fix it, without a traceback, without leaving a run
directory, and without touching the inputs. Log records (`[INFO] ...`) may precede it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from balr.scoring import BetaScorer
from tests.hostile import Case, Outcome, assert_refused_cleanly
from tests.score_data import K, all_pairs, write_attributes


def fitted(tmp: Path, k: int = K) -> Path:
    """A beta scorer run dir fitted on a small reference (built in Python: no runs/)."""
    rng = np.random.default_rng(0)
    bits = (rng.random((30, k)) < np.repeat(rng.random((10, k)), 3, axis=0)).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, np.repeat(np.arange(10), 3))
    folder = tmp / "scorer"
    folder.mkdir()
    scorer.save(folder)
    return folder


def score_test_args(
    tmp: Path, trials_text: str | None = None, *extra: str, k: int = K
) -> list[str]:
    data = write_attributes(tmp / "data", speakers=3, per_speaker=2, k=k)
    if trials_text is None:
        trials = all_pairs(tmp / "trials.tsv", 3, 2)
    else:
        trials = tmp / "trials.tsv"
        trials.write_text(trials_text)
    return ["score", "test", str(data), str(trials), "--scorer", str(fitted(tmp)), *extra]


def unknown_trial_id(tmp: Path) -> Outcome:
    args = score_test_args(tmp, "enrollment\ttest\ns0/u0\ts1/u0\ns0/u1\tghost/u9\n")
    return args, "'ghost/u9'", "line 3"


def unknown_trial_id_of_a_million_characters(tmp: Path) -> Outcome:
    # The whole id went into the message: a megabyte-long "one line".
    args = score_test_args(tmp, "enrollment\ttest\n" + "x" * 10**6 + "\ts1/u0\n")
    return args, "'" + "x" * 80 + "'... (1,000,000 characters) is not in", "use ids"


def empty_side(tmp: Path) -> Outcome:
    return score_test_args(tmp, "enrollment\ttest\ns0/u0\t\n"), "test side is empty", "give one"


def attribute_count_differs_from_the_scorer(tmp: Path) -> Outcome:
    return score_test_args(tmp, None, k=K - 4), "has 12 attributes", "binarise DATA"


def one_vector_of_another_length(tmp: Path) -> Outcome:
    args = score_test_args(tmp)
    np.save(tmp / "data" / "s1u1_ba.npy", np.ones(K - 1, dtype=np.uint8))
    return args, "s1u1_ba.npy", "15"


def ba_lr_2_attribute_count_unlike_the_data(tmp: Path) -> Outcome:
    # BA-LR 2.0's scorer.n_attributes is accepted, and checked against the vectors.
    ref = write_attributes(tmp / "ref", speakers=3, per_speaker=2)
    args = ["score", "train", str(ref), "scorer.n_attributes=512"]
    return args, "have 16 attributes, not scorer.n_attributes=512", "drop scorer.n_attributes"


def reference_of_one_speaker(tmp: Path) -> Outcome:
    ref = write_attributes(tmp / "ref", speakers=1, per_speaker=4)
    return ["score", "train", str(ref)], "1 speaker", "at least 2 speakers"


def reference_without_speakers(tmp: Path) -> Outcome:
    ref = write_attributes(tmp / "ref", speakers=3, per_speaker=2, with_speaker=False)
    return ["score", "train", str(ref)], "'s0/u0'", "speaker"


def invalid_scorer_setting(tmp: Path) -> Outcome:
    ref = write_attributes(tmp / "ref", speakers=3, per_speaker=2)
    return ["score", "train", str(ref), "scorer=dna", "scorer.drop_in=2"], "drop_in=2", "give"


def unknown_scorer_name(tmp: Path) -> Outcome:
    # balr's options are all named (Hydra lists one per line).
    ref = write_attributes(tmp / "ref", speakers=3, per_speaker=2)
    args = ["score", "train", str(ref), "scorer=svm"]
    return args, "unknown scorer 'svm'", "beta, cosine, dna, maxllr, plda, speech"


def unknown_scorer_key(tmp: Path) -> Outcome:
    ref = write_attributes(tmp / "ref", speakers=3, per_speaker=2)
    return (
        ["score", "train", str(ref), "scorer.nope=1"],
        "scorer.nope",
        "balr score train REF --cfg job",
    )


def malformed_scorer_json(tmp: Path) -> Outcome:
    args = score_test_args(tmp)
    (tmp / "scorer" / "scorer.json").write_text("{ not json")
    return args, "scorer.json", "fit"


def foreign_scorer_dir(tmp: Path) -> Outcome:
    args = score_test_args(tmp)
    foreign = tmp / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("hello")
    return [*args, "--scorer", str(foreign)], "foreign", "scorer"


def scorer_of_another_type_than_asked(tmp: Path) -> Outcome:
    return score_test_args(tmp, None, "scorer=maxllr"), "beta", "scorer=maxllr"


def scorer_setting_unlike_the_fitted_one(tmp: Path) -> Outcome:
    # A fitted scorer keeps its settings: a scorer.KEY at test time is never ignored silently.
    args = score_test_args(tmp, None, "scorer.min_speakers=5")
    return args, "fitted with min_speakers=2, not 5", "refit"


def model_checkpoint_as_scorer(tmp: Path) -> Outcome:
    # A training checkpoint (nested dicts, not a state_dict of tensors) is not a scorer.
    import torch

    args = score_test_args(tmp)
    torch.save({"model": {"w": torch.ones(2)}, "epoch": 3}, tmp / "best.pt")
    args[args.index("--scorer") + 1] = str(tmp / "best.pt")
    return args, "best.pt: not a scorer", "`balr score train` run dir"


def no_scorer_given(tmp: Path) -> Outcome:
    args = score_test_args(tmp)
    return args[: args.index("--scorer")], "no scorer to test", "--scorer RUN_DIR"


def calibration_without_both_classes(tmp: Path) -> Outcome:
    scores = tmp / "scores.tsv"
    scores.write_text(
        "enrollment\ttest\tllr\tlog10_lr\tlabel\na\tb\t1.5\t0.6\t1\nc\td\t2\t0.8\t1\n"
    )
    return ["score", "calibrate", str(scores)], "different-speaker (label 0)", "both classes"


def calibration_of_unlabelled_scores(tmp: Path) -> Outcome:
    scores = tmp / "scores.tsv"
    scores.write_text("enrollment\ttest\tllr\tlog10_lr\na\tb\t1.5\t0.6\n")
    return ["score", "calibrate", str(scores)], "no 'label' column", "labelled"


def nan_score_to_calibrate(tmp: Path) -> Outcome:
    scores = tmp / "scores.tsv"
    scores.write_text("enrollment\ttest\tllr\tlabel\na\tb\t1.5\t1\nc\td\tnan\t0\n")
    return ["score", "calibrate", str(scores)], "line 3", "not a finite number"


def calibration_making_infinite_llrs(tmp: Path) -> Outcome:
    cal = tmp / "calibration.json"
    cal.write_text(json.dumps({"kind": "affine", "a": 1e308, "b": 0.0}))
    args = score_test_args(tmp, None, "--calibration", str(cal))
    return args, "the LLR is", "refit the calibration"


def plots_without_labels(tmp: Path) -> Outcome:
    args = score_test_args(tmp, "enrollment\ttest\ns0/u0\ts1/u0\n", "--plots")
    data = write_attributes(tmp / "nolabel", speakers=3, per_speaker=2, with_speaker=False)
    args[2] = str(data)
    return args, "--plots", "add a 'label' column"


def missing_trials_file(tmp: Path) -> Outcome:
    args = score_test_args(tmp)
    args[3] = str(tmp / "absent.tsv")
    return args, "absent.tsv", "check the TRIALS path"


def trial_comparing_a_recording_with_itself(tmp: Path) -> Outcome:
    args = score_test_args(tmp, "enrollment\ttest\ns0/u0\ts1/u0\ns0/u1\ts0/u1\n")
    return args, "line 3: recording 's0/u1' appears on both sides", "list each recording once"


def trial_side_holding_the_test_recording(tmp: Path) -> Outcome:
    args = score_test_args(tmp, "enrollment\ttest\ns0/u0,s1/u0\ts1/u0\n")
    return args, "recording 's1/u0' appears on both sides", "list each recording once"


def trial_of_two_ids_read_from_one_file(tmp: Path) -> Outcome:
    args = score_test_args(tmp, "enrollment\ttest\ns0/u0\ts1/u1\n")
    csv = tmp / "data" / "data.csv"
    csv.write_text(csv.read_text().replace("s1/u1,s1u1_ba.npy", "s1/u1,s0u0_ba.npy"))
    return args, "'s0/u0' and 's1/u1' are one recording (same file)", "list each recording once"


def repeated_trial_row(tmp: Path) -> Outcome:
    rows = "s0/u0\ts1/u0\t0\ns0/u0\ts0/u1\t1\ns0/u0\ts1/u0\t0\n"
    args = score_test_args(tmp, f"enrollment\ttest\tlabel\n{rows}")
    return args, "lines 2 and 4 compare the same recordings", "keep one"


def two_label_columns(tmp: Path) -> Outcome:
    args = score_test_args(tmp, "enrollment\ttest\tlabel\tlabel\ns0/u0\ts1/u0\t0\t1\n")
    return args, "names the column 'label' twice", "rename or drop the other"


def plots_with_one_class_only(tmp: Path) -> Outcome:
    rows = "s0/u0\ts0/u1\t1\ns1/u0\ts1/u1\t1\n"
    args = score_test_args(tmp, f"enrollment\ttest\tlabel\n{rows}", "--plots")
    return args, "every label is 1 (same speaker)", "add different-speaker comparisons"


def validation_with_one_class_only(tmp: Path) -> Outcome:
    ref = write_attributes(tmp / "ref", speakers=3, per_speaker=2)
    trials = tmp / "val.tsv"
    trials.write_text("enrollment\ttest\tlabel\ns0/u0\ts1/u0\t0\ns0/u1\ts2/u0\t0\n")
    args = ["score", "train", str(ref), "--val", str(ref), str(trials)]
    return args, "every label is 0 (different speakers)", "add same-speaker comparisons"


def calibration_is_dev_zero(tmp: Path) -> Outcome:
    args = score_test_args(tmp, None, "--calibration", "/dev/zero")
    return args, "/dev/zero: is a device", "give a calibration.json"


def trials_file_is_a_fifo(tmp: Path) -> Outcome:
    args = score_test_args(tmp)
    os.mkfifo(tmp / "pipe.tsv")
    args[3] = str(tmp / "pipe.tsv")
    return args, "pipe.tsv: is a FIFO", "give a trial list"


def vector_file_is_a_fifo(tmp: Path) -> Outcome:
    args = score_test_args(tmp)
    (tmp / "data" / "s1u1_ba.npy").unlink()
    os.mkfifo(tmp / "data" / "s1u1_ba.npy")
    return args, "s1u1_ba.npy: is a FIFO", "give a vector file"


def scorer_with_zero_alpha(tmp: Path) -> Outcome:
    args = score_test_args(tmp)
    with np.load(tmp / "scorer" / "parameters.npz") as archive:
        arrays = {key: archive[key].copy() for key in archive.files}
    arrays["alpha"][np.flatnonzero(arrays["excluded"] == 0)[0]] = 0.0
    np.savez(tmp / "scorer" / "parameters.npz", **arrays)
    return args, "invalid beta parameters (alpha=0", "fit the scorer again"


def trials_out_dir_is_a_file(tmp: Path) -> Outcome:
    data = write_attributes(tmp / "data", speakers=4, per_speaker=2)
    (tmp / "taken").write_text("a file")
    args = ["score", "trials", str(data), "--out-dir", str(tmp / "taken")]
    return args, "--out-dir", "is a file: give a folder"


def trials_of_ids_holding_a_comma(tmp: Path) -> Outcome:
    data = write_attributes(tmp / "data", speakers=4, per_speaker=2)
    text = data.read_text().replace("s0/u0,", '"s0/u,0",', 1)
    data.write_text(text)
    args = ["score", "trials", str(data), "--out-dir", str(tmp / "lists")]
    return args, "id 's0/u,0' holds a comma", "rename those recordings"


def describe_save_dir_is_a_file(tmp: Path) -> Outcome:
    scorer = fitted(tmp)
    (tmp / "taken").write_text("a file")
    args = ["score", "describe", str(scorer), "--save-dir", str(tmp / "taken")]
    return args, "taken is a file", "give a folder for attributes.png"


CASES: list[Case] = [
    trial_comparing_a_recording_with_itself,
    trial_side_holding_the_test_recording,
    trial_of_two_ids_read_from_one_file,
    repeated_trial_row,
    two_label_columns,
    plots_with_one_class_only,
    validation_with_one_class_only,
    calibration_is_dev_zero,
    trials_file_is_a_fifo,
    vector_file_is_a_fifo,
    scorer_with_zero_alpha,
    trials_out_dir_is_a_file,
    trials_of_ids_holding_a_comma,
    describe_save_dir_is_a_file,
    unknown_trial_id,
    empty_side,
    attribute_count_differs_from_the_scorer,
    one_vector_of_another_length,
    ba_lr_2_attribute_count_unlike_the_data,
    reference_of_one_speaker,
    reference_without_speakers,
    invalid_scorer_setting,
    unknown_scorer_name,
    unknown_scorer_key,
    malformed_scorer_json,
    foreign_scorer_dir,
    scorer_of_another_type_than_asked,
    scorer_setting_unlike_the_fitted_one,
    model_checkpoint_as_scorer,
    no_scorer_given,
    calibration_without_both_classes,
    calibration_of_unlabelled_scores,
    nan_score_to_calibrate,
    calibration_making_infinite_llrs,
    plots_without_labels,
    missing_trials_file,
    unknown_trial_id_of_a_million_characters,
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_bad_input_is_one_clear_line_and_writes_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    assert_refused_cleanly(case, tmp_path, monkeypatch, capsys)
