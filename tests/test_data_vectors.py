"""Vector files: formats, validation errors and the restricted unpickler."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from balr.data.vectors import load_vector, parse_text, save_vector
from balr.errors import BalrError, VectorFileError
from tests.conftest import VOXCELEB_SAMPLE

SAMPLE_FILE = VOXCELEB_SAMPLE / "embeddings/id00906/00014-s00_emb.txt"


class _RunsCode:
    """Pickles to a call of os.mkdir: loading it with plain pickle creates a folder."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.mkdir, (str(self.marker),))


@pytest.mark.parametrize("fmt", ["txt", "npy", "pkl"])
def test_each_format_round_trips_float32_exactly(tmp_path: Path, fmt: str) -> None:
    vector = np.random.default_rng(0).standard_normal(64).astype(np.float32)
    save_vector(tmp_path / f"v.{fmt}", vector)
    loaded = load_vector(tmp_path / f"v.{fmt}")
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, vector)


def test_text_parser_matches_loadtxt_on_real_file() -> None:
    np.testing.assert_array_equal(
        load_vector(SAMPLE_FILE), np.loadtxt(SAMPLE_FILE, dtype=np.float32)
    )


def test_text_vector_on_one_line_is_read(tmp_path: Path) -> None:
    (tmp_path / "v.txt").write_text("0.5 -1.25 3e-2\n")
    np.testing.assert_array_equal(load_vector(tmp_path / "v.txt"), np.float32([0.5, -1.25, 0.03]))


def test_text_parser_keeps_columns_of_multi_column_files() -> None:
    assert parse_text(b"1 2\n3 4\n5 6\n", Path("x.txt")).shape == (3, 2)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(VectorFileError, match=r"nope\.npy: vector file not found"):
        load_vector(tmp_path / "nope.npy")


@pytest.mark.parametrize("fmt", ["txt", "npy", "pkl"])
def test_empty_file_is_refused(tmp_path: Path, fmt: str) -> None:
    (tmp_path / f"v.{fmt}").write_bytes(b"")
    with pytest.raises(VectorFileError, match="empty"):
        load_vector(tmp_path / f"v.{fmt}")


def test_non_numeric_text_is_refused(tmp_path: Path) -> None:
    (tmp_path / "v.txt").write_text("0.1\nhello\n0.3\n")
    with pytest.raises(VectorFileError, match=r"v\.txt: not a numeric text vector \('hello'"):
        load_vector(tmp_path / "v.txt")


def test_ragged_text_is_refused(tmp_path: Path) -> None:
    (tmp_path / "v.txt").write_text("1 2 3\n4 5\n")
    with pytest.raises(VectorFileError, match="different numbers of columns"):
        load_vector(tmp_path / "v.txt")


def test_object_dtype_npy_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "v.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(VectorFileError, match="object dtype"):
        load_vector(tmp_path / "v.npy")


def test_string_npy_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "v.npy", np.array(["a", "b"]))
    with pytest.raises(VectorFileError, match="not numbers"):
        load_vector(tmp_path / "v.npy")


def test_garbage_npy_is_refused(tmp_path: Path) -> None:
    (tmp_path / "v.npy").write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(VectorFileError, match=r"malformed \.npy"):
        load_vector(tmp_path / "v.npy")


def test_npy_header_declaring_more_data_than_the_file_holds_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "v.npy", np.ones(4, np.float32))
    data = (tmp_path / "v.npy").read_bytes().replace(b"(4,), }" + b" " * 9, b"(9999999999,), }")
    (tmp_path / "v.npy").write_bytes(data)
    with pytest.raises(VectorFileError, match=r"declares shape \(9999999999,\)"):
        load_vector(tmp_path / "v.npy")


def test_bytes_without_a_numpy_header_are_not_called_python_objects(tmp_path: Path) -> None:
    (tmp_path / "v.npy").write_bytes(b"hello")
    with pytest.raises(VectorFileError, match=r"not a \.npy file \(no NumPy header\)"):
        load_vector(tmp_path / "v.npy")


