"""The `condition` config group made into a `balr.conditions.Condition`, and its record."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from balr.cli.instantiate import build
from balr.conditions import Condition, ConditionError
from balr.config.conditions import DEFAULT_CONDITION
from balr.data.atomic import atomic_path

RECORD_NAME = "condition.json"


def condition_name(cfg: DictConfig) -> str:
    """The name of the chosen condition: its presets joined by '+' (e.g. noise_snr10+phone)."""
    return "+".join(str(name) for name in cfg.condition) or DEFAULT_CONDITION


def condition_of(cfg: DictConfig) -> Condition:
    """The condition of the composed config (cfg.condition, cfg.seed), its steps built."""
    steps = [
        _build_step(step, f"condition.{name}.steps.{position}")
        for name, preset in cfg.condition.items()
        for position, step in enumerate(preset.steps)
    ]
    return Condition(condition_name(cfg), steps, seed=int(cfg.seed))


def _build_step(node: Any, key: str) -> Any:
    """One step; its errors name the config key ('condition telephone.rate=...' becomes
    'condition.phone.steps.0.rate=...')."""
    try:
        return build(node, key)
    except ConditionError as error:
        text = str(error).removeprefix("condition ")
        head, _, rest = text.partition(" ")
        field = head.split(".", 1)[1] if "." in head.split("=", 1)[0] else None
        if field:  # the fix may name a sibling key ('set noise.noise_dir=...'): the full key
            step = re.escape(head.split(".", 1)[0] + ".")
            rest = re.sub(rf"(?<![\w.]){step}", f"{key}.", rest)
        raise ConditionError(f"{key}.{field} {rest}" if field else f"{key}: {text}") from None


def condition_folder(base: Path, condition: Condition) -> Path:
    """Where a condition's outputs go: `base` for clean audio, else base/<name>."""
    return base if condition.is_clean else base / condition.name


def folder_of_config(base: Path, cfg: DictConfig) -> Path:
    """`condition_folder` from the composed config alone (nothing built)."""
    clean = all(len(preset.steps) == 0 for preset in cfg.condition.values())
    return base if clean else base / condition_name(cfg)


def write_record(folder: Path, cfg: DictConfig, condition: Condition) -> Path:
    """condition.json: the name, seed, and every step's full config (as composed)."""
    record: dict[str, Any] = {
        "name": condition.name,
        "seed": condition.seed,
        "config": OmegaConf.to_container(cfg.condition, resolve=True),
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / RECORD_NAME
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, indent=2) + "\n")
    return path
