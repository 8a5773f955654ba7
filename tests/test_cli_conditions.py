"""`balr extract condition=...` and `balr degrade` end to end on a few shared recordings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from balr.cli.main import main
from balr.validation.inputs import duration_of
from tests.extract_shared import LIBRISPEECH_VAL, copy_audio, needs_shared
from tests.extract_shared import csv_rows as rows

# Short recordings (3.0-4.8 s of audio), one speaker each.
FILES = ("8226-274369-0000", "1624-142933-0000", "7511-102419-0000", "3699-175950-0000")

pytestmark = needs_shared(LIBRISPEECH_VAL)


@pytest.fixture
def audio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/audio/ls<speaker>/<file>.flac; the test runs in tmp."""
    monkeypatch.chdir(tmp_path)
    return copy_audio(tmp_path, FILES)


def vectors(csv_path: Path) -> dict[str, np.ndarray]:
    return {r["id"]: np.load(csv_path.parent / r["embedding"]) for r in rows(csv_path)}


@pytest.mark.slow
def test_a_sweep_over_conditions_writes_one_matched_set_each(audio: Path, tmp_path: Path) -> None:
    status = main(["extract", str(audio), "--save-dir", "emb", "-m", "condition=clean,phone"])
    assert status == 0
    clean, phone = tmp_path / "emb" / "extracted.csv", tmp_path / "emb" / "phone" / "extracted.csv"
    assert {r["condition"] for r in rows(clean)} == {"clean"}
    assert {r["condition"] for r in rows(phone)} == {"phone"}
    assert [r["id"] for r in rows(clean)] == [r["id"] for r in rows(phone)]
    # The phone vectors are their own files, computed from the degraded audio.
    clean_vectors, phone_vectors = vectors(clean), vectors(phone)
    for key, vector in clean_vectors.items():
        assert 0.5 < float(vector @ phone_vectors[key]) < 0.999
    record = json.loads((tmp_path / "emb" / "phone" / "condition.json").read_text())
    assert record["name"] == "phone"
    assert record["config"]["phone"]["steps"][0]["codec"] == "gsm"
    assert not list(audio.rglob("*_emb.npy"))


@pytest.mark.slow
def test_conditions_give_the_same_vectors_in_any_number_of_shards(
    audio: Path, tmp_path: Path
) -> None:
    condition = "condition=noise_snr10"
    assert main(["extract", str(audio), "--save-dir", "one", condition]) == 0
    assert main(["extract", str(audio), "--save-dir", "two", "--shards", "2", condition]) == 0
    one = vectors(tmp_path / "one" / "noise_snr10" / "extracted.csv")
    two = vectors(tmp_path / "two" / "noise_snr10" / "extracted.csv")
    assert one.keys() == two.keys()
    for key in one:
        np.testing.assert_array_equal(one[key], two[key])


def test_recordings_shorter_than_the_duration_are_listed(audio: Path, tmp_path: Path) -> None:
    seconds = "condition.short_5s.steps.0.seconds=3"
    assert main(["extract", str(audio), "--save-dir", "emb", "condition=short_5s", seconds]) == 1
    # The changed preset is named after its seconds, everywhere: folder, column, record.
    folder = tmp_path / "emb" / "short_3s"
    errors = rows(folder / "extract_errors.csv")
    # 8226 and 1624 hold 2.7 s of speech, 7511 and 3699 more than 3 s.
    assert [e["id"][2:6] for e in errors] == ["1624", "8226"]
    assert all("less than the condition's 3 s" in e["reason"] for e in errors)
    kept = rows(folder / "extracted.csv")
    assert len(kept) == 2
    assert {r["condition"] for r in kept} == {"short_3s"}
    record = json.loads((folder / "condition.json").read_text())
    assert record["name"] == "short_3s"
    assert record["config"]["short_5s"]["steps"][0]["seconds"] == 3.0
    assert duration_of(record["name"]) == 3.0
    assert not (tmp_path / "emb" / "short_5s").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("condition=telephone", "unknown condition 'telephone': choose one of clean, mp3_32k"),
        ("condition=[phone,fone]", "unknown condition 'fone': choose from clean, mp3_32k"),
        ("condition.voip.steps.0.kbps=300", "condition.voip.steps.0.kbps=300: out of range"),
        ("condition.voip.name=voip+16k", "condition.voip.name='voip+16k': not a plain name"),
    ],
)
def test_bad_conditions_are_one_line_and_write_nothing(
    audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], override: str, message: str
) -> None:
    args = ["extract", str(audio), "--save-dir", "emb", "condition=voip", override]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "emb").exists()


