"""Score files of other systems (WeSpeaker/Kaldi, SpeechBrain, BOSARIS-like) read by read_scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from balr.errors import DatasetError
from balr.scoring.score_files import read_scores

PAIRS = [("a/1.wav", "a/2.wav", True), ("a/1.wav", "b/1.wav", False), ("b/2.wav", "b/1.wav", True)]
SCORES = [0.71, -0.12, 0.5]


def write(tmp_path: Path, text: str, name: str = "scores.txt") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path / name


def wespeaker(tmp_path: Path, labelled: bool = True) -> Path:
    lines = [
        f"{e} {t} {s}" + (f" {'target' if y else 'nontarget'}" if labelled else "")
        for (e, t, y), s in zip(PAIRS, SCORES, strict=True)
    ]
    return write(tmp_path, "\n".join(lines) + "\n", "wespeaker.score")


def test_wespeaker_score_file_with_labels(tmp_path: Path) -> None:
    scores = read_scores(wespeaker(tmp_path))
    assert scores.raw.tolist() == SCORES
    assert scores.labels is not None and scores.labels.tolist() == [True, False, True]
    assert scores.frame["enrollment"].to_list() == [e for e, _, _ in PAIRS]


def test_speechbrain_scores_label_before_score(tmp_path: Path) -> None:
    text = "".join(f"{e} {t} {int(y)} {s}\n" for (e, t, y), s in zip(PAIRS, SCORES, strict=True))
    scores = read_scores(write(tmp_path, text))
    assert scores.raw.tolist() == SCORES
    assert scores.labels is not None and scores.labels.tolist() == [True, False, True]


def test_bosaris_like_table_with_nist_names(tmp_path: Path) -> None:
    text = "modelid\tsegmentid\tscore\ttargettype\n" + "".join(
        f"{e}\t{t}\t{s}\t{'target' if y else 'nontarget'}\n"
        for (e, t, y), s in zip(PAIRS, SCORES, strict=True)
    )
    scores = read_scores(write(tmp_path, text))
    assert scores.raw.tolist() == SCORES
    assert scores.frame["test"].to_list() == [t for _, t, _ in PAIRS]
    assert scores.labels is not None and scores.labels.tolist() == [True, False, True]


def test_unlabelled_scores_take_labels_from_a_voxceleb_trial_list(tmp_path: Path) -> None:
    trials = write(tmp_path, "".join(f"{int(y)} {e[:-4]} {t} \n" for e, t, y in PAIRS), "t.txt")
    scores = read_scores(wespeaker(tmp_path, labelled=False), trials)
    assert scores.labels is not None and scores.labels.tolist() == [True, False, True]


def test_scored_pair_not_in_the_trials_is_one_line(tmp_path: Path) -> None:
    trials = write(tmp_path, "".join(f"{e} {t} target\n" for e, t, _ in PAIRS[:2]), "t.txt")
    with pytest.raises(DatasetError, match=r"line 3: 'b/2.wav' vs 'b/1.wav' is not in the trials"):
        read_scores(wespeaker(tmp_path, labelled=False), trials)


def test_a_score_line_in_no_known_format_is_shown(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"line 2 is in no known score format \('x y z w v'\)"):
        read_scores(write(tmp_path, "\nx y z w v\n"))


def test_a_non_numeric_score_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "a b 0.5 target\n\na c oops nontarget\n")
    with pytest.raises(DatasetError, match=r"line 3: score 'oops' is not a finite number"):
        read_scores(path)


def test_calibrate_then_apply_a_wespeaker_score_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    lines = [
        f"s{i % 7}/u{i}.wav s{(i + k) % 7}/v{i}.wav {rng.normal(2.0 if k == 0 else -1.0):.4f}"
        f" {'target' if k == 0 else 'nontarget'}"
        for i in range(60)
        for k in (0, 1)
    ]
    write(tmp_path, "\n".join(lines) + "\n", "sys.score")
    assert main(["score", "calibrate", "sys.score", "--save-dir", "cal"]) == 0
    assert (tmp_path / "cal" / "calibration.json").is_file()
    apply = ["score", "apply", "sys.score", "--calibration", "cal/calibration.json"]
    assert main([*apply, "--save-dir", "applied"]) == 0
    header = (tmp_path / "applied" / "scores.tsv").read_text().splitlines()[0].split("\t")
    assert {"enrollment", "test", "llr", "llr_raw", "label"} <= set(header)


def _unlabelled_system(tmp_path: Path) -> tuple[Path, Path]:
    """A WeSpeaker score file without labels, and its VoxCeleb trial list (ids with .wav)."""
    rng = np.random.default_rng(1)
    scores, trials = [], []
    for i in range(60):
        for k in (0, 1):
            enrol, test = f"s{i % 7}/u{i}", f"s{(i + k) % 7}/v{i}"
            scores.append(f"{enrol} {test} {rng.normal(2.0 if k == 0 else -1.0):.4f}\n")
            trials.append(f"{int(k == 0)} {enrol}.wav {test}.wav\n")
    return write(tmp_path, "".join(scores), "sys.score"), write(tmp_path, "".join(trials), "t.txt")


def test_calibrate_and_apply_take_labels_from_trials(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    scores, trials = _unlabelled_system(tmp_path)
    assert (
        main(["score", "calibrate", str(scores), "--trials", str(trials), "--save-dir", "c"]) == 0
    )
    apply = ["score", "apply", str(scores), "--calibration", "c/calibration.json"]
    assert main([*apply, "--trials", str(trials), "--save-dir", "a"]) == 0
    assert (tmp_path / "a" / "metrics.json").is_file()


def test_calibrate_refuses_scores_of_other_trials_in_one_line(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    scores, trials = _unlabelled_system(tmp_path)
    trials.write_text("".join(trials.read_text().splitlines(keepends=True)[:-1]))
    status = main(["score", "calibrate", str(scores), "--trials", str(trials), "--save-dir", "c"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and "line 120: 's3/u59' vs 's4/v59' is not in the trials" in err[-1]
    assert not (tmp_path / "c").exists()


def test_the_raw_score_and_the_reported_llr_are_both_read(tmp_path: Path) -> None:
    text = "enrollment\ttest\tllr\tllr_unbounded\tllr_raw\tlabel\tcondition\n"
    text += "a\tb\t2.0\t3.5\t1.5\t1\tphone\na\tc\t-1.0\t-1.0\t-0.4\t0\t\n"
    scores = read_scores(write(tmp_path, text, "scores.tsv"))
    assert scores.raw.tolist() == [1.5, -0.4]  # what calibration fits on
    assert scores.reported_llrs().tolist() == [2.0, -1.0]  # what validation measures
    assert scores.conditions is not None and scores.conditions.to_list() == ["phone", None]


def test_a_file_of_log10_lrs_only_is_read_as_natural_log(tmp_path: Path) -> None:
    scores = read_scores(write(tmp_path, "enrollment\ttest\tlog10_lr\na\tb\t2\n", "s.tsv"))
    assert scores.raw == pytest.approx([2 * np.log(10.0)])
    assert scores.reported_llrs() == pytest.approx([2 * np.log(10.0)])
    assert scores.conditions is None


def test_a_reported_llr_that_is_not_a_number_names_its_line(tmp_path: Path) -> None:
    text = "enrollment\ttest\tllr_raw\tllr\na\tb\t1.0\t0.5\na\tc\t0.2\tinf\n"
    scores = read_scores(write(tmp_path, text, "s.tsv"))  # the raw scores are fine
    with pytest.raises(DatasetError, match=r"s.tsv: line 3: llr 'inf' is not a finite number"):
        scores.reported_llrs()
