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


@pytest.fixture(scope="module")
def systems(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder (read only by the tests) with data/, trials.tsv and, per scorer beta, cosine
    and plda, a run sc/NAME trained on ref/ and its scores NAME/scores.tsv on the trials."""
    root = tmp_path_factory.mktemp("systems")
    ref = write_both(root / "ref", speakers=12, per=4, seed=1, prefix="r")
    data = write_both(root / "data", speakers=6, per=3, seed=2)
    trials = all_pairs(root / "trials.tsv", speakers=6, per_speaker=3)
    for name in ("beta", "cosine", "plda"):
        run = root / "sc" / name
        assert score("train", str(ref), f"scorer={name}", "--save-dir", str(run)) == 0
        args = [str(data), str(trials), "--scorer", str(run), "--save-dir", str(root / name)]
        assert score("test", *args) == 0
    return root


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def score(*args: str) -> int:
    return main(["score", *args])


@pytest.mark.parametrize("name", ["plda", "cosine"])
def test_train_and_test_an_embedding_scorer(name: str, systems: Path) -> None:
    described = json.loads((systems / "sc" / name / "scorer.json").read_text())
    assert described["type"] == name and described["input"] == "embeddings"
    assert described["dim"] == DIM and described["reference"]["speakers"] == 12
    rows = read_tsv(systems / name / "scores.tsv")
    column = "llr" if name == "plda" else "score"  # an uncalibrated cosine is no LLR
    assert len(rows) == 153 and all(np.isfinite(float(r[column])) for r in rows)
    metrics = json.loads((systems / name / "metrics.json").read_text())
    assert metrics["eer"] < 20


def test_uncalibrated_cosine_scores_are_a_score_column_without_cllr(
    systems: Path, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(systems / "data/data.csv"), str(systems / "trials.tsv")]
    capsys.readouterr()
    assert score("test", *args, "--scorer", str(systems / "sc/cosine"), "--save-dir", "t") == 0
    log = capsys.readouterr().err
    rows = read_tsv(work / "t" / "scores.tsv")
    assert list(rows[0]) == ["enrollment", "test", "score", "label"]
    assert all(-1.0 <= float(r["score"]) <= 1.0 for r in rows)
    metrics = json.loads((work / "t" / "metrics.json").read_text())
    assert {"eer", "cllr_min", "min_dcf_0.01"} <= set(metrics)
    assert "cllr" not in metrics and "cllr_cal" not in metrics
    assert "raw cosine similarities (not LLRs): calibrate them" in log
    assert " Cllr " not in log and "raw LLRs" not in log


def test_cosine_validation_metrics_have_no_cllr(
    systems: Path, work: Path, ref: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from balr.cli.runs_cmd import score_row_of

    val = ["--val", str(systems / "data/data.csv"), str(systems / "trials.tsv")]
    capsys.readouterr()
    assert score("train", str(ref), "scorer=cosine", *val, "--save-dir", "sc") == 0
    summary = json.loads((work / "sc" / "summary.json").read_text())
    assert {"eer", "cllr_min", "min_dcf_0.01"} <= set(summary["metrics"])
    assert "cllr" not in summary["metrics"] and "cllr_cal" not in summary["metrics"]
    assert score_row_of(work / "sc", summary)["cllr"] is None  # `balr runs`, sweep table
    assert " Cllr " not in capsys.readouterr().err


def test_plots_of_uncalibrated_cosine_are_pav_only(
    systems: Path, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(systems / "data/data.csv"), str(systems / "trials.tsv"), "--plots"]
    capsys.readouterr()
    assert score("test", *args, "--scorer", str(systems / "sc/cosine"), "--save-dir", "t") == 0
    assert (work / "t" / "pav.png").is_file()
    assert not (work / "t" / "tippett.png").exists() and not (work / "t" / "ece.png").exists()
    assert "--plots: pav.png only; Tippett and ECE plots show LLRs" in capsys.readouterr().err
    assert score("test", *args, "--scorer", str(systems / "sc/plda"), "--save-dir", "p") == 0
    assert all((work / "p" / f"{name}.png").is_file() for name in ("pav", "tippett", "ece"))


def test_calibrated_cosine_scores_are_llrs_with_cllr(work: Path, ref: Path) -> None:
    train = [str(ref), "scorer=cosine", "--calibrate", "3", "--save-dir", "sc"]
    assert score("train", *train) == 0
    data = write_both(work / "data", speakers=6, per=3, seed=2)
    trials = all_pairs(work / "trials.tsv", speakers=6, per_speaker=3)
    assert score("test", str(data), str(trials), "--scorer", "sc", "--save-dir", "t") == 0
    rows = read_tsv(work / "t" / "scores.tsv")
    assert {"llr", "llr_raw", "log10_lr"} <= set(rows[0]) and "score" not in rows[0]
    assert "cllr" in json.loads((work / "t" / "metrics.json").read_text())


def test_validate_refuses_uncalibrated_cosine_scores_in_one_line(
    systems: Path, capsys: pytest.CaptureFixture[str], work: Path
) -> None:
    capsys.readouterr()
    assert main(["validate", str(systems / "cosine" / "scores.tsv")]) == 2
    err = capsys.readouterr().err.strip()
    assert "only a 'score' column of raw scores" in err and "calibrate them first" in err
    assert "\n" not in err
    assert not (work / "runs").exists()


def test_plda_scores_multi_recording_sides(systems: Path, work: Path) -> None:
    trials = work / "multi.tsv"
    trials.write_text("enrollment\ttest\ns0/u0,s0/u1\ts0/u2\ns0/u0,s0/u1\ts1/u0,s1/u1\n")
    args = [str(systems / "data/data.csv"), str(trials), "--scorer", str(systems / "sc/plda")]
    assert score("test", *args, "--save-dir", "t") == 0
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
    systems: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(systems / "data/data.csv"), str(systems / "trials.tsv")]
    capsys.readouterr()
    assert score("test", *args, "--scorer", str(systems / "sc/cosine"), "--explain", "3") == 2
    assert "--explain splits LLRs by binary attribute" in capsys.readouterr().err


def test_fuse_then_score_test_with_the_fusion_gives_the_same_llrs(
    systems: Path, work: Path
) -> None:
    beta, plda = str(systems / "beta/scores.tsv"), str(systems / "plda/scores.tsv")
    assert score("fuse", beta, plda, "--save-dir", "fused") == 0
    fusion = json.loads((work / "fused" / "fusion.json").read_text())
    assert [s["name"] for s in fusion["systems"]] == ["beta", "plda"]
    assert fusion["systems"][1]["scorer"] == str(systems / "sc" / "plda")
    data, trials = str(systems / "data/data.csv"), str(systems / "trials.tsv")
    assert score("test", data, trials, "--fusion", "fused/fusion.json", "--save-dir", "ft") == 0
    fitted = [float(r["llr"]) for r in read_tsv(work / "fused" / "scores.tsv")]
    tested = read_tsv(work / "ft" / "scores.tsv")
    np.testing.assert_allclose([float(r["llr"]) for r in tested], fitted, atol=1e-5)
    assert {"part_beta", "part_plda"} <= set(tested[0])
    assert score("fuse", "--apply", "fused/fusion.json", beta, plda, "--save-dir", "ap") == 0
    assert read_tsv(work / "ap" / "scores.tsv") == read_tsv(work / "fused" / "scores.tsv")


def test_fusion_of_other_trials_or_a_bad_file_is_one_line(
    systems: Path, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, trials = str(systems / "data/data.csv"), systems / "trials.tsv"
    fewer = work / "fewer.tsv"
    fewer.write_text("".join(trials.read_text().splitlines(keepends=True)[:-1]))
    cosine = str(systems / "sc/cosine")
    assert score("test", data, str(fewer), "--scorer", cosine, "--save-dir", "b") == 0
    capsys.readouterr()
    assert score("fuse", str(systems / "cosine/scores.tsv"), "b/scores.tsv", "--save-dir", "f") == 2
    err = capsys.readouterr().err.strip()
    assert "b/scores.tsv: no score for s5/u1 vs s5/u2" in err and "\n" not in err
    assert not (work / "f").exists()
    bad = work / "fusion.json"
    bad.write_text('{"kind": "fusion", "offset": 0, "systems": [{"name": "a"}]}')
    assert score("test", data, str(trials), "--fusion", str(bad), "--save-dir", "x") == 2
    err = capsys.readouterr().err.strip()
    assert "systems[0] (a): 'weight' must be a finite number" in err and "\n" not in err
    assert score("test", data, str(trials), "--fusion", str(bad), "--plots") == 2
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


def test_compare_explains_a_fused_lr_system_by_system(
    systems: Path, work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beta, cosine = str(systems / "beta/scores.tsv"), str(systems / "cosine/scores.tsv")
    assert score("fuse", beta, cosine, "--save-dir", "fused") == 0
    data, scorer = str(systems / "data/data.csv"), str(systems / "sc/beta")
    args = ["compare", "s0/u0", "s0/u1", "--data", data, "--scorer", scorer]
    capsys.readouterr()
    assert main([*args, "--fusion", "fused/fusion.json", "--save-dir", "case"]) == 0
    log = capsys.readouterr().err
    assert "calibration: the fusion" in log and "raw LLRs" not in log  # cosine is no LLR
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
