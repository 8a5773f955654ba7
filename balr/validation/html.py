"""validation.html: the validation report of a method as one self-contained page.

Nothing is loaded from anywhere: the CSS is inline and the figures are base64 ``data:``
URIs. Every piece of text that comes from the inputs is escaped.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from balr.data.atomic import atomic_path
from balr.validation.guideline import fmt
from balr.validation.report import Report
from balr.validation.tables import guideline_table, metrics_table, scope_table

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 margin:0;background:#f4f4f1;color:#1d1d1d;line-height:1.45}
main{max-width:1120px;margin:0 auto;padding:24px 28px 48px;background:#fff}
h1{font-size:1.55em;margin:0 0 4px}h2{font-size:1.2em;margin:30px 0 8px;
 border-bottom:2px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.88em;width:100%}
th,td{border-bottom:1px solid #e2e2e2;padding:4px 7px;text-align:left;vertical-align:top}
th{background:#f0f0f0}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.pass{color:#1a7f37;font-weight:700}td.fail{color:#b3261e;font-weight:700}
td.na{color:#777}span.ok{color:#1a7f37}span.bad{color:#b3261e}
.small{font-size:.85em;color:#444}
figure{margin:14px 0}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.9em;color:#444}
.verdict{border-radius:8px;padding:12px 18px;margin:14px 0;font-size:1.1em}
.verdict.pass{background:#eaf6ec;border:1px solid #8cc79a}
.verdict.fail{background:#fdecea;border:1px solid #e59a92}
code{font-size:.85em;word-break:break-all}
"""

_JS = """
window.addEventListener('error',function(e){document.documentElement.setAttribute(
 'data-js-error',String(e.message))});
window.addEventListener('load',function(){var ok=Array.from(document.images).every(
 function(m){return m.complete&&m.naturalWidth>0});
 document.body.setAttribute('data-images',ok?'loaded':'broken')});
"""

CAPTIONS = {
    "det.png": "DET plot: miss rate against false-alarm rate on probit axes, one curve per"
    " condition; the dot marks the EER (where the curve meets the dotted line). Lower left"
    " is better.",
    "tippett.png": "Tippett plot: the solid curve of a condition is the proportion of its"
    " same-speaker comparisons with log10 LR at most x, the dashed one the proportion of"
    " different-speaker comparisons with log10 LR at least x. Where they cross the vertical"
    " line (LR = 1) they give the rates of misleading evidence. Each curve ends at its most"
    " extreme observed LR, at 1/N: nothing is extrapolated. LRs clipped to a calibration's"
    " bounds pile up there (vertical steps at the ends; conditions calibrated alike share"
    " them, so their steps coincide).",
    "ece.png": "ECE plot: empirical cross-entropy (bits) against the prior log10 odds, for the"
    " reported LLRs (solid) and after the best monotonic recalibration (PAV, dashed). The gap"
    " between them is the calibration loss; at prior log odds 0 they are Cllr and Cllr_min."
    " Above the dotted LR ≡ 1 curve the LRs would mislead a decision at that prior.",
    "pav.png": "PAV plot: reported log10 LR against its PAV-recalibrated value; devPAV is the"
    " mean distance of this curve from the identity line. LRs whose PAV value is infinite"
    " (at the ends, where only one kind of comparison lies, e.g. LRs piled up at a"
    " calibration's bounds) are left out, as devPAV leaves them out, so the curve may span"
    " less than the reported range. Below the"
    " line the LRs overstate the evidence, above it they understate it.",
    "coherence.png": "Coherence: Cllr and EER against net speech duration; they should not"
    " get worse with more speech.",
}


def write_html(report: Report, run_dir: Path) -> Path:
    """Write run_dir/validation.html (atomically) and return its path."""
    body = "".join(
        [
            _head(report),
            _verdict(report),
            scope_table(report),
            guideline_table(report),
            metrics_table(report),
            _baseline(report),
            _figures(report, run_dir),
            _method(report),
        ]
    )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>Validation report</title><style>{_CSS}</style><script>{_JS}</script>"
        f"</head><body><main>{body}</main></body></html>"
    )
    path = run_dir / "validation.html"
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path


