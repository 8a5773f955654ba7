"""The compute side of extraction: decode and prepare audio, embed in batches, in N processes.

Each worker (the calling process with one worker, else N spawned processes) runs one
pipeline: a thread reads and prepares the next batch of files while the worker's
single torch thread embeds the current one. One thread per process, with files spread
over processes, is what scales on shared cores; more torch threads per process spin
and slow everything down.
"""

from __future__ import annotations

import ctypes
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from balr.errors import BalrError
from balr.extract.audio import read_audio
from balr.extract.segments import split_segments

# Seconds between checks that every worker process is still alive.
_POLL_S = 1.0
# prctl option: the signal the kernel sends this process when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Task:
    """One file to embed: its position in the work list, its audio path, id and speaker."""

    position: int
    audio: str
    # The recording's id and speaker seed and steer a recording condition's draws.
    id: str = ""
    speaker: str | None = None


@dataclass(frozen=True)
class Recipe:
    """How a recording becomes pieces: whole, or segments of `segments` seconds."""

    segments: float | None = None
    min_last: float = 1.5
    # A balr.conditions.Condition applied to the audio before it is prepared (None: as is).
    condition: Any = None


@dataclass
class Outcome:
    """The result for one task: vectors [pieces, dim] and seconds of audio, or an error;
    `notes` are warnings about the file (e.g. its samples were rescaled)."""

    position: int
    audio_seconds: float = 0.0
    vectors: np.ndarray | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


Batch = list[Task]
Loaded = list[tuple[Task, float, list[np.ndarray] | str, list[str]]]


def load_batch(encoder: Any, batch: Batch, recipe: Recipe) -> Loaded:
    """Read and prepare every file of `batch`; a failing file carries its reason instead."""
    return [_load_one(encoder, task, recipe) for task in batch]


def _load_one(
    encoder: Any, task: Task, recipe: Recipe
) -> tuple[Task, float, list[np.ndarray] | str, list[str]]:
    # Warnings go back to the parent with the outcome: a worker process has no log of its own.
    notes: list[str] = []
    return (*_prepare_one(encoder, task, recipe, notes), notes)


def _prepare_one(
    encoder: Any, task: Task, recipe: Recipe, notes: list[str]
) -> tuple[Task, float, list[np.ndarray] | str]:
    seconds = 0.0
    try:
        wav = read_audio(Path(task.audio), encoder.sample_rate, notes)
        seconds = len(wav) / encoder.sample_rate
        if recipe.condition is not None:
            wav = recipe.condition.apply(wav, encoder.sample_rate, task.id, task.speaker)
        prepared = encoder.prepare(wav)
        if recipe.segments is None:
            return task, seconds, [prepared]
        pieces = split_segments(prepared, encoder.sample_rate, recipe.segments, recipe.min_last)
        if not pieces:
            speech = len(prepared) / encoder.sample_rate
            return (
                task,
                seconds,
                (
                    f"{task.audio}: {speech:.2f} s of speech after silence trimming, less than the"
                    f" {recipe.min_last:g} s a segment needs: lower extract.min_last or drop it"
                ),
            )
        return task, seconds, list(pieces)
    except BalrError as error:
        # The encoder's own messages (silent, too short) do not know the file: name it.
        reason = " ".join(str(error).split())
        return task, seconds, reason if task.audio in reason else f"{task.audio}: {reason}"
    except Exception as error:  # any decoder failure is this file's, not the run's
        return (
            task,
            seconds,
            f"{task.audio}: {type(error).__name__}: {' '.join(str(error).split())}",
        )


def embed_loaded(encoder: Any, loaded: Loaded) -> list[Outcome]:
    """One `embed` call for every piece of every good file of a batch."""
    pieces = [p for _, _, got, _ in loaded if not isinstance(got, str) for p in got]
    vectors = np.asarray(encoder.embed(pieces), dtype=np.float32) if pieces else None
    outcomes, start = [], 0
    for task, seconds, got, notes in loaded:
        if isinstance(got, str):
            outcomes.append(Outcome(task.position, seconds, error=got, notes=notes))
            continue
        assert vectors is not None
        piece_vectors = vectors[start : start + len(got)]
        outcomes.append(Outcome(task.position, seconds, piece_vectors, notes=notes))
        start += len(got)
    return outcomes


