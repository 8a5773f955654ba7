"""A case whose LR is a fusion of BA-LR with other systems (`balr compare --fusion`).

The fusion (``balr score fuse``) is LLR = offset + w_BA-LR · raw BA-LR LLR + Σ w_i · s_i.
For the case report it is the BA-LR scorer's calibration: an affine map of BA-LR's raw LLR
(slope w_BA-LR, shift offset + the other systems' parts), so the headline, the chart and
the attribute table keep their meaning, BA-LR's part stays split by attribute (its raw
contributions times w_BA-LR), and `Case.fusion` lists every system's score, weight and part.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from balr.data.dataset import AUDIO_FORMATS
from balr.data.vectors import load_ref, load_vector
from balr.evaluation.fusion import Fusion, FusionError
from balr.report.case import LN10, CalibrationInfo, Case

if TYPE_CHECKING:
    from balr.data import AudioDataset
    from balr.scoring.embedding import EmbeddingScorer


def split_systems(
    fusion: Fusion, path: Path, scorer_dir: Path
) -> tuple[str, list[tuple[str, EmbeddingScorer]]]:
    """(the BA-LR system's name, [(name, scorer)] of the others), from `fusion`.

    Raises:
        FusionError: `scorer_dir` is not one of the fusion's systems, a system names no
            scorer run, or another system also scores binary attributes.
    """
    from balr.scoring import load_any_scorer
    from balr.scoring.embedding import EmbeddingScorer

    ours = scorer_dir.resolve()
    balr_name, others = None, []
    for system in fusion.systems:
        if system.scorer is None:
            raise FusionError(f"{path}: system {system.name!r} names no scorer run ('scorer')")
        if Path(system.scorer).resolve() == ours:
            balr_name = system.name
            continue
        scorer = load_any_scorer(Path(system.scorer))
        if not isinstance(scorer, EmbeddingScorer):
            raise FusionError(
                f"{path}: system {system.name!r} is a second binary-attribute scorer: balr"
                " compare explains fusions of one BA-LR scorer with embedding scorers"
            )
        others.append((system.name, scorer))
    if balr_name is None:
        raise FusionError(
            f"{path}: --scorer {scorer_dir} is none of the fusion's systems"
            f" ({', '.join(fusion.names)}): give the BA-LR system's scorer run"
        )
    return balr_name, others


def side_embeddings(
    role: str,
    names: Sequence[str],
    extract: Callable[[Path], np.ndarray],
    dataset: AudioDataset | None,
) -> np.ndarray:
    """float64 [n, D]: the embeddings of one side's recordings (audio is embedded).

    Raises:
        FusionError: a recording is binary attributes only (the embedding systems need
            its embedding).
    """
    blocks = []
    for name in names:
        path = Path(name).expanduser()
        if not path.is_file() and dataset is not None:
            raw = dataset.data[name]
            ref = raw.get("embedding")
            if ref is not None:
                blocks.append(np.atleast_2d(load_ref(ref, "embedding")))
                continue
            path = Path(raw["audio"]) if raw.get("audio") is not None else path
        if path.suffix.lower().lstrip(".") in AUDIO_FORMATS:
            blocks.append(np.atleast_2d(extract(path)))
        elif path.is_file() and not path.stem.endswith("_ba"):
            blocks.append(np.atleast_2d(load_vector(path, "embedding")))
        else:
            raise FusionError(
                f"{role} recording {name} has binary attributes only: the fusion's embedding"
                " systems need its embedding or audio"
            )
    return np.concatenate(blocks).astype(np.float64)


def system_scores(
    others: list[tuple[str, EmbeddingScorer]], enrollment: np.ndarray, test: np.ndarray
) -> dict[str, float]:
    """Each embedding system's raw score of the two sides (all recordings of each)."""
    from balr.scoring.sides import RowGroups

    both = np.concatenate([enrollment, test])
    sides = (
        RowGroups.of([np.arange(len(enrollment))]),
        RowGroups.of([np.arange(len(enrollment), len(both))]),
    )
    return {name: float(scorer.score_sides(both, *sides)[0]) for name, scorer in others}


def apply_fusion(
    case: Case, fusion: Fusion, path: Path, balr_name: str, scores: dict[str, float]
) -> None:
    """Make `case`'s LR the fused one and record every system's part (`Case.fusion`)."""
    from balr.data.guard import sha256_of

    scores = {**scores, balr_name: case.llr_raw}
    systems: list[dict[str, Any]] = [
        {
            "name": s.name,
            "weight": s.weight,
            "score": scores[s.name],
            "part": s.weight * scores[s.name],
            "scorer": s.scorer,
            "ba_lr": s.name == balr_name,
        }
        for s in fusion.systems
    ]
    weight = next(s["weight"] for s in systems if s["ba_lr"])
    shift = fusion.offset + math.fsum(s["part"] for s in systems if not s["ba_lr"])
    bounds = None if fusion.bounds is None else fusion.bounds.to_dict()
    case.calibration = CalibrationInfo(
        str(path.absolute()), weight, shift, sha256_of(path), "fusion", bounds, _data(fusion)
    )
    case.fusion = {"path": str(path.absolute()), "offset": fusion.offset, "systems": systems}
    case.notes.append(
        f"The LR fuses {len(systems)} systems ({', '.join(fusion.names)}); the BA-LR system"
        f" {balr_name}'s part is {weight:.3g} x its raw LLR, the sum of the attribute"
        " contributions."
    )


def _data(fusion: Fusion) -> dict[str, Any]:
    """What the fusion was fitted on, for the report: its score files and (from its ELUB
    bounds, computed on the same comparisons) the numbers of comparisons."""
    data: dict[str, Any] = {}
    if fusion.bounds is not None:
        data |= {"n_target": fusion.bounds.n_target, "n_nontarget": fusion.bounds.n_nontarget}
    files = [s.scores for s in fusion.systems if s.scores]
    if files:
        data["file"] = ", ".join(files)
    return data


def fusion_section(case: Case) -> str:
    """The systems of a fused LR and their parts (empty for an unfused case)."""
    f: dict[str, Any] | None = case.fusion
    if f is None:
        return ""
    rows = "".join(
        f"<tr><td>{escape(s['name'])}{' (BA-LR, by attribute below)' if s['ba_lr'] else ''}"
        f"</td><td>{s['score']:+.4g}</td><td>{s['weight']:.4g}</td>"
        f"<td>{s['part'] / LN10:+.2f}</td></tr>"
        for s in f["systems"]
    )
    return (
        "<h2>Fused systems</h2><p>The LR fuses several systems (<code>"
        f"{escape(f['path'])}</code>): log<sub>10</sub> LR = offset + the parts below.</p>"
        "<table><tr><th>system</th><th>raw score</th><th>weight</th>"
        "<th>log<sub>10</sub> part</th></tr>"
        f"{rows}<tr><td>offset</td><td></td><td></td><td>{f['offset'] / LN10:+.2f}</td></tr>"
        f"<tr><td><b>fused</b></td><td></td><td></td><td><b>{case.log10_lr:+.2f}</b></td></tr>"
        "</table>"
    )
