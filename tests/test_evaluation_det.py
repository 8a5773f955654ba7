"""The DET plot's points and probit axes."""

from __future__ import annotations

from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

from balr.evaluation.det import det_plot, det_points, probit


def test_probit_is_the_standard_normal_quantile() -> None:
    p = np.array([0.001, 0.05, 0.5, 0.9])
    assert probit(p) == pytest.approx([NormalDist().inv_cdf(v) for v in p], abs=1e-12)


def test_det_points_leave_out_zero_rates_and_trade_misses_for_false_alarms() -> None:
    scores = np.array([-2.0, -1.0, 0.5, 0.0, 1.0, 2.0])
    labels = np.array([0, 0, 0, 1, 1, 1])
    far, frr = det_points(scores, labels)
    assert (far > 0).all() and (frr > 0).all()
    assert np.all(np.diff(far) <= 0) and np.all(np.diff(frr) >= 0)
    # Threshold 0.5: the target at 0.0 is missed, the non-target at 0.5 accepted.
    assert np.any(np.isclose(far, 1 / 3) & np.isclose(frr, 1 / 3))


def test_det_plot_writes_a_png_with_one_curve_per_condition(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    labels = rng.random(500) < 0.3
    curves = [(name, np.where(labels, d, -d) + rng.normal(0, 1, 500), labels)
              for name, d in (("a", 1.0), ("b", 2.0))]  # fmt: skip
    path = det_plot(curves, tmp_path / "det.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
