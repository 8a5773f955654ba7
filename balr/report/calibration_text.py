"""What the report says about the calibration: its method, its data, and its bounds."""

from __future__ import annotations

from html import escape

from balr.report.case import LN10, CalibrationInfo, Case
from balr.report.text import lr_html, lr_text

METHODS = {
    "logistic": "affine (logistic regression)",
    "bigauss": "bi-Gaussianized (Morrison 2024)",
    "fusion": "logistic-regression fusion with other systems (balr score fuse)",
}


def method_text(c: CalibrationInfo) -> str:
    """'affine (logistic regression)' or 'bi-Gaussianized (Morrison 2024)'."""
    return METHODS.get(c.method, c.method)


def data_text(c: CalibrationInfo) -> str:
    """'12 speakers, 18 same-speaker and 540 different-speaker comparisons, cross-validated
    (3 folds of the reference speakers), scores in FILE', from what calibration.json records."""
    d = c.data
    parts = []
    if d.get("n_speakers"):
        parts.append(f"{d['n_speakers']:,} speakers")
    n1, n0 = d.get("n_target"), d.get("n_nontarget")
    if n1 is not None and n0 is not None:
        parts.append(f"{n1:,} same-speaker and {n0:,} different-speaker comparisons")
    if d.get("cross_validated"):
        parts.append(
            f"cross-validated ({d.get('folds', '?')} speaker-disjoint folds of the reference"
            " speakers, out-of-fold scores)"
        )
    elif "cross_validated" in d:
        parts.append("held-out data (speakers not in the reference)")
    if d.get("file"):
        parts.append(f"scores in {d['file']}")
    return ", ".join(parts) or "not recorded in the calibration file"


def bounds_text(c: CalibrationInfo) -> str:
    """'log10 LR from -3.29 to +4.51 (ELUB, 2,766 same- and 129,000 different-speaker
    comparisons)', or 'none'."""
    b = c.bounds
    if b is None:
        return "none (the LR is not bounded)"
    return (
        f"log10 LR from {b['log10_lower']:+.2f} to {b['log10_upper']:+.2f} (empirical lower and"
        f" upper bounds of {b['n_target']:,} same-speaker and {b['n_nontarget']:,}"
        " different-speaker comparisons)"
    )


def clipped_sentence(case: Case) -> str:
    """Plain text: what the data support and what the model alone says (only when clipped)."""
    c = case.calibration
    assert c is not None and c.bounds is not None
    b = c.bounds
    limit = "at most LR =" if case.llr_unbounded > case.llr else "no LR below"
    return (
        f"the validation data support {limit} 10^{case.log10_lr:.2f}"
        f" ({b['n_target']:,} same-speaker, {b['n_nontarget']:,} different-speaker"
        f" comparisons); the model alone says LR = {lr_text(case.llr_unbounded / LN10)}"
        f" (log10 {case.llr_unbounded / LN10:+.2f}), an extrapolation, not the result"
    )


def clipped_html(case: Case) -> str:
    """The warning beside a bounded LR (see `clipped_sentence`)."""
    c = case.calibration
    assert c is not None and c.bounds is not None
    b = c.bounds
    limit = "at most LR =" if case.llr_unbounded > case.llr else "no LR below"
    unbounded = case.llr_unbounded / LN10
    return (
        f'<p class="warn" id="bounded">The validation data support {limit}'
        f" 10<sup>{case.log10_lr:.2f}</sup> ({b['n_target']:,} same-speaker and"
        f" {b['n_nontarget']:,} different-speaker comparisons), so the LR is reported at that"
        f" bound. The model alone says LR = {lr_html(unbounded)} (log<sub>10</sub> LR"
        f" {unbounded:+.2f}): an extrapolation beyond what the data can support, <b>not the"
        " result</b>.</p>"
    )


def calibration_caveat(case: Case) -> str:
    """The caveat naming the calibration's method, data and bounds."""
    c = case.calibration
    assert c is not None
    return (
        f"The LR is calibrated by <code>{escape(c.path)}</code>. Method:"
        f" {escape(method_text(c))}; fitted on {escape(data_text(c))}. Bounds:"
        f" {escape(bounds_text(c))}. The"
        " per-attribute contributions are raw terms; the calibration step is the purple bar"
        " of the chart."
    )
