"""Formatting shared by the page's sections: numbers, LRs, embedded figures."""

from __future__ import annotations

import base64
import math
from html import escape
from pathlib import Path

from balr.report.case import Case


def lr_text(log10_lr: float) -> str:
    """The LR to 3 significant digits: '129,000', '1/2,300', '3.1 x 10^7' (with a times sign)."""
    size = abs(log10_lr)
    if size >= 6:
        mantissa, exponent = 10 ** (size - math.floor(size)), math.floor(size)
        text = f"{mantissa:.1f} \u00d7 10^{exponent}"
    else:
        value = float(f"{10**size:.3g}")
        text = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
    return f"1/{text}" if log10_lr < 0 else text


def percent(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f} %"


def lr_html(log10_lr: float) -> str:
    """lr_text escaped, with '10^N' as a superscript."""
    text = escape(lr_text(log10_lr))
    if "^" in text:
        head, exponent = text.split("^")
        text = f"{head}<sup>{exponent}</sup>"
    return text


def share(fraction: float, total: int) -> str:
    """'12 of 3,000 (0.4 %)'."""
    return f"{round(fraction * total):,} of {total:,} ({100 * fraction:.1f} %)"


def image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def sides(case: Case) -> str:
    e, t = len(case.enrollment), len(case.test)
    return f"{e} enrollment recording{'s' * (e != 1)} and {t} test recording{'s' * (t != 1)}"
