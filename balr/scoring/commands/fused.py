"""`balr score test --fusion`: score a trial list with every system of a fusion, then fuse.

A fusion.json (`balr score fuse`) names, per system, the scorer run that wrote the scores it
was fitted on. Each system scores the trials the way `balr score test` would without
calibration (its raw scores, which are what the fusion was fitted on), from the input its
family reads (embeddings for cosine and plda, binary attributes for the others); the
fusion's weights and offset then give the LLR, and scores.tsv keeps each system's part.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from balr.evaluation.fusion import Fusion
from balr.scoring.commands.inputs import AnyScorer, ScoringInput, check_input, score_input
from balr.scoring.embedding import EmbeddingScorer
from balr.training.summary import write_summary

log = logging.getLogger("balr.score")


def score_fused(
    fusion: Fusion,
    systems: list[tuple[AnyScorer, str]],
    inputs: Callable[[bool], ScoringInput],
    trials: Path,
    run_dir: Path,
) -> dict[str, Any]:
    """Score `trials` with each system, fuse, write scores.tsv, metrics.json, summary.json.

    Args:
        fusion: the fusion; `systems` are its systems' scorers, in its order, with the
            place each was loaded from.
        systems: (scorer, where) per system.
        inputs: the dataset as embeddings (True) or binary attributes (False).
        trials: the trial file.
        run_dir: where the outputs go.
    """
    from balr.scoring.fuse import AlignedScores, write_fused
    from balr.scoring.score_files import check_finite
    from balr.scoring.trials import read_comparisons

    columns, first = [], None
    for system, (scorer, where) in zip(fusion.systems, systems, strict=True):
        data = inputs(isinstance(scorer, EmbeddingScorer))
        check_input(scorer, data, where)
        comparisons = read_comparisons(trials, data.ids, data.labels, data.same)
        first = first or comparisons
        raw = score_input(scorer, data, comparisons)
        check_finite(raw, comparisons, trials, f"refit the scorer {where} ({system.name})")
        columns.append(raw)
    assert first is not None
    scores = np.column_stack(columns)
    aligned = AlignedScores(first.enrollment, first.test, scores, first.labels)
    metrics = write_fused(run_dir, aligned, fusion, echo=False)
    summary = {
        "kind": "score",
        "scorer": "fusion",
        "fusion": {s.name: where for s, (_, where) in zip(fusion.systems, systems, strict=True)},
        "calibrated": True,
        "n_comparisons": len(first),
        "metrics": metrics or {},
    }
    write_summary(run_dir / "summary.json", summary)
    return summary
