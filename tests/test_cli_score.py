"""`balr score train|test|calibrate` through the real CLI, on small attribute datasets."""

from __future__ import annotations

import csv
import inspect
import json
import math
from dataclasses import fields
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from balr.cli.main import main
from balr.config.scoring import SCORER_CONFIGS, SCORER_ONLY_KEYS
from balr.data import AudioDataset
from balr.data.attributes import load_attribute_table
from balr.scoring import EMBEDDING_SCORERS, SCORERS, Counts, load_scorer
from balr.scoring.explain_file import write_explanations
from balr.scoring.trials import read_comparisons
from tests.score_data import all_pairs, write_attributes

SPEAKERS, PER = 6, 3


@pytest.fixture
def ref(work: Path) -> Path:
    return write_attributes(work / "ref", speakers=12, per_speaker=3, seed=1, prefix="r")


@pytest.fixture
def data(work: Path) -> Path:
    return write_attributes(work / "data", speakers=SPEAKERS, per_speaker=PER, seed=2)


@pytest.fixture
def scorer_dir(ref: Path, work: Path) -> Path:
    assert main(["score", "train", str(ref)]) == 0
    return work / "runs" / "scorer" / "train"


def read_tsv(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_train_writes_a_self_describing_run_dir_and_a_fit_summary(
    ref: Path, work: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["score", "train", str(ref)]) == 0
    run = work / "runs" / "scorer" / "train"
    for name in ("scorer.json", "parameters.npz", "attributes.tsv", "summary.json"):
        assert (run / name).is_file(), name
    assert (run / ".hydra" / "config.yaml").is_file() and (run / "score_train.log").is_file()
    err = capsys.readouterr().err
    assert "fitted beta on 36 recordings of 12 speakers" in err and "attributes used" in err
    assert load_scorer(run).n_attributes == 16
    assert main(["score", "train", str(ref), "scorer=maxllr"]) == 0
    assert load_scorer(work / "runs" / "scorer" / "train2").name == "maxllr"


def test_test_writes_scores_metrics_and_a_summary(scorer_dir: Path, data: Path, work: Path) -> None:
    trials = all_pairs(work / "trials.tsv", SPEAKERS, PER)
    assert main(["score", "test", str(data), str(trials), "--scorer", str(scorer_dir)]) == 0
    out = work / "runs" / "score" / "test"
    rows = read_tsv(out / "scores.tsv")
    assert list(rows[0]) == ["enrollment", "test", "llr", "log10_lr", "label"]
    assert len(rows) == math.comb(SPEAKERS * PER, 2)
    for row in rows[:5]:
        assert float(row["log10_lr"]) == pytest.approx(float(row["llr"]) / math.log(10), abs=1e-5)
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics) == {
        "eer", "min_dcf_0.01", "min_dcf_0.05", "cllr", "cllr_min", "cllr_cal", "n_target",
        "n_nontarget",
    }  # fmt: skip
    assert metrics["n_target"] == SPEAKERS * math.comb(PER, 2)
    assert metrics["eer"] < 25  # speaker-specific rates: the scorer separates them
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "score" and summary["metrics"]["eer"] == metrics["eer"]


def test_calibrate_then_test_with_the_calibration(scorer_dir: Path, data: Path, work: Path) -> None:
    trials = all_pairs(work / "trials.tsv", SPEAKERS, PER)
    assert main(["score", "test", str(data), str(trials), "--scorer", str(scorer_dir)]) == 0
    dev_scores = work / "runs" / "score" / "test" / "scores.tsv"
    assert main(["score", "calibrate", str(dev_scores), "--bounds", "none"]) == 0
    cal_dir = work / "runs" / "score" / "calibrate"
    record = json.loads((cal_dir / "calibration.json").read_text())
    assert record["cllr_after"] <= record["cllr_before"] + 1e-9
    assert record["data"]["n_target"] == SPEAKERS * math.comb(PER, 2)
    assert (cal_dir / "scores.tsv").read_bytes() == dev_scores.read_bytes()
    args = ["--scorer", str(scorer_dir), "--calibration", str(cal_dir / "calibration.json")]
    assert main(["score", "test", str(data), str(trials), *args]) == 0
    rows = read_tsv(work / "runs" / "score" / "test2" / "scores.tsv")
    assert list(rows[0]) == ["enrollment", "test", "llr", "llr_raw", "log10_lr", "label"]
    for row in rows[:5]:
        expected = record["a"] * float(row["llr_raw"]) + record["b"]
        assert float(row["llr"]) == pytest.approx(expected, abs=1e-4)