def test_a_step_error_names_the_full_key_of_its_fix(
    audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kind = "condition.noise_snr10.steps.0.kind=folder"
    assert main(["extract", str(audio), "--save-dir", "emb", "condition=noise_snr10", kind]) == 2
    err = capsys.readouterr().err
    assert f"{kind}: set condition.noise_snr10.steps.0.noise_dir=FOLDER" in err
    assert not (tmp_path / "emb").exists()


def test_degrade_writes_flac_in_the_input_layout(audio: Path, tmp_path: Path) -> None:
    assert main(["degrade", str(audio), "--save-dir", "phone", "condition=phone"]) == 0
    written = sorted(
        p.relative_to(tmp_path / "phone") for p in (tmp_path / "phone").rglob("*.flac")
    )
    assert written == sorted(p.relative_to(audio) for p in audio.rglob("*.flac"))
    wav, rate = sf.read(tmp_path / "phone" / written[0], dtype="float32")
    power = np.abs(np.fft.rfft(wav)) ** 2
    assert power[np.fft.rfftfreq(len(wav), 1 / rate) > 4000].sum() < 0.01 * power.sum()
    assert (tmp_path / "phone" / "condition.json").is_file()


def test_degrade_keep_codec_writes_the_codecs_files(audio: Path, tmp_path: Path) -> None:
    assert (
        main(["degrade", str(audio), "--save-dir", "mp3", "condition=mp3_32k", "--keep-codec"]) == 0
    )
    assert len(list((tmp_path / "mp3").rglob("*.mp3"))) == 4


def test_degrade_keep_codec_needs_a_codec_and_writes_nothing(
    audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["degrade", str(audio), "--save-dir", "out", "condition=reverb", "--keep-codec"]) == 2
    )
    assert "does not end with a codec step" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_degrade_into_the_input_folder_is_refused_and_writes_nothing(
    audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(audio.rglob("*"))
    out = audio / "phone"
    assert main(["degrade", str(audio), "--save-dir", str(out), "condition=phone"]) == 2
    err = capsys.readouterr().err
    assert "lies inside the input folder" in err and len(err.splitlines()) == 1
    assert sorted(audio.rglob("*")) == before


def test_degrade_lists_bad_recordings_and_writes_the_others(audio: Path, tmp_path: Path) -> None:
    (audio / "ls8226" / "broken.flac").write_bytes(b"not audio")
    assert main(["degrade", str(audio), "--save-dir", "out", "condition=mp3_32k"]) == 1
    errors = rows(tmp_path / "out" / "degrade_errors.csv")
    assert len(errors) == 1
    assert errors[0]["audio"].endswith("broken.flac")
    assert "unreadable" in errors[0]["reason"] or "unrecognised" in errors[0]["reason"]
    assert len(list((tmp_path / "out").rglob("*.flac"))) == 4


@pytest.mark.slow
def test_a_condition_recomputes_recordings_whose_input_names_clean_vectors(
    audio: Path, tmp_path: Path
) -> None:
    assert main(["extract", str(audio), "--save-dir", "clean"]) == 0
    clean_csv = tmp_path / "clean" / "extracted.csv"
    # The clean CSV names each recording's embedding: under mp3_32k they are not the answer.
    assert main(["extract", str(clean_csv), "--save-dir", "out", "condition=mp3_32k"]) == 0
    coded = rows(tmp_path / "out" / "mp3_32k" / "extracted.csv")
    assert len(coded) == 4
    assert all("/out/mp3_32k/" in str((tmp_path / "out" / "mp3_32k" / r["embedding"]).resolve())
               for r in coded)  # fmt: skip
