"""`balr validate` as a library call: conditions in, the validation report's files out.

    report = validate(["runs/score/test/scores.tsv"], run_dir=Path("out"))

writes ``validation.json``, ``validation.html`` and the figures ``det.png``,
``tippett.png``, ``ece.png``, ``pav.png`` (and ``coherence.png`` with durations) into
`run_dir`. Nothing is written before every input has been read and checked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from balr.config.validation import CriteriaConfig
from balr.data.atomic import atomic_path
from balr.errors import ConfigError, DatasetError
from balr.evaluation.det import det_plot
from balr.validation import figures
from balr.validation.bootstrap import speaker_bootstrap
from balr.validation.guideline import (
    coherence_row,
    generalisation_row,
    metric_rows,
    robustness_row,
)
from balr.validation.inputs import (
    Condition,
    Speakers,
    read_all,
    read_conditions,
    speaker_map,
    speakers_by_prefix,
    speakers_from_data,
)
from balr.validation.measures import condition_metrics
from balr.validation.provenance import describe_method
from balr.validation.report import Report

log = logging.getLogger("balr.validate")
FIGURES = ("det.png", "tippett.png", "ece.png", "pav.png")


def validate(
    scores: Sequence[str | Path],
    run_dir: Path,
    names: Sequence[str] = (),
    durations: Sequence[float] = (),
    data: str | None = None,
    baseline: str | None = None,
    criteria: CriteriaConfig | None = None,
    bootstrap: int = 0,
    seed: int = 1234,
    data_description: str | None = None,
) -> Report:
    """Validate the method whose labelled LLRs are in `scores` (one condition per file).

    Raises:
        DatasetError, ConfigError: a bad input (one line naming it and the fix); nothing
            is written then.
    """
    criteria = criteria or CriteriaConfig()
    if bootstrap < 0:
        raise ConfigError(f"bootstrap={bootstrap}: give a number of replicates >= 1, or 0")
    conditions = read_all(scores, names, durations)
    speakers, source = _speakers(conditions, data)
    base = _baseline(baseline)
    report = build_report(
        conditions, speakers, source, criteria, base, bootstrap, seed, data_description
    )
    write_report(report, conditions, run_dir)
    return report


def _speakers(
    conditions: list[Condition], data: str | None
) -> tuple[dict[str, Speakers | None], str]:
    """Each condition's speakers, and where they came from (for the report)."""
    if data:
        speaker_of = speaker_map(data)
        found: dict[str, Speakers | None] = {
            c.name: speakers_from_data(c, speaker_of, data) for c in conditions
        }
        return found, f"the dataset {data}"
    found = {c.name: speakers_by_prefix(c) for c in conditions}
    return found, "the ids' speaker/ prefix (e.g. ls1355/39947-0000-s00 -> ls1355)"


def _baseline(path: str | None) -> dict[str, Any] | None:
    if not path:
        return None
    metrics = _pooled_metrics(read_conditions(Path(path), "baseline"))
    metrics["source"] = str(Path(path).absolute())
    return metrics


def _pooled_metrics(conditions: Sequence[Condition]) -> dict[str, Any]:
    """The metrics of every comparison of `conditions` together."""
    llrs = np.concatenate([c.llrs for c in conditions])
    return condition_metrics(llrs, np.concatenate([c.labels for c in conditions]))


def build_report(
    conditions: list[Condition],
    speakers: dict[str, Speakers | None],
    speakers_from: str,
    criteria: CriteriaConfig,
    baseline: dict[str, Any] | None,
    bootstrap: int,
    seed: int,
    description: str | None = None,
) -> Report:
    """The metrics, intervals and guideline table of the conditions."""
    metrics = {c.name: _metrics(c, speakers[c.name]) for c in conditions}
    intervals = _intervals(conditions, speakers, bootstrap, seed) if bootstrap else None
    pooled = _pooled_metrics(conditions)
    table = metric_rows(metrics, criteria, baseline, "each condition's comparisons", intervals)
    table.append(robustness_row(metrics, criteria))
    table.append(coherence_row(metrics, {c.name: c.duration for c in conditions}, criteria))
    table.append(generalisation_row(pooled, criteria, _generalisation_data(metrics, description)))
    info = {"replicates": bootstrap, "seed": seed, "intervals": intervals} if bootstrap else None
    return Report(
        conditions=[_described(c) for c in conditions],
        metrics=metrics,
        table=table,
        pooled=pooled,
        speakers_from=speakers_from,
        baseline=baseline,
        bootstrap=info,
        criteria=asdict(criteria),
        data_description=description,
    )


def _described(condition: Condition) -> dict[str, Any]:
    """Name, score file, net speech and the method behind the scores (validation.json)."""
    return {
        "name": condition.name,
        "source": condition.source,
        "duration": condition.duration,
        "method": describe_method(Path(condition.source)),
    }


def _metrics(condition: Condition, speakers: Speakers | None) -> dict[str, Any]:
    """The condition's metrics, with its numbers of speakers and net speech seconds."""
    metrics = condition_metrics(condition.llrs, condition.labels)
    metrics["n_speakers"] = None if speakers is None else speakers.count
    metrics["duration"] = condition.duration
    return metrics


def _intervals(
    conditions: list[Condition], speakers: dict[str, Speakers | None], n: int, seed: int
) -> dict[str, dict[str, list[float]]]:
    out = {}
    for c in conditions:
        found = speakers[c.name]
        if found is None:
            raise DatasetError(
                f"{c.source}: the ids have no 'speaker/' prefix, so --bootstrap cannot resample"
                " speakers: give the dataset the comparisons were made on with --data"
            )
        log.info("%s: %d speaker-bootstrap replicates over %d speakers", c.name, n, found.count)
        out[c.name] = speaker_bootstrap(c.llrs, c.labels, found, n, seed)
    return out


def _generalisation_data(metrics: dict[str, dict[str, Any]], description: str | None) -> str:
    """What the pooled data are: the user's description, else the counts and a request."""
    same = sum(m["n_target"] for m in metrics.values())
    different = sum(m["n_nontarget"] for m in metrics.values())
    counts = f"{same:,} same / {different:,} different-speaker comparisons"
    if description:
        return f"{description} ({counts})"
    return f"{counts}; say with --describe whether they are other than the development data"


def write_report(report: Report, conditions: list[Condition], run_dir: Path) -> None:
    """Write the figures, validation.json and validation.html (each atomically)."""
    from balr.validation.html import write_html

    run_dir.mkdir(parents=True, exist_ok=True)
    det_plot([(c.name, c.llrs, c.labels) for c in conditions], run_dir / "det.png")
    figures.tippett(conditions, run_dir / "tippett.png")
    figures.ece(conditions, run_dir / "ece.png")
    figures.pav(conditions, run_dir / "pav.png")
    report.figures = list(FIGURES)
    timed = [
        (float(c.duration), c.name, report.metrics[c.name]["cllr"], report.metrics[c.name]["eer"])
        for c in conditions
        if c.duration is not None
    ]
    if len({t[0] for t in timed}) >= 2:
        figures.coherence(timed, run_dir / "coherence.png")
        report.figures.append("coherence.png")
    with atomic_path(run_dir / "validation.json") as tmp:
        tmp.write_text(json.dumps(_plain(asdict(report)), indent=2) + "\n", encoding="utf-8")
    write_html(report, run_dir)
    log.info("validation report written to %s", run_dir / "validation.html")


def _plain(value: Any) -> Any:
    """JSON-ready: NaN becomes null, NumPy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
