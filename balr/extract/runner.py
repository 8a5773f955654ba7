"""`extract_embeddings`: speaker embeddings of a dataset's audio files, resumable and sharded.

Example::

    from pathlib import Path

    from balr.data import AudioDataset
    from balr.extract import GE2EEncoder
    from balr.extract.runner import ExtractOptions, extract_embeddings

    dataset = AudioDataset.from_path("recordings/")
    options = ExtractOptions(workers=2)
    summary = extract_embeddings(dataset, GE2EEncoder, options, Path("out"))
    print(summary.line())  # out/extracted.csv is a dataset `balr train` reads

With workers > 1, call it under ``if __name__ == "__main__":`` in a script (the worker
processes import the main module).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from balr.conditions.chain import Source
from balr.data.ids import check_ids
from balr.data.packed import MATRIX_FILES
from balr.data.vectors import MatrixRow
from balr.errors import ConfigError, DatasetError
from balr.extract import outputs
from balr.extract.audio import audio_seconds
from balr.extract.options import ExtractOptions, ExtractSummary
from balr.extract.pipeline import Batch, Outcome, Recipe, Task, WorkerPool, run_pipeline
from balr.extract.plan import plan
from balr.extract.progress import ExtractProgress
from balr.extract.segments import check_segment_seconds
from balr.extract.worklist import (
    Row,
    WorkItem,
    check_format,
    shard_name,
    shard_of,
    work_items,
)

log = logging.getLogger("balr.extract")

# Audio per batch at most, in seconds: long recordings are embedded a few at a time.
BATCH_SECONDS = 600.0

# How to fix an id that would break a trial list (balr/data/ids.py).
_ID_FIX = "rename the file (or give the recording a safe id in a dataset CSV's id column)"


def extract_embeddings(
    dataset: Any, encoder_factory: Callable[[], Any], options: ExtractOptions, out_dir: Path
) -> ExtractSummary:
    """Embed the audio of `dataset` (an AudioDataset) and write the results.

    Args:
        dataset: items with an "audio" path (and optionally "speaker", "embedding").
        encoder_factory: builds a SpeakerEncoder: once here first (a wrong encoder config
            is an error even when nothing is left to do), then once per worker process when
            workers > 1, so it must pickle: a class or a functools.partial of one.
        options: see `ExtractOptions`.
        out_dir: folder for the CSV (or pack) and the error list: ``extracted.csv``,
            ``extract_errors.csv``, or ``shard-<i>-of-<K>.csv`` / ``..._errors.csv``.

    Raises:
        DatasetError: with `strict`, the first bad file; ConfigError: invalid options.
        BalrError: the encoder cannot be built or used.
    """
    fmt = _check(options)
    started = time.perf_counter()
    factory, dim = _checked_factory(encoder_factory, options.workers)
    items, options = _shard_items(dataset, options)
    summary = ExtractSummary(total=len(items))
    names = _output_names(out_dir, options)
    if options.packed and not options.force and (names["pack"] / "balr-pack.json").is_file():
        log.info("%s exists: nothing to do (use --force to extract again)", names["pack"])
        summary.skipped, summary.output = len(items), names["pack"]
        return summary
    todo, errors = plan(items, fmt, options, summary, dim)
    collected = _extract(todo, factory, options, fmt, summary, errors) if todo else []
    summary.failed = len(errors)
    if options.save_output:
        _write_outputs(summary, collected, errors, names, options)
    summary.seconds = time.perf_counter() - started
    return summary


def _check(options: ExtractOptions) -> str:
    try:
        fmt = check_format(options.fmt)
    except ValueError as error:
        raise ConfigError(f"extract.format: {error}") from None
    if options.workers < 1 or options.batch_files < 1:
        raise ConfigError(
            f"extract.workers={options.workers} extract.batch_files={options.batch_files}:"
            " both must be >= 1"
        )
    if options.segments is not None:
        check_segment_seconds(options.segments, "extract.segments=")
    return fmt


def _shard_items(dataset: Any, options: ExtractOptions) -> tuple[list[WorkItem], ExtractOptions]:
    """This shard's items; the options' condition may draw babble from every item's audio."""
    save_dir = None if options.save_dir is None else Path(options.save_dir).absolute()
    items = work_items(dataset.iter_dicts(), save_dir)
    check_ids((item.id for item in items), str(dataset.name), _ID_FIX)
    if items and all(item.audio is None for item in items):
        raise DatasetError(
            f"{dataset.name}: no item has an audio file: give balr extract recordings (a"
            " folder of audio files, a CSV with an audio column, or one audio file)"
        )
    if options.condition is not None and not options.condition.is_clean:
        sources = [Source(i.id, i.audio, i.speaker) for i in items if i.audio is not None]
        options = replace(options, condition=options.condition.with_sources(sources))
        # An input's own embeddings are of the clean audio, not of this condition's.
        items = [replace(item, existing=None) for item in items]
    try:
        return shard_of(items, options.shard, options.shards), options
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _output_names(out_dir: Path, options: ExtractOptions) -> dict[str, Path]:
    if options.shards > 1:
        base = shard_name(options.shard, options.shards)
        return {
            "csv": out_dir / f"{base}.csv",
            "errors": out_dir / f"{base}_errors.csv",
            "pack": out_dir / base,
        }
    return {
        "csv": out_dir / outputs.CSV_NAME,
        "errors": out_dir / outputs.ERRORS_NAME,
        "pack": out_dir / outputs.PACK_NAME,
    }


