"""`balr score` with scorer=cosine|plda on embeddings, `balr score fuse` and `--fusion`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from tests.score_data import all_pairs, write_attributes

DIM, K = 6, 16


def write_both(folder: Path, speakers: int, per: int, seed: int, prefix: str = "s") -> Path:
    """A CSV dataset whose items have an embedding and binary attributes (like balr binarize)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lines = ["id,embedding,binary_attributes,speaker"]
    for s in range(speakers):
        centre, rates = rng.normal(size=DIM) * 2, rng.choice([0.1, 0.9], size=K)
        for u in range(per):
            np.save(folder / f"{prefix}{s}u{u}_emb.npy", centre + rng.normal(size=DIM))
            np.save(folder / f"{prefix}{s}u{u}_ba.npy", (rng.random(K) < rates).astype(np.uint8))
            name = f"{prefix}{s}u{u}"
            lines.append(f"{prefix}{s}/u{u},{name}_emb.npy,{name}_ba.npy,{prefix}{s}")
    (folder / "data.csv").write_text("\n".join(lines) + "\n")
    return folder / "data.csv"


@pytest.fixture
def ref(work: Path) -> Path:
    return write_both(work / "ref", speakers=12, per=4, seed=1, prefix="r")


@pytest.fixture
def data(work: Path) -> Path:
    return write_both(work / "data", speakers=6, per=3, seed=2)


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def score(*args: str) -> int:
    return main(["score", *args])


@pytest.mark.parametrize("name", ["plda", "cosine"])
def test_train_and_test_an_embedding_scorer(name: str, ref: Path, data: Path, work: Path) -> None:
    assert score("train", str(ref), f"scorer={name}", "--save-dir", "sc") == 0
    described = json.loads((work / "sc" / "scorer.json").read_text())
    assert described["type"] == name and described["input"] == "embeddings"
    assert described["dim"] == DIM and described["reference"]["speakers"] == 12
    trials = all_pairs(work / "trials.tsv", speakers=6, per_speaker=3)
    assert score("test", str(data), str(trials), "--scorer", "sc", "--save-dir", "t") == 0
    rows = read_tsv(work / "t" / "scores.tsv")
    assert len(rows) == 153 and all(np.isfinite(float(r["llr"])) for r in rows)
    metrics = json.loads((work / "t" / "metrics.json").read_text())
    assert metrics["eer"] < 20


def test_plda_scores_multi_recording_sides(ref: Path, data: Path, work: Path) -> None:
    assert score("train", str(ref), "scorer=plda", "--save-dir", "sc") == 0
    trials = work / "multi.tsv"
    trials.write_text("enrollment\ttest\ns0/u0,s0/u1\ts0/u2\ns0/u0,s0/u1\ts1/u0,s1/u1\n")
    assert score("test", str(data), str(trials), "--scorer", "sc", "--save-dir", "t") == 0
    same, different = (float(r["llr"]) for r in read_tsv(work / "t" / "scores.tsv"))
    assert same > 0 > different


