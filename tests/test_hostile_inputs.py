"""Malformed and hostile input through the real CLI.

Each case must fail with exit status 2 and one `balr: error:` line naming the file, row or
key, without a traceback, without leaving a directory in runs/, and without touching inputs.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from balr.cli.main import main
from balr.models import AutoEncoder

DIM = 16
TINY = [
    f"trainer.input_dim={DIM}",
    "trainer.internal_dim=8",
    "trainer.epochs=1",
    "data.N_classes_per_batch=2",
    "data.M_samples_per_class=2",
    "data.batch_size=4",
]


def write_dataset(
    folder: Path,
    speakers: int = 3,
    per_speaker: int = 3,
    *,
    header: str = "id,embedding,speaker",
    suffix: str = ".npy",
    dim: int = DIM,
) -> Path:
    """A small valid dataset: one vector file per item plus data.csv; returns the CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(len(folder.name))
    lines = [header]
    for s in range(speakers):
        for u in range(per_speaker):
            name = f"s{s}u{u}{suffix}"
            vector = rng.normal(size=dim).astype(np.float32)
            if suffix == ".npy":
                np.save(folder / name, vector)
            else:
                np.savetxt(folder / name, vector)
            lines.append(
                ",".join(
                    {"id": f"s{s}/u{u}", "embedding": name, "speaker": f"s{s}"}[c]
                    for c in header.split(",")
                )
            )
    csv = folder / "data.csv"
    csv.write_text("\n".join(lines) + "\n")
    return csv