def test_unlabelled_casework_gets_scores_without_metrics(scorer_dir: Path, work: Path) -> None:
    data = write_attributes(work / "case", speakers=2, per_speaker=2, with_speaker=False)
    trials = work / "case.tsv"
    trials.write_text("enrollment\ttest\ns0/u0,s0/u1\ts1/u0\n")
    args = ["--scorer", str(scorer_dir), "--explain", "4"]
    assert main(["score", "test", str(data), str(trials), *args]) == 0
    out = work / "runs" / "score" / "test"
    rows = read_tsv(out / "scores.tsv")
    assert list(rows[0]) == ["enrollment", "test", "llr", "log10_lr"]
    assert rows[0]["enrollment"] == "s0/u0,s0/u1"
    assert not (out / "metrics.json").exists()
    explained = read_tsv(out / "explain.tsv")
    assert [r["rank"] for r in explained] == ["1", "2", "3", "4", "5"]
    top, others = explained[:4], explained[4]
    assert all(r["enrollment_counts"] in ("0/2", "1/1", "2/0") for r in top)
    sizes = [abs(float(r["contribution"])) for r in top]
    assert sizes == sorted(sizes, reverse=True)
    assert others["attribute"] == "others" and others["enrollment_counts"] == "12 attributes"
    # The listed attributes and the others add up to the comparison's LLR.
    total = sum(float(r["contribution"]) for r in explained)
    assert total == pytest.approx(float(rows[0]["llr"]), abs=1e-3)


def test_explain_lists_the_largest_contributions(scorer_dir: Path, data: Path, work: Path) -> None:
    trials = work / "one.tsv"
    trials.write_text("enrollment\ttest\ns0/u0\ts0/u1\n")
    args = ["--scorer", str(scorer_dir), "--explain", "16"]
    assert main(["score", "test", str(data), str(trials), *args]) == 0
    out = work / "runs" / "score" / "test"
    explained = read_tsv(out / "explain.tsv")
    llr = float(read_tsv(out / "scores.tsv")[0]["llr"])
    # All 16 attributes listed (no others left): their contributions sum to the LLR.
    assert sorted(int(r["attribute"]) for r in explained[:16]) == list(range(16))
    assert float(explained[16]["contribution"]) == pytest.approx(0, abs=1e-9)
    assert sum(float(r["contribution"]) for r in explained) == pytest.approx(llr, abs=1e-2)


def test_a_ba_lr_style_scorer_choice_loads_the_run(
    scorer_dir: Path, data: Path, work: Path
) -> None:
    trials = all_pairs(work / "trials.tsv", SPEAKERS, PER)
    args = ["scorer=beta", f"scorer.checkpoint_path={scorer_dir}"]
    assert main(["score", "test", str(data), str(trials), *args]) == 0
    assert (work / "runs" / "score" / "test" / "metrics.json").is_file()


def test_plots_are_written(scorer_dir: Path, data: Path, work: Path) -> None:
    trials = all_pairs(work / "trials.tsv", SPEAKERS, PER)
    assert (
        main(["score", "test", str(data), str(trials), "--scorer", str(scorer_dir), "--plots"]) == 0
    )
    for name in ("tippett.png", "ece.png", "pav.png"):
        png = work / "runs" / "score" / "test" / name
        assert png.read_bytes()[:4] == b"\x89PNG", name


def test_a_sweep_of_scorers_ends_with_a_summary_table(
    ref: Path, data: Path, work: Path, capsys: pytest.CaptureFixture
) -> None:
    names = ",".join(SCORERS)
    trials = all_pairs(work / "trials.tsv", SPEAKERS, PER)
    val = ["--val", str(data), str(trials)]
    assert main(["score", "train", "-m", str(ref), f"scorer={names}", *val]) == 0
    sweep = work / "multirun" / "scorer" / "train"
    table = pl.read_csv(sweep / "summary.csv")
    assert sorted(table["scorer"].to_list()) == sorted(SCORERS)
    assert set(table["run"].to_list()) == {f"scorer={name}" for name in SCORERS}
    assert "attributes" in table.columns and "sweep" in capsys.readouterr().out
    cllr_min = table["cllr_min"].to_list()
    assert cllr_min == sorted(cllr_min) and all(0 <= v < 1 for v in cllr_min)


def test_a_drop_in_sweep_names_each_job_after_its_value(ref: Path, work: Path) -> None:
    assert main(["score", "train", "-m", str(ref), "scorer=dna", "scorer.drop_in=0.1,0.2"]) == 0
    table = pl.read_csv(work / "multirun" / "scorer" / "train" / "summary.csv")
    assert set(table["run"].to_list()) == {
        "scorer.drop_in=0.1,scorer=dna",
        "scorer.drop_in=0.2,scorer=dna",
    }
    assert "eer" not in table.columns  # no --val: fit diagnostics only


