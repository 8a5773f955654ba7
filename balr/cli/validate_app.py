"""The `validate` Hydra app: the validation report of a method."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from balr.cli.errors import report
from balr.config.store import register_configs
from balr.config.validation import CriteriaConfig
from balr.errors import BalrError

register_configs()


def run_validate(cfg: DictConfig, run_dir: Path) -> None:
    """Hand the composed config over to :func:`balr.validation.validate`."""
    from balr.validation import validate

    # The node is structured (ValidateConfig's schema): to_object gives the dataclass.
    criteria = cast(CriteriaConfig, OmegaConf.to_object(cfg.criteria))
    validate(
        list(cfg.scores),
        run_dir,
        names=list(cfg.names),
        durations=[float(d) for d in cfg.durations],
        data=cfg.data,
        baseline=cfg.baseline,
        criteria=criteria,
        bootstrap=int(cfg.bootstrap),
        seed=int(cfg.seed),
        data_description=cfg.data_description,
    )


@hydra.main(version_base="1.3", config_path=None, config_name="validate")
def validate_app(cfg: DictConfig) -> None:
    """Hydra entry point of `balr validate`."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    try:
        run_validate(cfg, run_dir)
    except BalrError as error:
        raise SystemExit(report(error)) from None
