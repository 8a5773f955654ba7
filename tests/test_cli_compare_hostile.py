"""Bad input to `balr compare` through the real CLI.

Each case must fail with exit status 2 and one `balr: error:` line naming the recording, file
or option at fault and saying how to fix it, without a traceback, without leaving a case
directory, and without touching the inputs. Log records (`[INFO] ...`) may precede it.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from balr.data.vectors import save_vector
from balr.scoring import BetaScorer
from balr.scoring.io import PARAMETERS
from tests.hostile import Case, Outcome, assert_refused_cleanly

K = 16


def material(tmp: Path) -> tuple[Path, list[Path]]:
    """A fitted beta scorer run dir and four _ba files of different recordings."""
    rng = np.random.default_rng(3)
    rates = rng.uniform(0.1, 0.8, (8, K))
    bits = (rng.random((24, K)) < np.repeat(rates, 3, axis=0)).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, np.repeat(np.arange(8), 3))
    scorer.save(tmp / "scorer")
    files = []
    for i in range(4):
        save_vector(tmp / f"r{i}_ba.npy", bits[i])
        files.append(tmp / f"r{i}_ba.npy")
    return tmp / "scorer", files


def compare(tmp: Path, enroll: str, test: str, *extra: str) -> list[str]:
    return ["compare", enroll, test, "--scorer", str(tmp / "scorer"), *extra]


def same_file_on_both_sides(tmp: Path) -> Outcome:
    _, (a, *_) = material(tmp)
    return compare(tmp, str(a), str(a)), "r0_ba.npy' appears on both sides", "give each"


def same_file_twice_on_a_side(tmp: Path) -> Outcome:
    _, (a, b, *_) = material(tmp)
    args = compare(tmp, f"{a},{a}", str(b))
    return args, "appears twice on the enrollment side", "give each recording once"


def enrollment_recording_also_tested(tmp: Path) -> Outcome:
    _, (a, b, *_) = material(tmp)
    return compare(tmp, f"{a},{b}", str(b)), "r1_ba.npy' appears on both sides", "give each"


def copy_of_a_recording_under_another_name(tmp: Path) -> Outcome:
    # An embedding's content identifies its recording (a _ba file's does not: two
    # recordings may share every attribute).
    material(tmp)
    save_vector(tmp / "x_emb.npy", np.linspace(-1, 1, 8, dtype=np.float32))
    shutil.copyfile(tmp / "x_emb.npy", tmp / "copy_emb.npy")
    args = compare(tmp, str(tmp / "x_emb.npy"), str(tmp / "copy_emb.npy"))
    return args, "copy_emb.npy' are one recording (same file or content)", "give each"


def dataset_id_and_its_own_file(tmp: Path) -> Outcome:
    _, (a, b, *_) = material(tmp)
    (tmp / "data.csv").write_text(f"id,binary_attributes\nspk/u0,{a.name}\nspk/u1,{b.name}\n")
    args = compare(tmp, "spk/u0", str(a), "--data", str(tmp / "data.csv"))
    return args, "'spk/u0' and", "one recording"


def calibration_is_dev_zero(tmp: Path) -> Outcome:
    _, (a, b, *_) = material(tmp)
    args = compare(tmp, str(a), str(b), "--calibration", "/dev/zero")
    return args, "/dev/zero: is a device", "give a calibration file"


def calibration_is_a_fifo(tmp: Path) -> Outcome:
    _, (a, b, *_) = material(tmp)
    os.mkfifo(tmp / "calibration.json")
    args = compare(tmp, str(a), str(b), "--calibration", str(tmp / "calibration.json"))
    return args, "calibration.json: is a FIFO", "give a calibration file"


def scores_is_a_fifo(tmp: Path) -> Outcome:
    _, (a, b, *_) = material(tmp)
    os.mkfifo(tmp / "scores.tsv")
    args = compare(tmp, str(a), str(b), "--scores", str(tmp / "scores.tsv"))
    return args, "scores.tsv: is a FIFO", "give a scores file"


def segments_infinite(tmp: Path) -> Outcome:
    _, (a, b, *_) = material(tmp)
    return compare(tmp, str(a), str(b), "--segments", "inf"), "--segments inf", "between 0.5"


def segments_of_ten_milliseconds(tmp: Path) -> Outcome:
    _, (a, b, *_) = material(tmp)
    return compare(tmp, str(a), str(b), "--segments", "0.01"), "--segments 0.01", "between 0.5"


def scorer_with_a_negative_alpha(tmp: Path) -> Outcome:
    scorer, (a, b, *_) = material(tmp)
    with np.load(scorer / PARAMETERS) as archive:
        arrays = {key: archive[key].copy() for key in archive.files}
    arrays["alpha"][np.flatnonzero(arrays["excluded"] == 0)[0]] = -1.0
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (scorer / PARAMETERS).write_bytes(buffer.getvalue())
    return compare(tmp, str(a), str(b)), "invalid beta parameters", "fit the scorer again"


def scorer_json_nested_a_hundred_thousand_deep(tmp: Path) -> Outcome:
    scorer, (a, b, *_) = material(tmp)
    (scorer / "scorer.json").write_text("[" * 100_000 + "]" * 100_000)
    return compare(tmp, str(a), str(b)), "scorer.json: unreadable scorer description", "fit again"


def fusion_nested_a_hundred_thousand_deep(tmp: Path) -> Outcome:
    _, (a, b, *_) = material(tmp)
    (tmp / "fusion.json").write_text("[" * 100_000 + "]" * 100_000)
    args = compare(tmp, str(a), str(b), "--fusion", str(tmp / "fusion.json"))
    return args, "fusion.json: cannot read the fusion (RecursionError)", "balr score fuse"


def vector_of_another_width(tmp: Path) -> Outcome:
    _, (a, *_) = material(tmp)
    save_vector(tmp / "wide_ba.npy", np.zeros(K + 4, np.uint8))
    args = compare(tmp, str(a), str(tmp / "wide_ba.npy"))
    return args, "has 20 binary attributes but the scorer has 16", "binarised by the model"


def npy_header_declaring_hundreds_of_gib(tmp: Path) -> Outcome:
    # A forged header: numpy would try to allocate 373 GiB (MemoryError, a traceback).
    _, (a, *_) = material(tmp)
    header = b"{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000,), }"
    header += b" " * (117 - len(header)) + b"\n"  # 10 + 118 bytes: aligned to 64
    (tmp / "forged_emb.npy").write_bytes(b"\x93NUMPY\x01\x00\x76\x00" + header + bytes(64))
    args = compare(tmp, str(tmp / "forged_emb.npy"), str(a))
    return args, "forged_emb.npy: malformed .npy file", "save it again with numpy.save"


def unknown_recording(tmp: Path) -> Outcome:
    _, (a, *_) = material(tmp)
    return compare(tmp, str(a), "ghost_ba.npy"), "'ghost_ba.npy' is not a file", "give an audio"


def three_positionals(tmp: Path) -> Outcome:
    _, (a, b, c, _) = material(tmp)
    return compare(tmp, str(a), str(b), str(c)), "takes ENROLL and TEST", "got 3"


CASES: list[Case] = [
    same_file_on_both_sides,
    same_file_twice_on_a_side,
    enrollment_recording_also_tested,
    copy_of_a_recording_under_another_name,
    dataset_id_and_its_own_file,
    calibration_is_dev_zero,
    calibration_is_a_fifo,
    scores_is_a_fifo,
    segments_infinite,
    segments_of_ten_milliseconds,
    scorer_with_a_negative_alpha,
    scorer_json_nested_a_hundred_thousand_deep,
    fusion_nested_a_hundred_thousand_deep,
    vector_of_another_width,
    npy_header_declaring_hundreds_of_gib,
    unknown_recording,
    three_positionals,
]


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_bad_input_is_one_clear_line_and_writes_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    assert_refused_cleanly(case, tmp_path, monkeypatch, capsys)
