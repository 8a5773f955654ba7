"""From a fitted scorer and two sides of binary attributes to a written case report."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from balr.data.atomic import atomic_path
from balr.report.case import (
    TOP_PER_SIDE,
    CalibrationInfo,
    Case,
    Placement,
    Recording,
    ScorerInfo,
)
from balr.report.rows import attribute_rows, placement_of

if TYPE_CHECKING:
    from balr.evaluation.calibration import Calibration
    from balr.scoring.base import Scorer

REPORT_FILES = ("report.html", "report.json", "contributions.png")


@dataclass(frozen=True)
class Side:
    """One side of the comparison: its recordings and their 0/1 vectors [n, k]."""

    recordings: list[Recording]
    bits: np.ndarray


def stats_of(scorer: Scorer) -> dict[str, np.ndarray | None]:
    """The scorer's per-attribute reference statistics as named arrays (None when missing)."""
    stats = scorer.reference_stats()
    return {
        name: None if getattr(stats, name, None) is None else np.asarray(getattr(stats, name))
        for name in ("rate", "speaker_share", "typicality", "dropout")
    }


def case_from_scorer(
    scorer: Scorer,
    info: ScorerInfo,
    enrollment: Side,
    test: Side,
    calibration: CalibrationInfo | None = None,
    labelled: tuple[np.ndarray, np.ndarray, str, bool] | None = None,
    calibrator: Calibration | None = None,
) -> Case:
    """The case of `enrollment` vs `test` under a fitted scorer.

    Args:
        scorer: the fitted scorer (``balr.scoring``).
        info: what the report says about it (:func:`scorer_info`).
        enrollment: the enrollment side; test: the test side.
        calibration: what the report says about the calibration applied, if any
            (:func:`calibration_info`).
        labelled: (raw natural-log LLRs, bool labels, source, same data as the calibration)
            of labelled validation comparisons, to place this LR among them.
        calibrator: the calibration itself (any method); without it `calibration` is
            applied as its affine map a * raw + b.
    """
    from balr.scoring.counts import Counts

    bits = np.concatenate([enrollment.bits, test.bits])
    n_e = len(enrollment.bits)
    enroll = Counts.of_rows(bits, [np.arange(n_e)])
    tested = Counts.of_rows(bits, [np.arange(n_e, len(bits))])
    contributions = np.asarray(scorer.contributions(enroll, tested), dtype=np.float64)[0]
    rows = attribute_rows(
        contributions,
        enroll.active[0],
        n_e,
        tested.active[0],
        len(test.bits),
        stats_of(scorer),
        np.asarray(scorer.excluded, dtype=bool),
    )
    case = Case(
        scorer=info,
        enrollment=enrollment.recordings,
        test=test.recordings,
        attributes=rows,
        llr_raw=math.fsum(contributions.tolist()),
        calibration=calibration,
    )
    if calibration is not None and calibrator is not None:
        case.llr_calibrated = float(calibrator.apply_unbounded(np.array([case.llr_raw]))[0])
    if labelled is not None:
        case.placement = _placement(case, *labelled, calibrator=calibrator)
    return case


def calibration_info(calibration: Calibration, path: Path, sha256: str | None) -> CalibrationInfo:
    """What the report says about a calibration loaded from `path` (digest `sha256`)."""
    bounds = calibration.bounds
    return CalibrationInfo(
        str(path.absolute()),
        float(calibration.a),
        float(calibration.b),
        sha256,
        method=calibration.method,
        bounds=None if bounds is None else bounds.to_dict(),
        data=dict(calibration.data or {}),
    )


def _placement(
    case: Case,
    raw: np.ndarray,
    labels: np.ndarray,
    source: str,
    same_data: bool,
    calibrator: Calibration | None = None,
) -> Placement:
    calibration = case.calibration
    if calibration is None:
        llrs = raw
    elif calibrator is not None:
        llrs = calibrator.apply(raw)
    else:
        llrs = np.clip(calibration.a * raw + calibration.b, *_natural_bounds(calibration))
    return placement_of(
        case.llr,
        (llrs, labels),
        source,
        calibrated=calibration is not None,
        same_data_as_calibration=same_data and calibration is not None,
    )


def _natural_bounds(calibration: CalibrationInfo) -> tuple[float, float]:
    b = calibration.bounds
    if b is None:
        return -math.inf, math.inf
    return b["log10_lower"] * math.log(10.0), b["log10_upper"] * math.log(10.0)