def test_plda_on_binary_attributes_is_one_line(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bits = write_attributes(work / "bits", speakers=6, per_speaker=3)
    assert score("train", str(bits), "scorer=plda", "--save-dir", "sc") == 2
    err = capsys.readouterr().err.strip()
    assert "holds binary attributes, not embeddings" in err and "\n" not in err
    assert not (work / "sc").exists()


def test_explain_needs_a_binary_attribute_scorer(
    ref: Path, data: Path, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert score("train", str(ref), "scorer=cosine", "--save-dir", "sc") == 0
    trials = all_pairs(work / "trials.tsv", speakers=6, per_speaker=3)
    capsys.readouterr()
    assert score("test", str(data), str(trials), "--scorer", "sc", "--explain", "3") == 2
    assert "--explain splits LLRs by binary attribute" in capsys.readouterr().err


def test_fuse_then_score_test_with_the_fusion_gives_the_same_llrs(
    ref: Path, data: Path, work: Path
) -> None:
    trials = all_pairs(work / "trials.tsv", speakers=6, per_speaker=3)
    for name in ("beta", "plda"):
        assert score("train", str(ref), f"scorer={name}", "--save-dir", f"sc/{name}") == 0
        args = ["test", str(data), str(trials), "--scorer", f"sc/{name}", "--save-dir", name]
        assert score(*args) == 0
    assert score("fuse", "beta/scores.tsv", "plda/scores.tsv", "--save-dir", "fused") == 0
    fusion = json.loads((work / "fused" / "fusion.json").read_text())
    assert [s["name"] for s in fusion["systems"]] == ["beta", "plda"]
    assert fusion["systems"][1]["scorer"] == str((work / "sc" / "plda").absolute())
    args = ["test", str(data), str(trials), "--fusion", "fused/fusion.json", "--save-dir", "ft"]
    assert score(*args) == 0
    fitted = [float(r["llr"]) for r in read_tsv(work / "fused" / "scores.tsv")]
    tested = read_tsv(work / "ft" / "scores.tsv")
    np.testing.assert_allclose([float(r["llr"]) for r in tested], fitted, atol=1e-5)
    assert {"part_beta", "part_plda"} <= set(tested[0])
    applied = ["fuse", "--apply", "fused/fusion.json", "beta/scores.tsv", "plda/scores.tsv"]
    assert score(*applied, "--save-dir", "ap") == 0
    assert read_tsv(work / "ap" / "scores.tsv") == read_tsv(work / "fused" / "scores.tsv")


def test_fusion_of_other_trials_or_a_bad_file_is_one_line(
    ref: Path, data: Path, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trials = all_pairs(work / "trials.tsv", speakers=6, per_speaker=3)
    fewer = work / "fewer.tsv"
    fewer.write_text("".join(trials.read_text().splitlines(keepends=True)[:-1]))
    assert score("train", str(ref), "scorer=cosine", "--save-dir", "sc") == 0
    for name, path in (("a", trials), ("b", fewer)):
        assert score("test", str(data), str(path), "--scorer", "sc", "--save-dir", name) == 0
    capsys.readouterr()
    assert score("fuse", "a/scores.tsv", "b/scores.tsv", "--save-dir", "f") == 2
    err = capsys.readouterr().err.strip()
    assert "b/scores.tsv: no score for s5/u1 vs s5/u2" in err and "\n" not in err
    assert not (work / "f").exists()
    bad = work / "fusion.json"
    bad.write_text('{"kind": "fusion", "offset": 0, "systems": [{"name": "a"}]}')
    assert score("test", str(data), str(trials), "--fusion", str(bad), "--save-dir", "x") == 2
    err = capsys.readouterr().err.strip()
    assert "systems[0] (a): 'weight' must be a finite number" in err and "\n" not in err
    assert score("test", str(data), str(trials), "--fusion", str(bad), "--plots") == 2
    assert "drop --explain and --plots" in capsys.readouterr().err


def test_describe_an_embedding_scorer(
    ref: Path, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert score("train", str(ref), "scorer=plda", "--save-dir", "sc") == 0
    capsys.readouterr()
    assert score("describe", "sc") == 0
    out = capsys.readouterr().out
    assert f"plda scorer of {DIM}-dimensional embeddings" in out
    assert "48 recordings of 12 speakers" in out and "preprocessing: centred" in out


def test_compare_explains_a_fused_lr_system_by_system(ref: Path, data: Path, work: Path) -> None:
    trials = all_pairs(work / "trials.tsv", speakers=6, per_speaker=3)
    for name in ("beta", "cosine"):
        assert score("train", str(ref), f"scorer={name}", "--save-dir", f"sc/{name}") == 0
        args = ["test", str(data), str(trials), "--scorer", f"sc/{name}", "--save-dir", name]
        assert score(*args) == 0
    assert score("fuse", "beta/scores.tsv", "cosine/scores.tsv", "--save-dir", "fused") == 0
    args = ["compare", "s0/u0", "s0/u1", "--data", str(data), "--scorer", "sc/beta"]
    assert main([*args, "--fusion", "fused/fusion.json", "--save-dir", "case"]) == 0
    report = json.loads((work / "case" / "report.json").read_text())
    fused = report["fusion"]
    assert [s["name"] for s in fused["systems"]] == ["beta", "cosine"]
    assert fused["systems"][0]["score"] == pytest.approx(report["llr_raw"])
    total = fused["offset"] + sum(s["part"] for s in fused["systems"])
    assert report["llr_unbounded"] == pytest.approx(total)
    bounds = json.loads((work / "fused" / "fusion.json").read_text())["bounds"]
    low, high = bounds["log10_lower"], bounds["log10_upper"]
    assert report["log10_lr"] == pytest.approx(min(max(total / np.log(10), low), high))
    assert report["calibration"]["method"] == "fusion"
    assert "Fused systems" in (work / "case" / "report.html").read_text()


def test_runs_table_shows_an_embedding_scorers_dimensions() -> None:
    from balr.cli.runs_cmd import score_row_of

    row = score_row_of(Path("run"), {"kind": "scorer", "scorer": "plda", "dim": 256})
    assert row["attributes"] == "256 dims"
