"""The `binarize` Hydra app: a trained encoder's binary attributes for a dataset."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from balr.cli.errors import report
from balr.cli.instantiate import build
from balr.config.store import register_configs
from balr.data import AudioDataset
from balr.data.table import missing_embedding_error
from balr.errors import BalrError
from balr.training.devices import resolve_device

register_configs()
log = logging.getLogger("balr.binarize")


def run_binarize(cfg: DictConfig, run_dir: Path) -> Path | None:
    """Binarise cfg.input; return the written CSV (None with save_output=false)."""
    dataset = build(cfg.input, "input")
    device = str(resolve_device(cfg.device))
    encoder = build(cfg.encoder.model, "encoder.model", device=device)
    data_config = build(cfg.data, "data")
    if not cfg.force:
        before = len(dataset)
        dataset = dataset.filter(lambda item: item.get("binary_attributes") is None)
        if len(dataset) < before:
            log.info(
                "%d items already have binary attributes (use --force to redo them)",
                before - len(dataset),
            )
    _check_some_embeddings(dataset)
    if cfg.save_dir:
        dataset.set_output_dir(Path(cfg.save_dir))
    started = time.perf_counter()
    results = encoder.get_binary_attributes(
        dataset, stream_save=cfg.save_output, data_config=data_config
    )
    seconds = time.perf_counter() - started
    log.info(
        "binarised %d items in %.1fs", len(dataset) if cfg.save_output else len(results), seconds
    )
    if not cfg.save_output:
        return None
    csv_path = (Path(cfg.save_dir) if cfg.save_dir else run_dir) / "binarized.csv"
    dataset.to_csv(csv_path)
    log.info("dataset with binary_attributes written to %s", csv_path)
    return csv_path


def _check_some_embeddings(dataset: AudioDataset) -> None:
    """Audio without any embedding: say that `balr extract` makes them (else nothing is done)."""
    missing = None
    for item_id, item in dataset.iter_dicts():
        if item.get("embedding") is not None:
            return
        missing = missing or (item_id, item)
    if missing is not None and missing[1].get("audio") is not None:
        raise missing_embedding_error(dataset, *missing)


@hydra.main(version_base="1.3", config_path=None, config_name="binarize")
def binarize_app(cfg: DictConfig) -> None:
    """Hydra entry point of `balr binarize`."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run_binarize(cfg, run_dir)
    except BalrError as error:
        raise SystemExit(report(error)) from None