def scorer_info(
    run_dir: Path,
    scorer: Scorer,
    sha256: str | None = None,
    settings_sha256: str | None = None,
) -> ScorerInfo:
    """What the report says about a scorer: its statistics, and its run's reference name.

    `sha256`: digest of its parameters.npz (or scorer file); `settings_sha256`: of its
    scorer.json.
    """
    stats = scorer.reference_stats()
    name, path = reference_of(run_dir)
    return ScorerInfo(
        name=str(scorer.name),
        path=str(run_dir),
        reference=name,
        n_speakers=_int(getattr(stats, "n_speakers", None)),
        n_recordings=_int(getattr(stats, "n_recordings", None)),
        n_attributes=int(scorer.n_attributes),
        excluded=[int(i) for i in np.flatnonzero(np.asarray(scorer.excluded, dtype=bool))],
        sha256=sha256,
        reference_path=path,
        settings_sha256=settings_sha256,
    )


def reference_label(path: str | Path) -> str:
    """A readable name of a reference dataset: its folder or file with the folder above it.

    ``/data/sample/librispeech/train`` -> ``librispeech/train``; ``/vox/dev.csv`` ->
    ``vox/dev.csv`` (the full path stays in the report's provenance).
    """
    path = Path(path)
    return f"{path.parent.name}/{path.name}" if path.parent.name else path.name or str(path)


def reference_facts(path: str, name: str | None = None) -> dict[str, str]:
    """scorer.json's description of the reference set a scorer is fitted on (`balr score train`).

    Args:
        path: where the dataset was read (a folder, CSV or packed dataset).
        name: the population's name as the user gives it (None: :func:`reference_label`).
    """
    return {"name": name or reference_label(path), "path": path}


def _scorer_json(run_dir: Path) -> dict[str, Any]:
    path = run_dir / "scorer.json" if run_dir.is_dir() else run_dir
    if path.suffix != ".json" or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _int(value: Any) -> int | None:
    """A positive count, else None (0 means "not recorded", e.g. a BA-LR 2.0 scorer.pt)."""
    if isinstance(value, int | float | np.integer) and math.isfinite(value) and value > 0:
        return int(value)
    return None


def reference_of(run_dir: Path) -> tuple[str, str | None]:
    """(name, path) of a scorer run's reference set: scorer.json's, else its config's dataset."""
    reference = _scorer_json(run_dir).get("reference")
    if isinstance(reference, dict) and isinstance(reference.get("name"), str):
        path = reference.get("path")
        return reference["name"], path if isinstance(path, str) else None
    fitted_on = _config_input(run_dir)
    if fitted_on is not None:
        return reference_label(fitted_on), fitted_on
    return f"the reference set of {run_dir}", None


def _config_input(run_dir: Path) -> str | None:
    """input.path of the run's saved Hydra config (runs fitted before scorer.json named it)."""
    config = (run_dir if run_dir.is_dir() else run_dir.parent) / ".hydra" / "config.yaml"
    if not config.is_file():
        return None
    from omegaconf import OmegaConf

    try:
        loaded = OmegaConf.to_container(OmegaConf.load(config), resolve=False)
    except Exception:  # a damaged config only costs the name
        return None
    node = loaded.get("input") if isinstance(loaded, dict) else None
    path = node.get("path") if isinstance(node, dict) else None
    return path if isinstance(path, str) else None


def read_labelled_scores(path: Path) -> tuple[np.ndarray, np.ndarray] | None:
    """(raw natural-log LLRs, bool labels) of a balr scores.tsv; None without both classes.

    Read by :func:`balr.scoring.score_files.read_scores` (``llr_raw`` when the file was
    itself calibrated, else ``llr``; a malformed line is a one-line DatasetError).
    """
    from balr.scoring.score_files import read_scores

    scores = read_scores(path)
    labels = scores.labels
    if labels is None or labels.all() or not labels.any():
        return None
    return scores.raw, labels


def write_report(case: Case, out_dir: Path, top: int = TOP_PER_SIDE) -> dict[str, Path]:
    """Write report.json, contributions.png (+ placement.png) and report.html into `out_dir`.

    `top` contributions in each direction get a bar of their own in the chart.
    """
    from balr.report.figure import contributions_figure, placement_figure
    from balr.report.html import render_html

    paths = {name: out_dir / name for name in REPORT_FILES}
    contributions_figure(case, paths["contributions.png"], top)
    placement = None
    if case.placement is not None:
        placement = placement_figure(case, out_dir / "placement.png")
        paths["placement.png"] = placement
    _write_text(paths["report.json"], case.to_json())
    _write_text(paths["report.html"], render_html(case, paths["contributions.png"], placement))
    return paths


def _write_text(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
