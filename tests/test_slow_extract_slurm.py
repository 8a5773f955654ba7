"""`balr extract --shards 2` through the `hydra/launcher=slurm` preset on a real Slurm cluster.

.ci/run starts a one-node cluster (../shared/slurm/start-local-slurm.sh) and exports
BALR_SLURM_PARTITION; without it these tests are skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from balr.data import AudioDataset

PARTITION = os.environ.get("BALR_SLURM_PARTITION")
SHARED = Path(__file__).resolve().parents[2] / "shared"
AUDIO = SHARED / "data" / "librispeech-audio" / "val"
FILES = ("8226-274369-0000", "1624-142933-0000", "2764-36616-0000")
# The sacct stand-in of the local cluster (see ../shared/slurm/README.md).
SACCT_BIN = "/var/lib/local-slurm/bin"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not PARTITION or shutil.which("sbatch") is None, reason="no Slurm cluster to submit to"
    ),
    pytest.mark.skipif(not AUDIO.is_dir(), reason="shared audio not present"),
]


def slurm_overrides() -> list[str]:
    return [
        "hydra/launcher=slurm",
        f"hydra.launcher.partition={PARTITION}",
        "hydra.launcher.cpus_per_task=1",
        "hydra.launcher.mem_gb=1",
        "hydra.launcher.timeout_min=5",
    ]


def extract_on_slurm(cwd: Path, audio: Path, out: str, limit_s: float = 300) -> str:
    command = [sys.executable, "-m", "balr", "extract", str(audio), "--save-dir", out]
    command += ["--shards", "2", *slurm_overrides()]
    env = dict(os.environ, PATH=f"{SACCT_BIN}:{os.environ.get('PATH', '')}")
    log = cwd / f"{out}.out"
    # A file, not a pipe: nobody reads a pipe while the launcher polls Slurm.
    with log.open("w") as handle:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=handle)
        deadline = time.monotonic() + limit_s
        while process.poll() is None and time.monotonic() < deadline:
            time.sleep(1)
        if process.poll() is None:
            process.kill()
            process.wait()
    output = log.read_text()
    assert process.returncode == 0, output[-3000:]
    return output


@pytest.fixture
def cancel_leftovers(tmp_path: Path) -> Iterator[None]:
    """A failed or timed-out test must not leave its jobs on the cluster for the next one."""
    yield
    for folder in (tmp_path / "two").glob(".submitit/*"):
        subprocess.run(["scancel", folder.name.split("_")[0]], check=False)


@pytest.mark.usefixtures("cancel_leftovers")
def test_two_slurm_shards_give_the_vectors_of_one_local_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in FILES:
        folder = tmp_path / "audio" / f"ls{name.split('-')[0]}"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(AUDIO / f"{name}.flac", folder)
    assert main(["extract", str(tmp_path / "audio"), "--save-dir", "one"]) == 0
    extract_on_slurm(tmp_path, tmp_path / "audio", "two")
    assert list((tmp_path / "two").glob(".submitit/*")), "the shards did not go through Slurm"
    one = AudioDataset.from_path(tmp_path / "one" / "extracted.csv")
    two = AudioDataset.from_path(tmp_path / "two" / "extracted.csv")
    assert one.ids == two.ids and len(one) == 3
    for a, b in zip(one, two, strict=True):
        # Equal up to float summation order (the LSTM batches differ between the runs).
        np.testing.assert_allclose(a.embedding, b.embedding, atol=1e-6)
        assert a.speaker == b.speaker

    # Rerun (as a requeued job would): every shard finds its files done and rewrites none.
    vectors = sorted((tmp_path / "two").rglob("*_emb.npy"))
    stamps = [p.stat().st_mtime_ns for p in vectors]
    extract_on_slurm(tmp_path, tmp_path / "audio", "two")
    assert [p.stat().st_mtime_ns for p in vectors] == stamps
    logs = "".join(p.read_text() for p in (tmp_path / "two").glob("*/extract.log"))
    assert logs.count("nothing to do") >= 2, logs[-2000:]
