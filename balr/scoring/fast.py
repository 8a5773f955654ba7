"""Fast scoring of one recording against one recording.

With one recording per side, a scorer's LLR is a sum over attributes of a 2x2 table
L_i[e_i, t_i], which expands to

    LLR(e, t) = c + u.e + v.t + w.(e * t)
    c = sum_i L_i[0, 0], u = L[1, 0] - L[0, 0], v = L[0, 1] - L[0, 0],
    w = L[1, 1] - L[1, 0] - L[0, 1] + L[0, 0].

Trial lists: the 0/1 vectors are packed 8 attributes to a byte, and each byte indexes a
256-entry table of partial sums, so a term costs k/8 table look-ups instead of k
multiplications. Over one matrix of recordings (`score_rows`), each recording's u.e
and v.t are computed once, and a comparison only looks up the bytes its two rows share
(w). Chunks run on a few threads (NumPy releases the GIL in take and sum). All pairs:
one float64 matrix product per block of enrollment rows, with the two vectors as extra
columns. Memory stays bounded by the chunk sizes below (plus the output matrix).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

# Comparisons per chunk of a trial list (scratch: ~1.5 MiB per thread at 512 attributes).
PAIR_CHUNK = 2048
# Threads of the trial-list paths (measured: 2 threads give 1.2-1.8x on 2 cores).
THREADS = min(
    4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
)
# Enrollment rows per block of an all-pairs matrix (a float64 block of 2048 x T scores).
MATRIX_ROWS = 2048
# Test columns converted to float64 at once (bounds that copy at 64 MiB).
MATRIX_ELEMENTS = 1 << 23

_BIT_WEIGHTS = 1 << np.arange(7, -1, -1)  # np.packbits: first attribute in the top bit


@dataclass(frozen=True)
class LinearForm:
    """c + u.e + v.t + w.(e * t), with byte look-up tables for packed vectors."""

    c: float
    u: np.ndarray
    v: np.ndarray
    w: np.ndarray

    @classmethod
    def from_table(cls, table: np.ndarray) -> LinearForm:
        """The form of a float64 [k, 2, 2] table L[i, e, t]."""
        table = np.asarray(table, dtype=np.float64)
        base = table[:, 0, 0]
        u = table[:, 1, 0] - base
        v = table[:, 0, 1] - base
        w = table[:, 1, 1] - table[:, 1, 0] - table[:, 0, 1] + base
        return cls(float(base.sum()), u, v, w)

    @property
    def n_attributes(self) -> int:
        """k."""
        return int(self.u.shape[0])

    @property
    def symmetric(self) -> bool:
        """u = v (but for rounding): swapping enrollment and test changes nothing."""
        return bool(np.allclose(self.u, self.v, rtol=1e-13, atol=1e-13))

    def lookup(self, name: str) -> np.ndarray:
        """float64 [ceil(k/8) * 256]: partial sums of coefficients `name` per packed byte.

        Names: "u", "v", "w", and for symmetric forms "mismatch" = (u + v) / 2 (bits set
        on one side) and "shared" = u + v + w (bits set on both sides).
        """
        cached = self.__dict__.get(f"_lut_{name}")
        if cached is None:
            derived = {"mismatch": (self.u + self.v) / 2, "shared": self.u + self.v + self.w}
            cached = byte_table(derived[name] if name in derived else getattr(self, name))
            object.__setattr__(self, f"_lut_{name}", cached)
        return cached


def byte_table(coefficients: np.ndarray) -> np.ndarray:
    """Flat [groups * 256] table: entry 256 g + b sums the coefficients of the set bits of b.

    Group g covers attributes 8g .. 8g + 7 (the last group padded with zeros).
    """
    groups = -(-len(coefficients) // 8)
    padded = np.zeros(groups * 8)
    padded[: len(coefficients)] = coefficients
    bits = (np.arange(256)[:, None] & _BIT_WEIGHTS[None, :]) > 0  # [256, 8]
    return (padded.reshape(groups, 8) @ bits.T.astype(np.float64)).reshape(-1)


def _keys_dtype(groups: int) -> type[np.unsignedinteger]:
    return np.uint16 if groups * 256 <= 1 << 16 else np.uint32


def pack_keys(bits: np.ndarray) -> np.ndarray:
    """[N, ceil(k/8)] look-up keys: byte g of a row packed, plus 256 g (its table offset).

    Two rows' keys AND to the keys of their shared bits (the offsets are equal), so a
    comparison's interaction term is one look-up per byte, with no index arithmetic.
    """
    groups = -(-bits.shape[1] // 8)
    dtype = _keys_dtype(groups)
    offsets = (np.arange(groups) * 256).astype(dtype)
    keys = np.empty((len(bits), groups), dtype)
    for start in range(0, len(bits), PAIR_CHUNK):
        rows = slice(start, start + PAIR_CHUNK)
        np.bitwise_or(
            np.packbits(np.asarray(bits[rows], np.uint8), axis=1), offsets, out=keys[rows]
        )
    return keys


class _Buffers:
    """Per-thread scratch arrays of one chunk (reused: no allocation per chunk)."""

    def __init__(self, groups: int) -> None:
        dtype = _keys_dtype(groups)
        self.first = np.empty((PAIR_CHUNK, groups), dtype)
        self.second = np.empty((PAIR_CHUNK, groups), dtype)
        self.third = np.empty((PAIR_CHUNK, groups), dtype)
        self.index = np.empty((PAIR_CHUNK, groups), np.intp)
        self.values = np.empty((PAIR_CHUNK, groups))

    def lookup_sum(self, table: np.ndarray, keys: np.ndarray, out: np.ndarray) -> None:
        """out[r] = sum over groups of table[keys[r, g]]."""
        n = len(keys)
        index, values = self.index[:n], self.values[:n]
        index[...] = keys
        table.take(index, out=values, mode="clip")  # keys are valid by construction
        np.sum(values, axis=1, out=out)


def _run_chunks(total: int, groups: int, work: Callable[[slice, _Buffers], None]) -> None:
    """Call `work(rows, buffers)` on every chunk of `total` items, on THREADS threads.

    NumPy releases the GIL inside take/sum, so threads scale on the look-ups.
    """
    chunks = [slice(s, min(s + PAIR_CHUNK, total)) for s in range(0, total, PAIR_CHUNK)]
    if THREADS <= 1 or len(chunks) < 2 * THREADS:
        buffers = _Buffers(groups)
        for rows in chunks:
            work(rows, buffers)
        return
    local = threading.local()

    def run(rows: slice) -> None:
        if not hasattr(local, "buffers"):
            local.buffers = _Buffers(groups)
        work(rows, local.buffers)

    with ThreadPoolExecutor(THREADS, thread_name_prefix="balr-score") as pool:
        for _ in pool.map(run, chunks):
            pass


def _project(table: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """float64 [N]: the look-up sums of every row of `keys` in `table`."""
    out = np.empty(len(keys))

    def work(rows: slice, buffers: _Buffers) -> None:
        buffers.lookup_sum(table, keys[rows], out[rows])

    _run_chunks(len(keys), keys.shape[1], work)
    return out


def score_pairs(form: LinearForm, enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
    """LLR of row i of `enroll` against row i of `test` (0/1 [P, k] each), float64 [P].

    Symmetric forms take two look-ups per byte: c + mismatch.(e xor t) + shared.(e and t)
    (as u.e + v.t = u.(e xor t) + 2u.(e and t) when u = v); others take three.
    """
    if enroll.shape != test.shape:
        raise ValueError(f"enroll {enroll.shape} and test {test.shape} differ in shape")
    groups = -(-enroll.shape[1] // 8)
    offsets = (np.arange(groups) * 256).astype(_keys_dtype(groups))
    symmetric = form.symmetric
    names = ("mismatch", "shared") if symmetric else ("u", "v", "w")
    tables = [form.lookup(name) for name in names]
    out = np.empty(len(enroll))

    def work(rows: slice, buffers: _Buffers) -> None:
        n = rows.stop - rows.start
        e, t, both = buffers.first[:n], buffers.second[:n], buffers.third[:n]
        np.bitwise_or(np.packbits(np.asarray(enroll[rows], np.uint8), axis=1), offsets, out=e)
        np.bitwise_or(np.packbits(np.asarray(test[rows], np.uint8), axis=1), offsets, out=t)
        np.bitwise_and(e, t, out=both)  # the offsets survive AND
        part = np.empty(n)
        if symmetric:
            np.bitwise_xor(e, t, out=e)
            np.bitwise_or(e, offsets, out=e)  # XOR cancelled them
            buffers.lookup_sum(tables[0], e, out[rows])
            buffers.lookup_sum(tables[1], both, part)
        else:
            buffers.lookup_sum(tables[0], e, out[rows])
            buffers.lookup_sum(tables[1], t, part)
            out[rows] += part
            buffers.lookup_sum(tables[2], both, part)
        out[rows] += part + form.c

    _run_chunks(len(enroll), groups, work)
    return out


def score_rows(
    form: LinearForm, bits: np.ndarray, enroll_rows: np.ndarray, test_rows: np.ndarray
) -> np.ndarray:
    """LLR of ``bits[enroll_rows[i]]`` against ``bits[test_rows[i]]``, float64 [P].

    Each recording is packed and projected once (keys: N x k/8 small integers); a
    comparison then only gathers two rows of keys and looks up their shared bytes.
    """
    enroll_rows = np.asarray(enroll_rows, dtype=np.intp).reshape(-1)
    test_rows = np.asarray(test_rows, dtype=np.intp).reshape(-1)
    if enroll_rows.shape != test_rows.shape:
        raise ValueError("enroll_rows and test_rows must have the same length")
    for rows in (enroll_rows, test_rows):
        if len(rows) and (rows.min() < 0 or rows.max() >= len(bits)):
            raise ValueError(f"row indices must be in [0, {len(bits)})")
    keys = pack_keys(bits)
    groups = keys.shape[1]
    own_u = _project(form.lookup("u"), keys) + form.c
    own_v = _project(form.lookup("v"), keys)
    table = form.lookup("w")
    out = np.empty(len(enroll_rows))

    def work(rows: slice, buffers: _Buffers) -> None:
        n = rows.stop - rows.start
        e, t = enroll_rows[rows], test_rows[rows]
        first, second = buffers.first[:n], buffers.second[:n]
        keys.take(e, axis=0, out=first)
        keys.take(t, axis=0, out=second)
        np.bitwise_and(first, second, out=first)
        buffers.lookup_sum(table, first, out[rows])
        out[rows] += own_u.take(e) + own_v.take(t)

    _run_chunks(len(enroll_rows), groups, work)
    return out


def iter_matrix(
    form: LinearForm,
    enroll: np.ndarray,
    test: np.ndarray,
    out: np.ndarray | None = None,
    symmetric: bool = False,
) -> Iterator[tuple[slice, np.ndarray]]:
    """All-pairs LLRs block by block: (enrollment rows, float64 [rows, len(test)]).

    Each block is one matrix product [e * w, 1, e.u + c] @ [t, t.v, 1]': the two vectors
    ride along as two extra columns. With `out` given, blocks are views into it, and with
    `symmetric` (enroll and test the same rows, u = v) only the columns from the block's
    first row on are multiplied: the rest is the transpose of rows already computed.
    """
    k = enroll.shape[1]
    own_v = _project(form.lookup("v"), pack_keys(test))
    step = max(1, MATRIX_ELEMENTS // (k + 2))
    columns = [slice(c, min(c + step, len(test))) for c in range(0, len(test), step)]
    cached = _augment(test, own_v) if len(columns) == 1 else None
    for start in range(0, len(enroll), MATRIX_ROWS):
        rows = slice(start, min(start + MATRIX_ROWS, len(enroll)))
        e = np.asarray(enroll[rows], dtype=np.float64)
        weighted = np.empty((len(e), k + 2))
        np.multiply(e, form.w, out=weighted[:, :k])
        weighted[:, k] = 1.0
        weighted[:, k + 1] = e @ form.u + form.c
        block = out[rows] if out is not None else np.empty((len(e), len(test)))
        first = start if symmetric and out is not None else 0
        if first and out is not None:
            _copy_transposed(block[:, :first], out[:first, rows])
        for cols in columns:
            cols = slice(max(cols.start, first), cols.stop)
            if cols.start >= cols.stop:
                continue
            right = cached[cols] if cached is not None else _augment(test[cols], own_v[cols])
            np.matmul(weighted, right.T, out=block[:, cols])
        if symmetric and out is not None:
            _mirror_upper(block[:, rows])  # exactly symmetric, not equal but for rounding
        yield rows, block


def _copy_transposed(dst: np.ndarray, src: np.ndarray, tile: int = 512) -> None:
    """dst = src.T, tile by tile (3x faster than one strided copy: tiles stay in cache)."""
    for i in range(0, dst.shape[0], tile):
        for j in range(0, dst.shape[1], tile):
            dst[i : i + tile, j : j + tile] = src[j : j + tile, i : i + tile].T


def _mirror_upper(square: np.ndarray, tile: int = 512) -> None:
    """Overwrite the strict lower triangle of `square` with the transposed upper one."""
    for r in range(0, len(square), tile):
        end = min(r + tile, len(square))
        _copy_transposed(square[r:end, :r], square[:r, r:end], tile)
        diagonal = square[r:end, r:end]
        diagonal[...] = np.triu(diagonal) + np.triu(diagonal, 1).T


def _augment(test: np.ndarray, own_v: np.ndarray) -> np.ndarray:
    """float64 [T, k + 2] = [t, t.v, 1]."""
    k = test.shape[1]
    out = np.empty((len(test), k + 2))
    out[:, :k] = test
    out[:, k] = own_v
    out[:, k + 1] = 1.0
    return out


def score_matrix(form: LinearForm, enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
    """float64 [E, T]: LLR of every row of `enroll` against every row of `test`.

    Scoring a set against itself with a symmetric scorer (every balr scorer) computes
    half the products and mirrors them.
    """
    out = np.empty((len(enroll), len(test)))
    symmetric = (
        enroll.shape == test.shape
        and form.symmetric
        and (enroll is test or np.array_equal(enroll, test))
    )
    for _ in iter_matrix(form, enroll, test, out, symmetric):
        pass
    return out
