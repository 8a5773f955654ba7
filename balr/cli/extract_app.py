"""The `extract` Hydra app: speaker embeddings of a dataset's audio (one job or one shard)."""

from __future__ import annotations

import functools
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from balr.cli.conditions import condition_folder, condition_of, write_record
from balr.cli.errors import report
from balr.cli.instantiate import build
from balr.config.store import register_configs
from balr.errors import BalrError

register_configs()
log = logging.getLogger("balr.extract")

# Exit status of a run that finished but listed bad files in extract_errors.csv.
SOME_FAILED = 1


def options_of(cfg: DictConfig) -> Any:
    """`ExtractOptions` from the composed config."""
    from balr.extract.runner import ExtractOptions

    options = cfg.extract
    return ExtractOptions(
        force=cfg.force,
        save_output=cfg.save_output,
        save_dir=Path(cfg.save_dir) if cfg.save_dir else None,
        fmt=options.format,
        segments=options.segments,
        min_last=options.min_last,
        workers=options.workers,
        batch_files=options.batch_files,
        strict=options.strict,
        packed=options.packed,
        shards=options.shards,
        shard=options.shard,
    )


def encoder_factory(cfg: DictConfig) -> Any:
    """A picklable callable building the configured encoder (once per worker process)."""
    node = OmegaConf.to_container(cfg.encoder, resolve=True)
    return functools.partial(build, node, "encoder")


def output_dir(cfg: DictConfig) -> Path:
    """CSVs go to --save-dir, else the sweep directory (shards meet there) or the run dir."""
    if cfg.save_dir:
        return Path(cfg.save_dir)
    hydra_cfg = HydraConfig.get()
    if hydra_cfg.mode == RunMode.MULTIRUN:
        return Path(hydra_cfg.sweep.dir).absolute()
    return Path(hydra_cfg.runtime.output_dir)


def run_extract(cfg: DictConfig, out_dir: Path) -> Any:
    """Extract cfg.input's embeddings; return the `ExtractSummary`.

    Under a recording condition other than clean, every output (vectors, CSV, errors and
    condition.json) goes to out_dir/<condition>: the sets of a sweep never mix.
    """
    from balr.extract.runner import extract_embeddings

    condition = condition_of(cfg)
    dataset = build(cfg.input, "input")
    factory = encoder_factory(cfg)
    options = replace(options_of(cfg), condition=condition)
    if not condition.is_clean:
        out_dir = condition_folder(out_dir, condition)
        options = replace(options, save_dir=out_dir)
    summary = extract_embeddings(dataset, factory, options, out_dir)
    if options.save_output:
        write_record(out_dir, cfg, condition)
    log.info("%s", summary.line())
    return summary


@hydra.main(version_base="1.3", config_path=None, config_name="extract")
def extract_app(cfg: DictConfig) -> None:
    """Hydra entry point of `balr extract`."""
    try:
        summary = run_extract(cfg, output_dir(cfg))
    except BalrError as error:
        raise SystemExit(report(error)) from None
    # A sweep's jobs must all run: the launcher reads the shards' error lists afterwards.
    if summary.failed and HydraConfig.get().mode != RunMode.MULTIRUN:
        raise SystemExit(SOME_FAILED)
