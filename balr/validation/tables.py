"""The tables of validation.html: the conditions (scope), the guideline table, the metrics.

Every piece of text that comes from the inputs is escaped.
"""

from __future__ import annotations

from html import escape

from balr.validation.guideline import Row, fmt
from balr.validation.report import Report

_UNKNOWN_METHOD = (
    "method not recorded (no summary.json of balr score test or balr score apply beside the scores)"
)


def scope_table(report: Report) -> str:
    """The conditions covered: the scope of validity."""
    rows = []
    for c in report.conditions:
        m = report.metrics[c["name"]]
        speakers = "unknown" if m["n_speakers"] is None else f"{m['n_speakers']:,}"
        seconds = "n/a" if c["duration"] is None else f"{c['duration']:g}"
        rows.append(
            f"<tr><td>{escape(c['name'])}</td><td><code>{escape(c['source'])}</code>"
            f'<br><span class="small">{escape(c.get("method") or _UNKNOWN_METHOD)}</span></td>'
            f'<td class="num">{seconds}</td><td class="num">{m["n_target"]:,}</td>'
            f'<td class="num">{m["n_nontarget"]:,}</td><td class="num">{speakers}</td></tr>'
        )
    return (
        "<h2>Scope of validity: the conditions</h2>"
        '<table id="scope"><thead><tr><th>condition</th><th>scores and method</th>'
        '<th class="num">net speech (s)</th><th class="num">same-speaker</th>'
        '<th class="num">different-speaker</th><th class="num">speakers</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _decision(value: bool | None) -> str:
    if value is None:
        return '<td class="na">not assessed</td>'
    return '<td class="pass">pass</td>' if value else '<td class="fail">fail</td>'


def _result_cells(row: Row, names: list[str]) -> str:
    if "all" in row.results:
        note = f'<br><span class="small">{escape(row.note)}</span>' if row.note else ""
        return f'<td colspan="{len(names)}">{escape(row.results["all"])}{note}</td>'
    cells = []
    for name in names:
        mark = row.passed.get(name)
        css = (
            ""
            if mark is None
            else (' class="num"><span class="ok"' if mark else ' class="num"><span class="bad"')
        )
        value, _, interval = row.results[name].partition(" [")
        text = escape(value) + (
            f'<br><span class="small">[{escape(interval)}</span>' if interval else ""
        )
        cells.append(f"<td{css}>{text}</span></td>" if css else f'<td class="num">{text}</td>')
    return "".join(cells)


def _graphic_links(graphic: str, figures: list[str]) -> str:
    """'DET, Tippett' with each name that has a figure on the page linked to it."""
    parts = []
    for word in graphic.split(", "):
        name = word.split(" ")[0].lower() + ".png"
        text = escape(word)
        parts.append(f'<a href="#fig-{name[:-4]}">{text}</a>' if name in figures else text)
    return ", ".join(parts)


def guideline_table(report: Report) -> str:
    """The guideline's table: per characteristic, metric, graphic, criterion, results, decision."""
    names = [c["name"] for c in report.conditions]
    head = "".join(f'<th class="num">{escape(n)}</th>' for n in names)
    rows = "".join(
        f"<tr><td>{escape(r.characteristic)}</td><td>{escape(r.metric)}</td>"
        f"<td>{_graphic_links(r.graphic, report.figures)}</td><td>{escape(r.criterion)}</td>"
        f"{_result_cells(r, names)}{_decision(r.decision)}"
        f'<td class="small">{escape(r.data)}</td></tr>'
        for r in report.table
    )
    ci = " Results in brackets: 95 % speaker-bootstrap interval." if report.bootstrap else ""
    return (
        "<h2>Validation table</h2>"
        f'<p class="small">One column of results per condition.{ci}</p>'
        '<table id="guideline"><thead><tr><th>performance characteristic</th><th>metric</th>'
        f"<th>graphic</th><th>validation criterion</th>{head}<th>decision</th>"
        f"<th>data used</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _lr(value: float | None) -> str:
    return "none" if value is None else f"{value:+.2f}"


METRIC_LINES = (
    ("same-speaker comparisons", lambda m: f"{m['n_target']:,}"),
    ("different-speaker comparisons", lambda m: f"{m['n_nontarget']:,}"),
    ("speakers", lambda m: "unknown" if m["n_speakers"] is None else f"{m['n_speakers']:,}"),
    ("net speech (s)", lambda m: "n/a" if m["duration"] is None else f"{m['duration']:g}"),
    ("Cllr (bits)", lambda m: fmt(m["cllr"], "")),
    ("Cllr_min (bits)", lambda m: fmt(m["cllr_min"], "")),
    ("Cllr_cal (bits)", lambda m: fmt(m["cllr_cal"], "")),
    ("devPAV (log10)", lambda m: fmt(m["devpav"], "log10")),
    ("EER (%)", lambda m: fmt(m["eer"], "")),
    ("minDCF (P_target 0.01)", lambda m: fmt(m["min_dcf_0.01"], "")),
    ("minDCF (P_target 0.05)", lambda m: fmt(m["min_dcf_0.05"], "")),
    ("log10 LR range", lambda m: f"{m['log10_lr_min']:+.2f} to {m['log10_lr_max']:+.2f}"),
    ("same speaker, LR < 1", lambda m: f"{100 * m['misleading_same']:.2f} %"),
    ("strongest such (log10 LR)", lambda m: _lr(m["strongest_misleading_same"])),
    ("different speakers, LR > 1", lambda m: f"{100 * m['misleading_different']:.2f} %"),
    ("strongest such (log10 LR)", lambda m: _lr(m["strongest_misleading_different"])),
    (
        "ELUB bounds (log10)",
        lambda m: f"{m['elub']['log10_lower']:+.2f} to {m['elub']['log10_upper']:+.2f}",
    ),
)


def metrics_table(report: Report) -> str:
    """Every metric of every condition, one column per condition."""
    names = list(report.metrics)
    head = "".join(f'<th class="num">{escape(n)}</th>' for n in names)
    rows = "".join(
        f"<tr><td>{label}</td>"
        + "".join(f'<td class="num">{escape(get(report.metrics[n]))}</td>' for n in names)
        + "</tr>"
        for label, get in METRIC_LINES
    )
    return (
        "<h2>Metrics per condition</h2>"
        '<p class="small">Misleading evidence: same-speaker comparisons with LR &lt; 1 and'
        " different-speaker comparisons with LR &gt; 1, with the most extreme such LR. ELUB"
        " bounds (Vergeer et al. 2016): the range of LRs these comparisons can support.</p>"
        f'<table id="metrics"><thead><tr><th>metric</th>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )
