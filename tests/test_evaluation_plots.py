"""Tippett, ECE and PAV plots: PNGs written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.evaluation import Calibration, plots

PNG = b"\x89PNG\r\n\x1a\n"


def synthetic_llrs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.arange(600) < 100
    llrs = np.where(labels, rng.normal(4, 2, 600), rng.normal(-4, 2.5, 600))
    return llrs, labels


@pytest.mark.parametrize("name", ["tippett_plot", "ece_plot", "pav_plot"])
def test_each_plot_writes_one_png(tmp_path: Path, name: str) -> None:
    llrs, labels = synthetic_llrs()
    path = tmp_path / f"{name}.png"
    assert getattr(plots, name)(llrs, labels, path, title="synthetic") == path
    assert path.read_bytes()[:8] == PNG
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_pav_plot_draws_an_affine_calibration_and_infinite_ends(tmp_path: Path) -> None:
    llrs, labels = synthetic_llrs(1)
    raw = 3 * llrs + 5  # separable tails: PAV is -inf and +inf at the ends
    path = plots.pav_plot(
        raw, labels, tmp_path / "pav.png", calibration=Calibration.fit(raw, labels)
    )
    assert path.read_bytes()[:8] == PNG


def test_ece_plot_of_grossly_miscalibrated_llrs(tmp_path: Path) -> None:
    llrs, labels = synthetic_llrs(2)
    assert plots.ece_plot(40 * llrs + 100, labels, tmp_path / "ece.png").exists()


def test_plots_refuse_nan(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NaN"):
        plots.tippett_plot([0.0, np.nan], [1, 0], tmp_path / "t.png")
    assert not list(tmp_path.iterdir())
