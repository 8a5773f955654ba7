"""Shared helpers of the scoring tests: synthetic references and scalar formulas.

The scalar functions restate the formulas of the scoring spec with plain loops and
``math`` (no NumPy broadcasting), as an independent check of balr/scoring.
"""

from __future__ import annotations

import math

import numpy as np


def make_reference(
    seed: int = 0, n_speakers: int = 40, per_speaker: int = 6, k: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """(bits uint8 [S*R, k], labels [S*R]): speakers with Beta-distributed attribute rates.

    Attributes are neither dead nor always on, and several speakers show and lack each.
    """
    rng = np.random.default_rng(seed)
    means = rng.uniform(0.15, 0.6, size=k)
    rates = rng.beta(means * 2.0, (1 - means) * 2.0, size=(n_speakers, k))
    labels = np.repeat(np.arange(n_speakers), per_speaker)
    bits = (rng.random((len(labels), k)) < rates[labels]).astype(np.uint8)
    return bits, labels


def counts_of(bits: np.ndarray) -> tuple[list[int], list[int]]:
    """(active, inactive) per attribute of a group of rows, as Python ints."""
    active = [int(sum(int(row[i]) for row in bits)) for i in range(bits.shape[1])]
    return active, [len(bits) - a for a in active]


def ln_beta(x: float, y: float) -> float:
    return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)


def beta_llr(alpha: float, beta: float, ae: int, ne: int, at: int, nt: int) -> float:
    """Beta-Bernoulli LLR of one attribute (spec section 2)."""
    return (
        ln_beta(alpha + ae + at, beta + ne + nt)
        + ln_beta(alpha, beta)
        - ln_beta(alpha + ae, beta + ne)
        - ln_beta(alpha + at, beta + nt)
    )


def mixture_log_likelihood(f: float, p: float, q: float, a: int, n: int) -> float:
    """ln[f p^a (1-p)^n + (1-f) q^a (1-q)^n], computed with logs of each term."""
    first = math.log(f) + a * math.log(p) + n * math.log(1 - p)
    second = math.log(1 - f) + a * math.log(q) + n * math.log(1 - q)
    top = max(first, second)
    return top + math.log(math.exp(first - top) + math.exp(second - top))


def maxllr_llr(f: float, p: float, q: float, ae: int, ne: int, at: int, nt: int) -> float:
    """maxllr LLR of one attribute (spec section 2)."""
    return (
        mixture_log_likelihood(f, p, q, ae + at, ne + nt)
        - mixture_log_likelihood(f, p, q, ae, ne)
        - mixture_log_likelihood(f, p, q, at, nt)
    )


def dna_lr(t: float, d: float, din: float, e: int, x: int) -> float:
    """dna LR of one attribute for profiles e (enrollment) and x (test), 1 = present."""
    if e == 1 and x == 1:
        return 1 / (t * (din * t + 1 - d))
    if e == 0 and x == 0:
        return 1 / (t * (1 - din + d))
    return (din / (din * t + 1 - din) + d / t) / 2


def speech_lr(t: float, d: float, din: float, e: int, x: int) -> float:
    """speech LR of one attribute for profiles e and x, 1 = present."""
    if e == 1 and x == 1:
        return (1 + (din * t) ** 2) / (t * (1 - d + din * t) ** 2)
    if e == 0 and x == 0:
        return (1 + d**2) / (t * (1 - din + d) ** 2)
    top = (1 - din) * din * t + d * (1 - d)
    return top / (t * (1 + din * t * d + (1 - din) * din * t + d * (1 - d)))


def typicality_dropout(bits: np.ndarray, labels: np.ndarray, i: int) -> tuple[float, float]:
    """(T_i, D_i) of attribute i by loops over speakers (spec section 2)."""
    speakers = sorted(set(int(s) for s in labels))
    holders, shares = 0, []
    for s in speakers:
        rows = [r for r in range(len(labels)) if labels[r] == s]
        active = sum(int(bits[r, i]) for r in rows)
        if active > 0:
            holders += 1
            shares.append((len(rows) - active) / len(rows))
    k = len(speakers)
    return holders * (holders - 1) / (k * (k - 1)), (sum(shares) / holders if holders else 0.0)
