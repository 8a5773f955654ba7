"""Bad input to `balr validate` through the real CLI.

Each case must fail with exit status 2 and one `balr: error:` line naming the file, line or
key at fault and saying how to fix it, without a traceback, without leaving a run
directory, and without touching the inputs.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.hostile import Case, Outcome, assert_refused_cleanly
from tests.validation_data import write_scores


def _write(tmp: Path, text: str) -> Path:
    path = tmp / "cond" / "scores.tsv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def one_class_only(tmp: Path) -> Outcome:
    path = _write(tmp, "enrollment\ttest\tllr\tlabel\na/1\tb/1\t1.5\t1\na/2\tb/2\t0.5\t1\n")
    return ["validate", str(path)], "only same-speaker comparisons", "add the other kind"


def no_llr_column(tmp: Path) -> Outcome:
    path = _write(tmp, "enrollment\ttest\tscore\tlabel\na/1\tb/1\t1.5\t1\na/2\tc/2\t0.5\t0\n")
    return ["validate", str(path)], "no column llr or log10_lr", "balr score apply"


def no_label_column(tmp: Path) -> Outcome:
    path = _write(tmp, "enrollment\ttest\tllr\na/1\tb/1\t1.5\na/2\tc/2\t0.5\n")
    return ["validate", str(path)], "no column label", "labelled scores.tsv"


def nan_llr(tmp: Path) -> Outcome:
    path = _write(tmp, "enrollment\ttest\tllr\tlabel\na/1\tb/1\t1.5\t1\na/2\tc/2\tnan\t0\n")
    return ["validate", str(path)], "line 3: llr 'nan'", "fix or drop the line"


def infinite_log10_lr(tmp: Path) -> Outcome:
    path = _write(tmp, "enrollment\ttest\tlog10_lr\tlabel\na/1\tb/1\tinf\t1\na/2\tc/2\t0\t0\n")
    return ["validate", str(path)], "line 2: log10_lr 'inf'", "fix or drop the line"


def one_name_twice(tmp: Path) -> Outcome:
    a = write_scores(tmp / "x" / "beta" / "scores.tsv")
    b = write_scores(tmp / "y" / "beta" / "scores.tsv")
    return ["validate", str(a), str(b)], "'beta' is given twice", "--name NAME"


def one_name_twice_by_hand(tmp: Path) -> Outcome:
    a = write_scores(tmp / "a" / "scores.tsv")
    b = write_scores(tmp / "b" / "scores.tsv")
    return ["validate", str(a), str(b), "--name", "x", "x"], "'x' is given twice", "--name"


def unknown_criterion(tmp: Path) -> Outcome:
    a = write_scores(tmp / "a" / "scores.tsv")
    return (
        ["validate", str(a), "criteria.cllr_maxx=0.2"],
        "criteria.cllr_maxx",
        "criteria.cllr_max, criteria.cllr_min_max",
    )


def bootstrap_zero(tmp: Path) -> Outcome:
    a = write_scores(tmp / "a" / "scores.tsv")
    return ["validate", str(a), "--bootstrap", "0"], "--bootstrap 0", "from 1 to 100,000"


def bootstrap_of_a_hundred_million(tmp: Path) -> Outcome:
    # Their speaker counts were drawn at once: 12.8 GB for 16 speakers, then days of work.
    a = write_scores(tmp / "a" / "scores.tsv")
    args = ["validate", str(a), "--bootstrap", "100000000"]
    return args, "--bootstrap 100000000", "from 1 to 100,000"


def bootstrap_override_of_a_hundred_million(tmp: Path) -> Outcome:
    a = write_scores(tmp / "a" / "scores.tsv")
    return ["validate", str(a), "bootstrap=100000000"], "bootstrap=100000000", "from 1 to"


def bootstrap_without_speakers(tmp: Path) -> Outcome:
    path = _write(tmp, "enrollment\ttest\tllr\tlabel\na1\tb1\t1.5\t1\na2\tc2\t0.5\t0\n")
    return ["validate", str(path), "--bootstrap", "10"], "no 'speaker/' prefix", "--data"


def id_without_speaker_in_data(tmp: Path) -> Outcome:
    path = _write(tmp, "enrollment\ttest\tllr\tlabel\nx1\tx2\t1.5\t1\nx1\tz9\t0.5\t0\n")
    table = tmp / "speakers.csv"
    table.write_text("id,speaker\nx1,anna\nx2,anna\n")
    return ["validate", str(path), "--data", str(table)], "line 3: id 'z9'", "with --data"


def missing_file(tmp: Path) -> Outcome:
    return ["validate", str(tmp / "none.tsv")], "none.tsv", "labelled scores.tsv"


def names_do_not_match_files(tmp: Path) -> Outcome:
    a = write_scores(tmp / "a" / "scores.tsv")
    return ["validate", str(a), "--name", "x", "y"], "2 --name for 1 score files", "one name"


def infinite_duration(tmp: Path) -> Outcome:
    a = write_scores(tmp / "a" / "scores.tsv")
    return ["validate", str(a), "--duration", "inf"], "--duration inf", "seconds > 0 (finite)"


def baseline_is_a_fifo(tmp: Path) -> Outcome:
    a = write_scores(tmp / "a" / "scores.tsv")
    os.mkfifo(tmp / "base.tsv")
    args = ["validate", str(a), "--baseline", str(tmp / "base.tsv")]
    return args, "base.tsv: not a regular file", "give a labelled scores.tsv"


def description_not_utf8(tmp: Path) -> Outcome:
    # Bytes that are not UTF-8 arrive as surrogates; the HTML report could not be written.
    a = write_scores(tmp / "a" / "scores.tsv")
    args = ["validate", str(a), "--describe", "lab \udcff"]
    return args, "argument b'lab \\xff' is not valid UTF-8", "retype the text"


def scores_path_not_utf8(tmp: Path) -> Outcome:
    return ["validate", str(tmp / "b\udcffx.tsv")], "b\\xffx.tsv' is not valid UTF-8", "rename"


CASES: list[Case] = [
    one_class_only,
    no_llr_column,
    no_label_column,
    nan_llr,
    infinite_log10_lr,
    one_name_twice,
    one_name_twice_by_hand,
    unknown_criterion,
    bootstrap_zero,
    bootstrap_of_a_hundred_million,
    bootstrap_override_of_a_hundred_million,
    bootstrap_without_speakers,
    id_without_speaker_in_data,
    missing_file,
    names_do_not_match_files,
    infinite_duration,
    baseline_is_a_fifo,
    description_not_utf8,
    scores_path_not_utf8,
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_bad_input_is_one_clear_line_and_writes_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    assert_refused_cleanly(case, tmp_path, monkeypatch, capsys)
