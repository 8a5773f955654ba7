"""Fast scoring of one recording against one recording.

With one recording per side, a scorer's LLR is a sum over attributes of a 2x2 table
L_i[e_i, t_i], which expands to

    LLR(e, t) = c + u.e + v.t + w.(e * t)
    c = sum_i L_i[0, 0], u = L[1, 0] - L[0, 0], v = L[0, 1] - L[0, 0],
    w = L[1, 1] - L[1, 0] - L[0, 1] + L[0, 0].

Trial lists: the 0/1 vectors are packed 8 attributes to a byte, and each byte indexes a
256-entry table of partial sums, so a comparison costs k/8 table look-ups per term
instead of k multiplications. All pairs: one float64 matrix product (E * w) T' per
block, plus the two vectors. Memory stays bounded by the chunk sizes below.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# Comparisons per chunk of a trial list: ~1 MiB of packed bytes per side at 512 attributes.
PAIR_CHUNK = 1 << 14
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

    def lookup(self, name: str) -> np.ndarray:
        """float64 [ceil(k/8) * 256]: partial sums of coefficients `name` per packed byte."""
        cached = self.__dict__.get(f"_lut_{name}")
        if cached is None:
            cached = byte_table(getattr(self, name))
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


def _lookup_sum(table: np.ndarray, packed: np.ndarray) -> np.ndarray:
    """Sum over byte groups of ``table[256 g + packed[:, g]]``: float64 [rows]."""
    offsets = np.arange(packed.shape[1], dtype=np.intp) * 256
    return table.take(packed.astype(np.intp) + offsets).sum(axis=1)


def _pack(bits: np.ndarray) -> np.ndarray:
    return np.packbits(np.asarray(bits, dtype=np.uint8), axis=1)


def score_pairs(form: LinearForm, enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
    """LLR of row i of `enroll` against row i of `test` (0/1 [P, k] each), float64 [P]."""
    if enroll.shape != test.shape:
        raise ValueError(f"enroll {enroll.shape} and test {test.shape} differ in shape")
    out = np.empty(len(enroll))
    for start in range(0, len(enroll), PAIR_CHUNK):
        rows = slice(start, start + PAIR_CHUNK)
        packed_e, packed_t = _pack(enroll[rows]), _pack(test[rows])
        out[rows] = (
            form.c
            + _lookup_sum(form.lookup("u"), packed_e)
            + _lookup_sum(form.lookup("v"), packed_t)
            + _lookup_sum(form.lookup("w"), packed_e & packed_t)
        )
    return out


def score_rows(
    form: LinearForm, bits: np.ndarray, enroll_rows: np.ndarray, test_rows: np.ndarray
) -> np.ndarray:
    """LLR of ``bits[enroll_rows[i]]`` against ``bits[test_rows[i]]``, float64 [P].

    Each recording is packed and projected once; a comparison then only gathers two
    packed rows and looks up their shared bytes.
    """
    enroll_rows = np.asarray(enroll_rows, dtype=np.intp)
    test_rows = np.asarray(test_rows, dtype=np.intp)
    if enroll_rows.shape != test_rows.shape:
        raise ValueError("enroll_rows and test_rows must have the same length")
    packed = (
        np.concatenate([_pack(bits[i : i + PAIR_CHUNK]) for i in range(0, len(bits), PAIR_CHUNK)])
        if len(bits)
        else np.zeros((0, -(-bits.shape[1] // 8)), np.uint8)
    )
    own_u = _lookup_sum(form.lookup("u"), packed) + form.c
    own_v = _lookup_sum(form.lookup("v"), packed)
    out = np.empty(len(enroll_rows))
    for start in range(0, len(enroll_rows), PAIR_CHUNK):
        rows = slice(start, start + PAIR_CHUNK)
        e, t = enroll_rows[rows], test_rows[rows]
        out[rows] = own_u[e] + own_v[t] + _lookup_sum(form.lookup("w"), packed[e] & packed[t])
    return out


def iter_matrix(
    form: LinearForm, enroll: np.ndarray, test: np.ndarray
) -> Iterator[tuple[slice, np.ndarray]]:
    """All-pairs LLRs block by block: (enrollment rows, float64 [rows, len(test)])."""
    test_block = max(1, MATRIX_ELEMENTS // max(1, test.shape[1]))
    whole_test = len(test) <= test_block
    test_float = np.asarray(test, dtype=np.float64) if whole_test else None
    test_v = _lookup_sum(form.lookup("v"), _pack(test)) if len(test) else np.zeros(0)
    for start in range(0, len(enroll), MATRIX_ROWS):
        rows = slice(start, min(start + MATRIX_ROWS, len(enroll)))
        e = np.asarray(enroll[rows], dtype=np.float64)
        block = np.empty((e.shape[0], len(test)))
        weighted = e * form.w
        for col in range(0, len(test), test_block):
            cols = slice(col, col + test_block)
            t = test_float[cols] if test_float is not None else np.asarray(test[cols], np.float64)
            np.matmul(weighted, t.T, out=block[:, cols])
        block += (e @ form.u + form.c)[:, None]
        block += test_v[None, :]
        yield rows, block


def score_matrix(form: LinearForm, enroll: np.ndarray, test: np.ndarray) -> np.ndarray:
    """float64 [E, T]: LLR of every row of `enroll` against every row of `test`."""
    out = np.empty((len(enroll), len(test)))
    for rows, block in iter_matrix(form, enroll, test):
        out[rows] = block
    return out
