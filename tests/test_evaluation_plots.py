"""Tippett, ECE and PAV plots: PNGs written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from balr.evaluation import Calibration, plots
from balr.evaluation.plots import tippett_curves

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


def test_tippett_curves_end_at_one_over_n_at_the_observed_extremes() -> None:
    llrs = np.log(10.0) * np.array([-1.0, 2.0, 0.5, -3.0, -0.5])
    labels = np.array([1, 1, 1, 0, 0], dtype=bool)
    (same_x, same_y), (diff_x, diff_y) = tippett_curves(llrs, labels)
    assert same_x.tolist() == pytest.approx([-1.0, 0.5, 2.0])
    assert same_y.tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])  # share of LR <= x
    assert diff_x.tolist() == pytest.approx([-3.0, -0.5])
    assert diff_y.tolist() == pytest.approx([1.0, 1 / 2])  # share of LR >= x, ends at 1/N


def test_the_tippett_plot_of_a_run_draws_only_observed_llrs_down_to_one_over_n(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = []
    monkeypatch.setattr(plots, "save_png", lambda fig, path: drawn.append(fig) or path)
    llrs, labels = synthetic_llrs()
    plots.tippett_plot(llrs, labels, tmp_path / "t.png")
    same, different = drawn[0].axes[0].lines[:2]
    assert same.get_xdata().tolist() == pytest.approx(np.sort(llrs[labels] / np.log(10.0)))
    assert min(same.get_ydata()) == pytest.approx(1 / 100)  # not 0 beyond the data
    assert min(different.get_ydata()) == pytest.approx(1 / 500)
