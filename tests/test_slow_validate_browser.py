"""validation.html as a person sees it: rendered by headless Chromium (Debian's package).

`balr validate` runs on two conditions named by duration with a speaker bootstrap, so every
section and figure (coherence too) is on the page. Chromium dumps the DOM after the load
event (the page records whether every image decoded and whether a script failed) and takes
a screenshot; its console log must hold no error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from tests.test_slow_report_browser import CHROMIUM, chromium, console_errors
from tests.validation_data import write_scores

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("validate-browser")
    short = write_scores(root / "dur2s" / "scores.tsv", separation=2.0)
    long = write_scores(root / "dur4s" / "scores.tsv", seed=1, separation=3.0)
    out = root / "report"
    args = ["validate", str(short), str(long), "--bootstrap", "50", "--save-dir", str(out)]
    assert main([*args, "--describe", "synthetic <LLRs> & speakers"]) == 0
    return out


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_page_renders_its_table_and_every_figure_without_a_script_error(
    report: Path, tmp_path: Path
) -> None:
    page = report / "validation.html"
    data = json.loads((report / "validation.json").read_text())
    dom = chromium(tmp_path, page, "--dump-dom")
    body = dom.stdout
    assert re.search(r'<body[^>]*data-images="loaded"', body), "a figure did not decode"
    assert not re.search(r"<html[^>]*data-js-error", body)
    assert console_errors(dom.stderr) == []
    assert body.count("<img") == len(data["figures"]) == 5
    assert f"{data['metrics']['dur4s']['cllr']:.3f} bits" in body
    assert "synthetic &lt;LLRs&gt; &amp; speakers" in body
    rows = re.findall(r"<tr><td>(accuracy|discriminating power|calibration|robustness|"
                      r"coherence|generalisation)</td>", body)  # fmt: skip
    assert len(rows) == len(data["table"]) == 8
    shot = tmp_path / "screenshot.png"
    screenshot = chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1200,2000")
    assert console_errors(screenshot.stderr) == []
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2000, 1200)
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50
