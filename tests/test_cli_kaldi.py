"""`balr train` and `balr binarize` on Kaldi ark/scp files with a VoxCeleb trial list."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from balr.data import AudioDataset
from balr.data.kaldi_write import write_ark, write_scp, write_utt2spk

DIM = 16
SMALL = [
    "trainer.epochs=1",
    "trainer.val_period=1",
    f"trainer.input_dim={DIM}",
    "trainer.internal_dim=32",
    "trainer.val_scorer_speakers=0",
    "data.N_classes_per_batch=4",
    "data.M_samples_per_class=4",
    "data.batch_size=16",
]


def kaldi_split(folder: Path, speakers: range, scp: bool) -> list[str]:
    """Clustered vectors of `speakers` (4 utterances each) as an ark (+ scp) and utt2spk."""
    rng = np.random.default_rng(speakers.start)
    ids, rows, names = [], [], []
    for s in speakers:
        centre = rng.standard_normal(DIM)
        for u in range(4):
            ids.append(f"id{s:05d}/vid{u}/0000{u}")
            rows.append(centre + 0.3 * rng.standard_normal(DIM))
            names.append(f"id{s:05d}")
    folder.mkdir(parents=True)
    offsets = write_ark(folder / "xvector.ark", ids, np.asarray(rows, np.float32))
    if scp:
        write_scp(folder / "xvector.scp", ids, Path("xvector.ark"), offsets)
    write_utt2spk(folder / "utt2spk", ids, names)
    return ids


@pytest.fixture
def kaldi_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    kaldi_split(tmp_path / "train", range(8), scp=False)
    val = kaldi_split(tmp_path / "val", range(100, 104), scp=True)
    lines = [
        f"{int(a[:7] == b[:7])} {a}.wav {b}.wav\n" for i, a in enumerate(val) for b in val[i + 1 :]
    ]
    (tmp_path / "trials.txt").write_text("".join(lines))
    return tmp_path


@pytest.mark.slow  # two Hydra runs: ~7 s
def test_train_and_binarize_from_ark_and_scp(kaldi_data: Path) -> None:
    train, val = "train/xvector.ark", "val/xvector.scp"
    args = ["train", train, val, "data.val_trials=trials.txt", *SMALL, "--save-dir", "run"]
    assert main(args) == 0
    assert (kaldi_data / "run" / "best.pt").is_file()
    checkpoint = "encoder.model.checkpoint_path=run/best.pt"
    assert main(["binarize", val, checkpoint, "--save-dir", "ba"]) == 0
    packed = AudioDataset.from_path(kaldi_data / "ba")
    assert (
        len(packed) == 16 and packed.get_item("id00101/vid2/00002").binary_attributes.numel() == 32
    )
    assert sorted(p.name for p in (kaldi_data / "val").iterdir()) == [
        "utt2spk",
        "xvector.ark",
        "xvector.scp",
    ]
