"""Scorer folders (scorer.json, parameters.npz, attributes.tsv) and BA-LR 2.0 scorer.pt files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch

from balr.scoring import SCORERS, BetaScorer, ScorerError, load_scorer
from balr.scoring.base import Scorer
from tests.scoring_reference import make_reference

SETTINGS = {
    "beta": {"n_iterations": 300, "tol": 1e-7, "min_speakers": 3, "prior_precision": 1.5},
    "maxllr": {"f": 0.4, "p": 0.8, "q": 0.2, "n_iterations": 50, "min_speakers": 2},
    "dna": {"drop_in": 0.2, "min_speakers": 2},
    "speech": {"drop_in": 0.05, "typicality_threshold": 1e-3},
}


def _fitted(name: str) -> tuple[Scorer, np.ndarray]:
    bits, labels = make_reference(seed=11, k=20)
    bits[:, 0] = 0
    scorer = SCORERS[name](**SETTINGS.get(name, {}))
    scorer.fit(bits, labels)
    return scorer, bits


@pytest.mark.parametrize("name", sorted(SCORERS))
def test_round_trip_gives_bit_identical_scores(tmp_path: Path, name: str) -> None:
    scorer, bits = _fitted(name)
    scorer.save(tmp_path / "run")
    loaded = load_scorer(tmp_path / "run")
    assert type(loaded) is type(scorer)
    for key, value in scorer.parameters().items():
        assert loaded.parameters()[key].dtype == np.float64
        np.testing.assert_array_equal(loaded.parameters()[key], value)
    np.testing.assert_array_equal(
        loaded.score_matrix(bits[:30], bits[30:]), scorer.score_matrix(bits[:30], bits[30:])
    )
    np.testing.assert_array_equal(loaded.excluded, scorer.excluded)
    assert loaded.attribute_frame().equals(scorer.attribute_frame())


@pytest.mark.parametrize("name", sorted(SCORERS))
def test_scorer_json_records_type_settings_and_diagnostics(tmp_path: Path, name: str) -> None:
    scorer, bits = _fitted(name)
    scorer.save(tmp_path)
    description = json.loads((tmp_path / "scorer.json").read_text())
    assert description["type"] == name
    assert description["settings"] == scorer.hyperparameters()
    for key, value in SETTINGS.get(name, {}).items():
        assert description["settings"][key] == value
    assert description["n_attributes"] == bits.shape[1]
    assert description["reference"] == {"speakers": 40, "recordings": len(bits)}
    assert description["fit"]["excluded"]["dead"] == 1
    assert {"converged", "iterations", "max_change", "notes"} <= set(description["fit"])
    assert description["balr_version"]
    # Settings come back too (not only parameters).
    assert load_scorer(tmp_path / "scorer.json").hyperparameters() == scorer.hyperparameters()


def test_attributes_tsv_has_one_row_per_attribute(tmp_path: Path) -> None:
    scorer, bits = _fitted("beta")
    scorer.save(tmp_path)
    frame = pl.read_csv(tmp_path / "attributes.tsv", separator="\t")
    assert frame.columns == [
        "index",
        "rate",
        "speaker_share",
        "typicality",
        "dropout",
        "alpha",
        "beta",
        "excluded",
        "reason",
    ]
    assert frame.height == bits.shape[1]
    assert frame["excluded"][0] == 1 and frame["reason"][0] == "dead"
    np.testing.assert_allclose(frame["rate"].to_numpy(), bits.mean(axis=0))
    np.testing.assert_array_equal(frame["alpha"].to_numpy(), scorer.parameters()["alpha"])


def test_parameters_npz_holds_no_pickled_object(tmp_path: Path) -> None:
    _fitted("beta")[0].save(tmp_path)
    with np.load(tmp_path / "parameters.npz", allow_pickle=False) as archive:
        assert all(archive[name].dtype != object for name in archive.files)


def test_kind_mismatch_is_refused(tmp_path: Path) -> None:
    _fitted("beta")[0].save(tmp_path)
    with pytest.raises(ScorerError, match="holds a beta scorer, not maxllr"):
        load_scorer(tmp_path, kind="maxllr")


def test_foreign_or_malformed_folders_are_refused_in_one_line(tmp_path: Path) -> None:
    with pytest.raises(ScorerError, match="not found"):
        load_scorer(tmp_path)
    (tmp_path / "scorer.json").write_text('{"format": "something-else"}')
    with pytest.raises(ScorerError, match="not a balr scorer"):
        load_scorer(tmp_path)
    (tmp_path / "scorer.json").write_text("{not json")
    with pytest.raises(ScorerError, match="unreadable"):
        load_scorer(tmp_path)
    _fitted("beta")[0].save(tmp_path)
    (tmp_path / "parameters.npz").write_bytes(b"garbage")
    with pytest.raises(ScorerError, match=r"parameters\.npz") as error:
        load_scorer(tmp_path)
    assert "\n" not in str(error.value)


def test_wrong_attribute_count_in_parameters_is_refused(tmp_path: Path) -> None:
    _fitted("beta")[0].save(tmp_path)
    description = json.loads((tmp_path / "scorer.json").read_text())
    description["n_attributes"] = 64
    (tmp_path / "scorer.json").write_text(json.dumps(description))
    with pytest.raises(ScorerError, match=r"expected \(64,\)"):
        load_scorer(tmp_path)


def test_balr_2_beta_state_dict_loads_with_its_kind(tmp_path: Path) -> None:
    alpha = torch.tensor([[0.5, 1.5], [2.0, 3.0], [float("nan"), 1.0]], dtype=torch.float32)
    torch.save({"alpha": alpha}, tmp_path / "scorer.pt")
    scorer = load_scorer(tmp_path / "scorer.pt", kind="beta")
    assert isinstance(scorer, BetaScorer)
    assert scorer.n_attributes == 3
    np.testing.assert_array_equal(scorer.alpha[:2], alpha[:2, 0].double().numpy())
    np.testing.assert_array_equal(scorer.beta[:2], alpha[:2, 1].double().numpy())
    assert scorer.excluded.tolist() == [False, False, True]
    assert scorer.report is not None and scorer.report.excluded == {"invalid_parameter": 1}
    bits = np.array([[1, 0, 1], [0, 1, 1]], np.uint8)
    assert np.isfinite(scorer.score_matrix(bits, bits)).all()
    # The folder holding scorer.pt works too.
    assert load_scorer(tmp_path, kind="beta").n_attributes == 3


def test_balr_2_state_dict_without_kind_is_refused(tmp_path: Path) -> None:
    torch.save({"alpha": torch.ones(4, 2)}, tmp_path / "scorer.pt")
    with pytest.raises(ScorerError, match=r"add scorer=NAME.*looks like scorer=beta"):
        load_scorer(tmp_path / "scorer.pt")


def test_balr_2_state_dict_of_another_type_is_refused(tmp_path: Path) -> None:
    torch.save({"alpha": torch.ones(4, 2)}, tmp_path / "scorer.pt")
    with pytest.raises(ScorerError, match="looks like scorer=beta"):
        load_scorer(tmp_path / "scorer.pt", kind="maxllr")
    torch.save({"encoder.0.weight": torch.ones(4, 2)}, tmp_path / "model.pt")
    with pytest.raises(ScorerError, match="not a scorer file"):
        load_scorer(tmp_path / "model.pt", kind="beta")


def test_balr_2_beta_state_dict_of_wrong_shape_is_refused(tmp_path: Path) -> None:
    torch.save({"alpha": torch.ones(4, 3)}, tmp_path / "scorer.pt")
    with pytest.raises(ScorerError, match=r"expected \(attributes, 2\)"):
        load_scorer(tmp_path / "scorer.pt", kind="beta")


def test_balr_2_maxllr_state_dict_loads(tmp_path: Path) -> None:
    state = {
        "f": torch.tensor([0.3, 0.5], dtype=torch.float64),
        "p": torch.tensor([0.9, 0.8], dtype=torch.float64),
        "q": torch.tensor([0.1, 0.2], dtype=torch.float64),
    }
    torch.save(state, tmp_path / "scorer.pt")
    scorer = load_scorer(tmp_path / "scorer.pt", kind="maxllr")
    for name, tensor in state.items():
        np.testing.assert_array_equal(scorer.parameters()[name], tensor.numpy())
    assert not scorer.excluded.any()


@pytest.mark.parametrize("kind", ["dna", "speech"])
def test_balr_2_profile_state_dict_loads_and_rebuilds_its_table(tmp_path: Path, kind: str) -> None:
    from tests.scoring_reference import dna_lr, speech_lr

    formula = dna_lr if kind == "dna" else speech_lr
    typicality = torch.tensor([0.3, 0.0, 0.6], dtype=torch.float32)
    dropout = torch.tensor([0.2, 0.0, 0.1], dtype=torch.float32)
    state = {"typicality": typicality, "dropout": dropout, "llrs": torch.zeros(2, 3, 2)}
    torch.save(state, tmp_path / "scorer.pt")
    scorer = load_scorer(tmp_path / "scorer.pt", kind=kind)
    assert scorer.excluded.tolist() == [False, True, False]
    assert scorer.reference_stats().typicality[0] == pytest.approx(0.3)
    table = scorer.table()
    for i in (0, 2):
        t, d = float(typicality[i]), float(dropout[i])
        for e in (0, 1):
            for x in (0, 1):
                expected = np.log(formula(t, d, 0.12, e, x))
                assert table[i, e, x] == pytest.approx(expected, rel=1e-12)
    assert (table[1] == 0).all()


def test_vectors_of_another_width_name_the_loaded_scorer(tmp_path: Path) -> None:
    scorer, bits = _fitted("beta")
    scorer.save(tmp_path)
    loaded = load_scorer(tmp_path)
    wrong = np.zeros((2, bits.shape[1] + 3), np.uint8)
    with pytest.raises(ScorerError, match=r"scorer\.json was fitted on 20"):
        loaded.score_matrix(wrong, wrong)


def test_attribute_count_comes_from_the_reference(tmp_path: Path) -> None:
    # BA-LR 2.0 assumed 512 unless told otherwise; balr takes k from the data.
    rng = np.random.default_rng(12)
    labels = np.repeat(np.arange(10), 3)
    bits = (rng.random((30, 1024)) < 0.4).astype(np.uint8)
    scorer = BetaScorer()
    scorer.fit(bits, labels)
    scorer.save(tmp_path)
    loaded = load_scorer(tmp_path)
    assert loaded.n_attributes == 1024
    assert json.loads((tmp_path / "scorer.json").read_text())["n_attributes"] == 1024
    with pytest.raises(ScorerError, match="have 512 attributes"):
        loaded.score_pairs(bits[:2, :512], bits[2:4, :512])


@pytest.mark.parametrize("kind", ["dna", "speech"])
def test_settings_configure_a_balr_2_file(tmp_path: Path, kind: str) -> None:
    state = {"typicality": torch.tensor([0.3, 0.6]), "dropout": torch.tensor([0.2, 0.1])}
    torch.save(state, tmp_path / "scorer.pt")
    default = load_scorer(tmp_path / "scorer.pt", kind=kind)
    chosen = load_scorer(tmp_path / "scorer.pt", kind=kind, settings={"drop_in": 0.3})
    assert chosen.hyperparameters()["drop_in"] == 0.3
    # The 2x2 table is rebuilt with the drop-in asked for, not the default one.
    assert not np.allclose(chosen.table(), default.table())


def test_settings_that_differ_from_a_fitted_scorer_are_refused(tmp_path: Path) -> None:
    scorer, _ = _fitted("dna")
    scorer.save(tmp_path)
    same = load_scorer(tmp_path, settings={"drop_in": SETTINGS["dna"]["drop_in"]})
    assert same.hyperparameters() == scorer.hyperparameters()
    with pytest.raises(ScorerError, match=r"fitted with drop_in=0\.2, not 0\.3.*refit") as info:
        load_scorer(tmp_path, settings={"drop_in": 0.3})
    assert "\n" not in str(info.value)


def test_a_missing_scorer_pt_beside_a_scorer_json_loads_the_balr_folder(tmp_path: Path) -> None:
    # BA-LR 2.0's documentation names RUN/scorer.pt; balr writes RUN/scorer.json.
    scorer, bits = _fitted("beta")
    scorer.save(tmp_path)
    loaded = load_scorer(tmp_path / "scorer.pt", kind="beta")
    np.testing.assert_array_equal(loaded.score_matrix(bits, bits), scorer.score_matrix(bits, bits))
