"""Hostile audio and file names through `balr extract` and `balr compare` (issue 19).

Bad recordings are listed in extract_errors.csv with a reason a user can act on; a name
that would break a trial list is refused in one line before anything is written.
"""

from __future__ import annotations

import csv
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from balr.cli.main import main
from balr.data.vectors import load_vector
from balr.extract import AudioError, read_audio, runner
from balr.extract.worklist import WorkItem
from balr.scoring import BetaScorer
from tests.extract_shared import SHARED, needs_shared
from tests.hostile import digest, run_bad_input

AUDIO = SHARED / "data" / "librispeech-audio" / "val"
SPEECH = AUDIO / "1624-142933-0000.flac"
BAE = SHARED / "models" / "BAE_mse.pt"
RUN = Path("runs") / "extract" / "extract"

pytestmark = needs_shared(AUDIO)


def errors_of(run: Path) -> dict[str, str]:
    with (run / "extract_errors.csv").open(newline="") as handle:
        return {row["id"]: row["reason"] for row in csv.DictReader(handle)}


def write_speech(path: Path, seconds: float | None = None, scale: float = 1.0) -> Path:
    wav = read_audio(SPEECH)
    wav = wav if seconds is None else wav[16000 : 16000 + int(seconds * 16000)]
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, wav * scale, 16000, subtype="FLOAT")
    return path


@contextmanager
def as_nobody() -> Iterator[None]:
    """File permissions as an unprivileged user sees them (root reads anything)."""
    if os.geteuid() != 0:
        yield
        return
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


# --- 9: clips shorter than the silence trimming's windows ---------------------------------


def test_a_clip_of_a_tenth_of_a_second_is_listed_as_too_short(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_speech(tmp_path / "audio" / "spk" / "tiny.wav", seconds=0.1)
    write_speech(tmp_path / "audio" / "spk" / "ok.wav")
    assert main(["extract", str(tmp_path / "audio")]) == 1
    reason = errors_of(tmp_path / RUN)["spk/tiny.wav"]
    assert "too short: 0.10 s of audio" in reason and "IndexError" not in reason


@pytest.mark.skipif(not BAE.is_file(), reason="shared model not present")
def test_compare_of_a_too_short_clip_is_one_line_and_leaves_no_run_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def case(inputs: Path) -> tuple[list[str], str, str]:
        rng = np.random.default_rng(0)
        scorer = BetaScorer()
        scorer.fit((rng.uniform(size=(30, 512)) < 0.3).astype(np.uint8), np.repeat(range(10), 3))
        scorer.save(inputs / "scorer")
        tiny = write_speech(inputs / "tiny.wav", seconds=0.15)
        args = ["compare", str(tiny), str(SPEECH), "--scorer", str(inputs / "scorer")]
        return [*args, f"encoder.model.checkpoint_path={BAE}"], str(tiny), "too short"

    _, work, _ = run_bad_input(case, tmp_path, monkeypatch, capsys)
    assert not (work / "runs").exists() or not any((work / "runs" / "compare").iterdir())


# --- 17: a recording this user may not read ------------------------------------------------


def test_a_recording_without_read_permission_says_permission_denied(tmp_path: Path) -> None:
    folder = tmp_path / "shared"
    path = write_speech(folder / "locked.wav", seconds=1.0)
    for node in (tmp_path, folder):
        node.chmod(0o755)
    path.chmod(0)
    try:
        with as_nobody(), pytest.raises(AudioError) as caught:
            read_audio(path)
    finally:
        path.chmod(0o644)
    message = str(caught.value)
    assert str(path) in message and "permission denied" in message and "chmod" in message
    assert "re-export" not in message


def test_a_fifo_named_like_audio_is_refused_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "stream.wav"
    os.mkfifo(fifo)
    with pytest.raises(AudioError, match="is a FIFO"):
        read_audio(fifo)


def test_extract_lists_a_fifo_in_the_folder_and_embeds_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write_speech(tmp_path / "audio" / "spk" / "ok.wav", seconds=1.0)
    os.mkfifo(tmp_path / "audio" / "spk" / "stream.wav")
    assert main(["extract", str(tmp_path / "audio")]) == 1
    assert "is a FIFO" in errors_of(tmp_path / RUN)["spk/stream.wav"]


def test_long_recordings_are_batched_a_few_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "BATCH_SECONDS", 2.5)
    items = []
    for name, seconds in [("a", 1.0), ("b", 1.0), ("c", 2.0), ("d", 0.5), ("e", 0.5)]:
        path = write_speech(tmp_path / f"{name}.wav", seconds=seconds)
        items.append(WorkItem(name, path, "spk", tmp_path, name))
    batches = list(runner._batches(items, size=8))
    assert [[t.id for t in batch] for batch in batches] == [["a", "b"], ["c", "d"], ["e"]]
    assert [len(b) for b in runner._batches(items, size=2)] == [2, 2, 1]


# --- 13: resuming trusts only vector files that load --------------------------------------


