"""`balr score trials`: speaker-disjoint trial lists of a dataset (e.g. calibrate / test)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from balr.data.atomic import atomic_path
from balr.errors import DatasetError, RunDirError

if TYPE_CHECKING:
    from balr.evaluation.trials import Trials


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `balr score trials`."""
    parser = sub.add_parser(
        "trials",
        help="write speaker-disjoint trial lists of a dataset",
        description="Deal DATA's speakers (shuffled with --seed) into --parts groups and write"
        " every same- and different-speaker pair of each group as OUT_DIR/trials1.tsv,"
        " trials2.tsv, ... (enrollment, test, label): e.g. one list to calibrate on and"
        " another to test on, with no speaker in common.",
    )
    parser.add_argument("data", metavar="DATA", help="dataset with a speaker per item")
    parser.add_argument("--out-dir", required=True, help="folder for the trial lists")
    parser.add_argument("--parts", type=int, default=2, help="number of lists (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the speaker shuffle")
    parser.add_argument(
        "--max-pairs", type=int, default=1_000_000, help="cap per class and list (default 1e6)"
    )
    parser.add_argument("--root-dir", help="folder that relative CSV paths resolve against")
    parser.add_argument(
        "--utt2spk", help="Kaldi utt2spk of an .ark/.scp dataset (default: the one beside it)"
    )
    parser.set_defaults(run=run)


def speaker_labels(
    data: Path, root_dir: str | None, utt2spk: str | None = None
) -> tuple[list[str], np.ndarray]:
    """Ids and int64 speaker labels (-1: none) of a dataset, without reading vectors."""
    import polars as pl

    from balr.data import AudioDataset
    from balr.data.table import speaker_labels as labels_of

    dataset = AudioDataset.from_path(data, root_dir=root_dir, utt2spk=utt2spk)
    names = [item.get("speaker") for _, item in dataset.iter_dicts()]
    texts = [None if n is None or n == "" else str(n) for n in names]
    labels, _ = labels_of(pl.Series("speaker", texts, dtype=pl.String))
    return list(dataset.ids), labels


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr score trials`."""
    from balr.data.ids import check_ids
    from balr.scoring.trials import split_speaker_trials

    if ns.max_pairs < 1:
        raise DatasetError(f"--max-pairs {ns.max_pairs}: give a positive cap")
    out_dir = Path(ns.out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise RunDirError(f"--out-dir {out_dir} is a file: give a folder for the trial lists")
    targets = [out_dir / f"trials{i + 1}.tsv" for i in range(max(ns.parts, 0))]
    existing = [str(t) for t in targets if t.exists()]
    if existing:
        raise RunDirError(f"{existing[0]} exists: choose another --out-dir or remove it")
    ids, labels = speaker_labels(Path(ns.data), ns.root_dir, ns.utt2spk)
    # A list written with such an id would not read back (balr score test would refuse it).
    check_ids(ids, str(ns.data), "rename those recordings, or give them safe ids in an id column")
    lists = split_speaker_trials(labels, ns.parts, ns.seed, ns.max_pairs)
    write_lists(out_dir, targets, lists, ids)
    for path, trials in zip(targets, lists, strict=True):
        speakers = len(np.unique(labels[np.concatenate([trials.enroll, trials.test])]))
        print(
            f"{path}: {speakers} speakers, {trials.num_targets} same-speaker and"
            f" {trials.num_nontargets} different-speaker trials"
        )
    return 0


def write_lists(out_dir: Path, targets: list[Path], lists: list[Trials], ids: list[str]) -> None:
    """Write every list atomically; on failure remove those written (and a folder made here).

    Raises:
        RunDirError: the folder cannot be made or written to (one line, with the fix).
    """
    from balr.evaluation.trial_io import write_trials

    created = not out_dir.exists()
    written: list[Path] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for path, trials in zip(targets, lists, strict=True):
            with atomic_path(path) as tmp:
                write_trials(tmp, trials, ids)
            written.append(path)
    except OSError as error:
        for path in written:
            path.unlink(missing_ok=True)
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise RunDirError(
            f"--out-dir {out_dir}: cannot write the trial lists ({error.strerror or error}):"
            " give a folder you can write to"
        ) from None