def _extract(
    todo: list[WorkItem],
    encoder_factory: Callable[[], Any],
    options: ExtractOptions,
    fmt: str,
    summary: ExtractSummary,
    errors: list[tuple[str, Path | None, str]],
) -> list[tuple[Row, np.ndarray]]:
    """Embed `todo`, writing each file's vectors as it finishes (kept and returned if packed)."""
    collected: list[tuple[Row, np.ndarray]] = []
    # closing(): a --strict stop ends the worker processes now, not when the exception's
    # traceback (which holds the generator) is dropped.
    computed = closing(_compute(todo, encoder_factory, options, summary))
    with ExtractProgress(len(todo), options.progress) as progress, computed as batches:
        for outcomes in batches:
            for outcome in outcomes:
                item = todo[outcome.position]
                for note in outcome.notes:
                    log.warning("%s", note)
                if outcome.error is None:
                    _record(item, outcome, fmt, options, summary, collected)
                elif options.strict:
                    raise DatasetError(outcome.error)
                else:
                    errors.append((item.id, item.audio, outcome.error))
            progress.advance(len(outcomes), sum(o.audio_seconds for o in outcomes))
    return collected


def _compute(
    todo: list[WorkItem],
    encoder_factory: Callable[[], Any],
    options: ExtractOptions,
    summary: ExtractSummary,
) -> Generator[list[Outcome], None, None]:
    """Outcomes batch by batch; `summary.cpu_seconds` counts the compute's CPU time."""
    recipe = Recipe(options.segments, options.min_last, options.condition)
    batches = _batches(todo, options.batch_files)
    if options.workers == 1:
        started = time.process_time()
        for outcomes in _in_process(encoder_factory, batches, recipe):
            summary.cpu_seconds = time.process_time() - started
            yield outcomes
        return
    pool = WorkerPool(encoder_factory, recipe, options.workers)
    finished = False
    try:
        for outcomes in pool.map(batches):
            summary.cpu_seconds = sum(pool.cpu_seconds.values())
            yield outcomes
        finished = True
    finally:
        pool.close(abort=not finished)


def _checked_factory(
    encoder_factory: Callable[[], Any], workers: int
) -> tuple[Callable[[], Any], int]:
    """The factory the compute uses, after one build here that checks the encoder config,
    and the encoder's embedding size."""
    encoder = encoder_factory()
    return (encoder_factory if workers > 1 else lambda: encoder), int(encoder.dim)


def _in_process(
    encoder_factory: Callable[[], Any], batches: Iterator[Batch], recipe: Recipe
) -> Iterator[list[Outcome]]:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        encoder = encoder_factory()
        yield from run_pipeline(encoder, lambda: next(batches, None), recipe)
    finally:
        torch.set_num_threads(threads)


def _batches(todo: list[WorkItem], size: int) -> Iterator[Batch]:
    """Batches of `size` files, cut sooner at BATCH_SECONDS of audio (header durations).

    A batch's recordings are held decoded at once, and a worker holds two batches: eight
    2 h recordings in one would need ~8 GB, one by one ~1 GB.
    """
    batch: Batch = []
    seconds = 0.0
    for n, item in enumerate(todo):
        length = audio_seconds(item.audio) if item.audio is not None else 0.0
        if batch and (len(batch) == size or seconds + length > BATCH_SECONDS):
            yield batch
            batch, seconds = [], 0.0
        batch.append(Task(n, str(item.audio), item.id, item.speaker))
        seconds += length
    if batch:
        yield batch


def _record(
    item: WorkItem,
    outcome: Outcome,
    fmt: str,
    options: ExtractOptions,
    summary: ExtractSummary,
    collected: list[tuple[Row, np.ndarray]],
) -> None:
    """Write (or keep, when packed) the vectors of one finished file."""
    assert outcome.vectors is not None
    summary.extracted += 1
    summary.audio_seconds += outcome.audio_seconds
    summary.vectors += len(outcome.vectors)
    segments = options.segments is not None
    rows = []
    # Segment files are written last to first: segment 0 on disk means the file is done.
    for k in reversed(range(len(outcome.vectors))):
        target = item.target(fmt, k if segments else None)
        row_id = item.segment_id(k) if segments else item.id
        row = (
            Row(row_id, None, target, item.speaker, item.audio)
            if segments
            else Row(row_id, item.audio, target, item.speaker)
        )
        if options.packed:
            collected.append((row, outcome.vectors[k]))
        elif options.save_output:
            outputs.write_vector(target, outcome.vectors[k])
        rows.append(row)
    summary.rows.extend(reversed(rows))


def _write_outputs(
    summary: ExtractSummary,
    collected: list[tuple[Row, np.ndarray]],
    errors: list[tuple[str, Path | None, str]],
    names: dict[str, Path],
    options: ExtractOptions,
) -> None:
    summary.errors_path = outputs.write_errors(names["errors"], errors)
    condition = None if options.condition is None else options.condition.name
    if options.packed:
        if collected:
            vectors = np.stack([v for _, v in collected])
            rows = [r for r, _ in collected]
            summary.output = outputs.write_pack(names["pack"], rows, vectors, condition)
            pack_matrix = summary.output / MATRIX_FILES["embedding"]
            summary.rows = [
                Row(r.id, r.audio, MatrixRow(pack_matrix, n), r.speaker, r.source)
                for n, r in enumerate(sorted(rows, key=lambda r: r.id))
            ]
        return
    # Written even when empty: a shard whose files all failed still reports to the merge.
    summary.output = outputs.write_rows_csv(names["csv"], summary.rows, condition)