def _head(report: Report) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    names = ", ".join(escape(c["name"]) for c in report.conditions)
    described = (
        f"<p><b>Validation data:</b> {escape(report.data_description)}</p>"
        if report.data_description
        else ""
    )
    return (
        "<h1>Validation report of a likelihood-ratio method</h1>"
        f'<p class="meta">Made by balr validate on {when}. Conditions: {names}.</p>{described}'
        "<p>Each performance characteristic of the guideline of Meuwly, Ramos and Haraksim"
        " (2017) is measured on the labelled comparisons of each condition and held against"
        " its validation criterion. LLRs are as reported (calibrated, and bounded when a"
        " calibration with bounds was applied); logarithms are natural unless marked log10.</p>"
    )


def _verdict(report: Report) -> str:
    decided = [row.decision for row in report.table if row.decision is not None]
    failed = [
        f"{row.characteristic}: {row.metric}" for row in report.table if row.decision is False
    ]
    open_rows = [row.characteristic for row in report.table if row.decision is None]
    rest = f" Not assessed: {', '.join(open_rows)}." if open_rows else ""
    if failed:
        return (
            f'<div class="verdict fail"><b>Not validated:</b> {len(failed)} of'
            f" {len(decided)} assessed criteria fail: {escape('; '.join(failed))}.{rest}</div>"
        )
    return (
        f'<div class="verdict pass"><b>Every assessed criterion passes</b>'
        f" ({len(decided)} of {len(report.table)} rows).{rest}</div>"
    )


def _baseline(report: Report) -> str:
    b = report.baseline
    if b is None:
        return ""
    return (
        "<h2>Baseline</h2>"
        f"<p>Criteria of Cllr, Cllr_min and EER are relative to the baseline method's scores"
        f" <code>{escape(str(b['source']))}</code>: Cllr {fmt(b['cllr'], 'bits')}, Cllr_min"
        f" {fmt(b['cllr_min'], 'bits')}, EER {fmt(b['eer'], '%')} ({b['n_target']:,} same /"
        f" {b['n_nontarget']:,} different-speaker comparisons).</p>"
    )


def _image(path: Path, alt: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def _figures(report: Report, run_dir: Path) -> str:
    parts = ["<h2>Graphics</h2>"]
    for name in report.figures:
        parts.append(
            f'<figure id="fig-{name.removesuffix(".png")}">{_image(run_dir / name, name)}'
            f"<figcaption>{escape(CAPTIONS[name])}</figcaption></figure>"
        )
    return "".join(parts)


def _method(report: Report) -> str:
    sources = "".join(
        f"<li>{escape(c['name'])}: <code>{escape(c['source'])}</code></li>"
        for c in report.conditions
    )
    boot = ""
    if report.bootstrap:
        boot = (
            f"<p>Intervals: {report.bootstrap['replicates']:,} bootstrap replicates (seed"
            f" {report.bootstrap['seed']}) resampling speakers, not comparisons: each replicate"
            " draws the condition's speakers with replacement and keeps every comparison among"
            " the drawn speakers (a different-speaker comparison once per pair of copies, a"
            " same-speaker one once per copy); percentiles 2.5 % and 97.5 %.</p>"
        )
    criteria = ", ".join(f"{escape(k)} = {v:g}" for k, v in report.criteria.items())
    return (
        "<h2>Data and method</h2>"
        f"<ul>{sources}</ul><p>Speakers of the comparisons from {escape(report.speakers_from)}."
        f'</p>{boot}<p class="small">Criteria (balr validate criteria.KEY=VALUE): {criteria}.'
        "</p>" + _glossary()
    )


def _glossary() -> str:
    return (
        '<p class="small">Cllr: log-likelihood-ratio cost (0 perfect, 1 = always LR 1).'
        " Cllr_min: Cllr after the best monotonic recalibration (PAV): what discrimination"
        " alone allows. Cllr_cal = Cllr minus Cllr_min. devPAV (Vergeer et al. 2021): mean"
        " distance, in log10 units, between the PAV curve and the identity. EER: equal error"
        " rate. minDCF: minimum normalised detection cost.</p>"
    )
