"""The `condition` config group made into a `balr.conditions.Condition`, and its record."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf

from balr.cli.instantiate import build
from balr.conditions import Condition, ConditionError
from balr.config.conditions import CONDITION_PRESETS, DEFAULT_CONDITION
from balr.data.atomic import atomic_path
from balr.errors import ConfigError

RECORD_NAME = "condition.json"
# Joins the names of chained presets (noise_snr10+phone); never inside one name.
CHAIN_SEPARATOR = "+"
# A name the user gives a condition (it names the output folder).
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.~-]*")
NET_SPEECH = "balr.conditions.NetSpeech"
log = logging.getLogger("balr.conditions")


def condition_name(cfg: DictConfig) -> str:
    """The name of the chosen condition: its presets' names joined by CHAIN_SEPARATOR
    (noise_snr10+phone); a preset whose steps were changed is named after the change."""
    names = [preset_name(str(name), preset) for name, preset in cfg.condition.items()]
    return CHAIN_SEPARATOR.join(names) or DEFAULT_CONDITION


def preset_name(preset: str, node: Any) -> str:
    """The recorded name of one chosen preset: `node.name` if given; the preset's name if its
    steps are the preset's; a lone duration changed names its seconds (short_10s); any other
    change appends a digest of the steps (phone~1a2b3c), so no name claims another config.

    Raises:
        ConfigError: the given name is not a plain name.
    """
    if node.get("name") is not None:
        return _given_name(preset, str(node.name))
    steps = OmegaConf.to_container(node.steps, resolve=True)
    default = OmegaConf.to_container(OmegaConf.structured(CONDITION_PRESETS[preset]).steps)
    if steps == default:
        return preset
    assert isinstance(steps, list) and isinstance(default, list)
    name = _renamed_duration(preset, steps, default)
    if name and _seconds_only(steps, default):
        return name
    digest = hashlib.sha256(json.dumps(steps, sort_keys=True).encode()).hexdigest()[:6]
    return f"{name or preset}~{digest}"


def _given_name(preset: str, name: str) -> str:
    if not NAME.fullmatch(name):
        raise ConfigError(
            f"condition.{preset}.name={name!r}: not a plain name: use letters, digits, '_', '.',"
            " '-' or '~' (it names a folder; '+' joins chained conditions)"
        )
    return name


def _durations(steps: list[Any]) -> list[float]:
    return [float(s["seconds"]) for s in steps if s.get("_target_") == NET_SPEECH]


def _renamed_duration(preset: str, steps: list[Any], default: list[Any]) -> str | None:
    """The preset's name with its net-speech seconds replaced (short_5s -> short_10s), when
    both have one duration step, the seconds differ and the name states the old ones."""
    new, old = _durations(steps), _durations(default)
    if len(new) != 1 or len(old) != 1 or new == old:
        return None
    stated = rf"(?<![0-9.]){re.escape(_seconds(old[0]))}s\b"
    renamed = re.sub(stated, f"{_seconds(new[0])}s", preset)
    return renamed if renamed != preset else None


def _seconds_only(steps: list[Any], default: list[Any]) -> bool:
    """True when `steps` differ from `default` only in the net-speech seconds."""
    seconds = _durations(default)[0]
    same = [{**s, "seconds": seconds} if s.get("_target_") == NET_SPEECH else s for s in steps]
    return same == default


def _seconds(value: float) -> str:
    """Seconds as written in a name: 10, 2.5 (never an exponent)."""
    return f"{value:.3f}".rstrip("0").rstrip(".")


def condition_of(cfg: DictConfig) -> Condition:
    """The condition of the composed config (cfg.condition, cfg.seed), its steps built."""
    steps = [
        _build_step(step, f"condition.{name}.steps.{position}")
        for name, preset in cfg.condition.items()
        for position, step in enumerate(preset.steps)
    ]
    name = condition_name(cfg)
    presets = CHAIN_SEPARATOR.join(str(n) for n in cfg.condition)
    if name != presets:
        log.info("condition %s, changed or named: recorded as %s", presets, name)
    return Condition(name, steps, seed=int(cfg.seed))


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
