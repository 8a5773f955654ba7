"""`balr pack`: one packed dataset folder from a per-file dataset, for fast loading."""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from balr.logs import console_handler


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `balr pack`."""
    parser = subparsers.add_parser(
        "pack",
        help="pack a dataset's vectors into one folder that loads in seconds",
        description="Read every vector of DATASET (CSV, folder or file) and write OUT: a packed"
        " dataset folder (index.parquet + embeddings.npy [+ binary_attributes.npy]) that"
        " `balr train` and `balr binarize` accept wherever a dataset path is expected.",
    )
    parser.add_argument("dataset", metavar="DATASET")
    parser.add_argument("out", metavar="OUT")
    parser.add_argument("--root-dir", help="folder that relative CSV paths resolve against")
    parser.add_argument(
        "--utt2spk", help="Kaldi utt2spk of an .ark/.scp dataset (default: the one beside it)"
    )
    parser.add_argument("--num-workers", type=int, default=None, help="reader threads")
    parser.set_defaults(run=run)


def run(ns: argparse.Namespace) -> int:
    """Entry point of `balr pack`."""
    from balr.data import AudioDataset, pack_dataset

    logging.basicConfig(level=logging.INFO, handlers=[console_handler()], force=True)
    started = time.perf_counter()
    dataset = AudioDataset.from_path(Path(ns.dataset), root_dir=ns.root_dir, utt2spk=ns.utt2spk)
    out = pack_dataset(dataset, Path(ns.out), num_workers=ns.num_workers)
    logging.getLogger("balr").info(
        "packed %d items into %s in %.1fs", len(dataset), out, time.perf_counter() - started
    )
    return 0
