"""Recording ids may not hold a trial list's separators (comma, TAB, line break)."""

from __future__ import annotations

import pytest

from balr.data.ids import check_ids
from balr.errors import DatasetError


def test_safe_ids_pass() -> None:
    check_ids(["spk1/a", "spk2/b c", "é/ü"], "data", "rename them")
    check_ids(iter([]), "data", "rename them")


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        ("s/a,b", "a comma"),
        ("s/a\tb", "a TAB"),
        ("s/a\nb", "a line break"),
        ("a\rb", "a line break"),
    ],
)
def test_the_first_unsafe_id_is_named_with_its_separator(bad: str, words: str) -> None:
    with pytest.raises(DatasetError) as caught:
        check_ids(["ok", bad, "ok2"], "data.csv", "rename them")
    assert str(caught.value).startswith(f"data.csv: id {bad!r} holds {words};")
    assert str(caught.value).endswith(": rename them") and "ids in all" not in str(caught.value)


def test_several_unsafe_ids_are_counted_and_the_first_named() -> None:
    ids = (f"s/{i}{',' if i % 3 == 1 else ''}" for i in range(10))
    with pytest.raises(DatasetError, match=r"id 's/1,' holds a comma \(3 ids in all\)"):
        check_ids(ids, "data", "rename them")


def test_an_id_that_is_not_utf8_is_named_by_its_bytes() -> None:
    # os.fsdecode turns the file name bytes b"a\xff" into "a\udcff".
    with pytest.raises(DatasetError, match=r"^rec: id b'a\\xff' is not valid UTF-8 .*: rename"):
        check_ids(["ok", "a\udcff"], "rec", "rename")
