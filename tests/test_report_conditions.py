"""The case report's recording conditions: the calibration data's, the case's, the warning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from balr.errors import ConfigError
from balr.report.case import CalibrationInfo
from balr.report.conditions import calibration_conditions, case_conditions, reference_conditions


def scorer_run(tmp_path: Path, conditions: list[str] | None) -> Path:
    """A scorer run whose scorer.json names a reference CSV (with a condition column)."""
    reference = tmp_path / "ref.csv"
    header = "id,binary_attributes,speaker" + (",condition" if conditions else "")
    lines = [header] + [
        f"r{n},r{n}.npy,s{n}" + (f",{c}" if conditions else "")
        for n, c in enumerate(conditions or ["-"])
    ]
    reference.write_text("\n".join(lines) + "\n")
    run = tmp_path / "scorer"
    run.mkdir()
    (run / "scorer.json").write_text(json.dumps({"reference": {"path": str(reference)}}))
    return run


def calibration(data: dict[str, object]) -> CalibrationInfo:
    return CalibrationInfo("cal.json", 1.0, 0.0, data=data)


def test_a_cross_validated_calibration_has_its_reference_populations_conditions(
    tmp_path: Path,
) -> None:
    run = scorer_run(tmp_path, ["phone", "clean", "phone"])
    assert reference_conditions(run) == ["clean", "phone"]
    cv = calibration({"file": str(run / "cv_scores.tsv"), "cross_validated": True})
    assert calibration_conditions(cv, ["clean", "phone"]) == ["clean", "phone"]


def test_a_calibration_fitted_on_scores_has_their_condition_column(tmp_path: Path) -> None:
    scores = tmp_path / "scores.tsv"
    scores.write_text("enrollment\ttest\tllr\tlabel\tcondition\na\tb\t1.0\t1\tmp3_32k\n")
    assert calibration_conditions(calibration({"file": str(scores)}), ["clean"]) == ["mp3_32k"]
    plain = tmp_path / "plain.tsv"
    plain.write_text("enrollment\ttest\tllr\tlabel\na\tb\t1.0\t1\n")
    assert calibration_conditions(calibration({"file": str(plain)}), None) is None


def test_a_case_under_other_conditions_than_the_calibration_data_is_warned(
    tmp_path: Path,
) -> None:
    run = scorer_run(tmp_path, ["clean"])
    cv = calibration({"cross_validated": True})
    found = case_conditions(("phone", "phone"), ([], []), run, cv)
    assert found.calibration == ["clean"]
    assert found.warning is not None and "(phone) differ" in found.warning
    assert found.sentences()[0] == found.warning
    matched = case_conditions(("clean", None), ([], []), run, cv)
    assert matched.warning is None
    assert "of the calibration data: clean" in matched.sentences()[0]


def test_unrecorded_conditions_say_so_without_a_warning(tmp_path: Path) -> None:
    found = case_conditions(("phone", "phone"), ([], []), scorer_run(tmp_path, None), None)
    assert found.warning is None
    assert "calibration data: not recorded" in found.sentences()[0]


def test_an_unknown_case_condition_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown condition 'fone': choose from clean, phone"):
        case_conditions(("noise_snr10+fone", None), ([], []), tmp_path, None)


@pytest.mark.parametrize("name", ["short_10s", "short_2.5s~bd1d50", "noise_snr10+phone~0d018d"])
def test_a_case_condition_may_name_a_changed_preset_as_extract_records_it(
    tmp_path: Path, name: str
) -> None:
    assert case_conditions((name, None), ([], []), tmp_path, None).enrollment == [name]


@pytest.mark.parametrize("name", ["fone~0d018d", "short_10", "phone~xyz"])
def test_a_changed_name_of_no_preset_is_unknown(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError, match="unknown condition"):
        case_conditions((name, None), ([], []), tmp_path, None)


def test_compare_refuses_an_unknown_case_condition_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from balr.cli.main import main

    monkeypatch.chdir(tmp_path)
    for name in ("a.npy", "b.npy"):
        (tmp_path / name).write_bytes(b"")
    run = scorer_run(tmp_path, ["clean"])
    args = ["compare", "a.npy", "b.npy", "--scorer", str(run), "--condition-test", "telefon"]
    assert main(args) == 2
    assert "--condition-test=telefon: unknown condition 'telefon'" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()