def run_pipeline(
    encoder: Any, next_batch: Callable[[], Batch | None], recipe: Recipe
) -> Iterator[list[Outcome]]:
    """Outcomes batch by batch; batch k+1 is read and prepared while batch k is embedded."""

    def fetch() -> Loaded | None:
        batch = next_batch()
        return None if batch is None else load_batch(encoder, batch, recipe)

    with ThreadPoolExecutor(1, thread_name_prefix="balr-decode") as reader:
        pending = reader.submit(fetch)
        while (loaded := pending.result()) is not None:
            pending = reader.submit(fetch)
            yield embed_loaded(encoder, loaded)


def _exit_with_parent() -> None:  # pragma: no cover - runs in a worker process
    """End this worker as soon as the process that started the extraction dies.

    A worker outliving it (killed by SIGKILL, or crashed) would hold its memory and wait
    for batches forever, and keep the fork server and resource tracker alive. The watch
    thread waits on the parent's sentinel (closed by the kernel when the parent dies,
    however it dies; portable). On Linux the kernel also kills the worker when its own
    parent, the fork server, dies (PR_SET_PDEATHSIG).
    """
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass
    parent = mp.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(1)

    threading.Thread(target=watch, name="balr-parent-watch", daemon=True).start()


def _worker(
    factory: Callable[[], Any], recipe: Recipe, tasks: Any, results: Any
) -> None:  # pragma: no cover - runs in a spawned process
    import torch

    _exit_with_parent()
    torch.set_num_threads(1)
    try:
        encoder = factory()
        for outcomes in run_pipeline(encoder, tasks.get, recipe):
            # With this process's CPU seconds so far: the parent reports the cost per core.
            results.put(("ok", (outcomes, mp.current_process().name, time.process_time())))
    except BalrError as error:
        results.put(("error", error))
    except BaseException as error:  # reported by the parent, which stops the run
        results.put(("crash", f"{type(error).__name__}: {error}"))


class WorkerPool:
    """N spawned worker processes, each running `run_pipeline` on batches from one queue."""

    def __init__(self, factory: Callable[[], Any], recipe: Recipe, workers: int) -> None:
        # Not fork: a forked child of a process that already ran torch can deadlock in
        # OpenMP. A fork server is a fresh process that imports torch once, then forks each
        # worker from it (one import instead of one per worker, as with spawn).
        if "forkserver" in mp.get_all_start_methods():
            context: Any = mp.get_context("forkserver")
            context.set_forkserver_preload(["torch", "balr.extract"])
        else:
            context = mp.get_context("spawn")
        self.cpu_seconds: dict[str, float] = {}
        self.tasks: Any = context.Queue()
        self.results: Any = context.Queue()
        self.processes = [
            context.Process(
                target=_worker,
                args=(factory, recipe, self.tasks, self.results),
                daemon=True,
                name=f"balr-extract-{n}",
            )
            for n in range(workers)
        ]
        for process in self.processes:
            process.start()

    def map(self, batches: Iterator[Batch]) -> Iterator[list[Outcome]]:
        """Outcomes of every batch, in completion order; at most 2 batches queued per worker."""
        in_flight = 0
        for batch in batches:
            self.tasks.put(batch)
            in_flight += 1
            if in_flight >= 2 * len(self.processes):
                break
        while in_flight:
            outcomes = self._next_result()
            in_flight -= 1
            following: Batch | None = next(batches, None)
            if following is not None:
                self.tasks.put(following)
                in_flight += 1
            yield outcomes

    def _next_result(self) -> list[Outcome]:
        while True:
            try:
                kind, payload = self.results.get(timeout=_POLL_S)
            except queue.Empty:
                dead = next((p for p in self.processes if not p.is_alive()), None)
                if dead is not None:
                    raise BalrError(
                        f"extraction worker {dead.name} stopped (exit code {dead.exitcode}, e.g."
                        " out of memory): run again with fewer --workers; finished files are kept"
                    ) from None
                continue
            if kind == "ok":
                outcomes, worker, cpu = payload
                self.cpu_seconds[worker] = cpu
                return outcomes
            if kind == "error":
                raise payload
            raise RuntimeError(f"extraction worker failed: {payload}")

    def close(self, abort: bool = False) -> None:
        """Stop the workers: once idle, or at once when `abort` (batches may be queued)."""
        for _ in self.processes:
            if not abort:
                self.tasks.put(None)
        for process in self.processes:
            # Every result is in: a worker still tearing down torch has nothing left to do.
            process.join(timeout=0 if abort else 1)
            if process.is_alive():
                process.terminate()
                process.join()
        self.tasks.close()
        self.results.close()
