"""Checking recording ids for trial-list separators: one vectorised scan against a loop.

`balr.data.ids.check_ids` runs on every id `balr extract` makes and `balr score trials`
writes. It scans all ids with one polars `str.contains`; the reference here is the
per-id Python loop it replaced (`unsafe_char` on each id). Both must agree on a list with
one unsafe id near the end; the ratio of their times on clean ids is printed.

Best of `--repeats`; nothing asserts on time.

Usage::

    python benchmarks/check_ids_speed.py [--quick] [--n N] [--repeats R]
"""

from __future__ import annotations

from typing import Any

import _common


def options() -> Any:
    parser = _common.common_parser(__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="ids to check")
    return _common.parse(parser)


def loop_check(ids: list[str]) -> str | None:
    """The per-id loop: the first id holding a separator, else None."""
    from balr.data.ids import unsafe_char

    return next((item for item in ids if unsafe_char(item) is not None), None)


def vector_check(ids: list[str]) -> str | None:
    """`check_ids`: the first id holding a separator (from its message), else None."""
    from balr.data.ids import check_ids
    from balr.errors import DatasetError

    try:
        check_ids(ids, "bench", "none")
    except DatasetError as error:
        return str(error).split("id ", 1)[1].split(" holds", 1)[0].strip("'")
    return None


def main() -> None:
    args = options()
    n = 100_000 if args.quick else args.n
    repeats = args.repeats or 3
    ids = [f"speaker{i % 1000:04d}/chapter{i // 1000:04d}-{i:07d}" for i in range(n)]
    dirty = [*ids[:-10], "speaker0001/a,b", *ids[-9:]]
    assert loop_check(dirty) == vector_check(dirty) == "speaker0001/a,b"
    loop_time, _ = _common.best_time(lambda: loop_check(ids), repeats)
    vector_time, _ = _common.best_time(lambda: vector_check(ids), repeats)
    for line in _common.machine_lines():
        print(line)
    print(
        f"check_ids on {n:,} clean ids: per-id loop {loop_time:.3f} s | polars scan"
        f" {vector_time:.3f} s | speed-up {loop_time / vector_time:.1f}x"
    )


if __name__ == "__main__":
    main()
