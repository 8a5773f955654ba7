"""Kaldi/WeSpeaker embeddings: .ark (binary and text) and .scp files with utt2spk."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from balr.data import AudioDataset, load_embedding_table
from balr.data.kaldi import read_kaldi_vectors
from balr.data.kaldi_write import write_ark, write_scp, write_utt2spk
from balr.errors import DatasetError, VectorFileError
from tests.hostile import Outcome, run_bad_input

IDS = ["spkA-u1", "spkA-u22", "spkB-u3", "spkB-u4444", "spkC-u5"]
SPEAKERS = ["spkA", "spkA", "spkB", "spkB", "spkC"]


def vectors(n: int = len(IDS), dim: int = 6) -> np.ndarray:
    return np.random.default_rng(0).standard_normal((n, dim)).astype(np.float32)


def ark_with_utt2spk(folder: Path, name: str = "xvector.ark") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_ark(folder / name, IDS, vectors())
    write_utt2spk(folder / "utt2spk", IDS, SPEAKERS)
    return folder / name


def test_binary_ark_reads_back_the_written_vectors(tmp_path: Path) -> None:
    write_ark(tmp_path / "x.ark", IDS, vectors())
    read = read_kaldi_vectors(tmp_path / "x.ark")
    assert read.ids == IDS
    assert np.array_equal(read.matrix, vectors())


def test_double_precision_vectors_are_read_as_float32(tmp_path: Path) -> None:
    values = np.arange(6, dtype="<f8") / 4
    record = b"utt1 \0BDV \x04" + np.int32(6).tobytes() + values.tobytes()
    (tmp_path / "x.ark").write_bytes(record + record.replace(b"utt1", b"utt2"))
    read = read_kaldi_vectors(tmp_path / "x.ark")
    assert read.ids == ["utt1", "utt2"]
    assert read.matrix.dtype == np.float32 and read.matrix[1].tolist() == values.tolist()


def test_text_ark_is_read_like_the_binary_one(tmp_path: Path) -> None:
    (tmp_path / "x.ark").write_text("u1  [ 1 2.5 -3 ]\nu2  [ 4 5 6e-1 ]\n")
    read = read_kaldi_vectors(tmp_path / "x.ark")
    assert read.ids == ["u1", "u2"]
    assert read.matrix.tolist() == [[1, 2.5, -3], [4, 5, np.float32(0.6)]]


def test_scp_reads_records_of_several_arks_in_scp_order(tmp_path: Path) -> None:
    matrix = vectors()
    first = write_ark(tmp_path / "a.ark", IDS[:2], matrix[:2])
    second = write_ark(tmp_path / "b.ark", IDS[2:], matrix[2:])
    lines = [f"{IDS[i]} b.ark:{second[i - 2]}" for i in (4, 2)] + [
        f"{IDS[i]} {tmp_path / 'a.ark'}:{first[i]}" for i in (1, 0)
    ]
    (tmp_path / "x.scp").write_text("\n".join(lines) + "\n")
    read = read_kaldi_vectors(tmp_path / "x.scp")
    assert read.ids == [IDS[4], IDS[2], IDS[1], IDS[0]]
    assert np.array_equal(read.matrix, matrix[[4, 2, 1, 0]])


def test_scp_ark_paths_resolve_against_root_dir(tmp_path: Path) -> None:
    (tmp_path / "exp").mkdir()
    (tmp_path / "lists").mkdir()
    offsets = write_ark(tmp_path / "exp" / "x.ark", IDS, vectors())
    write_scp(tmp_path / "lists" / "x.scp", IDS, Path("exp/x.ark"), offsets)
    dataset = AudioDataset.from_path(tmp_path / "lists" / "x.scp", root_dir=tmp_path)
    table = load_embedding_table(dataset, require_speakers=False, progress=False)
    assert np.array_equal(table.embeddings.numpy(), vectors())


def test_ark_dataset_takes_speakers_from_the_utt2spk_beside_it(tmp_path: Path) -> None:
    dataset = AudioDataset.from_path(ark_with_utt2spk(tmp_path / "emb"))
    assert dataset.ids == IDS  # file order
    assert dataset.get_item("spkB-u3").speaker == "spkB"
    table = load_embedding_table(dataset, progress=False, cache_dir=tmp_path / "cache")
    assert table.speakers == ["spkA", "spkB", "spkC"]
    assert np.array_equal(table.embeddings.numpy()[dataset.position("spkC-u5")], vectors()[4])
    assert not (tmp_path / "cache").exists()
    assert sorted(p.name for p in (tmp_path / "emb").iterdir()) == ["utt2spk", "xvector.ark"]


def test_utt2spk_option_overrides_the_one_beside(tmp_path: Path) -> None:
    ark = ark_with_utt2spk(tmp_path / "emb")
    write_utt2spk(tmp_path / "other", IDS, [f"x{s}" for s in SPEAKERS])
    dataset = AudioDataset.from_path(ark, utt2spk=tmp_path / "other")
    assert dataset.get_item("spkA-u1").speaker == "xspkA"


def test_ark_dataset_csv_refers_to_ark_records_and_reads_back(tmp_path: Path) -> None:
    dataset = AudioDataset.from_path(ark_with_utt2spk(tmp_path / "emb"))
    csv = dataset.to_csv(tmp_path / "out" / "d.csv")
    assert "xvector.ark#" in csv.read_text()
    again = AudioDataset.from_path(csv)
    item = again.get_item("spkB-u4444")
    assert item.speaker == "spkB" and item.embedding is not None
    assert np.array_equal(item.embedding.numpy(), vectors()[3])


def test_truncated_ark_names_the_last_key(tmp_path: Path) -> None:
    ark = ark_with_utt2spk(tmp_path)
    ark.write_bytes(ark.read_bytes()[:-5])
    with pytest.raises(VectorFileError, match=r"spkC-u5.*truncated"):
        read_kaldi_vectors(ark)


def test_ark_of_vectors_of_two_sizes_is_refused(tmp_path: Path) -> None:
    write_ark(tmp_path / "a.ark", IDS[:2], vectors(2, 6))
    write_ark(tmp_path / "b.ark", IDS[2:3], vectors(1, 4))
    (tmp_path / "x.ark").write_bytes(
        (tmp_path / "a.ark").read_bytes() + (tmp_path / "b.ark").read_bytes()
    )
    with pytest.raises(VectorFileError, match=r"spkB-u3.*one type and size"):
        read_kaldi_vectors(tmp_path / "x.ark")


def _missing_ark(inputs: Path) -> Outcome:
    (inputs / "x.scp").write_text("u1 gone.ark:5\n")
    return ["pack", str(inputs / "x.scp"), "packed"], "x.scp: line 1", "not found"


def _bad_offset(inputs: Path) -> Outcome:
    offsets = write_ark(inputs / "x.ark", IDS, vectors())
    write_scp(inputs / "x.scp", IDS, Path("x.ark"), [offsets[0], offsets[1] + 3, *offsets[2:]])
    return ["pack", str(inputs / "x.scp"), "packed"], "x.scp: line 2", "write both again"


def _offset_past_end(inputs: Path) -> Outcome:
    offsets = write_ark(inputs / "x.ark", IDS, vectors())
    write_scp(inputs / "x.scp", IDS, Path("x.ark"), [*offsets[:4], 10**6])
    return ["pack", str(inputs / "x.scp"), "packed"], "x.scp: line 5", "past the end"


def _truncated_ark(inputs: Path) -> Outcome:
    ark = ark_with_utt2spk(inputs)
    ark.write_bytes(ark.read_bytes()[:-30])
    return ["pack", str(ark), "packed"], "xvector.ark", "truncated"


def _utt2spk_missing_lines(inputs: Path) -> Outcome:
    ark = ark_with_utt2spk(inputs)
    write_utt2spk(inputs / "utt2spk", IDS[:2] + IDS[3:], SPEAKERS[:2] + SPEAKERS[3:])
    return ["pack", str(ark), "packed"], "utt2spk: no speaker for 1 vector", "'spkB-u3 SPEAKER'"


def _empty_scp(inputs: Path) -> Outcome:
    (inputs / "x.scp").write_text("")  # was a polars SchemaError traceback
    return ["pack", str(inputs / "x.scp"), "packed"], "x.scp: the scp file lists no", "write it"


def _scp_pointing_at_a_fifo(inputs: Path) -> Outcome:
    os.mkfifo(inputs / "pipe.ark")
    (inputs / "x.scp").write_text("u1 pipe.ark:5\n")
    return ["pack", str(inputs / "x.scp"), "packed"], "pipe.ark is not a regular file", "point"


def _utt2spk_is_a_folder(inputs: Path) -> Outcome:
    ark = ark_with_utt2spk(inputs)
    (inputs / "spk").mkdir()
    args = ["pack", str(ark), "packed", "--utt2spk", str(inputs / "spk")]
    return args, "spk: utt2spk file is not a regular file", "check the --utt2spk path"


def _utt2spk_with_two_speakers_for_one_utterance(inputs: Path) -> Outcome:
    ark = ark_with_utt2spk(inputs)
    with (inputs / "utt2spk").open("a") as handle:
        handle.write("spkA-u1 spkA\nspkA-u1 spkC\n")  # the same line again is fine
    return ["pack", str(ark), "packed"], "'spkA-u1' is listed with 2 speakers", "keep the line"


@pytest.mark.parametrize(
    "case",
    [
        _missing_ark,
        _bad_offset,
        _offset_past_end,
        _truncated_ark,
        _utt2spk_missing_lines,
        _empty_scp,
        _scp_pointing_at_a_fifo,
        _utt2spk_is_a_folder,
        _utt2spk_with_two_speakers_for_one_utterance,
    ],
)
def test_bad_kaldi_input_is_one_line_and_writes_nothing(
    case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    _, work, _ = run_bad_input(case, tmp_path, monkeypatch, capsys)
    assert not (work / "packed").exists()


def test_balr_pack_packs_an_scp_with_its_utt2spk_option(tmp_path: Path) -> None:
    offsets = write_ark(tmp_path / "x.ark", IDS, vectors())
    write_scp(tmp_path / "x.scp", IDS, Path("x.ark"), offsets)
    write_utt2spk(tmp_path / "spk", IDS, SPEAKERS)
    assert (
        main(
            [
                "pack",
                str(tmp_path / "x.scp"),
                str(tmp_path / "p"),
                "--utt2spk",
                str(tmp_path / "spk"),
            ]
        )
        == 0
    )
    packed = AudioDataset.from_path(tmp_path / "p")
    assert packed.get_item("spkC-u5").speaker == "spkC"
    assert np.array_equal(packed.get_item("spkA-u22").embedding.numpy(), vectors()[1])


def test_a_vector_with_nan_is_refused_naming_its_key(tmp_path: Path) -> None:
    matrix = vectors()
    matrix[3, 2] = np.nan
    write_ark(tmp_path / "x.ark", IDS, matrix)
    with pytest.raises(VectorFileError, match="'spkB-u4444' holds NaN"):
        read_kaldi_vectors(tmp_path / "x.ark")


def test_binary_attributes_of_an_ark_dataset_go_to_a_new_pack(tmp_path: Path) -> None:
    dataset = AudioDataset.from_path(ark_with_utt2spk(tmp_path / "emb"))
    bits = [(i, np.arange(4) % 2) for i in IDS]
    with pytest.raises(DatasetError, match="cannot hold binary_attributes: set an output dir"):
        dataset.save_vectors(bits, "binary_attributes")
    dataset.set_output_dir(tmp_path / "ba")
    dataset.save_vectors(bits, "binary_attributes")
    packed = AudioDataset.from_path(tmp_path / "ba")
    assert packed.get_item("spkB-u3").binary_attributes.tolist() == [0, 1, 0, 1]
    assert np.array_equal(packed.get_item("spkB-u3").embedding.numpy(), vectors()[2])
    assert sorted(p.name for p in (tmp_path / "emb").iterdir()) == ["utt2spk", "xvector.ark"]


def test_an_ark_without_utt2spk_says_how_to_give_speakers(tmp_path: Path) -> None:
    write_ark(tmp_path / "x.ark", IDS, vectors())
    dataset = AudioDataset.from_path(tmp_path / "x.ark")
    with pytest.raises(DatasetError, match="has no speaker: give the utt2spk with --utt2spk"):
        load_embedding_table(dataset, progress=False)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"m1 \0BFM \x04\x02\x00\x00\x00\x04\x02\x00\x00\x00" + bytes(16), "'FM ' object, not a"),
        (b"u1  [ 1 2 3 ]\nu2  [ 4 5 ]\n", "key 'u2' does not have 3 values"),
        (b"u1  [ 1 2 x ]\n", "key 'u1' holds something that is not a number"),
        (b"u1  1 2 3\n", "line 1 is not 'key [ v1 v2 ... ]'"),
    ],
)
def test_malformed_ark_names_the_record(tmp_path: Path, content: bytes, fragment: str) -> None:
    (tmp_path / "x.ark").write_bytes(content)
    with pytest.raises(VectorFileError, match=re.escape(fragment)):
        read_kaldi_vectors(tmp_path / "x.ark")


def test_a_key_twice_is_refused(tmp_path: Path) -> None:
    write_ark(tmp_path / "x.ark", ["a", "b", "a"], vectors(3))
    with pytest.raises(VectorFileError, match="key 'a' appears more than once"):
        read_kaldi_vectors(tmp_path / "x.ark")
