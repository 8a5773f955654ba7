"""report.html as a person sees it: rendered by headless Chromium (Debian's package).

The page is made by `balr compare` with a scorer fitted here, a calibration and labelled
scores, so every section is present. Chromium dumps the DOM after the load event (the page
records there whether every image decoded and whether a script failed) and takes a
screenshot; its console log must hold no error.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from balr.data.vectors import save_vector
from balr.evaluation.calibration import Calibration
from balr.scoring import BetaScorer

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


def chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile{len(list(tmp_path.glob('profile*')))}"
    command = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def console_errors(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if "CONSOLE" in line and re.search(r"Uncaught|Error|Failed", line)
    ]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    rng = np.random.default_rng(3)
    rates = rng.uniform(0.05, 0.8, (40, 64))
    bits = (rng.uniform(size=(160, 64)) < np.repeat(rates, 4, axis=0)).astype(np.uint8)
    bits[:, :2] = 0
    scorer = BetaScorer()
    scorer.fit(bits, np.repeat(np.arange(40), 4))
    scorer.save(root / "scorer")
    for i in range(3):
        save_vector(root / f"r{i}_ba.npy", bits[i])
    (root / "cal").mkdir()
    Calibration(0.4, -0.2).save(root / "cal" / "calibration.json")
    same = scorer.score_pairs(bits[0:160:4], bits[1:160:4])
    different = scorer.score_pairs(bits[0:156:4], bits[4:160:4])
    rows = [f"e{i}\tt{i}\t{v}\t{v / 2.3}\t1" for i, v in enumerate(same)] + [
        f"e{i}\tu{i}\t{v}\t{v / 2.3}\t0" for i, v in enumerate(different)
    ]
    (root / "cal" / "scores.tsv").write_text(
        "enrollment\ttest\tllr\tlog10_lr\tlabel\n" + "\n".join(rows) + "\n"
    )
    status = main([
        "compare", f"{root / 'r0_ba.npy'},{root / 'r1_ba.npy'}", str(root / "r2_ba.npy"),
        "--scorer", str(root / "scorer"), "--calibration", str(root / "cal" / "calibration.json"),
        "--save-dir", str(root / "case"),
    ])  # fmt: skip
    assert status == 0
    return root / "case"


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_page_renders_with_its_lr_and_figures_and_no_script_error(
    report: Path, tmp_path: Path
) -> None:
    page = report / "report.html"
    data = json.loads((report / "report.json").read_text())
    dom = chromium(tmp_path, page, "--dump-dom")
    body = dom.stdout
    assert f"{data['log10_lr']:+.2f}" in body
    assert data["verbal"]["phrase"].capitalize() in body
    assert re.search(r'<body[^>]*data-images="loaded"', body), "a figure did not decode"
    assert not re.search(r"<html[^>]*data-js-error", body)
    assert console_errors(dom.stderr) == []
    shot = tmp_path / "screenshot.png"
    screenshot = chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1280,2000")
    assert console_errors(screenshot.stderr) == []
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (2000, 1280)
    # Not a blank page: many distinct colours (text, bars, table).
    assert len(np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)) > 50


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_a_script_error_would_be_seen(report: Path, tmp_path: Path) -> None:
    """The checks above can fail: a page with a broken script is caught."""
    broken = tmp_path / "broken.html"
    html = (report / "report.html").read_text()
    broken.write_text(html.replace("</main>", "</main><script>noSuchFunction();</script>"))
    dom = chromium(tmp_path, broken, "--dump-dom")
    assert re.search(r"<html[^>]*data-js-error", dom.stdout)
    assert console_errors(dom.stderr)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")
def test_clicking_a_header_sorts_the_table(report: Path, tmp_path: Path) -> None:
    """The inline sorter orders rows by the column's numbers, ascending then descending."""
    page = tmp_path / "sorted.html"
    click = (
        "<script>window.addEventListener('load',function(){var th=document.querySelectorAll("
        "'#attributes th')[4];sortTable(th);var r=document.querySelector('#attributes tbody tr');"
        "document.body.setAttribute('data-first',r.cells[4].getAttribute('data-v'))});</script>"
    )
    page.write_text((report / "report.html").read_text().replace("</body>", click + "</body>"))
    dom = chromium(tmp_path, page, "--dump-dom").stdout
    first = float(re.search(r'data-first="([^"]+)"', dom).group(1))
    data = json.loads((report / "report.json").read_text())
    values = [a["log10_contribution"] for a in data["attributes"] if a["contribution"] != 0]
    assert first == pytest.approx(min(values), rel=1e-6)
