"""What the scoring runs read: binary attributes (`Bits`) or embeddings (`Embeddings`).

Binary-attribute scorers (beta, maxllr, dna, speech) take `Bits`; embedding scorers
(cosine, plda) take `Embeddings`. The helpers here dispatch on the scorer, so the train
and test runs are written once for both families.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from balr.errors import DatasetError
from balr.scoring.base import Scorer
from balr.scoring.commands.bits import Bits, check_width
from balr.scoring.embedding import EmbeddingScorer, looks_binary
from balr.scoring.sides import RowGroups

if TYPE_CHECKING:
    from balr.data.dataset import AudioDataset
    from balr.scoring.stats import FitReport
    from balr.scoring.trials import Comparisons

AnyScorer: TypeAlias = Scorer | EmbeddingScorer


@dataclass
class Embeddings:
    """The embeddings of a dataset, with its ids and speaker labels (-1: none)."""

    name: str
    ids: list[str]
    vectors: np.ndarray  # float32 [N, D]
    labels: np.ndarray
    speakers: list[str]
    # id -> recording condition, from the dataset's `condition` column (None: none).
    conditions: dict[str, str] | None = None
    # Per row, the number of its recording when two ids name one file (distinct.same_as).
    same: np.ndarray | None = None


ScoringInput: TypeAlias = Bits | Embeddings


def read_embeddings(dataset: AudioDataset, *, require_speakers: bool) -> Embeddings:
    """Every embedding of `dataset` (for cosine and plda).

    Raises:
        DatasetError: the dataset holds binary attributes instead of embeddings (or 0/1
            vectors as embeddings), or an item has no embedding.
    """
    from balr.data.table import load_embedding_table

    counts = dataset.counts()
    if counts["embedding"] == 0 and counts["binary_attributes"] > 0:
        raise DatasetError(
            f"{dataset.name}: holds binary attributes, not embeddings: cosine and plda score"
            " embeddings; give the dataset of embeddings (the one balr binarize read), or a"
            " binary-attribute scorer (scorer=beta)"
        )
    table = load_embedding_table(dataset, require_speakers=require_speakers)
    vectors = table.embeddings.numpy()
    if len(vectors) and looks_binary(vectors[:1024]) and looks_binary(vectors):
        raise DatasetError(
            f"{dataset.name}: its embeddings hold only 0 and 1 (binary attributes): cosine and"
            " plda score real-valued embeddings; give those, or use scorer=beta"
        )
    from balr.scoring.conditions import conditions_of
    from balr.scoring.distinct import recording_numbers

    labels = table.labels.numpy()
    conditions = conditions_of(dataset.iter_dicts())
    same = recording_numbers(dataset)
    return Embeddings(dataset.name, table.ids, vectors, labels, table.speakers, conditions, same)


def matrix_of(data: ScoringInput) -> np.ndarray:
    """The rows the scorers read: the embeddings, or the 0/1 attribute vectors."""
    return data.vectors if isinstance(data, Embeddings) else data.bits


def check_input(scorer: AnyScorer, data: ScoringInput, where: str) -> None:
    """DatasetError when `data` is not what `scorer` scores (family and size)."""
    if isinstance(scorer, EmbeddingScorer):
        if not isinstance(data, Embeddings):
            raise DatasetError(
                f"{data.name}: the {scorer.name} scorer {where} scores embeddings, not binary"
                " attributes: give the embeddings and no encoder.model.checkpoint_path"
            )
        if data.vectors.shape[1] != scorer.dim:
            first = data.ids[0] if data.ids else "?"
            raise DatasetError(
                f"{data.name}: embedding {first!r} has {data.vectors.shape[1]} dimensions but"
                f" the scorer {where} was fitted on {scorer.dim}: give embeddings of the"
                " encoder the scorer was fitted on"
            )
        return
    if not isinstance(data, Bits):
        raise DatasetError(
            f"{data.name}: the {scorer.name} scorer {where} scores binary attributes: binarise"
            " the embeddings (balr binarize, or encoder.model.checkpoint_path=RUN/best.pt)"
        )
    check_width(scorer, data, where)


def fit_scorer(scorer: AnyScorer, data: ScoringInput) -> FitReport:
    """Fit `scorer` on `data` (checked with `check_input` first)."""
    if isinstance(scorer, EmbeddingScorer):
        if not isinstance(data, Embeddings):
            check_input(scorer, data, "to fit")
        assert isinstance(data, Embeddings)
        return scorer.fit(data.vectors, data.labels)
    if not isinstance(data, Bits):
        check_input(scorer, data, "to fit")
    assert isinstance(data, Bits)
    return scorer.fit(data.bits, data.labels)


def score_input(scorer: AnyScorer, data: ScoringInput, comparisons: Comparisons) -> np.ndarray:
    """Raw score of every comparison, in order (LLRs, or similarities for cosine)."""
    from balr.scoring.trials import score_comparisons

    if isinstance(scorer, EmbeddingScorer):
        assert isinstance(data, Embeddings)
        enroll = RowGroups.of(comparisons.enroll_rows)
        return scorer.score_sides(data.vectors, enroll, RowGroups.of(comparisons.test_rows))
    assert isinstance(data, Bits)
    return score_comparisons(scorer, data.bits, comparisons)


def gives_llrs(scorer: AnyScorer) -> bool:
    """True when the scorer's raw output is natural-log LLRs (False: cosine similarities)."""
    return not isinstance(scorer, EmbeddingScorer) or scorer.gives_llrs


def drop_calibration_metrics(metrics: dict[str, float]) -> dict[str, float]:
    """`metrics` without Cllr and Cllr_cal (in place): of scores that are not LLRs (an
    uncalibrated cosine) only the order-based metrics (EER, minDCF, Cllr_min) mean anything."""
    for key in ("cllr", "cllr_cal"):
        metrics.pop(key, None)
    return metrics


def raw_kind(scorer: AnyScorer) -> str:
    """What the scorer's raw output is, for log lines: "raw LLRs" or, for cosine, "raw cosine
    similarities (not LLRs)"."""
    return "raw LLRs" if gives_llrs(scorer) else f"raw {scorer.name} similarities (not LLRs)"


def size_facts(scorer: AnyScorer) -> dict[str, Any]:
    """The fitted scorer's input size for summaries: attributes (used), or dimensions."""
    if isinstance(scorer, EmbeddingScorer):
        return {"dim": scorer.dim}
    used = int(scorer.n_attributes - scorer.excluded.sum())
    return {"n_attributes": scorer.n_attributes, "n_used": used}
