"""`balr extract --workers 2` killed by SIGKILL or stopped by SIGTERM leaves no process behind."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.extract_shared import SHARED, needs_shared

AUDIO = SHARED / "data" / "librispeech-audio" / "val"

pytestmark = [pytest.mark.slow, needs_shared(AUDIO)]


def session_members(sid: int) -> list[int]:
    """Pids of the live (not zombie) processes of session `sid`."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:
            members.append(int(entry.name))
    return members


def start_extract(tmp_path: Path) -> subprocess.Popen[str]:
    """`balr extract` of 8 recordings with 2 workers, one file per batch, in its own session."""
    audio = tmp_path / "audio"
    audio.mkdir()
    for source in sorted(AUDIO.glob("*.flac"))[:8]:
        shutil.copy(source, audio)
    command = [sys.executable, "-m", "balr", "extract", str(audio), "--workers", "2"]
    return subprocess.Popen(
        [*command, "extract.batch_files=1", "--save-dir", str(tmp_path / "out")],
        cwd=tmp_path,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_for_workers(process: subprocess.Popen[str], out: Path) -> None:
    """Return once the workers have written a first vector (they are running then)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        if any(out.rglob("*_emb.npy")):
            return
        time.sleep(0.05)
    status = process.poll()
    err = process.communicate()[1][-2000:] if status is not None else ""
    pytest.fail(f"no worker output before the signal (status {status}): {err}")


def survivors_after(sid: int, seconds: float) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := session_members(sid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigkill_of_the_parent_ends_every_worker(tmp_path: Path) -> None:
    process = start_extract(tmp_path)
    try:
        wait_for_workers(process, tmp_path / "out")
        assert len(session_members(process.pid)) >= 3  # parent, fork server, workers
        process.kill()
        process.wait(timeout=10)
        left = survivors_after(process.pid, 10)
        assert not left, f"processes outlived their killed parent: {left}"
    finally:
        for pid in session_members(process.pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_stops_cleanly_with_status_143_and_no_process_left(tmp_path: Path) -> None:
    process = start_extract(tmp_path)
    try:
        wait_for_workers(process, tmp_path / "out")
        process.terminate()
        _, err = process.communicate(timeout=30)
        assert process.returncode == 143, err[-2000:]
        assert err.strip().splitlines()[-1] == "balr: stopped by SIGTERM"
        assert "Traceback" not in err
        assert not survivors_after(process.pid, 10)
        assert not list((tmp_path / "out").rglob(".*tmp*"))
    finally:
        for pid in session_members(process.pid):
            os.kill(pid, signal.SIGKILL)
