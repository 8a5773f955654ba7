"""`degrade_dataset`: write each recording of a dataset as recorded under a condition.

Example::

    from pathlib import Path

    from balr.conditions import Condition, Telephone
    from balr.conditions.degrade import degrade_dataset
    from balr.data import AudioDataset

    phone = Condition("phone", [Telephone(300, 3400, 8000, "gsm")])
    summary = degrade_dataset(AudioDataset.from_path("recordings/"), phone, Path("phone"))
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from balr.conditions.chain import Condition, Source
from balr.conditions.channel import Codec
from balr.data.atomic import atomic_path
from balr.data.reader import ReadProgress
from balr.errors import BalrError, ConfigError, DatasetError

log = logging.getLogger("balr.conditions")
ERRORS_NAME = "degrade_errors.csv"


class DegradeProgress(ReadProgress):
    """The progress bar (or log lines) of `balr degrade`."""

    verb, past = "degrading", "degraded"
    logger = log


@dataclass
class DegradeSummary:
    """What `degrade_dataset` did: files written, failures (id, audio, reason)."""

    total: int
    written: list[Path] = field(default_factory=list)
    errors: list[tuple[str, Path | None, str]] = field(default_factory=list)
    errors_path: Path | None = None

    def line(self) -> str:
        """'degraded 30 of 32 recordings into DIR; 2 failed: see ...'."""
        text = f"degraded {len(self.written)} of {self.total} recordings"
        if self.errors:
            text += f"; {len(self.errors)} failed: see {self.errors_path}"
        return text


def degrade_dataset(
    dataset: Any,
    condition: Condition,
    out_dir: Path,
    *,
    sample_rate: int = 16000,
    keep_codec: bool = False,
    progress: bool = True,
) -> DegradeSummary:
    """Write every recording of `dataset` under `condition` into `out_dir`.

    Files keep their layout below the recordings' common folder, as flac at `sample_rate`,
    or in the codec's own container (mp3, opus) with `keep_codec`. Bad recordings are
    listed in ``out_dir/degrade_errors.csv`` (id, audio, reason), the others written.

    Raises:
        ConfigError: `keep_codec` without a codec as the condition's last step.
        DatasetError: the dataset has no audio, or an output would overwrite its input.
    """
    from balr.extract.worklist import work_items

    codec = _last_codec(condition) if keep_codec else None
    _refuse_inside_input(dataset.source, out_dir)
    items = [i for i in work_items(dataset.iter_dicts(), out_dir.absolute()) if i.audio]
    if not items:
        raise DatasetError(f"{dataset.name}: no item has an audio file: give recordings")
    sources = [Source(i.id, i.audio, i.speaker) for i in items if i.audio is not None]
    condition = condition.with_sources(sources)
    suffix = codec.suffix if codec is not None else ".flac"
    targets = [item.folder / f"{item.stem}{suffix}" for item in items]
    for item, target in zip(items, targets, strict=True):
        _refuse_overwrite(item.audio, target)
    summary = DegradeSummary(total=len(items))
    with DegradeProgress(len(items), "files", progress) as bar:
        for item, target in zip(items, targets, strict=True):
            assert item.audio is not None
            try:
                _write_one(item.audio, item.id, item.speaker, target, condition, codec, sample_rate)
                summary.written.append(target)
            except BalrError as error:
                summary.errors.append((item.id, item.audio, _reason(item.audio, error)))
            bar.advance(1)
    from balr.extract.outputs import write_errors

    summary.errors_path = write_errors(out_dir / ERRORS_NAME, summary.errors)
    return summary


def _last_codec(condition: Condition) -> Codec:
    last = condition.steps[-1] if condition.steps else None
    if not isinstance(last, Codec):
        raise ConfigError(
            f"--keep-codec: the condition {condition.name!r} does not end with a codec step:"
            " use a codec condition (e.g. condition=voip or mp3_32k) or drop --keep-codec"
        )
    return last


def _refuse_inside_input(source: Path | None, out_dir: Path) -> None:
    """A folder input is scanned for recordings: degraded copies inside it would be taken
    for recordings by the next run over that folder (and degraded again)."""
    if source is None or not source.is_dir():
        return
    if out_dir.resolve().is_relative_to(source.resolve()):
        raise DatasetError(
            f"{out_dir}: --save-dir lies inside the input folder {source}, whose next scan would"
            " take the degraded copies for recordings: give a folder outside it"
        )


def _refuse_overwrite(audio: Path | None, target: Path) -> None:
    if audio is not None and target.absolute() == audio.absolute():
        raise DatasetError(
            f"{target}: balr degrade would overwrite this input recording: give --save-dir"
            " a folder outside the input"
        )


def _write_one(
    audio: Path,
    item_id: str,
    speaker: str | None,
    target: Path,
    condition: Condition,
    codec: Codec | None,
    rate: int,
) -> None:
    from balr.extract.audio import read_audio

    wav = read_audio(audio, rate)
    target.parent.mkdir(parents=True, exist_ok=True)
    if codec is None:
        out = condition.apply(wav, rate, item_id, speaker)
        with atomic_path(target, suffix=".flac") as tmp:
            sf.write(tmp, _no_overflow(out), rate, format="FLAC", subtype="PCM_16")
        return
    # The codec's own bytes: the steps before it, then the encoder alone.
    before = Condition(condition.name, condition.steps[:-1], condition.seed, condition.sources)
    data = codec.encode(before.apply(wav, rate, item_id, speaker), rate)
    with atomic_path(target, suffix=target.suffix) as tmp:
        tmp.write_bytes(data)


def _no_overflow(wav: np.ndarray) -> np.ndarray:
    """Samples clipped to [-1, 1): what 16-bit flac can hold (louder audio would wrap)."""
    return np.clip(wav, -1.0, 1.0 - 2**-15)


def _reason(audio: Path, error: BalrError) -> str:
    reason = " ".join(str(error).split())
    return reason if str(audio) in reason else f"{audio}: {reason}"
