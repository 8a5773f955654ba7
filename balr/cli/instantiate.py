"""The one place where config nodes become objects (through hydra.utils.instantiate)."""

from __future__ import annotations

from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from balr.errors import BalrError, ConfigError


def build(node: Any, key: str, *, exclude: tuple[str, ...] = (), **kwargs: Any) -> Any:
    """Instantiate the config `node` found at `key`, with extra keyword arguments.

    Keys in `exclude` are dropped first (sub-nodes the caller builds itself). A BalrError
    raised by the target comes out as itself; other failures become a ConfigError naming `key`.
    """
    if isinstance(node, DictConfig) and exclude:
        node = OmegaConf.masked_copy(node, [str(k) for k in node if k not in exclude])
    try:
        # Objects (datasets, losses) cannot go through the config: bind them to a partial.
        factory = instantiate(node, _convert_="all", _partial_=True)
        return factory(**kwargs)
    except BalrError:
        raise
    except TypeError as error:
        # Chained: with --debug a TypeError from inside the constructor shows where it came from.
        raise ConfigError(f"cannot build {key}: {_first_line(error)}") from error
    except InstantiationException as error:
        cause = _root_cause(error)
        if isinstance(cause, BalrError):
            raise cause from None
        target = node.get("_target_", "?") if isinstance(node, DictConfig) else "?"
        raise ConfigError(f"cannot build {key} ({target}): {_first_line(cause)}") from cause


def _root_cause(error: BaseException) -> BaseException:
    while error.__cause__ is not None:
        error = error.__cause__
    return error


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__
