"""extract_embeddings: work list, skip/force, save-dir mirroring, segments, bad files, shards."""

from __future__ import annotations

import csv
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from balr.data import AudioDataset, load_vector
from balr.errors import ConfigError, DatasetError, VectorFileError
from balr.extract import GE2EEncoder
from balr.extract.merge import merge_shards
from balr.extract.runner import ExtractOptions, extract_embeddings
from balr.extract.worklist import shard_of, work_items
from tests.extract_shared import SHARED, needs_shared

AUDIO = SHARED / "data" / "librispeech-audio" / "val"
SAMPLE = SHARED / "data" / "librispeech-sample"
# The three shortest recordings (3.0-3.4 s): one speaker each.
FILES = ("8226-274369-0000", "1624-142933-0000", "2764-36616-0000")

pytestmark = needs_shared(AUDIO)


def audio_folder(root: Path) -> Path:
    """root/audio/ls<speaker>/<file>.flac for the three recordings."""
    for name in FILES:
        folder = root / "audio" / f"ls{name.split('-')[0]}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(AUDIO / f"{name}.flac", folder)
    return root / "audio"


def run(path: Path, out: Path, factory: object = GE2EEncoder, **options: object) -> object:
    dataset = AudioDataset.from_path(path)
    return extract_embeddings(dataset, factory, ExtractOptions(progress=False, **options), out)  # type: ignore[arg-type]


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_vectors_go_beside_the_audio_with_a_csv_of_id_audio_embedding_speaker(
    tmp_path: Path,
) -> None:
    folder = audio_folder(tmp_path)
    summary = run(folder, tmp_path / "out")
    assert summary.extracted == 3 and summary.failed == 0
    rows = read_rows(tmp_path / "out" / "extracted.csv")
    assert list(rows[0]) == ["id", "audio", "embedding", "speaker"]
    assert [r["speaker"] for r in rows] == ["ls1624", "ls2764", "ls8226"]
    for row in rows:
        vector = np.load(row["embedding"])
        assert Path(row["embedding"]).parent == Path(row["audio"]).parent
        assert vector.shape == (256,) and vector.dtype == np.float32


