"""`balr score fuse`: fuse several systems' score files on the same trials, or apply a fusion.

The score files (scores.tsv of `balr score test`, or any file `read_scores` reads) must
hold the same comparisons, matched by their enrollment and test cells (any row order);
each system's raw score is what `read_scores` takes (``llr_raw``, else the LLR or score).
The fused scores.tsv has ``enrollment``, ``test``, ``llr`` (the fused natural-log LLR,
clipped to the fusion's ELUB bounds when it has them), ``llr_unbounded`` (then only),
``log10_lr``, ``label`` (when known) and ``part_NAME`` per system (its part of the LLR:
weight · score; the parts plus the fusion's offset add up to the unbounded LLR). With labels, a
metrics.json like `balr score test`'s is written too.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from balr.data.atomic import atomic_path
from balr.errors import DatasetError
from balr.evaluation.fusion import FusedSystem, Fusion, FusionError
from balr.logs import run_log_file
from balr.scoring.score_files import ScoreList, read_scores
from balr.training.summary import read_summary

log = logging.getLogger("balr.score")


@dataclass
class AlignedScores:
    """The comparisons of several score files, one score column per file.

    Attributes:
        enrollment: the first file's enrollment cells, in its row order.
        test: its test cells.
        scores: float64 [P, m], column i from file i.
        labels: bool [P] from the files' label columns, None when none has one.
    """

    enrollment: list[str]
    test: list[str]
    scores: np.ndarray
    labels: np.ndarray | None


def system_names(paths: list[Path]) -> list[str]:
    """A name per score file: its folder's for a scores.tsv, else its stem; made unique."""
    names: list[str] = []
    for path in paths:
        base = path.parent.name if path.name == "scores.tsv" and path.parent.name else path.stem
        name, n = base or "system", 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def _refuse_a_file_twice(paths: list[Path]) -> None:
    """FusionError when two of `paths` are one file: one system would count as two."""
    seen: dict[Path, Path] = {}
    for path in paths:
        real = Path(path).resolve()
        if real in seen:
            raise FusionError(
                f"{path}: given twice (as {seen[real]} too): one system fused with itself"
                " gains nothing; give each system's score file once"
            )
        seen[real] = path


def align_score_files(paths: list[Path]) -> AlignedScores:
    """Read `paths` and match their rows by (enrollment, test).

    Raises:
        DatasetError: a file is unreadable, lists a comparison twice, or the files do not
            hold the same comparisons (the message names the first one missing).
    """
    lists = [read_scores(path) for path in paths]
    keys = [_keys(score_list, path) for score_list, path in zip(lists, paths, strict=True)]
    first = keys[0]
    columns, labels = [lists[0].raw], lists[0].labels
    for path, key, score_list in zip(paths[1:], keys[1:], lists[1:], strict=True):
        order = _match(first, key, paths[0], path)
        columns.append(score_list.raw[order])
        if score_list.labels is not None:
            labels = _agree(labels, score_list.labels[order], path, lists[0], paths[0])
    frame = lists[0].frame
    return AlignedScores(
        frame["enrollment"].to_list(), frame["test"].to_list(), np.column_stack(columns), labels
    )


def _keys(score_list: ScoreList, path: Path) -> pl.Series:
    frame = score_list.frame
    if "enrollment" not in frame.columns or "test" not in frame.columns:
        raise DatasetError(f"{path}: no 'enrollment' and 'test' columns: give a scores.tsv")
    keys = frame["enrollment"] + "\t" + frame["test"]
    twice = keys.is_duplicated()
    if twice.any():
        row = int(twice.arg_true()[0])
        raise DatasetError(
            f"{path}: line {row + 2}: comparison {keys[row].replace(chr(9), ' vs ')} appears"
            " more than once; score each comparison once before fusing"
        )
    return keys


def _match(first: pl.Series, other: pl.Series, first_path: Path, path: Path) -> np.ndarray:
    """Row of `other` holding each comparison of `first` (DatasetError when the sets differ)."""
    index = {key: i for i, key in enumerate(other.to_list())}
    order = np.fromiter((index.get(k, -1) for k in first.to_list()), np.int64, len(first))
    fix = "fuse score files of the same trials"
    if (order < 0).any():
        row = int(np.flatnonzero(order < 0)[0])
        pair = first[row].replace("\t", " vs ")
        raise DatasetError(f"{path}: no score for {pair} (line {row + 2} of {first_path}); {fix}")
    if len(other) != len(first):
        extra = sorted(set(range(len(other))) - set(order.tolist()))[0]
        pair = other[extra].replace("\t", " vs ")
        raise DatasetError(f"{path}: line {extra + 2}: {pair} is not in {first_path}; {fix}")
    return order


def _agree(
    labels: np.ndarray | None, other: np.ndarray, path: Path, first: ScoreList, first_path: Path
) -> np.ndarray:
    if labels is None:
        return other
    differ = np.flatnonzero(labels != other)
    if differ.size:
        row = int(differ[0])
        pair = f"{first.frame['enrollment'][row]} vs {first.frame['test'][row]}"
        raise DatasetError(
            f"{path}: the label of {pair} differs from {first_path}'s (line {row + 2}): fuse"
            " scores of the same labelled trials"
        )
    return labels