def test_pickle_of_something_else_than_an_array_is_refused(tmp_path: Path) -> None:
    (tmp_path / "v.pkl").write_bytes(pickle.dumps({"embedding": [1.0, 2.0]}))
    with pytest.raises(VectorFileError, match="holds a dict, not a NumPy array"):
        load_vector(tmp_path / "v.pkl")


def test_pickle_that_runs_code_is_refused_without_running_it(tmp_path: Path) -> None:
    payload = pickle.dumps(_RunsCode(tmp_path / "proof"))
    pickle.loads(payload)  # the payload is live: plain pickle runs it
    assert (tmp_path / "proof").is_dir()
    marker = tmp_path / "must-not-exist"
    (tmp_path / "v.pkl").write_bytes(pickle.dumps(_RunsCode(marker)))
    with pytest.raises(
        VectorFileError, match=r"refused to unpickle: the file refers to posix\.mkdir"
    ):
        load_vector(tmp_path / "v.pkl")
    assert not marker.exists()


def test_object_array_pickle_is_refused(tmp_path: Path) -> None:
    (tmp_path / "v.pkl").write_bytes(pickle.dumps(np.array([1, "a"], dtype=object)))
    with pytest.raises(VectorFileError, match="not numbers"):
        load_vector(tmp_path / "v.pkl")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_refused(tmp_path: Path, bad: float) -> None:
    np.save(tmp_path / "v.npy", np.float32([0.1, bad, 0.3]))
    with pytest.raises(VectorFileError, match=r"v\.npy: holds NaN or infinite"):
        load_vector(tmp_path / "v.npy")


def test_non_finite_text_is_refused(tmp_path: Path) -> None:
    (tmp_path / "v.txt").write_text("0.1\nnan\n")
    with pytest.raises(VectorFileError, match="NaN or infinite"):
        load_vector(tmp_path / "v.txt")


def test_matrix_embedding_is_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "v.npy", np.zeros((3, 4), np.float32))
    with pytest.raises(VectorFileError, match=r"shape \(3, 4\), expected one vector"):
        load_vector(tmp_path / "v.npy")


def test_row_matrix_embedding_is_flattened(tmp_path: Path) -> None:
    np.save(tmp_path / "v.npy", np.ones((1, 4), np.float32))
    assert load_vector(tmp_path / "v.npy").shape == (4,)


def test_one_hot_binary_attributes_read_column_zero_as_active(tmp_path: Path) -> None:
    # BA-LR 2.0 layout: [b, 1 - b] per attribute.
    one_hot = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], dtype=np.float32)
    np.save(tmp_path / "ba.npy", one_hot)
    np.testing.assert_array_equal(
        load_vector(tmp_path / "ba.npy", "binary_attributes"), [1, 0, 1, 0]
    )


def test_one_hot_binary_attributes_in_text_are_read(tmp_path: Path) -> None:
    (tmp_path / "ba.txt").write_text("0 1\n1 0\n1 0\n")
    np.testing.assert_array_equal(load_vector(tmp_path / "ba.txt", "binary_attributes"), [0, 1, 1])


def test_two_column_binary_attributes_that_are_not_one_hot_are_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "ba.npy", np.array([[3, 0], [0, 2]]))
    with pytest.raises(VectorFileError, match=r"one-hot rows \[b, 1-b\]"):
        load_vector(tmp_path / "ba.npy", "binary_attributes")


def test_binary_attributes_other_than_zero_one_are_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "ba.npy", np.array([0, 1, 2]))
    with pytest.raises(VectorFileError, match="must be 0 or 1"):
        load_vector(tmp_path / "ba.npy", "binary_attributes")


def test_binary_attributes_are_saved_as_compact_integer_text(tmp_path: Path) -> None:
    save_vector(tmp_path / "ba.txt", np.array([1, 0, 0, 1], dtype=np.uint8))
    assert (tmp_path / "ba.txt").read_text() == "1\n0\n0\n1\n"
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "ba.txt"), [1, 0, 0, 1])


def test_unsupported_suffix_is_refused(tmp_path: Path) -> None:
    (tmp_path / "v.csv").write_text("1,2")
    with pytest.raises(VectorFileError, match="unsupported vector file type"):
        load_vector(tmp_path / "v.csv")


def test_vector_errors_are_balr_errors() -> None:
    assert issubclass(VectorFileError, BalrError)
