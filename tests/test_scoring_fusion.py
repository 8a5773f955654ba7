"""Fusion of several systems' score files: fitted like the calibration, applied, refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from balr.errors import DatasetError
from balr.evaluation.calibration import cllr
from balr.evaluation.fusion import FusedSystem, Fusion, FusionError
from balr.scoring.fuse import align_score_files, apply_fusion, fuse, system_names


def _scores(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy views of one latent evidence: fusing them beats either."""
    rng = np.random.default_rng(seed)
    labels = rng.random(n) < 0.3
    latent = np.where(labels, 2.0, -2.0)
    return np.column_stack([latent + rng.normal(0, 2, n), 3 * latent + rng.normal(0, 5, n)]), labels


def _write(path: Path, scores: np.ndarray, labels: np.ndarray, order: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "enrollment": [f"e{i}" for i in order],
            "test": [f"t{i}" for i in order],
            "llr": scores[order],
            "label": labels[order].astype(np.int8),
        }
    ).write_csv(path, separator="\t")
    return path


def test_fusion_weights_minimise_the_balanced_logistic_loss() -> None:
    scores, labels = _scores()
    fusion = Fusion.fit(scores, labels, [FusedSystem("a", 0), FusedSystem("b", 0)])
    fused = fusion.apply_unbounded(scores)
    best = cllr(fused, labels)
    weights = np.array([s.weight for s in fusion.systems])
    for delta in ([0.05, 0, 0], [0, 0.05, 0], [0, 0, 0.1], [-0.05, 0, 0], [0, -0.02, 0]):
        moved = scores @ (weights + delta[:2]) + fusion.offset + delta[2]
        assert cllr(moved, labels) > best
    assert best < min(cllr(Fusion.fit(scores[:, [i]], labels, [FusedSystem("x", 0)])
        .apply_unbounded(scores[:, [i]]), labels) for i in range(2))  # fmt: skip


def test_one_system_fusion_is_the_affine_calibration() -> None:
    from balr.evaluation.logistic import newton_logistic

    scores, labels = _scores()
    fusion = Fusion.fit(scores[:, :1], labels, [FusedSystem("a", 0)])
    x = (scores[:, 0] - scores[:, 0].mean()) / scores[:, 0].std()
    theta = newton_logistic(
        np.column_stack([x, np.ones_like(x)]), labels, np.array([1e-6, 0]), np.zeros(2)
    )
    fused = fusion.apply_unbounded(scores[:, :1])
    np.testing.assert_allclose(fused, theta[0] * x + theta[1], atol=1e-9)


def test_score_files_are_matched_by_comparison_not_row(tmp_path: Path) -> None:
    scores, labels = _scores(50)
    order = np.arange(50)
    a = _write(tmp_path / "a" / "scores.tsv", scores[:, 0], labels, order)
    b = _write(tmp_path / "b" / "scores.tsv", scores[:, 1], labels, order[::-1])
    aligned = align_score_files([a, b])
    np.testing.assert_allclose(aligned.scores, scores)
    assert system_names([a, b]) == ["a", "b"]


def test_fuse_writes_fusion_json_and_parts_that_add_up(tmp_path: Path) -> None:
    scores, labels = _scores()
    order = np.arange(len(labels))
    a = _write(tmp_path / "beta" / "scores.tsv", scores[:, 0], labels, order)
    b = _write(tmp_path / "plda" / "scores.tsv", scores[:, 1], labels, order)
    out = tmp_path / "fused"
    out.mkdir()
    fusion = fuse([a, b], out)
    record = json.loads((out / "fusion.json").read_text())
    assert [s["name"] for s in record["systems"]] == ["beta", "plda"]
    assert record["systems"][0]["scores"] == str(a.absolute())
    table = pl.read_csv(out / "scores.tsv", separator="\t")
    total = table["part_beta"] + table["part_plda"] + fusion.offset
    np.testing.assert_allclose(table["llr_unbounded"], total, atol=1e-5)
    assert fusion.bounds is not None and record["bounds"]["kind"] == "elub"
    np.testing.assert_allclose(table["llr"], fusion.bounds.clip(table["llr_unbounded"]))
    assert json.loads((out / "metrics.json").read_text())["cllr"] < 1
    again = tmp_path / "again"
    again.mkdir()
    apply_fusion(out / "fusion.json", [a, b], again)
    np.testing.assert_allclose(
        pl.read_csv(again / "scores.tsv", separator="\t")["llr"], table["llr"]
    )


def test_without_bounds_the_fused_llr_is_the_sum_of_the_parts(tmp_path: Path) -> None:
    scores, labels = _scores()
    order = np.arange(len(labels))
    a = _write(tmp_path / "a" / "scores.tsv", scores[:, 0], labels, order)
    b = _write(tmp_path / "b" / "scores.tsv", scores[:, 1], labels, order)
    fusion = fuse([a, b], tmp_path, bounds=False)
    table = pl.read_csv(tmp_path / "scores.tsv", separator="\t")
    assert fusion.bounds is None and "llr_unbounded" not in table.columns
    assert json.loads((tmp_path / "fusion.json").read_text())["bounds"] is None
    loaded = Fusion.load(tmp_path / "fusion.json")
    np.testing.assert_allclose(table["llr"], loaded.apply(scores), atol=1e-5)


def test_score_files_of_other_trials_are_refused(tmp_path: Path) -> None:
    scores, labels = _scores(20)
    a = _write(tmp_path / "a.tsv", scores[:, 0], labels, np.arange(20))
    b = _write(tmp_path / "b.tsv", scores[:, 1], labels, np.arange(1, 20))
    with pytest.raises(DatasetError, match=r"b.tsv: no score for e0 vs t0 \(line 2 of"):
        align_score_files([a, b])


def test_one_score_file_given_twice_is_refused(tmp_path: Path) -> None:
    scores, labels = _scores(20)
    a = _write(tmp_path / "a.tsv", scores[:, 0], labels, np.arange(20))
    with pytest.raises(FusionError, match=r"a.tsv: given twice \(as .*a.tsv too\)"):
        fuse([a, tmp_path / "." / "a.tsv"], tmp_path / "run")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{", "cannot read the fusion"),
        ('{"kind": "affine", "a": 1, "b": 0}', "not a balr fusion file"),
        ('{"kind": "fusion", "offset": 0, "systems": []}', "'systems' must be a non-empty list"),
        ('{"kind": "fusion", "offset": 0, "systems": [{"name": "a", "weight": "x"}]}', "weight"),
        ('{"kind": "fusion", "systems": [{"name": "a", "weight": 1}]}', "'offset'"),
    ],
)
def test_malformed_fusion_json_is_one_line(tmp_path: Path, content: str, match: str) -> None:
    path = tmp_path / "fusion.json"
    path.write_text(content)
    with pytest.raises(FusionError, match=match) as caught:
        Fusion.load(path)
    assert "\n" not in str(caught.value)
