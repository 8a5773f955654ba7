"""Registers the schema in Hydra's ConfigStore (called once by the CLI apps)."""

from __future__ import annotations

from typing import Any

from balr.config.conditions import register_conditions
from balr.config.extract import ENCODER_CONFIGS, ENCODER_GROUP, ExtractConfig
from balr.config.losses import LOSS_CONFIGS
from balr.config.schema import BinarizeConfig, TrainConfig
from balr.config.slurm import slurm_launcher_config
from balr.logs import FILE_FORMAT

LOSS_GROUP = "trainer.losses"


def _logging_config(with_file: bool) -> dict[str, Any]:
    handlers: dict[str, Any] = {"console": {"()": "balr.logs.console_handler"}}
    if with_file:
        handlers["file"] = {
            "class": "logging.FileHandler",
            "formatter": "file",
            "filename": "${hydra.runtime.output_dir}/${hydra.job.name}.log",
            "delay": True,
        }
    return {
        "version": 1,
        "formatters": {"file": {"format": FILE_FORMAT}},
        "handlers": handlers,
        "root": {"level": "INFO", "handlers": list(handlers)},
        "disable_existing_loggers": False,
    }


_registered = False


def register_configs() -> None:
    """Store every config node of balr in Hydra's ConfigStore; idempotent."""
    global _registered
    if _registered:
        return
    from hydra.core.config_store import ConfigStore

    store = ConfigStore.instance()
    store.store(name="train", node=TrainConfig)
    store.store(name="binarize", node=BinarizeConfig)
    store.store(name="extract", node=ExtractConfig)
    register_conditions(store)
    for name, node in ENCODER_CONFIGS.items():
        store.store(group=ENCODER_GROUP, name=name, node=node)
        # balr compare's audio encoder (its `encoder` is the binary-attribute model).
        store.store(group="extractor", name=name, node=node)
    for name, node in LOSS_CONFIGS.items():
        # Each selected loss lands under trainer.losses.<name>, so both
        # 'trainer.losses=[mse,arcface]' and 'trainer.losses.arcface.weight=1' work.
        store.store(group=LOSS_GROUP, name=name, node=node, package=f"{LOSS_GROUP}.{name}")
    store.store(group="hydra/job_logging", name="balr", node=_logging_config(with_file=True))
    store.store(group="hydra/hydra_logging", name="balr", node=_logging_config(with_file=False))
    store.store(group="hydra/launcher", name="slurm", node=slurm_launcher_config())
    _register_scoring(store)
    store.store(name="compare", node=_compare_config())
    store.store(name="validate", node=_validate_config())
    _registered = True


def _register_scoring(store: Any) -> None:
    """`balr score`: its two apps' configs and the `scorer` group."""
    from balr.config.scoring import SCORER_CONFIGS, ScoreTestConfig, ScoreTrainConfig

    store.store(name="score_train", node=ScoreTrainConfig)
    store.store(name="score_test", node=ScoreTestConfig)
    for name, node in SCORER_CONFIGS.items():
        store.store(group="scorer", name=name, node=node)


def _validate_config() -> Any:
    """`balr validate`'s config."""
    from balr.config.validation import ValidateConfig

    return ValidateConfig


def _compare_config() -> Any:
    """`balr compare`'s config (imported here: it builds on the scoring and extract schemas)."""
    from balr.config.compare import CompareConfig

    return CompareConfig
