"""report.html: one self-contained page explaining one comparison.

The page loads nothing from anywhere: the CSS and the small table-sorting script are
inline and the figures are embedded as base64 ``data:`` URIs, so it opens from disk,
offline, years later. Every piece of text that comes from the case is escaped.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from balr.report.calibration_text import clipped_html, method_text
from balr.report.case import LN10, AttributeRow, Case
from balr.report.fused import fusion_section
from balr.report.sections import (
    caveats_section,
    placement_section,
    provenance_section,
    scale_section,
)
from balr.report.text import image, lr_html, percent, sides
from balr.report.verbal import SCALE_NAME

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 margin:0;background:#f4f4f1;color:#1d1d1d;line-height:1.45}
main{max-width:1020px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:1.55em;margin:0 0 4px}h2{font-size:1.2em;margin:32px 0 8px;
 border-bottom:2px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:.9em}
.hyp{display:grid;grid-template-columns:1fr 1fr;gap:12px;margin:12px 0}
.hyp div{border:1px solid #ccc;border-radius:6px;padding:10px 14px}
.hyp .same{border-left:6px solid #2166ac}.hyp .diff{border-left:6px solid #d95f02}
.result{border-radius:8px;padding:16px 20px;margin:16px 0;background:#f0f3f8;
 border:1px solid #b8c4d6}
.result .big{font-size:1.9em;font-weight:700}
.result .verbal{font-size:1.25em;font-weight:600;margin-top:4px}
.warn{background:#fff4e5;border:1px solid #e0a040;border-radius:6px;padding:8px 12px}
figure{margin:12px 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.9em;color:#444}
table{border-collapse:collapse;font-size:.9em;width:100%}
th,td{border-bottom:1px solid #e2e2e2;padding:4px 8px;text-align:left}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
th.sort{cursor:pointer;background:#f0f0f0;user-select:none}
th.sort:after{content:" \\2195";color:#999}
tr.pos td.c{color:#2166ac;font-weight:600}tr.neg td.c{color:#b34700;font-weight:600}
.scroll{max-height:560px;overflow:auto;border:1px solid #ddd}
.scroll th{position:sticky;top:0}
code{font-size:.85em;word-break:break-all}
ul li{margin:3px 0}
td.case{white-space:nowrap}
tr.here td{background:#fff1c4;font-weight:600}
"""

# Registered first (in <head>): records any script error in the DOM (read by tests).
_ERROR_HOOK = """
window.addEventListener('error',function(e){document.documentElement.setAttribute(
 'data-js-error',String(e.message))});
"""

# Sorts the attribute table on a header click (numbers by data-v), and records in the DOM
# whether every figure decoded (read by tests).
_JS = """
function sortTable(th){var t=th.closest('table'),b=t.tBodies[0],i=th.cellIndex,
 d=th.getAttribute('data-dir')==='asc'?'desc':'asc',r=Array.from(b.rows);
 r.sort(function(x,y){var a=x.cells[i].getAttribute('data-v'),c=y.cells[i].getAttribute('data-v');
 var p=(a!==null&&c!==null)?(parseFloat(a)-parseFloat(c)):
 x.cells[i].textContent.localeCompare(y.cells[i].textContent);return d==='asc'?p:-p});
 r.forEach(function(row){b.appendChild(row)});th.setAttribute('data-dir',d)}
window.addEventListener('load',function(){var ok=Array.from(document.images).every(
 function(m){return m.complete&&m.naturalWidth>0});
 document.body.setAttribute('data-images',ok?'loaded':'broken')});
"""


def _hypotheses(case: Case) -> str:
    reference = escape(case.scorer.reference)
    return (
        '<div class="hyp"><div class="same"><b>H<sub>same</sub></b>: the enrollment and the'
        " test recordings were spoken by the <b>same speaker</b>.</div>"
        '<div class="diff"><b>H<sub>different</sub></b>: they were spoken by <b>different'
        " speakers</b>: the test speaker is another person of the population represented by"
        f" the reference set <b>{reference}</b> ({_population(case)}).</div></div>"
    )