DAMAGES = {
    "empty": lambda p: p.write_bytes(b""),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[:100]),
    "wrong-size": lambda p: np.save(p, np.ones(255, np.float32)),
    "nan": lambda p: np.save(p, np.full(256, np.nan, np.float32)),
}


def test_a_resume_recomputes_embedding_files_that_do_not_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in [*DAMAGES, "intact"]:
        write_speech(tmp_path / "audio" / "spk" / f"{name}.wav", seconds=1.0)
    assert main(["extract", str(tmp_path / "audio"), "--save-dir", "emb"]) == 0
    good = {name: load_vector(tmp_path / "emb" / f"{name}_emb.npy") for name in DAMAGES}
    for name, damage in DAMAGES.items():
        damage(tmp_path / "emb" / f"{name}_emb.npy")
    capsys.readouterr()
    assert main(["extract", str(tmp_path / "audio"), "--save-dir", "emb"]) == 0
    for name, vector in good.items():
        np.testing.assert_allclose(load_vector(tmp_path / "emb" / f"{name}_emb.npy"), vector,
                                   atol=1e-5)  # fmt: skip
    err = capsys.readouterr().err
    assert "4 existing embedding files do not load" in err and "extracted 4 of 5" in err


# --- 14: ids that would break a trial list -------------------------------------------------


@pytest.mark.parametrize("name", ["a,b.wav", "a\tb.wav", "a\nb.wav"])
def test_a_file_name_that_would_break_a_trial_list_is_refused_before_any_work(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def case(inputs: Path) -> tuple[list[str], str, str]:
        shutil.copy(SPEECH, inputs / "fine.flac")
        write_speech(inputs / name, seconds=1.0)
        return ["extract", str(inputs), "--save-dir", "emb"], repr(name), "rename the file"

    inputs, work, before = run_bad_input(case, tmp_path, monkeypatch, capsys)
    assert not (work / "emb").exists() or not any((work / "emb").rglob("*"))
    assert digest(inputs) == before


def test_a_file_name_that_is_not_utf8_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def case(inputs: Path) -> tuple[list[str], str, str]:
        shutil.copy(SPEECH, inputs / "fine.flac")
        shutil.copy(SPEECH, inputs / "o\udcffk.flac")  # the name's bytes: o \xff k
        args = ["extract", str(inputs), "--save-dir", "emb"]
        return args, "id b'o\\xffk.flac' is not valid UTF-8", "rename the file"

    inputs, work, before = run_bad_input(case, tmp_path, monkeypatch, capsys)
    assert not (work / "emb").exists()
    assert digest(inputs) == before


def test_degrade_into_a_save_dir_that_is_a_file_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    # It was a NotADirectoryError traceback.
    def case(inputs: Path) -> tuple[list[str], str, str]:
        shutil.copy(SPEECH, inputs / "one.flac")
        Path("taken").write_text("keep")  # in the work folder
        args = ["degrade", str(inputs), "--save-dir", "taken", "condition=phone"]
        return args, "taken is a file", "give a directory path"

    _, work, _ = run_bad_input(case, tmp_path, monkeypatch, capsys)
    assert [p.name for p in work.iterdir()] == ["taken"]
    assert (work / "taken").read_text() == "keep"


def test_a_csv_id_that_would_break_a_trial_list_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    def case(inputs: Path) -> tuple[list[str], str, str]:
        shutil.copy(SPEECH, inputs / "one.flac")
        row = f'"spk1,take1",{inputs / "one.flac"},s'
        (inputs / "data.csv").write_text(f"id,audio,speaker\n{row}\n")
        return ["extract", str(inputs / "data.csv")], "'spk1,take1'", "safe id"

    run_bad_input(case, tmp_path, monkeypatch, capsys)


# --- 5: a float recording far beyond full scale --------------------------------------------


def test_a_float_recording_1000_times_full_scale_is_rescaled_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    normal = write_speech(tmp_path / "audio" / "normal" / "speech.wav")
    write_speech(tmp_path / "audio" / "loud" / "speech.wav", scale=1000.0)
    assert main(["extract", str(tmp_path / "audio")]) == 0
    a = load_vector(normal.with_name("speech_emb.npy"))
    b = load_vector(tmp_path / "audio" / "loud" / "speech_emb.npy")
    assert float(a @ b) > 0.99  # 0.42 when embedded as it is
    warnings = [line for line in capsys.readouterr().err.splitlines() if "[WARNING]" in line]
    assert len(warnings) == 1
    assert "loud/speech.wav: float samples reach" in warnings[0] and "scaled by" in warnings[0]


def test_a_float_recording_within_codec_overshoot_is_read_as_it_is(tmp_path: Path) -> None:
    path = write_speech(tmp_path / "speech.wav", seconds=1.0, scale=1.0)
    wav = read_audio(path)
    sf.write(path, wav * (1.5 / np.abs(wav).max()), 16000, subtype="FLOAT")
    notes: list[str] = []
    np.testing.assert_allclose(np.abs(read_audio(path, notes=notes)).max(), 1.5, rtol=1e-6)
    assert notes == []