def scorer_of(path: Path) -> str | None:
    """The scorer run that wrote `path`, if known: the test run's scorer (its summary.json),
    or the scorer run itself for its cv_scores.tsv (`balr score train --calibrate K`)."""
    summary = read_summary(path.parent / "summary.json")
    if summary is None:
        return None
    if summary.get("kind") == "scorer":
        return str(path.parent.absolute())
    where = summary.get("scorer_dir")
    return str(where) if isinstance(where, str) else None


def fuse(
    paths: list[Path], run_dir: Path, names: list[str] | None = None, bounds: bool = True
) -> Fusion:
    """Fit a fusion of the score files `paths`; write fusion.json, scores.tsv, metrics.json.

    With `bounds`, the fused LLRs are clipped to ELUB bounds of the fitting data's.
    """
    if len(paths) < 2:
        raise FusionError(f"balr score fuse needs 2 or more score files, got {len(paths)}")
    _refuse_a_file_twice(paths)
    names = names or system_names(paths)
    if len(names) != len(paths) or len(set(names)) != len(names):
        raise FusionError(f"--names {','.join(names)}: give one distinct name per score file")
    aligned = align_score_files(paths)
    labels = aligned.labels
    if labels is None or labels.all() or not labels.any():
        raise DatasetError(
            f"{paths[0]}: fusion is fitted on labelled same- and different-speaker"
            " comparisons: give score files with a label column holding both (1 and 0)"
        )
    systems = [
        FusedSystem(n, 0.0, str(p.absolute()), scorer_of(p))
        for n, p in zip(names, paths, strict=True)
    ]
    fusion = Fusion.fit(aligned.scores, labels, systems, bounds)
    write_fused(run_dir, aligned, fusion)
    data = {"n_target": int(labels.sum()), "n_nontarget": int((~labels).sum())}
    fusion.save(run_dir / "fusion.json", data=data)
    return fusion


def apply_fusion(fusion_path: Path, paths: list[Path], run_dir: Path) -> Fusion:
    """Apply a fusion.json to score files given in its systems' order; write the outputs."""
    fusion = Fusion.load(fusion_path)
    if len(paths) != len(fusion.systems):
        raise FusionError(
            f"{fusion_path}: fuses {len(fusion.systems)} systems ({', '.join(fusion.names)}),"
            f" got {len(paths)} score files: give one per system, in that order"
        )
    write_fused(run_dir, align_score_files(paths), fusion)
    return fusion


def write_fused(
    run_dir: Path, aligned: AlignedScores, fusion: Fusion, echo: bool = True
) -> dict[str, float] | None:
    """scores.tsv of the fused LLRs with each system's part, and metrics.json when labelled.

    Returns the metrics of the reported (bounded) LLRs; None without both classes. `echo`:
    also print the summary lines (the Hydra apps' console already shows the log).
    """
    from balr.evaluation.calibration import llr_metrics

    frame, llr = fused_frame(aligned, fusion)
    labels = aligned.labels
    metrics = None
    if labels is not None and labels.any() and not labels.all():
        metrics = llr_metrics(llr, labels)
    with atomic_path(run_dir / "scores.tsv") as tmp:
        frame.write_csv(tmp, separator="\t", float_precision=6, quote_style="never")
    if metrics is not None:
        with atomic_path(run_dir / "metrics.json") as tmp:
            tmp.write_text(json.dumps(metrics, indent=2) + "\n")
    _report(run_dir, fusion, frame, metrics, echo)
    return metrics


def fused_frame(aligned: AlignedScores, fusion: Fusion) -> tuple[pl.DataFrame, np.ndarray]:
    """(scores.tsv's table, the reported fused LLRs) of the aligned scores."""
    parts = fusion.parts(aligned.scores)
    unbounded = parts.sum(axis=1) + fusion.offset
    llr = unbounded if fusion.bounds is None else fusion.bounds.clip(unbounded)
    columns: dict[str, object] = {"enrollment": aligned.enrollment, "test": aligned.test}
    columns["llr"] = llr
    if fusion.bounds is not None:
        columns["llr_unbounded"] = unbounded
    columns["log10_lr"] = llr / math.log(10.0)
    if aligned.labels is not None:
        columns["label"] = aligned.labels.astype(np.int8)
    columns |= {f"part_{name}": parts[:, i] for i, name in enumerate(fusion.names)}
    return pl.DataFrame(columns), llr


def _report(
    run_dir: Path,
    fusion: Fusion,
    frame: pl.DataFrame,
    metrics: dict[str, float] | None,
    echo: bool,
) -> None:
    """What the fusion did, on the terminal and in score_fuse.log."""
    weights = ", ".join(f"{s.name} {s.weight:.4g}" for s in fusion.systems)
    lines = [f"fused {frame.height} comparisons: weights {weights}, offset {fusion.offset:.4g}"]
    if fusion.bounds is not None:
        b = fusion.bounds
        clipped = int((frame["llr"] != frame["llr_unbounded"]).sum())
        lines.append(
            f"ELUB bounds log10 LR [{b.log10_lower:+.2f}, {b.log10_upper:+.2f}]:"
            f" {clipped} of {frame.height} fused LLRs clipped (llr_unbounded keeps them)"
        )
    if metrics is not None:
        lines.append(
            f"fused LLRs: EER {metrics['eer']:.2f}%  Cllr {metrics['cllr']:.3f}"
            f"  Cllr_min {metrics['cllr_min']:.3f}"
        )
    lines.append(f"results in {run_dir}")
    with run_log_file(run_dir, "score_fuse.log"):
        for line in lines:
            log.info("%s", line)
            if echo:
                print(line)
