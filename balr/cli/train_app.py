"""The `train` Hydra app: compose the config, build every component, train."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from balr.cli.errors import report
from balr.cli.instantiate import build
from balr.config.store import register_configs
from balr.config.validate import validate_train_config
from balr.errors import BalrError
from balr.logs import quiet_non_main_rank
from balr.training import distributed as ddp
from balr.training.checkpoint import seed_everything
from balr.training.signals import TrainingInterrupted

register_configs()
log = logging.getLogger("balr.train")


def auto_resume_source(run_dir: Path, env: dict[str, str] | None = None) -> Path | None:
    """A requeued Slurm job continues from its own last.pt instead of starting over."""
    env = dict(os.environ) if env is None else env
    restarts = int(env.get("SLURM_RESTART_COUNT", "0") or 0)
    last = run_dir / "last.pt"
    if restarts > 0 and last.is_file():
        log.info("Slurm restart %d of this job: continuing from %s", restarts, last)
        return last
    return None


def run_training(cfg: DictConfig, run_dir: Path) -> dict[str, Any]:
    """Build datasets, losses, model and trainer from `cfg`; train; return the summary."""
    ctx = ddp.context_from_env()
    device = ddp.init_process_group(ctx, cfg.device)
    quiet_non_main_rank(ctx.rank)
    validate_train_config(cfg)
    # The model's initial weights come from the global RNG: seed it before building anything.
    seed_everything(cfg.trainer.seed)
    train = build(cfg.train, "train")
    val = build(cfg.val, "val")
    losses = [build(node, f"trainer.losses.{name}") for name, node in cfg.trainer.losses.items()]
    model = build(cfg.trainer.model, "trainer.model")
    resume = cfg.resume or auto_resume_source(run_dir)
    trainer = build(
        cfg.trainer,
        "trainer",
        exclude=("losses", "model"),
        train=train,
        val=val,
        data_config=build(cfg.data, "data"),
        loss_funcs=losses,
        save_dir=run_dir,
        device=device,
        model=model,
        resume=str(resume) if resume else None,
        run_config=OmegaConf.to_container(cfg, resolve=True),
    )
    return trainer.train()


@hydra.main(version_base="1.3", config_path=None, config_name="train")
def train_app(cfg: DictConfig) -> float | None:
    """Hydra entry point; returns the best monitored value for sweepers that optimise it."""
    run_dir = Path(HydraConfig.get().runtime.output_dir)
    # A Slurm job with several tasks joins its group here (torchrun workers join in `balr train`).
    owns_group = not ddp.is_initialized()
    try:
        summary = run_training(cfg, run_dir)
    except BalrError as error:
        raise SystemExit(report(error)) from None
    except TrainingInterrupted as stop:
        raise SystemExit(report(stop, status=128 + stop.signum)) from None
    finally:
        if owns_group:
            ddp.destroy_process_group()
    value = summary["best"]["value"]
    return float(value) if value is not None else None
