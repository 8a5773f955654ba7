"""Malformed and hostile input through the real CLI.

Each case must fail with exit status 2 and one `balr: error:` line naming the file, row or
key and saying how to fix it, without a traceback, without leaving a directory in runs/, and
without touching the inputs. Log records written before the failure (`[INFO] read 9
embedding files ...`) may precede that line on stderr; nothing else may.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from balr.cli.main import main
from balr.models import AutoEncoder
from tests.hostile import Case, Outcome, digest, run_bad_input

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


def trained_run(tmp: Path) -> Path:
    """A finished one-epoch run of 16-dim data and 16 attributes in tmp/run."""
    run = tmp / "run"
    args = train_args(tmp, write_dataset(tmp / "d"), "trainer.internal_dim=16")
    assert main([*args, "--save-dir", str(run)]) == 0
    return run


def random_bytes(path: Path) -> Path:
    path.write_bytes(np.random.default_rng(0).bytes(4096))
    return path


def missing_path(tmp: Path) -> Outcome:
    return train_args(tmp, tmp / "nope.csv"), "nope.csv", "check the path"


def empty_csv(tmp: Path) -> Outcome:
    (tmp / "empty.csv").write_text("")
    return train_args(tmp, tmp / "empty.csv"), "empty.csv", "write a header"


def header_only(tmp: Path) -> Outcome:
    (tmp / "header.csv").write_text("id,embedding,speaker\n")
    return train_args(tmp, tmp / "header.csv"), "header.csv", "add one row per item"


def no_vector_columns(tmp: Path) -> Outcome:
    (tmp / "cols.csv").write_text("name,vector,who\na,b,c\n")
    return train_args(tmp, tmp / "cols.csv"), "cols.csv", "needs at least one of the columns"


def duplicate_ids(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "dup")
    lines = csv.read_text().splitlines()
    csv.write_text("\n".join([*lines, lines[1]]) + "\n")
    return train_args(tmp, csv), "'s0/u0' appears more than once (lines 2 and 11)", "unique"


def missing_vector_file(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "gone")
    (tmp / "gone" / "s1u2.npy").unlink()
    return train_args(tmp, csv), "s1u2.npy", "fix the path or create the file"


def empty_vector_file(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "hollow", suffix=".txt")
    (tmp / "hollow" / "s0u1.txt").write_text("")
    return train_args(tmp, csv), "s0u1.txt", "write the vector again"


def non_numeric_text(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "words", suffix=".txt")
    (tmp / "words" / "s2u0.txt").write_text("0.1\nhello\n0.3\n")
    return train_args(tmp, csv), "s2u0.txt", "write one number per line"


def mixed_dimensions(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "mixed")
    np.save(tmp / "mixed" / "s1u1.npy", np.ones(DIM + 4, dtype=np.float32))
    return train_args(tmp, csv), "s1u1.npy", "must have the same dimension"


def nan_values(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "nan")
    np.save(tmp / "nan" / "s0u2.npy", np.full(DIM, np.nan, dtype=np.float32))
    return train_args(tmp, csv), "s0u2.npy", "recompute"


def inf_values(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "inf")
    vector = np.zeros(DIM, dtype=np.float32)
    vector[3] = np.inf
    np.save(tmp / "inf" / "s2u2.npy", vector)
    return train_args(tmp, csv), "s2u2.npy", "recompute"


def pickle_of_a_dict(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "pkl", suffix=".npy")
    (tmp / "pkl" / "s0u0.pkl").write_bytes(pickle.dumps({"not": "an array"}))
    csv.write_text(csv.read_text().replace("s0u0.npy", "s0u0.pkl"))
    return train_args(tmp, csv), "s0u0.pkl", "pickle a NumPy array"


def pickle_that_runs_code(tmp: Path) -> Outcome:
    # The marker lies outside `inputs`; the test asserts it never appears.
    csv = write_dataset(tmp / "evil", suffix=".npy")
    (tmp / "evil" / "s1u0.pkl").write_bytes(pickle.dumps(Evil(tmp.parent / "PWNED")))
    csv.write_text(csv.read_text().replace("s1u0.npy", "s1u0.pkl"))
    return train_args(tmp, csv), "s1u0.pkl", "re-save the vector with numpy"


def object_npy(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "obj")
    np.save(tmp / "obj" / "s0u1.npy", np.array([{"a": 1}, None], dtype=object))
    return train_args(tmp, csv), "s0u1.npy", "save a numeric array"


def truncated_npy(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "cut")
    whole = (tmp / "cut" / "s1u2.npy").read_bytes()
    (tmp / "cut" / "s1u2.npy").write_bytes(whole[:70])
    return train_args(tmp, csv), "s1u2.npy", "save it again"


def random_bytes_pkl(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "noise", suffix=".npy")
    random_bytes(tmp / "noise" / "s2u1.pkl")
    csv.write_text(csv.read_text().replace("s2u1.npy", "s2u1.pkl"))
    return train_args(tmp, csv), "s2u1.pkl", "pickle a NumPy array"


def ragged_csv(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "ragged")
    csv.write_text(csv.read_text() + "s9/u0,s0u0.npy,s9,extra\n")
    return train_args(tmp, csv), "data.csv", "as many fields in every row"


def binary_csv(tmp: Path) -> Outcome:
    random_bytes(tmp / "bytes.csv")
    return train_args(tmp, tmp / "bytes.csv"), "bytes.csv", "save it as UTF-8"


def no_speaker_column(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "anon", header="id,embedding")
    return train_args(tmp, csv), "'s0/u0' has no speaker", "fill its 'speaker' column"


def too_few_speakers(tmp: Path) -> Outcome:
    csv = write_dataset(tmp / "few", speakers=2)
    extra = ["data.N_classes_per_batch=4", "data.batch_size=8"]
    return train_args(tmp, csv, *extra), "data.N_classes_per_batch=4", "lower"


def batch_not_n_times_m(tmp: Path) -> Outcome:
    args = train_args(tmp, write_dataset(tmp / "d"), "data.batch_size=5")
    return args, "data.batch_size=5", "set data.batch_size=4"


def input_dim_mismatch(tmp: Path) -> Outcome:
    args = train_args(tmp, write_dataset(tmp / "d"), "trainer.input_dim=32")
    return args, "trainer.input_dim=32", f"set trainer.input_dim={DIM}"


def val_without_embeddings(tmp: Path) -> Outcome:
    (tmp / "val.csv").write_text("id,audio,speaker\na,a.wav,s0\nb,b.wav,s1\n")
    args = train_args(tmp, write_dataset(tmp / "d"), val=tmp / "val.csv")
    return args, "val.csv: item 'a' has audio but no embedding", "first with `balr extract"


def config_case(override: str, key: str, fix: str, *more: str) -> Case:
    def case(tmp: Path) -> Outcome:
        return train_args(tmp, write_dataset(tmp / "d"), override, *more), key, fix

    case.__name__ = " ".join([override, *more])
    return case


def not_a_checkpoint_for_binarize(tmp: Path) -> Outcome:
    junk = random_bytes(tmp / "junk.pt")
    args = ["binarize", str(write_dataset(tmp / "d")), f"encoder.model.checkpoint_path={junk}"]
    return args, "junk.pt", "give a balr checkpoint"


def checkpoint_that_runs_code_for_binarize(tmp: Path) -> Outcome:
    (tmp / "evil.pt").write_bytes(pickle.dumps(Evil(tmp.parent / "PWNED")))
    args = [
        "binarize",
        str(write_dataset(tmp / "d")),
        f"encoder.model.checkpoint_path={tmp / 'evil.pt'}",
    ]
    return args, "evil.pt", "give a balr checkpoint"


def state_dict_of_wrong_dims_for_binarize(tmp: Path) -> Outcome:
    torch.save(AutoEncoder(DIM * 2, 8).state_dict(), tmp / "wide.pt")
    csv = write_dataset(tmp / "d")
    args = ["binarize", str(csv), f"encoder.model.checkpoint_path={tmp / 'wide.pt'}"]
    return args, "wide.pt", "binarise embeddings of the encoder"


def run_of_wrong_dims_for_binarize(tmp: Path) -> Outcome:
    best = trained_run(tmp) / "best.pt"
    wide = write_dataset(tmp / "wide", dim=DIM * 2)
    args = ["binarize", str(wide), f"encoder.model.checkpoint_path={best}"]
    return args, "best.pt", "binarise embeddings of the encoder"


def not_a_checkpoint_for_resume(tmp: Path) -> Outcome:
    run = trained_run(tmp)
    random_bytes(run / "last.pt")
    return ["train", "--resume", str(run)], "last.pt", "resume from another checkpoint"


def resume_with_other_internal_dim(tmp: Path) -> Outcome:
    args = ["train", "--resume", str(trained_run(tmp)), "trainer.internal_dim=8"]
    return args, "last.pt holds a model with input_dim=16, internal_dim=16", "run's own"


def resume_with_other_input_dim(tmp: Path) -> Outcome:
    args = ["train", "--resume", str(trained_run(tmp)), "trainer.input_dim=32"]
    return args, "trainer.input_dim=32", "resume with the run's own trainer.input_dim"


def resume_with_data_of_other_dim(tmp: Path) -> Outcome:
    run = trained_run(tmp)
    train = write_dataset(tmp / "wide", dim=DIM * 2)
    val = write_dataset(tmp / "wide_val", speakers=3, per_speaker=2, dim=DIM * 2)
    args = ["train", "--resume", str(run), str(train), str(val), f"trainer.input_dim={DIM * 2}"]
    return args, "last.pt holds a model with input_dim=16", "data of its dimension"


def save_dir_is_a_file(tmp: Path) -> Outcome:
    (tmp / "taken").write_text("a file")
    args = train_args(tmp, write_dataset(tmp / "d"))
    return [*args, "--save-dir", str(tmp / "taken")], "taken is a file", "give a directory"


def unwritable_save_dir(tmp: Path) -> Outcome:
    # Tests run as root, for whom permission bits do not block writes (chmod would not
    # help): a folder below a regular file can never be created, whoever runs.
    (tmp / "blocker").write_text("a file")
    args = train_args(tmp, write_dataset(tmp / "d"))
    save_dir = tmp / "blocker" / "run"
    return [*args, "--save-dir", str(save_dir)], "blocker is a file", "directory you can write"


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
    truncated_npy,
    random_bytes_pkl,
    ragged_csv,
    binary_csv,
    no_speaker_column,
    too_few_speakers,
    batch_not_n_times_m,
    input_dim_mismatch,
    val_without_embeddings,
    config_case("trainer.losses=[mse,foo]", "unknown loss 'foo'", "choose from mse"),
    config_case("data.sampler=foo", "data.sampler='foo'", "use one of random, exhaustive"),
    config_case("trainer.epochs=-1", "trainer.epochs=-1", "must be >= 0"),
    config_case("trainer.learning_rate=0", "trainer.learning_rate=0", "must be > 0"),
    config_case("trainer.learning_rate=-1", "trainer.learning_rate=-1", "must be > 0"),
    config_case("data.M_samples_per_class=0", "data.M_samples_per_class=0", "must be >= 1"),
    config_case("trainer.foo=1", "'trainer.foo'", "check its spelling"),
    config_case("trainer.epochs=abc", "trainer.epochs=abc", "give a value of the key's type"),
    config_case(
        "trainer.losses=[arcface]",
        "trainer.monitor=val_loss",
        "add one",
        "trainer.monitor=val_loss",
    ),
    not_a_checkpoint_for_binarize,
    checkpoint_that_runs_code_for_binarize,
    state_dict_of_wrong_dims_for_binarize,
    run_of_wrong_dims_for_binarize,
    not_a_checkpoint_for_resume,
    resume_with_other_internal_dim,
    resume_with_other_input_dim,
    resume_with_data_of_other_dim,
    save_dir_is_a_file,
    unwritable_save_dir,
]


def allowed_to_change(name: str) -> bool:
    """Only a resumed run's log may change: it notes the failure."""
    return name == "run/train.log"


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.__name__)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    inputs, work, before = run_bad_input(case, tmp_path, monkeypatch, capsys)
    assert not (work / "runs").exists() or not any((work / "runs").iterdir())
    after = digest(inputs)
    changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
    assert not {name for name in changed if not allowed_to_change(name)}
    assert not (tmp_path / "PWNED").exists()


def test_speaker_with_fewer_than_m_samples_repeats_them_logged_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    train = write_dataset(tmp_path / "d", speakers=3, per_speaker=3)
    lines = train.read_text().splitlines()
    train.write_text("\n".join(lines[:-2]) + "\n")  # speaker s2 keeps 1 sample, M is 2
    assert main(train_args(tmp_path, train, "trainer.epochs=3", "--save-dir", "run")) == 0
    assert (tmp_path / "run" / "summary.json").is_file()
    log = (tmp_path / "run" / "train.log").read_text().splitlines()
    notes = [line for line in log if "fewer than M_samples_per_class=2" in line]
    assert len(notes) == 1 and "[INFO]" in notes[0] and "(s2)" in notes[0]


def test_arcface_alone_trains_and_validates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ArcFace is skipped on val speakers: validation with no other loss used to crash.
    monkeypatch.chdir(tmp_path)
    train = write_dataset(tmp_path / "d")
    assert main(train_args(tmp_path, train, "trainer.losses=[arcface]", "--save-dir", "run")) == 0
    assert (tmp_path / "run" / "summary.json").is_file()
