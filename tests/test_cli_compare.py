"""`balr compare`: a case report from files or dataset ids, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from balr.cli.main import main
from balr.cli.paths import sample_datasets
from balr.data.vectors import save_vector
from balr.evaluation.calibration import Calibration
from balr.scoring import BetaScorer, load_scorer
from tests.onnx_models import mean_fbank_model

SHARED = Path(__file__).resolve().parents[2] / "shared"
BAE = SHARED / "models" / "BAE_mse.pt"
SAMPLE_VAL = sample_datasets()[1]
AUDIO = SHARED / "data" / "librispeech-audio" / "val" / "1116-132847-0000.flac"
AUDIO2 = SHARED / "data" / "librispeech-audio" / "val" / "1355-39947-0000.flac"
K = 24


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fitted scorer (24 attributes), _ba files, a calibration with labelled scores."""
    root = tmp_path_factory.mktemp("compare")
    rng = np.random.default_rng(1)
    rates = rng.uniform(0.1, 0.7, (30, K))
    bits = (rng.uniform(size=(90, K)) < np.repeat(rates, 3, axis=0)).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, np.repeat(np.arange(30), 3))
    scorer.save(root / "scorer")
    for i in range(4):
        save_vector(root / f"r{i}_ba.npy", bits[i])
    save_vector(root / "wide_ba.npy", np.zeros(K + 8, np.uint8))
    (root / "cal").mkdir()
    Calibration(0.5, -0.5).save(root / "cal" / "calibration.json")
    lines = ["enrollment\ttest\tllr\tlog10_lr\tlabel"]
    lines += [f"a\tb{i}\t{v}\t{v / 2.3}\t{i % 2}" for i, v in enumerate(rng.normal(0, 3, 40))]
    (root / "cal" / "scores.tsv").write_text("\n".join(lines) + "\n")
    return root


def scorer512(folder: Path) -> Path:
    """A beta scorer over 512 attributes (the width of BAE_mse.pt) in folder/scorer512."""
    rng = np.random.default_rng(0)
    bits = (rng.uniform(size=(60, 512)) < 0.3).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, np.repeat(np.arange(20), 3))
    scorer.save(folder / "scorer512")
    return folder / "scorer512"


def run(material: Path, tmp_path: Path, monkeypatch, *args: str) -> int:
    monkeypatch.chdir(tmp_path)
    return main(["compare", *args, "--scorer", str(material / "scorer")])