def _population(case: Case) -> str:
    parts = []
    if case.scorer.n_speakers is not None:
        parts.append(f"{case.scorer.n_speakers:,} speakers")
    if case.scorer.n_recordings is not None:
        parts.append(f"{case.scorer.n_recordings:,} recordings")
    return escape(", ".join(parts) or "size not recorded")


def _result(case: Case) -> str:
    verbal = case.verbal
    calibrated = "calibrated" if case.calibration else "<b>not calibrated</b>"
    return (
        f'<div class="result"><div class="big" id="lr">LR = {lr_html(case.log10_lr)}'
        f' &nbsp;(log<sub>10</sub> LR = <span id="log10lr">{case.log10_lr:+.2f}</span>)</div>'
        f'<div class="verbal" id="verbal">{escape(verbal.phrase.capitalize())}</div>'
        f"<p>The observed binary attributes of the {escape(sides(case))} are {_times(case)}."
        f" On the verbal scale of the {escape(SCALE_NAME)}, {_band(case)}. This LR is"
        f" {calibrated} (scorer <code>{escape(case.scorer.name)}</code>).</p>"
        f"{_result_warning(case)}</div>"
    )


def _times(case: Case) -> str:
    """'x times more probable if H_a is true than if H_b is true' (or 'equally probable')."""
    if case.log10_lr == 0:
        return "equally probable under both hypotheses"
    first, second = ("same", "different") if case.log10_lr > 0 else ("different", "same")
    return (
        f"{lr_html(abs(case.log10_lr))} times more probable if H<sub>{first}</sub> is"
        f" true than if H<sub>{second}</sub> is true"
    )


def _band(case: Case) -> str:
    verbal = case.verbal
    if verbal.strength == "none":
        return "an LR of 1 supports neither hypothesis"
    return f"an LR {escape(verbal.range)} is <i>{escape(verbal.strength)}</i> support"


def _result_warning(case: Case) -> str:
    """A short warning beside the LR when its size cannot be taken at face value."""
    if case.clipped:
        return clipped_html(case)
    if case.calibration is None:
        text = "Not calibrated: the size of this LR is not reliable (see Caveats)."
    elif case.beyond_validation:
        text = (
            "This LR lies beyond every validation comparison of known speakers: its size is"
            " an extrapolation (see Caveats)."
        )
    else:
        return ""
    return f'<p class="warn" id="warning">{text}</p>'


def _chart(case: Case, figure: Path) -> str:
    n, excluded = len(case.contributing), len(case.scorer.excluded)
    return (
        "<h2>The attributes behind the LR</h2>"
        f"<p>The scorer treats the {case.scorer.n_attributes:,} binary attributes as independent,"
        f" so the log<sub>10</sub> LR is the sum of one term per attribute ({n:,} are nonzero"
        f"{_excluded_text(excluded)}). A term is positive when what the"
        " two sides show is more likely from one person than from two people of the reference"
        " population: a rare attribute present on both sides weighs most, and so does the"
        " shared absence of an attribute that most speakers show.</p>"
        f"<p>{_balance(case)}</p>"
        f"<figure>{image(figure, 'waterfall of the largest contributions')}"
        "<figcaption>Top: the largest contributions each way, one bar each. Bottom: those,"
        " then all other attributes summed by direction, add up to the log<sub>10</sub> LR"
        " (dark grey).</figcaption></figure>" + _calibration_note(case)
    )


def _balance(case: Case) -> str:
    n_up, up, n_down, down = case.balance()
    return (
        f"<b>{n_up}</b> attributes push towards the same speaker (together"
        f" {up:+.2f} in log<sub>10</sub> LR) and <b>{n_down}</b> towards different speakers"
        f" ({down:+.2f}). Many small terms can outweigh a few large ones: the bar of"
        " <i>other attributes</i> sums them."
    )


def _excluded_text(excluded: int) -> str:
    return f"; the {excluded} excluded by the scorer count 0" if excluded else ""