def test_a_rerun_skips_done_files_and_force_redoes_them(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    run(folder, tmp_path / "out")
    done = folder / "ls1624" / "1624-142933-0000_emb.npy"
    (folder / "ls2764" / "2764-36616-0000_emb.npy").unlink()  # as if interrupted there
    before = done.stat().st_mtime_ns
    again = run(folder, tmp_path / "out")
    assert (again.extracted, again.skipped) == (1, 2)
    assert done.stat().st_mtime_ns == before
    assert len(read_rows(tmp_path / "out" / "extracted.csv")) == 3
    forced = run(folder, tmp_path / "out", force=True)
    assert (forced.extracted, forced.skipped) == (3, 0)


def test_save_dir_mirrors_the_input_layout(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    out = tmp_path / "emb"
    run(folder, out, save_dir=out, fmt="txt")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*_emb.txt")) == [
        "ls1624/1624-142933-0000_emb.txt",
        "ls2764/2764-36616-0000_emb.txt",
        "ls8226/8226-274369-0000_emb.txt",
    ]
    assert not list(folder.rglob("*_emb.*"))
    assert AudioDataset.from_path(out / "extracted.csv").counts()["embedding"] == 3


def test_pkl_vectors_are_plain_numpy_arrays_for_ba_lr_2(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    run(folder, tmp_path / "out", fmt="pkl")
    path = folder / "ls1624" / "1624-142933-0000_emb.pkl"
    with path.open("rb") as handle:
        array = pickle.load(handle)  # what BA-LR 2.0 does with its sidecars
    assert type(array) is np.ndarray and array.dtype == np.float32 and array.shape == (256,)
    np.testing.assert_array_equal(load_vector(path), array)


def test_segments_reproduce_the_shared_vectors_with_sKK_ids(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    run(folder, tmp_path / "out", segments=2.0)
    rows = {r["id"]: r for r in read_rows(tmp_path / "out" / "extracted.csv")}
    assert "ls2764/2764-36616-0000-s00" in rows
    assert all(i.rsplit("-s", 1)[1].isdigit() and len(i.rsplit("-s", 1)[1]) == 2 for i in rows)
    for item_id, row in rows.items():
        speaker, rest = item_id.split("/")
        reference = SAMPLE / "embeddings" / speaker / f"{rest.split('-', 1)[1]}_emb.txt"
        np.testing.assert_allclose(np.load(row["embedding"]), load_vector(reference), atol=1e-5)


def write_bad_files(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "empty.wav").write_bytes(b"")
    data = (AUDIO / f"{FILES[0]}.flac").read_bytes()
    (folder / "truncated.flac").write_bytes(data[: len(data) // 3])
    sf.write(folder / "silent.wav", np.zeros(32000, np.float32), 16000)
    wav, rate = sf.read(AUDIO / f"{FILES[1]}.flac", dtype="float32")
    sf.write(folder / "short.wav", wav[rate : rate + rate // 4], rate)


def test_bad_files_are_listed_and_do_not_stop_the_others(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    write_bad_files(folder / "bad")
    summary = run(folder, tmp_path / "out")
    assert (summary.extracted, summary.failed) == (3, 4)
    errors = {r["id"]: r["reason"] for r in read_rows(tmp_path / "out" / "extract_errors.csv")}
    assert set(errors) == {"bad/empty.wav", "bad/truncated.flac", "bad/silent.wav", "bad/short.wav"}
    assert all(f"bad/{i.split('/')[1]}" in reason for i, reason in errors.items())
    assert "silent" in errors["bad/silent.wav"] and "short" in errors["bad/short.wav"]
    assert len(read_rows(tmp_path / "out" / "extracted.csv")) == 3
    assert not list(folder.rglob(".*partial*")) and not list((folder / "bad").glob("*_emb*"))
    assert "4 failed" in summary.line()


def test_csv_rows_with_missing_or_unsupported_audio_are_errors(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("not audio\n")
    table = tmp_path / "list.csv"
    table.write_text(
        "id,audio,speaker\n"
        f"a,{folder / 'ls1624' / (FILES[1] + '.flac')},alice\n"
        "b,missing.flac,bob\n"
        "c,,carol\n"
        "d,notes.txt,dan\n"
    )
    summary = run(table, tmp_path / "out")
    assert (summary.extracted, summary.failed) == (1, 3)
    assert [r["speaker"] for r in read_rows(tmp_path / "out" / "extracted.csv")] == ["alice"]
    reasons = {r["id"]: r["reason"] for r in read_rows(tmp_path / "out" / "extract_errors.csv")}
    assert (
        "not found" in reasons["b"] and "no audio" in reasons["c"] and "notes.txt" in reasons["d"]
    )


def test_strict_stops_at_the_first_bad_file(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    write_bad_files(folder / "bad")
    with pytest.raises(DatasetError, match="bad/"):
        run(folder, tmp_path / "out", strict=True)
    assert not (tmp_path / "out" / "extracted.csv").exists()


def test_packed_output_is_a_pack_that_loads_as_a_dataset(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    summary = run(folder, tmp_path / "out", packed=True, segments=2.0)
    pack = AudioDataset.from_path(tmp_path / "out" / "extracted")
    assert pack.is_packed and len(pack) == summary.vectors
    assert not list(folder.rglob("*_emb*"))
    again = run(folder, tmp_path / "out", packed=True, segments=2.0)
    assert again.extracted == 0 and again.skipped == 3


def test_shards_partition_the_sorted_items_deterministically(tmp_path: Path) -> None:
    items = work_items(((f"id{n:02d}", {"audio": Path(f"/a/{n}.wav")}) for n in range(10)), None)
    shards = [[i.id for i in shard_of(items, s, 3)] for s in range(3)]
    assert sorted(i for shard in shards for i in shard) == [i.id for i in items]
    assert shards[1] == ["id01", "id04", "id07"]
    with pytest.raises(ValueError, match=r"extract\.shard=3"):
        shard_of(items, 3, 3)


def test_merged_shards_equal_one_run(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    single = run(folder, tmp_path / "one", save_dir=tmp_path / "one")
    for shard in (0, 1):
        run(folder, tmp_path / "two", save_dir=tmp_path / "two", shards=2, shard=shard)
    assert sorted(p.name for p in (tmp_path / "two").glob("shard-*")) == [
        "shard-0-of-2.csv",
        "shard-1-of-2.csv",
    ]
    result = merge_shards(tmp_path / "two")
    assert result.rows == 3 and single.output is not None
    one = AudioDataset.from_path(single.output)
    two = AudioDataset.from_path(result.output)
    assert one.ids == two.ids
    for a, b in zip(one, two, strict=True):
        # Not bitwise: the LSTM's float sums depend on how many windows share a batch.
        np.testing.assert_allclose(a.embedding, b.embedding, atol=1e-6)
        assert a.speaker == b.speaker


def test_merge_names_the_missing_shards(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    run(folder, tmp_path, shards=3, shard=1)
    with pytest.raises(DatasetError, match="shard-0-of-3, shard-2-of-3"):
        merge_shards(tmp_path)


def test_invalid_options_are_config_errors(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    with pytest.raises(ConfigError, match=r"extract\.format"):
        run(folder, tmp_path, fmt="wav")
    with pytest.raises(ConfigError, match=r"extract\.shard=2"):
        run(folder, tmp_path, shards=2, shard=2)


def test_a_failed_write_leaves_no_partial_vector_file(tmp_path: Path, monkeypatch) -> None:
    from balr.extract import outputs

    def no_rename(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("balr.data.atomic.os.replace", no_rename)
    with pytest.raises(VectorFileError, match=r"No space left.*--save-dir"):
        outputs.write_vector(tmp_path / "a_emb.npy", np.ones(4, np.float32))
    assert list(tmp_path.iterdir()) == []


def test_progress_without_a_terminal_logs_rate_audio_hours_and_eta(caplog, monkeypatch) -> None:
    from balr.extract.progress import ExtractProgress

    monkeypatch.setattr("balr.data.reader.LOG_EVERY_S", 0.0)
    with caplog.at_level("INFO", logger="balr.extract"), ExtractProgress(10) as bar:
        bar.advance(2, 7200.0)
    assert "extracted 2/10 files" in caplog.text and "files/s" in caplog.text
    assert "audio h/h" in caplog.text and "ETA" in caplog.text


@pytest.mark.slow
def test_two_worker_processes_give_the_vectors_of_one(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    write_bad_files(folder / "bad")
    one = run(folder, tmp_path / "one", save_dir=tmp_path / "one")
    two = run(folder, tmp_path / "two", save_dir=tmp_path / "two", workers=2, batch_files=2)
    assert (two.extracted, two.failed) == (one.extracted, one.failed) == (3, 4)
    for a in sorted((tmp_path / "one").rglob("*_emb.npy")):
        b = tmp_path / "two" / a.relative_to(tmp_path / "one")
        np.testing.assert_allclose(np.load(a), np.load(b), atol=1e-6)


def test_a_shard_whose_files_all_failed_still_reports_to_the_merge(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    write_bad_files(folder / "bad")  # sorted first: bad/empty.wav ... bad/truncated.flac
    for shard in range(7):
        run(folder, tmp_path / "out", shards=7, shard=shard)
    result = merge_shards(tmp_path / "out")
    assert (result.rows, result.errors) == (3, 4)
    assert len(read_rows(tmp_path / "out" / "extract_errors.csv")) == 4


def test_two_rows_of_one_audio_file_are_refused_before_any_work(tmp_path: Path) -> None:
    folder = audio_folder(tmp_path)
    audio = folder / "ls1624" / f"{FILES[1]}.flac"
    table = tmp_path / "twice.csv"
    table.write_text(f"id,audio\na,{audio}\nb,{audio}\n")
    with pytest.raises(DatasetError, match="same audio file"):
        run(table, tmp_path / "out")
    assert not list(folder.rglob("*_emb*"))


def test_two_recordings_with_one_stem_are_refused_before_any_work(tmp_path: Path) -> None:
    folder = tmp_path / "audio" / "ls1"
    folder.mkdir(parents=True)
    shutil.copy(AUDIO / f"{FILES[0]}.flac", folder / "a.flac")
    sf.write(folder / "a.wav", sf.read(folder / "a.flac")[0], 16000)
    with pytest.raises(DatasetError, match=r"same vector file .*a_emb"):
        run(tmp_path / "audio", tmp_path / "out")
    assert not list(folder.rglob("*_emb*"))


@pytest.mark.slow
def test_a_strict_stop_ends_the_worker_processes_at_once(tmp_path: Path) -> None:
    import multiprocessing as mp

    folder = audio_folder(tmp_path)
    write_bad_files(folder / "bad")
    with pytest.raises(DatasetError) as info:
        run(folder, tmp_path / "out", strict=True, workers=2, batch_files=1)
    # The exception's traceback still holds the run's frames here.
    assert info.traceback and not [
        p for p in mp.active_children() if p.name.startswith("balr-extract")
    ]


def test_a_wrong_encoder_is_an_error_even_with_nothing_left_to_do(tmp_path: Path) -> None:
    from functools import partial

    from balr.extract import OnnxEncoder

    folder = audio_folder(tmp_path)
    run(folder, tmp_path / "out")
    with pytest.raises(ConfigError, match=r"nope\.onnx"):
        run(folder, tmp_path / "out", factory=partial(OnnxEncoder, tmp_path / "nope.onnx"))


def test_a_dataset_without_any_audio_is_one_error_not_a_failure_per_row(tmp_path: Path) -> None:
    table = tmp_path / "vectors.csv"
    np.save(tmp_path / "a.npy", np.ones(4, np.float32))
    table.write_text("id,embedding,speaker\na,a.npy,s\nb,a.npy,s\n")
    with pytest.raises(DatasetError, match="no item has an audio file"):
        run(table, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_merge_that_cannot_write_is_one_line_and_keeps_the_shards(tmp_path: Path) -> None:
    for shard in (0, 1):
        (tmp_path / f"shard-{shard}-of-2.csv").write_text(
            f"id,audio,embedding,speaker\nu{shard},a{shard}.wav,a{shard}_emb.npy,s\n"
        )
    (tmp_path / "extracted.csv").mkdir()  # in the way of the merged CSV
    with pytest.raises(DatasetError, match=r"cannot write the merged outputs.*--merge again"):
        merge_shards(tmp_path)
    assert (tmp_path / "shard-0-of-2.csv").read_text().endswith("u0,a0.wav,a0_emb.npy,s\n")