class Evil:
    """Unpickling this would create the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., object], tuple[str, str]]:
        return (Path.write_text, (str(self.marker), "pwned"))  # type: ignore[return-value]


def train_args(tmp: Path, train: Path, *extra: str, val: Path | None = None) -> list[str]:
    val = val or write_dataset(tmp / "good_val", speakers=3, per_speaker=2)
    return ["train", str(train), str(val), *TINY, *extra]


# Each case builds its input under `tmp` (all of it hashed) and returns the CLI arguments and
# a fragment the error line must contain.
Case = Callable[[Path], tuple[list[str], str]]


def missing_path(tmp: Path) -> tuple[list[str], str]:
    return train_args(tmp, tmp / "nope.csv"), "nope.csv"


def empty_csv(tmp: Path) -> tuple[list[str], str]:
    (tmp / "empty.csv").write_text("")
    return train_args(tmp, tmp / "empty.csv"), "empty.csv"


def header_only(tmp: Path) -> tuple[list[str], str]:
    (tmp / "header.csv").write_text("id,embedding,speaker\n")
    return train_args(tmp, tmp / "header.csv"), "header.csv"


def no_vector_columns(tmp: Path) -> tuple[list[str], str]:
    (tmp / "cols.csv").write_text("name,vector,who\na,b,c\n")
    return train_args(tmp, tmp / "cols.csv"), "cols.csv"


def duplicate_ids(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "dup")
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([*lines, lines[1]]) + "\n")
    return train_args(tmp, csv), "s0/u0"


def missing_vector_file(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "gone")
    (tmp / "gone" / "s1u2.npy").unlink()
    return train_args(tmp, csv), "s1u2.npy"


def empty_vector_file(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "hollow", suffix=".txt")
    (tmp / "hollow" / "s0u1.txt").write_text("")
    return train_args(tmp, csv), "s0u1.txt"


def non_numeric_text(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "words", suffix=".txt")
    (tmp / "words" / "s2u0.txt").write_text("0.1\nhello\n0.3\n")
    return train_args(tmp, csv), "s2u0.txt"


def mixed_dimensions(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "mixed")
    np.save(tmp / "mixed" / "s1u1.npy", np.ones(DIM + 4, dtype=np.float32))
    return train_args(tmp, csv), "dimension"


def nan_values(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "nan")
    np.save(tmp / "nan" / "s0u2.npy", np.full(DIM, np.nan, dtype=np.float32))
    return train_args(tmp, csv), "s0u2.npy"


def inf_values(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "inf")
    vector = np.zeros(DIM, dtype=np.float32)
    vector[3] = np.inf
    np.save(tmp / "inf" / "s2u2.npy", vector)
    return train_args(tmp, csv), "s2u2.npy"


def pickle_of_a_dict(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "pkl", suffix=".npy")
    (tmp / "pkl" / "s0u0.pkl").write_bytes(pickle.dumps({"not": "an array"}))
    csv.write_text(csv.read_text().replace("s0u0.npy", "s0u0.pkl"))
    return train_args(tmp, csv), "s0u0.pkl"


def pickle_that_runs_code(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "evil", suffix=".npy")
    (tmp / "evil" / "s1u0.pkl").write_bytes(pickle.dumps(Evil(tmp.parent / "PWNED")))
    csv.write_text(csv.read_text().replace("s1u0.npy", "s1u0.pkl"))
    return train_args(tmp, csv), "s1u0.pkl"


def object_npy(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "obj")
    np.save(tmp / "obj" / "s0u1.npy", np.array([{"a": 1}, None], dtype=object))
    return train_args(tmp, csv), "s0u1.npy"


def no_speaker_column(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "anon", header="id,embedding")
    return train_args(tmp, csv), "speaker"


def too_few_speakers(tmp: Path) -> tuple[list[str], str]:
    csv = write_dataset(tmp / "few", speakers=2)
    extra = ["data.N_classes_per_batch=4", "data.batch_size=8"]
    return train_args(tmp, csv, *extra), "N_classes_per_batch"


def batch_not_n_times_m(tmp: Path) -> tuple[list[str], str]:
    return train_args(tmp, write_dataset(tmp / "d"), "data.batch_size=5"), "data.batch_size"


def input_dim_mismatch(tmp: Path) -> tuple[list[str], str]:
    return train_args(tmp, write_dataset(tmp / "d"), "trainer.input_dim=32"), "input_dim"


def val_without_embeddings(tmp: Path) -> tuple[list[str], str]:
    (tmp / "val.csv").write_text("id,audio,speaker\na,a.wav,s0\nb,b.wav,s1\n")
    return train_args(tmp, write_dataset(tmp / "d"), val=tmp / "val.csv"), "embedding"


def config_case(override: str, key: str) -> Case:
    def case(tmp: Path) -> tuple[list[str], str]:
        return train_args(tmp, write_dataset(tmp / "d"), override), key

    case.__name__ = override
    return case


def not_a_checkpoint_for_binarize(tmp: Path) -> tuple[list[str], str]:
    (tmp / "junk.pt").write_bytes(b"\x00\x01 not a checkpoint" * 10)
    csv = write_dataset(tmp / "d")
    return ["binarize", str(csv), f"encoder.model.checkpoint_path={tmp / 'junk.pt'}"], "junk.pt"


def wrong_dims_for_binarize(tmp: Path) -> tuple[list[str], str]:
    torch.save(AutoEncoder(DIM * 2, 8).state_dict(), tmp / "wide.pt")
    csv = write_dataset(tmp / "d")
    return ["binarize", str(csv), f"encoder.model.checkpoint_path={tmp / 'wide.pt'}"], "wide.pt"


def not_a_checkpoint_for_resume(tmp: Path) -> tuple[list[str], str]:
    run = tmp / "run"
    assert main(train_args(tmp, write_dataset(tmp / "d"), "--save-dir", str(run))) == 0
    (run / "last.pt").write_bytes(b"garbage" * 20)
    return ["train", "--resume", str(run)], "last.pt"


def wrong_dims_for_resume(tmp: Path) -> tuple[list[str], str]:
    run = tmp / "run"
    assert main(train_args(tmp, write_dataset(tmp / "d"), "--save-dir", str(run))) == 0
    return ["train", "--resume", str(run), "trainer.internal_dim=16"], "last.pt"


def save_dir_is_a_file(tmp: Path) -> tuple[list[str], str]:
    (tmp / "taken").write_text("a file")
    args = train_args(tmp, write_dataset(tmp / "d"))
    return [*args, "--save-dir", str(tmp / "taken")], "taken"


def unwritable_save_dir(tmp: Path) -> tuple[list[str], str]:
    # Tests run as root, for whom permission bits do not block writes: a folder below a
    # regular file can never be created, whoever runs.
    (tmp / "blocker").write_text("a file")
    args = train_args(tmp, write_dataset(tmp / "d"))
    return [*args, "--save-dir", str(tmp / "blocker" / "run")], "blocker"


CASES: list[Case] = [
    missing_path,
    empty_csv,
    header_only,
    no_vector_columns,
    duplicate_ids,
    missing_vector_file,
    empty_vector_file,
    non_numeric_text,
    mixed_dimensions,
    nan_values,
    inf_values,
    pickle_of_a_dict,
    pickle_that_runs_code,
    object_npy,
    no_speaker_column,
    too_few_speakers,
    batch_not_n_times_m,
    input_dim_mismatch,
    val_without_embeddings,
    config_case("trainer.losses=[mse,foo]", "foo"),
    config_case("data.sampler=foo", "data.sampler"),
    config_case("trainer.epochs=-1", "trainer.epochs"),
    config_case("trainer.learning_rate=0", "trainer.learning_rate"),
    config_case("trainer.learning_rate=-1", "trainer.learning_rate"),
    config_case("data.M_samples_per_class=0", "data.M_samples_per_class"),
    config_case("trainer.foo=1", "trainer.foo"),
    not_a_checkpoint_for_binarize,
    wrong_dims_for_binarize,
    not_a_checkpoint_for_resume,
    wrong_dims_for_resume,
    save_dir_is_a_file,
    unwritable_save_dir,
]


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    case: Case, tmp_path: Path, monkeypatch, capsys
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    args, fragment = case(inputs)
    before = digest(inputs)
    capsys.readouterr()
    status = main(args)
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("balr: error:")]
    assert status == 2, err[-2000:]
    assert len(errors) == 1, err[-2000:]
    assert fragment in errors[0], errors[0]
    assert "Traceback" not in err
    assert not (work / "runs").exists() or not any((work / "runs").iterdir())
    # The table cache may add files under .balr-cache/ and a resumed run's log notes the
    # failure; every other file stays as it was.
    after = digest(inputs)
    kept = [name for name in before if not name.endswith("train.log")]
    assert {name: after.get(name) for name in kept} == {name: before[name] for name in kept}
    assert not (tmp_path / "PWNED").exists()


def test_speaker_with_fewer_than_m_samples_repeats_them_logged_once(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    train = write_dataset(tmp_path / "d", speakers=3, per_speaker=3)
    lines = train.read_text().splitlines()
    train.write_text("\n".join(lines[:-2]) + "\n")  # speaker s2 keeps 1 sample, M is 2
    assert main(train_args(tmp_path, train, "trainer.epochs=3", "--save-dir", "run")) == 0
    log = (tmp_path / "run" / "train.log").read_text().splitlines()
    notes = [line for line in log if "fewer than M_samples_per_class=2" in line]
    assert len(notes) == 1 and "[INFO]" in notes[0] and "(s2)" in notes[0]
