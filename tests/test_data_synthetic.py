"""The synthetic VoxCeleb2-shaped generator: shapes, counts, determinism, formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.data import AudioDataset, load_embedding_table
from balr.data.synthetic import generate, main, noise_for_eer, utterance_counts


def table(path: Path):  # type: ignore[no-untyped-def]
    return load_embedding_table(AudioDataset.from_path(path), use_cache=False, progress=False)


def test_counts_sum_to_the_total_with_at_least_two_each() -> None:
    counts = utterance_counts(50, 1000, seed=1)
    assert counts.shape == (50,) and counts.sum() == 1000 and counts.min() >= 2


def test_counts_are_long_tailed() -> None:
    counts = utterance_counts(2000, 200_000, seed=0)
    assert counts.max() > 3 * np.median(counts)


def test_too_few_utterances_are_refused() -> None:
    with pytest.raises(ValueError, match="utterances >= 2 \\* speakers"):
        utterance_counts(10, 19, seed=0)


def test_packed_dataset_has_the_requested_shape(tmp_path: Path) -> None:
    got = table(generate(tmp_path / "p", speakers=7, utterances=40, dim=12, fmt="packed", seed=3))
    assert (len(got), got.dim, got.num_speakers) == (40, 12, 7)
    np.testing.assert_allclose(got.embeddings.norm(dim=1).numpy(), 1.0, rtol=1e-5)
    assert got.ids[:2] == ["id00000/00000", "id00000/00001"] and got.ids == sorted(got.ids)


@pytest.mark.parametrize("fmt", ["txt", "npy", "pkl"])
def test_per_file_formats_match_the_packed_vectors(tmp_path: Path, fmt: str) -> None:
    files = table(generate(tmp_path / fmt, 4, 10, 8, fmt, seed=5))
    packed = table(generate(tmp_path / "packed", 4, 10, 8, "packed", seed=5))
    assert files.ids == packed.ids and files.labels.tolist() == packed.labels.tolist()
    np.testing.assert_array_equal(files.embeddings.numpy(), packed.embeddings.numpy())


def test_same_seed_same_data_other_seed_other_data(tmp_path: Path) -> None:
    a = table(generate(tmp_path / "a", 5, 20, 8, "packed", seed=1))
    b = table(generate(tmp_path / "b", 5, 20, 8, "packed", seed=1))
    c = table(generate(tmp_path / "c", 5, 20, 8, "packed", seed=2))
    assert np.array_equal(a.embeddings.numpy(), b.embeddings.numpy())
    assert not np.array_equal(a.embeddings.numpy(), c.embeddings.numpy())


def test_per_file_output_has_a_csv_with_id_embedding_speaker(tmp_path: Path) -> None:
    csv_path = generate(tmp_path / "d", 2, 4, 4, "npy", seed=0)
    assert csv_path == tmp_path / "d/data.csv"
    assert csv_path.read_text().splitlines()[:2] == [
        "id,embedding,speaker",
        "id00000/00000,embeddings/id00000/00000_emb.npy,id00000",
    ]


def test_same_speaker_pairs_score_higher_than_different_ones(tmp_path: Path) -> None:
    got = table(generate(tmp_path / "p", 20, 200, 64, "packed", seed=0))
    vectors, labels = got.embeddings.numpy(), got.labels.numpy()
    scores = vectors @ vectors.T
    same = labels[:, None] == labels[None, :]
    off_diagonal = ~np.eye(len(got), dtype=bool)
    assert scores[same & off_diagonal].mean() > scores[~same].mean() + 0.3


def test_noise_shrinks_with_the_target_eer() -> None:
    assert noise_for_eer(256, 0.01) < noise_for_eer(256, 0.05)


def test_command_line_writes_a_packed_dataset(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    args = [str(tmp_path / "cli"), "--speakers", "3", "--utterances", "9", "--dim", "4"]
    assert main([*args, "--format", "packed", "--seed", "7"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "cli")
    assert len(table(tmp_path / "cli")) == 9


def test_command_line_reports_bad_sizes(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main([str(tmp_path / "x"), "--speakers", "5", "--utterances", "3"]) == 2
    assert "utterances >= 2" in capsys.readouterr().err
