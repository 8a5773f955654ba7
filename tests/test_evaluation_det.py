"""The DET plot: probit axes, one curve per condition, its EER marked."""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

from balr.evaluation import compute_eer, det
from balr.evaluation.det import det_plot, probit


def test_probit_is_the_standard_normal_quantile() -> None:
    p = np.array([0.001, 0.05, 0.5, 0.9])
    assert probit(p) == pytest.approx([NormalDist().inv_cdf(v) for v in p], abs=1e-12)


def test_each_condition_has_its_eer_marked_on_the_diagonal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = []
    monkeypatch.setattr(det, "save_png", lambda fig, path: drawn.append(fig) or path)
    scores = np.array([-2.0, -1.0, 0.5, 0.0, 1.0, 2.0])
    labels = np.array([0, 0, 0, 1, 1, 1])
    det.det_plot([("a", scores, labels)], tmp_path / "det.png")
    curve, marker = drawn[0].axes[0].lines[:2]
    eer = compute_eer(scores, labels) / 100
    assert marker.get_xdata()[0] == marker.get_ydata()[0] == pytest.approx(probit(eer))
    assert curve.get_label() == f"a (EER {100 * eer:.2f} %)"


def test_det_plot_writes_a_png_with_one_curve_per_condition(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = rng.random(500) < 0.3
    curves = [(name, np.where(labels, d, -d) + rng.normal(0, 1, 500), labels)
              for name, d in (("a", 1.0), ("b", 2.0))]  # fmt: skip
    path = det_plot(curves, tmp_path / "det.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
