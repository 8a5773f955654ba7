"""report.html: self-contained, escaped, and holding what the reader needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from balr.report import write_report
from balr.report.figure import waterfall_steps
from balr.report.html import render_html
from balr.report.text import lr_text
from tests.report_cases import make_case

HOSTILE = '<script>alert("x")</script>&<b>'


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("report")
    case = make_case(k=48)
    write_report(case, out)
    return out, (out / "report.html").read_text(encoding="utf-8")


def test_writes_the_page_the_data_and_the_figures(written) -> None:
    out, _ = written
    for name in ("report.html", "report.json", "contributions.png", "placement.png"):
        assert (out / name).stat().st_size > 1000, name
    assert (out / "contributions.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_page_loads_nothing_from_the_network(written) -> None:
    _, page = written
    assert "http://" not in page and "https://" not in page
    # Every src/href is inline data; no stylesheet links, no imports, no url() in CSS.
    for target in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page):
        assert target.startswith("data:image/png;base64,"), target[:40]
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count("data:image/png;base64,") == 2


def test_page_states_the_lr_the_verbal_category_and_the_hypotheses(written) -> None:
    _, page = written
    case = make_case(k=48)
    assert f"{case.log10_lr:+.2f}" in page and lr_text(case.log10_lr) in page
    assert case.verbal.phrase.capitalize() in page
    assert "H<sub>same</sub>" in page and "H<sub>different</sub>" in page
    assert "librispeech/train" in page and "217 speakers" in page
    assert "ENFSI Guideline for Evaluative Reporting in Forensic Science (2015)" in page
    assert "Cllr" in page and "EER" in page


def test_table_has_one_row_per_nonzero_contribution(written) -> None:
    _, page = written
    case = make_case(k=48)
    table = page[page.index('<table id="attributes">') :]
    body = table[: table.index("</tbody>")]
    assert body.count("<tr class=") == len(case.contributing) == 45
    assert 'onclick="sortTable(this)"' in page


def test_every_piece_of_case_text_is_escaped(tmp_path: Path) -> None:
    case = make_case(k=8, name=HOSTILE, reference=HOSTILE)
    case.notes.append(HOSTILE)
    png = tmp_path / "c.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    page = render_html(case, png)
    assert HOSTILE not in page and "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;b&gt;" in page
    # The page's own scripts (error hook, table sorting) are the only ones.
    assert page.count("<script>") == 2


def test_uncalibrated_case_says_so_and_has_no_calibration_step() -> None:
    case = make_case(k=16, calibrated=False, placed=False)
    steps = waterfall_steps(case)
    assert [s[2] for s in steps].count("calibration") == 0
    assert steps[-1][1] == pytest.approx(case.log10_lr)


def test_waterfall_steps_add_up_to_the_reported_lr() -> None:
    case = make_case(k=64)
    steps = waterfall_steps(case, top=5)
    running = 0.0
    for _, step, kind in steps:
        if kind == "total":
            assert running == pytest.approx(step)
        else:
            running += step
    assert steps[-1][1] == pytest.approx(case.log10_lr)
    kinds = [s[2] for s in steps]
    assert kinds[:3] == ["shown", "rest_same", "rest_different"]
    assert steps[0][0] == "the 10 attributes above"


@pytest.mark.parametrize(
    ("log10_lr", "text"),
    [(0.0, "1"), (1.0, "10"), (2.0, "100"), (3.4771, "3,000"), (-2.0, "1/100"),
     (5.11091, "129,000"), (7.3, "2.0 \u00d7 10^7"), (-6.0, "1/1.0 \u00d7 10^6")],
)  # fmt: skip
def test_lr_text_rounds_to_three_significant_digits(log10_lr: float, text: str) -> None:
    assert lr_text(log10_lr) == text


def test_an_lr_of_exactly_one_supports_neither(tmp_path: Path) -> None:
    case = make_case(k=8, calibrated=False, placed=False)
    case.llr_raw = 0.0
    png = tmp_path / "c.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    page = render_html(case, png)
    assert "equally probable under both hypotheses" in page
    assert "an LR of 1 supports neither hypothesis" in page


def test_no_waterfall_bar_or_label_is_cut_by_the_frame(tmp_path: Path, monkeypatch) -> None:
    """A step starting at the running maximum used to pin the axis there (sticky edges)."""
    from balr.report import figure

    case = make_case(k=64, calibrated=False, placed=False)
    drawn = []
    monkeypatch.setattr(figure, "_save", lambda fig, path: drawn.append(fig) or path)
    figure.contributions_figure(case, tmp_path / "c.png")
    for ax in drawn[0].axes:
        ends = [x for bar in ax.patches for x in (bar.get_x(), bar.get_x() + bar.get_width())]
        low, high = ax.get_xlim()
        span = max(ends) - min(ends)
        assert high > max(ends) + 0.05 * span and low < min(ends) - 0.05 * span
