"""`balr binarize` of a packed dataset writes a packed dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from balr.cli.main import main
from balr.cli.paths import sample_datasets
from balr.data import AudioDataset
from balr.data.packed import is_packed_dir
from balr.models import BinaryAttributeAutoEncoder


def test_packed_input_gives_a_packed_output_with_the_models_attributes(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["train", "--save-dir", "run", "trainer.epochs=1", "trainer.internal_dim=32"]) == 0
    _, val_dir, _ = sample_datasets()
    checkpoint = tmp_path / "run" / "best.pt"
    args = [str(val_dir), f"encoder.model.checkpoint_path={checkpoint}", "--save-dir", "ba"]
    assert main(["binarize", *args]) == 0
    out = tmp_path / "ba"
    assert is_packed_dir(out) and (out / "binary_attributes.npy").is_file()
    packed = AudioDataset.from_path(out)
    source = AudioDataset.from_path(val_dir)
    assert [item.id for item in packed] == [item.id for item in source]
    model = BinaryAttributeAutoEncoder(checkpoint)
    expected = model.binarize_embeddings(source[3].embedding.unsqueeze(0))[0]
    assert np.array_equal(np.asarray(packed[3].binary_attributes), expected.numpy())
    assert not any(p.name.endswith("_ba.txt") for p in out.rglob("*"))
