"""`balr extract` end to end on a few LibriSpeech recordings, and its hand-over to train."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from balr.cli import extract_cmd
from balr.cli.main import build_parser, main
from balr.data import AudioDataset
from tests.extract_shared import LIBRISPEECH_VAL, SHARED, copy_audio, needs_shared
from tests.extract_shared import csv_rows as rows
from tests.onnx_models import mean_fbank_model

# The shortest recordings (3.0-4.8 s), one speaker each.
FILES = (
    "8226-274369-0000",
    "1624-142933-0000",
    "2764-36616-0000",
    "6385-220959-0000",
    "5514-19192-0000",
    "3699-175950-0000",
)

pytestmark = needs_shared(LIBRISPEECH_VAL)


@pytest.fixture
def audio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp/audio/ls<speaker>/<file>.flac for three recordings; the test runs in tmp."""
    monkeypatch.chdir(tmp_path)
    return copy_audio(tmp_path, FILES[:3])


def test_extract_writes_sidecars_and_a_csv_in_runs_extract(audio: Path, tmp_path: Path) -> None:
    assert main(["extract", str(audio)]) == 0
    table = rows(tmp_path / "runs" / "extract" / "extract" / "extracted.csv")
    assert [r["speaker"] for r in table] == ["ls1624", "ls2764", "ls8226"]
    assert len(list(audio.rglob("*_emb.npy"))) == 3
    assert (tmp_path / "runs" / "extract" / "extract" / "extract.log").is_file()


def test_a_second_run_skips_everything_into_the_next_run_dir(
    audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(audio)]) == 0
    assert main(["extract", str(audio)]) == 0
    assert "3 recordings already have embeddings" in capsys.readouterr().err
    assert len(rows(tmp_path / "runs" / "extract" / "extract2" / "extracted.csv")) == 3


def test_options_reach_the_run(audio: Path, tmp_path: Path) -> None:
    status = main(
        ["extract", str(audio), "--save-dir", "emb", "--format", "pkl", "--segments", "1.5"]
    )
    assert status == 0
    table = rows(tmp_path / "emb" / "extracted.csv")
    assert all(r["id"].rsplit("-s", 1)[1].isdigit() for r in table) and len(table) > 3
    assert all(r["embedding"].endswith("_emb.pkl") for r in table)
    assert (tmp_path / "emb" / "ls1624" / "1624-142933-0000-s00_emb.pkl").is_file()
    assert not list(audio.rglob("*_emb*"))
    # A segment's recording is its source, not its audio: later vectors follow the segment.
    assert "audio" not in table[0] and table[0]["source"].endswith(".flac")


def test_binarize_on_extracted_segments_writes_one_file_per_segment(
    audio: Path, tmp_path: Path
) -> None:
    assert main(["extract", str(audio), "--segments", "1.0", "--save-dir", "emb"]) == 0
    bae = SHARED / "models" / "BAE_mse.pt"
    extracted = str(tmp_path / "emb" / "extracted.csv")
    assert main(["binarize", extracted, f"encoder.model.checkpoint_path={bae}"]) == 0
    assert len(list((tmp_path / "emb").rglob("*_ba.npy"))) == len(rows(Path(extracted)))