def test_trials_writes_speaker_disjoint_lists(
    data: Path, work: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["score", "trials", str(data), "--out-dir", "lists", "--seed", "3"]) == 0
    speakers = []
    for name in ("trials1.tsv", "trials2.tsv"):
        rows = read_tsv(work / "lists" / name)
        assert {r["label"] for r in rows} == {"0", "1"}
        speakers.append({r[side].split("/")[0] for r in rows for side in ("enrollment", "test")})
    assert not speakers[0] & speakers[1] and len(speakers[0] | speakers[1]) == SPEAKERS
    assert "same-speaker" in capsys.readouterr().out
    assert main(["score", "trials", str(data), "--out-dir", "lists"]) == 2  # never overwrites


@pytest.mark.parametrize("name", sorted(SCORER_CONFIGS))
def test_scorer_configs_mirror_the_scorer_constructors(name: str) -> None:
    config = SCORER_CONFIGS[name]()
    cls = {**SCORERS, **EMBEDDING_SCORERS}[name]
    assert config._target_ == f"balr.scoring.{cls.__name__}"
    params = {
        p.name: p.default
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self"
    }
    keys = {f.name: getattr(config, f.name) for f in fields(config)}
    keys = {k: v for k, v in keys.items() if k != "_target_" and k not in SCORER_ONLY_KEYS}
    assert keys == params


def test_score_files_keep_ids_that_look_like_numbers(scorer_dir: Path, work: Path) -> None:
    data = write_attributes(work / "num", speakers=2, per_speaker=2, prefix="0")
    trials = work / "num.tsv"
    trials.write_text("enrollment\ttest\n00/u0\t01/u1\n")
    assert main(["score", "test", str(data), str(trials), "--scorer", str(scorer_dir)]) == 0
    rows = read_tsv(work / "runs" / "score" / "test" / "scores.tsv")
    assert rows[0]["enrollment"] == "00/u0" and rows[0]["label"] == "0"
    assert np.isfinite(float(rows[0]["llr"]))


def test_embeddings_are_binarised_in_memory_by_an_encoder_checkpoint(work: Path) -> None:
    torch = pytest.importorskip("torch")
    from balr.models import AutoEncoder

    torch.manual_seed(0)
    checkpoint = work / "bae.pt"
    torch.save(AutoEncoder(8, 12).state_dict(), checkpoint)
    rng = np.random.default_rng(0)
    lines = ["id,embedding,speaker"]
    for s in range(5):
        centre = rng.normal(size=8)
        for u in range(3):
            np.save(work / f"e{s}{u}.npy", (centre + 0.1 * rng.normal(size=8)).astype(np.float32))
            lines.append(f"e{s}/u{u},e{s}{u}.npy,e{s}")
    (work / "emb.csv").write_text("\n".join(lines) + "\n")
    encoder = f"encoder.model.checkpoint_path={checkpoint}"
    assert main(["score", "train", "emb.csv", encoder, "scorer.min_speakers=1"]) == 0
    run = work / "runs" / "scorer" / "train"
    assert load_scorer(run).n_attributes == 12
    trials = all_pairs(work / "trials.tsv", 5, 3, prefix="e")
    assert main(["score", "test", "emb.csv", str(trials), "--scorer", str(run), encoder]) == 0
    rows = read_tsv(work / "runs" / "score" / "test" / "scores.tsv")
    assert len(rows) == math.comb(15, 2) and all(np.isfinite(float(r["llr"])) for r in rows)


def test_a_test_sweep_over_scorer_dirs_numbers_its_jobs(
    scorer_dir: Path, ref: Path, data: Path, work: Path
) -> None:
    assert main(["score", "train", str(ref), "scorer=dna"]) == 0
    other = scorer_dir.parent / "train2"
    trials = all_pairs(work / "trials.tsv", SPEAKERS, PER)
    sweep = f"scorer_dir='{scorer_dir}','{other}'"
    assert main(["score", "test", "-m", str(data), str(trials), sweep]) == 0
    table = pl.read_csv(work / "multirun" / "score" / "test" / "summary.csv")
    assert sorted(table["run"].to_list()) == ["job0_", "job1_"]
    assert sorted(table["scorer"].to_list()) == ["beta", "dna"]


def test_an_unquoted_path_with_equals_in_a_sweep_is_one_line(
    data: Path, work: Path, capsys: pytest.CaptureFixture
) -> None:
    trials = all_pairs(work / "trials.tsv", SPEAKERS, PER)
    assert main(["score", "test", "-m", str(data), str(trials), "scorer_dir=a=b,c"]) == 2
    assert "quote values" in capsys.readouterr().err
    assert not (work / "multirun").exists()


