"""A fitted embedding scorer (cosine, plda) as a folder, and loading any scorer folder.

The folder holds ``scorer.json`` (format, version, type, ``"input": "embeddings"``,
every setting, the embedding size ``dim``, the reference size, fit diagnostics, balr
version; written last) and ``parameters.npz`` (the scorer's float64 arrays, read with
allow_pickle=False). Binary-attribute scorers use the same format name and version with
their own keys (`balr.scoring.io`); `load_any_scorer` reads both.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from balr.data.guard import check_regular
from balr.scoring.base import Scorer, ScorerError
from balr.scoring.embedding import EmbeddingScorer
from balr.scoring.io import _read_description
from balr.scoring.registry import EMBEDDING_SCORERS
from balr.scoring.saving import EMBEDDING_INPUT, PARAMETERS, SCORER_JSON
from balr.scoring.stats import FitReport


def embedding_scorer_type(path: Path) -> str | None:
    """The type of the embedding scorer saved at `path` (folder or scorer.json), else None."""
    path = Path(path).expanduser()
    description = path / SCORER_JSON if path.is_dir() else path
    if description.suffix != ".json" or not description.is_file():
        return None
    try:
        record = json.loads(description.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return None  # the loader that follows names the problem
    if isinstance(record, dict) and record.get("input") == EMBEDDING_INPUT:
        return str(record.get("type"))
    return None


def load_any_scorer(
    path: Path, kind: str | None = None, settings: Mapping[str, Any] | None = None
) -> Scorer | EmbeddingScorer:
    """Load a scorer folder of either family (or a BA-LR 2.0 scorer.pt).

    `kind` and `settings` are checked against an embedding scorer's scorer.json as
    `balr.scoring.io.load_scorer` checks them against a binary-attribute scorer's.
    """
    from balr.scoring.io import load_scorer

    if embedding_scorer_type(path) is None:
        return load_scorer(path, kind=kind, settings=settings)
    return load_embedding_scorer(path, kind, settings)


def load_embedding_scorer(
    path: Path, kind: str | None = None, settings: Mapping[str, Any] | None = None
) -> EmbeddingScorer:
    """Load a folder (or its scorer.json) written by `save_embedding_scorer`.

    Raises:
        ScorerError: missing or malformed files, another type than `kind`, or `settings`
            that differ from the fitted ones.
    """
    path = Path(path).expanduser()
    path = path / SCORER_JSON if path.is_dir() else path
    description = _read_description(path)
    name = description.get("type")
    if name not in EMBEDDING_SCORERS:
        raise ScorerError(
            f"{path}: unknown embedding scorer type {name!r}: expected one of"
            f" {sorted(EMBEDDING_SCORERS)}"
        )
    if kind is not None and kind != name:
        raise ScorerError(
            f"{path}: holds a {name} scorer, not {kind}: drop scorer={kind} or give a {kind} scorer"
        )
    try:
        scorer = EMBEDDING_SCORERS[name](**dict(description.get("settings", {})))
        dim = int(description["dim"])
        scorer.n_speakers = int(description["reference"]["speakers"])
        scorer.n_recordings = int(description["reference"]["recordings"])
        scorer.report = FitReport.from_dict(description["fit"])
    except (TypeError, KeyError, ValueError) as error:
        raise ScorerError(f"{path}: malformed scorer description ({error}): fit again") from None
    _install(scorer, path.parent / PARAMETERS, dim)
    scorer.check_settings(dict(settings or {}), path)
    scorer.source = path
    return scorer


def _install(scorer: EmbeddingScorer, path: Path, dim: int) -> None:
    try:
        check_regular(path, ScorerError, "parameters.npz of balr score train")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: np.asarray(archive[name]) for name in archive.files}
    except FileNotFoundError:
        raise ScorerError(f"{path}: missing: the scorer folder is incomplete, fit again") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ScorerError(f"{path}: unreadable parameters ({error}): fit again") from None
    missing = sorted(set(scorer.parameters()) - set(arrays))
    if missing:
        raise ScorerError(f"{path}: lacks the arrays {missing}: fit the scorer again")
    try:
        scorer.set_parameters(arrays, dim)
    except ScorerError as error:
        raise ScorerError(f"{path}: {error}: fit the scorer again") from None