def test_extracted_csv_trains_with_balr_train_as_it_is(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    audio = copy_audio(tmp_path, FILES)
    assert main(["extract", str(audio), "--segments", "1.0", "--save-dir", "emb"]) == 0
    dataset = str(tmp_path / "emb" / "extracted.csv")
    small = [
        "trainer.epochs=1",
        "trainer.internal_dim=32",
        "trainer.losses=[mse]",
        "data.N_classes_per_batch=3",
        "data.M_samples_per_class=2",
        "data.batch_size=6",
    ]
    assert main(["train", dataset, dataset, *small]) == 0
    assert (tmp_path / "runs" / "train" / "last.pt").is_file()


def test_bad_files_give_an_errors_csv_a_summary_and_status_1(
    audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (audio / "empty.wav").write_bytes(b"")
    sf.write(audio / "silent.wav", np.zeros(16000, np.float32), 16000)
    assert main(["extract", str(audio)]) == 1
    run = tmp_path / "runs" / "extract" / "extract"
    assert {r["id"] for r in rows(run / "extract_errors.csv")} == {"empty.wav", "silent.wav"}
    assert len(rows(run / "extracted.csv")) == 3
    assert "2 failed: see" in capsys.readouterr().err


def test_strict_stops_with_one_line_and_status_2(
    audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (audio / "aaa.wav").write_bytes(b"")
    assert main(["extract", str(audio), "--strict"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("balr: error: ") and "aaa.wav" in err[-1]
    assert not (tmp_path / "runs" / "extract" / "extract").exists()


def test_packed_output_is_a_dataset(audio: Path, tmp_path: Path) -> None:
    assert main(["extract", str(audio), "--packed", "--save-dir", "out"]) == 0
    pack = AudioDataset.from_path(tmp_path / "out" / "extracted")
    assert pack.is_packed and len(pack) == 3 and pack.counts()["speakers"] == 3
    assert not list(audio.rglob("*_emb*"))


def test_a_shard_sweep_merges_into_the_same_vectors_as_one_run(audio: Path, tmp_path: Path) -> None:
    # The spelling; --shards K builds this sweep (test_shards_build_the_sweep_overrides;
    # end to end through Slurm in tests/test_slow_extract_slurm.py).
    sweep = ["extract.shards=2", "extract.shard=0,1", "--save-dir", "two"]
    assert main(["extract", "-m", str(audio), *sweep]) == 0
    assert main(["extract", str(audio), "--save-dir", "one"]) == 0
    names = sorted(p.name for p in (tmp_path / "two").iterdir())
    assert "shard-0-of-2.csv" in names and "shard-1-of-2.csv" in names
    assert "extract.shard=0,extract.shards=2" in names
    one = AudioDataset.from_path(tmp_path / "one" / "extracted.csv")
    two = AudioDataset.from_path(tmp_path / "two" / "extracted.csv")
    assert one.ids == two.ids and len(one) == 3
    for a, b in zip(one, two, strict=True):
        np.testing.assert_allclose(a.embedding, b.embedding, atol=1e-6)


def test_merge_of_an_incomplete_sweep_names_the_missing_shard(
    audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overrides = ["extract.shards=2", "extract.shard=1"]
    assert main(["extract", str(audio), "--save-dir", "part", *overrides]) == 0
    assert main(["extract", "--merge", "part"]) == 2
    assert "shard-0-of-2" in capsys.readouterr().err
    # A shard run on its own logs where the sweep's job would; then the merge completes.
    assert (tmp_path / "part" / "extract.shard=1,extract.shards=2" / "extract.log").is_file()
    overrides = ["extract.shards=2", "extract.shard=0"]
    assert main(["extract", str(audio), "--save-dir", "part", *overrides]) == 0
    assert main(["extract", "--merge", "part"]) == 0
    assert len(rows(tmp_path / "part" / "extracted.csv")) == 3


def test_shards_build_the_sweep_overrides() -> None:
    ns = build_parser().parse_args(["extract", "in", "--shards", "3", "--workers", "2"])
    overrides = extract_cmd.build_overrides(ns)
    assert "extract.shards=3" in overrides and "extract.shard=0,1,2" in overrides
    assert "extract.workers=2" in overrides


def test_a_missing_onnx_model_is_one_line(
    audio: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(audio), "encoder=onnx", "encoder.path=nope.onnx"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nope.onnx" in err[0], err
    assert not list(audio.rglob("*_emb*"))


def test_train_on_audio_without_embeddings_says_balr_extract_makes_them(
    audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["train", str(audio), str(audio), "trainer.epochs=1"]) == 2
    err = capsys.readouterr().err
    assert "balr extract" in err and err.count("\n") == 1


def test_binarize_on_audio_without_embeddings_says_balr_extract_makes_them(
    audio: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bae = SHARED / "models" / "BAE_mse.pt"
    assert main(["binarize", str(audio), f"encoder.model.checkpoint_path={bae}"]) == 2
    err = capsys.readouterr().err
    assert "balr extract" in err and err.count("\n") == 1


def test_onnx_encoder_extracts_with_a_model_exported_here(audio: Path, tmp_path: Path) -> None:
    model = mean_fbank_model(tmp_path / "model.onnx", dim=8)
    status = main(
        ["extract", str(audio), "encoder=onnx", f"encoder.path={model}", "--save-dir", "o"]
    )
    assert status == 0
    table = rows(tmp_path / "o" / "extracted.csv")
    assert len(table) == 3 and np.load(tmp_path / "o" / table[0]["embedding"]).shape == (8,)


def test_root_dir_and_audio_formats_reach_the_dataset(audio: Path, tmp_path: Path) -> None:
    sf.write(audio / "ls1624" / "extra.wav", np.zeros(16000, np.float32), 16000)
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "two.csv").write_text(
        f"audio,speaker\nls1624/{FILES[1]}.flac,a\nls8226/{FILES[0]}.flac,b\n"
    )
    status = main(["extract", "lists/two.csv", "--root-dir", str(audio), "--save-dir", "c"])
    assert status == 0 and len(rows(tmp_path / "c" / "extracted.csv")) == 2
    # Only flac: the silent wav (an error if read) is not part of the input.
    assert main(["extract", str(audio), "--audio-formats", "flac", "--save-dir", "f"]) == 0


def test_cfg_prints_the_first_shard_job_config(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["extract", "in.csv", "--shards", "2", "--cfg", "job"]) == 0
    out = capsys.readouterr().out
    assert "shards: 2" in out and "shard: 0" in out and "_target_: balr.extract.GE2EEncoder" in out


def test_onnx_without_a_model_path_names_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["extract", "in", "encoder=onnx"]) == 2
    assert main(["extract", "in", "extract.nope=1"]) == 2
    missing, unknown = capsys.readouterr().err.strip().splitlines()
    assert missing.startswith("balr: error: encoder.path is not set: add encoder.path=")
    assert "balr extract INPUT --cfg job" in unknown and "balr train" not in unknown
    assert not (tmp_path / "runs").exists()


def test_an_unwritable_audio_folder_is_one_line_pointing_to_save_dir(
    audio: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    def read_only(path: Path, vector: np.ndarray) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("balr.extract.outputs.save_vector", read_only)
    assert main(["extract", str(audio)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("balr: error: ") and "--save-dir" in err[-1], err
    assert not (tmp_path / "runs" / "extract" / "extract").exists()


def test_a_run_dir_that_cannot_be_made_is_one_line(
    audio: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def read_only(parent: Path, name: str) -> Path:
        raise PermissionError(13, "Permission denied", str(parent))

    monkeypatch.setattr("balr.training.run_dir.claim_run_dir", read_only)
    assert main(["extract", str(audio)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("balr: error: ") and "--save-dir" in err[0]
