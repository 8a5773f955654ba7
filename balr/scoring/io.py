"""A fitted scorer as a self-describing folder, and BA-LR 2.0 ``scorer.pt`` files.

A scorer folder holds:

- ``scorer.json``: format and version, scorer type, every hyper-parameter, number of
  attributes, reference size, fit diagnostics, balr version (written last);
- ``parameters.npz``: float64 [k] parameter arrays, the reference statistics, the
  excluded mask and exclusion reasons (plain arrays, read with allow_pickle=False);
- ``attributes.tsv``: one row per attribute (`Scorer.attribute_frame`).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from balr.data.guard import SCORER_JSON_LIMIT, check_regular, read_limited, sha256_of
from balr.scoring.base import EXCLUSION_REASONS, FitReport, ReferenceStats, Scorer, ScorerError
from balr.scoring.registry import SCORERS
from balr.scoring.saving import ATTRIBUTES, FORMAT, PARAMETERS, SCORER_JSON, VERSION, save

__all__ = ["ATTRIBUTES", "FORMAT", "PARAMETERS", "SCORER_JSON", "VERSION", "load_scorer", "save"]


def load_scorer(
    path: Path, kind: str | None = None, settings: Mapping[str, Any] | None = None
) -> Scorer:
    """Load a saved scorer: a balr scorer folder or its scorer.json, or a BA-LR 2.0 scorer.pt.

    Args:
        path: the folder, its ``scorer.json``, or a ``.pt`` state_dict of float buffers.
            A missing ``FOLDER/scorer.pt`` (BA-LR 2.0's name) next to a scorer.json loads
            the balr folder.
        kind: the scorer type ("beta", "maxllr", "dna", "speech"); required for a ``.pt``
            (which does not record it), checked against scorer.json otherwise.
        settings: hyper-parameters by name (e.g. ``drop_in``): those of the scorer built
            for a ``.pt`` (which holds none); checked against scorer.json otherwise (a
            fitted scorer keeps the settings it was fitted with).

    Raises:
        ScorerError: missing, malformed or foreign files, a type mismatch, or settings
            that differ from a balr scorer's.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        if not (path / SCORER_JSON).is_file() and (path / "scorer.pt").is_file():
            path = path / "scorer.pt"
        else:
            path = path / SCORER_JSON
    elif path.suffix == ".pt" and not path.exists() and (path.parent / SCORER_JSON).is_file():
        path = path.parent / SCORER_JSON
    settings = dict(settings or {})
    if path.suffix == ".pt":
        scorer = _load_torch(path, kind, settings)
    else:
        scorer = _load_balr(path, kind)
        scorer.check_settings(settings, path)
    scorer.source = path
    return scorer


def _load_balr(path: Path, kind: str | None) -> Scorer:
    description = _read_description(path)
    name = description.get("type")
    if description.get("input") == "embeddings":
        raise ScorerError(
            f"{path}: holds a {name} scorer of embeddings, not of binary attributes: give a"
            " scorer fitted on binary attributes (e.g. balr score train REF scorer=beta)"
        )
    if name not in SCORERS:
        raise ScorerError(
            f"{path}: unknown scorer type {name!r}: expected one of {sorted(SCORERS)}"
        )
    if kind is not None and kind != name:
        raise ScorerError(
            f"{path}: holds a {name} scorer, not {kind}: drop scorer={kind} or give a {kind} scorer"
        )
    try:
        scorer = SCORERS[name](**dict(description.get("settings", {})))
        k = int(description["n_attributes"])
        reference = description["reference"]
        report = FitReport.from_dict(description["fit"])
    except (TypeError, KeyError, ValueError) as error:
        raise ScorerError(
            f"{path}: malformed scorer description ({error}): fit the scorer again"
        ) from None
    arrays = _read_arrays(path.parent / PARAMETERS, scorer, k)
    scorer._reset(k)
    scorer.set_parameters({n: arrays[n] for n in scorer.parameter_names})
    scorer.excluded = arrays["excluded"].astype(bool)
    scorer.reasons = arrays["reason"].astype(np.int8)
    scorer._stats = ReferenceStats(
        rate=arrays["stats_rate"],
        speaker_share=arrays["stats_speaker_share"],
        typicality=arrays["stats_typicality"],
        dropout=arrays["stats_dropout"],
        n_speakers=int(reference["speakers"]),
        n_recordings=int(reference["recordings"]),
    )
    scorer.report = report
    return scorer


def _read_description(path: Path) -> dict[str, Any]:
    try:
        data, _ = read_limited(path, SCORER_JSON_LIMIT, ScorerError, "balr scorer.json")
        description = json.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise ScorerError(
            f"{path}: not found: give a scorer folder written by `balr score train`"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        reason = type(error).__name__ if isinstance(error, RecursionError) else error
        raise ScorerError(f"{path}: unreadable scorer description ({reason}): fit again") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise ScorerError(
            f"{path}: not a balr scorer description: give a folder written by `balr score train`"
        )
    if int(description.get("version", 0)) > VERSION:
        raise ScorerError(f"{path}: written by a newer balr (format {description['version']})")
    return description


def _read_arrays(path: Path, scorer: Scorer, k: int) -> dict[str, np.ndarray]:
    wanted = [
        *scorer.parameter_names,
        *(f"stats_{n}" for n in ReferenceStats.FIELDS),
        "excluded",
        "reason",
    ]
    try:
        check_regular(path, ScorerError, "parameters.npz of balr score train")
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: np.asarray(archive[name]) for name in wanted if name in archive}
    except FileNotFoundError:
        raise ScorerError(f"{path}: missing: the scorer folder is incomplete, fit again") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as error:
        raise ScorerError(
            f"{path}: unreadable parameters ({error}): fit the scorer again"
        ) from None
    missing = [name for name in wanted if name not in arrays]
    if missing:
        raise ScorerError(f"{path}: lacks the arrays {missing}: fit the scorer again")
    for name, array in arrays.items():
        if array.shape != (k,):
            raise ScorerError(
                f"{path}: {name} has shape {array.shape}, expected ({k},): fit the scorer again"
            )
    if (arrays["reason"] < 0).any() or (arrays["reason"] >= len(EXCLUSION_REASONS)).any():
        raise ScorerError(f"{path}: unknown exclusion reasons: fit the scorer again")
    arrays = {n: a.astype(np.float64) if n.startswith("stats_") else a for n, a in arrays.items()}
    for name in scorer.parameter_names:
        arrays[name] = arrays[name].astype(np.float64)
    _check_ranges(path, scorer, arrays)
    return arrays


def _check_ranges(path: Path, scorer: Scorer, arrays: dict[str, np.ndarray]) -> None:
    """ScorerError naming the first attribute in use whose parameters are invalid."""
    values = {name: arrays[name] for name in scorer.parameter_names}
    bad = np.flatnonzero(~scorer.in_range(values) & (arrays["excluded"] == 0))
    if bad.size:
        i = int(bad[0])
        shown = ", ".join(f"{name}={v[i]:g}" for name, v in values.items())
        raise ScorerError(
            f"{path}: attribute {i} has invalid {scorer.name} parameters ({shown}; {bad.size}"
            " attribute(s) in all): the file is damaged, fit the scorer again"
        )


# Buffers of a BA-LR 2.0 scorer.pt, by scorer type.
TORCH_BUFFERS = {
    "beta": ("alpha",),
    "maxllr": ("f", "p", "q"),
    "dna": ("typicality", "dropout"),
    "speech": ("typicality", "dropout"),
}


def _load_torch(path: Path, kind: str | None, settings: dict[str, Any]) -> Scorer:
    # The file first: a model checkpoint given as a scorer must be named as such.
    state = _torch_state(path)
    fits = [n for n, keys in TORCH_BUFFERS.items() if all(b in state for b in keys)]
    hint = f"it looks like scorer={fits[0]}" if fits else "it is not a scorer file"
    if kind is None or kind not in SCORERS:
        raise ScorerError(
            f"{path}: a BA-LR 2.0 scorer file does not record its type: add scorer=NAME"
            f" with NAME one of {sorted(SCORERS)} ({hint})"
        )
    needed = TORCH_BUFFERS[kind]
    if any(name not in state for name in needed):
        raise ScorerError(
            f"{path}: holds {sorted(state)}, not the {list(needed)} of a {kind} scorer: {hint}"
        )
    try:
        scorer = SCORERS[kind](**settings)
    except TypeError as error:
        raise ScorerError(f"{path}: bad settings for a {kind} scorer ({error})") from None
    scorer.load_torch_state({name: state[name] for name in needed}, path)
    return scorer


def _torch_state(path: Path) -> dict[str, np.ndarray]:
    import torch

    try:
        check_regular(path, ScorerError, "BA-LR 2.0 scorer.pt")
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ScorerError(f"{path}: not found: check the scorer checkpoint path") from None
    except ScorerError:
        raise
    except Exception as error:  # torch raises many types for corrupt or unsafe files
        raise ScorerError(
            f"{path}: unreadable scorer checkpoint ({type(error).__name__}): fit the scorer again"
        ) from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ScorerError(
            f"{path}: not a scorer (no state_dict of tensors; a model checkpoint?): give a"
            " `balr score train` run dir or a BA-LR 2.0 scorer.pt"
        )
    out = {}
    for name, tensor in state.items():
        if not tensor.is_floating_point():
            raise ScorerError(f"{path}: buffer {name} holds {tensor.dtype}, not floats")
        out[str(name)] = tensor.detach().to(torch.float64).numpy()
    return out


def scorer_file_digests(path: Path) -> tuple[str | None, str | None]:
    """sha256 of a scorer run's parameters.npz and of its scorer.json (which holds settings
    such as drop_in that change the LLR); of a lone BA-LR 2.0 scorer.pt, (its digest, None).

    `path` is a run directory, its scorer.json, or a ``.pt`` file; a missing file gives None.
    """
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    if path.is_dir() and not (folder / SCORER_JSON).is_file():
        path = folder / "scorer.pt"
    if path.suffix == ".pt" or (path.is_file() and path.name != SCORER_JSON):
        return (sha256_of(path) if path.is_file() else None), None
    params, settings = (
        sha256_of(f) if f.is_file() else None for f in (folder / PARAMETERS, folder / SCORER_JSON)
    )
    return params, settings


def scorer_digest(path: Path) -> str | None:
    """One sha256 of what a saved scorer scores with: its parameters.npz and scorer.json.

    A calibration records it, so it is applied only to the scores of the scorer it was
    fitted for. `path` is a run directory, its scorer.json, or a BA-LR 2.0 ``.pt`` file
    (the digest of that file's digest); None when a scorer file is missing.
    """
    params, settings = scorer_file_digests(path)
    is_pt = Path(path).suffix == ".pt" or (
        Path(path).is_dir() and not (Path(path) / SCORER_JSON).is_file()
    )
    if params is None or (settings is None and not is_pt):
        return None
    digest = hashlib.sha256()
    for part in (params, settings):
        if part is not None:
            digest.update(bytes.fromhex(part))
    return digest.hexdigest()