def test_a_ba_lr_2_scorer_pt_loads_with_scorer_name(data: Path, work: Path) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    alpha = torch.tensor(rng.uniform(0.5, 3.0, size=(16, 2)), dtype=torch.float32)
    torch.save({"alpha": alpha}, work / "scorer.pt")
    trials = all_pairs(work / "trials.tsv", SPEAKERS, PER)
    args = ["scorer=beta", f"scorer.checkpoint_path={work / 'scorer.pt'}"]
    assert main(["score", "test", str(data), str(trials), *args]) == 0
    summary = json.loads((work / "runs" / "score" / "test" / "summary.json").read_text())
    assert summary["scorer"] == "beta" and summary["scorer_dir"].endswith("scorer.pt")
    # A relative path works too (made absolute before Hydra runs).
    relative = ["scorer=beta", "scorer.checkpoint_path=scorer.pt"]
    assert main(["score", "test", str(data), str(trials), *relative]) == 0


def test_explanations_of_one_recording_sides_match_the_scorer_contributions(
    scorer_dir: Path, work: Path
) -> None:
    scorer = load_scorer(scorer_dir)
    dataset = AudioDataset.from_path(write_attributes(work / "d", speakers=2, per_speaker=2))
    attributes = load_attribute_table(dataset, progress=False)
    trials = work / "pairs.tsv"
    trials.write_text("enrollment\ttest\ns0/u0\ts1/u1\ns1/u0\ts1/u1\n")
    comparisons = read_comparisons(trials, attributes.ids, attributes.labels)
    assert comparisons.single()
    write_explanations(work / "fast.tsv", scorer, attributes.bits, comparisons, 16)
    sides = (comparisons.enroll_rows[1], comparisons.test_rows[1])
    expected = scorer.contributions(*(Counts.of_rows(attributes.bits, [r]) for r in sides))[0]
    listed = read_tsv(work / "fast.tsv")[17:33]  # the second comparison's 16 attributes
    assert {r["enrollment"] for r in listed} == {"s1/u0"}
    for row in listed:
        assert float(row["contribution"]) == pytest.approx(
            expected[int(row["attribute"])], abs=1e-4
        )


def test_runs_shows_training_and_scoring_runs_in_separate_tables(
    scorer_dir: Path, work: Path, capsys: pytest.CaptureFixture
) -> None:
    trained = work / "runs" / "train"
    trained.mkdir(parents=True)
    summary = {"losses": {"mse": 1.0}, "input_dim": 8, "internal_dim": 16, "best": {}}
    (trained / "summary.json").write_text(json.dumps(summary))
    capsys.readouterr()
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert out.count("1 run(s)") == 2  # one table per kind
    assert "losses" in out and "attributes" in out and "16/16" in out
    assert main(["runs", "--csv"]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert header[:2] == ["run", "losses"] and "scorer" in header and "cllr_min" not in header


def test_ba_lr_2_settings_at_test_time_configure_its_scorer_pt(
    ref: Path, data: Path, work: Path
) -> None:
    # BA-LR 2.0's spelling, its n_attributes key included, with a setting of the scorer type.
    torch = pytest.importorskip("torch")
    state = {"typicality": torch.full((16,), 0.4), "dropout": torch.full((16,), 0.1)}
    torch.save(state, work / "dna.pt")
    trials = all_pairs(work / "trials.tsv", SPEAKERS, PER)
    llrs = []
    for drop_in in ("0.12", "0.3"):
        args = ["scorer=dna", f"scorer.drop_in={drop_in}", "scorer.n_attributes=16"]
        args += ["scorer.checkpoint_path=dna.pt", "--save-dir", f"dna{drop_in}"]
        assert main(["score", "test", str(data), str(trials), *args]) == 0
        llrs.append([float(r["llr"]) for r in read_tsv(work / f"dna{drop_in}" / "scores.tsv")])
    assert llrs[0] != llrs[1]
    assert main(["score", "train", str(ref), "scorer=maxllr", "scorer.n_attributes=16"]) == 0


def test_a_failed_validation_leaves_an_existing_scorer_dir_as_it_was(
    ref: Path, data: Path, work: Path
) -> None:
    assert main(["score", "train", str(ref), "--save-dir", "fitted"]) == 0
    before = {p.name: p.read_bytes() for p in (work / "fitted").iterdir() if p.is_file()}
    bad = work / "bad.tsv"
    bad.write_text("enrollment\ttest\ns0/u0\tghost\n")
    args = ["scorer=dna", "--save-dir", "fitted", "--exist-ok", "--val", str(data), str(bad)]
    assert main(["score", "train", str(ref), *args]) == 2
    after = {p.name: p.read_bytes() for p in (work / "fitted").iterdir() if p.is_file()}
    for name in ("scorer.json", "parameters.npz", "attributes.tsv", "summary.json"):
        assert after[name] == before[name], name