def test_ba_files_give_the_three_report_files_and_the_scorers_llr(
    material: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    enroll = f"{material / 'r0_ba.npy'},{material / 'r1_ba.npy'}"
    assert run(material, tmp_path, monkeypatch, enroll, str(material / "r2_ba.npy")) == 0
    out_dir = tmp_path / "runs" / "compare" / "case"
    for name in ("report.html", "report.json", "contributions.png"):
        assert (out_dir / name).is_file()
    report = json.loads((out_dir / "report.json").read_text())
    scorer = load_scorer(material / "scorer")
    from balr.scoring import Counts

    e = np.stack([np.load(material / f"r{i}_ba.npy") for i in (0, 1)]).astype(np.int64)
    t = np.load(material / "r2_ba.npy").astype(np.int64)[None]
    expected = scorer.score_counts(Counts(e.sum(0)[None], 2 - e.sum(0)[None]),
                                   Counts(t, 1 - t))[0]  # fmt: skip
    assert report["llr"] == pytest.approx(expected) and not report["calibrated"]
    assert len(report["enrollment"]) == 2 and report["test"][0]["kind"] == "binary_attributes"
    assert report["test"][0]["sha256"] and report["placement"] is None
    out = " ".join(capsys.readouterr().out.split())
    assert f"log10 LR = {report['log10_lr']:+.2f}" in out and report["verbal"]["phrase"] in out
    # A second comparison claims the next run dir.
    assert run(material, tmp_path, monkeypatch, enroll, str(material / "r3_ba.npy")) == 0
    assert (tmp_path / "runs" / "compare" / "case2" / "report.html").is_file()


def test_calibration_applies_and_its_scores_place_the_lr(
    material: Path, tmp_path: Path, monkeypatch
) -> None:
    cal = material / "cal" / "calibration.json"
    sides = [str(material / "r0_ba.npy"), str(material / "r1_ba.npy")]
    status = run(
        material, tmp_path, monkeypatch, *sides, "--calibration", str(cal), "--save-dir", "out"
    )
    assert status == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["llr"] == pytest.approx(0.5 * report["llr_raw"] - 0.5)
    assert report["calibration"]["a"] == 0.5 and report["calibration"]["sha256"]
    placement = report["placement"]
    assert placement["n_target"] == 20 and placement["n_nontarget"] == 20
    assert placement["same_data_as_calibration"] and (tmp_path / "out" / "placement.png").is_file()
    assert "Where this LR sits" in (tmp_path / "out" / "report.html").read_text()


def test_a_calibration_of_another_scorer_is_refused_unless_forced(
    material: Path, tmp_path: Path, monkeypatch, capsys
) -> None:
    cal = tmp_path / "other.json"
    Calibration(0.5, -0.5, scorer={"sha256": "0" * 64, "path": "elsewhere"}).save(cal)
    sides = [str(material / "r0_ba.npy"), str(material / "r1_ba.npy")]
    assert run(material, tmp_path, monkeypatch, *sides, "--calibration", str(cal)) == 2
    err = capsys.readouterr().err
    assert "another scorer (elsewhere" in err and "--force-calibration" in err
    assert not (tmp_path / "runs" / "compare" / "case").exists()
    forced = [*sides, "--calibration", str(cal), "--force-calibration"]
    assert run(material, tmp_path, monkeypatch, *forced) == 0


@pytest.mark.parametrize(
    ("sides", "extra", "message"),
    [
        ((",", "r1_ba.npy"), [], "enrollment side"),
        (("r0_ba.npy", "wide_ba.npy"), [], "has 32 binary attributes but the scorer has 24"),
        (("r0_ba.npy", "nothing_here"), [], "'nothing_here' is not a file"),
        (("r0_ba.npy", "r1_ba.npy"), ["--calibration", "missing.json"], "missing.json"),
        (("r0_ba.npy", "r1_ba.npy"), ["--data", "nowhere.csv"], "nowhere.csv"),
        (("r0_ba.npy", "r1_ba.npy"), ["--segments", "-1"], "--segments -1.0: give a segment"),
        (("r0_ba.npy", "r1_ba.npy"), ["--segments", "inf"], "--segments inf: give a segment"),
        (("r0_ba.npy", "r1_ba.npy"), ["--segments", "0.01"], "between 0.5 and 3600 seconds"),
        (("r0_ba.npy", "r1_ba.npy"), ["segments=0.01"], "segments=0.01: give a segment"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    material: Path, tmp_path: Path, monkeypatch, capsys, sides, extra, message
) -> None:
    files = [s if s in (",", "nothing_here") else str(material / s) for s in sides]
    assert run(material, tmp_path, monkeypatch, *files, *extra) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("balr: error:") and message in err and "\n" not in err
    runs = tmp_path / "runs" / "compare"
    assert not runs.exists() or not any(runs.iterdir())


def test_missing_scorer_is_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["compare", "a_ba.npy", "b_ba.npy", "--scorer", "no_scorer"]) == 2
    assert "--scorer no_scorer: no scorer.json there" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_embeddings_without_a_checkpoint_ask_for_one(material: Path, tmp_path, monkeypatch, capsys):
    save_vector(tmp_path / "x_emb.npy", np.ones(8, np.float32))
    status = run(material, tmp_path, monkeypatch, str(tmp_path / "x_emb.npy"),
                 str(material / "r1_ba.npy"))  # fmt: skip
    assert status == 2
    assert "encoder.model.checkpoint_path" in capsys.readouterr().err


@pytest.mark.skipif(not BAE.is_file(), reason="shared material not present")
def test_dataset_ids_are_binarised_with_the_checkpoint(tmp_path: Path, monkeypatch) -> None:
    """Ids of the bundled (packed) sample, binarised by BA-LR 2.0's 512-attribute model."""
    scorer512(tmp_path)
    monkeypatch.chdir(tmp_path)
    status = main([
        "compare", "ls1116/132847-0000-s00,ls1116/132847-0000-s01", "ls1116/132847-0000-s02",
        "--data", str(SAMPLE_VAL), "--scorer", "scorer512", "--save-dir", "out",
        f"encoder.model.checkpoint_path={BAE}",
    ])  # fmt: skip
    assert status == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [r["kind"] for r in report["enrollment"]] == ["embedding", "embedding"]
    assert report["enrollment"][0]["name"] == "ls1116/132847-0000-s00"
    # A packed row is identified by the sha256 of its vector's bytes.
    assert len(report["enrollment"][0]["sha256"]) == 64
    assert report["enrollment"][0]["sha256"] != report["enrollment"][1]["sha256"]
    assert sum(a["enroll_total"] == 2 for a in report["attributes"]) == 512
    # The model that made the attributes is part of the provenance; ids show where they live.
    (model,) = report["models"]
    assert model["name"] == "binary-attribute encoder" and model["path"] == str(BAE)
    assert len(model["sha256"]) == 64
    page = (tmp_path / "out" / "report.html").read_text()
    assert f"<code>{BAE}</code>" in page and "read from <code>" in page


@pytest.mark.skipif(not (BAE.is_file() and AUDIO2.is_file()), reason="shared audio not present")
def test_audio_cut_into_segments_counts_each_segment(tmp_path: Path, monkeypatch) -> None:
    scorer512(tmp_path)
    monkeypatch.chdir(tmp_path)
    status = main([
        "compare", str(AUDIO), str(AUDIO2), "--segments", "4", "--scorer", "scorer512",
        "--save-dir", "out", f"encoder.model.checkpoint_path={BAE}",
    ])  # fmt: skip
    assert status == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert len(report["enrollment"]) >= 2 and report["enrollment"][0]["kind"] == "audio"
    assert report["enrollment"][0]["sha256"] == report["enrollment"][1]["sha256"]
    assert report["enrollment"][1]["name"] == f"{AUDIO}-s01"
    names = [m["name"] for m in report["models"]]
    assert names == ["speaker encoder ge2e", "binary-attribute encoder"]
    assert all(len(m["sha256"]) == 64 for m in report["models"])


@pytest.mark.skipif(not BAE.is_file(), reason="shared material not present")
def test_embedding_of_another_dimension_is_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    scorer512(tmp_path)
    save_vector(tmp_path / "small_emb.npy", np.ones(8, np.float32))
    save_vector(tmp_path / "other_emb.npy", np.zeros(8, np.float32))
    monkeypatch.chdir(tmp_path)
    status = main(["compare", "small_emb.npy", "other_emb.npy", "--scorer", "scorer512",
                   f"encoder.model.checkpoint_path={BAE}"])  # fmt: skip
    assert status == 2
    err = capsys.readouterr().err
    assert "enrollment recording small_emb.npy: an embedding has 8 dimensions" in err
    assert "expects 256" in err
    assert not (tmp_path / "runs").exists()


def test_the_page_names_the_reference_set_score_train_recorded(tmp_path: Path, monkeypatch) -> None:
    """scorer.json keeps a readable name of the reference set; the page shows it, path aside."""
    from tests.score_data import write_attributes

    ref = write_attributes(tmp_path / "vox2dev", speakers=12, per_speaker=3, seed=1)
    monkeypatch.chdir(tmp_path)
    assert main(["score", "train", str(ref)]) == 0
    assert main(["score", "train", str(ref), "reference_name=VoxCeleb2 dev"]) == 0
    meta = json.loads((tmp_path / "runs" / "scorer" / "train" / "scorer.json").read_text())
    assert meta["reference"]["name"] == "vox2dev/data.csv"
    assert meta["reference"]["path"] == str(ref.absolute())
    assert meta["reference"]["speakers"] == 12
    sides = [str(tmp_path / "vox2dev" / f"s{i}u0_ba.npy") for i in (0, 1)]
    for run, name in (("train", "vox2dev/data.csv"), ("train2", "VoxCeleb2 dev")):
        out = tmp_path / f"case_{run}"
        scorer = str(tmp_path / "runs" / "scorer" / run)
        assert main(["compare", *sides, "--scorer", scorer, "--save-dir", str(out)]) == 0
        report = json.loads((out / "report.json").read_text())
        assert report["scorer"]["reference"] == name
        assert report["scorer"]["reference_path"] == str(ref.absolute())
        page = (out / "report.html").read_text()
        assert f"the reference set <b>{name}</b> (12 speakers, 36 recordings)" in page
        assert f"<code>{ref.absolute()}</code>" in page


def test_a_scorer_validated_at_train_time_places_an_uncalibrated_lr(
    tmp_path: Path, monkeypatch
) -> None:
    """`balr score train --val` keeps its validation scores; compare draws on them."""
    from tests.score_data import all_pairs, write_attributes

    ref = write_attributes(tmp_path / "ref", speakers=12, per_speaker=3, seed=1, prefix="r")
    dev = write_attributes(tmp_path / "dev", speakers=6, per_speaker=3, seed=2)
    trials = all_pairs(tmp_path / "dev.tsv", 6, 3)
    monkeypatch.chdir(tmp_path)
    assert main(["score", "train", str(ref), "--val", str(dev), str(trials)]) == 0
    run = tmp_path / "runs" / "scorer" / "train"
    assert (run / "scores.tsv").is_file()
    sides = [str(tmp_path / "dev" / "s0u0_ba.npy"), str(tmp_path / "dev" / "s0u1_ba.npy")]
    assert main(["compare", *sides, "--scorer", str(run), "--save-dir", "case"]) == 0
    placement = json.loads((tmp_path / "case" / "report.json").read_text())["placement"]
    assert placement["source"] == str(run / "scores.tsv") and not placement["calibrated"]
    assert placement["n_target"] == 18 and placement["n_nontarget"] == 135


def test_scorers_that_differ_only_in_settings_have_different_digests(
    tmp_path: Path, monkeypatch
) -> None:
    """dna's drop_in lives in scorer.json alone (same parameters.npz), yet changes the LR."""
    from tests.score_data import write_attributes

    ref = write_attributes(tmp_path / "ref", speakers=12, per_speaker=3, seed=1)
    monkeypatch.chdir(tmp_path)
    for drop_in in ("0.1", "0.3"):
        assert main(["score", "train", str(ref), "scorer=dna", f"scorer.drop_in={drop_in}"]) == 0
    sides = [str(tmp_path / "ref" / f"s{i}u0_ba.npy") for i in (0, 1)]
    reports = []
    for run in ("train", "train2"):
        scorer = tmp_path / "runs" / "scorer" / run
        assert main(["compare", *sides, "--scorer", str(scorer), "--save-dir", run]) == 0
        reports.append(json.loads((tmp_path / run / "report.json").read_text()))
    first, second = (r["scorer"] for r in reports)
    assert first["sha256"] == second["sha256"]  # parameters.npz: the same numbers
    assert first["settings_sha256"] != second["settings_sha256"]
    assert reports[0]["llr"] != reports[1]["llr"]
    page = (tmp_path / "train" / "report.html").read_text()
    assert first["settings_sha256"] in page and "scorer.json" in page


@pytest.mark.skipif(not (BAE.is_file() and AUDIO.is_file()), reason="shared audio not present")
def test_audio_goes_through_an_onnx_extractor_when_selected(tmp_path: Path, monkeypatch) -> None:
    # 256 outputs: the embedding width BAE_mse.pt reads.
    model = mean_fbank_model(tmp_path / "model.onnx", dim=256)
    scorer512(tmp_path)
    monkeypatch.chdir(tmp_path)
    status = main([
        "compare", str(AUDIO), str(AUDIO2), "--scorer", "scorer512", "--save-dir", "out",
        "extractor=onnx", f"extractor.path={model}", f"encoder.model.checkpoint_path={BAE}",
    ])  # fmt: skip
    assert status == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    speaker_encoder = report["models"][0]
    assert speaker_encoder["name"] == "speaker encoder onnx"
    assert speaker_encoder["path"] == str(model)