def _calibration_note(case: Case) -> str:
    c = case.calibration
    if c is None:
        return ""
    how = (
        f"multiplies that sum by {c.a:.3g} and shifts it"
        if c.method in ("logistic", "fusion")
        else f"maps that sum ({escape(method_text(c))})"
    )
    bound = (
        f" and the bound of the validation data moves it to {case.log10_lr:+.2f}"
        if case.clipped
        else ""
    )
    return (
        f"<p>The raw terms add up to log<sub>10</sub> LR {case.llr_raw / LN10:+.2f}. The"
        f" calibration (fitted on comparisons of known speakers) {how} (purple bar), giving"
        f" {case.llr_unbounded / LN10:+.2f}{bound}: the raw sum"
        " over-states or under-states the evidence because the attributes are not truly"
        " independent. Read the bars for the relative weight of each attribute and the"
        " calibrated value for the strength of the evidence.</p>"
    )


def _cell(value: float | None, text: str) -> str:
    v = "" if value is None else f' data-v="{value:.10g}"'
    return f'<td class="num"{v}>{escape(text)}</td>'


def _table_row(row: AttributeRow) -> str:
    cls = "pos" if row.contribution > 0 else "neg"
    return (
        f'<tr class="{cls}"><td class="num" data-v="{row.index}">{row.index}</td>'
        f'<td class="case">{escape(row.case)}</td>'
        + _cell(row.enroll_active / row.enroll_total, f"{row.enroll_active}/{row.enroll_total}")
        + _cell(row.test_active / row.test_total, f"{row.test_active}/{row.test_total}")
        + _cell(row.log10_contribution, f"{row.log10_contribution:+.3f}").replace(
            'class="num"', 'class="num c"'
        )
        + _cell(row.speaker_share, percent(row.speaker_share))
        + _cell(row.rate, percent(row.rate))
        + _cell(row.dropout, percent(row.dropout))
        + "</tr>"
    )


def _table(case: Case) -> str:
    heads = [
        ("Attribute", True),
        ("Case", False),
        ("Enrollment", True),
        ("Test", True),
        ("Contribution (log<sub>10</sub>)", True),
        ("Reference speakers with it", True),
        ("Reference recordings with it", True),
        ("Drop-out", True),
    ]
    head = "".join(
        f'<th class="sort{" num" if num else ""}" onclick="sortTable(this)">{text}</th>'
        for text, num in heads
    )
    body = "".join(_table_row(r) for r in case.contributing)
    return (
        "<h2>Every contributing attribute</h2>"
        "<p>Click a column to sort. <i>Case</i>: whether the attribute is present in the"
        " enrollment and test recordings (<i>mixed</i>: in some recordings of a side);"
        " <i>Enrollment</i>/<i>Test</i>: recordings showing it out of all of that side;"
        " <i>Reference speakers with it</i>: how common it is among the reference speakers;"
        " <i>Drop-out</i>: how often a speaker who has it does not show it in a recording.</p>"
        f'<div class="scroll"><table id="attributes"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def render_html(case: Case, contributions_png: Path, placement_png: Path | None = None) -> str:
    """The whole page as one string (figures read from the PNG files and embedded)."""
    title = f"Case report: log10 LR {case.log10_lr:+.2f} ({case.verbal.strength})"
    body = (
        "<h1>Speaker comparison: case report</h1>"
        f'<p class="meta">{escape(sides(case))}; scorer {escape(case.scorer.name)};'
        f" reference population <b>{escape(case.scorer.reference)}</b>.</p>"
        "<h2>The question</h2>"
        + _hypotheses(case)
        + _result(case)
        + fusion_section(case)
        + _chart(case, contributions_png)
        + _table(case)
        + placement_section(case, placement_png)
        + caveats_section(case)
        + provenance_section(case)
        + scale_section(case)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style><script>{_ERROR_HOOK}</script>"
        "</head>"
        f"<body><main>{body}</main><script>{_JS}</script></body></html>\n"
    )
