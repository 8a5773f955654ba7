"""A real SIGINT (Ctrl-C) or SIGTERM to `balr score test` mid-run leaves no run directory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from tests.score_data import write_attributes

pytestmark = pytest.mark.slow

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,000 recordings, a fitted scorer and 300,000 distinct trials (explaining takes ~30 s)."""
    root = tmp_path_factory.mktemp("interrupt")
    data = write_attributes(root / "data", speakers=100, per_speaker=10, k=64)
    cwd = Path.cwd()
    os.chdir(root)
    try:
        assert main(["score", "train", str(data), "--save-dir", "scorer"]) == 0
    finally:
        os.chdir(cwd)
    rng = np.random.default_rng(0)
    codes = rng.choice(1000 * 1000, 320_000, replace=False)
    codes = codes[codes // 1000 != codes % 1000][:300_000]
    ids = [f"s{s}/u{u}" for s in range(100) for u in range(10)]
    lines = ["enrollment\ttest"] + [f"{ids[c // 1000]}\t{ids[c % 1000]}" for c in codes]
    (root / "trials.tsv").write_text("\n".join(lines) + "\n")
    return root


@pytest.mark.parametrize(("signum", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_run_removes_the_run_dir(material: Path, signum: int, status: int) -> None:
    work = material / f"work{signum}"
    work.mkdir()
    command = [sys.executable, "-m", "balr", "score", "test", str(material / "data" / "data.csv")]
    command += [str(material / "trials.tsv"), "--scorer", str(material / "scorer")]
    process = subprocess.Popen(
        [*command, "--explain", "3"], cwd=work, env=ENV, stderr=subprocess.PIPE, text=True
    )
    run = work / "runs" / "score" / "test"
    deadline = time.monotonic() + 120
    while not (run / ".hydra").is_dir() and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        time.sleep(0.05)
    time.sleep(1.0)  # inside the run: reading, scoring or explaining
    process.send_signal(signum)
    _, err = process.communicate(timeout=120)
    assert process.returncode == status, err[-2000:]
    assert not run.exists(), sorted(p.name for p in run.rglob("*"))
