"""Building and checking Hydra override strings before any run directory is claimed."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from balr.errors import ConfigError

_NOISE = ("full_key:", "object_type=", "reference_type=", "Set the environment variable")


def quote(value: object) -> str:
    """A Hydra override value that keeps any character of a path literally."""
    text = str(value).replace("\\", "\\\\").replace("'", "\\'")
    return f"'{text}'"


def key_of(override: str) -> str:
    """'+trainer.epochs=3' -> 'trainer.epochs'."""
    return override.split("=", 1)[0].lstrip("+~").split("@", 1)[0]


def names_paths(argument: str) -> bool:
    """True when `argument` names an existing file or folder (or several, comma-separated)."""
    parts = [argument, *(p.strip() for p in argument.split(",") if "," in argument)]
    if Path(parts[0]).expanduser().exists():
        return True
    return len(parts) > 1 and all(p and Path(p).expanduser().exists() for p in parts[1:])


def split_inputs(arguments: list[str]) -> tuple[list[str], list[str]]:
    """(inputs, overrides) of a command's free arguments, each in order.

    An argument holding '=' is a key=value override unless it names existing files: balr's
    own sweeps make folders such as `scorer=beta`, which must work as INPUT, DATA or a side.
    """
    inputs = [a for a in arguments if "=" not in a or names_paths(a)]
    return inputs, [a for a in arguments if "=" in a and not names_paths(a)]


def is_hydra_override(override: str) -> bool:
    return key_of(override).split("/", 1)[0].split(".", 1)[0] == "hydra"


# Composing one job's config takes ~40 ms: beyond this many jobs each value is checked once.
MAX_CHECKED_JOBS = 64


def expand_sweeps(overrides: list[str]) -> Iterator[list[str]]:
    """Single-run override lists of a sweep: every job, or each value once for huge sweeps.

    Every combination is checked because values valid alone can clash together
    (data.N_classes_per_batch=64 with data.batch_size=128).
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(overrides)
    choices: list[list[str]] = []
    for item in parsed:
        if item.is_sweep_override():
            key = item.get_key_element()
            choices.append([f"{key}={value}" for value in item.sweep_string_iterator()])
        else:
            choices.append([str(item.input_line)])
    if math.prod(len(c) for c in choices) <= MAX_CHECKED_JOBS:
        yield from (list(job) for job in itertools.product(*choices))
        return
    width = max((len(c) for c in choices), default=1)
    for i in range(width):
        yield [c[min(i, len(c) - 1)] for c in choices]


def compose_checked(
    config_name: str, overrides: list[str], conf: Path, multirun: bool, usage: str = ""
) -> list[Any]:
    """Compose the config for every sweep value; a mistake is a one-line ConfigError.

    `usage` (e.g. "balr extract INPUT") is the command the error's `--cfg job` hint names.
    """
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from balr.config.store import register_configs

    register_configs()
    plain = [o for o in overrides if not is_hydra_override(o)]
    variants = list(expand_sweeps(plain)) if multirun else [plain]
    configs = []
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(conf), version_base="1.3"):
            for variant in variants:
                configs.append(_compose_one(compose, config_name, variant, usage))
    finally:
        GlobalHydra.instance().clear()
    return configs


def _compose_one(
    compose: Callable[..., Any], name: str, overrides: list[str], usage: str = ""
) -> Any:
    try:
        return compose(config_name=name, overrides=overrides)
    except Exception as error:  # Hydra and OmegaConf raise many types; all are user input here.
        raise ConfigError(explain(error, usage)) from None


def explain(error: BaseException, usage: str = "") -> str:
    """A one-line reading of a Hydra/OmegaConf composition error.

    `usage` names the command whose `--cfg job` lists the keys (default: balr train's).
    """
    text = str(error)
    if "trainer.losses/" in text:
        name = text.split("trainer.losses/", 1)[1].split("'", 1)[0]
        from balr.config.losses import LOSS_CONFIGS

        return (
            f"unknown loss {name!r} in trainer.losses: choose from "
            f"{', '.join(LOSS_CONFIGS)}, e.g. 'trainer.losses=[mse,triplet]'"
        )
    if text.startswith("Could not override '"):
        key = text.split("'", 2)[1]
        return (
            f"unknown config key {key!r}: check its spelling (`{usage or 'balr train'} --cfg job`"
            " lists the keys)"
        )
    if "Available options in '" in text and "Could not find '" in text:
        # An unknown option of a config group (e.g. scorer=cosine): name every option.
        wanted = text.split("Could not find '", 1)[1].split("'", 1)[0]
        group, _, rest = text.split("Available options in '", 1)[1].partition("'")
        options = []
        for line in rest.splitlines()[1:]:
            if not line.startswith("\t"):
                break
            options.append(line.strip())
        return (
            f"unknown {group} {wanted.rsplit('/', 1)[-1]!r}: choose one of"
            f" {', '.join(options)}, e.g. {group}={options[0] if options else 'NAME'}"
        )
    if "Could not load '" in text:
        # A list of a group's options (condition=[phone,foo]): Hydra lists no options then.
        group, _, name = text.split("Could not load '", 1)[1].split("'", 1)[0].rpartition("/")
        options = _group_options(group)
        if options:
            return (
                f"unknown {group} {name!r}: choose from {', '.join(options)},"
                f" e.g. {group}=[{','.join(options[:2])}]"
            )
    cause = error.__cause__
    if text.startswith("Error merging override ") and cause is not None and str(cause).strip():
        # Hydra's own line names the override only; OmegaConf's cause says what is wrong.
        override = text.removeprefix("Error merging override ").strip()
        reason = str(cause).strip().splitlines()[0]
        return (
            f"{override}: {reason}: give a value of the key's type"
            f" (`{usage or 'balr train TRAIN VAL'} --cfg job` shows every key and its default)"
        )
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith(_NOISE)
    ]
    lines = list(dict.fromkeys(lines))
    return "; ".join(itertools.islice(lines, 3)) or type(error).__name__


def _group_options(group: str) -> list[str]:
    """The names registered in the config group `group` (empty when it is none)."""
    from hydra.core.config_store import ConfigStore

    try:
        names = ConfigStore.instance().list(group)
    except OSError:
        return []
    return sorted(n.removesuffix(".yaml") for n in names if n.endswith(".yaml"))
