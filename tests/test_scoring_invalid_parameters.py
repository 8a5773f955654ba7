"""A saved scorer whose parameters are out of their domain is refused when loaded."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from balr.scoring import SCORERS, load_scorer
from balr.scoring.base import ScorerError
from balr.scoring.io import PARAMETERS


def saved(folder: Path, name: str) -> Path:
    rng = np.random.default_rng(0)
    rates = rng.uniform(0.1, 0.9, (8, 12))
    bits = (rng.random((24, 12)) < np.repeat(rates, 3, axis=0)).astype(np.uint8)
    scorer = SCORERS[name]()
    scorer.fit(bits, np.repeat(np.arange(8), 3))
    scorer.save(folder)
    return folder


def rewrite(folder: Path, name: str, value: float) -> int:
    """Set parameter `name` of the first attribute in use to `value`; return its index."""
    with np.load(folder / PARAMETERS) as archive:
        arrays = {key: archive[key].copy() for key in archive.files}
    i = int(np.flatnonzero(arrays["excluded"] == 0)[0])
    arrays[name][i] = value
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    (folder / PARAMETERS).write_bytes(buffer.getvalue())
    return i


@pytest.mark.parametrize(
    ("scorer", "name", "value"),
    [
        ("beta", "alpha", 0.0),
        ("beta", "beta", -1.5),
        ("maxllr", "p", 1.0),
        ("maxllr", "f", -0.2),
        ("dna", "dropout", 1.5),
        ("speech", "typicality", -0.1),
        ("beta", "alpha", float("nan")),
    ],
)
def test_a_parameter_out_of_its_domain_is_refused_at_load(
    tmp_path: Path, scorer: str, name: str, value: float
) -> None:
    folder = saved(tmp_path / "scorer", scorer)
    i = rewrite(folder, name, value)
    with pytest.raises(ScorerError, match=rf"attribute {i} has invalid {scorer} .*fit the scorer"):
        load_scorer(folder)


@pytest.mark.parametrize("scorer", sorted(SCORERS))
def test_every_fitted_scorer_loads_back(tmp_path: Path, scorer: str) -> None:
    folder = saved(tmp_path / "scorer", scorer)
    assert load_scorer(folder).n_attributes == 12


def test_an_excluded_attribute_may_hold_any_value(tmp_path: Path) -> None:
    folder = saved(tmp_path / "scorer", "beta")
    with np.load(folder / PARAMETERS) as archive:
        arrays = {key: archive[key].copy() for key in archive.files}
    arrays["excluded"][0], arrays["alpha"][0] = 1, -3.0
    with zipfile.ZipFile(folder / PARAMETERS, "w") as archive:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.save(buffer, array)
            archive.writestr(f"{key}.npy", buffer.getvalue())
    assert load_scorer(folder).excluded[0]
