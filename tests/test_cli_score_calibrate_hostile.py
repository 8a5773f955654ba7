"""Bad input to `balr score calibrate` and `balr score apply` through the real CLI.

Each case fails with exit status 2 and one `balr: error:` line naming the file or line at
fault and the fix, without a traceback, a run directory or a change to the inputs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.hostile import Case, Outcome, assert_refused_cleanly

GOOD = "enrollment\ttest\tscore\tlabel\na\tb\t0.9\t1\nc\td\t0.1\t0\ne\tf\t0.7\t1\ng\th\t0.3\t0\n"


def scores(tmp: Path, text: str = GOOD, name: str = "scores.tsv") -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def calibration(tmp: Path, **change: object) -> Path:
    path = tmp / "calibration.json"
    path.write_text(json.dumps({"kind": "affine", "a": 2.0, "b": -1.0} | change))
    return path


def apply_args(tmp: Path, text: str = GOOD, **change: object) -> list[str]:
    return [
        "score",
        "apply",
        str(scores(tmp, text)),
        "--calibration",
        str(calibration(tmp, **change)),
    ]


def one_class_only(tmp: Path) -> Outcome:
    path = scores(tmp, "enrollment\ttest\tscore\tlabel\na\tb\t0.9\t1\nc\td\t0.8\t1\n")
    return ["score", "calibrate", str(path)], "no different-speaker (label 0)", "both classes"


def nan_score(tmp: Path) -> Outcome:
    path = scores(tmp, GOOD.replace("0.1", "nan"))
    return ["score", "calibrate", str(path)], "line 3: score 'nan'", "fix or drop the line"


def infinite_score(tmp: Path) -> Outcome:
    path = scores(tmp, GOOD.replace("0.7", "inf"))
    return ["score", "calibrate", str(path)], "line 4: score 'inf'", "fix or drop the line"


def reversed_scores(tmp: Path) -> Outcome:
    path = scores(tmp, GOOD.replace("\t1\n", "\tX\n").replace("\t0\n", "\t1\n").replace("X", "0"))
    return ["score", "calibrate", str(path)], "scores.tsv: the fitted slope", "reversed"


def no_score_column(tmp: Path) -> Outcome:
    path = scores(tmp, "enrollment\ttest\tvalue\tlabel\na\tb\t0.9\t1\n")
    return (
        ["score", "calibrate", str(path)],
        "no 'llr_raw', 'score', 'llr' or 'log10_lr' column",
        "'score'",
    )


def header_without_rows(tmp: Path) -> Outcome:
    path = scores(tmp, "enrollment\ttest\tscore\tlabel\n")
    return ["score", "calibrate", str(path)], "scores.tsv: a header without score lines", "give"


def comparison_listed_twice(tmp: Path) -> Outcome:
    path = scores(tmp, GOOD + "a\tb\t0.9\t1\n")
    return ["score", "calibrate", str(path)], "lines 2 and 6 compare the same", "keep one"


def two_label_columns(tmp: Path) -> Outcome:
    text = "enrollment\ttest\tscore\tlabel\tlabel\na\tb\t0.9\t1\t0\nc\td\t0.1\t0\t1\n"
    path = scores(tmp, text)
    return ["score", "calibrate", str(path)], "column 'label' twice", "rename or drop the other"


def comparison_listed_twice_to_apply(tmp: Path) -> Outcome:
    args = apply_args(tmp, GOOD.replace("c\td", "a\tb"))
    return args, "lines 2 and 3 compare the same recordings", "keep one"


def missing_scores_to_calibrate(tmp: Path) -> Outcome:
    return ["score", "calibrate", str(tmp / "absent.tsv")], "absent.tsv", "give the scores.tsv"


def missing_scores_to_apply(tmp: Path) -> Outcome:
    args = apply_args(tmp)
    args[2] = str(tmp / "absent.tsv")
    return args, "absent.tsv", "give the scores.tsv"


def missing_calibration(tmp: Path) -> Outcome:
    args = ["score", "apply", str(scores(tmp)), "--calibration", str(tmp / "missing.json")]
    return args, "missing.json", "balr score calibrate"


def calibration_that_inverts_every_lr(tmp: Path) -> Outcome:
    return apply_args(tmp, a=-2.7), "slope a = -2.7 <= 0", "balr score calibrate"


def bounds_above_zero(tmp: Path) -> Outcome:
    bounds = {"kind": "elub", "log10_lower": 0.5, "log10_upper": 2.0}
    return apply_args(tmp, bounds=bounds), "calibration.json", "fit the calibration again"


def bounds_below_zero(tmp: Path) -> Outcome:
    bounds = {"kind": "elub", "log10_lower": -2.0, "log10_upper": -0.1}
    return apply_args(tmp, bounds=bounds), "log10_upper, got [-2.0, -0.1]", "fit the calibration"


def bounds_not_finite(tmp: Path) -> Outcome:
    path = tmp / "calibration.json"
    text = '{"kind": "affine", "a": 1, "b": 0, "bounds": {"kind": "elub", "log10_lower": NaN,'
    path.write_text(text + ' "log10_upper": 3}}')
    args = ["score", "apply", str(scores(tmp)), "--calibration", str(path)]
    return args, "finite log10_lower", "fit the calibration again"


def nan_score_to_apply(tmp: Path) -> Outcome:
    return apply_args(tmp, GOOD.replace("0.3", "NaN")), "line 5: score 'NaN'", "fix or drop"


def calibration_nested_a_hundred_thousand_deep(tmp: Path) -> Outcome:
    # json decodes arrays recursively: this was a RecursionError traceback.
    args = apply_args(tmp)
    Path(args[-1]).write_text("[" * 100_000 + "]" * 100_000)
    return args, "calibration.json: cannot read calibration (RecursionError)", "pass a"


def calibration_of_another_scorer(tmp: Path) -> Outcome:
    # The scores come from a `balr score test` run of one scorer; the calibration from another.
    run = tmp / "test"
    run.mkdir()
    summary = {"kind": "score", "scorer_dir": "/x/scorer_b", "scorer_sha256": "b" * 64}
    (run / "summary.json").write_text(json.dumps(summary))
    path = scores(run)
    cal = calibration(tmp, scorer={"sha256": "a" * 64, "path": "/x/scorer_a"})
    args = ["score", "apply", str(path), "--calibration", str(cal)]
    return args, "another scorer (/x/scorer_a", "--force-calibration"


CASES: list[Case] = [
    one_class_only,
    nan_score,
    infinite_score,
    reversed_scores,
    no_score_column,
    header_without_rows,
    comparison_listed_twice,
    two_label_columns,
    comparison_listed_twice_to_apply,
    missing_scores_to_calibrate,
    missing_scores_to_apply,
    missing_calibration,
    calibration_that_inverts_every_lr,
    bounds_above_zero,
    bounds_below_zero,
    bounds_not_finite,
    nan_score_to_apply,
    calibration_nested_a_hundred_thousand_deep,
    calibration_of_another_scorer,
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_bad_input_is_one_clear_line_and_writes_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    assert_refused_cleanly(case, tmp_path, monkeypatch, capsys)
