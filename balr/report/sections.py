"""The lower sections of report.html: where the LR sits, caveats, inputs, verbal scale."""

from __future__ import annotations

from html import escape
from pathlib import Path

from balr.report.calibration_text import calibration_caveat, data_text, method_text
from balr.report.case import Case, Recording, ScorerInfo
from balr.report.text import image, share, sides
from balr.report.verbal import DIFFERENT, SAME, SCALE_NAME, scale_rows


def placement_section(case: Case, figure: Path | None) -> str:
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
        f"{same_data}<figure>{image(figure, 'validation LR distributions')}"
        "<figcaption>Top: distributions of log<sub>10</sub> LR; bottom: Tippett plot (share of"
        " comparisons with log<sub>10</sub> LR of at least x). The dashed line is this"
        " comparison.</figcaption></figure>"
    )


def _rates(case: Case) -> str:
    """How often comparisons of known speakers reached this LR, in its direction."""
    p = case.placement
    assert p is not None
    if case.log10_lr >= 0:
        wrong = share(p.nontarget_at_least, p.nontarget.size)
        right = share(p.target_at_least, p.target.size)
        bound, supported, other = "at least", "same", "different"
    else:
        wrong = share(p.target_at_most, p.target.size)
        right = share(p.nontarget_at_most, p.nontarget.size)
        bound, supported, other = "at most", "different", "same"
    return (
        f"<li><b>{wrong}</b> {other}-speaker comparisons gave an LR {bound} this"
        f" {'large' if supported == 'same' else 'small'}: how often evidence this strong for"
        f" H<sub>{supported}</sub> was misleading.</li>"
        f"<li>{right} {supported}-speaker comparisons reached it.</li>"
    )


def caveats_section(case: Case) -> str:
    excluded = case.scorer.excluded
    items = [
        f"Recordings: {escape(sides(case))}. Few or short recordings give less reliable"
        " attributes.",
        (
            f"{len(excluded):,} of the scorer's {case.scorer.n_attributes:,} attributes are"
            " excluded (dead, always on, or held by too few reference speakers) and contribute"
            f" nothing: {escape(_index_list(excluded))}."
            if excluded
            else f"The scorer uses all {case.scorer.n_attributes:,} attributes (none excluded)."
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
        items.append(calibration_caveat(case))
    items += [escape(note) for note in case.notes]
    return "<h2>Caveats</h2><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>"


def _index_list(indices: list[int], limit: int = 40) -> str:
    text = ", ".join(str(i) for i in indices[:limit])
    return text + (f" and {len(indices) - limit} more" if len(indices) > limit else "")


def _recording_rows(side: str, recordings: list[Recording]) -> str:
    return "".join(
        f"<tr><td>{escape(side)}</td><td><code>{escape(r.name)}</code>{_where(r)}</td>"
        f"<td>{escape(r.kind.replace('_', ' '))}</td>"
        f"<td><code>{escape(r.sha256 or 'n/a')}</code></td></tr>"
        for r in recordings
    )


def _where(recording: Recording) -> str:
    """The file read, under the name given, when they differ (a dataset id, a relative path)."""
    if not recording.path or recording.path == recording.name:
        return ""
    return f'<br><span class="meta">read from <code>{escape(recording.path)}</code></span>'


def _scorer_rows(s: ScorerInfo) -> str:
    """The scorer's files: a balr run's parameters and settings, each with its digest."""
    folder = Path(s.path).parent if s.path.endswith(".json") else Path(s.path)
    where = s.path if s.settings_sha256 is None else str(folder / "parameters.npz")
    rows = (
        f"<tr><td>scorer</td><td><code>{escape(where)}</code></td><td>{escape(s.name)}</td>"
        f"<td><code>{escape(s.sha256 or 'n/a')}</code></td></tr>"
    )
    if s.settings_sha256 is not None:
        rows += (
            f"<tr><td>scorer settings</td><td><code>{escape(str(folder / 'scorer.json'))}"
            f"</code></td><td>{escape(s.name)}</td><td><code>{escape(s.settings_sha256)}</code>"
            "</td></tr>"
        )
    if s.reference_path is not None:
        rows += (
            f"<tr><td>reference set</td><td><code>{escape(s.reference_path)}</code></td>"
            f"<td>{escape(s.reference)} (the scorer was fitted on it)</td><td>n/a</td></tr>"
        )
    return rows


def provenance_section(case: Case) -> str:
    calibration = ""
    if case.calibration is not None:
        c = case.calibration
        calibration = (
            f"<tr><td>calibration</td><td><code>{escape(c.path)}</code></td>"
            f"<td>{escape(method_text(c))}; fitted on {escape(data_text(c))}</td>"
            f"<td><code>{escape(c.sha256 or 'n/a')}</code></td></tr>"
        )
    return (
        "<h2>Inputs</h2><table><thead><tr><th>Role</th><th>Input</th><th>Kind</th>"
        "<th>sha256 (of the file; of the vector for a packed dataset's row)</th></tr>"
        "</thead><tbody>"
        + _recording_rows("enrollment", case.enrollment)
        + _recording_rows("test", case.test)
        + _recording_rows("model", case.models)
        + _scorer_rows(case.scorer)
        + calibration
        + f'</tbody></table><p class="meta">balr {escape(case.balr_version)}, '
        f"{escape(case.created)}. The same content as data: <code>report.json</code>.</p>"
    )


_HERE = ' class="here"'


def scale_section(case: Case) -> str:
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
