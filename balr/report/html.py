"""report.html: one self-contained page explaining one comparison.

The page loads nothing from anywhere: the CSS and the small table-sorting script are
inline and the figures are embedded as base64 ``data:`` URIs, so it opens from disk,
offline, years later. Every piece of text that comes from the case is escaped.
"""

from __future__ import annotations

import base64
import math
from html import escape
from pathlib import Path

from balr.report.case import LN10, AttributeRow, Case, Recording
from balr.report.verbal import DIFFERENT, SAME, SCALE_NAME, scale_rows

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


def _percent(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f} %"


def _lr_html(log10_lr: float) -> str:
    """lr_text escaped, with '10^N' as a superscript."""
    text = escape(lr_text(log10_lr))
    if "^" in text:
        head, exponent = text.split("^")
        text = f"{head}<sup>{exponent}</sup>"
    return text


def _share(fraction: float, total: int) -> str:
    """'12 of 3,000 (0.4 %)'."""
    return f"{round(fraction * total):,} of {total:,} ({100 * fraction:.1f} %)"


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _sides(case: Case) -> str:
    e, t = len(case.enrollment), len(case.test)
    return f"{e} enrollment recording{'s' * (e != 1)} and {t} test recording{'s' * (t != 1)}"


def _hypotheses(case: Case) -> str:
    reference = escape(case.scorer.reference)
    return (
        '<div class="hyp"><div class="same"><b>H<sub>same</sub></b>: the enrollment and the'
        " test recordings were spoken by the <b>same speaker</b>.</div>"
        '<div class="diff"><b>H<sub>different</sub></b>: they were spoken by <b>different'
        " speakers</b>: the test speaker is another person of the population represented by"
        f" the reference set <code>{reference}</code> ({_population(case)}).</div></div>"
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
    first, second = ("same", "different") if case.log10_lr >= 0 else ("different", "same")
    times = (
        f"{_lr_html(abs(case.log10_lr))} times more probable if H<sub>{first}</sub> is"
        f" true than if H<sub>{second}</sub> is true"
    )
    calibrated = "calibrated" if case.calibration else "<b>not calibrated</b>"
    return (
        f'<div class="result"><div class="big" id="lr">LR = {_lr_html(case.log10_lr)}'
        f' &nbsp;(log<sub>10</sub> LR = <span id="log10lr">{case.log10_lr:+.2f}</span>)</div>'
        f'<div class="verbal" id="verbal">{escape(verbal.phrase.capitalize())}</div>'
        f"<p>The observed binary attributes of the {escape(_sides(case))} are {times}."
        f" On the verbal scale of the {escape(SCALE_NAME)}, an LR {escape(verbal.range)}"
        f" is <i>{escape(verbal.strength)}</i> support. This LR is {calibrated}"
        f" (scorer <code>{escape(case.scorer.name)}</code>).</p>{_result_warning(case)}</div>"
    )


def _result_warning(case: Case) -> str:
    """A short warning beside the LR when its size cannot be taken at face value."""
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
        f"<p>The scorer treats the {case.scorer.n_attributes} binary attributes as independent,"
        f" so the log<sub>10</sub> LR is the sum of one term per attribute ({n} are nonzero"
        f"{_excluded_text(excluded)}). A term is positive when what the"
        " two sides show is more likely from one person than from two people of the reference"
        " population: a rare attribute present on both sides weighs most, and so does the"
        " shared absence of an attribute that most speakers show.</p>"
        f"<p>{_balance(case)}</p>"
        f"<figure>{_image(figure, 'waterfall of the largest contributions')}"
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
    return (
        f"<p>The raw terms add up to log<sub>10</sub> LR {case.llr_raw / LN10:+.2f}. The"
        f" calibration (fitted on comparisons of known speakers) multiplies that sum by"
        f" {c.a:.3g} and shifts it (purple bar), giving {case.log10_lr:+.2f}: the raw sum"
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
        + _cell(row.speaker_share, _percent(row.speaker_share))
        + _cell(row.rate, _percent(row.rate))
        + _cell(row.dropout, _percent(row.dropout))
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


def _placement(case: Case, figure: Path | None) -> str:
    p = case.placement
    if p is None or figure is None:
        return (
            "<h2>Where this LR sits</h2><p>No labelled validation scores were found (a"
            " <code>scores.tsv</code> beside the calibration file or in the scorer's run"
            " directory), so this LR cannot be compared with the system's behaviour on"
            " comparisons of known speakers.</p>"
        )
    mapped = " after the same calibration" if p.calibrated else ""
    same_data = (
        '<p class="warn">These are the scores the calibration was fitted on, so Cllr here is'
        " optimistic; a separate validation set gives a fairer figure.</p>"
        if p.same_data_as_calibration
        else ""
    )
    return (
        "<h2>Where this LR sits</h2>"
        f"<p>The system's LRs{mapped} on {p.target.size:,} same-speaker and"
        f" {p.nontarget.size:,} different-speaker comparisons of known speakers"
        f" (<code>{escape(p.source)}</code>): Cllr = <b>{p.cllr:.3f} bits</b>"
        f" (0 is perfect, 1 is an uninformative system), EER = <b>{p.eer:.2f} %</b>.</p>"
        f"<ul>{_rates(case)}</ul>"
        f"{same_data}<figure>{_image(figure, 'validation LR distributions')}"
        "<figcaption>Top: distributions of log<sub>10</sub> LR; bottom: Tippett plot (share of"
        " comparisons with log<sub>10</sub> LR of at least x). The dashed line is this"
        " comparison.</figcaption></figure>"
    )


def _rates(case: Case) -> str:
    """How often comparisons of known speakers reached this LR, in its direction."""
    p = case.placement
    assert p is not None
    if case.log10_lr >= 0:
        wrong = _share(p.nontarget_at_least, p.nontarget.size)
        right = _share(p.target_at_least, p.target.size)
        bound, supported, other = "at least", "same", "different"
    else:
        wrong = _share(p.target_at_most, p.target.size)
        right = _share(p.nontarget_at_most, p.nontarget.size)
        bound, supported, other = "at most", "different", "same"
    return (
        f"<li><b>{wrong}</b> {other}-speaker comparisons gave an LR {bound} this"
        f" {'large' if supported == 'same' else 'small'}: how often evidence this strong for"
        f" H<sub>{supported}</sub> was misleading.</li>"
        f"<li>{right} {supported}-speaker comparisons reached it.</li>"
    )


def _caveats(case: Case) -> str:
    excluded = case.scorer.excluded
    items = [
        f"Recordings: {escape(_sides(case))}. Few or short recordings give less reliable"
        " attributes.",
        (
            f"{len(excluded)} of the scorer's {case.scorer.n_attributes} attributes are"
            " excluded (dead, always on, or held by too few reference speakers) and contribute"
            f" nothing: {escape(_index_list(excluded))}."
            if excluded
            else f"The scorer uses all {case.scorer.n_attributes} attributes (none excluded)."
        ),
    ]
    if case.beyond_validation:
        items.append(
            "<b>This LR lies beyond every validation comparison</b> of known speakers: its"
            " size is an extrapolation of the calibration. A bounded value (e.g. the"
            " empirical lower and upper bounds of the validation set) is the safer report."
        )
    if case.calibration is None:
        items.append(
            "<b>The LR is not calibrated</b>: raw scorer LLRs can be far too large or small."
            " Give <code>--calibration calibration.json</code> fitted on comparisons of"
            " known speakers."
        )
    else:
        c = case.calibration
        items.append(
            f"The LR is calibrated: ln LR = {c.a:.4g} &times; raw {'+' if c.b >= 0 else '&minus;'}"
            f" {abs(c.b):.4g} (natural logs),"
            f" from <code>{escape(c.path)}</code>. The per-attribute contributions are raw"
            " terms; the calibration step is the purple bar of the chart."
        )
    items += [escape(note) for note in case.notes]
    return "<h2>Caveats</h2><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _index_list(indices: list[int], limit: int = 40) -> str:
    text = ", ".join(str(i) for i in indices[:limit])
    return text + (f" and {len(indices) - limit} more" if len(indices) > limit else "")


def _recording_rows(side: str, recordings: list[Recording]) -> str:
    return "".join(
        f"<tr><td>{escape(side)}</td><td><code>{escape(r.name)}</code></td>"
        f"<td>{escape(r.kind.replace('_', ' '))}</td>"
        f"<td><code>{escape(r.sha256 or 'n/a')}</code></td></tr>"
        for r in recordings
    )


def _provenance(case: Case) -> str:
    s = case.scorer
    scorer = (
        f"<tr><td>scorer</td><td><code>{escape(s.path)}</code></td><td>{escape(s.name)}</td>"
        f"<td><code>{escape(s.sha256 or 'n/a')}</code></td></tr>"
    )
    calibration = ""
    if case.calibration is not None:
        c = case.calibration
        calibration = (
            f"<tr><td>calibration</td><td><code>{escape(c.path)}</code></td><td>affine</td>"
            f"<td><code>{escape(c.sha256 or 'n/a')}</code></td></tr>"
        )
    return (
        "<h2>Inputs</h2><table><thead><tr><th>Role</th><th>Input</th><th>Kind</th>"
        "<th>sha256 (of the file; of the vector for a packed dataset's row)</th></tr>"
        "</thead><tbody>"
        + _recording_rows("enrollment", case.enrollment)
        + _recording_rows("test", case.test)
        + scorer
        + calibration
        + f'</tbody></table><p class="meta">balr {escape(case.balr_version)}, '
        f"{escape(case.created)}. The same content as data: <code>report.json</code>.</p>"
    )


_HERE = ' class="here"'


def _scale(case: Case) -> str:
    same = [r for r in scale_rows() if r[2] == SAME]
    different = {r[1]: r[0] for r in scale_rows() if r[2] == DIFFERENT}
    strength = case.verbal.strength
    rows = "".join(
        f"<tr{_HERE if s == strength else ''}><td>{escape(s)} support</td>"
        f"<td>{escape(r)}</td><td>{escape(different[s])}</td></tr>"
        for r, s, _ in same
    )
    return (
        f"<h2>Verbal scale</h2><p>{escape(SCALE_NAME)}; each band includes its lower"
        " bound; the band of this comparison is highlighted.</p><table><thead><tr>"
        "<th>Verbal equivalent</th><th>LR for H<sub>same</sub></th>"
        "<th>LR for H<sub>different</sub></th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def render_html(case: Case, contributions_png: Path, placement_png: Path | None = None) -> str:
    """The whole page as one string (figures read from the PNG files and embedded)."""
    title = f"Case report: log10 LR {case.log10_lr:+.2f} ({case.verbal.strength})"
    body = (
        "<h1>Speaker comparison: case report</h1>"
        f'<p class="meta">{escape(_sides(case))}; scorer {escape(case.scorer.name)};'
        f" reference population <code>{escape(case.scorer.reference)}</code>.</p>"
        "<h2>The question</h2>"
        + _hypotheses(case)
        + _result(case)
        + _chart(case, contributions_png)
        + _table(case)
        + _placement(case, placement_png)
        + _caveats(case)
        + _provenance(case)
        + _scale(case)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style><script>{_ERROR_HOOK}</script>"
        "</head>"
        f"<body><main>{body}</main><script>{_JS}</script></body></html>\n"
    )
